import ContactCenter
import Foundation
import HummingbirdTesting
import HummingbirdWSTesting
import NIOWebSocket
import Testing
import WSClient

@testable import GatewayServer

/// Each limit lets exactly its amount through and refuses one more.
@Suite struct LimitEdgeTests {
    /// `{"displayName":"aaa…"}` of exactly `bytes` bytes.
    static func body(bytes: Int) -> String {
        let frame = #"{"displayName":""}"#
        return #"{"displayName":""# + String(repeating: "a", count: bytes - frame.utf8.count) + #""}"#
    }

    @Test func aBodyOfExactlyTheLimitIsReadAndOneByteMoreIsRefused() async throws {
        let gw = try await TestGateway.make { $0.maxRequestBodyBytes = 4096 }
        try await gw.withClient { client in
            let atLimit = try await client.call(.post, "/ccaas/1/agents", key: gw.key, body: Self.body(bytes: 4096))
            #expect(atLimit.status == .badRequest, "read and validated: \(atLimit.text.prefix(200))")
            #expect(atLimit.text.contains("displayName"))
            let over = try await client.call(.post, "/ccaas/1/agents", key: gw.key, body: Self.body(bytes: 4097))
            #expect(over.status == .contentTooLarge && over.text.contains("the limit is 4096 bytes"), "\(over.text)")
        }
        try await gw.close()
    }

    /// A ping padded to exactly `bytes` bytes.
    static func ping(bytes: Int, id: String) -> String {
        let frame = #"{"type":"ping","id":"\#(id)","pad":""}"#
        return #"{"type":"ping","id":"\#(id)","pad":""# + String(repeating: "x", count: bytes - frame.utf8.count)
            + #""}"#
    }

    @Test func aFrameOfExactlyTheLimitIsReadAndTheRateLimitAllowsExactlyItsBurst() async throws {
        let gw = try await TestGateway.make {
            $0.maxWebSocketFrameBytes = 2048
            $0.maxWebSocketMessagesPerSecond = 5
        }
        let now = Int64(gw.clock.now().timeIntervalSince1970)
        let token = gw.services.tokens.issue(
            TokenClaims(sub: "customer-edge", name: nil, iat: now, exp: now + 600, jti: UUID().uuidString))
        try await gw.app().test(.live) { client in
            // The clock stands still: the bucket holds 5 messages, the sixth closes the socket.
            let closed = try await client.ws(SignalingEndpoint.path + "?token=\(token)") { inbound, outbound, _ in
                let reader = FrameReader(inbound)
                _ = try await reader.next("welcome")
                try await outbound.send(Self.ping(bytes: 2048, id: "full"))
                #expect(try await reader.next("pong")?["id"]?.stringValue == "full", "a frame of exactly the limit")
                for i in 0..<4 {
                    try await outbound.send(#"{"type":"ping","id":"\#(i)"}"#)
                    #expect(try await reader.next("pong")?["id"]?.stringValue == "\(i)")
                }
                try await outbound.send(#"{"type":"ping","id":"sixth"}"#)
                try await reader.drain()
            }
            #expect(closed?.closeCode == .policyViolation && closed?.reason == "message rate limit exceeded")

            let big = try await client.ws(SignalingEndpoint.path + "?token=\(token)") { inbound, outbound, _ in
                let reader = FrameReader(inbound)
                _ = try await reader.next("welcome")
                try await outbound.send(Self.ping(bytes: 2049, id: "over"))
                try await reader.drain()
            }
            #expect(big?.closeCode == .messageTooLarge)
        }
        try await gw.close()
    }
}
