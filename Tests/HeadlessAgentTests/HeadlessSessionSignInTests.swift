import ClientMedia
import HeadlessAgent
import Hummingbird
import HummingbirdTesting
import HummingbirdWebSocket
import Logging
import Testing

/// How a headless session signs in, against a signaling server that misbehaves.
@Suite struct HeadlessSessionSignInTests {
    /// The welcome is the protocol's first frame. A server that sends something else first and
    /// keeps the connection open gets a session that ends with a reason; it used to wait for
    /// the close reason of the open connection, and a load run hung on that agent for good.
    @Test func aFirstFrameOtherThanTheWelcomeEndsTheSessionWithAReason() async throws {
        let router = Router(context: BasicWebSocketRequestContext.self)
        router.ws("/webrtc/1/signaling") { _, _ in
            .upgrade([:])
        } onUpgrade: { inbound, outbound, _ in
            let state = #"{"activeCalls":0,"agentId":"A","availability":"AWAY","online":false,"status":"ACTIVE"}"#
            try await outbound.write(.text(#"{"state":\#(state),"type":"agent.state","v":1}"#))
            for try await _ in inbound.messages(maxSize: 1 << 16) {}
        }
        var logger = Logger(label: "signaling-server")
        logger.logLevel = .critical
        let app = Application(
            router: router, server: .http1WebSocketUpgrade(webSocketRouter: router), logger: logger)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let engine = try ClientMediaEngine()
            let session = HeadlessSession(
                options: SessionOptions(
                    role: .agent, signalingURL: "ws://127.0.0.1:\(port)/webrtc/1/signaling?token=t"),
                media: engine, onCall: { _ in })
            let error = await #expect(throws: HeadlessError.self) { try await session.run() }
            #expect(error?.description == "the gateway's first frame was not its welcome but agent.state")
            try await engine.shutdown()
        }
    }
}
