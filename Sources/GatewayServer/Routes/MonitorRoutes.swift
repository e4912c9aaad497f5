import Calls
import ContactCenter
import Hummingbird
import SignalingFrames

/// Supervisor monitoring of a conversation's call: listen, whisper to the agent, barge in (an
/// extension; Infobip has no such route). See docs/api.md.
enum MonitorRoutes {
    static let schema = Schema.object(
        [
            ("supervisorId", .string(.init(minLength: 1, maxLength: 255))),
            ("mode", .enumeration(MonitorMode.self)),
        ], required: ["supervisorId", "mode"])

    static func endpoints(_ s: GatewayServices) -> [Endpoint] {
        let tag = "Monitoring"
        return [
            Endpoint(
                .patch, "/ccaas/voice/2/conversation/{conversationId}/monitor",
                "A supervisor monitors the conversation's call (LISTEN, WHISPER to the agent, BARGE in), or changes"
                    + " how; their softphone is offered a leg, which joins once answered (extension)", tag: tag,
                body: schema,
                returns:
                    "200 `Monitoring started.`; 403 not a supervisor (or `x-agent-id` another agent), 404 unknown"
                    + " supervisor, 409 supervisor not connected, in the call, monitoring another call, or the call"
                    + " being transferred or full, 412 no answered call"
            ) { request, context in
                let body = try await s.parsing.json(request)
                let violations = schema.validate(body)
                if !violations.isEmpty { throw ContactCenterError.invalid(violations) }
                try await s.calls.monitor(
                    conversationId: try context.parameter("conversationId"),
                    supervisorId: body["supervisorId"]!.stringValue!,
                    mode: MonitorMode(rawValue: body["mode"]!.stringValue!)!, by: context.actingParty)
                return JSONResponse.success("Monitoring started.", style: .statusMessage)
            },
            Endpoint(
                .delete, "/ccaas/voice/2/conversation/{conversationId}/monitor/{supervisorId}",
                "End a supervisor's monitoring of the conversation's call (extension)", tag: tag,
                returns: "200 `Monitoring stopped.`; 403 as above, 412 the supervisor does not monitor this call"
            ) { _, context in
                try await s.calls.stopMonitoring(
                    conversationId: try context.parameter("conversationId"),
                    supervisorId: try context.parameter("supervisorId"), by: context.actingParty)
                return JSONResponse.success("Monitoring stopped.", style: .statusMessage)
            },
        ]
    }
}
