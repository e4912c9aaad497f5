import ContactCenter
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@testable import GatewayServer

@Suite struct ConversationAndMessageTests {
    @Test func conversationLifecycleAndClosedCannotChange() async throws {
        let gw = try await TestGateway.make()
        let alice = try await gw.agent("Alice")
        let queue = try await gw.cc.createQueue(.object(["name": "Q"]), by: .integration)
        try await gw.withClient { client in
            let empty = try await client.call(.post, "/ccaas/1/conversations", key: gw.key)
            #expect(empty.status == .ok)
            #expect(empty.json["status"]?.stringValue == "OPEN")
            #expect(empty.json["priority"]?.stringValue == "NORMAL")
            let created = try await client.call(
                .post, "/ccaas/1/conversations", key: gw.key,
                body: #"{"topic":"Billing","priority":"HIGH","queueId":"\#(queue.id)"}"#)
            let id = try #require(created.json["id"]?.stringValue)
            let patched = try await client.call(
                .patch, "/ccaas/1/conversations/\(id)", key: gw.key, body: #"{"summary":"Card declined"}"#)
            #expect(patched.json["topic"]?.stringValue == "Billing")
            #expect(patched.json["summary"]?.stringValue == "Card declined")
            let replaced = try await client.call(
                .put, "/ccaas/1/conversations/\(id)", key: gw.key, body: #"{"topic":"New"}"#)
            #expect(replaced.json["summary"] == .null)
            #expect(replaced.json["priority"]?.stringValue == "NORMAL")

            let assigned = try await client.call(
                .put, "/ccaas/1/conversations/\(id)/assignee", key: gw.key, body: #"{"agentId":"\#(alice.id)"}"#)
            #expect(assigned.json["agentId"]?.stringValue == alice.id)
            let mine = try await client.call(.get, "/ccaas/1/agents/\(alice.id)/conversations", key: gw.key)
            #expect(mine.json["conversations"]?.array.count == 1)
            let byStatus = try await client.call(
                .get, "/ccaas/1/conversations?status=OPEN&agentId=\(alice.id)", key: gw.key)
            #expect(byStatus.json["pagination"]?["totalItems"] == .int(1))
            let unassigned = try await client.call(.delete, "/ccaas/1/conversations/\(id)/assignee", key: gw.key)
            #expect(unassigned.json["agentId"] == .null)

            let kept = try await client.call(
                .post, "/ccaas/1/conversations/\(id)/messages", key: gw.key,
                body: #"{"from":"a","to":"b","channel":"SMS","contentType":"TEXT","content":{"text":"before closing"}}"#
            )
            #expect(kept.status == .ok)
            let closed = try await client.call(
                .patch, "/ccaas/1/conversations/\(id)", key: gw.key, body: #"{"status":"CLOSED"}"#)
            #expect(closed.json["closedAt"]?.stringValue != nil)
            for (method, path, body) in [
                (HTTPRequest.Method.patch, "/ccaas/1/conversations/\(id)", #"{"topic":"x"}"#),
                (.put, "/ccaas/1/conversations/\(id)", #"{"topic":"x"}"#),
                (.put, "/ccaas/1/conversations/\(id)/assignee", #"{"agentId":"\#(alice.id)"}"#),
                (
                    .post, "/ccaas/1/conversations/\(id)/messages",
                    #"{"from":"a","to":"b","channel":"SMS","contentType":"TEXT","content":{"text":"hi"}}"#
                ),
            ] {
                let refused = try await client.call(method, path, key: gw.key, body: body)
                #expect(refused.status == .badRequest)
                #expect(
                    refused.serviceText?.contains("closed") == true || refused.serviceText?.contains("Closed") == true)
            }
            let unknown = try await client.call(.get, "/ccaas/1/conversations/nope", key: gw.key)
            #expect(unknown.status == .notFound)
            #expect(unknown.serviceText == "Invalid id 'nope' given! No such entity exists.")
            let badQueue = try await client.call(
                .post, "/ccaas/1/conversations", key: gw.key, body: #"{"queueId":"nope"}"#)
            #expect(badQueue.status == .notFound)

            let agentMayNot = try await client.call(
                .delete, "/ccaas/1/conversations/\(id)", key: gw.key, agent: alice.id)
            #expect(agentMayNot.status == .forbidden)
            #expect(
                try await gw.store.query(DocumentQuery(collection: .message, filters: [.equals("conversationId", id)]))
                    .total == 1)
            let deleted = try await client.call(.delete, "/ccaas/1/conversations/\(id)", key: gw.key)
            #expect(deleted.status == .ok)
            #expect(
                try await gw.store.query(DocumentQuery(collection: .message, filters: [.equals("conversationId", id)]))
                    .total == 0)
            let gone = try await client.call(.get, "/ccaas/1/conversations/\(id)", key: gw.key)
            #expect(gone.status == .notFound)
        }
        try await gw.close()
    }

    /// Every cell of the x-agent-id matrix, an unknown agent id, and an agent who is not the assignee.
    @Test func xAgentIdMatrix() async throws {
        let gw = try await TestGateway.make()
        let alice = try await gw.agent("Alice")
        let bob = try await gw.agent("Bob")
        let sam = try await gw.agent("Sam", role: .SUPERVISOR)
        let sue = try await gw.agent("Sue", role: .SUPERVISOR)
        func conversation(assignee: String?) async throws -> String {
            let body: JSONValue = assignee.map { .object(["agentId": .string($0)]) } ?? .object([:])
            return try await gw.cc.createConversation(body, by: .integration).conversation.id
        }
        let unassigned = try await conversation(assignee: nil)
        let toAgent = try await conversation(assignee: alice.id)
        let toSupervisor = try await conversation(assignee: sam.id)
        let message =
            #"{"from":"447492263897","to":"44776333666","channel":"SMS","contentType":"TEXT","content":{"text":"Hi"}}"#

        // (conversation, x-agent-id, expected status)
        let cells: [(String, String?, HTTPResponse.Status)] = [
            (unassigned, nil, .ok), (unassigned, alice.id, .badRequest), (unassigned, sue.id, .badRequest),
            (toAgent, nil, .badRequest), (toAgent, alice.id, .ok), (toAgent, sue.id, .ok),
            (toSupervisor, nil, .badRequest), (toSupervisor, alice.id, .forbidden), (toSupervisor, sue.id, .ok),
        ]
        try await gw.withClient { client in
            for (conversationId, agent, expected) in cells {
                let reply = try await client.call(
                    .post, "/ccaas/1/conversations/\(conversationId)/messages", key: gw.key, agent: agent, body: message
                )
                #expect(reply.status == expected, "conversation \(conversationId) x-agent-id \(agent ?? "none")")
                if expected == .ok {
                    #expect(reply.json["authorId"]?.stringValue == agent)
                    #expect(reply.json["direction"]?.stringValue == "OUTBOUND")
                }
            }
            let notAssignee = try await client.call(
                .post, "/ccaas/1/conversations/\(toAgent)/messages", key: gw.key, agent: bob.id, body: message)
            #expect(notAssignee.status == .forbidden)
            #expect(notAssignee.serviceText?.contains("not the assignee") == true)
            let unknown = try await client.call(
                .post, "/ccaas/1/conversations/\(toAgent)/messages", key: gw.key, agent: "GHOST", body: message)
            #expect(unknown.status == .badRequest)
            #expect(unknown.messageId == "NOT_FOUND")
            #expect(unknown.serviceText == "Invalid agent id given 'GHOST'")
        }
        try await gw.close()
    }

    @Test func messageValidationFiltersAndPaging() async throws {
        let gw = try await TestGateway.make()
        let id = try await gw.cc.createConversation(.object([:]), by: .integration).conversation.id
        try await gw.withClient { client in
            let missing = try await client.call(
                .post, "/ccaas/1/conversations/\(id)/messages", key: gw.key,
                body: #"{"from":"","channel":"SMS","contentType":"TEXT"}"#)
            #expect(missing.validationErrors("from") == ["must not be blank"])
            #expect(missing.validationErrors("to") == ["must not be blank"])
            #expect(missing.validationErrors("content") == ["must not be blank"])
            let long = String(repeating: "x", count: 4097)
            let tooLong = try await client.call(
                .post, "/ccaas/1/conversations/\(id)/messages", key: gw.key,
                body: #"{"from":"a","to":"b","channel":"SMS","contentType":"TEXT","content":{"text":"\#(long)"}}"#)
            #expect(tooLong.validationErrors("content") == ["size cannot be longer than 4096 characters."])
            let badChannel = try await client.call(
                .post, "/ccaas/1/conversations/\(id)/messages", key: gw.key,
                body: #"{"from":"a","to":"b","channel":"PIGEON","contentType":"TEXT","content":{"text":"x"}}"#)
            #expect(badChannel.validationErrors("channel").first?.contains("PIGEON") == true)
            let badType = try await client.call(
                .post, "/ccaas/1/conversations/\(id)/messages", key: gw.key,
                body: #"{"from":"a","to":"b","channel":"SMS","contentType":"HOLOGRAM","content":{"text":"x"}}"#)
            #expect(
                badType.validationErrors("contentType").first?.hasPrefix(
                    "'HOLOGRAM' is not one of Infobip's content types") == true, "\(badType.text)")

            for (i, channel) in ["SMS", "WHATSAPP", "SMS"].enumerated() {
                gw.clock.advance(by: 1)
                let sent = try await client.call(
                    .post, "/ccaas/1/conversations/\(id)/messages", key: gw.key,
                    body:
                        #"{"from":"a","to":"b","channel":"\#(channel)","contentType":"TEXT","content":{"text":"m\#(i)"}}"#
                )
                #expect(sent.status == .ok)
                // No webhook configured: the failure is visible on the message, not lost silently.
                #expect(sent.json["delivery"]?["state"]?.stringValue == "FAILED")
            }
            let sms = try await client.call(.get, "/ccaas/1/conversations/\(id)/messages?channel=SMS", key: gw.key)
            #expect(sms.json["messages"]?.array.count == 2)
            let page = try await client.call(
                .get, "/ccaas/1/conversations/\(id)/messages?limit=1&page=0&orderBy=createdAt:desc", key: gw.key)
            #expect(page.json["messages"]?.array.first?["content"]?["text"]?.stringValue == "m2")
            #expect(page.json["pagination"]?["totalItems"] == .int(3))
            let badLimit = try await client.call(.get, "/ccaas/1/conversations/\(id)/messages?limit=-1", key: gw.key)
            #expect(badLimit.serviceText == "Page size has to be bigger or equal to zero!")
            let badOrder = try await client.call(
                .get, "/ccaas/1/conversations/\(id)/messages?orderBy=secret:asc", key: gw.key)
            #expect(badOrder.status == .badRequest)
            let badDirection = try await client.call(
                .get, "/ccaas/1/conversations/\(id)/messages?direction=SIDEWAYS", key: gw.key)
            #expect(badDirection.serviceText?.hasPrefix("direction:") == true)
            let unknown = try await client.call(.get, "/ccaas/1/conversations/nope/messages", key: gw.key)
            #expect(unknown.status == .notFound)
        }
        try await gw.close()
    }

    @Test func webhookRetriesWithBackoffThenDelivers() async throws {
        let transport = ScriptedTransport(statuses: [503, 500, 200])
        let gw = try await TestGateway.make(webhook: transport) { $0.messageWebhookMaxAttempts = 5 }
        let id = try await gw.cc.createConversation(.object([:]), by: .integration).conversation.id
        let message = try await gw.cc.createMessage(
            id,
            .object([
                "from": "a", "to": "b", "channel": "WHATSAPP", "contentType": "TEXT",
                "content": .object(["text": "hi"]),
            ]), by: .integration)
        #expect(message.delivery.state == .PENDING)
        await gw.cc.tick()
        var stored = try #require(try await gw.cc.message(message.id))
        #expect(stored.delivery.attempts == 1)
        #expect(stored.delivery.lastError == "webhook answered HTTP 503")
        await gw.cc.tick()
        #expect(transport.count == 1, "the second attempt waits for its back-off")
        gw.clock.advance(by: 1)
        await gw.cc.tick()
        gw.clock.advance(by: 1.5)
        await gw.cc.tick()
        #expect(transport.count == 2)
        gw.clock.advance(by: 0.6)
        await gw.cc.tick()
        stored = try #require(try await gw.cc.message(message.id))
        #expect(transport.count == 3)
        #expect(stored.delivery.state == .DELIVERED)
        #expect(stored.delivery.attempts == 3)
        let posted = try #require(JSONValue.parse(transport.bodies.last!))
        #expect(posted["message"]?["id"]?.stringValue == message.id)
        #expect(posted["event"]?.stringValue == "MESSAGE_CREATED")
        try await gw.close()
    }

    @Test func webhookGivesUpAfterMaxAttemptsAndResumesAfterRestart() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gw-resume-\(UUID().uuidString)")
        let failing = ScriptedTransport(statuses: [500])
        var gw = try await TestGateway.make(directory: folder, webhook: failing) { $0.messageWebhookMaxAttempts = 3 }
        let id = try await gw.cc.createConversation(.object([:]), by: .integration).conversation.id
        let body: JSONValue = .object([
            "from": "a", "to": "b", "channel": "SMS", "contentType": "TEXT", "content": .object(["text": "x"]),
        ])
        let first = try await gw.cc.createMessage(id, body, by: .integration)
        for _ in 0..<6 {
            await gw.cc.tick()
            gw.clock.advance(by: 10)
        }
        #expect(try await gw.cc.message(first.id)?.delivery.state == .FAILED)
        #expect(try await gw.cc.message(first.id)?.delivery.attempts == 3)

        // A pending delivery survives a restart.
        let second = try await gw.cc.createMessage(id, body, by: .integration)
        try await gw.close()
        let healthy = ScriptedTransport(statuses: [200])
        gw = try await TestGateway.make(directory: folder, webhook: healthy)
        await gw.cc.tick()
        #expect(try await gw.cc.message(second.id)?.delivery.state == .DELIVERED)
        #expect(healthy.count == 1)
        try await gw.close()
    }

    @Test func webhookPostsToARealHTTPReceiver() async throws {
        let received = Mutex<[String]>([])
        let router = Router()
        router.post("/hook") { request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 20)
            received.withLock { $0.append(String(buffer: body)) }
            return .ok
        }
        let receiver = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await receiver.test(.live) { client in
            let port = try #require(client.port)
            let gw = try await TestGateway.make(webhook: HTTPWebhookTransport(url: "http://127.0.0.1:\(port)/hook"))
            let id = try await gw.cc.createConversation(.object([:]), by: .integration).conversation.id
            let message = try await gw.cc.createMessage(
                id,
                .object([
                    "from": "a", "to": "b", "channel": "TELEGRAM", "contentType": "TEXT",
                    "content": .object(["text": "ping"]),
                ]), by: .integration)
            await gw.cc.tick()
            #expect(try await gw.cc.message(message.id)?.delivery.state == .DELIVERED)
            let bodies = received.withLock { $0 }
            #expect(bodies.count == 1)
            #expect(bodies.first?.contains("\"text\":\"ping\"") == true)
            try await gw.close()
        }
    }
}

/// A webhook transport answering a script of HTTP statuses (the last one repeats).
final class ScriptedTransport: WebhookTransport, Sendable {
    private let state: Mutex<(statuses: [Int], bodies: [Data])>
    init(statuses: [Int]) { state = Mutex((statuses, [])) }
    var count: Int { state.withLock { $0.bodies.count } }
    var bodies: [Data] { state.withLock { $0.bodies } }
    func post(json: Data) async throws -> Int {
        state.withLock { s in
            s.bodies.append(json)
            return s.statuses.count > 1 ? s.statuses.removeFirst() : s.statuses[0]
        }
    }
}
