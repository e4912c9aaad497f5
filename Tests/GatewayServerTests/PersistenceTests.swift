import ContactCenter
import Foundation
import HTTPTypes
import Synchronization
import Testing

@testable import GatewayServer

@Suite struct PersistenceTests {
    /// Everything a user configured or sent survives stopping and starting again.
    @Test func everythingConfiguredSurvivesARestart() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gw-restart-\(UUID().uuidString)")
        var gw = try await TestGateway.make(directory: folder)
        let key = gw.key
        let alice = try await gw.agent("Alice")
        let ids = Mutex<[String: String]>([:])
        try await gw.withClient { client in
            func post(_ path: String, _ body: String, method: HTTPRequestMethod = .post) async throws -> JSONValue {
                let reply = try await client.call(method.value, path, key: key, body: body)
                #expect(reply.status == .ok, "\(path): \(reply.text)")
                return reply.json
            }
            let queue = try await post("/ccaas/1/queues", #"{"name":"Support"}"#)
            let queueId = queue["id"]!.stringValue!
            _ = try await post("/ccaas/1/agents/\(alice.id)/queues", #"{"queueId":"\#(queueId)"}"#)
            _ = try await post("/ccaas/1/agents/\(alice.id)/status", #"{"status":"AWAY"}"#, method: .put)
            let conversation = try await post("/ccaas/1/conversations", #"{"topic":"Refund","agentId":"\#(alice.id)"}"#)
            let conversationId = conversation["id"]!.stringValue!
            _ = try await client.call(
                .post, "/ccaas/1/conversations/\(conversationId)/messages", key: key, agent: alice.id,
                body: #"{"from":"a","to":"b","channel":"SMS","contentType":"TEXT","content":{"text":"kept"}}"#)
            _ = try await post(
                "/ccaas/voice/2/account-wrap-up-config",
                #"{"wrapUpSeconds":45,"canExtendWrapUp":false,"enabled":true}"#, method: .put)
            _ = try await post("/ccca/1/agent-configs/\(alice.id)/wrap-up", #"{"wrapUpSeconds":20}"#, method: .put)
            _ = try await post("/ccaas/voice/2/call-timeouts", #"{"inbound":12,"outbound":40}"#, method: .put)
            _ = try await post(
                "/ccaas/voice/2/account-recording-config", #"{"mediaType":"AUDIO","enabled":true,"inbound":true}"#)
            _ = try await post(
                "/ccaas/voice/2/agent-recording-configs/\(alice.id)", #"{"mediaType":"AUDIO","outbound":true}"#)
            _ = try await post(
                "/ccaas/voice/2/transfer-configs/external-number", #"{"transferToAnyNumberEnabled":false}"#,
                method: .put)
            let audio = try await client.call(
                .post, "/ccaas/voice/2/audio-files?name=moh", key: key, raw: WAVFixture.tone(seconds: 0.5))
            let descriptor = audio.json["fileDescriptor"]!.stringValue!
            let strategy = try await post(
                "/ccaas/voice/2/waiting-strategies",
                #"{"maximumWaitTime":{"unit":"MINUTES","value":3},"conditionType":"QUEUE","condition":{"queues":["\#(queueId)"]},"musicOnHold":{"enabled":true,"fileAudioSource":{"fileDescriptor":"\#(descriptor)"}}}"#
            )
            let hold = try await post(
                "/ccaas/voice/2/hold-configs-per-queue", #"{"name":"H","queueIds":["\#(queueId)"]}"#)
            ids.withLock {
                $0 = [
                    "queue": queueId, "conversation": conversationId, "audio": descriptor,
                    "strategy": strategy["id"]!.stringValue!, "hold": hold["id"]!.stringValue!,
                ]
            }
        }
        let tokenKeyBefore = try GatewayServer.tokenKey(gw.services.configuration)
        try await gw.close()

        gw = try await TestGateway.make(directory: folder)
        #expect(try GatewayServer.tokenKey(gw.services.configuration) == tokenKeyBefore)
        let snapshot = ids.withLock { $0 }
        try await gw.withClient { client in
            func get(_ path: String) async throws -> JSONValue {
                let reply = try await client.call(.get, path, key: key)
                #expect(reply.status == .ok, "\(path): \(reply.text)")
                return reply.json
            }
            #expect(try await get("/ccaas/1/agents/\(alice.id)")["status"]?.stringValue == "AWAY")
            #expect(try await get("/ccaas/1/agents?queueIds=\(snapshot["queue"]!)")["agents"]?.array.count == 1)
            #expect(
                try await get("/ccaas/1/conversations/\(snapshot["conversation"]!)")["agentId"]?.stringValue == alice.id
            )
            let messages = try await get("/ccaas/1/conversations/\(snapshot["conversation"]!)/messages")
            #expect(messages["messages"]?.array.first?["content"]?["text"]?.stringValue == "kept")
            #expect(try await get("/ccaas/voice/2/account-wrap-up-config")["wrapUpSeconds"] == .int(45))
            #expect(try await get("/ccca/1/agent-configs/\(alice.id)")["wrapUpSeconds"] == .int(20))
            #expect(
                try await get("/ccaas/voice/2/call-timeouts") == .object(["inbound": .int(12), "outbound": .int(40)]))
            #expect(try await get("/ccaas/voice/2/account-recording-config")["enabled"] == .bool(true))
            #expect(try await get("/ccaas/voice/2/agent-recording-configs/\(alice.id)")["outbound"] == .bool(true))
            #expect(
                try await get("/ccaas/voice/2/transfer-configs/external-number")["transferToAnyNumberEnabled"]
                    == .bool(false))
            #expect(try await get("/ccaas/voice/2/audio-files/\(snapshot["audio"]!)")["name"]?.stringValue == "moh")
            #expect(
                try await get("/ccaas/voice/2/waiting-strategies/\(snapshot["strategy"]!)")["maximumWaitTime"]?["value"]
                    == .int(3))
            #expect(
                try await get("/ccaas/voice/2/hold-configs-per-queue/\(snapshot["hold"]!)")["name"]?.stringValue == "H")
        }
        #expect(try gw.store.appliedMigrations() == ["v1-documents", "v2-conversations-by-agent-and-status"])
        try await gw.close()
    }
}

/// HTTP methods the persistence test writes with.
enum HTTPRequestMethod {
    case post, put
    var value: HTTPRequest.Method { self == .post ? .post : .put }
}

@Suite struct RoutingMemoryTests {
    /// What routing reads about agents and customers (open conversations, the customer's last
    /// agent) comes from stored conversations, so a restart keeps it.
    @Test func openConversationsAndACustomersLastAgentSurviveARestart() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gw-routing-\(UUID().uuidString)")
        var gw = try await TestGateway.make(directory: folder)
        let (alice, bob) = (try await gw.agent("Alice"), try await gw.agent("Bob"))
        let queue = try await gw.cc.createQueue(.object(["name": "Q"]), by: .integration)
        let first = try await gw.cc.startCallConversation(customerIdentity: "+38591000", queueId: queue.id)
        _ = try await gw.cc.assign(first.id, .object(["agentId": .string(alice.id)]), by: .integration)
        gw.clock.advance(by: 60)
        let second = try await gw.cc.startCallConversation(customerIdentity: "+38591000", queueId: queue.id)
        _ = try await gw.cc.assign(second.id, .object(["agentId": .string(bob.id)]), by: .integration)
        _ = try await gw.cc.createConversation(.object(["agentId": .string(bob.id)]), by: .integration)
        let since = gw.clock.now().addingTimeInterval(-3600)
        try await gw.close()

        gw = try await TestGateway.make(directory: folder)
        let current = try await gw.cc.startCallConversation(customerIdentity: "+38591000", queueId: queue.id)
        #expect(try await gw.cc.lastAgent(ofCustomer: "+38591000", since: since, excluding: current.id) == bob.id)
        #expect(try await gw.cc.lastAgent(ofCustomer: "+38591000", since: since, excluding: second.id) == alice.id)
        #expect(
            try await gw.cc.lastAgent(
                ofCustomer: "+38591000", since: gw.clock.now().addingTimeInterval(3600), excluding: current.id)
                == nil, "nothing that recent: no sticky agent")
        #expect(try await gw.cc.openConversationCounts([alice.id, bob.id]) == [alice.id: 1, bob.id: 2])
        try await gw.close()
    }
}
