import Calls
import ContactCenter
import Hummingbird

/// Outbound call conversations and the call list.
enum CallRoutes {
    static let outboundSchema = Schema.object(
        [
            ("from", .string(.init(maxLength: 64))),
            ("to", .string(.init(minLength: 1, maxLength: 64))),
            ("agentId", .string(.init(minLength: 1, maxLength: 255))),
            ("voiceClientType", .string(.init(allowed: ContactCenter.voiceClientTypes))),
        ], required: ["to", "agentId"], missingMessages: ["to": "Param TO must have non blank value"])

    static func endpoints(_ s: GatewayServices) -> [Endpoint] {
        let tag = "Calls"
        return [
            Endpoint(
                .post, "/ccaas/voice/2/outbound-call-conversation",
                "Create the conversation an agent's outbound call belongs to (then callConversations)", tag: tag,
                body: outboundSchema, returns: "`{from, to, conversationId, agentId}`"
            ) { request, context in
                let body = try await s.parsing.json(request)
                let violations = outboundSchema.validate(body)
                if !violations.isEmpty { throw ContactCenterError.invalid(violations) }
                let agentId = body["agentId"]!.stringValue!
                guard context.actingParty.mayActOn(agentId: agentId) else {
                    throw ContactCenterError.forbidden("Agent may start outbound calls only for itself.")
                }
                let conversation = try await s.contactCenter.createConversation(
                    .object(["topic": .string("Call to \(body["to"]!.stringValue!)"), "agentId": .string(agentId)]),
                    by: .integration)
                return JSONResponse.make(
                    JSONValue.object([
                        "from": body["from"] ?? .null, "to": body["to"]!,
                        "conversationId": .string(conversation.conversation.id),
                        "agentId": .string(agentId),
                    ]))
            },
            Endpoint(
                .patch, "/ccaas/voice/2/{conversationId}/hold",
                "Hold the customer in the conversation's established call (the agent's counterpart)", tag: tag
            ) { _, context in
                try await s.calls.hold(
                    conversationId: try context.parameter("conversationId"), held: true, by: context.actingParty)
                return JSONResponse.success("Hold action successful.", style: .statusMessage)
            },
            Endpoint(
                .patch, "/ccaas/voice/2/{conversationId}/unhold", "Resume the conversation's held call", tag: tag
            ) { _, context in
                try await s.calls.hold(
                    conversationId: try context.parameter("conversationId"), held: false, by: context.actingParty)
                return JSONResponse.success("Unhold action successful.", style: .statusMessage)
            },
            Endpoint(
                .get, "/ccaas/voice/2/calls",
                "List calls with their state, newest first (extension; an agent's token lists its own calls)", tag: tag,
                access: .apiKeyOrAgentToken,
                query: [
                    QueryParameter("conversationId", .string(), "Calls of this conversation."),
                    QueryParameter("agentId", .string(), "Calls this agent took or made."),
                    QueryParameter("createdAfter", .string(.init(format: "date-time")), "Calls that began after this."),
                    QueryParameter("page", .integer(minimum: 0), "Page, default 0."),
                    QueryParameter("size", .integer(minimum: 1, maximum: 999), "Page size, default 20."),
                ]
            ) { request, context in
                let q = Query(request: request)
                let page = try q.int("page", default: 0, min: 0, max: 1_000_000)
                let size = try q.int("size", default: 20, min: 1, max: 999)
                var agentId = try q.string("agentId")
                // An agent (not a supervisor) sees its own calls only.
                if case .agent(let agent) = context.actingParty, agent.role != .SUPERVISOR {
                    if let agentId, agentId != agent.id {
                        throw ContactCenterError.forbidden("Agent \(agent.id) may list its own calls only.")
                    }
                    agentId = agent.id
                }
                let all = try await s.calls.calls(
                    conversationId: try q.string("conversationId"), agentId: agentId, since: try q.date("createdAfter"))
                let start = min(all.count, page * size)
                return voicePage(Array(all[start..<min(all.count, start + size)]), total: all.count, size: size)
            },
            Endpoint(
                .get, "/ccaas/voice/2/callbacks",
                "List callback requests (callers who pressed a CALLBACK key), newest first, at most 200 (extension)",
                tag: tag,
                query: [
                    QueryParameter(
                        "status", .string(.init(allowed: CallbackRequest.Status.allCases.map(\.rawValue))),
                        "Requests in this state.")
                ]
            ) { request, _ in
                let status = try Query(request: request).enumeration("status", CallbackRequest.Status.self)
                let requests = try await s.calls.callbackRequests(status: status)
                return voicePage(requests, total: requests.count, size: max(requests.count, 1))
            },
            Endpoint(
                .delete, "/ccaas/voice/2/callbacks/{callbackId}",
                "Cancel a callback request not served yet; 409 once it is being called or over (extension)", tag: tag
            ) { _, context in
                guard context.actingParty.mayConfigureAccount else {
                    throw ContactCenterError.forbidden("Only a supervisor may cancel callbacks.")
                }
                return JSONResponse.make(try await s.calls.cancelCallback(try context.parameter("callbackId")))
            },
        ]
    }
}
