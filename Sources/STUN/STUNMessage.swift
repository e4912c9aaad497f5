import COpenSSL

/// Why bytes are not an acceptable STUN message.
public enum STUNError: Error, Equatable, Sendable {
    case notSTUN
    case truncated
    case badAttribute(UInt16)
    case badFingerprint
    case badIntegrity
    case missingIntegrity
}

/// STUN message classes and the methods ICE uses (RFC 8489).
public enum STUNClass: UInt16, Sendable {
    case request = 0x0000
    case indication = 0x0010
    case success = 0x0100
    case error = 0x0110
}

/// Attribute types used by ICE.
public enum STUNAttribute {
    public static let mappedAddress: UInt16 = 0x0001
    public static let username: UInt16 = 0x0006
    public static let messageIntegrity: UInt16 = 0x0008
    public static let errorCode: UInt16 = 0x0009
    public static let xorMappedAddress: UInt16 = 0x0020
    public static let priority: UInt16 = 0x0024
    public static let useCandidate: UInt16 = 0x0025
    public static let software: UInt16 = 0x8022
    public static let fingerprint: UInt16 = 0x8028
    public static let iceControlled: UInt16 = 0x8029
    public static let iceControlling: UInt16 = 0x802A
}

/// A parsed or built STUN message. Attributes keep their order; values are raw bytes.
public struct STUNMessage: Equatable, Sendable {
    public static let magicCookie: UInt32 = 0x2112_A442
    public static let bindingMethod: UInt16 = 0x0001

    public var method: UInt16
    public var messageClass: STUNClass
    public var transactionID: [UInt8]
    public var attributes: [(type: UInt16, value: [UInt8])]

    public init(
        method: UInt16 = bindingMethod, messageClass: STUNClass, transactionID: [UInt8],
        attributes: [(UInt16, [UInt8])] = []
    ) {
        self.method = method
        self.messageClass = messageClass
        self.transactionID = transactionID
        self.attributes = attributes.map { (type: $0.0, value: $0.1) }
    }

    public static func == (a: STUNMessage, b: STUNMessage) -> Bool {
        a.method == b.method && a.messageClass == b.messageClass && a.transactionID == b.transactionID
            && a.attributes.map(\.type) == b.attributes.map(\.type)
            && a.attributes.map(\.value) == b.attributes.map(\.value)
    }

    public func attribute(_ type: UInt16) -> [UInt8]? { attributes.first { $0.type == type }?.value }

    public var username: String? { attribute(STUNAttribute.username).map { String(decoding: $0, as: UTF8.self) } }

    public var priority: UInt32? {
        guard let v = attribute(STUNAttribute.priority), v.count == 4 else { return nil }
        return UInt32(v[0]) << 24 | UInt32(v[1]) << 16 | UInt32(v[2]) << 8 | UInt32(v[3])
    }

    public var hasUseCandidate: Bool { attribute(STUNAttribute.useCandidate) != nil }

    /// Whether `bytes` look like STUN (first two bits zero and the magic cookie).
    public static func isSTUN(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 20 && bytes[0] & 0xc0 == 0 && bytes[4] == 0x21 && bytes[5] == 0x12 && bytes[6] == 0xA4
            && bytes[7] == 0x42
    }

    /// Parses a message; checks FINGERPRINT when present. Integrity is checked separately,
    /// because the key depends on the USERNAME.
    public static func parse(_ bytes: [UInt8]) throws(STUNError) -> STUNMessage {
        guard isSTUN(bytes) else { throw .notSTUN }
        let length = Int(bytes[2]) << 8 | Int(bytes[3])
        guard length % 4 == 0, bytes.count == 20 + length else { throw .truncated }
        let type = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        let classBits = type & 0x0110
        let method = (type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2)
        var attributes: [(UInt16, [UInt8])] = []
        var offset = 20
        while offset < bytes.count {
            guard offset + 4 <= bytes.count else { throw .truncated }
            let attributeType = UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
            let attributeLength = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            guard offset + 4 + attributeLength <= bytes.count else { throw .badAttribute(attributeType) }
            let value = Array(bytes[offset + 4..<offset + 4 + attributeLength])
            if attributeType == STUNAttribute.fingerprint {
                guard attributeLength == 4, offset + 8 == bytes.count else { throw .badFingerprint }
                let expected = CRC32.checksum(bytes[0..<offset]) ^ 0x5354_554E
                let got = UInt32(value[0]) << 24 | UInt32(value[1]) << 16 | UInt32(value[2]) << 8 | UInt32(value[3])
                guard expected == got else { throw .badFingerprint }
            }
            attributes.append((attributeType, value))
            offset += 4 + ((attributeLength + 3) & ~3)
        }
        guard offset == bytes.count else { throw .truncated }
        return STUNMessage(
            method: method, messageClass: STUNClass(rawValue: classBits)!, transactionID: Array(bytes[8..<20]),
            attributes: attributes)
    }

    /// Checks MESSAGE-INTEGRITY of the raw `bytes` with the short-term `key` (the ICE password).
    public static func verifyIntegrity(_ bytes: [UInt8], key: [UInt8]) throws(STUNError) {
        var offset = 20
        while offset + 4 <= bytes.count {
            let attributeType = UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
            let attributeLength = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            if attributeType == STUNAttribute.messageIntegrity {
                guard attributeLength == 20, offset + 24 <= bytes.count else { throw .badIntegrity }
                var covered = Array(bytes[0..<offset])
                let adjusted = offset + 24 - 20
                covered[2] = UInt8(adjusted >> 8)
                covered[3] = UInt8(adjusted & 0xff)
                guard hmacSHA1(key: key, data: covered) == Array(bytes[offset + 4..<offset + 24]) else {
                    throw .badIntegrity
                }
                return
            }
            offset += 4 + ((attributeLength + 3) & ~3)
        }
        throw .missingIntegrity
    }

    /// Serializes, appending MESSAGE-INTEGRITY (when `integrityKey` is given) and FINGERPRINT.
    public func serialize(integrityKey: [UInt8]? = nil, fingerprint: Bool = true) -> [UInt8] {
        let m = method
        let type = (m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) | messageClass.rawValue
        var out: [UInt8] = [UInt8(type >> 8), UInt8(type & 0xff), 0, 0, 0x21, 0x12, 0xA4, 0x42] + transactionID
        func append(_ attributeType: UInt16, _ value: [UInt8]) {
            out += [
                UInt8(attributeType >> 8), UInt8(attributeType & 0xff), UInt8(value.count >> 8),
                UInt8(value.count & 0xff),
            ]
            out += value
            out += [UInt8](repeating: 0, count: (4 - value.count % 4) % 4)
        }
        func setLength(_ length: Int) {
            out[2] = UInt8(length >> 8)
            out[3] = UInt8(length & 0xff)
        }
        for attribute in attributes { append(attribute.type, attribute.value) }
        if let key = integrityKey {
            setLength(out.count - 20 + 24)
            append(STUNAttribute.messageIntegrity, Self.hmacSHA1(key: key, data: out))
        }
        if fingerprint {
            setLength(out.count - 20 + 8)
            let crc = CRC32.checksum(out[...]) ^ 0x5354_554E
            append(
                STUNAttribute.fingerprint,
                [UInt8(crc >> 24), UInt8((crc >> 16) & 0xff), UInt8((crc >> 8) & 0xff), UInt8(crc & 0xff)])
        }
        setLength(out.count - 20)
        return out
    }

    /// XOR-MAPPED-ADDRESS for an IPv4 or IPv6 address.
    public static func xorMappedAddress(ip: [UInt8], port: UInt16, transactionID: [UInt8]) -> [UInt8] {
        let xport = port ^ 0x2112
        var out: [UInt8] = [0, ip.count == 4 ? 0x01 : 0x02, UInt8(xport >> 8), UInt8(xport & 0xff)]
        let mask: [UInt8] = [0x21, 0x12, 0xA4, 0x42] + transactionID
        for (i, byte) in ip.enumerated() { out.append(byte ^ mask[i]) }
        return out
    }

    /// Decodes XOR-MAPPED-ADDRESS into address bytes and port.
    public static func decodeXorMappedAddress(_ value: [UInt8], transactionID: [UInt8]) -> (ip: [UInt8], port: UInt16)?
    {
        guard value.count == 8 || value.count == 20 else { return nil }
        let port = (UInt16(value[2]) << 8 | UInt16(value[3])) ^ 0x2112
        let mask: [UInt8] = [0x21, 0x12, 0xA4, 0x42] + transactionID
        return (value[4...].enumerated().map { $1 ^ mask[$0] }, port)
    }

    static func hmacSHA1(key: [UInt8], data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 20)
        _ = copenssl_hmac_sha1(key, key.count, data, data.count, &out)
        return out
    }
}

/// CRC-32 (IEEE 802.3), as STUN's FINGERPRINT uses.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xff)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
