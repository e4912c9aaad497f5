/// A parsed WWW-Authenticate / Proxy-Authenticate Digest challenge (RFC 7616 §3.3, RFC 3261 §22.4).
public struct DigestChallenge: Sendable, Equatable {
    /// The protection space, shown to users and hashed into A1.
    public var realm: String
    /// The server nonce, echoed back and hashed into the response.
    public var nonce: String
    /// Opaque server data to be echoed back unchanged, if the server sent any.
    public var opaque: String?
    /// The hash to use; MD5 when the challenge names none.
    public var algorithm: DigestAlgorithm
    /// The offered quality-of-protection values, lowercased ("auth", "auth-int" …); empty when none.
    public var qop: [String]
    /// Whether the previous answer was right but its nonce had expired (retry without asking the user).
    public var stale: Bool

    /// A challenge with the given fields.
    public init(
        realm: String, nonce: String, opaque: String? = nil, algorithm: DigestAlgorithm = .md5, qop: [String] = [],
        stale: Bool = false
    ) {
        self.realm = realm
        self.nonce = nonce
        self.opaque = opaque
        self.algorithm = algorithm
        self.qop = qop
        self.stale = stale
    }

    /// nil for anything that is not a well-formed Digest challenge with a supported algorithm (never traps).
    ///
    /// When the value carries several challenges, the first Digest one with a supported algorithm wins.
    public static func parse(_ headerValue: String) -> DigestChallenge? {
        guard let challenges = DigestHeaderParser.parse(headerValue) else { return nil }
        for fields in challenges where fields.isDigest {
            if let challenge = DigestChallenge(fields: fields) { return challenge }
        }
        return nil
    }

    init?(fields: DigestHeaderFields) {
        guard fields.isDigest, let realm = fields["realm"], let nonce = fields["nonce"] else { return nil }
        var algorithm = DigestAlgorithm.md5
        if let name = fields["algorithm"] {
            guard let named = DigestAlgorithm(parameter: name) else { return nil }
            algorithm = named
        }
        self.init(
            realm: realm, nonce: nonce, opaque: fields["opaque"], algorithm: algorithm,
            qop: Self.qopList(fields["qop"]),
            stale: fields["stale"].map { DigestText.asciiLowercased($0) == "true" } ?? false)
    }

    /// The comma-separated qop-options as lowercased, trimmed, non-empty values.
    static func qopList(_ value: String?) -> [String] {
        guard let value else { return [] }
        return value.split(separator: ",").compactMap { item in
            let trimmed = item.trimmingCharacters(in: " \t\r\n")
            return trimmed.isEmpty ? nil : DigestText.asciiLowercased(trimmed)
        }
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        let scalars = Set(set.unicodeScalars)
        var view = self.unicodeScalars[...]
        while let first = view.first, scalars.contains(first) { view = view.dropFirst() }
        while let last = view.last, scalars.contains(last) { view = view.dropLast() }
        return String(view)
    }
}
