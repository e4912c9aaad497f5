import ContactCenter
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import GatewayServer

/// Infobip's conversation notes, and an agent's own token on the routes an agent's page uses.
@Suite struct NoteTests {
    static func bearer(
        _ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, token: String,
        body: String? = nil
    ) async throws -> Reply {
        var headers: HTTPFields = [.authorization: "Bearer \(token)"]
        if body != nil { headers[.contentType] = "application/json" }
        return try await client.execute(
            uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }
        ) { response in
            let text = String(buffer: response.body)
            return Reply(status: response.status, json: JSONValue.parse(Data(text.utf8)) ?? .null, text: text)
        }
    }

    @Test func theAssigneeWritesAndReadsNotesWithItsOwnTokenAndOthersAreRefused() async throws {
        let gw = try await TestGateway.make()
        let alice = try await gw.agent("Alice Agent")
        let bob = try await gw.agent("Bob Agent")
        let sam = try await gw.agent("Sam Supervisor", role: .SUPERVISOR)
        let conversation = try await gw.cc.createConversation(
            .object(["agentId": .string(alice.id)]), by: .integration
        ).conversation.id
        let (aliceToken, _) = gw.services.issueToken(identity: alice.id, displayName: nil)
        let (bobToken, _) = gw.services.issueToken(identity: bob.id, displayName: nil)
        let (samToken, _) = gw.services.issueToken(identity: sam.id, displayName: nil)
        let (customerToken, _) = gw.services.issueToken(identity: "customer-1", displayName: nil)
        let path = "/ccaas/1/conversations/\(conversation)/notes"
        try await gw.withClient { client in
            let written = try await Self.bearer(
                client, .post, path, token: aliceToken, body: #"{"content":"Customer asked for a refund."}"#)
            #expect(written.status == .ok)
            #expect(written.json["agentId"]?.stringValue == alice.id, "the token's agent is the author")
            #expect(written.json["type"]?.stringValue == "INTERNAL")
            #expect(written.json["conversationId"]?.stringValue == conversation)
            let noteId = try #require(written.json["id"]?.stringValue)

            let asObject = try await client.call(
                .post, path, key: gw.key, body: #"{"content":{"text":"Refund approved."},"agentId":"\#(sam.id)"}"#)
            #expect(asObject.status == .ok && asObject.json["content"]?.stringValue == "Refund approved.")
            #expect(asObject.json["agentId"]?.stringValue == sam.id, "the integration names the author")

            let listed = try await Self.bearer(client, .get, path + "?orderBy=createdAt:asc", token: aliceToken)
            #expect(listed.json["notes"]?.array.count == 2)
            #expect(listed.json["pagination"]?["totalItems"]?.intValue == 2)
            let one = try await Self.bearer(client, .get, "\(path)/\(noteId)", token: samToken)
            #expect(one.json["content"]?.stringValue == "Customer asked for a refund.", "a supervisor reads any")

            let byBob = try await Self.bearer(client, .get, path, token: bobToken)
            #expect(byBob.status == .forbidden, "not Bob's conversation")
            let byCustomer = try await Self.bearer(client, .get, path, token: customerToken)
            #expect(byCustomer.status == .unauthorized)
            #expect(byCustomer.serviceText == "Only an agent's token may be used here.")
            let forged = try await Self.bearer(client, .get, path, token: aliceToken + "x")
            #expect(forged.status == .unauthorized)
            let asOther = try await Self.bearer(
                client, .post, path, token: aliceToken, body: #"{"content":"x","agentId":"\#(bob.id)"}"#)
            #expect(asOther.status == .forbidden, "an agent writes as itself")
            let messages = "/ccaas/1/conversations/\(conversation)/messages"
            let aliceReads = try await Self.bearer(client, .get, messages, token: aliceToken)
            #expect(aliceReads.status == .ok && aliceReads.json["messages"] != nil)
            #expect(try await Self.bearer(client, .get, messages, token: bobToken).status == .forbidden)
            #expect(try await Self.bearer(client, .get, messages, token: samToken).status == .ok)
            #expect(
                try await client.call(.get, messages, key: gw.key, agent: bob.id).status == .ok,
                "the API key's x-agent-id reads as before")
            let elsewhere = try await Self.bearer(client, .get, "/ccaas/1/agents", token: aliceToken)
            #expect(elsewhere.status == .unauthorized, "the token opens only the routes an agent's page needs")
        }
        try await gw.services.revocations.revoke(identity: alice.id)
        try await gw.withClient { client in
            let revoked = try await Self.bearer(client, .get, path, token: aliceToken)
            #expect(revoked.status == .unauthorized && revoked.serviceText == "token has been revoked")
        }
        try await gw.close()
    }

    @Test func badNotesAreRefusedNamingTheField() async throws {
        let gw = try await TestGateway.make()
        let conversation = try await gw.cc.createConversation(.object([:]), by: .integration).conversation.id
        let path = "/ccaas/1/conversations/\(conversation)/notes"
        try await gw.withClient { client in
            let cases: [(String, String, String)] = [
                (#"{}"#, "content", "must not be null"),
                (#"{"content":"   "}"#, "content", "must be the note's text, or an object with its text"),
                (#"{"content":{"attachments":[]}}"#, "content", "must be the note's text, or an object with its text"),
                (
                    #"{"content":"x","type":"ATTACHMENT"}"#, "type",
                    "ATTACHMENT notes are not kept by this gateway; use INTERNAL"
                ),
                (
                    #"{"content":"\#(String(repeating: "a", count: 4001))"}"#, "content",
                    "size cannot be longer than 4000 characters."
                ),
            ]
            for (body, field, message) in cases {
                let reply = try await client.call(.post, path, key: gw.key, body: body)
                #expect(reply.status == .badRequest, "\(body.prefix(40))")
                #expect(reply.validationErrors(field) == [message], "\(body.prefix(40))")
            }
            let unknownAgent = try await client.call(
                .post, path, key: gw.key, body: #"{"content":"x","agentId":"NOPE"}"#)
            #expect(unknownAgent.status == .notFound)
            let noConversation = try await client.call(.get, "/ccaas/1/conversations/NOPE/notes", key: gw.key)
            #expect(noConversation.status == .notFound)
            let noNote = try await client.call(.get, "\(path)/NOPE", key: gw.key)
            #expect(noNote.status == .notFound)
        }
        try await gw.close()
    }

    @Test func theWallboardsAndTheDesktopsRoutesRefuseBadQueriesAndOtherPeople() async throws {
        let gw = try await TestGateway.make()
        let alice = try await gw.agent("Alice Agent")
        let sam = try await gw.agent("Sam Supervisor", role: .SUPERVISOR)
        let (aliceToken, _) = gw.services.issueToken(identity: alice.id, displayName: nil)
        let (samToken, _) = gw.services.issueToken(identity: sam.id, displayName: nil)
        try await gw.withClient { client in
            let statistics = "/ccaas/1/queues/statistics"
            for query in ["?minutes=0", "?minutes=61", "?minutes=x", "?serviceLevelSeconds=0"] {
                let bad = try await client.call(.get, statistics + query, key: gw.key)
                #expect(bad.status == .badRequest, "\(query)")
                #expect(
                    bad.serviceText?.hasPrefix(String(query.dropFirst().prefix { $0 != "=" })) == true, "\(bad.text)")
            }
            let byAgent = try await Self.bearer(client, .get, statistics, token: aliceToken)
            #expect(
                byAgent.status == .forbidden && byAgent.serviceText == "Only supervisors read the queues' statistics.")
            let bySupervisor = try await Self.bearer(client, .get, statistics + "?minutes=5", token: samToken)
            #expect(bySupervisor.status == .ok && bySupervisor.json["queues"] != nil)

            let calls = "/ccaas/voice/2/calls"
            let badDate = try await Self.bearer(client, .get, calls + "?createdAfter=today", token: aliceToken)
            #expect(badDate.status == .badRequest)
            let othersCalls = try await Self.bearer(client, .get, calls + "?agentId=\(sam.id)", token: aliceToken)
            #expect(othersCalls.status == .forbidden)
            let ownCalls = try await Self.bearer(client, .get, calls, token: aliceToken)
            #expect(ownCalls.status == .ok)

            let stylesheet = try await client.execute(uri: "/pages/style.css", method: .get) {
                $0.headers[.contentType]
            }
            #expect(stylesheet == "text/css; charset=utf-8")
            let module = try await client.execute(uri: "/pages/sign-in.js", method: .get) { $0.headers[.contentType] }
            #expect(module == "text/javascript; charset=utf-8")
            let unknown = try await client.execute(uri: "/pages/../Package.swift", method: .get) { $0.status }
            #expect(unknown == .notFound)
            #expect(try await client.execute(uri: "/pages/secret.js", method: .get) { $0.status } == .notFound)
        }
        try await gw.close()
    }
}
