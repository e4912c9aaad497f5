import Foundation

extension ContactCenter {
    public static let voiceClientTypes = ["PSTN", "WEBRTC", "WHATSAPP", "VIBER", "LIVE_CHAT"]

    /// Infobip's `WaitingStrategyApiRequest`.
    public static let waitingStrategySchema = Schema.object(
        [
            ("name", .string(.init(minLength: 1, maxLength: 128))),
            ("maximumWaitTime", AudioSchemas.duration),
            ("greetingMessage", .nullable(AudioSchemas.fileOrTts)),
            ("musicOnHold", .nullable(AudioSchemas.music)),
            ("announcementMessage", .nullable(AudioSchemas.announcement)),
            ("maximumWaitTimeMessage", .nullable(AudioSchemas.fileOrTts)),
            ("callbackConfirmationMessage", .nullable(AudioSchemas.fileOrTts)),
            ("conditionType", .string(.init(allowed: ["SENDER", "QUEUE"]))),
            ("condition", .freeform),
        ],
        required: ["maximumWaitTime", "conditionType", "condition"],
        missingMessages: [
            "maximumWaitTime": "Missing Maximum Wait Time", "conditionType": "Missing Condition Type",
            "condition": "Missing Condition",
        ])

    static let senderCondition = Schema.object(
        [
            (
                "senders",
                .array(
                    .object(
                        [
                            ("clientType", .string(.init(allowed: voiceClientTypes))),
                            ("identifier", .string(.init(minLength: 1, maxLength: 255))),
                        ], required: ["clientType", "identifier"]), minItems: 1)
            )
        ], required: ["senders"])

    static let queueCondition = Schema.object(
        [("queues", .array(.string(.init(minLength: 1, maxLength: 255)), minItems: 1))], required: ["queues"])

    public func createWaitingStrategy(_ body: JSONValue, by actor: ActingParty) async throws -> JSONValue {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may change waiting strategies.")
        }
        try await checkWaitingStrategy(body, existing: nil)
        let now = now()
        let id = Identifiers.uuid()
        let setting = SettingDocument(id: id, value: body.setting("id", .string(id)), createdAt: now, updatedAt: now)
        try await store.saveSetting(.waitingStrategy, setting)
        return Self.render(setting)
    }

    public func updateWaitingStrategy(_ id: String, _ body: JSONValue, by actor: ActingParty) async throws -> JSONValue
    {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may change waiting strategies.")
        }
        guard let existing = try await store.setting(.waitingStrategy, id: id) else {
            throw ContactCenterError.notFound(resource: "waiting strategy", id: id)
        }
        try await checkWaitingStrategy(body, existing: existing.value)
        let setting = SettingDocument(
            id: id, value: body.setting("id", .string(id)), createdAt: existing.createdAt, updatedAt: now())
        try await store.saveSetting(.waitingStrategy, setting)
        return Self.render(setting)
    }

    public func waitingStrategy(_ id: String) async throws -> JSONValue {
        guard let setting = try await store.setting(.waitingStrategy, id: id) else {
            throw ContactCenterError.notFound(resource: "waiting strategy", id: id)
        }
        return Self.render(setting)
    }

    public func deleteWaitingStrategy(_ id: String, by actor: ActingParty) async throws {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may change waiting strategies.")
        }
        guard try await store.delete(.waitingStrategy, id: id) else {
            throw ContactCenterError.notFound(resource: "waiting strategy", id: id)
        }
    }

    /// Sorted by `NAME` or `CREATED_AT`; `queueId` keeps strategies whose QUEUE condition names it.
    public func waitingStrategies(
        queueId: String?, pageNumber: Int, pageSize: Int, sortBy: String, descending: Bool
    ) async throws -> (elements: [JSONValue], total: Int) {
        var (items, _) = try await store.settings(
            DocumentQuery(collection: .waitingStrategy, orderBy: "createdAt", descending: descending))
        if let queueId {
            items = items.filter { $0.value["condition"]?["queues"]?.strings().contains(queueId) ?? false }
        }
        if sortBy == "NAME" {
            items.sort {
                let a = $0.value["name"]?.stringValue ?? "", b = $1.value["name"]?.stringValue ?? ""
                return descending ? a > b : a < b
            }
        }
        let start = min(items.count, pageNumber * pageSize)
        let end = min(items.count, start + pageSize)
        return (items[start..<end].map(Self.render), items.count)
    }

    static func render(_ setting: SettingDocument) -> JSONValue {
        setting.value
            .setting("id", .string(setting.id))
            .setting("createdAt", .string(InfobipDate.format(setting.createdAt)))
            .setting("updatedAt", .string(InfobipDate.format(setting.updatedAt)))
    }

    private func checkWaitingStrategy(_ body: JSONValue, existing: JSONValue?) async throws {
        var violations = Self.waitingStrategySchema.validate(body)
        if let type = body["conditionType"]?.stringValue, let condition = body["condition"] {
            violations += (type == "SENDER" ? Self.senderCondition : Self.queueCondition).validate(
                condition, at: "condition")
            if type == "QUEUE", case .array(let queues)? = condition["queues"] {
                for case .string(let queueId) in queues where queueId != "default" {
                    if try await store.get(.queue, id: queueId) == nil {
                        violations.append(
                            Violation(field: "condition.queues", message: "no queue with id '\(queueId)'"))
                    }
                }
            }
        }
        if let existingType = existing?["conditionType"], let type = body["conditionType"], existingType != type {
            violations.append(Violation(field: "conditionType", message: "Once defined, cannot be changed"))
        }
        for key in ["greetingMessage", "announcementMessage", "maximumWaitTimeMessage", "callbackConfirmationMessage"] {
            if let option = body[key] { violations += AudioSchemas.checkSources(in: option, at: key) }
        }
        violations += Self.refuseReturnToIVR(
            body["announcementMessage"]?["collectables"], at: "announcementMessage.collectables")
        violations += Self.checkCallbackCodes(
            body["announcementMessage"]?["collectables"], at: "announcementMessage.collectables")
        violations += try await unplayableSources(in: body)
        if !violations.isEmpty { throw ContactCenterError.invalid(violations) }
    }
}

extension ContactCenter {
    /// The keys a caller may press: the code of a CALLBACK collectable is a sequence of DTMF keys.
    static func checkCallbackCodes(_ collectables: JSONValue?, at path: String) -> [Violation] {
        let keys = Set("0123456789*#ABCD")
        var violations: [Violation] = []
        for (index, collectable) in (collectables?.arrayValue ?? []).enumerated()
        where collectable["action"]?.stringValue == "CALLBACK" {
            if let code = collectable["code"]?.stringValue, !code.isEmpty, !code.allSatisfy(keys.contains) {
                violations.append(
                    Violation(
                        field: "\(path)[\(index)].code",
                        message: "a CALLBACK code is the DTMF keys the caller presses (0-9, *, #, A-D), got '\(code)'"))
            }
        }
        return violations
    }
}

extension JSONValue {
    /// The strings of an array value.
    func strings() -> [String] {
        if case .array(let items) = self { return items.compactMap(\.stringValue) }
        return []
    }
}
