import Foundation
import NIOConcurrencyHelpers
import NIOSSL

/// The certificate chain and private key the gateway serves HTTPS, WSS and SIP over TLS with,
/// read from PEM files and read again by `reload()` (on SIGHUP): connections accepted after a
/// reload get the new certificate, those already open keep theirs.
///
/// It also holds the client side used towards TLS trunks: the same certificate (for trunks that
/// ask for one) and the trust roots trunks' certificates are checked against.
public final class TLSCredentials: Sendable {
    /// What is loaded now.
    public struct Loaded: Sendable {
        public let server: NIOSSLContext
        public let client: NIOSSLContext
        /// SHA-256 of the leaf certificate's DER, hex with colons (as `openssl x509 -fingerprint`).
        public let fingerprint: String
        /// When the leaf certificate expires.
        public let notValidAfter: Date
    }

    public let certificateFile: String
    public let keyFile: String
    /// PEM file of the certificate authorities a trunk's certificate must chain to; nil: the system's.
    public let trustedCertificatesFile: String?
    private let current: NIOLockedValueBox<Loaded>

    /// Reads the files. Throws `ConfigurationError` naming the key whose file is missing or bad,
    /// or whose certificate has expired by `now`.
    public init(
        certificateFile: String, keyFile: String, trustedCertificatesFile: String? = nil, now: Date = Date()
    ) throws {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
        self.trustedCertificatesFile = trustedCertificatesFile
        current = NIOLockedValueBox(
            try Self.load(
                certificateFile: certificateFile, keyFile: keyFile, trusted: trustedCertificatesFile, now: now))
    }

    /// What new connections use.
    public var loaded: Loaded { current.withLockedValue { $0 } }

    /// Reads the files again; on any error the loaded certificate stays and the error is thrown.
    @discardableResult
    public func reload(now: Date = Date()) throws -> Loaded {
        let fresh = try Self.load(
            certificateFile: certificateFile, keyFile: keyFile, trusted: trustedCertificatesFile, now: now)
        current.withLockedValue { $0 = fresh }
        return fresh
    }

    static func load(certificateFile: String, keyFile: String, trusted: String?, now: Date) throws -> Loaded {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(Array(try read(certificateFile, key: "tlsCertificateFile")))
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError(
                key: "tlsCertificateFile", message: "\(certificateFile) holds no PEM certificate (\(error))")
        }
        guard let leaf = chain.first else {
            throw ConfigurationError(key: "tlsCertificateFile", message: "\(certificateFile) holds no PEM certificate")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(bytes: Array(try read(keyFile, key: "tlsKeyFile")), format: .pem)
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError(
                key: "tlsKeyFile", message: "\(keyFile) holds no unencrypted PEM private key (\(error))")
        }
        let expiry = Date(timeIntervalSince1970: TimeInterval(leaf.notValidAfter))
        guard expiry > now else {
            throw ConfigurationError(
                key: "tlsCertificateFile", message: "the certificate in \(certificateFile) expired at \(expiry)")
        }
        var server = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        server.minimumTLSVersion = .tlsv12
        server.applicationProtocols = ["http/1.1"]
        var client = TLSConfiguration.makeClientConfiguration()
        client.minimumTLSVersion = .tlsv12
        client.certificateChain = chain.map { .certificate($0) }
        client.privateKey = .privateKey(key)
        if let trusted {
            guard FileManager.default.isReadableFile(atPath: trusted) else {
                throw ConfigurationError(key: "sipTLSTrustedCertificatesFile", message: "cannot read \(trusted)")
            }
            client.trustRoots = .file(trusted)
        }
        let serverContext: NIOSSLContext
        do {
            serverContext = try NIOSSLContext(configuration: server)
        } catch {
            throw ConfigurationError(
                key: "tlsKeyFile",
                message: "the key in \(keyFile) does not fit the certificate in \(certificateFile) (\(error))")
        }
        let clientContext: NIOSSLContext
        do {
            clientContext = try NIOSSLContext(configuration: client)
        } catch {
            throw ConfigurationError(
                key: "sipTLSTrustedCertificatesFile", message: "\(trusted ?? "the system's trust roots"): \(error)")
        }
        let digest = CryptoPrimitives.sha256(try leaf.toDERBytes())
        let fingerprint = digest.map { String(format: "%02X", $0) }.joined(separator: ":")
        return Loaded(server: serverContext, client: clientContext, fingerprint: fingerprint, notValidAfter: expiry)
    }

    private static func read(_ path: String, key: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(key: key, message: "cannot read \(path)")
        }
        return data
    }
}
