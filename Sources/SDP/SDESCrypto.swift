/// One `a=crypto` attribute of an `RTP/SAVP` description (SDES, RFC 4568): a tag, a crypto
/// suite and the sender's master key and salt, sent inline. Only
/// `AES_CM_128_HMAC_SHA1_80` is supported (the suite every trunk and phone offers); a line
/// with another suite, an MKI, or key parameters beyond one inline key is read as unusable
/// (nil) rather than an error, so that an offer listing several suites still finds ours.
public struct SDESCrypto: Equatable, Sendable {
    public static let suite = "AES_CM_128_HMAC_SHA1_80"
    /// Bytes of master key (16) and salt (14).
    public static let keyingLength = 30

    public var tag: Int
    /// 30 bytes: the master key, then the salt.
    public var keyAndSalt: [UInt8]

    public init(tag: Int, keyAndSalt: [UInt8]) {
        self.tag = tag
        self.keyAndSalt = keyAndSalt
    }

    /// Reads an attribute's value (`1 AES_CM_128_HMAC_SHA1_80 inline:<base64>[|lifetime]`); nil
    /// when it is malformed or not usable here.
    public init?(attributeValue value: String) {
        // A usable line is under a hundred bytes; one over 1 KiB is not read at all.
        guard value.utf8.count <= 1024 else { return nil }
        // Tag, suite and key parameters; session parameters (after them) are not used.
        let fields = value.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
        guard fields.count >= 3, let tag = Int(fields[0]), (0...999_999_999).contains(tag),
            fields[1] == Self.suite
        else { return nil }
        // One key only (several `inline:` separated by ';' are for MKI use), no MKI.
        let params = fields[2]
        guard params.hasPrefix("inline:"), !params.contains(";") else { return nil }
        let parts = params.dropFirst("inline:".count).split(separator: "|", omittingEmptySubsequences: false)
        guard let encoded = parts.first, parts.count <= 2 else { return nil }
        if parts.count == 2 {
            // A lifetime (`2^31` or a number) is fine; an MKI (`1:4`) is not supported.
            guard !parts[1].contains(":") else { return nil }
        }
        guard let key = Base64.decode(encoded), key.count == Self.keyingLength else { return nil }
        self.tag = tag
        self.keyAndSalt = key
    }

    /// The attribute's value, as the gateway writes it.
    public var attributeValue: String { "\(tag) \(Self.suite) inline:\(Base64.encode(keyAndSalt))" }
}

/// The SRTP keys of a trunk leg settled by SDES: each side encrypts with its own key.
public struct SDESKeys: Equatable, Sendable {
    /// What the gateway sends with.
    public var local: [UInt8]
    /// What the far end sends with.
    public var remote: [UInt8]

    public init(local: [UInt8], remote: [UInt8]) {
        self.local = local
        self.remote = remote
    }
}

/// Standard base64 with padding (RFC 4648 §4), for SDES keys.
enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = bytes[index]
            let b1 = index + 1 < bytes.count ? bytes[index + 1] : 0
            let b2 = index + 2 < bytes.count ? bytes[index + 2] : 0
            out.append(alphabet[Int(b0 >> 2)])
            out.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            out.append(index + 1 < bytes.count ? alphabet[Int((b1 & 0x0f) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(index + 2 < bytes.count ? alphabet[Int(b2 & 0x3f)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes padded or unpadded base64; nil on any other character.
    static func decode<S: StringProtocol>(_ text: S) -> [UInt8]? {
        var values: [UInt8] = []
        values.reserveCapacity(text.utf8.count)
        var padding = 0
        for char in text.utf8 {
            if char == UInt8(ascii: "=") {
                padding += 1
                continue
            }
            guard padding == 0 else { return nil }
            switch char {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): values.append(char - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): values.append(char - UInt8(ascii: "a") + 26)
            case UInt8(ascii: "0")...UInt8(ascii: "9"): values.append(char - UInt8(ascii: "0") + 52)
            case UInt8(ascii: "+"): values.append(62)
            case UInt8(ascii: "/"): values.append(63)
            default: return nil
            }
        }
        guard padding <= 2, values.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(values.count * 3 / 4)
        var index = 0
        while index < values.count {
            let chunk = values[index..<min(index + 4, values.count)]
            let v = chunk.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (18 - 6 * UInt32($1.offset)) }
            out.append(UInt8(v >> 16 & 0xff))
            if chunk.count > 2 { out.append(UInt8(v >> 8 & 0xff)) }
            if chunk.count > 3 { out.append(UInt8(v & 0xff)) }
            index += 4
        }
        return out
    }
}
