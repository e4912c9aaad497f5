import Foundation

/// Infobip's timestamp format, e.g. `2019-05-10T09:53:58.463+0000`.
public enum InfobipDate {
    /// The formatter for anything `InfobipDateCodec` does not handle (and its reference in tests).
    static let output: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss.SSSZ"
        return f
    }()

    public static func format(_ date: Date) -> String { InfobipDateCodec.format(date) ?? output.string(from: date) }

    /// Accepts Infobip's format, ISO 8601 with or without fractional seconds, `Z` or offsets.
    public static func parse(_ text: String) -> Date? {
        if let d = InfobipDateCodec.parse(text) { return d }
        if let d = output.date(from: text) { return d }
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = iso.date(from: text) { return d }
        iso.formatOptions = [.withInternetDateTime]
        if let d = iso.date(from: text) { return d }
        let noFraction = DateFormatter()
        noFraction.locale = Locale(identifier: "en_US_POSIX")
        noFraction.dateFormat = "yyyy-MM-dd'T'HH:mm:ssZ"
        return noFraction.date(from: text)
    }

    /// JSON encoder that writes dates in Infobip's format.
    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .custom { date, encoder in
            var c = encoder.singleValueContainer()
            try c.encode(format(date))
        }
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.dateDecodingStrategy = .custom { decoder in
            let c = try decoder.singleValueContainer()
            let text = try c.decode(String.self)
            guard let date = parse(text) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "not a date: \(text)")
            }
            return date
        }
        return d
    }
}
