import Foundation

/// A queue as listed by `GET /ccaas/voice/2/transfer/queues`.
public struct TransferQueueView: Sendable, Equatable, Encodable {
    public var queueId: String
    public var queueName: String
    /// Whether the queue can take a transfer now: inside its working hours (or it has none) and
    /// at least one member agent is available.
    public var active: Bool
    public var autoAssignmentEnabled: Bool
    public var availableAgents: Int
}

extension ContactCenter {
    public static let createQueueSchema = Schema.object(
        [
            ("name", .string(.init(minLength: 1, maxLength: 255))),
            ("isAutoAssignmentEnabled", .boolean),
            ("autoAssignmentAlgorithm", .enumeration(AutoAssignmentAlgorithm.self)),
            ("workingHoursId", .string(.init(maxLength: 255))),
            ("isAutoAssignmentOutsideOfWorkingHoursEnabled", .boolean),
            ("isStickyAutoAssignmentEnabled", .boolean),
            ("stickyAgentTimeoutDays", .integer(minimum: 1, maximum: 365)),
            ("externalId", .string(.init(maxLength: 255))),
        ], required: ["name"])

    public static let updateQueueSchema = Schema.object(
        [
            ("name", .string(.init(minLength: 1, maxLength: 255))),
            ("isAutoAssignmentEnabled", .boolean),
            ("autoAssignmentAlgorithm", .enumeration(AutoAssignmentAlgorithm.self)),
            ("workingHoursId", .string(.init(maxLength: 255))),
            ("isAutoAssignmentOutsideOfWorkingHoursEnabled", .boolean),
            ("isStickyAutoAssignmentEnabled", .boolean),
            ("stickyAgentTimeoutDays", .integer(minimum: 1, maximum: 365)),
            ("externalId", .string(.init(maxLength: 255))),
        ])

    public func createQueue(_ body: JSONValue, by actor: ActingParty) async throws -> Queue {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may create queues.")
        }
        try check(body, against: Self.createQueueSchema)
        try Self.refuseUnsupportedAlgorithm(body)
        try await checkWorkingHoursId(body)
        let now = now()
        var queue = Queue(
            name: body["name"]!.stringValue!,
            isAutoAssignmentEnabled: body["isAutoAssignmentEnabled"]?.boolValue ?? false,
            autoAssignmentAlgorithm: body["autoAssignmentAlgorithm"]?.stringValue.flatMap(AutoAssignmentAlgorithm.init)
                ?? .LOAD_BALANCING,
            workingHoursId: body["workingHoursId"]?.stringValue, externalId: body["externalId"]?.stringValue,
            createdAt: now, updatedAt: now)
        queue.apply(routingFieldsOf: body)
        try await store.save(queue)
        return queue
    }

    public func updateQueue(_ id: String, _ body: JSONValue, by actor: ActingParty) async throws -> Queue {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may change queues.")
        }
        try check(body, against: Self.updateQueueSchema)
        try Self.refuseUnsupportedAlgorithm(body)
        try await checkWorkingHoursId(body)
        var queue = try await requireQueue(id)
        if let v = body["name"]?.stringValue { queue.name = v }
        if let v = body["isAutoAssignmentEnabled"]?.boolValue { queue.isAutoAssignmentEnabled = v }
        if let v = body["autoAssignmentAlgorithm"]?.stringValue.flatMap(AutoAssignmentAlgorithm.init) {
            queue.autoAssignmentAlgorithm = v
        }
        if let v = body["workingHoursId"] { queue.workingHoursId = v.stringValue }
        if let v = body["externalId"] { queue.externalId = v.stringValue }
        queue.apply(routingFieldsOf: body)
        queue.updatedAt = now()
        try await store.save(queue)
        return queue
    }

    public func queue(_ id: String) async throws -> Queue { try await requireQueue(id) }

    /// A queue may name only working hours that exist.
    func checkWorkingHoursId(_ body: JSONValue) async throws {
        guard let id = body["workingHoursId"]?.stringValue, try await store.load(WorkingHours.self, id: id) == nil
        else { return }
        throw ContactCenterError.invalid([Violation(field: "workingHoursId", message: "no working hours with id \(id)")]
        )
    }

    /// PERFORMANCE_BASED needs agent performance figures this gateway does not keep yet.
    static func refuseUnsupportedAlgorithm(_ body: JSONValue) throws {
        guard body["autoAssignmentAlgorithm"]?.stringValue == AutoAssignmentAlgorithm.PERFORMANCE_BASED.rawValue else {
            return
        }
        throw ContactCenterError.badRequest(
            "autoAssignmentAlgorithm PERFORMANCE_BASED is not supported: it needs agent performance scores, which this gateway does not keep. Use LOAD_BALANCING or ROUND_ROBIN."
        )
    }

    /// Deletes a queue and its memberships; open conversations in it lose their queue.
    public func deleteQueue(_ id: String, by actor: ActingParty) async throws {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may delete queues.")
        }
        _ = try await requireQueue(id)
        defer { membershipChanged() }
        try await store.deleteAll(.agentQueueLink, filters: [.equals("queueId", id)])
        let (conversations, _) = try await store.list(
            Conversation.self, DocumentQuery(collection: .conversation, filters: [.equals("queueId", id)]))
        for var conversation in conversations {
            conversation.queueId = nil
            conversation.updatedAt = now()
            try await store.save(conversation)
        }
        try await store.delete(.queue, id: id)
    }

    public func queues(nameContains: String?, _ page: PageRequest) async throws -> Page<Queue> {
        var filters: [DocumentFilter] = []
        if let nameContains { filters.append(.contains("name", nameContains)) }
        let (queues, total) = try await store.list(Queue.self, pageQuery(.queue, filters, page))
        return Page(items: queues, total: total, request: page)
    }

    /// Queues with whether each can take a transfer now: inside its working hours, with an
    /// available member agent.
    public func transferQueues(page: Int, size: Int) async throws -> (elements: [TransferQueueView], total: Int) {
        let (queues, total) = try await store.list(
            Queue.self, DocumentQuery(collection: .queue, orderBy: "name", offset: page * size, limit: size))
        var views: [TransferQueueView] = []
        for queue in queues {
            let available = await registry.routableCount(among: try await agentIds(inQueue: queue.id))
            let open = try await isOpen(queue)
            views.append(
                TransferQueueView(
                    queueId: queue.id, queueName: queue.name, active: available > 0 && open,
                    autoAssignmentEnabled: queue.isAutoAssignmentEnabled, availableAgents: available))
        }
        return (views, total)
    }
}

extension Queue {
    /// Applies the sticky-assignment and working-hours toggles present in a request body.
    mutating func apply(routingFieldsOf body: JSONValue) {
        if let v = body["isAutoAssignmentOutsideOfWorkingHoursEnabled"] {
            isAutoAssignmentOutsideOfWorkingHoursEnabled = v.boolValue
        }
        if let v = body["isStickyAutoAssignmentEnabled"] { isStickyAutoAssignmentEnabled = v.boolValue }
        if let v = body["stickyAgentTimeoutDays"] { stickyAgentTimeoutDays = v.intValue.map { Int($0) } }
    }
}
