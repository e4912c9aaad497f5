/// Text helpers shared by the parser, the client and the server: hex, ASCII case, quoting.
enum DigestText {
    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Lowercase hex of `bytes`.
    static func hex(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes `text` spells in hex (either case), or nil when it is not an even run of hex digits.
    static func bytes(hex text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// `text` with ASCII letters lowered and everything else untouched (no Unicode case folding,
    /// so that, say, KELVIN SIGN never matches "k").
    static func asciiLowercased(_ text: String) -> String {
        let lowered = text.utf8.map { byte in
            (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
        }
        return String(decoding: lowered, as: UTF8.self)
    }

    /// Whether `text` holds a control character (CR, LF, NUL, DEL …; HTAB is allowed) that would
    /// break out of a header line.
    static func hasControlCharacter(_ text: String) -> Bool {
        text.utf8.contains { $0 == 0x7F || ($0 < 0x20 && $0 != 0x09) }
    }

    /// `text` as a quoted-string with `"` and `\` escaped, or nil when it holds control characters.
    static func quoted(_ text: String) -> String? {
        guard !hasControlCharacter(text) else { return nil }
        var out = "\""
        for character in text.unicodeScalars {
            if character == "\"" || character == "\\" { out.unicodeScalars.append("\\") }
            out.unicodeScalars.append(character)
        }
        out += "\""
        return out
    }

    /// Whether `text` is a non-empty RFC 7230 token (safe to send unquoted).
    static func isToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy(isTokenByte)
    }

    /// tchar: `!#$%&'*+-.^_`|~`, digits and ASCII letters.
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            tokenSymbols.contains(byte)
        }
    }

    private static let tokenSymbols = Array("!#$%&'*+-.^_`|~".utf8)
}
