import COpenSSL

/// The gateway's DTLS identity: an ECDSA P-256 key and a self-signed certificate made at start,
/// and the DTLS context that presents them.
/// `@unchecked Sendable`: every stored property is a `let` set in `init` (OpenSSL objects that are
/// only read after; OpenSSL's SSL_CTX is safe to share between threads once configured).
public final class DTLSCertificate: @unchecked Sendable {
    // Immutable after init; OpenSSL contexts are safe to share for creating sessions.
    let key: OpaquePointer
    let certificate: OpaquePointer
    let context: OpaquePointer
    /// SHA-256 fingerprint as SDP writes it: upper-case hex pairs joined by colons.
    public let fingerprint: String

    /// SRTP profiles offered, in preference order.
    public static let srtpProfiles = "SRTP_AES128_CM_SHA1_80:SRTP_AEAD_AES_128_GCM"

    public init(commonName: String = "callgateway", days: Int = 30) throws(DTLSError) {
        var key: OpaquePointer?
        var certificate: OpaquePointer?
        guard copenssl_make_certificate(commonName, Int32(days), &key, &certificate) == 1, let key, let certificate
        else {
            throw .setup("cannot make a DTLS certificate")
        }
        var digest = [UInt8](repeating: 0, count: 32)
        _ = copenssl_certificate_sha256(certificate, &digest)
        guard let context = copenssl_dtls_context(certificate, key, Self.srtpProfiles) else {
            X509_free(certificate)
            EVP_PKEY_free(key)
            throw .setup("cannot make a DTLS context")
        }
        self.key = key
        self.certificate = certificate
        self.context = context
        self.fingerprint = Self.format(digest)
    }

    deinit {
        SSL_CTX_free(context)
        X509_free(certificate)
        EVP_PKEY_free(key)
    }

    static func format(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789ABCDEF")
        return digest.map { String([digits[Int($0 >> 4)], digits[Int($0 & 0xf)]]) }.joined(separator: ":")
    }
}

/// Why DTLS failed.
public enum DTLSError: Error, Equatable, Sendable, CustomStringConvertible {
    case setup(String)
    case handshakeFailed(String)
    case fingerprintMismatch
    case noSRTPProfile
    case timedOut
    case closed

    public var description: String {
        switch self {
        case .setup(let why): "DTLS setup failed: \(why)"
        case .handshakeFailed(let why): "DTLS handshake failed: \(why)"
        case .fingerprintMismatch: "DTLS peer certificate does not match the SDP fingerprint"
        case .noSRTPProfile: "DTLS peer negotiated no SRTP protection profile"
        case .timedOut: "DTLS handshake timed out"
        case .closed: "DTLS peer closed the association"
        }
    }
}
