import Foundation

extension ContactCenter {
    public static let callTimeoutsSchema = Schema.object(
        [
            ("inbound", .nullable(.integer(minimum: 3, maximum: 60))),
            ("outbound", .nullable(.integer(minimum: 3, maximum: 60))),
        ])

    public static let externalNumberTransferSchema = Schema.object([("transferToAnyNumberEnabled", .boolean)])

    public static let transferStrategySchema = Schema.object(
        [
            ("musicOnHold", .nullable(AudioSchemas.musicWithDefault)),
            ("announcementMessage", .nullable(AudioSchemas.periodicAnnouncement)),
        ])

    /// Ring timeouts in seconds: `inbound` (an agent is offered a call) and `outbound`.
    public func callTimeouts() async throws -> JSONValue {
        let stored = try await store.setting(.accountSetting, id: AccountSetting.callTimeouts.rawValue)?.value
        return .object([
            "inbound": stored?["inbound"] ?? .int(30), "outbound": stored?["outbound"] ?? .int(45),
        ])
    }

    /// A null or absent field resolves to its default.
    public func setCallTimeouts(_ body: JSONValue, by actor: ActingParty) async throws -> JSONValue {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may change call timeouts.")
        }
        try check(body, against: Self.callTimeoutsSchema)
        let value = JSONValue.object([
            "inbound": .int(body["inbound"]?.intValue ?? 30), "outbound": .int(body["outbound"]?.intValue ?? 45),
        ])
        try await saveAccountSetting(.callTimeouts, value)
        return value
    }

    public func resetCallTimeouts(by actor: ActingParty) async throws {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may change call timeouts.")
        }
        try await store.delete(.accountSetting, id: AccountSetting.callTimeouts.rawValue)
    }

    public func externalNumberTransfer() async throws -> SettingDocument {
        guard let setting = try await store.setting(.accountSetting, id: AccountSetting.externalNumberTransfer.rawValue)
        else { throw ContactCenterError.absent("No transfer to external number config found.") }
        return setting
    }

    public func setExternalNumberTransfer(_ body: JSONValue, by actor: ActingParty) async throws -> SettingDocument {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may change transfers.")
        }
        try check(body, against: Self.externalNumberTransferSchema)
        try await saveAccountSetting(
            .externalNumberTransfer,
            .object([
                "transferToAnyNumberEnabled": .bool(body["transferToAnyNumberEnabled"]?.boolValue ?? true),
                "tagName": .string("transfer-to-external-number"),
            ]))
        return try await externalNumberTransfer()
    }

    public func transferStrategy() async throws -> SettingDocument {
        guard let setting = try await store.setting(.accountSetting, id: AccountSetting.transferStrategy.rawValue)
        else { throw ContactCenterError.absent("No transfer strategy found.") }
        return setting
    }

    public func setTransferStrategy(_ body: JSONValue, by actor: ActingParty) async throws -> SettingDocument {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may change transfers.")
        }
        try check(body, against: Self.transferStrategySchema)
        var violations: [Violation] = []
        for key in ["musicOnHold", "announcementMessage"] {
            if let option = body[key] { violations += AudioSchemas.checkSources(in: option, at: key) }
        }
        violations += try await unplayableSources(in: body)
        if !violations.isEmpty { throw ContactCenterError.invalid(violations) }
        try await saveAccountSetting(.transferStrategy, body)
        return try await transferStrategy()
    }
}
