import ContactCenter
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import ServiceLifecycle
import Storage
import Testing

@testable import GatewayServer

/// A gateway over a fresh data folder and a manual clock, for tests.
struct TestGateway {
    let services: GatewayServices
    let clock: ManualWallClock
    let key: String
    let directory: URL
    let store: SQLiteStore

    /// - Parameter storeSeenAs: what the services use in place of the SQLite store (a wrapper
    ///   that counts what is read, say); the store itself is still the one closed.
    static func make(
        directory: URL? = nil, webhook: (any WebhookTransport)? = nil,
        configure: (inout GatewayConfiguration) -> Void = { _ in },
        storeSeenAs: (SQLiteStore) -> any ContactCenterStore = { $0 }
    ) async throws -> TestGateway {
        let folder =
            directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("gw-test-\(UUID().uuidString)")
        var configuration = GatewayConfiguration()
        configuration.dataDirectory = folder.path
        configuration.httpPort = 0
        // The manual clock stands still: tests make their requests within one "second".
        configuration.maxRequestsPerSecondPerKey = 100_000
        configure(&configuration)
        let clock = ManualWallClock(Date())
        let store = try GatewayServer.openStore(configuration)
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let services = try await GatewayServices(
            configuration: configuration, store: storeSeenAs(store),
            tokenKey: try GatewayServer.tokenKey(configuration),
            clock: clock,
            webhookTransport: webhook, logger: logger)
        let (_, secret) = try await services.apiKeys.create(name: "test")
        return TestGateway(services: services, clock: clock, key: secret, directory: folder, store: store)
    }

    var cc: ContactCenter { services.contactCenter }

    func app() -> some ApplicationProtocol {
        GatewayApplication.make(
            services, extraServices: [EventRouter(hub: services.hub, events: services.contactCenter.events)])
    }

    /// Runs `body` against the router without sockets.
    func withClient(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await app().test(.router) { client in try await body(client) }
    }

    func close() async throws {
        try? await services.media.shutdown()
        try await store.close()
    }

    func agent(_ name: String, role: AgentRole = .AGENT) async throws -> Agent {
        try await cc.createAgent(
            .object(["displayName": .string(name), "status": "ACTIVE", "role": .string(role.rawValue)]),
            by: .integration
        ).agent
    }
}

/// A parsed test response.
struct Reply {
    let status: HTTPResponse.Status
    let json: JSONValue
    let text: String
    var headers: HTTPFields = [:]

    /// Style A validation errors for `field`.
    func validationErrors(_ field: String) -> [String] {
        json["requestError"]?["serviceException"]?["validationErrors"]?[field]?.strings() ?? []
    }
    var serviceText: String? { json["requestError"]?["serviceException"]?["text"]?.stringValue }
    var messageId: String? { json["requestError"]?["serviceException"]?["messageId"]?.stringValue }
    var statusMessage: String? { json["message"]?.stringValue }
}

extension TestClientProtocol {
    func call(
        _ method: HTTPRequest.Method, _ uri: String, key: String?, agent: String? = nil, body: String? = nil,
        raw: [UInt8]? = nil
    ) async throws -> Reply {
        var headers: HTTPFields = [:]
        if let key { headers[.authorization] = "App \(key)" }
        if let agent { headers[HTTPField.Name("x-agent-id")!] = agent }
        var buffer: ByteBuffer?
        if let body {
            headers[.contentType] = "application/json"
            buffer = ByteBuffer(string: body)
        } else if let raw {
            buffer = ByteBuffer(bytes: raw)
        }
        return try await execute(uri: uri, method: method, headers: headers, body: buffer) { response in
            let text = String(buffer: response.body)
            return Reply(
                status: response.status, json: JSONValue.parse(Data(text.utf8)) ?? .null, text: text,
                headers: response.headers)
        }
    }
}

extension JSONValue {
    func strings() -> [String] {
        if case .array(let items) = self { return items.compactMap(\.stringValue) }
        return []
    }
    var array: [JSONValue] {
        if case .array(let items) = self { return items }
        return []
    }
}
