import ContactCenter
import Foundation
import Testing

@testable import GatewayServer

@Suite struct AuthAndAgentTests {
    @Test func missingUnknownAndRevokedKeysGet401InInfobipShape() async throws {
        let gw = try await TestGateway.make()
        let (revoked, revokedSecret) = try await gw.services.apiKeys.create(name: "old")
        #expect(try await gw.services.apiKeys.revoke(id: revoked.id))
        try await gw.withClient { client in
            for key in [nil, "nope", revokedSecret] as [String?] {
                for path in ["/ccaas/1/agents", "/ccaas/voice/2/call-timeouts", "/ccca/1/agent-configs/X"] {
                    let reply = try await client.call(.get, path, key: key)
                    #expect(reply.status == .unauthorized)
                    #expect(reply.messageId == "UNAUTHORIZED")
                }
            }
            let ok = try await client.call(.get, "/ccaas/1/agents", key: gw.key)
            #expect(ok.status == .ok)
            let scheme = try await client.call(.get, "/ccaas/1/agents", key: nil)
            #expect(scheme.status == .unauthorized)
        }
        try await gw.close()
    }

    @Test func agentCrudStatusQueuesAndFilters() async throws {
        let gw = try await TestGateway.make()
        try await gw.withClient { client in
            let created = try await client.call(
                .post, "/ccaas/1/agents", key: gw.key,
                body: #"{"displayName":"Angus Young","status":"ACTIVE","role":"AGENT","email":"angus@example.com"}"#)
            #expect(created.status == .ok)
            let id = try #require(created.json["id"]?.stringValue)
            #expect(id.count == 32)
            #expect(created.json["availability"]?.stringValue == "AWAY")
            #expect(created.json["enabled"] == .bool(true))
            #expect(created.json["createdAt"]?.stringValue?.hasSuffix("+0000") == true)

            let updated = try await client.call(
                .put, "/ccaas/1/agents/\(id)", key: gw.key,
                body: #"{"displayName":"Malcolm Young","status":"BUSY","role":"SUPERVISOR","enabled":true}"#)
            #expect(updated.json["displayName"]?.stringValue == "Malcolm Young")
            #expect(updated.json["role"]?.stringValue == "SUPERVISOR")

            let status = try await client.call(
                .put, "/ccaas/1/agents/\(id)/status", key: gw.key, body: #"{"status":"AWAY"}"#)
            #expect(status.json["status"]?.stringValue == "AWAY")

            let queue = try await client.call(.post, "/ccaas/1/queues", key: gw.key, body: #"{"name":"Sales"}"#)
            let queueId = try #require(queue.json["id"]?.stringValue)
            let link = try await client.call(
                .post, "/ccaas/1/agents/\(id)/queues", key: gw.key, body: #"{"queueId":"\#(queueId)"}"#)
            #expect(link.json["statusCode"]?.stringValue == "SUCCESS")
            let other = try await client.call(
                .post, "/ccaas/1/agents", key: gw.key,
                body: #"{"displayName":"Bon Scott","status":"ACTIVE","role":"AGENT"}"#)
            let otherId = try #require(other.json["id"]?.stringValue)

            let inQueue = try await client.call(.get, "/ccaas/1/agents?queueIds=\(queueId)", key: gw.key)
            #expect(inQueue.json["agents"]?.array.compactMap { $0["id"]?.stringValue } == [id])
            let byName = try await client.call(.get, "/ccaas/1/agents?displayName=bon", key: gw.key)
            #expect(byName.json["agents"]?.array.compactMap { $0["id"]?.stringValue } == [otherId])
            let paged = try await client.call(
                .get, "/ccaas/1/agents?limit=1&page=1&orderBy=displayName:asc", key: gw.key)
            #expect(paged.json["agents"]?.array.first?["displayName"]?.stringValue == "Malcolm Young")
            #expect(paged.json["pagination"]?["totalItems"] == .int(2))
            #expect(paged.json["pagination"]?["orderBy"]?.stringValue == "displayName:ASC")

            let unlink = try await client.call(.delete, "/ccaas/1/agents/\(id)/queues/\(queueId)", key: gw.key)
            #expect(unlink.status == .ok)
            let again = try await client.call(.delete, "/ccaas/1/agents/\(id)/queues/\(queueId)", key: gw.key)
            #expect(again.status == .notFound)

            let deleted = try await client.call(.delete, "/ccaas/1/agents/\(otherId)", key: gw.key)
            #expect(deleted.status == .ok)
            let gone = try await client.call(.get, "/ccaas/1/agents/\(otherId)", key: gw.key)
            #expect(gone.status == .notFound)
            #expect(gone.messageId == "NOT_FOUND")
        }
        try await gw.close()
    }

    @Test func agentMayActOnItselfOnlyAndSupervisorOnAnyone() async throws {
        let gw = try await TestGateway.make()
        let alice = try await gw.agent("Alice")
        let bob = try await gw.agent("Bob")
        let sam = try await gw.agent("Sam", role: .SUPERVISOR)
        try await gw.withClient { client in
            let own = try await client.call(
                .put, "/ccaas/1/agents/\(alice.id)/status", key: gw.key, agent: alice.id, body: #"{"status":"BUSY"}"#)
            #expect(own.status == .ok)
            let other = try await client.call(
                .put, "/ccaas/1/agents/\(bob.id)/status", key: gw.key, agent: alice.id, body: #"{"status":"BUSY"}"#)
            #expect(other.status == .forbidden)
            #expect(other.messageId == "FORBIDDEN")
            let beat = try await client.call(.put, "/ccaas/1/agents/\(bob.id)/heartbeat", key: gw.key, agent: alice.id)
            #expect(beat.status == .forbidden)
            let supervisor = try await client.call(
                .put, "/ccaas/1/agents/\(bob.id)/status", key: gw.key, agent: sam.id, body: #"{"status":"BUSY"}"#)
            #expect(supervisor.status == .ok)
            let promote = try await client.call(
                .put, "/ccaas/1/agents/\(alice.id)", key: gw.key, agent: alice.id,
                body: #"{"displayName":"Alice","status":"ACTIVE","role":"SUPERVISOR"}"#)
            #expect(promote.status == .forbidden)
            let createQueue = try await client.call(
                .post, "/ccaas/1/queues", key: gw.key, agent: alice.id, body: #"{"name":"Q"}"#)
            #expect(createQueue.status == .forbidden)
            let unknown = try await client.call(.get, "/ccaas/1/agents", key: gw.key, agent: "NOSUCHAGENT")
            #expect(unknown.status == .badRequest)
            #expect(unknown.serviceText == "Invalid agent id given 'NOSUCHAGENT'")
            let unknownVoice = try await client.call(
                .get, "/ccaas/voice/2/call-timeouts", key: gw.key, agent: "NOSUCHAGENT")
            #expect(unknownVoice.statusMessage == "No agent found with id=NOSUCHAGENT")
        }
        try await gw.close()
    }

    @Test func availabilityFollowsHeartbeatsAndRecovers() async throws {
        let gw = try await TestGateway.make { $0.heartbeatTimeoutSeconds = 30 }
        let alice = try await gw.agent("Alice")
        try await gw.withClient { client in
            func availability() async throws -> String? {
                try await client.call(.get, "/ccaas/1/agents/\(alice.id)", key: gw.key).json["availability"]?
                    .stringValue
            }
            #expect(try await availability() == "AWAY")
            let beat = try await client.call(
                .put, "/ccaas/1/agents/\(alice.id)/heartbeat", key: gw.key, agent: alice.id)
            #expect(beat.json["message"]?.stringValue == "Heartbeat received.")
            #expect(try await availability() == "ACTIVE")
            #expect(await gw.cc.registry.isRoutable(alice.id))
            let active = try await client.call(.get, "/ccaas/1/agents?availability=ACTIVE", key: gw.key)
            #expect(active.json["agents"]?.array.count == 1)

            gw.clock.advance(by: 29)
            #expect(try await availability() == "ACTIVE")
            gw.clock.advance(by: 2)
            #expect(try await availability() == "AWAY")
            #expect(!(await gw.cc.registry.isRoutable(alice.id)))

            _ = try await client.call(.put, "/ccaas/1/agents/\(alice.id)/heartbeat", key: gw.key)
            #expect(try await availability() == "ACTIVE")
            _ = try await client.call(
                .put, "/ccaas/1/agents/\(alice.id)/status", key: gw.key, body: #"{"status":"INVISIBLE"}"#)
            #expect(try await availability() == "INVISIBLE")
            let missing = try await client.call(.put, "/ccaas/1/agents/NOPE/heartbeat", key: gw.key)
            #expect(missing.status == .notFound)
        }
        try await gw.close()
    }

    @Test func queuesCrudAndTransferQueueActivity() async throws {
        let gw = try await TestGateway.make()
        let alice = try await gw.agent("Alice")
        try await gw.withClient { client in
            let created = try await client.call(
                .post, "/ccaas/1/queues", key: gw.key, body: #"{"name":"Support","isAutoAssignmentEnabled":true}"#)
            let id = try #require(created.json["id"]?.stringValue)
            #expect(created.json["autoAssignmentAlgorithm"]?.stringValue == "LOAD_BALANCING")
            let renamed = try await client.call(
                .put, "/ccaas/1/queues/\(id)", key: gw.key,
                body: #"{"name":"Care","autoAssignmentAlgorithm":"ROUND_ROBIN"}"#)
            #expect(renamed.json["name"]?.stringValue == "Care")
            #expect(renamed.json["isAutoAssignmentEnabled"] == .bool(true))
            _ = try await client.call(
                .post, "/ccaas/1/agents/\(alice.id)/queues", key: gw.key, body: #"{"queueId":"\#(id)"}"#)

            // Sticky assignment is stored; an algorithm the gateway cannot run is refused and nothing changes.
            let sticky = try await client.call(
                .put, "/ccaas/1/queues/\(id)", key: gw.key,
                body: #"{"isStickyAutoAssignmentEnabled":true,"stickyAgentTimeoutDays":7}"#)
            #expect(sticky.json["isStickyAutoAssignmentEnabled"] == .bool(true))
            #expect(sticky.json["stickyAgentTimeoutDays"] == .int(7))
            let performance = try await client.call(
                .put, "/ccaas/1/queues/\(id)", key: gw.key, body: #"{"autoAssignmentAlgorithm":"PERFORMANCE_BASED"}"#)
            #expect(performance.status == .badRequest)
            #expect(performance.serviceText?.contains("PERFORMANCE_BASED is not supported") == true)
            #expect(try await gw.cc.queue(id).autoAssignmentAlgorithm == .ROUND_ROBIN)
            let refusedCreate = try await client.call(
                .post, "/ccaas/1/queues", key: gw.key,
                body: #"{"name":"P","autoAssignmentAlgorithm":"PERFORMANCE_BASED"}"#)
            #expect(refusedCreate.status == .badRequest)
            let badDays = try await client.call(
                .put, "/ccaas/1/queues/\(id)", key: gw.key, body: #"{"stickyAgentTimeoutDays":0}"#)
            #expect(badDays.validationErrors("stickyAgentTimeoutDays") == ["must be greater than or equal to 1"])
            #expect(try await gw.cc.queues(nameContains: "P", PageRequest()).items.allSatisfy { $0.name != "P" })

            var transfer = try await client.call(.get, "/ccaas/voice/2/transfer/queues", key: gw.key)
            #expect(transfer.json["total"] == .int(1))
            #expect(transfer.json["elements"]?.array.first?["active"] == .bool(false))
            await gw.cc.registry.heartbeat(agentId: alice.id)
            transfer = try await client.call(.get, "/ccaas/voice/2/transfer/queues", key: gw.key)
            #expect(transfer.json["elements"]?.array.first?["active"] == .bool(true))
            #expect(transfer.json["elements"]?.array.first?["queueName"]?.stringValue == "Care")
            let badSize = try await client.call(.get, "/ccaas/voice/2/transfer/queues?size=0", key: gw.key)
            #expect(badSize.statusMessage == "size: must be greater than or equal to 1")

            let deleted = try await client.call(.delete, "/ccaas/1/queues/\(id)", key: gw.key)
            #expect(deleted.json["message"]?.stringValue == "Queue deleted successfully.")
            #expect(try await gw.cc.queueIds(ofAgent: alice.id).isEmpty)
            let missing = try await client.call(.put, "/ccaas/1/queues/\(id)", key: gw.key, body: #"{"name":"x"}"#)
            #expect(missing.status == .notFound)
        }
        try await gw.close()
    }
}
