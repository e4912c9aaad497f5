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
            Endpoint(
                .patch, "/ccaas/voice/2/conversation/{conversationId}/transfer/agent",
                "Transfer the conversation's call to an agent (blind)", tag: tag, body: agentSchema, returns: outcomes
            ) { request, context in
                let body = try await s.parsing.json(request)
                let violations = agentSchema.validate(body)
                if !violations.isEmpty { throw ContactCenterError.invalid(violations) }
                try await s.calls.transfer(
                    conversationId: try context.parameter("conversationId"),
                    to: .agent(body["agentId"]!.stringValue!), by: context.actingParty)
                return JSONResponse.success("Call transferred successfully.", style: .statusMessage)
            },
            Endpoint(
                .patch, "/ccaas/voice/2/conversation/{conversationId}/transfer/queue",
                "Transfer the conversation's call to a queue (blind)", tag: tag, body: queueSchema, returns: outcomes
            ) { request, context in
                let body = try await s.parsing.json(request)
                let violations = queueSchema.validate(body)
                if !violations.isEmpty { throw ContactCenterError.invalid(violations) }
                try await s.calls.transfer(
                    conversationId: try context.parameter("conversationId"),
                    to: .queue(body["queueId"]!.stringValue!), by: context.actingParty)
                return JSONResponse.success("Call transferred successfully.", style: .statusMessage)
            },
        ]
    }
}
