import Foundation

extension ContactCenter {
    public static let recordingMediaTypes = ["AUDIO", "AUDIO_AND_VIDEO"]

    public static let accountRecordingSchema = Schema.object(
        [
            ("inbound", .boolean),
            ("outbound", .boolean),
            ("autoCompose", .boolean),
            ("mediaType", .string(.init(allowed: recordingMediaTypes))),
            ("videoDownloadPreparation", .boolean),
            ("enabled", .boolean),
            // Read-only: accepted so that a body read back can be sent again, and ignored.
            ("enabledChangedAt", .integer()),
        ], required: ["mediaType"], missingMessages: ["mediaType": "Missing Media Type"])

    public static let agentRecordingSchema = Schema.object(
        [
            ("mediaType", .string(.init(allowed: recordingMediaTypes))),
            ("inbound", .boolean),
            ("outbound", .boolean),
            ("useDefault", .boolean),
            ("enabled", .boolean),
            // Read-only, as above.
            ("agentId", .string(.init())),
            ("enabledChangedAt", .integer()),
        ], required: ["mediaType"], missingMessages: ["mediaType": "Missing Media Type"])

    /// Infobip's rule for both levels: at least one direction is recorded.
    static func directionViolations(_ body: JSONValue) -> [Violation] {
        guard body["inbound"]?.boolValue != true, body["outbound"]?.boolValue != true else { return [] }
        return [Violation(field: "inbound", message: "Either inbound or outbound should be selected")]
    }

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
        let violations = Self.accountRecordingSchema.validate(body) + Self.directionViolations(body)
        if !violations.isEmpty { throw ContactCenterError.invalid(violations) }
        let enabled = body["enabled"]?.boolValue ?? false
        let changedAt =
            existing?.value["enabled"]?.boolValue == enabled
            ? existing?.value["enabledChangedAt"] ?? .null : .int(Int64(now().timeIntervalSince1970 * 1000))
        let value = JSONValue.object([
            "inbound": .bool(body["inbound"]?.boolValue ?? false),
            "outbound": .bool(body["outbound"]?.boolValue ?? false),
            "mediaType": body["mediaType"]!, "autoCompose": .bool(body["autoCompose"]?.boolValue ?? false),
            "videoDownloadPreparation": .bool(body["videoDownloadPreparation"]?.boolValue ?? false),
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
        let violations = Self.agentRecordingSchema.validate(body) + Self.directionViolations(body)
        if !violations.isEmpty { throw ContactCenterError.invalid(violations) }
        let enabled = body["enabled"]?.boolValue ?? false
        let changedAt =
            existing?.value["enabled"]?.boolValue == enabled
            ? existing?.value["enabledChangedAt"] ?? .null : .int(Int64(now().timeIntervalSince1970 * 1000))
        let value = JSONValue.object([
            "agentId": .string(agentId), "mediaType": body["mediaType"]!,
            "inbound": .bool(body["inbound"]?.boolValue ?? false),
            "outbound": .bool(body["outbound"]?.boolValue ?? false),
            "useDefault": .bool(body["useDefault"]?.boolValue ?? false),
            "enabled": .bool(enabled), "enabledChangedAt": changedAt,
        ])
        let now = now()
        try await store.saveSetting(
            .agentRecordingConfig,
            SettingDocument(id: agentId, value: value, createdAt: existing?.createdAt ?? now, updatedAt: now))
        return value
    }

    /// What is recorded of an agent's calls: the agent's own configuration, unless it says
    /// `useDefault` (or there is none), then the account's. nil when nothing is recorded.
    public func recordingPolicy(agentId: String) async throws -> RecordingPolicy? {
        let account = try await store.setting(.accountSetting, id: AccountSetting.recording.rawValue)?.value
        var effective = account
        if let agent = try await store.setting(.agentRecordingConfig, id: agentId)?.value,
            agent["useDefault"]?.boolValue != true
        {
            effective = agent
        }
        guard let effective, effective["enabled"]?.boolValue == true else { return nil }
        return RecordingPolicy(
            inbound: effective["inbound"]?.boolValue ?? false, outbound: effective["outbound"]?.boolValue ?? false,
            autoCompose: account?["autoCompose"]?.boolValue ?? false,
            mediaType: effective["mediaType"]?.stringValue ?? "AUDIO",
            videoDownloadPreparation: account?["videoDownloadPreparation"]?.boolValue ?? false)
    }
}

/// The recording configuration that applies to one agent's calls.
public struct RecordingPolicy: Sendable, Equatable {
    public var inbound: Bool
    public var outbound: Bool
    /// From the account: the agent level has no such field.
    public var autoCompose: Bool
    public var mediaType: String
    public var videoDownloadPreparation: Bool

    public init(inbound: Bool, outbound: Bool, autoCompose: Bool, mediaType: String, videoDownloadPreparation: Bool) {
        self.inbound = inbound
        self.outbound = outbound
        self.autoCompose = autoCompose
        self.mediaType = mediaType
        self.videoDownloadPreparation = videoDownloadPreparation
    }

    /// Whether a call of that direction is recorded.
    public func records(inbound isInbound: Bool) -> Bool { isInbound ? inbound : outbound }
}
