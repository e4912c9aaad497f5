import ContactCenter
import Hummingbird

/// `/ccaas/1/agents…`
enum AgentRoutes {
    static let orderFields = ["id", "displayName", "status", "role", "enabled", "createdAt", "updatedAt"]

    static func endpoints(_ s: GatewayServices) -> [Endpoint] {
        let cc = s.contactCenter
        let tag = "Agents"
        return [
            Endpoint(
                .get, "/ccaas/1/agents", "List agents", tag: tag,
                query: [
                    QueryParameter("agentIds", .array(.string()), "Agent ids to match."),
                    QueryParameter("queueIds", .array(.string()), "Queue ids the agents belong to."),
                    QueryParameter("displayName", .string(), "Case-insensitive substring of the display name."),
                    QueryParameter("email", .string(), "Agent email."),
                    QueryParameter("status", .enumeration(AgentStatus.self), "Status set by the agent."),
                    QueryParameter(
                        "availability", .enumeration(AgentStatus.self), "Availability derived by the system."),
                    QueryParameter("role", .enumeration(AgentRole.self), "Agent role."),
                    QueryParameter("enabled", .boolean, "Enabled flag."),
                ] + Paging.dateFilters + Paging.parameters(orderFields),
                returns: "`{agents: [...], pagination}`"
            ) { request, _ in
                let q = Query(request: request)
                var filter = AgentFilter()
                filter.agentIds = q.strings("agentIds")
                filter.queueIds = q.strings("queueIds")
                filter.displayName = try q.string("displayName")
                filter.email = try q.string("email")
                filter.status = try q.enumeration("status", AgentStatus.self)
                filter.availability = try q.enumeration("availability", AgentStatus.self)
                filter.role = try q.enumeration("role", AgentRole.self)
                filter.enabled = try q.bool("enabled")
                filter.createdAfter = try q.date("createdAfter")
                filter.createdBefore = try q.date("createdBefore")
                filter.updatedAfter = try q.date("updatedAfter")
                filter.updatedBefore = try q.date("updatedBefore")
                return try await cc.agents(filter, q.page(fields: orderFields)).response(key: "agents")
            },
            Endpoint(.post, "/ccaas/1/agents", "Create agent", tag: tag, body: ContactCenter.agentRequestSchema) {
                request, context in
                JSONResponse.make(try await cc.createAgent(try await s.parsing.json(request), by: context.actingParty))
            },
            Endpoint(.get, "/ccaas/1/agents/{agentId}", "Get agent", tag: tag) { _, context in
                JSONResponse.make(try await cc.agent(try context.parameter("agentId")))
            },
            Endpoint(
                .put, "/ccaas/1/agents/{agentId}", "Update agent", tag: tag, body: ContactCenter.agentRequestSchema
            ) {
                request, context in
                JSONResponse.make(
                    try await cc.updateAgent(
                        try context.parameter("agentId"), try await s.parsing.json(request), by: context.actingParty))
            },
            Endpoint(
                .delete, "/ccaas/1/agents/{agentId}",
                "Delete agent (extension; refused while conversations are assigned)",
                tag: tag
            ) { _, context in
                let agentId = try context.parameter("agentId")
                try await cc.deleteAgent(agentId, by: context.actingParty)
                try await s.signIn.forget(agentId: agentId)
                return JSONResponse.success("Agent deleted successfully.", style: .serviceException)
            },
            Endpoint(
                .put, "/ccaas/1/agents/{agentId}/status", "Change agent status", tag: tag,
                body: ContactCenter.agentStatusSchema
            ) { request, context in
                JSONResponse.make(
                    try await cc.setAgentStatus(
                        try context.parameter("agentId"), try await s.parsing.json(request), by: context.actingParty))
            },
            Endpoint(.get, "/ccaas/1/agents/{agentId}/queues", "List the agent's queues (extension)", tag: tag) {
                _, context in
                let agentId = try context.parameter("agentId")
                _ = try await cc.agent(agentId)
                var queues: [Queue] = []
                for id in try await cc.queueIds(ofAgent: agentId) { queues.append(try await cc.queue(id)) }
                return JSONResponse.make(["queues": queues])
            },
            Endpoint(
                .post, "/ccaas/1/agents/{agentId}/queues", "Add agent to queue", tag: tag,
                body: ContactCenter.queueAssignSchema
            ) { request, context in
                try await cc.addAgentToQueue(
                    try context.parameter("agentId"), try await s.parsing.json(request), by: context.actingParty)
                return JSONResponse.success("Agent added to queue successfully.", style: .serviceException)
            },
            Endpoint(.delete, "/ccaas/1/agents/{agentId}/queues/{queueId}", "Remove agent from queue", tag: tag) {
                _, context in
                try await cc.removeAgentFromQueue(
                    try context.parameter("agentId"), queueId: try context.parameter("queueId"), by: context.actingParty
                )
                return JSONResponse.success("Agent removed from queue successfully.", style: .serviceException)
            },
            Endpoint(.put, "/ccaas/1/agents/{agentId}/heartbeat", "Set agent heartbeat", tag: tag) { _, context in
                try await cc.heartbeat(try context.parameter("agentId"), by: context.actingParty)
                return JSONResponse.success("Heartbeat received.", style: .serviceException)
            },
            Endpoint(
                .get, "/ccaas/1/agents/{agentId}/conversations", "Get agent conversations", tag: tag,
                query: Paging.parameters(ConversationRoutes.orderFields)
            ) { request, context in
                try await cc.agentConversations(
                    try context.parameter("agentId"),
                    Query(request: request).page(fields: ConversationRoutes.orderFields)
                ).response(key: "conversations")
            },
        ]
    }
}

/// Shared query parameters of Infobip's paging and date filters.
enum Paging {
    static func parameters(_ fields: [String]) -> [QueryParameter] {
        [
            QueryParameter("page", .integer(minimum: 0), "Number of the current page (default 0)."),
            QueryParameter("limit", .integer(minimum: 0, maximum: 999), "Size of the result page (default 10)."),
            QueryParameter(
                "orderBy", .string(), "`field:asc|desc` over \(fields.joined(separator: ", ")); default `id:asc`."),
        ]
    }

    static let dateFilters = [
        QueryParameter("createdAfter", .string(.init(format: "date-time")), "Created after."),
        QueryParameter("createdBefore", .string(.init(format: "date-time")), "Created before."),
        QueryParameter("updatedAfter", .string(.init(format: "date-time")), "Updated after."),
        QueryParameter("updatedBefore", .string(.init(format: "date-time")), "Updated before."),
    ]
}
