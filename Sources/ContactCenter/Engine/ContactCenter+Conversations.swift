import Foundation

/// A conversation as the API shows it (the customer identity stays internal).
public struct ConversationView: Sendable, Equatable, Encodable {
    public var conversation: Conversation
    public init(_ conversation: Conversation) { self.conversation = conversation }

    enum Keys: String, CodingKey {
        case id, topic, summary, status, priority, queueId, agentId, channel, createdAt, updatedAt, closedAt
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        let v = conversation
        try c.encode(v.id, forKey: .id)
        try c.encode(v.topic, forKey: .topic)
        try c.encode(v.summary, forKey: .summary)
        try c.encode(v.status, forKey: .status)
        try c.encode(v.priority, forKey: .priority)
        try c.encode(v.queueId, forKey: .queueId)
        try c.encode(v.agentId, forKey: .agentId)
        try c.encodeIfPresent(v.channel, forKey: .channel)
        try c.encode(v.createdAt, forKey: .createdAt)
        try c.encode(v.updatedAt, forKey: .updatedAt)
        try c.encodeIfPresent(v.closedAt, forKey: .closedAt)
    }
}

/// Filters of `GET /ccaas/1/conversations`.
public struct ConversationFilter: Sendable, Equatable {
    public var status: ConversationStatus?
    public var priority: ConversationPriority?
    public var queueId: String?
    public var agentId: String?
    public var topic: String?
    public var createdAfter: Date?
    public var createdBefore: Date?
    public var updatedAfter: Date?
    public var updatedBefore: Date?
    public init() {}
}

extension ContactCenter {
    static let conversationFields: [(String, Schema)] = [
        ("topic", .string(.init(maxLength: 1000))),
        ("summary", .string(.init(maxLength: 4000))),
        ("status", .enumeration(ConversationStatus.self)),
        ("priority", .enumeration(ConversationPriority.self)),
        ("queueId", .string(.init(maxLength: 255))),
        ("agentId", .string(.init(maxLength: 255))),
        ("channel", .enumeration(MessageChannel.self)),
    ]
    /// Infobip's `ConversationApiModel` as a request (create and PUT); every field optional.
    public static let conversationSchema = Schema.object(conversationFields)
    /// Infobip's `PatchConversationApiRequest`.
    public static let patchConversationSchema = Schema.object(
        conversationFields.filter { $0.0 != "channel" })
    public static let assigneeSchema = Schema.object(
        [("agentId", .string(.init(minLength: 1, maxLength: 255)))], required: ["agentId"])

    public func createConversation(_ body: JSONValue, by actor: ActingParty) async throws -> ConversationView {
        try check(body, against: Self.conversationSchema)
        let now = now()
        var conversation = Conversation(createdAt: now, updatedAt: now)
        try await apply(body, to: &conversation, by: actor)
        if conversation.status == .CLOSED { conversation.closedAt = now }
        try await store.save(conversation)
        events.publish(.conversationChanged(conversation))
        return ConversationView(conversation)
    }

    public func conversation(_ id: String) async throws -> ConversationView {
        ConversationView(try await requireConversation(id))
    }

    /// PUT replaces every field (absent means null); PATCH changes only the fields sent.
    public func updateConversation(_ id: String, _ body: JSONValue, replace: Bool, by actor: ActingParty) async throws
        -> ConversationView
    {
        try check(body, against: replace ? Self.conversationSchema : Self.patchConversationSchema)
        var conversation = try await requireOpenConversation(id)
        if replace {
            conversation.topic = nil
            conversation.summary = nil
            conversation.queueId = nil
            conversation.agentId = nil
            conversation.status = .OPEN
            conversation.priority = .NORMAL
        }
        try await apply(body, to: &conversation, by: actor)
        conversation.updatedAt = now()
        if conversation.status == .CLOSED { conversation.closedAt = conversation.updatedAt }
        try await store.save(conversation)
        events.publish(.conversationChanged(conversation))
        return ConversationView(conversation)
    }

    /// Deletes a conversation and its messages (an extension: Infobip closes conversations instead).
    public func deleteConversation(_ id: String, by actor: ActingParty) async throws {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may delete conversations.")
        }
        _ = try await requireConversation(id)
        try await store.deleteAll(.message, filters: [.equals("conversationId", id)])
        try await store.delete(.conversation, id: id)
    }

    public func assign(_ id: String, _ body: JSONValue, by actor: ActingParty) async throws -> ConversationView {
        try check(body, against: Self.assigneeSchema)
        let agentId = body["agentId"]!.stringValue!
        guard actor.mayActOn(agentId: agentId) else {
            throw ContactCenterError.forbidden("Agent may assign conversations only to itself.")
        }
        var conversation = try await requireOpenConversation(
            id, action: "Assignee cannot be updated in closed conversations.")
        _ = try await requireAgent(agentId)
        conversation.agentId = agentId
        conversation.updatedAt = now()
        try await store.save(conversation)
        events.publish(.conversationChanged(conversation))
        return ConversationView(conversation)
    }

    public func unassign(_ id: String, by actor: ActingParty) async throws -> ConversationView {
        var conversation = try await requireOpenConversation(
            id, action: "Assignee cannot be updated in closed conversations.")
        if let assignee = conversation.agentId, !actor.mayActOn(agentId: assignee) {
            throw ContactCenterError.forbidden("Agent may unassign only its own conversations.")
        }
        conversation.agentId = nil
        conversation.updatedAt = now()
        try await store.save(conversation)
        events.publish(.conversationChanged(conversation))
        return ConversationView(conversation)
    }

    public func conversations(_ filter: ConversationFilter, _ page: PageRequest) async throws -> Page<ConversationView>
    {
        var filters: [DocumentFilter] = []
        if let v = filter.status { filters.append(.equals("status", v.rawValue)) }
        if let v = filter.priority { filters.append(.equals("priority", v.rawValue)) }
        if let v = filter.queueId { filters.append(.equals("queueId", v)) }
        if let v = filter.agentId { filters.append(.equals("agentId", v)) }
        if let v = filter.topic { filters.append(.contains("topic", v)) }
        if let v = filter.createdAfter { filters.append(.createdAfter(v)) }
        if let v = filter.createdBefore { filters.append(.createdBefore(v)) }
        if let v = filter.updatedAfter { filters.append(.updatedAfter(v)) }
        if let v = filter.updatedBefore { filters.append(.updatedBefore(v)) }
        let (items, total) = try await store.list(Conversation.self, pageQuery(.conversation, filters, page))
        return Page(items: items.map(ConversationView.init), total: total, request: page)
    }

    public func agentConversations(_ agentId: String, _ page: PageRequest) async throws -> Page<ConversationView> {
        _ = try await requireAgent(agentId)
        var filter = ConversationFilter()
        filter.agentId = agentId
        return try await conversations(filter, page)
    }

    func requireConversation(_ id: String) async throws -> Conversation {
        guard let conversation = try await store.load(Conversation.self, id: id) else {
            throw ContactCenterError.notFound(resource: "conversation", id: id)
        }
        return conversation
    }

    func requireOpenConversation(_ id: String, action: String = "Closed conversation cannot be changed")
        async throws -> Conversation
    {
        let conversation = try await requireConversation(id)
        guard conversation.status != .CLOSED else { throw ContactCenterError.badRequest(action) }
        return conversation
    }

    private func apply(_ body: JSONValue, to conversation: inout Conversation, by actor: ActingParty) async throws {
        if let v = body["topic"] { conversation.topic = v.stringValue }
        if let v = body["summary"] { conversation.summary = v.stringValue }
        if let v = body["status"]?.stringValue.flatMap(ConversationStatus.init) { conversation.status = v }
        if let v = body["priority"]?.stringValue.flatMap(ConversationPriority.init) { conversation.priority = v }
        if let v = body["channel"]?.stringValue.flatMap(MessageChannel.init) { conversation.channel = v }
        if let v = body["queueId"] {
            if let queueId = v.stringValue { _ = try await requireQueue(queueId) }
            conversation.queueId = v.stringValue
        }
        if let v = body["agentId"] {
            if let agentId = v.stringValue {
                _ = try await requireAgent(agentId)
                guard actor.mayActOn(agentId: agentId) else {
                    throw ContactCenterError.forbidden("Agent may assign conversations only to itself.")
                }
            }
            conversation.agentId = v.stringValue
        }
    }
}

extension ContactCenter {
    /// A conversation for a customer's call into `queueId`.
    public func startCallConversation(customerIdentity: String, queueId: String) async throws -> Conversation {
        let now = now()
        let conversation = Conversation(
            topic: "Call from \(customerIdentity)", queueId: queueId, customerIdentity: customerIdentity,
            createdAt: now,
            updatedAt: now)
        try await store.save(conversation)
        events.publish(.conversationChanged(conversation))
        return conversation
    }
}
