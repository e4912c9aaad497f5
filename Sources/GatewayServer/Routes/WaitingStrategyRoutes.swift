import ContactCenter
import Hummingbird

/// `/ccaas/voice/2/waiting-strategies…`
enum WaitingStrategyRoutes {
    static func endpoints(_ s: GatewayServices) -> [Endpoint] {
        let cc = s.contactCenter
        let tag = "Waiting strategies"
        return [
            Endpoint(
                .get, "/ccaas/voice/2/waiting-strategies", "List waiting strategies", tag: tag,
                query: [
                    QueryParameter("queueId", .string(), "Strategies whose QUEUE condition names this queue."),
                    QueryParameter("pageNumber", .integer(minimum: 0), "Page, default 0."),
                    QueryParameter("pageSize", .integer(minimum: 1, maximum: 999), "Page size, default 20."),
                    QueryParameter("sortDirection", .string(.init(allowed: ["ASC", "DESC"])), "Default DESC."),
                    QueryParameter("sortBy", .string(.init(allowed: ["NAME", "CREATED_AT"])), "Default CREATED_AT."),
                ]
            ) { request, _ in
                let q = Query(request: request)
                let size = try q.int("pageSize", default: 20, min: 1, max: 999)
                let sortBy = try q.string("sortBy")?.uppercased() ?? "CREATED_AT"
                guard ["NAME", "CREATED_AT"].contains(sortBy) else {
                    throw APIError.badRequest("sortBy: must be NAME or CREATED_AT, got '\(sortBy)'")
                }
                let (elements, total) = try await cc.waitingStrategies(
                    queueId: try q.string("queueId"),
                    pageNumber: try q.int("pageNumber", default: 0, min: 0, max: 1_000_000),
                    pageSize: size, sortBy: sortBy, descending: try VoiceSettingsRoutes.sortDescending(q, default: true)
                )
                return voicePage(elements, total: total, size: size)
            },
            Endpoint(
                .post, "/ccaas/voice/2/waiting-strategies", "Create waiting strategy", tag: tag,
                body: ContactCenter.waitingStrategySchema
            ) { request, context in
                JSONResponse.make(
                    try await cc.createWaitingStrategy(try await s.parsing.json(request), by: context.actingParty))
            },
            Endpoint(.get, "/ccaas/voice/2/waiting-strategies/{id}", "Get waiting strategy", tag: tag) { _, context in
                JSONResponse.make(try await cc.waitingStrategy(try context.parameter("id")))
            },
            Endpoint(
                .put, "/ccaas/voice/2/waiting-strategies/{id}", "Update waiting strategy", tag: tag,
                body: ContactCenter.waitingStrategySchema
            ) { request, context in
                JSONResponse.make(
                    try await cc.updateWaitingStrategy(
                        try context.parameter("id"), try await s.parsing.json(request), by: context.actingParty))
            },
            Endpoint(.delete, "/ccaas/voice/2/waiting-strategies/{id}", "Delete waiting strategy", tag: tag) {
                _, context in
                try await cc.deleteWaitingStrategy(try context.parameter("id"), by: context.actingParty)
                return JSONResponse.success("Waiting Strategy deleted.", style: .statusMessage)
            },
        ]
    }
}
