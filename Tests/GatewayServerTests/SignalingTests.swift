import ContactCenter
import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSTesting
import NIOWebSocket
import Testing
import WSClient

@testable import GatewayServer

/// Reads JSON frames from a signaling connection, failing instead of hanging.
/// Used by one test task at a time.
final class FrameReader: @unchecked Sendable {
    var iterator: WebSocketInboundMessageStream.AsyncIterator

    init(_ inbound: WebSocketInboundStream) { iterator = inbound.messages(maxSize: 1 << 20).makeAsyncIterator() }

    /// Reads until the connection closes.
    func drain() async throws {
        while try await iterator.next() != nil {}
    }

    /// The next frame of `type`, skipping others; nil if the connection closed first.
    func next(_ type: String, within seconds: Double = 5) async throws -> JSONValue? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            guard let message = try await iterator.next() else { return nil }
            guard case .text(let text) = message, let frame = JSONValue.parse(Data(text.utf8)) else { continue }
            if frame["type"]?.stringValue == type { return frame }
        }
        Issue.record("no \(type) frame within \(seconds) s")
        return nil
    }
}

extension WebSocketOutboundWriter {
    func send(_ text: String) async throws { try await write(.text(text)) }
}

@Suite struct SignalingTests {
    func token(_ gw: TestGateway, _ identity: String, ttl: Int64 = 3600) -> String {
        let now = Int64(gw.clock.now().timeIntervalSince1970)
        return gw.services.tokens.issue(
            TokenClaims(sub: identity, name: nil, iat: now, exp: now + ttl, jti: UUID().uuidString))
    }

    @Test func refusesMissingForgedAndExpiredTokensWithAReason() async throws {
        let gw = try await TestGateway.make()
        let valid = token(gw, "customer-1", ttl: 60)
        var forged = valid
        forged.removeLast(3)
        forged += "AAA"
        let forgedToken = forged
        try await gw.app().test(.live) { client in
            let missing = try await client.ws(SignalingEndpoint.path) { _, _, _ in }
            #expect(missing?.closeCode == .unknown(4001))
            #expect(missing?.reason == "unauthorized: token is missing")
            let bad = try await client.ws(SignalingEndpoint.path + "?token=\(forgedToken)") { _, _, _ in }
            #expect(bad?.closeCode == .unknown(4001))
            #expect(bad?.reason == "unauthorized: token signature is invalid")
            let garbage = try await client.ws(SignalingEndpoint.path + "?token=abc.def") { _, _, _ in }
            #expect(garbage?.reason == "unauthorized: token is malformed")
            gw.clock.advance(by: 61)
            let expired = try await client.ws(SignalingEndpoint.path + "?token=\(valid)") { _, _, _ in }
            #expect(expired?.closeCode == .unknown(4001))
            #expect(expired?.reason == "unauthorized: token has expired")
        }
        try await gw.close()
    }

    @Test func tokenEndpointIssuesTokensTheSocketAccepts() async throws {
        let gw = try await TestGateway.make()
        let alice = try await gw.agent("Alice")
        try await gw.app().test(.live) { client in
            let issued = try await client.call(
                .post, "/webrtc/1/token", key: gw.key, body: #"{"identity":"\#(alice.id)","timeToLive":120}"#)
            let token = try #require(issued.json["token"]?.stringValue)
            #expect(issued.json["expirationTime"]?.stringValue != nil)
            let badIdentity = try await client.call(.post, "/webrtc/1/token", key: gw.key, body: #"{"identity":"a b"}"#)
            #expect(badIdentity.validationErrors("identity").first?.contains("letters, digits") == true)
            let tooLong = try await client.call(
                .post, "/webrtc/1/token", key: gw.key, body: #"{"identity":"abc","timeToLive":999999999}"#)
            #expect(tooLong.validationErrors("timeToLive").first?.hasPrefix("must be less than or equal to") == true)
            let noKey = try await client.call(.post, "/webrtc/1/token", key: nil, body: #"{"identity":"abc"}"#)
            #expect(noKey.status == .unauthorized)
            // Infobip's bounds: displayName 5-50 characters, 8 hours by default.
            let shortName = try await client.call(
                .post, "/webrtc/1/token", key: gw.key, body: #"{"identity":"abc","displayName":"Bob"}"#)
            #expect(shortName.status == .badRequest && !shortName.validationErrors("displayName").isEmpty)
            let longName = String(repeating: "n", count: 51)
            let tooLongName = try await client.call(
                .post, "/webrtc/1/token", key: gw.key, body: #"{"identity":"abc","displayName":"\#(longName)"}"#)
            #expect(tooLongName.status == .badRequest)
            let byDefault = try await client.call(
                .post, "/webrtc/1/token", key: gw.key, body: #"{"identity":"abc","displayName":"Alice Liddell"}"#)
            let expires = try #require(byDefault.json["expirationTime"]?.stringValue.flatMap(InfobipDate.parse))
            #expect(abs(expires.timeIntervalSince(gw.clock.now()) - 8 * 3600) < 2, "8 hours by default")
            try await client.ws(SignalingEndpoint.path + "?token=\(token)") { inbound, _, _ in
                let reader = FrameReader(inbound)
                let welcome = try #require(try await reader.next("welcome"))
                #expect(welcome["identity"]?.stringValue == alice.id)
                #expect(welcome["kind"]?.stringValue == "agent")
                #expect(welcome["v"] == .int(1))
                #expect(welcome["heartbeatIntervalSeconds"] == .int(10))
            }
        }
        try await gw.close()
    }

    @Test func pingHeartbeatStatusAndErrorFramesKeepTheConnection() async throws {
        let gw = try await TestGateway.make()
        let alice = try await gw.agent("Alice")
        let aliceToken = token(gw, alice.id)
        try await gw.app().test(.live) { client in
            try await client.ws(SignalingEndpoint.path + "?token=\(aliceToken)") { inbound, outbound, _ in
                let reader = FrameReader(inbound)
                _ = try await reader.next("welcome")
                let state = try #require(try await reader.next("agent.state"))
                #expect(state["state"]?["availability"]?.stringValue == "ACTIVE")

                try await outbound.send("{not json")
                #expect(try await reader.next("error")?["code"]?.stringValue == "BAD_JSON")
                try await outbound.send(#"{"type":"dance","id":"7"}"#)
                let unknown = try #require(try await reader.next("error"))
                #expect(unknown["code"]?.stringValue == "UNKNOWN_TYPE")
                #expect(unknown["id"]?.stringValue == "7")
                try await outbound.send(#"{"type":"agent.setStatus","status":"SLEEPY","id":"8"}"#)
                #expect(
                    try await reader.next("error")?["message"]?.stringValue?.hasPrefix("status: must be one of") == true
                )
                try await outbound.send(#"[1,2,3]"#)
                #expect(try await reader.next("error")?["code"]?.stringValue == "BAD_MESSAGE")
                try await outbound.send(#"{"type":"ping","v":2}"#)
                #expect(try await reader.next("error")?["code"]?.stringValue == "UNSUPPORTED_VERSION")

                try await outbound.send(#"{"type":"ping","id":"p1"}"#)
                #expect(try await reader.next("pong")?["id"]?.stringValue == "p1")
                try await outbound.send(#"{"type":"heartbeat","id":"h1"}"#)
                #expect(try await reader.next("heartbeat.ack")?["id"]?.stringValue == "h1")
                try await outbound.send(#"{"type":"agent.setStatus","status":"BUSY","id":"s1"}"#)
                #expect(try await reader.next("ack")?["id"]?.stringValue == "s1")
                let busy = try #require(try await reader.next("agent.state"))
                #expect(busy["state"]?["status"]?.stringValue == "BUSY")
                #expect(try await gw.cc.agent(alice.id).agent.status == .BUSY)
            }
            // The socket closed: the agent is no longer present.
            try await Task.sleep(for: .milliseconds(100))
            #expect(await gw.cc.registry.state(of: alice.id)?.online == false)
        }
        try await gw.close()
    }

    @Test func heartbeatsOverTheSocketKeepAvailabilityAndWrapUpIsPushed() async throws {
        let gw = try await TestGateway.make { $0.heartbeatTimeoutSeconds = 30 }
        let alice = try await gw.agent("Alice")
        let aliceToken = token(gw, alice.id)
        _ = try await gw.app().test(.live) { client in
            try await client.ws(SignalingEndpoint.path + "?token=\(aliceToken)") { inbound, outbound, _ in
                let reader = FrameReader(inbound)
                _ = try await reader.next("agent.state")
                gw.clock.advance(by: 31)
                await gw.cc.tick()
                let stale = try #require(try await reader.next("agent.state"))
                #expect(stale["state"]?["availability"]?.stringValue == "AWAY")
                #expect(!(await gw.cc.registry.isRoutable(alice.id)))
                try await outbound.send(#"{"type":"heartbeat"}"#)
                let back = try #require(try await reader.next("agent.state"))
                #expect(back["state"]?["availability"]?.stringValue == "ACTIVE")

                try await gw.cc.callEnded(agentId: alice.id)
                let started = try #require(try await reader.next("wrapup.started"))
                #expect(started["seconds"] == .int(30))
                let wrapping = try #require(try await reader.next("agent.state"))
                #expect(wrapping["state"]?["availability"]?.stringValue == "BUSY")
                #expect(wrapping["state"]?["wrapUpSecondsLeft"] == .int(30))
                try await gw.cc.extendWrapUp(alice.id, seconds: 10, by: .integration)
                #expect(try await reader.next("wrapup.extended")?["secondsLeft"] == .int(40))
                try await gw.cc.clearWrapUp(alice.id, by: .integration)
                #expect(try await reader.next("wrapup.ended")?["reason"]?.stringValue == "CLEARED")
                try await gw.cc.callEnded(agentId: alice.id)
                gw.clock.advance(by: 29)
                try await outbound.send(#"{"type":"heartbeat"}"#)
                _ = try await reader.next("heartbeat.ack")
                gw.clock.advance(by: 1)
                await gw.cc.tick()
                #expect(try await reader.next("wrapup.ended")?["reason"]?.stringValue == "TIMER")
            }
        }
        try await gw.close()
    }

    /// `agent.setStatus` is answered with `ack`, then the new `agent.state`; the same status
    /// again gets the `ack` alone. Twenty changes in a row, so that a race would show.
    @Test func aStatusChangeIsAcknowledgedBeforeTheNewStateArrives() async throws {
        let gw = try await TestGateway.make()
        let alice = try await gw.agent("Alice")
        let aliceToken = token(gw, alice.id)
        _ = try await gw.app().test(.live) { client in
            try await client.ws(SignalingEndpoint.path + "?token=\(aliceToken)") { inbound, outbound, _ in
                var frames = inbound.messages(maxSize: 1 << 20).makeAsyncIterator()
                func nextFrame() async throws -> JSONValue? {
                    while let message = try await frames.next() {
                        if case .text(let text) = message, let frame = JSONValue.parse(Data(text.utf8)) {
                            return frame
                        }
                    }
                    return nil
                }
                while let frame = try await nextFrame(), frame["type"] != .string("agent.state") {}
                for round in 0..<20 {
                    let status = round % 2 == 0 ? "BUSY" : "ACTIVE"
                    try await outbound.send(#"{"type":"agent.setStatus","status":"\#(status)","id":"s\#(round)"}"#)
                    let first = try #require(try await nextFrame())
                    #expect(first["type"] == .string("ack") && first["id"] == .string("s\(round)"), "\(first)")
                    let second = try #require(try await nextFrame())
                    #expect(second["type"] == .string("agent.state"), "\(second)")
                    #expect(second["state"]?["status"] == .string(status))
                }
                try await outbound.send(#"{"type":"agent.setStatus","status":"ACTIVE","id":"same"}"#)
                try await outbound.send(#"{"type":"ping","id":"after"}"#)
                #expect(try await nextFrame()?["id"] == .string("same"))
                #expect(try await nextFrame()?["type"] == .string("pong"), "no agent.state for an unchanged status")
            }
        }
        try await gw.close()
    }

    @Test func oversizedFramesAndFloodsAreBounded() async throws {
        let gw = try await TestGateway.make {
            $0.maxWebSocketFrameBytes = 2048
            $0.maxWebSocketMessagesPerSecond = 5
        }
        let customer = token(gw, "customer-9")
        try await gw.app().test(.live) { client in
            let big = try await client.ws(SignalingEndpoint.path + "?token=\(customer)") { inbound, outbound, _ in
                let reader = FrameReader(inbound)
                _ = try await reader.next("welcome")
                try await outbound.send(#"{"type":"ping","pad":""# + String(repeating: "x", count: 4096) + "\"}")
                try await reader.drain()
            }
            #expect(big?.closeCode == .messageTooLarge)
            // The clock does not move: the bucket of 5 empties and the sixth frame closes the socket.
            let flood = try await client.ws(SignalingEndpoint.path + "?token=\(customer)") { inbound, outbound, _ in
                for i in 0..<20 { try? await outbound.send(#"{"type":"ping","id":"\#(i)"}"#) }
                for try await _ in inbound {}
            }
            #expect(flood?.closeCode == .policyViolation)
            #expect(flood?.reason == "message rate limit exceeded")
        }
        let metrics = gw.services.metrics.exposition()
        #expect(metrics.contains(#"gateway_signaling_closed_total{reason="rate_limited"} 1"#))
        try await gw.close()
    }

    @Test func liveChatFlowsBothWaysAndWaitsForOfflineCustomers() async throws {
        let gw = try await TestGateway.make()
        let alice = try await gw.agent("Alice")
        let customerToken = token(gw, "visitor-42")
        let aliceToken = token(gw, alice.id)
        try await gw.app().test(.live) { client in
            // A message to an offline customer waits, then arrives when they connect.
            let early = try await gw.cc.createConversation(.object([:]), by: .integration).conversation.id
            let queued = try await client.call(
                .post, "/ccaas/1/conversations/\(early)/messages", key: gw.key,
                body:
                    #"{"from":"LiveChatSender","to":"visitor-42","channel":"LIVE_CHAT","contentType":"TEXT","content":{"text":"Welcome back"}}"#
            )
            #expect(queued.json["delivery"]?["state"]?.stringValue == "PENDING")
            let queuedId = try #require(queued.json["id"]?.stringValue)

            try await client.ws(SignalingEndpoint.path + "?token=\(customerToken)") { inbound, outbound, _ in
                let customer = FrameReader(inbound)
                let pending = try #require(try await customer.next("chat.message"))
                #expect(pending["message"]?["content"]?["text"]?.stringValue == "Welcome back")
                try await Task.sleep(for: .milliseconds(50))
                #expect(try await gw.cc.message(queuedId)?.delivery.state == .DELIVERED)

                try await outbound.send(#"{"type":"chat.send","id":"c1","content":{"text":"I need help"}}"#)
                let ack = try #require(try await customer.next("ack"))
                let conversationId = try #require(ack["conversationId"]?.stringValue)
                let inbound1 = try await gw.cc.messages(conversationId, MessageFilter(), PageRequest()).items
                #expect(inbound1.map(\.direction) == [.INBOUND])
                #expect(inbound1.first?.authorType == .CUSTOMER)
                _ = try await gw.cc.assign(conversationId, .object(["agentId": .string(alice.id)]), by: .integration)

                try await client.ws(SignalingEndpoint.path + "?token=\(aliceToken)") { agentInbound, agentOutbound, _ in
                    let agent = FrameReader(agentInbound)
                    _ = try await agent.next("welcome")
                    try await outbound.send(#"{"type":"chat.send","content":{"text":"Are you there?"}}"#)
                    let seen = try #require(try await agent.next("chat.message"))
                    #expect(seen["message"]?["content"]?["text"]?.stringValue == "Are you there?")
                    #expect(seen["message"]?["conversationId"]?.stringValue == conversationId)

                    // The agent answers over REST (x-agent-id) and over the socket; both reach the customer.
                    let reply = try await client.call(
                        .post, "/ccaas/1/conversations/\(conversationId)/messages", key: gw.key, agent: alice.id,
                        body:
                            #"{"from":"LiveChatSender","to":"visitor-42","channel":"LIVE_CHAT","contentType":"TEXT","content":{"text":"Yes, hello"}}"#
                    )
                    #expect(reply.json["delivery"]?["state"]?.stringValue == "DELIVERED")
                    #expect(
                        try await customer.next("chat.message")?["message"]?["content"]?["text"]?.stringValue
                            == "Yes, hello")
                    try await agentOutbound.send(
                        #"{"type":"chat.send","id":"a1","conversationId":"\#(conversationId)","content":{"text":"How can I help?"}}"#
                    )
                    #expect(try await agent.next("ack")?["id"]?.stringValue == "a1")
                    #expect(
                        try await customer.next("chat.message")?["message"]?["content"]?["text"]?.stringValue
                            == "How can I help?")
                    try await agentOutbound.send(
                        #"{"type":"chat.send","conversationId":"nope","content":{"text":"x"}}"#)
                    #expect(try await agent.next("error")?["code"]?.stringValue == "NOT_FOUND")
                }
                let all = try await gw.cc.messages(conversationId, MessageFilter(), PageRequest(orderBy: "createdAt"))
                #expect(all.items.map(\.direction) == [.INBOUND, .INBOUND, .OUTBOUND, .OUTBOUND])
                try await outbound.send(#"{"type":"heartbeat","id":"x"}"#)
                #expect(try await customer.next("error")?["code"]?.stringValue == "NOT_AN_AGENT")
            }
        }
        try await gw.close()
    }
}
