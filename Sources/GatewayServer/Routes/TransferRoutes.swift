import Calls
import ContactCenter
import Hummingbird

/// Infobip's call transfers: the conversation's established call goes to another agent or a
/// queue (blind; see docs/api.md).
enum TransferRoutes {
    static let agentSchema = Schema.object(
        [("agentId", .string(.init(minLength: 1, maxLength: 255)))], required: ["agentId"],
        missingMessages: ["agentId": "Empty or invalid request payload"])
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
