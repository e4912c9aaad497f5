import Foundation

extension ContactCenter {
    public static let callTimeoutsSchema = Schema.object(
        [
            ("inbound", .nullable(.integer(minimum: 3, maximum: 60))),
            ("outbound", .nullable(.integer(minimum: 3, maximum: 60))),
        ])

    /// Infobip's field, and this gateway's allow-list (`allowedNumbers`, E.164): Infobip allows
    /// the numbers of People contacts tagged `tagName`, and this gateway has no People contacts.
    public static let externalNumberTransferSchema = Schema.object([
        ("transferToAnyNumberEnabled", .boolean),
        ("allowedNumbers", .array(.string(.init(minLength: 2, maxLength: 16)), maxItems: 1000)),
    ])

    /// An E.164 number: `+` (optional) and 2 to 15 digits, not starting with 0.
    public static func isE164(_ text: String) -> Bool {
        let digits = text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        return (2...15).contains(digits.count) && digits.first != "0" && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    /// Whether agents may transfer calls to `number`: any number unless the external-number
    /// configuration turns that off, then only its `allowedNumbers`.
    public func mayTransfer(toNumber number: String) async throws -> Bool {
        guard
            let setting = try await store.setting(.accountSetting, id: AccountSetting.externalNumberTransfer.rawValue),
            setting.value["transferToAnyNumberEnabled"]?.boolValue == false
        else { return true }
        let normalized = { (n: String) in n.hasPrefix("+") ? String(n.dropFirst()) : n }
        return (setting.value["allowedNumbers"]?.strings() ?? []).map(normalized).contains(normalized(number))
    }

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
        let allowed = body["allowedNumbers"]?.strings() ?? []
        let bad = allowed.enumerated().filter { !Self.isE164($0.element) }.map {
            Violation(field: "allowedNumbers[\($0.offset)]", message: "must be an E.164 number, got '\($0.element)'")
        }
        if !bad.isEmpty { throw ContactCenterError.invalid(bad) }
        try await saveAccountSetting(
            .externalNumberTransfer,
            .object([
                "transferToAnyNumberEnabled": .bool(body["transferToAnyNumberEnabled"]?.boolValue ?? true),
                "tagName": .string("transfer-to-external-number"),
                "allowedNumbers": .array(allowed.map(JSONValue.string)),
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
