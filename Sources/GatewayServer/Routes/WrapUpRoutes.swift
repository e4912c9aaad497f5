import ContactCenter
import Hummingbird

/// Wrap-up configuration and actions.
enum WrapUpRoutes {
    static func endpoints(_ s: GatewayServices) -> [Endpoint] {
        let cc = s.contactCenter
        let tag = "Wrap-up"
        return [
            Endpoint(.get, "/ccaas/voice/2/account-wrap-up-config", "Get account wrap-up config", tag: tag) { _, _ in
                JSONResponse.make(try await cc.accountWrapUp())
            },
            Endpoint(
                .put, "/ccaas/voice/2/account-wrap-up-config", "Update account wrap-up config", tag: tag,
                body: ContactCenter.accountWrapUpSchema
            ) { request, context in
                JSONResponse.make(
                    try await cc.setAccountWrapUp(try await s.parsing.json(request), by: context.actingParty))
            },
            Endpoint(.get, "/ccca/1/agent-configs/{agentId}", "Get agent config", tag: tag) { _, context in
                JSONResponse.make(try await cc.agentConfig(try context.parameter("agentId")))
            },
            Endpoint(
                .put, "/ccca/1/agent-configs/{agentId}/wrap-up",
                "Set the agent's wrap-up seconds (null inherits the account)",
                tag: tag, body: ContactCenter.agentWrapUpSchema,
                query: [QueryParameter("wrapUpSeconds", .integer(minimum: 0), "Legacy; send it in the body instead.")]
            ) { request, context in
                var body = try await s.parsing.json(request, required: false)
                if body["wrapUpSeconds"] == nil, let legacy = request.uri.queryParameters.get("wrapUpSeconds") {
                    guard let seconds = Int64(legacy) else {
                        throw APIError.badRequest("agentConfig.wrapUpSeconds: must be an integer, got '\(legacy)'")
                    }
                    body = body.setting("wrapUpSeconds", .int(seconds))
                }
                return JSONResponse.make(
                    try await cc.setAgentWrapUp(try context.parameter("agentId"), body, by: context.actingParty))
            },
            Endpoint(
                .patch, "/ccaas/voice/2/agent/{agentId}/wrap-up-time/add/{seconds}", "Extend the agent's wrap-up",
                tag: tag
            ) { _, context in
                let raw = try context.parameter("seconds")
                guard let seconds = Int(raw) else {
                    throw APIError.badRequest("seconds: must be an integer, got '\(raw)'")
                }
                try await cc.extendWrapUp(try context.parameter("agentId"), seconds: seconds, by: context.actingParty)
                return JSONResponse.success("Agent wrap up time added successfully.", style: .statusMessage)
            },
            Endpoint(
                .patch, "/ccaas/voice/2/agent/{agentId}/wrap-up-time/clear", "End the agent's wrap-up now", tag: tag
            ) {
                _, context in
                try await cc.clearWrapUp(try context.parameter("agentId"), by: context.actingParty)
                return JSONResponse.success("Agent wrap up time cleared successfully.", style: .statusMessage)
            },
        ]
    }
}
