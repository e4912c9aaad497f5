import Foundation
import NIOCore
import NIOPosix
import SignalingFrames
import Testing

@testable import ContactCenter
@testable import GatewayServer

/// `SignalingHub`: which session hears what, and in which order.
@Suite struct SignalingHubTests {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// An agent's state published before the agent signed in (an agent made over REST), and
    /// routed only once the agent's session is open but not yet welcomed, waits for the welcome:
    /// the welcome is every session's first frame (a client that reads it first gave up on the
    /// session), then the missed call frames, then what waited. Seen as a load generator's
    /// agent that never signed in.
    @Test func nothingReachesASessionBeforeItsWelcome() async throws {
        let gateway = try await TestGateway.make()
        let hub = gateway.services.hub
        let connection = SessionOutboxTests.Connection()
        let outbox = SessionOutbox(executor: EventLoopTaskExecutor(group.next())) { try await connection.write($0) }
        let agent = "AGENT-1"
        let session = try #require(await hub.open(identity: agent, kind: .agent, outbox: outbox))

        let away = AgentLiveState(
            agentId: agent, status: .ACTIVE, availability: .AWAY, online: false, activeCalls: 0)
        let (events, routed) = AsyncStream.makeStream(of: ContactCenterEvent.self)
        routed.yield(.agentState(away))
        routed.finish()
        await hub.run(events: events)
        #expect(await hub.send(CallFrame.established(callId: "call-0"), to: agent) == 1)
        // Nothing was queued: no writer ran, nothing was written.
        #expect(!outbox.isWriting)
        #expect(connection.written.isEmpty)

        let welcome = ServerFrame.Welcome(
            identity: agent, kind: "agent", sessionId: session.uuidString.lowercased(), heartbeatIntervalSeconds: 10,
            heartbeatTimeoutSeconds: 30, tokenExpiresAt: 0, calls: [], signalingGraceSeconds: 10)
        await hub.welcome(
            welcome,
            missed: [
                .hangup(callId: "call-missed", errorCode: .init(id: 10000, name: "NORMAL_HANGUP", description: ""))
            ], toSession: session)
        await hub.send(.pong(id: "after"), toSession: session)
        while outbox.isWriting || connection.written.count < 5 { await Task.yield() }
        let types = connection.written.map { text in
            (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["type"] as? String
        }
        #expect(types == ["welcome", "call.hangup", "agent.state", "call.established", "pong"])
        #expect(connection.written[2] == ServerFrame(away).text)

        // Welcomed once: a second welcome is not sent.
        await hub.welcome(welcome, missed: [], toSession: session)
        await hub.close(session)
        #expect(connection.written.count == 5)
        try await gateway.close()
    }
}
