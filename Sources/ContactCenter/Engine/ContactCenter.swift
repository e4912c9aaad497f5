import Foundation
import Logging

/// Who is acting on a REST request: the integration (API key alone) or an agent named by the
/// `x-agent-id` header.
public enum ActingParty: Sendable, Equatable {
    case integration
    case agent(Agent)

    /// An agent may act on itself only; a supervisor and the integration on anyone.
    public func mayActOn(agentId: String) -> Bool {
        switch self {
        case .integration: true
        case .agent(let agent): agent.role == .SUPERVISOR || agent.id == agentId
        }
    }

    /// Account-wide changes are for the integration and supervisors.
    public var mayConfigureAccount: Bool {
        switch self {
        case .integration: true
        case .agent(let agent): agent.role == .SUPERVISOR
        }
    }
}

/// A page request: Infobip's `page`, `limit` and `orderBy=field:asc|desc`.
public struct PageRequest: Sendable, Equatable {
    public var page: Int
    public var limit: Int
    public var orderBy: String
    public var descending: Bool
    public init(page: Int = 0, limit: Int = 10, orderBy: String = "id", descending: Bool = false) {
        self.page = page
        self.limit = limit
        self.orderBy = orderBy
        self.descending = descending
    }
    /// As Infobip echoes it, e.g. `id:ASC`.
    public var orderByText: String { "\(orderBy):\(descending ? "DESC" : "ASC")" }
}

/// One page of results and the total number of matches.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var total: Int
    public var request: PageRequest
}

/// Delivers LIVE_CHAT messages to a customer's connected sockets.
public protocol LiveChatDelivery: Sendable {
    /// Returns whether at least one socket of `identity` took the message.
    func deliver(_ message: Message, to identity: String) async -> Bool
}

/// The contact-center domain: agents, queues, conversations, messages, wrap-up and the
/// account settings, over a store, with live state in the `AgentRegistry`.
public actor ContactCenter {
    public nonisolated let store: any ContactCenterStore
    public nonisolated let registry: AgentRegistry
    public nonisolated let events: EventBus
    public nonisolated let clock: any WallClock
    let logger: Logger
    var liveChat: (any LiveChatDelivery)?
    var webhook: WebhookDispatcher?
    /// The SIP trunks as stored, read once per change: every inbound INVITE looks them up.
    var sipTrunkCache: [SIPTrunk]?
    /// Bumped by every trunk change, so a read that raced a change is not cached.
    var sipTrunkGeneration = 0
    /// Each queue's members in joining order, read from the store once per membership change:
    /// every routed call (and every waiting call at each dispatch) asks.
    var queueMemberCache: [String: [String]] = [:]
    /// Bumped by every membership change, so a read that raced a change is not cached.
    var queueMemberGeneration = 0
    /// The text-to-speech voices: which languages they speak (for error messages) and whether a
    /// requested language has one; spoken texts in others are refused. nil: not checked.
    let speech: SpeechLanguages?

    public init(
        store: any ContactCenterStore, clock: any WallClock = SystemWallClock(), events: EventBus = EventBus(),
        heartbeatTimeoutSeconds: Int = 30, speech: SpeechLanguages? = nil,
        logger: Logger = Logger(label: "contact-center")
    ) {
        self.speech = speech
        self.store = store
        self.clock = clock
        self.events = events
        self.logger = logger
        self.registry = AgentRegistry(clock: clock, events: events, heartbeatTimeoutSeconds: heartbeatTimeoutSeconds)
    }

    /// Loads the agents into the live registry and resumes pending webhook deliveries.
    public func start(liveChat: (any LiveChatDelivery)?, webhook: WebhookDispatcher?) async throws {
        self.liveChat = liveChat
        self.webhook = webhook
        let (agents, _) = try await store.list(Agent.self, DocumentQuery(collection: .agent))
        for agent in agents { await registry.upsert(agent) }
        try await webhook?.resume()
    }

    /// Moves every timer forward to the clock's now.
    public func tick() async {
        await registry.tick()
        await webhook?.tick()
    }

    func now() -> Date { clock.now() }

    /// Validates `body` against `schema`, throwing every violation at once.
    func check(_ body: JSONValue, against schema: Schema) throws(ContactCenterError) {
        let violations = schema.validate(body)
        if !violations.isEmpty { throw .invalid(violations) }
    }

    func pageQuery(
        _ collection: DocumentCollection, _ filters: [DocumentFilter], _ page: PageRequest
    ) -> DocumentQuery {
        DocumentQuery(
            collection: collection, filters: filters, orderBy: page.orderBy, descending: page.descending,
            offset: page.page * page.limit, limit: page.limit)
    }

    func requireAgent(_ id: String) async throws -> Agent {
        guard let agent = try await store.load(Agent.self, id: id) else {
            throw ContactCenterError.notFound(resource: "agent", id: id)
        }
        return agent
    }

    func requireQueue(_ id: String) async throws -> Queue {
        guard let queue = try await store.load(Queue.self, id: id) else {
            throw ContactCenterError.notFound(resource: "queue", id: id)
        }
        return queue
    }
}
