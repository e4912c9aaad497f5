import Foundation

/// The kinds of record the contact center persists.
public enum DocumentCollection: String, Sendable, CaseIterable {
    case agent, queue, agentQueueLink, conversation, message
    case agentConfig, agentRecordingConfig, waitingStrategy, holdConfig, audioFile, call, sipTrunk, workingHours
    /// Away audio messages, keyed by their working hours' id.
    case awayAudioMessage
    /// Callers who asked to be called back, with where the callback stands.
    case callback
    /// Recorded files' metadata.
    case recording
    /// Account-wide singletons (wrap-up, call timeouts, recording, transfer configs), keyed by name.
    case accountSetting
    /// Revoked WebRTC tokens (one token, or every token of an identity issued until a moment).
    case tokenRevocation
    /// Agents' sign-in logins and password hashes, keyed by agent id.
    case agentCredential
    /// One-time sign-in links, keyed by the SHA-256 of their code.
    case signInLink
    /// Notes on conversations.
    case note
}

/// A record as stored: its JSON body plus the columns every query needs.
public struct StoredDocument: Sendable, Equatable {
    public var collection: DocumentCollection
    public var id: String
    public var createdAt: Date
    public var updatedAt: Date
    public var body: Data
    public init(collection: DocumentCollection, id: String, createdAt: Date, updatedAt: Date, body: Data) {
        self.collection = collection
        self.id = id
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.body = body
    }
}

/// A filter on a document's JSON body field (top-level name) or on its timestamps.
public enum DocumentFilter: Sendable, Equatable {
    case equals(String, String)
    case equalsBool(String, Bool)
    case isNull(String)
    case oneOf(String, [String])
    /// Case-insensitive substring match.
    case contains(String, String)
    case createdAfter(Date)
    case createdBefore(Date)
    case updatedAfter(Date)
    case updatedBefore(Date)
    /// Document id is one of these.
    case idIn([String])
    /// A numeric body field is at least / at most the value (missing fields never match).
    case atLeast(String, Double)
    case atMost(String, Double)
}

/// What to fetch, in which order, which page.
public struct DocumentQuery: Sendable, Equatable {
    public var collection: DocumentCollection
    public var filters: [DocumentFilter]
    /// Body field to order by (`id`, `createdAt`, `updatedAt` use columns), ascending unless `descending`.
    public var orderBy: String
    public var descending: Bool
    public var offset: Int
    /// nil for no limit.
    public var limit: Int?
    public init(
        collection: DocumentCollection, filters: [DocumentFilter] = [], orderBy: String = "id",
        descending: Bool = false,
        offset: Int = 0, limit: Int? = nil
    ) {
        self.collection = collection
        self.filters = filters
        self.orderBy = orderBy
        self.descending = descending
        self.offset = offset
        self.limit = limit
    }
}

/// An API key as stored: only its SHA-256 hash is kept.
public struct APIKeyRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    public var keyHash: String
    public var createdAt: Date
    public var revokedAt: Date?
    public init(id: String, name: String, keyHash: String, createdAt: Date, revokedAt: Date? = nil) {
        self.id = id
        self.name = name
        self.keyHash = keyHash
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// Persistence of everything a user configured or sent. The embedded implementation is
/// SQLite (WAL); another backend implements the same protocol.
public protocol ContactCenterStore: Sendable {
    /// Inserts or replaces a document.
    func put(_ document: StoredDocument) async throws
    func get(_ collection: DocumentCollection, id: String) async throws -> StoredDocument?
    /// Returns whether a document was deleted.
    @discardableResult func delete(_ collection: DocumentCollection, id: String) async throws -> Bool
    /// Deletes every document of `collection` matching `filters`; returns the count.
    @discardableResult func deleteAll(_ collection: DocumentCollection, filters: [DocumentFilter]) async throws -> Int
    /// The page asked for and the total number of matches.
    func query(_ query: DocumentQuery) async throws -> (documents: [StoredDocument], total: Int)
    /// How many documents of `collection` match `filters`, by the value of their text field
    /// `field` (documents without it are not counted): one query where routing would otherwise
    /// make one per agent.
    func counts(_ collection: DocumentCollection, filters: [DocumentFilter], groupedBy field: String) async throws
        -> [String: Int]

    func insertAPIKey(_ record: APIKeyRecord) async throws
    func apiKey(hash: String) async throws -> APIKeyRecord?
    func apiKeys() async throws -> [APIKeyRecord]
    /// Returns false when no active key has that id.
    func revokeAPIKey(id: String, at: Date) async throws -> Bool

    /// Flushes and closes; later calls fail.
    func close() async throws
}

/// A typed record that lives in a `DocumentCollection`.
public protocol Persistable: Codable, Sendable {
    static var collection: DocumentCollection { get }
    var id: String { get }
    var createdAt: Date { get }
    var updatedAt: Date { get }
}

extension ContactCenterStore {
    public func save<T: Persistable>(_ record: T) async throws {
        let body = try InfobipDate.encoder().encode(record)
        try await put(
            StoredDocument(
                collection: T.collection, id: record.id, createdAt: record.createdAt, updatedAt: record.updatedAt,
                body: body))
    }

    public func load<T: Persistable>(_ type: T.Type, id: String) async throws -> T? {
        guard let document = try await get(T.collection, id: id) else { return nil }
        return try InfobipDate.decoder().decode(T.self, from: document.body)
    }

    public func list<T: Persistable>(_ type: T.Type, _ query: DocumentQuery) async throws -> (items: [T], total: Int) {
        var q = query
        q.collection = T.collection
        let (documents, total) = try await self.query(q)
        let decoder = InfobipDate.decoder()
        return (try documents.map { try decoder.decode(T.self, from: $0.body) }, total)
    }
}
