import AsyncHTTPClient
import NIOConcurrencyHelpers
import NIOSSL

/// How the headless agent trusts a gateway served over HTTPS and WSS: the system's trust store,
/// or a PEM file of certificates (`--ca-file`: a private CA, or the gateway's own self-signed
/// development certificate).
enum GatewayTrust {
    /// The TLS client settings for `file`; nil (the system's) when no file is given.
    static func tlsConfiguration(_ file: String?) -> TLSConfiguration? {
        guard let file else { return nil }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .file(file)
        return configuration
    }

    /// One HTTP client per trusted file, kept for the life of the process: an AsyncHTTPClient
    /// client must be shut down before it is freed, and these never are.
    static func httpClient(_ file: String?) -> HTTPClient {
        guard let file, let tls = tlsConfiguration(file) else { return HTTPClient.shared }
        return clients.withLockedValue { clients in
            if let client = clients[file] { return client }
            let client = HTTPClient(
                eventLoopGroupProvider: .singleton, configuration: HTTPClient.Configuration(tlsConfiguration: tls))
            clients[file] = client
            return client
        }
    }

    private static let clients = NIOLockedValueBox<[String: HTTPClient]>([:])
}
