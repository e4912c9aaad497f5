import ContactCenter
import Foundation
import Hummingbird

/// Call timeouts, transfer configurations, hold configurations and recording configuration.
enum VoiceSettingsRoutes {
    static func endpoints(_ s: GatewayServices) -> [Endpoint] {
        let cc = s.contactCenter
        return [
            Endpoint(.get, "/ccaas/voice/2/call-timeouts", "Get call timeouts", tag: "Call timeouts") { _, _ in
                JSONResponse.make(try await cc.callTimeouts())
            },
            Endpoint(
                .put, "/ccaas/voice/2/call-timeouts", "Update call timeouts (null resolves to the default)",
                tag: "Call timeouts", body: ContactCenter.callTimeoutsSchema
            ) { request, context in
                JSONResponse.make(
                    try await cc.setCallTimeouts(try await s.parsing.json(request), by: context.actingParty))
            },
            Endpoint(.delete, "/ccaas/voice/2/call-timeouts", "Reset call timeouts to defaults", tag: "Call timeouts") {
                _, context in
                try await cc.resetCallTimeouts(by: context.actingParty)
                return JSONResponse.make(
                    JSONValue.object(["status": "DELETED", "message": "Inbound Call Timeout removed successfully."]))
            },
            Endpoint(
                .get, "/ccaas/voice/2/transfer-configs/external-number", "Get transfer to external number config",
                tag: "Transfers"
            ) { _, _ in
                JSONResponse.make(render(try await cc.externalNumberTransfer()))
            },
            Endpoint(
                .put, "/ccaas/voice/2/transfer-configs/external-number", "Update transfer to external number config",
                tag: "Transfers", body: ContactCenter.externalNumberTransferSchema
            ) { request, context in
                JSONResponse.make(
                    render(
                        try await cc.setExternalNumberTransfer(
                            try await s.parsing.json(request), by: context.actingParty)))
            },
            Endpoint(
                .get, "/ccaas/voice/2/transfer-configs/transfer-strategy", "Get transfer strategy", tag: "Transfers"
            ) {
                _, _ in
                JSONResponse.make(render(try await cc.transferStrategy()))
            },
            Endpoint(
                .put, "/ccaas/voice/2/transfer-configs/transfer-strategy", "Update transfer strategy", tag: "Transfers",
                body: ContactCenter.transferStrategySchema
            ) { request, context in
                JSONResponse.make(
                    render(try await cc.setTransferStrategy(try await s.parsing.json(request), by: context.actingParty))
                )
            },
            Endpoint(
                .get, "/ccaas/voice/2/hold-configs-per-queue", "List hold configurations", tag: "Hold",
                query: [
                    QueryParameter("pageNumber", .integer(minimum: 0), "Page, default 0."),
                    QueryParameter("pageSize", .integer(minimum: 1, maximum: 999), "Page size, default 20."),
                    QueryParameter("sortDirection", .string(.init(allowed: ["ASC", "DESC"])), "By creation time."),
                ]
            ) { request, _ in
                let q = Query(request: request)
                let size = try q.int("pageSize", default: 20, min: 1, max: 999)
                let (elements, total) = try await cc.holdConfigs(
                    pageNumber: try q.int("pageNumber", default: 0, min: 0, max: 1_000_000), pageSize: size,
                    descending: try sortDescending(q, default: false))
                return voicePage(elements, total: total, size: size)
            },
            Endpoint(
                .post, "/ccaas/voice/2/hold-configs-per-queue", "Create hold configuration", tag: "Hold",
                body: ContactCenter.holdConfigSchema
            ) { request, context in
                JSONResponse.make(
                    try await cc.createHoldConfig(try await s.parsing.json(request), by: context.actingParty))
            },
            Endpoint(.get, "/ccaas/voice/2/hold-configs-per-queue/{id}", "Get hold configuration", tag: "Hold") {
                _, context in
                JSONResponse.make(try await cc.holdConfig(try context.parameter("id")))
            },
            Endpoint(
                .put, "/ccaas/voice/2/hold-configs-per-queue/{id}", "Update hold configuration", tag: "Hold",
                body: ContactCenter.holdConfigSchema
            ) { request, context in
                JSONResponse.make(
                    try await cc.updateHoldConfig(
                        try context.parameter("id"), try await s.parsing.json(request), by: context.actingParty))
            },
            Endpoint(.delete, "/ccaas/voice/2/hold-configs-per-queue/{id}", "Delete hold configuration", tag: "Hold") {
                _, context in
                try await cc.deleteHoldConfig(try context.parameter("id"), by: context.actingParty)
                return JSONResponse.success("Hold Configuration deleted.", style: .statusMessage)
            },
            Endpoint(
                .get, "/ccaas/voice/2/tts/options/placeholders/{ttsPurpose}", "Get supported TTS placeholders",
                tag: "Waiting strategies"
            ) { _, context in
                JSONResponse.make(try ContactCenter.ttsPlaceholders(purpose: try context.parameter("ttsPurpose")))
            },
            Endpoint(
                .get, "/ccaas/voice/2/away-audio-message/{id}", "Get away audio message", tag: "Working hours"
            ) { _, context in
                JSONResponse.make(try await cc.awayMessage(try context.parameter("id")))
            },
            Endpoint(
                .put, "/ccaas/voice/2/away-audio-message/{id}", "Set away audio message (this gateway's)",
                tag: "Working hours", body: ContactCenter.awayMessageSchema
            ) { request, context in
                JSONResponse.make(
                    try await cc.setAwayMessage(
                        try context.parameter("id"), try await s.parsing.json(request), by: context.actingParty))
            },
            Endpoint(
                .delete, "/ccaas/voice/2/away-audio-message/{id}", "Delete away audio message", tag: "Working hours"
            ) { _, context in
                try await cc.deleteAwayMessage(try context.parameter("id"), by: context.actingParty)
                return JSONResponse.make(
                    JSONValue.object(["status": "DELETED", "message": "Away Audio Message deleted."]))
            },
            Endpoint(.get, "/ccaas/voice/2/account-recording-config", "Get account recording config", tag: "Recording")
            {
                _, _ in
                JSONResponse.make(try await cc.accountRecording())
            },
            Endpoint(
                .post, "/ccaas/voice/2/account-recording-config", "Create account recording config", tag: "Recording",
                body: ContactCenter.accountRecordingSchema
            ) { request, context in
                JSONResponse.make(
                    try await cc.setAccountRecording(
                        try await s.parsing.json(request), create: true, by: context.actingParty))
            },
            Endpoint(
                .put, "/ccaas/voice/2/account-recording-config", "Create or update account recording config",
                tag: "Recording", body: ContactCenter.accountRecordingSchema
            ) { request, context in
                JSONResponse.make(
                    try await cc.setAccountRecording(
                        try await s.parsing.json(request), create: false, by: context.actingParty))
            },
            Endpoint(
                .get, "/ccaas/voice/2/agent-recording-configs", "List agent recording configs", tag: "Recording",
                query: [QueryParameter("agentIds", .array(.string()), "Agent ids.")]
            ) { request, _ in
                JSONResponse.make(try await cc.agentRecordings(agentIds: Query(request: request).strings("agentIds")))
            },
            Endpoint(
                .get, "/ccaas/voice/2/agent-recording-configs/{agentId}", "Get agent recording config", tag: "Recording"
            ) { _, context in
                JSONResponse.make(try await cc.agentRecording(try context.parameter("agentId")))
            },
            Endpoint(
                .post, "/ccaas/voice/2/agent-recording-configs/{agentId}", "Create agent recording config",
                tag: "Recording", body: ContactCenter.agentRecordingSchema
            ) { request, context in
                JSONResponse.make(
                    try await cc.setAgentRecording(
                        try context.parameter("agentId"), try await s.parsing.json(request), create: true,
                        by: context.actingParty))
            },
            Endpoint(
                .put, "/ccaas/voice/2/agent-recording-configs/{agentId}", "Create or update agent recording config",
                tag: "Recording", body: ContactCenter.agentRecordingSchema
            ) { request, context in
                JSONResponse.make(
                    try await cc.setAgentRecording(
                        try context.parameter("agentId"), try await s.parsing.json(request), create: false,
                        by: context.actingParty))
            },
        ]
    }

    static func render(_ setting: SettingDocument) -> JSONValue {
        setting.value.setting("createdAt", .string(InfobipDate.format(setting.createdAt)))
            .setting("updatedAt", .string(InfobipDate.format(setting.updatedAt)))
    }

    static func sortDescending(_ q: Query, default value: Bool) throws -> Bool {
        guard let raw = try q.string("sortDirection") else { return value }
        switch raw.uppercased() {
        case "ASC": return false
        case "DESC": return true
        default: throw APIError.badRequest("sortDirection: must be ASC or DESC, got '\(raw)'")
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}
