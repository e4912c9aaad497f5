import Foundation
import Testing

@testable import GatewayServer

/// The TLS settings and certificate loading: what start-up refuses (each naming its key), what a
/// reload swaps, and what a failed reload keeps.
@Suite struct TLSCredentialsTests {
    /// A fresh self-signed P-256 certificate and key by the openssl command (as Certs/ makes them).
    static func makeCertificate(in folder: URL, name: String = "dev", days: Int = 30) throws -> (
        cert: String, key: String
    ) {
        let cert = folder.appendingPathComponent("\(name)-cert.pem").path
        let key = folder.appendingPathComponent("\(name)-key.pem").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "\(days)",
            "-keyout", key, "-out", cert, "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
        ]
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "openssl made the certificate")
        return (cert, key)
    }

    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func refusal(_ body: () throws -> Void) -> ConfigurationError? {
        do {
            try body()
            return nil
        } catch let error as ConfigurationError {
            return error
        } catch {
            Issue.record("not a ConfigurationError: \(error)")
            return nil
        }
    }

    @Test func settingsGoTogetherAndNameWhatIsMissing() throws {
        let both = try GatewayConfiguration.load(
            file: nil,
            environment: [
                "GATEWAY_TLS_CERTIFICATE_FILE": "/c.pem", "GATEWAY_TLS_KEY_FILE": "/k.pem",
                "GATEWAY_SIP_TLS_PORT": "5061",
                "GATEWAY_SIP_TLS_TRUSTED_CERTIFICATES_FILE": "/ca.pem",
            ])
        #expect(both.tlsCertificateFile == "/c.pem" && both.tlsKeyFile == "/k.pem" && both.sipTLSPort == 5061)
        #expect(both.sipTLSTrustedCertificatesFile == "/ca.pem")
        #expect(
            Self.refusal {
                _ = try GatewayConfiguration.load(file: nil, environment: ["GATEWAY_TLS_KEY_FILE": "/k.pem"])
            }
                == ConfigurationError(key: "tlsCertificateFile", message: "must be set together with tlsKeyFile"))
        #expect(
            Self.refusal {
                _ = try GatewayConfiguration.load(file: nil, environment: ["GATEWAY_TLS_CERTIFICATE_FILE": "/c.pem"])
            } == ConfigurationError(key: "tlsKeyFile", message: "must be set together with tlsCertificateFile"))
        #expect(
            Self.refusal { _ = try GatewayConfiguration.load(file: nil, environment: ["GATEWAY_SIP_TLS_PORT": "5061"]) }
                == ConfigurationError(key: "sipTLSPort", message: "needs tlsCertificateFile and tlsKeyFile"))
        let samePort = [
            "GATEWAY_TLS_CERTIFICATE_FILE": "/c.pem", "GATEWAY_TLS_KEY_FILE": "/k.pem", "GATEWAY_SIP_TLS_PORT": "5060",
        ]
        #expect(
            Self.refusal { _ = try GatewayConfiguration.load(file: nil, environment: samePort) }?.key == "sipTLSPort")
        #expect(
            Self.refusal {
                _ = try GatewayConfiguration.load(file: nil, environment: ["GATEWAY_SIP_TLS_PORT": "70000"])
            }?
            .message == "must be between 0 and 65535, got 70000")
        let emptied = try GatewayConfiguration.load(file: nil, environment: ["GATEWAY_TLS_CERTIFICATE_FILE": ""])
        #expect(emptied.tlsCertificateFile == nil, "empty means unset")
    }

    @Test func withTLSOnlyClearTextSIPIsExposed() {
        var configuration = GatewayConfiguration()
        configuration.bindAddress = "0.0.0.0"
        configuration.sipAddress = "10.0.0.2"
        configuration.tlsCertificateFile = "/c.pem"
        configuration.tlsKeyFile = "/k.pem"
        #expect(configuration.clearTextExposure?.key == "sipAddress", "HTTPS is fine; SIP on 5060 is not")
        configuration.sipPort = 0
        configuration.sipTLSPort = 5061
        #expect(configuration.clearTextExposure == nil, "SIP over TLS only, HTTPS: nothing in clear text")
        #expect(configuration.demoDataExposure?.key == "seedDemoData", "the demo accounts stay on loopback")
        configuration.seedDemoData = false
        #expect(configuration.demoDataExposure == nil)
        configuration.bindAddress = "127.0.0.1"
        configuration.seedDemoData = true
        #expect(configuration.demoDataExposure == nil)
    }

    @Test func theProductionExampleIsValidAndServesNothingInClearText() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Examples/gateway-production.json").path
        let configuration = try GatewayConfiguration.load(file: path, environment: [:])
        #expect(configuration.bindAddress == "0.0.0.0" && configuration.tlsCertificateFile != nil)
        #expect(configuration.sipPort == 0 && configuration.sipTLSPort == 5061)
        #expect(configuration.clearTextExposure == nil && configuration.demoDataExposure == nil)
        #expect(configuration.sipTrunks.first?["transport"]?.stringValue == "TLS")
        #expect(configuration.sipTrunks.first?["mediaEncryption"]?.stringValue == "SDES")
    }

    @Test func loadsAndReloadsAndKeepsTheOldOneWhenTheNewOneIsBroken() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (cert, key) = try Self.makeCertificate(in: folder)
        let credentials = try TLSCredentials(certificateFile: cert, keyFile: key)
        let first = credentials.loaded.fingerprint
        #expect(first.count == 32 * 3 - 1 && first.split(separator: ":").count == 32)
        #expect(credentials.loaded.notValidAfter > Date().addingTimeInterval(29 * 86_400))

        _ = try Self.makeCertificate(in: folder)  // renewed in place
        let renewed = try credentials.reload()
        #expect(renewed.fingerprint != first && credentials.loaded.fingerprint == renewed.fingerprint)

        try Data("not a key\n".utf8).write(to: URL(fileURLWithPath: key))
        #expect(Self.refusal { try credentials.reload() }?.key == "tlsKeyFile")
        #expect(credentials.loaded.fingerprint == renewed.fingerprint, "the renewed certificate still serves")
    }

    @Test func badFilesAreRefusedNamingTheirKey() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (cert, key) = try Self.makeCertificate(in: folder)
        let (_, otherKey) = try Self.makeCertificate(in: folder, name: "other")
        let missing = folder.appendingPathComponent("missing.pem").path
        let garbage = folder.appendingPathComponent("garbage.pem").path
        try Data("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n".utf8).write(
            to: URL(fileURLWithPath: garbage))

        let noFile = Self.refusal { _ = try TLSCredentials(certificateFile: missing, keyFile: key) }
        #expect(noFile == ConfigurationError(key: "tlsCertificateFile", message: "cannot read \(missing)"))
        #expect(
            Self.refusal { _ = try TLSCredentials(certificateFile: garbage, keyFile: key) }?.message.hasPrefix(
                "\(garbage) holds no PEM certificate") == true)
        #expect(
            Self.refusal { _ = try TLSCredentials(certificateFile: cert, keyFile: missing) }
                == ConfigurationError(key: "tlsKeyFile", message: "cannot read \(missing)"))
        #expect(
            Self.refusal { _ = try TLSCredentials(certificateFile: cert, keyFile: cert) }?.message.hasPrefix(
                "\(cert) holds no unencrypted PEM private key") == true)
        let mismatch = Self.refusal { _ = try TLSCredentials(certificateFile: cert, keyFile: otherKey) }
        #expect(mismatch?.key == "tlsKeyFile")
        #expect(mismatch?.message.hasPrefix("the key in \(otherKey) does not fit the certificate in \(cert)") == true)
        let expired = Self.refusal {
            _ = try TLSCredentials(certificateFile: cert, keyFile: key, now: Date().addingTimeInterval(31 * 86_400))
        }
        #expect(expired?.key == "tlsCertificateFile")
        #expect(expired?.message.hasPrefix("the certificate in \(cert) expired at") == true)
        #expect(
            Self.refusal {
                _ = try TLSCredentials(certificateFile: cert, keyFile: key, trustedCertificatesFile: missing)
            }
                == ConfigurationError(key: "sipTLSTrustedCertificatesFile", message: "cannot read \(missing)"))
    }
}
