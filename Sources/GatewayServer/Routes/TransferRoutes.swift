import Calls
import ContactCenter
import Hummingbird
import SignalingFrames

/// Infobip's call transfers: the conversation's established call goes to another agent or a
/// queue (blind; see docs/api.md).
enum TransferRoutes {
    static let agentSchema = Schema.object(
        [("agentId", .string(.init(minLength: 1, maxLength: 255)))], required: ["agentId"],
        missingMessages: ["agentId": "Empty or invalid request payload"])
    static let numberSchema = Schema.object(
        [
            ("externalNumber", .string(.init(minLength: 2, maxLength: 16))),
            ("from", .string(.init(minLength: 2, maxLength: 16))),
        ], required: ["externalNumber"], missingMessages: ["externalNumber": "Empty or invalid request payload"])
    static let queueSchema = Schema.object(
        [("queueId", .string(.init(minLength: 1, maxLength: 255)))], required: ["queueId"],
        missingMessages: ["queueId": "Empty or invalid request payload"])

    static func endpoints(_ s: GatewayServices) -> [Endpoint] {
        let tag = "Transfers"
        let outcomes =
            "200 `Call transferred successfully.` once the target rings (the customer hears the transfer strategy);"
            + " 404 unknown destination, 409 destination not available, 412 no established call"
        return [
            endpoint(s, "agent", agentSchema, field: "agentId", tag: tag, returns: outcomes) { .agent($0) },
            endpoint(s, "queue", queueSchema, field: "queueId", tag: tag, returns: outcomes) { .queue($0) },
            Endpoint(
                .patch, "/ccaas/voice/2/conversation/{conversationId}/transfer/external-number",
                "Transfer the conversation's call to a phone number through a SIP trunk (blind)", tag: tag,
                body: numberSchema,
                returns: outcomes
                    + "; 403 a number not allowed by transfer-configs/external-number or a `from` the trunk may not show"
            ) { request, context in
                let body = try await s.parsing.json(request)
                var violations = numberSchema.validate(body)
                for field in ["externalNumber", "from"] {
                    if let value = body[field]?.stringValue, !ContactCenter.isE164(value) {
                        violations.append(Violation(field: field, message: "must be an E.164 number, got '\(value)'"))
                    }
                }
                if !violations.isEmpty { throw ContactCenterError.invalid(violations) }
                try await s.calls.transfer(
                    conversationId: try context.parameter("conversationId"),
                    to: .number(body["externalNumber"]!.stringValue!), from: body["from"]?.stringValue,
                    by: context.actingParty)
                return JSONResponse.success("Call transferred successfully.", style: .statusMessage)
            },
        ]
    }

    /// `PATCH …/transfer/<kind>` taking the target's id in `field`.
    private static func endpoint(
        _ s: GatewayServices, _ kind: String, _ schema: Schema, field: String, tag: String, returns: String,
        target: @escaping @Sendable (String) -> TransferTarget
    ) -> Endpoint {
        Endpoint(
            .patch, "/ccaas/voice/2/conversation/{conversationId}/transfer/\(kind)",
            "Transfer the conversation's call to \(kind == "agent" ? "an agent" : "a queue") (blind)", tag: tag,
            body: schema, returns: returns
        ) { request, context in
            let body = try await s.parsing.json(request)
            let violations = schema.validate(body)
            if !violations.isEmpty { throw ContactCenterError.invalid(violations) }
            try await s.calls.transfer(
                conversationId: try context.parameter("conversationId"), to: target(body[field]!.stringValue!),
                by: context.actingParty)
            return JSONResponse.success("Call transferred successfully.", style: .statusMessage)
        }
    }
}
