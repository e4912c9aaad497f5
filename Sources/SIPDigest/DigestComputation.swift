/// The request-digest of RFC 7616 §3.4.1 (RFC 2617 §3.2.2.1; RFC 2069 when there is no qop),
/// shared by the client, which sends it, and the server, which recomputes it.
struct DigestComputation {
    var algorithm: DigestAlgorithm
    var username: String
    var realm: String
    var password: String
    var nonce: String
    var method: String
    var uri: String
    /// "auth", "auth-int", or nil for the RFC 2069 form.
    var qop: String?
    /// Eight hex digits; ignored without a qop.
    var nonceCount: String = ""
    /// Ignored without a qop (and then a `-sess` algorithm cannot be computed).
    var cnonce: String = ""
    /// The message body, hashed into A2 for auth-int only.
    var body: [UInt8] = []

    /// H(A1) (RFC 7616 §3.4.2).
    var ha1: String {
        let base = algorithm.hexDigest("\(username):\(realm):\(password)")
        return algorithm.isSession ? algorithm.hexDigest("\(base):\(nonce):\(cnonce)") : base
    }

    /// H(A2) (RFC 7616 §3.4.3).
    var ha2: String {
        if qop == "auth-int" { return algorithm.hexDigest("\(method):\(uri):\(algorithm.hexDigest(body))") }
        return algorithm.hexDigest("\(method):\(uri)")
    }

    /// The lowercase hex `response` value.
    var response: String {
        guard let qop else { return algorithm.hexDigest("\(ha1):\(nonce):\(ha2)") }
        return algorithm.hexDigest("\(ha1):\(nonce):\(nonceCount):\(cnonce):\(qop):\(ha2)")
    }

    /// An nc value: eight lowercase hex digits.
    static func nonceCount(_ count: UInt32) -> String {
        let digits = String(count, radix: 16)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }
}
