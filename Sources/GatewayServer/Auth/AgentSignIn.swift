import ContactCenter
import Foundation

/// An agent's login and password hash as stored (keyed by the agent's id).
public struct AgentCredential: Persistable, Equatable {
    public static let collection = DocumentCollection.agentCredential
    public var id: String { agentId }
    public var agentId: String
    /// What the agent types to sign in; unique, kept lower-case.
    public var login: String
    /// Argon2id, encoded with its salt and costs (`PasswordHasher`).
    public var passwordHash: String
    public var createdAt: Date
    public var updatedAt: Date
}

/// A one-time sign-in link as stored: only the SHA-256 of its code is kept.
public struct SignInLink: Persistable, Equatable {
    public static let collection = DocumentCollection.signInLink
    /// Hex SHA-256 of the code.
    public var id: String
    public var agentId: String
    /// Seconds since 1970 (a number, so that expired links can be deleted by a filter).
    public var expiresAtSeconds: Double
    public var createdAt: Date
    public var updatedAt: Date { createdAt }
}

/// How agents sign in without an API key: by a login and password an administrator set, or by a
/// one-time link an administrator sent. Both end in the agent's WebRTC token (issued by the
/// routes). Attempts go through `SignInThrottle`; passwords through `PasswordHasher`.
public actor AgentSignIn {
    private let store: any ContactCenterStore
    private let clock: any WallClock
    public nonisolated let hasher: PasswordHasher
    private var throttle: SignInThrottle
    /// Logins being set right now.
    private var reserved: Set<String> = []

    /// Characters a login may hold besides letters and digits.
    public static let loginCharacters = "-_.@+"
    /// Longest a sign-in link may live (7 days); the default is a day.
    public static let maxLinkTimeToLive = 7 * 86_400
    public static let defaultLinkTimeToLive = 86_400

    public init(
        store: any ContactCenterStore, clock: any WallClock, hasher: PasswordHasher,
        throttle: SignInThrottle = SignInThrottle()
    ) {
        self.store = store
        self.clock = clock
        self.hasher = hasher
        self.throttle = throttle
    }

    /// Sets `agentId`'s password, and its login when given (required the first time).
    public func setPassword(agentId: String, login: String?, password: String) async throws -> AgentCredential {
        guard try await store.load(Agent.self, id: agentId) != nil else {
            throw ContactCenterError.notFound(resource: "agent", id: agentId)
        }
        let existing = try await store.load(AgentCredential.self, id: agentId)
        var violations: [Violation] = []
        if !PasswordHasher.passwordLength.contains(password.count) {
            violations.append(
                Violation(
                    field: "password",
                    message:
                        "size must be between \(PasswordHasher.passwordLength.lowerBound) and \(PasswordHasher.passwordLength.upperBound)"
                ))
        }
        let wanted = login.map { $0.lowercased() } ?? existing?.login
        if wanted == nil { violations.append(Violation(field: "login", message: "must not be null")) }
        if !violations.isEmpty { throw ContactCenterError.invalid(violations) }
        let chosen = wanted!
        // Held from the check to the save, so that two agents cannot both take one login.
        guard !reserved.contains(chosen) else {
            throw ContactCenterError.conflict("The login '\(chosen)' is being given to another agent.")
        }
        reserved.insert(chosen)
        defer { reserved.remove(chosen) }
        if chosen != existing?.login {
            let holders = try await store.list(
                AgentCredential.self,
                DocumentQuery(collection: .agentCredential, filters: [.equals("login", chosen)], limit: 1)
            ).items
            if let holder = holders.first, holder.agentId != agentId {
                throw ContactCenterError.conflict("The login '\(chosen)' is taken by another agent.")
            }
        }
        let hash = try await hasher.hash(password)
        let now = clock.now()
        let credential = AgentCredential(
            agentId: agentId, login: chosen, passwordHash: hash, createdAt: existing?.createdAt ?? now, updatedAt: now)
        try await store.save(credential)
        return credential
    }

    /// The agent's login and when its password was set; nil when none is.
    public func credential(agentId: String) async throws -> AgentCredential? {
        try await store.load(AgentCredential.self, id: agentId)
    }

    /// Removes the agent's password and every sign-in link it has; whether it had a password.
    @discardableResult
    public func forget(agentId: String) async throws -> Bool {
        try await store.deleteAll(.signInLink, filters: [.equals("agentId", agentId)])
        return try await store.delete(.agentCredential, id: agentId)
    }

    /// A new one-time link for `agentId`, valid `timeToLive` seconds: its code (the only copy) and
    /// when it expires. Expired links of every agent are deleted on the way.
    public func createLink(agentId: String, timeToLive: Int) async throws -> (code: String, expires: Date) {
        guard try await store.load(Agent.self, id: agentId) != nil else {
            throw ContactCenterError.notFound(resource: "agent", id: agentId)
        }
        let now = clock.now()
        try await store.deleteAll(.signInLink, filters: [.atMost("expiresAtSeconds", now.timeIntervalSince1970)])
        let code = CryptoPrimitives.base64URL(CryptoPrimitives.randomBytes(32))
        let expires = now.addingTimeInterval(TimeInterval(timeToLive))
        try await store.save(
            SignInLink(
                id: Self.linkId(code), agentId: agentId, expiresAtSeconds: expires.timeIntervalSince1970, createdAt: now
            ))
        return (code, expires)
    }

    /// The agent whose `login` and `password` these are.
    /// - Throws: `SignInRefusal` (wrong, throttled, disabled).
    public func signIn(login: String, password: String, source: String) async throws -> Agent {
        let key = login.lowercased()
        if let wait = throttle.admit(source: source, login: key, now: clock.now()) {
            throw SignInRefusal.throttled(retryAfterSeconds: wait)
        }
        let credential = try await store.list(
            AgentCredential.self,
            DocumentQuery(collection: .agentCredential, filters: [.equals("login", key)], limit: 1)
        ).items.first
        guard try await hasher.verify(password, against: credential?.passwordHash), var credential else {
            throw SignInRefusal.wrongPassword
        }
        throttle.succeeded(login: key)
        guard let agent = try await store.load(Agent.self, id: credential.agentId) else {
            throw SignInRefusal.wrongPassword
        }
        guard agent.enabled else { throw SignInRefusal.disabled(agent.id) }
        if hasher.needsRehash(credential.passwordHash) {
            credential.passwordHash = try await hasher.hash(password)
            credential.updatedAt = clock.now()
            try await store.save(credential)
        }
        return agent
    }

    /// The agent a one-time link `code` was made for; the link is used up.
    /// - Throws: `SignInRefusal` (unknown, used, expired, throttled, disabled).
    public func redeem(code: String, source: String) async throws -> Agent {
        let now = clock.now()
        if let wait = throttle.admit(source: source, login: nil, now: now) {
            throw SignInRefusal.throttled(retryAfterSeconds: wait)
        }
        let id = Self.linkId(code)
        // Deleting is the claim: of two redeeming the same code at once, one deletes it.
        guard let link = try await store.load(SignInLink.self, id: id), try await store.delete(.signInLink, id: id)
        else { throw SignInRefusal.unknownLink }
        guard link.expiresAtSeconds > now.timeIntervalSince1970 else { throw SignInRefusal.expiredLink }
        guard let agent = try await store.load(Agent.self, id: link.agentId) else { throw SignInRefusal.unknownLink }
        guard agent.enabled else { throw SignInRefusal.disabled(agent.id) }
        return agent
    }

    static func linkId(_ code: String) -> String { CryptoPrimitives.hex(CryptoPrimitives.sha256(Array(code.utf8))) }
}

/// Why a sign-in was refused. The wording never tells a wrong login from a wrong password.
public enum SignInRefusal: Error, Equatable, CustomStringConvertible {
    case wrongPassword
    case unknownLink
    case expiredLink
    case disabled(String)
    case throttled(retryAfterSeconds: Int)

    public var description: String {
        switch self {
        case .wrongPassword: "The login or password is wrong."
        case .unknownLink: "The sign-in link is not valid or was already used."
        case .expiredLink: "The sign-in link has expired."
        case .disabled(let id): "Agent \(id) is disabled."
        case .throttled(let seconds): "Too many sign-in attempts; try again in \(seconds) s."
        }
    }
}
