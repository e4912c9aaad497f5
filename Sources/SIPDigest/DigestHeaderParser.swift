/// A lenient, never-trapping reader of auth-scheme/auth-param lists (RFC 7235 §2.1, RFC 7616 §3.3).
///
/// Accepts quoted-strings with backslash escapes, unquoted values, any case in scheme and parameter
/// names, and any mix of whitespace and commas between parameters. A token not followed by `=`
/// starts the next challenge. Refuses unterminated quotes, empty unquoted values, stray
/// characters and parameters given twice in one challenge.
enum DigestHeaderParser {
    /// Every challenge (or credentials) in `value`, in order; nil when the value is malformed or empty.
    static func parse(_ value: String) -> [DigestHeaderFields]? {
        var reader = Reader(bytes: Array(value.utf8))
        var result: [DigestHeaderFields] = []
        reader.skipSeparators()
        while !reader.atEnd {
            guard let fields = reader.readChallenge() else { return nil }
            result.append(fields)
            reader.skipSeparators()
        }
        return result.isEmpty ? nil : result
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { index >= bytes.count }
        var current: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func readChallenge() -> DigestHeaderFields? {
            guard let scheme = readToken() else { return nil }
            if let next = current, !Self.isWhitespace(next), next != UInt8(ascii: ",") { return nil }
            var fields = DigestHeaderFields(scheme: DigestText.asciiLowercased(scheme))
            skipWhitespace()
            fields.token68 = readToken68()
            while true {
                skipSeparators()
                guard !atEnd else { break }
                let start = index
                guard let name = readToken() else { return nil }
                skipWhitespace()
                guard current == UInt8(ascii: "=") else {
                    index = start  // a new scheme: this challenge is complete
                    break
                }
                index += 1
                skipWhitespace()
                guard let value = readValue() else { return nil }
                let key = DigestText.asciiLowercased(name)
                guard fields.parameters[key] == nil else { return nil }
                fields.parameters[key] = value
                if let next = current, !Self.isWhitespace(next), next != UInt8(ascii: ",") { return nil }
            }
            return fields
        }

        /// A token68 followed by the end or a comma; otherwise reads nothing.
        mutating func readToken68() -> String? {
            let start = index
            while let byte = current, Self.isToken68Byte(byte) { index += 1 }
            guard index > start else { return nil }
            while current == UInt8(ascii: "=") { index += 1 }
            let end = index
            skipWhitespace()
            guard atEnd || current == UInt8(ascii: ",") else {
                index = start
                return nil
            }
            return String(decoding: bytes[start..<end], as: UTF8.self)
        }

        mutating func readToken() -> String? {
            let start = index
            while let byte = current, DigestText.isTokenByte(byte) { index += 1 }
            guard index > start else { return nil }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        /// A quoted-string (unescaped) or a non-empty run of anything but whitespace, comma and quote.
        mutating func readValue() -> String? {
            if current == UInt8(ascii: "\"") { return readQuoted() }
            let start = index
            while let byte = current, !Self.isWhitespace(byte), byte != UInt8(ascii: ","),
                byte != UInt8(ascii: "\"")
            {
                index += 1
            }
            guard index > start else { return nil }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        mutating func readQuoted() -> String? {
            index += 1
            var out: [UInt8] = []
            while let byte = current {
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard let escaped = current else { return nil }
                    out.append(escaped)
                    index += 1
                default:
                    out.append(byte)
                }
            }
            return nil  // unterminated
        }

        mutating func skipWhitespace() {
            while let byte = current, Self.isWhitespace(byte) { index += 1 }
        }

        mutating func skipSeparators() {
            while let byte = current, Self.isWhitespace(byte) || byte == UInt8(ascii: ",") { index += 1 }
        }

        static func isWhitespace(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
                || byte == UInt8(ascii: "\n")
        }

        static func isToken68Byte(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"):
                true
            default: false
            }
        }
    }
}
