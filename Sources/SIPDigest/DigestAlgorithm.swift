/// The hash a Digest challenge asks for (RFC 7616 §3.3, RFC 8760 §2).
///
/// The `-sess` variants hash the client nonce into A1 (RFC 7616 §3.4.2); they need a qop, so they
/// cannot be answered RFC 2069 style.
public enum DigestAlgorithm: String, Sendable, CaseIterable {
    case md5 = "MD5"
    case sha256 = "SHA-256"
    case md5Session = "MD5-sess"
    case sha256Session = "SHA-256-sess"

    /// The algorithm named by an `algorithm` parameter value, compared without regard to ASCII case;
    /// nil for unknown and unsupported ones (SHA-512-256 among them).
    init?(parameter value: String) {
        let lowered = DigestText.asciiLowercased(value)
        guard let match = Self.allCases.first(where: { DigestText.asciiLowercased($0.rawValue) == lowered }) else {
            return nil
        }
        self = match
    }

    /// Whether A1 is re-hashed with the server and client nonces.
    public var isSession: Bool { self == .md5Session || self == .sha256Session }

    /// Lowercase hex of the algorithm's hash of `bytes`.
    func hexDigest(_ bytes: [UInt8]) -> String {
        switch self {
        case .md5, .md5Session: DigestText.hex(DigestHash.md5(bytes))
        case .sha256, .sha256Session: DigestText.hex(DigestHash.sha256(bytes))
        }
    }

    /// Lowercase hex of the algorithm's hash of the UTF-8 of `text`.
    func hexDigest(_ text: String) -> String { hexDigest(Array(text.utf8)) }

    /// The length of `hexDigest` output.
    var hexLength: Int {
        switch self {
        case .md5, .md5Session: 32
        case .sha256, .sha256Session: 64
        }
    }
}
