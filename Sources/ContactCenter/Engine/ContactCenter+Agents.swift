import Foundation

/// An agent with the availability the system derives.
public struct AgentView: Sendable, Equatable, Encodable {
    public var agent: Agent
    public var live: AgentLiveState?

    public func encode(to encoder: any Encoder) throws {
        try agent.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(live?.availability ?? .AWAY, forKey: .availability)
        if let left = live?.wrapUpSecondsLeft { try container.encode(left, forKey: .wrapUpSecondsLeft) }
        if let since = live?.availabilitySince { try container.encode(since, forKey: .availabilitySince) }
    }
    enum Keys: String, CodingKey { case availability, wrapUpSecondsLeft, availabilitySince }
}

/// Filters of `GET /ccaas/1/agents`.
public struct AgentFilter: Sendable, Equatable {
    public var agentIds: [String] = []
    public var queueIds: [String] = []
    public var displayName: String?
    public var email: String?
    public var status: AgentStatus?
    public var availability: AgentStatus?
    public var role: AgentRole?
    public var enabled: Bool?
    public var createdAfter: Date?
    public var createdBefore: Date?
    public var updatedAfter: Date?
    public var updatedBefore: Date?
    public init() {}
}

extension ContactCenter {
    /// Infobip's `AgentRequest`, for create and update.
    public static let agentRequestSchema = Schema.object(
        [
            ("displayName", .string(.init(minLength: 1, maxLength: 255))),
            ("status", .enumeration(AgentStatus.self)),
            ("role", .enumeration(AgentRole.self)),
            ("enabled", .boolean),
            ("title", .string(.init(maxLength: 255))),
            ("email", .string(.init(maxLength: 255, format: "email"))),
        ], required: ["displayName", "status", "role"])

    public static let agentStatusSchema = Schema.object(
        [("status", .enumeration(AgentStatus.self))], required: ["status"])

    public static let queueAssignSchema = Schema.object(
        [("queueId", .string(.init(minLength: 1, maxLength: 255)))], required: ["queueId"])

    public func createAgent(_ body: JSONValue, by actor: ActingParty) async throws -> AgentView {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may create agents.")
        }
        try check(body, against: Self.agentRequestSchema)
        let now = now()
        let agent = Agent(
            displayName: body["displayName"]!.stringValue!, title: body["title"]?.stringValue,
            email: body["email"]?.stringValue, status: AgentStatus(rawValue: body["status"]!.stringValue!)!,
            role: AgentRole(rawValue: body["role"]!.stringValue!)!, enabled: body["enabled"]?.boolValue ?? true,
            createdAt: now, updatedAt: now)
        try await store.save(agent)
        await registry.upsert(agent)
        return await view(agent)
    }

    public func updateAgent(_ id: String, _ body: JSONValue, by actor: ActingParty) async throws -> AgentView {
        try authorize(actor, on: id)
        try check(body, against: Self.agentRequestSchema)
        var agent = try await requireAgent(id)
        let role = AgentRole(rawValue: body["role"]!.stringValue!)!
        if role != agent.role, !actor.mayConfigureAccount {
            throw ContactCenterError.forbidden("Only a supervisor may change an agent's role.")
        }
        agent.displayName = body["displayName"]!.stringValue!
        agent.status = AgentStatus(rawValue: body["status"]!.stringValue!)!
        agent.role = role
        agent.enabled = body["enabled"]?.boolValue ?? agent.enabled
        agent.title = body["title"]?.stringValue ?? agent.title
        agent.email = body["email"]?.stringValue ?? agent.email
        agent.updatedAt = now()
        try await store.save(agent)
        await registry.upsert(agent)
        return await view(agent)
    }

    public func agent(_ id: String) async throws -> AgentView {
        await view(try await requireAgent(id))
    }

    /// Deletes an agent (an extension: Infobip disables agents instead). Refused while the
    /// agent still has open conversations assigned.
    public func deleteAgent(_ id: String, by actor: ActingParty) async throws {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may delete agents.")
        }
        _ = try await requireAgent(id)
        let (_, open) = try await store.query(
            DocumentQuery(
                collection: .conversation,
                filters: [.equals("agentId", id), .oneOf("status", ["OPEN", "WAITING", "SOLVED"])], limit: 0))
        if open > 0 {
            throw ContactCenterError.badRequest(
                "Agent \(id) has \(open) conversation(s) assigned; reassign them first.")
        }
        defer { membershipChanged() }
        try await store.deleteAll(.agentQueueLink, filters: [.equals("agentId", id)])
        try await store.delete(.agentConfig, id: id)
        try await store.delete(.agentRecordingConfig, id: id)
        try await store.delete(.agent, id: id)
        await registry.remove(agentId: id)
    }

    public func setAgentStatus(_ id: String, _ body: JSONValue, by actor: ActingParty) async throws -> AgentView {
        try authorize(actor, on: id)
        try check(body, against: Self.agentStatusSchema)
        var agent = try await requireAgent(id)
        agent.status = AgentStatus(rawValue: body["status"]!.stringValue!)!
        agent.statusReason = nil
        agent.updatedAt = now()
        try await store.save(agent)
        await registry.upsert(agent)
        return await view(agent)
    }

    public func agents(_ filter: AgentFilter, _ page: PageRequest) async throws -> Page<AgentView> {
        var filters: [DocumentFilter] = []
        if !filter.agentIds.isEmpty { filters.append(.idIn(filter.agentIds)) }
        if !filter.queueIds.isEmpty {
            let (links, _) = try await store.list(
                AgentQueueLink.self,
                DocumentQuery(collection: .agentQueueLink, filters: [.oneOf("queueId", filter.queueIds)]))
            filters.append(.idIn(Array(Set(links.map(\.agentId)))))
        }
        if let v = filter.displayName { filters.append(.contains("displayName", v)) }
        if let v = filter.email { filters.append(.equals("email", v)) }
        if let v = filter.status { filters.append(.equals("status", v.rawValue)) }
        if let v = filter.role { filters.append(.equals("role", v.rawValue)) }
        if let v = filter.enabled { filters.append(.equalsBool("enabled", v)) }
        if let v = filter.createdAfter { filters.append(.createdAfter(v)) }
        if let v = filter.createdBefore { filters.append(.createdBefore(v)) }
        if let v = filter.updatedAfter { filters.append(.updatedAfter(v)) }
        if let v = filter.updatedBefore { filters.append(.updatedBefore(v)) }
        guard let availability = filter.availability else {
            let (agents, total) = try await store.list(Agent.self, pageQuery(.agent, filters, page))
            var views: [AgentView] = []
            for agent in agents { views.append(await view(agent)) }
            return Page(items: views, total: total, request: page)
        }
        // Availability is live state, not stored: filter after loading, then page.
        var query = pageQuery(.agent, filters, page)
        query.offset = 0
        query.limit = nil
        let (agents, _) = try await store.list(Agent.self, query)
        var matching: [AgentView] = []
        for agent in agents {
            let v = await view(agent)
            if v.live?.availability == availability { matching.append(v) }
        }
        let start = min(matching.count, page.page * page.limit)
        let end = min(matching.count, start + page.limit)
        return Page(items: Array(matching[start..<end]), total: matching.count, request: page)
    }

    public func addAgentToQueue(_ agentId: String, _ body: JSONValue, by actor: ActingParty) async throws {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may change queue membership.")
        }
        try check(body, against: Self.queueAssignSchema)
        _ = try await requireAgent(agentId)
        let queueId = body["queueId"]!.stringValue!
        _ = try await requireQueue(queueId)
        defer { membershipChanged() }
        try await store.save(AgentQueueLink(agentId: agentId, queueId: queueId, createdAt: now()))
    }

    public func removeAgentFromQueue(_ agentId: String, queueId: String, by actor: ActingParty) async throws {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may change queue membership.")
        }
        _ = try await requireAgent(agentId)
        defer { membershipChanged() }
        guard
            try await store.delete(
                .agentQueueLink, id: AgentQueueLink(agentId: agentId, queueId: queueId, createdAt: now()).id)
        else { throw ContactCenterError.notFound(resource: "queue membership", id: "\(agentId)/\(queueId)") }
    }

    /// Ids of the queues an agent belongs to.
    public func queueIds(ofAgent agentId: String) async throws -> [String] {
        try await store.list(
            AgentQueueLink.self, DocumentQuery(collection: .agentQueueLink, filters: [.equals("agentId", agentId)])
        ).items.map(\.queueId)
    }

    /// The queue's members, in the order they joined it (ROUND_ROBIN's order).
    public func agentIds(inQueue queueId: String) async throws -> [String] {
        if let members = queueMemberCache[queueId] { return members }
        let generation = queueMemberGeneration
        let members = try await store.list(
            AgentQueueLink.self,
            DocumentQuery(collection: .agentQueueLink, filters: [.equals("queueId", queueId)], orderBy: "createdAt")
        ).items.map(\.agentId)
        if generation == queueMemberGeneration { queueMemberCache[queueId] = members }
        return members
    }

    /// Queue membership changed (an agent joined or left a queue, or an agent or queue is gone):
    /// called once the store has it, which also keeps out a read that raced the change.
    func membershipChanged() {
        queueMemberCache = [:]
        queueMemberGeneration += 1
    }

    public func heartbeat(_ agentId: String, by actor: ActingParty) async throws {
        try authorize(actor, on: agentId)
        _ = try await requireAgent(agentId)
        await registry.heartbeat(agentId: agentId)
    }

    func authorize(_ actor: ActingParty, on agentId: String) throws(ContactCenterError) {
        guard actor.mayActOn(agentId: agentId) else {
            throw .forbidden("Agent may act only on itself; '\(agentId)' is another agent.")
        }
    }

    /// Sets an agent AWAY on the system's behalf, with why (shown with the agent's status).
    public func setAway(_ agentId: String, reason: String) async throws {
        var agent = try await requireAgent(agentId)
        agent.status = .AWAY
        agent.statusReason = reason
        agent.updatedAt = now()
        try await store.save(agent)
        await registry.upsert(agent)
    }

    func view(_ agent: Agent) async -> AgentView {
        AgentView(agent: agent, live: await registry.state(of: agent.id))
    }
}
