import ContactCenter
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle

/// Builds the Hummingbird application: every REST endpoint, the signaling WebSocket and the
/// static SDK and pages.
public enum GatewayApplication {
    /// All REST endpoints, in the order they are documented.
    public static func endpoints(_ services: GatewayServices) -> [Endpoint] {
        SystemRoutes.endpoints(services) + TokenRoutes.endpoints(services) + AgentRoutes.endpoints(services)
            + QueueStatisticsRoutes.endpoints(services) + QueueRoutes.endpoints(services)
            + WorkingHoursRoutes.endpoints(services)
            + ConversationRoutes.endpoints(services) + NoteRoutes.endpoints(services)
            + WrapUpRoutes.endpoints(services) + VoiceSettingsRoutes.endpoints(services)
            + WaitingStrategyRoutes.endpoints(services) + AudioRoutes.endpoints(services)
            + CallRoutes.endpoints(services) + TransferRoutes.endpoints(services)
            + MonitorRoutes.endpoints(services) + RecordingRoutes.endpoints(services)
            + SIPTrunkRoutes.endpoints(services) + SignInRoutes.endpoints(services)
            + SDKRoutes.endpoints(services)
    }

    /// The REST router, and the `METHOD path` of every route registered on it.
    public static func router(_ services: GatewayServices) -> (router: Router<GatewayRequestContext>, routes: [String])
    {
        let router = Router(context: GatewayRequestContext.self)
        let all = endpoints(services)
        router.add(middleware: ConnectionLimitMiddleware(limit: services.connections, metrics: services.metrics))
        router.add(middleware: UnmatchedRouteMiddleware(endpoints: all))
        var routes: [String] = []
        for endpoint in all {
            let handler = wrap(endpoint, services: services)
            router.on(RouterPath(endpoint.routerPath), method: endpoint.method, use: handler)
            routes.append("\(endpoint.method.rawValue) \(endpoint.path)")
        }
        return (router, routes)
    }

    /// The application, listening where the configuration says.
    public static func make(
        _ services: GatewayServices, extraServices: [any Service] = [],
        onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let (router, _) = router(services)
        let webSocketRouter = Router(context: GatewayRequestContext.self)
        SignalingEndpoint.install(on: webSocketRouter, services: services)
        let configuration = services.configuration
        return Application(
            router: router,
            server: .http1WebSocketUpgrade(
                webSocketRouter: webSocketRouter,
                webSocket: .init(maxFrameSize: configuration.maxWebSocketFrameBytes),
                idleTimeout: .seconds(Int64(configuration.httpIdleTimeoutSeconds)), tls: services.tls,
                metrics: services.metrics, perAddress: services.connectionsPerAddress),
            configuration: .init(
                address: .hostname(configuration.bindAddress, port: configuration.httpPort), serverName: "callgateway",
                availableConnectionsDelegate: services.connections.delegate),
            services: extraServices,
            onServerRunning: { channel in onListening(channel.localAddress?.port ?? configuration.httpPort) },
            logger: services.logger)
    }

    /// Authentication, `x-agent-id`, error rendering and metrics around one endpoint.
    static func wrap(_ endpoint: Endpoint, services: GatewayServices)
        -> @Sendable (
            Request, GatewayRequestContext
        ) async throws -> Response
    {
        let style = endpoint.errorStyle
        let label = endpoint.path
        return { request, context in
            var context = context
            let response: Response
            do {
                let authorization = request.headers[.authorization]
                if endpoint.access == .apiKeyOrAgentToken, let authorization,
                    authorization.lowercased().hasPrefix("bearer ")
                {
                    try await authenticateAgentToken(
                        String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces), request, &context,
                        services: services)
                } else if endpoint.access == .apiKey || endpoint.access == .apiKeyOrAgentToken
                    || (endpoint.access == .apiKeyOrSignedLink && authorization != nil)
                {
                    try await authenticate(request, &context, services: services, style: style)
                }
                response = try await endpoint.handler(request, context)
            } catch let error as APIError {
                // Infobip answers 401 and 429 in the service-exception shape on every path.
                switch error.status {
                case .unauthorized: response = error.response(style: .serviceException)
                case .tooManyRequests:
                    response = error.response(
                        style: .serviceException, headers: [.retryAfter: "\(error.retryAfterSeconds)"])
                default: response = error.response(style: style)
                }
            } catch let error as ContactCenterError {
                response = APIError(error, style: style).response(style: style)
            } catch let error as HTTPError {
                response = APIError(error.status, "BAD_REQUEST", error.body ?? "\(error.status.reasonPhrase)")
                    .response(style: style)
            } catch {
                services.logger.error(
                    "request failed",
                    metadata: ["path": "\(request.uri.path)", "error": "\(String(reflecting: error))"])
                response = APIError.general.response(style: style)
            }
            services.metrics.httpRequest(method: request.method.rawValue, route: label, status: response.status.code)
            return response
        }
    }

    /// An agent's WebRTC token (signature, expiry, revocation; an enabled agent, not a customer):
    /// the request acts as that agent. Requests are limited per agent as per API key.
    static func authenticateAgentToken(
        _ token: String, _ request: Request, _ context: inout GatewayRequestContext, services: GatewayServices
    ) async throws {
        let now = services.clock.now()
        let claims: TokenClaims
        do {
            claims = try services.tokens.verify(token, now: Int64(now.timeIntervalSince1970))
        } catch {
            services.metrics.authFailure("token_invalid")
            throw APIError(.unauthorized, "UNAUTHORIZED", error.description)
        }
        guard !(await services.revocations.isRevoked(claims)) else {
            services.metrics.authFailure("token_revoked")
            throw APIError(.unauthorized, "UNAUTHORIZED", TokenError.revoked.description)
        }
        guard let agent = try await services.store.load(Agent.self, id: claims.sub) else {
            services.metrics.authFailure("token_not_agent")
            throw APIError(.unauthorized, "UNAUTHORIZED", "Only an agent's token may be used here.")
        }
        guard agent.enabled else { throw APIError(.forbidden, "FORBIDDEN", "Agent \(agent.id) is disabled.") }
        if let named = request.headers[HTTPField.Name("x-agent-id")!], named != agent.id {
            throw APIError.badRequest("x-agent-id names another agent than the token's.")
        }
        guard services.requestLimits.allow(key: "agent:\(agent.id)", now: now) else {
            services.metrics.authFailure("rate_limited")
            throw APIError.tooManyRequests
        }
        context.actingParty = .agent(agent)
        context.byAgentToken = true
    }

    static func authenticate(
        _ request: Request, _ context: inout GatewayRequestContext, services: GatewayServices, style: ErrorStyle
    ) async throws {
        guard let header = request.headers[.authorization] else {
            services.metrics.authFailure("missing")
            throw APIError.unauthorized
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "app",
            let key = try await services.apiKeys.authenticate(String(parts[1]).trimmingCharacters(in: .whitespaces))
        else {
            services.metrics.authFailure("invalid")
            throw APIError.unauthorized
        }
        context.apiKeyId = key.id
        guard services.requestLimits.allow(key: key.id, now: services.clock.now()) else {
            services.metrics.authFailure("rate_limited")
            throw APIError.tooManyRequests
        }
        if let agentId = request.headers[HTTPField.Name("x-agent-id")!] {
            guard let agent = try await services.store.load(Agent.self, id: agentId) else {
                throw APIError(
                    .badRequest, "NOT_FOUND",
                    style == .statusMessage
                        ? "No agent found with id=\(agentId)" : "Invalid agent id given '\(agentId)'")
            }
            guard agent.enabled else { throw APIError(.forbidden, "FORBIDDEN", "Agent \(agentId) is disabled.") }
            context.actingParty = .agent(agent)
        }
    }
}
