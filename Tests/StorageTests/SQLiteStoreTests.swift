import ContactCenter
import Foundation
import GRDB
import Testing

@testable import Storage

@Suite struct SQLiteStoreTests {
    func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString).sqlite").path
    }

    func document(_ id: String, _ body: String, at seconds: Double) -> StoredDocument {
        StoredDocument(
            collection: .conversation, id: id, createdAt: Date(timeIntervalSince1970: seconds),
            updatedAt: Date(timeIntervalSince1970: seconds), body: Data(body.utf8))
    }

    @Test func migratesInWALModeAndSurvivesReopening() async throws {
        let path = temporaryPath()
        var store = try SQLiteStore(path: path)
        #expect(try store.appliedMigrations() == ["v1-documents", "v2-conversations-by-agent-and-status"])
        try await store.put(document("a", #"{"status":"OPEN"}"#, at: 1))
        try await store.insertAPIKey(APIKeyRecord(id: "k", name: "n", keyHash: "h", createdAt: Date()))
        try await store.close()
        store = try SQLiteStore(path: path)
        #expect(try await store.get(.conversation, id: "a")?.body == Data(#"{"status":"OPEN"}"#.utf8))
        #expect(try await store.apiKey(hash: "h")?.name == "n")
        #expect(try await store.revokeAPIKey(id: "k", at: Date()))
        #expect(try await store.revokeAPIKey(id: "k", at: Date()) == false)
        #expect(try await store.apiKey(hash: "h")?.revokedAt != nil)
        try await store.close()
        let header = try FileHandle(forReadingFrom: URL(fileURLWithPath: path)).read(upToCount: 20)!
        #expect(header[18] == 2 && header[19] == 2, "file format 2/2 means WAL")
    }

    /// `gateway api-key create` beside a running gateway: closing while the gateway's connections
    /// still read an older snapshot cannot empty the log (SQLite reports the database busy), and
    /// must not turn the committed write into a failure (seen in the concurrent writers' chaos
    /// test: "database is locked" from the command, the key created all the same).
    @Test func closingBesideAnotherProcessesReaderIsNoError() async throws {
        let path = temporaryPath()
        let gateway = try SQLiteStore(path: path, busyTimeout: 0.1)
        try await gateway.put(document("a", "{}", at: 1))
        var readerConfiguration = Configuration()
        readerConfiguration.allowsUnsafeTransactions = true  // its read transaction stays open
        let reader = try DatabaseQueue(path: path, configuration: readerConfiguration)
        try await reader.writeWithoutTransaction { db in
            try db.beginTransaction(.deferred)
            _ = try Int.fetchOne(db, sql: "SELECT count(*) FROM documents")
        }
        let command = try SQLiteStore(path: path, busyTimeout: 0.1)
        try await command.insertAPIKey(APIKeyRecord(id: "k", name: "ops", keyHash: "h", createdAt: Date()))
        try await command.close()

        try await reader.writeWithoutTransaction { db in try db.rollback() }
        #expect(try await gateway.apiKey(hash: "h")?.name == "ops", "the key was committed")
        try reader.close()
        try await gateway.close()
        let log = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? Int) ?? 0
        #expect(log == 0, "the last to close empties the log")
    }

    @Test func filtersOrdersAndPagesInSQL() async throws {
        let store = try SQLiteStore(path: temporaryPath())
        try await store.put(document("c1", #"{"status":"OPEN","agentId":"A","topic":"Billing 100%"}"#, at: 10))
        try await store.put(document("c2", #"{"status":"CLOSED","agentId":"A","topic":"Refund"}"#, at: 20))
        try await store.put(document("c3", #"{"status":"OPEN","agentId":null,"topic":"billing"}"#, at: 30))
        try await store.put(document("c3", #"{"status":"OPEN","agentId":"B","topic":"billing"}"#, at: 30))
        func ids(_ query: DocumentQuery) async throws -> [String] { try await store.query(query).documents.map(\.id) }
        #expect(
            try await ids(DocumentQuery(collection: .conversation, filters: [.equals("status", "OPEN")])) == [
                "c1", "c3",
            ])
        #expect(
            try await ids(DocumentQuery(collection: .conversation, filters: [.contains("topic", "BILL")])) == [
                "c1", "c3",
            ])
        #expect(try await ids(DocumentQuery(collection: .conversation, filters: [.contains("topic", "%")])) == ["c1"])
        #expect(try await ids(DocumentQuery(collection: .conversation, filters: [.oneOf("agentId", ["B"])])) == ["c3"])
        #expect(
            try await ids(
                DocumentQuery(collection: .conversation, filters: [.createdAfter(Date(timeIntervalSince1970: 15))]))
                == ["c2", "c3"])
        #expect(
            try await ids(DocumentQuery(collection: .conversation, orderBy: "createdAt", descending: true)) == [
                "c3", "c2", "c1",
            ])
        #expect(try await ids(DocumentQuery(collection: .conversation, orderBy: "topic")) == ["c1", "c2", "c3"])
        let page = try await store.query(DocumentQuery(collection: .conversation, orderBy: "id", offset: 1, limit: 1))
        #expect(page.documents.map(\.id) == ["c2"])
        #expect(page.total == 3)
        #expect(try await ids(DocumentQuery(collection: .conversation, filters: [.idIn([])])) == [])
        #expect(try await store.deleteAll(.conversation, filters: [.equals("agentId", "A")]) == 2)
        #expect(try await store.delete(.conversation, id: "c3"))
        #expect(try await store.delete(.conversation, id: "c3") == false)
        await #expect(throws: ContactCenterError.self) {
            _ = try await store.query(DocumentQuery(collection: .conversation, orderBy: "x') OR 1=1 --"))
        }
        try await store.close()
    }

    @Test func countsGroupByAFieldInOneQuery() async throws {
        let store = try SQLiteStore(path: temporaryPath())
        try await store.put(document("c1", #"{"status":"OPEN","agentId":"A"}"#, at: 10))
        try await store.put(document("c2", #"{"status":"WAITING","agentId":"A"}"#, at: 11))
        try await store.put(document("c3", #"{"status":"CLOSED","agentId":"A"}"#, at: 12))
        try await store.put(document("c4", #"{"status":"OPEN","agentId":"B"}"#, at: 13))
        try await store.put(document("c5", #"{"status":"OPEN","agentId":null}"#, at: 14))
        try await store.put(document("c6", #"{"status":"OPEN","agentId":"C"}"#, at: 15))
        let open = try await store.counts(
            .conversation, filters: [.oneOf("agentId", ["A", "B", "Z"]), .oneOf("status", ["OPEN", "WAITING"])],
            groupedBy: "agentId")
        #expect(open == ["A": 2, "B": 1], "no row for an agent without any, C not asked for")
        let all = try await store.counts(.conversation, filters: [], groupedBy: "agentId")
        #expect(all == ["A": 3, "B": 1, "C": 1], "documents without the field are not counted")
        // Routing's count of open conversations goes by agent and status in the index, not through
        // every conversation the agents ever had.
        let plan = try store.countsQueryPlan(
            .conversation, filters: [.oneOf("agentId", ["A", "B"]), .oneOf("status", ["OPEN", "WAITING"])],
            groupedBy: "agentId")
        #expect(
            plan.contains { $0.contains("documents_agent_status") && $0.contains("<expr>=? AND <expr>=?") }, "\(plan)")
        await #expect(throws: ContactCenterError.self) {
            _ = try await store.counts(.conversation, filters: [], groupedBy: "x') OR 1=1 --")
        }
        try await store.close()
    }

    @Test func typedRecordsRoundTrip() async throws {
        let store = try SQLiteStore(path: temporaryPath())
        let now = Date(timeIntervalSince1970: 1_700_000_000.123)
        let agent = Agent(displayName: "Ünïcødé ✓", status: .BUSY, role: .SUPERVISOR, createdAt: now, updatedAt: now)
        try await store.save(agent)
        let loaded = try #require(try await store.load(Agent.self, id: agent.id))
        #expect(loaded.displayName == agent.displayName)
        #expect(abs(loaded.createdAt.timeIntervalSince(now)) < 0.001)
        #expect(try await store.list(Agent.self, DocumentQuery(collection: .agent)).total == 1)
        try await store.close()
    }
}
