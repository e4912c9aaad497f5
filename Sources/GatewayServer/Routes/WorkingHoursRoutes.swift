import ContactCenter
import Hummingbird

/// `/ccaas/1/working-hours…`: Infobip's working hours, their status and holidays. Infobip names
/// the working hours `{workingHoursId}` in the holiday paths; the router needs one name per
/// position, so these take `{id}` (the same paths).
enum WorkingHoursRoutes {
    static let orderFields = ["id", "name", "createdAt", "updatedAt"]

    static func endpoints(_ s: GatewayServices) -> [Endpoint] {
        let cc = s.contactCenter
        let tag = "Working hours"
        let path = "/ccaas/1/working-hours/{id}"
        return [
            Endpoint(
                .get, "/ccaas/1/working-hours", "List working hours", tag: tag,
                query: [
                    QueryParameter("name", .string(), "Case-insensitive substring of the name."),
                    QueryParameter("enabled", .boolean, "Only enabled (or disabled) working hours."),
                    QueryParameter("isDefault", .boolean, "Only the default (or the others)."),
                ] + Paging.parameters(orderFields)
            ) { request, _ in
                let q = Query(request: request)
                var filter = WorkingHoursFilter()
                filter.name = try q.string("name")
                filter.enabled = try q.bool("enabled")
                filter.isDefault = try q.bool("isDefault")
                return try await cc.workingHoursList(filter, q.page(fields: orderFields)).response(key: "workingHours")
            },
            Endpoint(
                .post, "/ccaas/1/working-hours", "Create working hours", tag: tag,
                body: ContactCenter.workingHoursSchema(partial: false)
            ) { request, context in
                JSONResponse.make(
                    try await cc.createWorkingHours(try await s.parsing.json(request), by: context.actingParty))
            },
            Endpoint(.get, path, "Get working hours", tag: tag) { _, context in
                JSONResponse.make(try await cc.workingHours(try context.parameter("id")))
            },
            Endpoint(
                .put, path, "Update working hours", tag: tag, body: ContactCenter.workingHoursSchema(partial: false)
            ) {
                request, context in
                JSONResponse.make(
                    try await cc.updateWorkingHours(
                        try context.parameter("id"), try await s.parsing.json(request), partial: false,
                        by: context.actingParty))
            },
            Endpoint(
                .patch, path, "Patch working hours", tag: tag, body: ContactCenter.workingHoursSchema(partial: true)
            ) { request, context in
                JSONResponse.make(
                    try await cc.updateWorkingHours(
                        try context.parameter("id"), try await s.parsing.json(request), partial: true,
                        by: context.actingParty))
            },
            Endpoint(.delete, path, "Delete working hours", tag: tag) { _, context in
                try await cc.deleteWorkingHours(try context.parameter("id"), by: context.actingParty)
                return JSONResponse.success("Working hours deleted successfully.", style: .serviceException)
            },
            Endpoint(
                .get, path + "/status", "Whether the working hours are open now", tag: tag,
                returns: "`{status: INSIDE_OF_WORKING_HOURS | OUTSIDE_OF_WORKING_HOURS}`"
            ) { _, context in
                let status = try await cc.workingHoursStatus(try context.parameter("id"))
                return JSONResponse.make(["status": status.rawValue])
            },
            Endpoint(
                .post, "/ccaas/1/working-hours/{id}/holiday", "Add a holiday", tag: tag,
                body: ContactCenter.holidaySchema
            ) { request, context in
                JSONResponse.make(
                    try await cc.addHoliday(
                        to: try context.parameter("id"), try await s.parsing.json(request),
                        by: context.actingParty))
            },
            Endpoint(.delete, "/ccaas/1/working-hours/{id}/holiday/{holidayId}", "Delete a holiday", tag: tag) {
                _, context in
                try await cc.deleteHoliday(
                    try context.parameter("holidayId"), from: try context.parameter("id"), by: context.actingParty)
                return JSONResponse.success("Holiday deleted successfully.", style: .serviceException)
            },
        ]
    }
}
