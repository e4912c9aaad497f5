/// Server side of Digest authentication (RFC 7616, RFC 3261 §22.4): issues challenges and verifies
/// answers, for SIP trunks that must authenticate to us.
///
/// Stateless: nonces carry their issue time under an HMAC keyed with `secret`, so any instance
/// sharing the secret can verify them. Being stateless, it does not track nonce counts: pass
/// answers that verify to a `DigestReplayGuard`, which refuses one played again. It does not compare
/// the digest `uri` with the Request-URI either (RFC 3261 URI equality is the SIP layer's job).
/// Always offers qop=auth and requires it in answers.
public struct DigestServer: Sendable {
    /// The protection space (control characters removed).
    public let realm: String
    /// The algorithm challenges name and answers must use.
    public let algorithm: DigestAlgorithm
    /// Seconds a nonce stays fresh; older right answers verify as `.stale`.
    public let nonceLifetime: Double
    private let secret: [UInt8]

    /// A server for `realm` keyed with `secret` (at least 16 random bytes, shared by every instance
    /// that must accept the same nonces).
    public init(realm: String, secret: [UInt8], algorithm: DigestAlgorithm = .md5, nonceLifetime: Double = 300) {
        self.realm = String(String.UnicodeScalarView(realm.unicodeScalars.filter { !Self.isControl($0) }))
        self.secret = secret
        self.algorithm = algorithm
        self.nonceLifetime = nonceLifetime
    }

    /// A WWW-Authenticate value; the nonce is self-validating (timestamp + HMAC-SHA256 of it with
    /// `secret`), so no server state. Use the same value for Proxy-Authenticate.
    /// - Parameters:
    ///   - now: seconds since any fixed epoch, the same one `verify` gets.
    ///   - stale: true when answering a `.stale` verification.
    public func challenge(now: Double, stale: Bool = false) -> String {
        let nonce = DigestNonce.make(now: now, realm: realm, secret: secret)
        let quotedRealm = DigestText.quoted(realm) ?? "\"\""
        var value = "Digest realm=\(quotedRealm), nonce=\"\(nonce)\", algorithm=\(algorithm.rawValue), qop=\"auth\""
        if stale { value += ", stale=true" }
        return value
    }

    /// Checks an Authorization / Proxy-Authorization value against a request made with `method`.
    ///
    /// The response is checked before the nonce's age, so `.stale` means the password was right.
    /// - Parameters:
    ///   - password: the password of a username, nil for unknown users.
    ///   - now: seconds since the epoch `challenge` was given.
    public func verify(
        _ authorization: String, method: String, password: (String) -> String?, now: Double
    ) -> DigestVerification {
        guard let all = DigestHeaderParser.parse(authorization) else { return .invalid("malformed header") }
        let digests = all.filter(\.isDigest)
        guard let fields = digests.first(where: { $0["realm"] == realm }) ?? digests.first else {
            return .invalid("not Digest credentials")
        }
        for name in ["username", "realm", "nonce", "uri", "response"] where fields[name] == nil {
            return .invalid("missing \(name)")
        }
        guard let username = fields["username"], let nonce = fields["nonce"], let uri = fields["uri"],
            let response = fields["response"]
        else { return .invalid("malformed header") }
        guard fields["realm"] == realm else { return .invalid("realm mismatch") }
        let named = fields["algorithm"].map { DigestAlgorithm(parameter: $0) } ?? .md5
        guard named == algorithm else { return .invalid("algorithm mismatch") }
        if let userhash = fields["userhash"], DigestText.asciiLowercased(userhash) == "true" {
            return .invalid("userhash unsupported")
        }
        guard fields["qop"].map(DigestText.asciiLowercased) == "auth" else { return .invalid("unsupported qop") }
        guard let nonceCount = fields["nc"], nonceCount.utf8.count == 8, DigestText.bytes(hex: nonceCount) != nil
        else { return .invalid("bad nonce count") }
        guard let cnonce = fields["cnonce"], !cnonce.isEmpty else { return .invalid("missing cnonce") }
        guard let issuedAt = DigestNonce.issuedAt(nonce, realm: realm, secret: secret) else {
            return .invalid("foreign nonce")
        }
        guard let password = password(username) else { return .invalid("unknown user") }

        let expected = DigestComputation(
            algorithm: algorithm, username: username, realm: realm, password: password, nonce: nonce,
            method: method, uri: uri, qop: "auth", nonceCount: nonceCount, cnonce: cnonce
        ).response
        let presented = Array(DigestText.asciiLowercased(response).utf8)
        guard DigestHash.constantTimeEqual(presented, Array(expected.utf8)) else { return .invalid("wrong response") }

        let age = now - issuedAt
        guard abs(age) <= nonceLifetime else { return .stale }
        return .valid(username: username)
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value == 0x7F || (scalar.value < 0x20 && scalar.value != 0x09)
    }
}
