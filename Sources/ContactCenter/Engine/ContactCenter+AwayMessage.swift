import Foundation

extension ContactCenter {
    /// `AwayAudioMessageApiModel` as written: what a caller hears when a queue is outside its
    /// working hours. Infobip offers only GET and DELETE; `PUT` (ours) sets it.
    public static let awayMessageSchema = Schema.object(
        [
            ("audioSource", AudioSchemas.fileOrTts),
            ("collectables", .array(AudioSchemas.collectable, maxItems: 12)),
            ("collectDuration", .nullable(AudioSchemas.duration)),
        ], required: ["audioSource"])

    /// Sets the away message of working hours `workingHoursId`.
    public func setAwayMessage(_ workingHoursId: String, _ body: JSONValue, by actor: ActingParty) async throws
        -> JSONValue
    {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may change the away message.")
        }
        _ = try await workingHours(workingHoursId)
        var violations = Self.awayMessageSchema.validate(body)
        if let source = body["audioSource"] { violations += AudioSchemas.checkSources(in: source, at: "audioSource") }
        violations += Self.refuseReturnToIVR(body["collectables"], at: "collectables")
        violations += try await unplayableSources(in: body)
        if !violations.isEmpty { throw ContactCenterError.invalid(violations) }
        let now = now()
        let existing = try await store.setting(.awayAudioMessage, id: workingHoursId)
        let value = body.setting("id", .string(workingHoursId)).setting(
            "workingHoursConfigId", .string(workingHoursId))
        let setting = SettingDocument(
            id: workingHoursId, value: value, createdAt: existing?.createdAt ?? now, updatedAt: now)
        try await store.saveSetting(.awayAudioMessage, setting)
        return value
    }

    public func awayMessage(_ workingHoursId: String) async throws -> JSONValue {
        guard let setting = try await store.setting(.awayAudioMessage, id: workingHoursId) else {
            throw ContactCenterError.absent("No record was found for the given workingHoursConfigId: \(workingHoursId)")
        }
        return setting.value
    }

    public func deleteAwayMessage(_ workingHoursId: String, by actor: ActingParty) async throws {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may change the away message.")
        }
        guard try await store.delete(.awayAudioMessage, id: workingHoursId) else {
            throw ContactCenterError.absent("No record was found for the given workingHoursConfigId: \(workingHoursId)")
        }
    }

    /// What a call to `queue` outside its working hours hears before it ends, if anything.
    public func awaySound(for queue: Queue) async throws -> WaitingPlan.Sound? {
        guard let workingHoursId = queue.workingHoursId,
            let setting = try await store.setting(.awayAudioMessage, id: workingHoursId)
        else { return nil }
        return WaitingPlan.sound(setting.value["audioSource"])
    }

    /// RETURN_TO_IVR needs an IVR, which this gateway does not have: refused with a clear reason.
    static func refuseReturnToIVR(_ collectables: JSONValue?, at path: String) -> [Violation] {
        guard (collectables?.arrayValue ?? []).contains(where: { $0["action"]?.stringValue == "RETURN_TO_IVR" })
        else { return [] }
        return [
            Violation(
                field: path, message: "action RETURN_TO_IVR is not supported: this gateway has no IVR to return to")
        ]
    }
}
