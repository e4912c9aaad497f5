import ContactCenter
import Hummingbird

/// `/ccaas/1/conversations…`, including messages.
enum ConversationRoutes {
    static let orderFields = ["id", "topic", "status", "priority", "queueId", "agentId", "createdAt", "updatedAt"]
    static let messageOrderFields = ["id", "createdAt", "updatedAt", "channel", "direction"]

    static func endpoints(_ s: GatewayServices) -> [Endpoint] {
        let cc = s.contactCenter
        let tag = "Conversations"
        return [
            Endpoint(
                .get, "/ccaas/1/conversations", "List conversations", tag: tag,
                query: [
                    QueryParameter("status", .enumeration(ConversationStatus.self), "Conversation status."),
                    QueryParameter("priority", .enumeration(ConversationPriority.self), "Conversation priority."),
                    QueryParameter("queueId", .string(), "Queue id."),
                    QueryParameter("agentId", .string(), "Assigned agent id."),
                    QueryParameter("topic", .string(), "Case-insensitive substring of the topic."),
                ] + Paging.dateFilters + Paging.parameters(orderFields)
            ) { request, _ in
                let q = Query(request: request)
                var filter = ConversationFilter()
                filter.status = try q.enumeration("status", ConversationStatus.self)
                filter.priority = try q.enumeration("priority", ConversationPriority.self)
                filter.queueId = try q.string("queueId")
                filter.agentId = try q.string("agentId")
                filter.topic = try q.string("topic", maxLength: 1000)
                filter.createdAfter = try q.date("createdAfter")
                filter.createdBefore = try q.date("createdBefore")
                filter.updatedAfter = try q.date("updatedAfter")
                filter.updatedBefore = try q.date("updatedBefore")
                return try await cc.conversations(filter, q.page(fields: orderFields)).response(key: "conversations")
            },
            Endpoint(
                .post, "/ccaas/1/conversations", "Create conversation", tag: tag, body: ContactCenter.conversationSchema
            ) { request, context in
                JSONResponse.make(
                    try await cc.createConversation(
                        try await s.parsing.json(request, required: false), by: context.actingParty))
            },
            Endpoint(.get, "/ccaas/1/conversations/{conversationId}", "Get conversation", tag: tag) { _, context in
                JSONResponse.make(try await cc.conversation(try context.parameter("conversationId")))
            },
            Endpoint(
                .put, "/ccaas/1/conversations/{conversationId}", "Update conversation (closed ones cannot change)",
                tag: tag,
                body: ContactCenter.conversationSchema
            ) { request, context in
                JSONResponse.make(
                    try await cc.updateConversation(
                        try context.parameter("conversationId"), try await s.parsing.json(request), replace: true,
                        by: context.actingParty))
            },
            Endpoint(
                .patch, "/ccaas/1/conversations/{conversationId}", "Patch conversation (closed ones cannot change)",
                tag: tag, body: ContactCenter.patchConversationSchema
            ) { request, context in
                JSONResponse.make(
                    try await cc.updateConversation(
                        try context.parameter("conversationId"), try await s.parsing.json(request), replace: false,
                        by: context.actingParty))
            },
            Endpoint(
                .delete, "/ccaas/1/conversations/{conversationId}",
                "Delete conversation and its messages (extension; supervisors and integrations only)", tag: tag
            ) { _, context in
                try await cc.deleteConversation(try context.parameter("conversationId"), by: context.actingParty)
                return JSONResponse.success("Conversation deleted successfully.", style: .serviceException)
            },
            Endpoint(
                .put, "/ccaas/1/conversations/{conversationId}/assignee", "Change conversation assignment", tag: tag,
                body: ContactCenter.assigneeSchema
            ) { request, context in
                JSONResponse.make(
                    try await cc.assign(
                        try context.parameter("conversationId"), try await s.parsing.json(request),
                        by: context.actingParty))
            },
            Endpoint(.delete, "/ccaas/1/conversations/{conversationId}/assignee", "Unassign conversation", tag: tag) {
                _, context in
                JSONResponse.make(
                    try await cc.unassign(try context.parameter("conversationId"), by: context.actingParty))
            },
            Endpoint(
                .get, "/ccaas/1/conversations/{conversationId}/messages",
                "Get messages (with an agent's token: the assignee's or a supervisor's)", tag: "Messages",
                access: .apiKeyOrAgentToken,
                query: [
                    QueryParameter("messageIds", .array(.string()), "Message ids."),
                    QueryParameter("channel", .enumeration(MessageChannel.self), "Message channel."),
                    QueryParameter("direction", .enumeration(MessageDirection.self), "Message direction."),
                    QueryParameter("createdAfter", .string(.init(format: "date-time")), "Created after."),
                    QueryParameter("createdBefore", .string(.init(format: "date-time")), "Created before."),
                ] + Paging.parameters(messageOrderFields)
            ) { request, context in
                let conversationId = try context.parameter("conversationId")
                if context.byAgentToken, case .agent(let agent) = context.actingParty, agent.role != .SUPERVISOR,
                    try await cc.conversation(conversationId).conversation.agentId != agent.id
                {
                    throw ContactCenterError.forbidden(
                        "Agent \(agent.id) is not the assignee of conversation \(conversationId) and is not a supervisor."
                    )
                }
                let q = Query(request: request)
                var filter = MessageFilter()
                filter.messageIds = q.strings("messageIds")
                filter.channel = try q.enumeration("channel", MessageChannel.self)
                filter.direction = try q.enumeration("direction", MessageDirection.self)
                filter.createdAfter = try q.date("createdAfter")
                filter.createdBefore = try q.date("createdBefore")
                return try await cc.messages(
                    conversationId, filter, q.page(fields: messageOrderFields)
                ).response(key: "messages")
            },
            Endpoint(
                .post, "/ccaas/1/conversations/{conversationId}/messages",
                "Create message (x-agent-id rules apply; LIVE_CHAT is pushed to the customer's socket, other channels to the webhook)",
                tag: "Messages", body: ContactCenter.createMessageSchema
            ) { request, context in
                JSONResponse.make(
                    try await cc.createMessage(
                        try context.parameter("conversationId"), try await s.parsing.json(request),
                        by: context.actingParty))
            },
        ]
    }
}
