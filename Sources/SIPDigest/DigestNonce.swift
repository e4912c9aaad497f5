/// Self-validating server nonces: the issue time, a random salt and a truncated
/// HMAC-SHA256 over both and the realm, in lowercase hex. The server keeps no state: a nonce is
/// ours when its MAC checks out, and its age comes from the timestamp inside.
enum DigestNonce {
    private static let timestampLength = 8
    private static let saltLength = 8
    private static let macLength = 16
    private static let length = timestampLength + saltLength + macLength
    private static let label = Array("SIPDigest nonce v1".utf8)

    /// A fresh nonce issued at `now` (seconds) for `realm`.
    static func make(now: Double, realm: String, secret: [UInt8], salt: [UInt8] = DigestHash.random(saltLength))
        -> String
    {
        var payload = bigEndianBytes(milliseconds(now))
        payload += salt.prefix(saltLength)
        payload += [UInt8](repeating: 0, count: timestampLength + saltLength - payload.count)
        return DigestText.hex(payload + mac(payload, realm: realm, secret: secret))
    }

    /// When `nonce` was issued (seconds), or nil when it is not one of ours for `realm` and `secret`.
    static func issuedAt(_ nonce: String, realm: String, secret: [UInt8]) -> Double? {
        guard nonce.utf8.count == length * 2, let bytes = DigestText.bytes(hex: nonce) else { return nil }
        let payload = Array(bytes[0..<(timestampLength + saltLength)])
        let presented = Array(bytes[(timestampLength + saltLength)...])
        guard DigestHash.constantTimeEqual(presented, mac(payload, realm: realm, secret: secret)) else { return nil }
        let millis = payload[0..<timestampLength].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return Double(millis) / 1000
    }

    private static func mac(_ payload: [UInt8], realm: String, secret: [UInt8]) -> [UInt8] {
        Array(DigestHash.hmacSHA256(key: secret, label + payload + Array(realm.utf8)).prefix(macLength))
    }

    /// Whole milliseconds in `seconds`, clamped to 0…2^53 (NaN and negatives give 0).
    private static func milliseconds(_ seconds: Double) -> UInt64 {
        let millis = (seconds * 1000).rounded(.down)
        guard millis.isFinite, millis > 0 else { return 0 }
        return UInt64(min(millis, 9_007_199_254_740_992))
    }

    private static func bigEndianBytes(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64($0))) }
    }
}
