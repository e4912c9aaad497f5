import ContactCenter
import Foundation
import GRDB

/// The embedded default store: one SQLite file in WAL mode, schema evolved by versioned
/// migrations. Documents are JSON bodies; filters and ordering run in SQL over `json_extract`,
/// with expression indexes on the fields the hot paths look up.
public final class SQLiteStore: ContactCenterStore {
    private let pool: DatabasePool

    /// Opens (creating if needed) the database at `path` and migrates it to the latest version.
    /// A statement that finds the database locked by another connection (another process: the
    /// gateway while `gateway api-key` runs) retries for up to `busyTimeout` seconds.
    public init(path: String, busyTimeout: TimeInterval = 5) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(pool)
    }

    /// The schema's history. Never edit a shipped migration; add a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-documents") { db in
            try db.execute(
                sql: """
                    CREATE TABLE documents (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        collection TEXT NOT NULL,
                        id TEXT NOT NULL,
                        created_at REAL NOT NULL,
                        updated_at REAL NOT NULL,
                        body TEXT NOT NULL,
                        UNIQUE (collection, id)
                    );
                    CREATE INDEX documents_created ON documents (collection, created_at);
                    CREATE INDEX documents_conversation
                        ON documents (collection, json_extract(body, '$.conversationId'), created_at);
                    CREATE INDEX documents_agent ON documents (collection, json_extract(body, '$.agentId'));
                    CREATE INDEX documents_customer
                        ON documents (collection, json_extract(body, '$.customerIdentity'));
                    CREATE TABLE api_keys (
                        id TEXT PRIMARY KEY,
                        name TEXT NOT NULL,
                        key_hash TEXT NOT NULL UNIQUE,
                        created_at REAL NOT NULL,
                        revoked_at REAL
                    );
                    """)
        }
        // Routing counts each free agent's open conversations at every call: through the agent's
        // index alone that read every conversation the agent ever had.
        migrator.registerMigration("v2-conversations-by-agent-and-status") { db in
            try db.execute(
                sql: """
                    CREATE INDEX documents_agent_status
                        ON documents (collection, json_extract(body, '$.agentId'), json_extract(body, '$.status'));
                    """)
        }
        return migrator
    }

    /// Names of the migrations applied to the open database, oldest first.
    public func appliedMigrations() throws -> [String] {
        try pool.read { db in try Self.migrator.appliedMigrations(db) }
    }

    public func put(_ document: StoredDocument) async throws {
        // The hot statements are prepared once per connection (GRDB's cache), not at every call.
        try await pool.write { db in
            try db.cachedStatement(
                sql: """
                    INSERT INTO documents (collection, id, created_at, updated_at, body) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (collection, id) DO UPDATE SET
                        updated_at = excluded.updated_at, body = excluded.body
                    """
            ).execute(
                arguments: [
                    document.collection.rawValue, document.id, document.createdAt.timeIntervalSince1970,
                    document.updatedAt.timeIntervalSince1970, String(decoding: document.body, as: UTF8.self),
                ])
        }
    }

    public func get(_ collection: DocumentCollection, id: String) async throws -> StoredDocument? {
        try await pool.read { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM documents WHERE collection = ? AND id = ?"),
                arguments: [collection.rawValue, id]
            ).map(Self.document)
        }
    }

    @discardableResult
    public func delete(_ collection: DocumentCollection, id: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "DELETE FROM documents WHERE collection = ? AND id = ?", arguments: [collection.rawValue, id])
            return db.changesCount > 0
        }
    }

    @discardableResult
    public func deleteAll(_ collection: DocumentCollection, filters: [DocumentFilter]) async throws -> Int {
        let (clause, arguments) = try Self.whereClause(collection, filters)
        return try await pool.write { db in
            try db.execute(sql: "DELETE FROM documents WHERE \(clause)", arguments: arguments)
            return db.changesCount
        }
    }

    public func query(_ query: DocumentQuery) async throws -> (documents: [StoredDocument], total: Int) {
        let (clause, arguments) = try Self.whereClause(query.collection, query.filters)
        let direction = query.descending ? "DESC" : "ASC"
        let order: String
        switch query.orderBy {
        case "id": order = "id \(direction)"
        case "createdAt": order = "created_at \(direction), seq \(direction)"
        case "updatedAt": order = "updated_at \(direction), seq \(direction)"
        default: order = "json_extract(body, \(try Self.jsonPath(query.orderBy))) \(direction), seq \(direction)"
        }
        let limit = query.limit.map { "LIMIT \($0) OFFSET \(query.offset)" } ?? "LIMIT -1 OFFSET \(query.offset)"
        return try await pool.read { db in
            let total =
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM documents WHERE \(clause)", arguments: arguments) ?? 0
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM documents WHERE \(clause) ORDER BY \(order) \(limit)", arguments: arguments)
            return (rows.map(Self.document), total)
        }
    }

    public func counts(_ collection: DocumentCollection, filters: [DocumentFilter], groupedBy field: String)
        async throws -> [String: Int]
    {
        let (sql, arguments) = try Self.countsSQL(collection, filters: filters, groupedBy: field)
        return try await pool.read { db in
            var counts: [String: Int] = [:]
            let rows = try Row.fetchAll(db, sql: sql, arguments: arguments)
            for row in rows {
                guard let key = row[0] as String? else { continue }
                counts[key] = row[1]
            }
            return counts
        }
    }

    /// How SQLite would run `counts` with these arguments (its `EXPLAIN QUERY PLAN` details).
    func countsQueryPlan(_ collection: DocumentCollection, filters: [DocumentFilter], groupedBy field: String)
        throws -> [String]
    {
        let (sql, arguments) = try Self.countsSQL(collection, filters: filters, groupedBy: field)
        return try pool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments).compactMap { $0["detail"] }
        }
    }

    private static func countsSQL(_ collection: DocumentCollection, filters: [DocumentFilter], groupedBy field: String)
        throws -> (String, StatementArguments)
    {
        let (clause, arguments) = try whereClause(collection, filters)
        let value = "json_extract(body, \(try jsonPath(field)))"
        return (
            "SELECT \(value), COUNT(*) FROM documents WHERE \(clause) AND \(value) IS NOT NULL GROUP BY 1", arguments
        )
    }

    public func insertAPIKey(_ record: APIKeyRecord) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "INSERT INTO api_keys (id, name, key_hash, created_at, revoked_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [
                    record.id, record.name, record.keyHash, record.createdAt.timeIntervalSince1970,
                    record.revokedAt?.timeIntervalSince1970,
                ])
        }
    }

    public func apiKey(hash: String) async throws -> APIKeyRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM api_keys WHERE key_hash = ?", arguments: [hash]).map(Self.apiKey)
        }
    }

    public func apiKeys() async throws -> [APIKeyRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM api_keys ORDER BY created_at").map(Self.apiKey)
        }
    }

    public func revokeAPIKey(id: String, at date: Date) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                arguments: [date.timeIntervalSince1970, id])
            return db.changesCount > 0
        }
    }

    /// Closes the database, its write-ahead log first copied into the file and emptied. While
    /// another process reads or writes it (`gateway api-key` beside a busy gateway) the log
    /// cannot be emptied, which is no error: what was written is committed, and the log is
    /// that process's to copy later.
    public func close() async throws {
        do {
            _ = try await pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        } catch let error as DatabaseError where error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED
        {
        }
        try pool.close()
    }

    private static func document(_ row: Row) -> StoredDocument {
        StoredDocument(
            collection: DocumentCollection(rawValue: row["collection"]) ?? .accountSetting,
            id: row["id"],
            createdAt: Date(timeIntervalSince1970: row["created_at"]),
            updatedAt: Date(timeIntervalSince1970: row["updated_at"]),
            body: Data((row["body"] as String).utf8))
    }

    private static func apiKey(_ row: Row) -> APIKeyRecord {
        APIKeyRecord(
            id: row["id"], name: row["name"], keyHash: row["key_hash"],
            createdAt: Date(timeIntervalSince1970: row["created_at"]),
            revokedAt: (row["revoked_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }

    /// Field names reach SQL only as validated JSON paths (letters and digits).
    private static func jsonPath(_ field: String) throws -> String {
        guard !field.isEmpty, field.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw ContactCenterError.badRequest("Invalid field name '\(field)'")
        }
        return "'$.\(field)'"
    }

    private static func whereClause(_ collection: DocumentCollection, _ filters: [DocumentFilter]) throws -> (
        String, StatementArguments
    ) {
        var parts = ["collection = ?"]
        var arguments: StatementArguments = [collection.rawValue]
        for filter in filters {
            switch filter {
            case .equals(let field, let value):
                parts.append("json_extract(body, \(try jsonPath(field))) = ?")
                _ = arguments.append(contentsOf: [value])
            case .equalsBool(let field, let value):
                parts.append("json_extract(body, \(try jsonPath(field))) = ?")
                _ = arguments.append(contentsOf: [value ? 1 : 0])
            case .isNull(let field):
                parts.append("json_extract(body, \(try jsonPath(field))) IS NULL")
            case .oneOf(let field, let values):
                if values.isEmpty {
                    parts.append("0")
                } else {
                    parts.append(
                        "json_extract(body, \(try jsonPath(field))) IN (\(values.map { _ in "?" }.joined(separator: ",")))"
                    )
                    _ = arguments.append(contentsOf: StatementArguments(values))
                }
            case .contains(let field, let value):
                parts.append("lower(json_extract(body, \(try jsonPath(field)))) LIKE ? ESCAPE '\\'")
                let escaped = value.lowercased().replacingOccurrences(of: "\\", with: "\\\\")
                    .replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
                _ = arguments.append(contentsOf: ["%\(escaped)%"])
            case .createdAfter(let date):
                parts.append("created_at > ?")
                _ = arguments.append(contentsOf: [date.timeIntervalSince1970])
            case .createdBefore(let date):
                parts.append("created_at < ?")
                _ = arguments.append(contentsOf: [date.timeIntervalSince1970])
            case .updatedAfter(let date):
                parts.append("updated_at > ?")
                _ = arguments.append(contentsOf: [date.timeIntervalSince1970])
            case .updatedBefore(let date):
                parts.append("updated_at < ?")
                _ = arguments.append(contentsOf: [date.timeIntervalSince1970])
            case .atLeast(let field, let value):
                parts.append("json_extract(body, \(try jsonPath(field))) >= ?")
                _ = arguments.append(contentsOf: [value])
            case .atMost(let field, let value):
                parts.append("json_extract(body, \(try jsonPath(field))) <= ?")
                _ = arguments.append(contentsOf: [value])
            case .idIn(let ids):
                if ids.isEmpty {
                    parts.append("0")
                } else {
                    parts.append("id IN (\(ids.map { _ in "?" }.joined(separator: ",")))")
                    _ = arguments.append(contentsOf: StatementArguments(ids))
                }
            }
        }
        return (parts.joined(separator: " AND "), arguments)
    }
}
