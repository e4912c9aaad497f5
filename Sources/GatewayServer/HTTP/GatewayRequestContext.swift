import ContactCenter
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore

/// Per-request state: who is acting (set by the authentication middleware).
public struct GatewayRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    /// Id of the API key that authenticated the request.
    public var apiKeyId: String?
    /// The integration, or the agent named by `x-agent-id` or by its own token.
    public var actingParty: ActingParty = .integration
    /// The request came with an agent's own token rather than the API key.
    public var byAgentToken = false
    /// The peer's address (nil in tests that route without a socket); behind a reverse proxy,
    /// the proxy's.
    public let remoteAddress: SocketAddress?
    /// The event loop of the request's connection.
    public let eventLoop: any EventLoop

    public init(source: Source) {
        coreContext = .init(source: source)
        webSocket = .init()
        remoteAddress = source.channel.remoteAddress
        eventLoop = source.channel.eventLoop
    }
}
