import ContactCenter
import Foundation

/// A revocation as stored: one token (`tokenId`), or every token of `identity` issued up to and
/// including the second `revokedAt` falls in. Kept until no token it refuses could still be valid.
public struct TokenRevocation: Persistable, Equatable {
    public static let collection = DocumentCollection.tokenRevocation
    public var id: String
    public var identity: String
    /// The revoked token's `jti`; nil when every token of the identity is revoked.
    public var tokenId: String?
    public var revokedAt: Date
    /// After this no token the revocation refuses can be valid: the entry is forgotten.
    public var forgetAt: Date
    public var createdAt: Date
    public var updatedAt: Date

    /// Whether a token with `claims` is refused by this revocation.
    func refuses(_ claims: TokenClaims) -> Bool {
        guard claims.sub == identity else { return false }
        if let tokenId { return claims.jti == tokenId }
        return claims.iat <= Int64(revokedAt.timeIntervalSince1970.rounded(.down))
    }
}

/// WebRTC tokens revoked before they expire: a stolen or signed-out token, or all of an agent's
/// tokens. Held in memory for the check at every signaling connection, stored so that a restart
/// keeps them, and forgotten once the tokens they refuse would have expired anyway.
public actor TokenRevocations {
    private let store: any ContactCenterStore
    private let clock: any WallClock
    /// Longest a token lives (`maxTokenTimeToLiveSeconds`): how long an identity's revocation is kept.
    private let maxTimeToLive: TimeInterval
    private var byIdentity: [String: [TokenRevocation]] = [:]

    public init(store: any ContactCenterStore, clock: any WallClock, maxTimeToLive: TimeInterval) {
        self.store = store
        self.clock = clock
        self.maxTimeToLive = maxTimeToLive
    }

    /// Reads the stored revocations still in force (at start) and deletes those that are not.
    public func load() async throws {
        let now = clock.now()
        let stored = try await store.list(TokenRevocation.self, DocumentQuery(collection: .tokenRevocation)).items
        byIdentity = [:]
        for revocation in stored {
            if revocation.forgetAt > now {
                byIdentity[revocation.identity, default: []].append(revocation)
            } else {
                try await store.delete(.tokenRevocation, id: revocation.id)
            }
        }
    }

    /// Whether the token with `claims` was revoked.
    public func isRevoked(_ claims: TokenClaims) -> Bool {
        byIdentity[claims.sub]?.contains { $0.refuses(claims) } ?? false
    }

    /// Revokes one token (its claims verified by the caller).
    @discardableResult
    public func revoke(token claims: TokenClaims) async throws -> TokenRevocation {
        let now = clock.now()
        return try await add(
            TokenRevocation(
                id: "token:\(claims.jti)", identity: claims.sub, tokenId: claims.jti, revokedAt: now,
                forgetAt: Date(timeIntervalSince1970: TimeInterval(claims.exp)), createdAt: now, updatedAt: now))
    }

    /// Revokes every token of `identity` issued so far.
    @discardableResult
    public func revoke(identity: String) async throws -> TokenRevocation {
        let now = clock.now()
        return try await add(
            TokenRevocation(
                id: "identity:\(identity)", identity: identity, tokenId: nil, revokedAt: now,
                forgetAt: now.addingTimeInterval(maxTimeToLive), createdAt: now, updatedAt: now))
    }

    private func add(_ revocation: TokenRevocation) async throws -> TokenRevocation {
        try await store.save(revocation)
        let now = clock.now()
        var kept = (byIdentity[revocation.identity] ?? []).filter { $0.forgetAt > now && $0.id != revocation.id }
        kept.append(revocation)
        byIdentity[revocation.identity] = kept
        return revocation
    }
}
