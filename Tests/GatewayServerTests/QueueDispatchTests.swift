import ContactCenter
import Foundation
import JSON
import NIOPosix
import Storage
import Synchronization
import Testing

@testable import Calls
@testable import GatewayServer

/// Waiting calls and queue membership as routing reads them: only free members are ranked, a
/// queue found with nobody free is not asked again for the calls behind in the same round, and
/// the members read once are read again after every change.
@Suite struct QueueDispatchTests {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    static let noWrapUp = WrapUpPolicy(enabled: false, seconds: 0, canExtend: false)

    /// An agent of `queue`, signed in on a signaling session (so an offer reaches it), on a call.
    func busyAgent(_ name: String, in queue: Queue, _ gw: TestGateway) async throws -> String {
        let agent = try await gw.agent(name)
        try await gw.cc.addAgentToQueue(agent.id, .object(["queueId": .string(queue.id)]), by: .integration)
        let outbox = SessionOutbox(executor: EventLoopTaskExecutor(group.next())) { _ in }
        _ = try #require(await gw.services.hub.open(identity: agent.id, kind: .agent, outbox: outbox))
        await gw.cc.registry.connected(agentId: agent.id)
        await gw.cc.registry.callStarted(agentId: agent.id)
        return agent.id
    }

    @Test func aQueueWithNobodyFreeDoesNotHoldUpTheCallsOfAnotherQueue() async throws {
        let gw = try await TestGateway.make()
        let sales = try await gw.cc.createQueue(
            .object(["name": "Sales", "isAutoAssignmentEnabled": true]), by: .integration)
        let support = try await gw.cc.createQueue(
            .object(["name": "Support", "isAutoAssignmentEnabled": true]), by: .integration)
        let alice = try await busyAgent("Alice", in: sales, gw)
        let bob = try await busyAgent("Bob", in: support, gw)
        let body = try #require(
            JSONValue.parse(
                #"""
                {"name":"carrier","destinationHosts":["127.0.0.1:5080"],"transport":"UDP","codecs":["PCMU"],"channelLimit":10,
                 "numbers":[{"number":"+15550100","queueId":"\#(sales.id)"},{"number":"+15550200","queueId":"\#(support.id)"}]}
                """#))
        _ = try await gw.cc.createSIPTrunk(body, by: .integration)
        let (trunk, salesNumber) = try #require(try await gw.cc.sipTrunk(forNumber: "+15550100"))
        let (_, supportNumber) = try #require(try await gw.cc.sipTrunk(forNumber: "+15550200"))
        let calls = gw.services.calls
        // Two callers wait for Sales, then one for Support: the Support caller is last in line.
        var salesCalls: [String] = []
        for caller in ["+15550001", "+15550002"] {
            salesCalls.append(
                try await calls.startFromPhone(
                    trunk: trunk, number: salesNumber, caller: caller, offer: CallAdmissionTests.offer
                ).callId)
            gw.clock.advance(by: 1)
        }
        let supportCall = try await calls.startFromPhone(
            trunk: trunk, number: supportNumber, caller: "+15550003", offer: CallAdmissionTests.offer
        ).callId
        #expect(await calls.waitingOrder().count == 3)

        // Bob is free: the first Sales caller finds nobody free in Sales, the second is not asked,
        // and the Support caller behind them gets Bob.
        await gw.cc.registry.callEnded(agentId: bob, wrapUp: Self.noWrapUp)
        await calls.dispatch()
        #expect(await gw.cc.registry.reservation(of: bob) == supportCall)
        #expect(await gw.cc.registry.reservation(of: alice) == nil)
        #expect(await calls.queuesWithoutFreeMember == [sales.id])
        #expect(await calls.waitingOrder().count == 2, "both Sales callers still wait")

        // Alice is free: the Sales caller who came first gets her.
        await gw.cc.registry.callEnded(agentId: alice, wrapUp: Self.noWrapUp)
        await calls.dispatch()
        #expect(await gw.cc.registry.reservation(of: alice) == salesCalls[0])
        await calls.endAllCalls()
        try await gw.close()
    }

    /// Routing a call reads what it reads whatever the queue's size: the members come from
    /// memory once read, and only the free agent's last calls and open conversations are asked.
    @Test func routingACallReadsNoMoreDocumentsInABiggerQueue() async throws {
        var documentsRead: [Int] = []
        for size in [3, 40] {
            let store = Mutex<CountingStore?>(nil)
            let gw = try await TestGateway.make(storeSeenAs: { sqlite in
                let counting = CountingStore(sqlite)
                store.withLock { $0 = counting }
                return counting
            })
            let counting = try #require(store.withLock { $0 })
            let queue = try await gw.cc.createQueue(
                .object(["name": "Sales", "isAutoAssignmentEnabled": true]), by: .integration)
            var agents: [String] = []
            for i in 0..<size { agents.append(try await busyAgent("Agent \(i)", in: queue, gw)) }
            let body = try #require(
                JSONValue.parse(
                    #"""
                    {"name":"carrier","destinationHosts":["127.0.0.1:5080"],"transport":"UDP","codecs":["PCMU"],
                     "channelLimit":10,"numbers":[{"number":"+15550100","queueId":"\#(queue.id)"}]}
                    """#))
            _ = try await gw.cc.createSIPTrunk(body, by: .integration)
            let (trunk, number) = try #require(try await gw.cc.sipTrunk(forNumber: "+15550100"))
            // The first call reads the queue's members; the second is the one measured.
            for (turn, caller) in ["+15550001", "+15550002"].enumerated() {
                let free = agents[turn]
                await gw.cc.registry.callEnded(agentId: free, wrapUp: Self.noWrapUp)
                counting.documents.withLock { $0 = 0 }
                let call = try await gw.services.calls.startFromPhone(
                    trunk: trunk, number: number, caller: caller, offer: CallAdmissionTests.offer)
                #expect(await gw.cc.registry.reservation(of: free) == call.callId)
            }
            documentsRead.append(counting.documents.withLock { $0 })
            await gw.services.calls.endAllCalls()
            try await gw.close()
        }
        #expect(
            documentsRead[0] == documentsRead[1], "documents read routing a call, 3 members and 40: \(documentsRead)")
    }

    @Test func transferQueuesCountTheMembersWhoCouldTakeACallNow() async throws {
        let gw = try await TestGateway.make()
        let sales = try await gw.cc.createQueue(
            .object(["name": "Sales", "isAutoAssignmentEnabled": true]), by: .integration)
        let empty = try await gw.cc.createQueue(.object(["name": "Support"]), by: .integration)
        let busy = try await busyAgent("Busy", in: sales, gw)
        let free = try await busyAgent("Free", in: sales, gw)
        await gw.cc.registry.callEnded(agentId: free, wrapUp: Self.noWrapUp)
        let away = try await gw.agent("Away")
        try await gw.cc.addAgentToQueue(away.id, .object(["queueId": .string(sales.id)]), by: .integration)
        let (queues, total) = try await gw.cc.transferQueues(page: 0, size: 10)
        #expect(total == 2)
        let bySales = try #require(queues.first { $0.queueId == sales.id })
        #expect(bySales.availableAgents == 1 && bySales.active, "only Free: \(busy) is on a call, Away not signed in")
        let bySupport = try #require(queues.first { $0.queueId == empty.id })
        #expect(bySupport.availableAgents == 0 && !bySupport.active)
        try await gw.close()
    }

    @Test func theMembersRoutingReadsFollowEveryChange() async throws {
        let gw = try await TestGateway.make()
        let sales = try await gw.cc.createQueue(.object(["name": "Sales"]), by: .integration)
        let alice = try await gw.agent("Alice")
        let bob = try await gw.agent("Bob")
        #expect(try await gw.cc.agentIds(inQueue: sales.id) == [])
        for agent in [alice, bob] {
            try await gw.cc.addAgentToQueue(agent.id, .object(["queueId": .string(sales.id)]), by: .integration)
            gw.clock.advance(by: 1)
        }
        #expect(try await gw.cc.agentIds(inQueue: sales.id) == [alice.id, bob.id], "in the order they joined")
        try await gw.cc.removeAgentFromQueue(alice.id, queueId: sales.id, by: .integration)
        #expect(try await gw.cc.agentIds(inQueue: sales.id) == [bob.id])
        try await gw.cc.addAgentToQueue(alice.id, .object(["queueId": .string(sales.id)]), by: .integration)
        #expect(try await gw.cc.agentIds(inQueue: sales.id) == [bob.id, alice.id])
        try await gw.cc.deleteAgent(bob.id, by: .integration)
        #expect(try await gw.cc.agentIds(inQueue: sales.id) == [alice.id])
        try await gw.cc.deleteQueue(sales.id, by: .integration)
        #expect(try await gw.cc.agentIds(inQueue: sales.id) == [])
        try await gw.close()
    }
}

/// A store that counts the documents it hands out, over another.
final class CountingStore: ContactCenterStore {
    let store: any ContactCenterStore
    let documents = Mutex(0)

    init(_ store: any ContactCenterStore) { self.store = store }

    func put(_ document: StoredDocument) async throws { try await store.put(document) }
    func get(_ collection: DocumentCollection, id: String) async throws -> StoredDocument? {
        let document = try await store.get(collection, id: id)
        if document != nil { documents.withLock { $0 += 1 } }
        return document
    }
    func delete(_ collection: DocumentCollection, id: String) async throws -> Bool {
        try await store.delete(collection, id: id)
    }
    func deleteAll(_ collection: DocumentCollection, filters: [DocumentFilter]) async throws -> Int {
        try await store.deleteAll(collection, filters: filters)
    }
    func query(_ query: DocumentQuery) async throws -> (documents: [StoredDocument], total: Int) {
        let result = try await store.query(query)
        documents.withLock { $0 += result.documents.count }
        return result
    }
    func counts(_ collection: DocumentCollection, filters: [DocumentFilter], groupedBy field: String) async throws
        -> [String: Int]
    { try await store.counts(collection, filters: filters, groupedBy: field) }
    func insertAPIKey(_ record: APIKeyRecord) async throws { try await store.insertAPIKey(record) }
    func apiKey(hash: String) async throws -> APIKeyRecord? { try await store.apiKey(hash: hash) }
    func apiKeys() async throws -> [APIKeyRecord] { try await store.apiKeys() }
    func revokeAPIKey(id: String, at: Date) async throws -> Bool { try await store.revokeAPIKey(id: id, at: at) }
    func close() async throws { try await store.close() }
}
