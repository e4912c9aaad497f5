import Foundation

extension ContactCenter {
    /// Infobip's `AccountWrapUpApiModel`.
    public static let accountWrapUpSchema = Schema.object(
        [
            ("wrapUpSeconds", .integer(minimum: 0, maximum: 3600)),
            ("canExtendWrapUp", .boolean),
            ("enabled", .boolean),
        ], required: ["wrapUpSeconds", "canExtendWrapUp", "enabled"],
        missingMessages: [
            "wrapUpSeconds": "Missing wrapup duration.", "canExtendWrapUp": "must not be null",
            "enabled": "must not be null",
        ])

    /// Body of `PUT /ccca/1/agent-configs/{agentId}/wrap-up`: null falls back to the account value.
    public static let agentWrapUpSchema = Schema.object([
        ("wrapUpSeconds", .nullable(.integer(minimum: 0, maximum: 3600)))
    ])

    public static let defaultWrapUp: JSONValue = .object([
        "wrapUpSeconds": .int(30), "canExtendWrapUp": .bool(true), "enabled": .bool(true),
    ])

    public func accountWrapUp() async throws -> JSONValue {
        try await store.setting(.accountSetting, id: AccountSetting.wrapUp.rawValue)?.value ?? Self.defaultWrapUp
    }

    public func setAccountWrapUp(_ body: JSONValue, by actor: ActingParty) async throws -> JSONValue {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may change wrap-up.")
        }
        try check(body, against: Self.accountWrapUpSchema)
        let value = JSONValue.object([
            "wrapUpSeconds": .int(body["wrapUpSeconds"]!.intValue!),
            "canExtendWrapUp": body["canExtendWrapUp"]!, "enabled": body["enabled"]!,
        ])
        try await saveAccountSetting(.wrapUp, value)
        return value
    }

    /// The agent's own wrap-up seconds, or nil when it inherits the account value.
    public func agentConfig(_ agentId: String) async throws -> JSONValue {
        _ = try await requireAgent(agentId)
        let seconds = try await store.setting(.agentConfig, id: agentId)?.value["wrapUpSeconds"] ?? .null
        return .object(["wrapUpSeconds": seconds, "backgroundBlurSettings": .null])
    }

    public func setAgentWrapUp(_ agentId: String, _ body: JSONValue, by actor: ActingParty) async throws -> JSONValue {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may change an agent's wrap-up time.")
        }
        let violations = Self.agentWrapUpSchema.validate(body, at: "agentConfig")
        if !violations.isEmpty { throw ContactCenterError.invalid(violations) }
        _ = try await requireAgent(agentId)
        let now = now()
        let existing = try await store.setting(.agentConfig, id: agentId)
        try await store.saveSetting(
            .agentConfig,
            SettingDocument(
                id: agentId, value: .object(["wrapUpSeconds": body["wrapUpSeconds"] ?? .null]),
                createdAt: existing?.createdAt ?? now, updatedAt: now))
        return try await agentConfig(agentId)
    }

    /// The wrap-up that applies to `agentId` after a call.
    public func wrapUpPolicy(for agentId: String) async throws -> WrapUpPolicy {
        let account = try await accountWrapUp()
        let own = try await store.setting(.agentConfig, id: agentId)?.value["wrapUpSeconds"]?.intValue
        return WrapUpPolicy(
            enabled: account["enabled"]?.boolValue ?? true,
            seconds: Int(own ?? account["wrapUpSeconds"]?.intValue ?? 30),
            canExtend: account["canExtendWrapUp"]?.boolValue ?? true)
    }

    /// A call of the agent ended: starts its wrap-up. Calls drive this; tests may call it directly.
    public func callEnded(agentId: String) async throws {
        _ = try await requireAgent(agentId)
        await registry.callEnded(agentId: agentId, wrapUp: try await wrapUpPolicy(for: agentId))
    }

    public func callStarted(agentId: String) async throws {
        _ = try await requireAgent(agentId)
        await registry.callStarted(agentId: agentId)
    }

    public func extendWrapUp(_ agentId: String, seconds: Int, by actor: ActingParty) async throws {
        try authorize(actor, on: agentId)
        _ = try await requireAgent(agentId)
        let policy = try await wrapUpPolicy(for: agentId)
        try await registry.extendWrapUp(agentId: agentId, seconds: seconds, canExtend: policy.canExtend)
    }

    public func clearWrapUp(_ agentId: String, by actor: ActingParty) async throws {
        try authorize(actor, on: agentId)
        _ = try await requireAgent(agentId)
        try await registry.clearWrapUp(agentId: agentId)
    }

    func saveAccountSetting(_ name: AccountSetting, _ value: JSONValue) async throws {
        let now = now()
        let existing = try await store.setting(.accountSetting, id: name.rawValue)
        try await store.saveSetting(
            .accountSetting,
            SettingDocument(id: name.rawValue, value: value, createdAt: existing?.createdAt ?? now, updatedAt: now))
    }
}
