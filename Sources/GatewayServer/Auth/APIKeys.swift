import ContactCenter
import Foundation

/// Creation, lookup and revocation of REST API keys. Keys are shown once and stored as SHA-256.
public struct APIKeys: Sendable {
    let store: any ContactCenterStore
    let clock: any WallClock

    public init(store: any ContactCenterStore, clock: any WallClock = SystemWallClock()) {
        self.store = store
        self.clock = clock
    }

    /// A new key; the returned secret is the only copy.
    public func create(name: String) async throws -> (record: APIKeyRecord, secret: String) {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard (1...128).contains(trimmed.count) else {
            throw ContactCenterError.invalid([Violation(field: "name", message: "size must be between 1 and 128")])
        }
        let secret = "cgw_" + CryptoPrimitives.hex(CryptoPrimitives.randomBytes(24))
        let record = APIKeyRecord(
            id: Identifiers.hex32(), name: trimmed, keyHash: Self.hash(secret), createdAt: clock.now())
        try await store.insertAPIKey(record)
        return (record, secret)
    }

    /// The active key record for `secret`, or nil for unknown and revoked keys.
    public func authenticate(_ secret: String) async throws -> APIKeyRecord? {
        guard !secret.isEmpty, secret.count <= 256, let record = try await store.apiKey(hash: Self.hash(secret)),
            record.revokedAt == nil
        else { return nil }
        return record
    }

    public func revoke(id: String) async throws -> Bool { try await store.revokeAPIKey(id: id, at: clock.now()) }

    public func list() async throws -> [APIKeyRecord] { try await store.apiKeys() }

    static func hash(_ secret: String) -> String { CryptoPrimitives.hex(CryptoPrimitives.sha256(Array(secret.utf8))) }
}
