import ContactCenter
import Hummingbird
import Logging

/// A query parameter as documented in the OpenAPI document.
public struct QueryParameter: Sendable {
    public var name: String
    public var schema: Schema
    public var description: String
    public init(_ name: String, _ schema: Schema, _ description: String) {
        self.name = name
        self.schema = schema
        self.description = description
    }
}

/// One REST operation: how it is routed, documented and authenticated. The router and the
/// OpenAPI document are both built from the same list, so they cannot drift apart.
public struct Endpoint: Sendable {
    public enum Access: Sendable {
        /// No credentials (health, metrics, the OpenAPI document, the SDK and pages).
        case open
        /// `Authorization: App <key>`, with an optional `x-agent-id`.
        case apiKey
        /// As `apiKey`; without an `Authorization` header the handler checks a signed link
        /// instead (a recording's download URL given to a supervisor page).
        case apiKeyOrSignedLink
        /// As `apiKey`, or `Authorization: Bearer <token>` with an agent's WebRTC token: the
        /// request acts as that agent (as `x-agent-id` would), so an agent's page can use it.
        case apiKeyOrAgentToken

        /// Whether the API key is checked when the request carries `Authorization`.
        var takesAPIKey: Bool { self != .open }
    }

    public var method: HTTPRequest.Method
    /// OpenAPI form, e.g. `/ccaas/1/agents/{agentId}`.
    public var path: String
    public var summary: String
    public var tag: String
    public var access: Access
    public var requestSchema: Schema?
    /// Media type of the request body when it is not JSON (e.g. `audio/wav`).
    public var rawBodyType: String?
    public var query: [QueryParameter]
    public var responseDescription: String
    public var handler: @Sendable (Request, GatewayRequestContext) async throws -> Response

    public init(
        _ method: HTTPRequest.Method, _ path: String, _ summary: String, tag: String, access: Access = .apiKey,
        body: Schema? = nil, rawBodyType: String? = nil, query: [QueryParameter] = [], returns: String = "OK",
        handler: @escaping @Sendable (Request, GatewayRequestContext) async throws -> Response
    ) {
        self.method = method
        self.path = path
        self.summary = summary
        self.tag = tag
        self.access = access
        self.requestSchema = body
        self.rawBodyType = rawBodyType
        self.query = query
        self.responseDescription = returns
        self.handler = handler
    }

    /// Hummingbird's form of the path: `{agentId}` becomes `:agentId`.
    public var routerPath: String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { part in
            part.hasPrefix("{") && part.hasSuffix("}") ? ":" + part.dropFirst().dropLast() : String(part)
        }.joined(separator: "/")
    }

    public var errorStyle: ErrorStyle { .forPath(path) }

    public var pathParameters: [String] {
        path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) }
    }
}

extension GatewayRequestContext {
    /// A path parameter that the route guarantees exists.
    func parameter(_ name: String) throws -> String {
        guard let value = parameters.get(name), !value.isEmpty else { throw APIError.badRequest("\(name) is required") }
        return value
    }
}
