import Foundation

/// Infobip's `WorkingHoursStatus`.
public enum WorkingHoursStatus: String, Codable, Sendable, CaseIterable {
    case INSIDE_OF_WORKING_HOURS, OUTSIDE_OF_WORKING_HOURS
}

/// The days of `workWeek` (its keys in JSON).
public enum Weekday: String, Codable, CodingKeyRepresentable, Sendable, CaseIterable {
    case MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY

    /// The day of `Calendar`'s `weekday` component (1 is Sunday).
    init(calendarWeekday: Int) {
        self = [.SUNDAY, .MONDAY, .TUESDAY, .WEDNESDAY, .THURSDAY, .FRIDAY, .SATURDAY][(calendarWeekday - 1) % 7]
    }
}

/// One day of a working week: open from `startTime` to `endTime`, in minutes after midnight.
public struct DailyWorkingHours: Codable, Sendable, Equatable {
    public var startTime: Int
    public var endTime: Int
    public var enabled: Bool

    public init(startTime: Int, endTime: Int, enabled: Bool) {
        self.startTime = startTime
        self.endTime = endTime
        self.enabled = enabled
    }
}

/// A day range (inclusive, `yyyy-MM-dd` in the working hours' time zone) when the center is
/// closed.
public struct Holiday: Codable, Sendable, Equatable {
    public var id: String
    public var workingHoursId: String
    public var name: String
    public var startDate: String
    public var endDate: String
    public var enabled: Bool

    public init(id: String, workingHoursId: String, name: String, startDate: String, endDate: String, enabled: Bool) {
        self.id = id
        self.workingHoursId = workingHoursId
        self.name = name
        self.startDate = startDate
        self.endDate = endDate
        self.enabled = enabled
    }
}

/// Infobip's working hours: a week in a time zone, with holidays. Queues name them by
/// `workingHoursId`; outside them a queue's calls are not taken.
public struct WorkingHours: Persistable, Equatable {
    public static let collection = DocumentCollection.workingHours
    public var id: String
    public var name: String
    /// IANA time zone name, e.g. `Europe/Zagreb`.
    public var timezone: String
    /// What customers are told outside the working hours.
    public var message: String
    public var workWeek: [Weekday: DailyWorkingHours]
    /// Disabled working hours never close anything.
    public var enabled: Bool
    public var isDefault: Bool
    public var closeConversations: Bool
    public var holidays: [Holiday]
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: String, name: String, timezone: String, message: String, workWeek: [Weekday: DailyWorkingHours],
        enabled: Bool, isDefault: Bool, closeConversations: Bool, holidays: [Holiday], createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.name = name
        self.timezone = timezone
        self.message = message
        self.workWeek = workWeek
        self.enabled = enabled
        self.isDefault = isDefault
        self.closeConversations = closeConversations
        self.holidays = holidays
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Whether `date` falls inside: enabled, not on an enabled holiday, and within that day's
    /// enabled hours (`startTime` inclusive, `endTime` exclusive; 1440 is midnight).
    public func status(at date: Date) -> WorkingHoursStatus {
        guard enabled, let zone = TimeZone(identifier: timezone) else { return .INSIDE_OF_WORKING_HOURS }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: date)
        let day = String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
        if holidays.contains(where: { $0.enabled && $0.startDate <= day && day <= $0.endDate }) {
            return .OUTSIDE_OF_WORKING_HOURS
        }
        guard let hours = workWeek[Weekday(calendarWeekday: parts.weekday ?? 1)], hours.enabled else {
            return .OUTSIDE_OF_WORKING_HOURS
        }
        let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        return hours.startTime <= minute && minute < hours.endTime
            ? .INSIDE_OF_WORKING_HOURS : .OUTSIDE_OF_WORKING_HOURS
    }
}
