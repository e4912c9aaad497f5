import Foundation

/// Filters of `GET /ccaas/1/working-hours`.
public struct WorkingHoursFilter: Sendable, Equatable {
    public var name: String?
    public var enabled: Bool?
    public var isDefault: Bool?
    public init() {}
}

extension ContactCenter {
    static let dailyHoursSchema = Schema.object(
        [
            ("startTime", .integer(minimum: 0, maximum: 1440)), ("endTime", .integer(minimum: 0, maximum: 1440)),
            ("enabled", .boolean),
        ], required: ["startTime", "endTime", "enabled"])

    /// Infobip's `HolidaysApiModel` as a request.
    public static let holidaySchema = Schema.object(
        [
            ("name", .string(.init(minLength: 1, maxLength: 255))),
            ("startDate", .string(.init(minLength: 10, maxLength: 10, format: "date"))),
            ("endDate", .string(.init(minLength: 10, maxLength: 10, format: "date"))), ("enabled", .boolean),
        ], required: ["name", "startDate", "endDate"])

    /// Infobip's `WorkingHoursApiRequest`; `partial` (PATCH) requires nothing.
    public static func workingHoursSchema(partial: Bool) -> Schema {
        .object(
            [
                ("name", .string(.init(minLength: 1, maxLength: 255))),
                ("timezone", .string(.init(minLength: 1, maxLength: 64))),
                ("message", .string(.init(maxLength: 4000))),
                (
                    "workWeek",
                    .object(
                        Weekday.allCases.map { ($0.rawValue, dailyHoursSchema) },
                        required: partial ? [] : Set(Weekday.allCases.map(\.rawValue)))
                ),
                ("enabled", .boolean), ("isDefault", .boolean), ("closeConversations", .boolean),
                ("holidays", .array(holidaySchema, maxItems: 366)),
            ], required: partial ? [] : ["name", "timezone", "message", "workWeek"])
    }

    public func createWorkingHours(_ body: JSONValue, by actor: ActingParty) async throws -> WorkingHours {
        try requireSupervisor(actor)
        try check(body, against: Self.workingHoursSchema(partial: false))
        let now = now()
        var hours = WorkingHours(
            id: Identifiers.uuid(), name: "", timezone: "", message: "", workWeek: [:], enabled: true, isDefault: false,
            closeConversations: false, holidays: [], createdAt: now, updatedAt: now)
        try apply(body, to: &hours)
        try await saveMakingDefaultUnique(hours)
        return hours
    }

    /// PUT replaces every field the request names (all required ones must be there); PATCH
    /// changes only what it names.
    public func updateWorkingHours(_ id: String, _ body: JSONValue, partial: Bool, by actor: ActingParty) async throws
        -> WorkingHours
    {
        try requireSupervisor(actor)
        try check(body, against: Self.workingHoursSchema(partial: partial))
        var hours = try await requireWorkingHours(id)
        try apply(body, to: &hours)
        hours.updatedAt = now()
        try await saveMakingDefaultUnique(hours)
        return hours
    }

    public func workingHours(_ id: String) async throws -> WorkingHours { try await requireWorkingHours(id) }

    public func workingHoursList(_ filter: WorkingHoursFilter, _ page: PageRequest) async throws -> Page<WorkingHours> {
        var filters: [DocumentFilter] = []
        if let v = filter.name { filters.append(.contains("name", v)) }
        if let v = filter.enabled { filters.append(.equalsBool("enabled", v)) }
        if let v = filter.isDefault { filters.append(.equalsBool("isDefault", v)) }
        let (items, total) = try await store.list(WorkingHours.self, pageQuery(.workingHours, filters, page))
        return Page(items: items, total: total, request: page)
    }

    /// Deletes working hours; queues that named them have none from then on (always open).
    public func deleteWorkingHours(_ id: String, by actor: ActingParty) async throws {
        try requireSupervisor(actor)
        _ = try await requireWorkingHours(id)
        let (queues, _) = try await store.list(
            Queue.self, DocumentQuery(collection: .queue, filters: [.equals("workingHoursId", id)]))
        for var queue in queues {
            queue.workingHoursId = nil
            queue.updatedAt = now()
            try await store.save(queue)
        }
        try await store.delete(.workingHours, id: id)
    }

    /// Whether the working hours are open now.
    public func workingHoursStatus(_ id: String) async throws -> WorkingHoursStatus {
        try await requireWorkingHours(id).status(at: now())
    }

    public func addHoliday(to id: String, _ body: JSONValue, by actor: ActingParty) async throws -> WorkingHours {
        try requireSupervisor(actor)
        try check(body, against: Self.holidaySchema)
        var hours = try await requireWorkingHours(id)
        hours.holidays.append(try holiday(body, of: id))
        hours.updatedAt = now()
        try await store.save(hours)
        return hours
    }

    public func deleteHoliday(_ holidayId: String, from id: String, by actor: ActingParty) async throws {
        try requireSupervisor(actor)
        var hours = try await requireWorkingHours(id)
        guard hours.holidays.contains(where: { $0.id == holidayId }) else {
            throw ContactCenterError.notFound(resource: "holiday", id: holidayId)
        }
        hours.holidays.removeAll { $0.id == holidayId }
        hours.updatedAt = now()
        try await store.save(hours)
    }

    /// Whether a queue takes calls now: it has no working hours, or they are open.
    public func isOpen(_ queue: Queue) async throws -> Bool {
        guard let id = queue.workingHoursId, let hours = try await store.load(WorkingHours.self, id: id) else {
            return true
        }
        return hours.status(at: now()) == .INSIDE_OF_WORKING_HOURS
    }

    func requireWorkingHours(_ id: String) async throws -> WorkingHours {
        guard let hours = try await store.load(WorkingHours.self, id: id) else {
            throw ContactCenterError.notFound(resource: "working hours", id: id)
        }
        return hours
    }

    private func requireSupervisor(_ actor: ActingParty) throws {
        guard actor.mayConfigureAccount else {
            throw ContactCenterError.forbidden("Only a supervisor may change working hours.")
        }
    }

    private func apply(_ body: JSONValue, to hours: inout WorkingHours) throws {
        if let v = body["name"]?.stringValue { hours.name = v }
        if let v = body["timezone"]?.stringValue {
            guard TimeZone(identifier: v) != nil else {
                throw ContactCenterError.invalid([Violation(field: "timezone", message: "unknown time zone '\(v)'")])
            }
            hours.timezone = v
        }
        if let v = body["message"]?.stringValue { hours.message = v }
        if case .object(let days) = body["workWeek"] {
            for (name, day) in days {
                guard let weekday = Weekday(rawValue: name), let start = day["startTime"]?.intValue,
                    let end = day["endTime"]?.intValue
                else { continue }
                guard start <= end else {
                    throw ContactCenterError.invalid([
                        Violation(field: "workWeek.\(name)", message: "startTime must not be after endTime")
                    ])
                }
                hours.workWeek[weekday] = DailyWorkingHours(
                    startTime: Int(start), endTime: Int(end), enabled: day["enabled"]?.boolValue ?? true)
            }
        }
        if let v = body["enabled"]?.boolValue { hours.enabled = v }
        if let v = body["isDefault"]?.boolValue { hours.isDefault = v }
        if let v = body["closeConversations"]?.boolValue { hours.closeConversations = v }
        if case .array(let list) = body["holidays"] {
            hours.holidays = try list.map { try holiday($0, of: hours.id) }
        }
    }

    private func holiday(_ body: JSONValue, of workingHoursId: String) throws -> Holiday {
        let start = body["startDate"]?.stringValue ?? "", end = body["endDate"]?.stringValue ?? ""
        for (field, text) in [("startDate", start), ("endDate", end)] where Self.day(text) == nil {
            throw ContactCenterError.invalid([Violation(field: field, message: "must be a date as yyyy-MM-dd")])
        }
        guard start <= end else {
            throw ContactCenterError.invalid([Violation(field: "endDate", message: "must not be before startDate")])
        }
        return Holiday(
            id: Identifiers.uuid(), workingHoursId: workingHoursId, name: body["name"]?.stringValue ?? "",
            startDate: start, endDate: end, enabled: body["enabled"]?.boolValue ?? true)
    }

    /// A calendar date written `yyyy-MM-dd`, or nil.
    static func day(_ text: String) -> Date? {
        let parts = text.split(separator: "-")
        guard text.count == 10, parts.count == 3, parts.allSatisfy({ $0.allSatisfy(\.isASCII) }),
            let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2])
        else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = DateComponents(year: y, month: m, day: d)
        guard components.isValidDate(in: calendar) else { return nil }
        return calendar.date(from: components)
    }

    /// One set of working hours is the default: making one default clears the flag elsewhere.
    private func saveMakingDefaultUnique(_ hours: WorkingHours) async throws {
        if hours.isDefault {
            let (others, _) = try await store.list(
                WorkingHours.self,
                DocumentQuery(collection: .workingHours, filters: [.equalsBool("isDefault", true)]))
            for var other in others where other.id != hours.id {
                other.isDefault = false
                try await store.save(other)
            }
        }
        try await store.save(hours)
    }
}
