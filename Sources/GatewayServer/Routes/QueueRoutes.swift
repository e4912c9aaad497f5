import ContactCenter
import Hummingbird

/// `/ccaas/1/queues…` and `/ccaas/voice/2/transfer/queues`.
enum QueueRoutes {
    static let orderFields = ["id", "name", "createdAt", "updatedAt"]

    static func endpoints(_ s: GatewayServices) -> [Endpoint] {
        let cc = s.contactCenter
        let tag = "Queues"
        return [
            Endpoint(
                .get, "/ccaas/1/queues", "List queues", tag: tag,
                query: [QueryParameter("name", .string(), "Case-insensitive substring of the name.")]
                    + Paging.parameters(orderFields)
            ) { request, _ in
                let q = Query(request: request)
                return try await cc.queues(nameContains: try q.string("name"), q.page(fields: orderFields))
                    .response(key: "queues")
            },
            Endpoint(.post, "/ccaas/1/queues", "Create queue", tag: tag, body: ContactCenter.createQueueSchema) {
                request, context in
                JSONResponse.make(try await cc.createQueue(try await s.parsing.json(request), by: context.actingParty))
            },
            Endpoint(.get, "/ccaas/1/queues/{queueId}", "Get queue (extension)", tag: tag) { _, context in
                JSONResponse.make(try await cc.queue(try context.parameter("queueId")))
            },
            Endpoint(.put, "/ccaas/1/queues/{queueId}", "Update queue", tag: tag, body: ContactCenter.updateQueueSchema)
            {
                request, context in
                JSONResponse.make(
                    try await cc.updateQueue(
                        try context.parameter("queueId"), try await s.parsing.json(request), by: context.actingParty))
            },
            Endpoint(.delete, "/ccaas/1/queues/{queueId}", "Delete queue", tag: tag) { _, context in
                try await cc.deleteQueue(try context.parameter("queueId"), by: context.actingParty)
                return JSONResponse.success("Queue deleted successfully.", style: .serviceException)
            },
            Endpoint(
                .get, "/ccaas/voice/2/transfer/queues", "Queues available for transfer, with their activity", tag: tag,
                query: [
                    QueryParameter("page", .integer(minimum: 0), "Results page to retrieve (0..N), default 0."),
                    QueryParameter("size", .integer(minimum: 1, maximum: 2000), "Page size, default 20."),
                ], returns: "`{elements, total, totalPages}`"
            ) { request, _ in
                let q = Query(request: request)
                let page = try q.int("page", default: 0, min: 0, max: 1_000_000)
                let size = try q.int("size", default: 20, min: 1, max: 2000)
                let (elements, total) = try await cc.transferQueues(page: page, size: size)
                return voicePage(elements, total: total, size: size)
            },
        ]
    }
}
