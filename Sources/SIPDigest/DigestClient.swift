/// Answers Digest challenges (RFC 7616 §3.4, RFC 3261 §22.2–22.3): builds Authorization and
/// Proxy-Authorization values.
public enum DigestClient {
    /// The Authorization / Proxy-Authorization header value answering `challenge` (the raw
    /// WWW-Authenticate or Proxy-Authenticate value), or nil when it cannot be answered.
    ///
    /// qop=auth is preferred when offered, then auth-int (which hashes `body`, the message body);
    /// with no qop the answer is RFC 2069 style (no nc, no cnonce). Returns nil for a challenge
    /// that does not parse, that offers only unknown qop values, that asks for a `-sess` algorithm
    /// without a qop, when a qop is used but `cnonce` is empty, when `method` is not a token, or
    /// when a field would carry control characters (CR, LF …) into the header.
    /// - Parameters:
    ///   - nonceCount: how many requests (this one included) have used this nonce; 1 for the first.
    ///   - cnonce: an unguessable client nonce, fresh per challenge.
    public static func authorization(
        challenge: String, credentials: DigestCredentials, method: String, uri: String,
        body: [UInt8], nonceCount: UInt32, cnonce: String
    ) -> String? {
        guard let parsed = DigestChallenge.parse(challenge) else { return nil }
        return authorization(
            challenge: parsed, credentials: credentials, method: method, uri: uri, body: body,
            nonceCount: nonceCount, cnonce: cnonce)
    }

    /// The answer to an already parsed `challenge`; see the overload taking the raw header value.
    public static func authorization(
        challenge: DigestChallenge, credentials: DigestCredentials, method: String, uri: String,
        body: [UInt8], nonceCount: UInt32, cnonce: String
    ) -> String? {
        let qop: String?
        if challenge.qop.isEmpty {
            guard !challenge.algorithm.isSession else { return nil }
            qop = nil
        } else if challenge.qop.contains("auth") {
            qop = "auth"
        } else if challenge.qop.contains("auth-int") {
            qop = "auth-int"
        } else {
            return nil
        }
        guard DigestText.isToken(method), !uri.isEmpty else { return nil }
        if qop != nil, cnonce.isEmpty { return nil }

        let computation = DigestComputation(
            algorithm: challenge.algorithm, username: credentials.username, realm: challenge.realm,
            password: credentials.password, nonce: challenge.nonce, method: method, uri: uri, qop: qop,
            nonceCount: DigestComputation.nonceCount(nonceCount), cnonce: cnonce, body: body)

        guard let username = DigestText.quoted(credentials.username),
            let realm = DigestText.quoted(challenge.realm),
            let nonce = DigestText.quoted(challenge.nonce),
            let quotedURI = DigestText.quoted(uri)
        else { return nil }
        var parts = [
            "username=\(username)", "realm=\(realm)", "nonce=\(nonce)", "uri=\(quotedURI)",
            "response=\"\(computation.response)\"", "algorithm=\(challenge.algorithm.rawValue)",
        ]
        if qop != nil {
            guard let quotedCnonce = DigestText.quoted(cnonce) else { return nil }
            parts.append("cnonce=\(quotedCnonce)")
        }
        if let opaque = challenge.opaque {
            guard let quotedOpaque = DigestText.quoted(opaque) else { return nil }
            parts.append("opaque=\(quotedOpaque)")
        }
        if let qop {
            parts.append("qop=\(qop)")
            parts.append("nc=\(computation.nonceCount)")
        }
        return "Digest " + parts.joined(separator: ", ")
    }
}
