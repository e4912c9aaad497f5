import Foundation

extension ContactCenter {
    /// Infobip's hold configuration per queue.
    public static let holdConfigSchema = Schema.object(
        [
            ("name", .string(.init(minLength: 1, maxLength: 128))),
            ("queueIds", .array(.string(.init(minLength: 1, maxLength: 255)))),
            ("enabled", .boolean),
            ("default", .boolean),
            ("onHoldMusic", .nullable(AudioSchemas.musicWithDefault)),
            ("announcementMessage", .nullable(AudioSchemas.periodicAnnouncement)),
        ], required: ["name", "queueIds"])

    public func createHoldConfig(_ body: JSONValue, by actor: ActingParty) async throws -> JSONValue {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may change hold.")
        }
        try await checkHoldConfig(body, id: nil)
        let now = now()
        let id = Identifiers.uuid()
        let setting = SettingDocument(id: id, value: body, createdAt: now, updatedAt: now)
        try await store.saveSetting(.holdConfig, setting)
        return Self.render(setting)
    }

    public func updateHoldConfig(_ id: String, _ body: JSONValue, by actor: ActingParty) async throws -> JSONValue {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may change hold.")
        }
        guard let existing = try await store.setting(.holdConfig, id: id) else {
            throw ContactCenterError.notFound(resource: "hold config", id: id)
        }
        try await checkHoldConfig(body, id: id)
        let setting = SettingDocument(id: id, value: body, createdAt: existing.createdAt, updatedAt: now())
        try await store.saveSetting(.holdConfig, setting)
        return Self.render(setting)
    }

    public func holdConfig(_ id: String) async throws -> JSONValue {
        guard let setting = try await store.setting(.holdConfig, id: id) else {
            throw ContactCenterError.notFound(resource: "hold config", id: id)
        }
        return Self.render(setting)
    }

    public func deleteHoldConfig(_ id: String, by actor: ActingParty) async throws {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may change hold.")
        }
        guard try await store.delete(.holdConfig, id: id) else {
            throw ContactCenterError.notFound(resource: "hold config", id: id)
        }
    }

    public func holdConfigs(pageNumber: Int, pageSize: Int, descending: Bool) async throws -> (
        elements: [JSONValue], total: Int
    ) {
        let (items, total) = try await store.settings(
            DocumentQuery(
                collection: .holdConfig, orderBy: "createdAt", descending: descending, offset: pageNumber * pageSize,
                limit: pageSize))
        return (items.map(Self.render), total)
    }

    private func checkHoldConfig(_ body: JSONValue, id: String?) async throws {
        var violations = Self.holdConfigSchema.validate(body)
        let queueIds = body["queueIds"]?.strings() ?? []
        if body["queueIds"] != nil, queueIds.isEmpty, body["default"]?.boolValue != true {
            throw ContactCenterError.badRequest("Hold configuration must be applied to at least one queue.")
        }
        for queueId in queueIds where try await store.get(.queue, id: queueId) == nil {
            violations.append(Violation(field: "queueIds", message: "no queue with id '\(queueId)'"))
        }
        let (others, _) = try await store.settings(DocumentQuery(collection: .holdConfig))
        for other in others where other.id != id {
            let taken = Set(other.value["queueIds"]?.strings() ?? []).intersection(queueIds)
            if let queueId = taken.sorted().first {
                violations.append(
                    Violation(field: "queueIds", message: "queue '\(queueId)' already has hold config \(other.id)"))
            }
        }
        for key in ["onHoldMusic", "announcementMessage"] {
            if let option = body[key] { violations += AudioSchemas.checkSources(in: option, at: key) }
        }
        violations += try await unplayableSources(in: body)
        if !violations.isEmpty { throw ContactCenterError.invalid(violations) }
    }
}
