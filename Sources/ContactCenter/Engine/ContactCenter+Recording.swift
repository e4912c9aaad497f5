import Foundation

extension ContactCenter {
    public static let recordingMediaTypes = ["AUDIO", "AUDIO_AND_VIDEO"]

    public static let accountRecordingSchema = Schema.object(
        [
            ("mediaType", .string(.init(allowed: recordingMediaTypes))),
            ("autoCompose", .boolean),
            ("enabled", .boolean),
        ], required: ["mediaType"], missingMessages: ["mediaType": "Missing Media Type"])

    public static let agentRecordingSchema = Schema.object(
        [
            ("mediaType", .string(.init(allowed: recordingMediaTypes))),
            ("inbound", .boolean),
            ("outbound", .boolean),
            ("useDefault", .boolean),
            ("enabled", .boolean),
        ], required: ["mediaType"], missingMessages: ["mediaType": "Missing Media Type"])

    public func accountRecording() async throws -> JSONValue {
        guard let setting = try await store.setting(.accountSetting, id: AccountSetting.recording.rawValue) else {
            throw ContactCenterError.absent("No account recording config found.")
        }
        return setting.value
    }

    /// `create` refuses an existing config (POST); otherwise create or update (PUT).
    public func setAccountRecording(_ body: JSONValue, create: Bool, by actor: ActingParty) async throws -> JSONValue {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may change recording.")
        }
        let existing = try await store.setting(.accountSetting, id: AccountSetting.recording.rawValue)
        if create, existing != nil { throw ContactCenterError.badRequest("Account recording config already exists!") }
        try check(body, against: Self.accountRecordingSchema)
        let enabled = body["enabled"]?.boolValue ?? false
        let changedAt =
            existing?.value["enabled"]?.boolValue == enabled
            ? existing?.value["enabledChangedAt"] ?? .null : .int(Int64(now().timeIntervalSince1970 * 1000))
        let value = JSONValue.object([
            "mediaType": body["mediaType"]!, "autoCompose": .bool(body["autoCompose"]?.boolValue ?? false),
            "enabled": .bool(enabled), "enabledChangedAt": changedAt,
        ])
        try await saveAccountSetting(.recording, value)
        return value
    }

    public func agentRecordings(agentIds: [String]) async throws -> [JSONValue] {
        var filters: [DocumentFilter] = []
        if !agentIds.isEmpty { filters.append(.idIn(agentIds)) }
        return try await store.settings(DocumentQuery(collection: .agentRecordingConfig, filters: filters)).items.map(
            \.value)
    }

    public func agentRecording(_ agentId: String) async throws -> JSONValue {
        _ = try await requireAgent(agentId)
        guard let setting = try await store.setting(.agentRecordingConfig, id: agentId) else {
            throw ContactCenterError.notFound(resource: "agent recording config", id: agentId)
        }
        return setting.value
    }

    public func setAgentRecording(_ agentId: String, _ body: JSONValue, create: Bool, by actor: ActingParty)
        async throws
        -> JSONValue
    {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may change recording.")
        }
        _ = try await requireAgent(agentId)
        let existing = try await store.setting(.agentRecordingConfig, id: agentId)
        if create, existing != nil { throw ContactCenterError.badRequest("Agent recording config already exists!") }
        var violations = Self.agentRecordingSchema.validate(body)
        if body["inbound"]?.boolValue != true, body["outbound"]?.boolValue != true {
            violations.append(Violation(field: "inbound", message: "Either inbound or outbound should be selected"))
        }
        if !violations.isEmpty { throw ContactCenterError.invalid(violations) }
        let value = JSONValue.object([
            "agentId": .string(agentId), "mediaType": body["mediaType"]!,
            "inbound": .bool(body["inbound"]?.boolValue ?? false),
            "outbound": .bool(body["outbound"]?.boolValue ?? false),
            "useDefault": .bool(body["useDefault"]?.boolValue ?? false),
            "enabled": .bool(body["enabled"]?.boolValue ?? false),
        ])
        let now = now()
        try await store.saveSetting(
            .agentRecordingConfig,
            SettingDocument(id: agentId, value: value, createdAt: existing?.createdAt ?? now, updatedAt: now))
        return value
    }
}
