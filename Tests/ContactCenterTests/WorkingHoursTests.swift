import ContactCenter
import Foundation
import Testing

@Suite struct WorkingHoursTests {
    /// Weekdays 09:00–17:00 in Zagreb (UTC+1 in winter), weekends closed.
    func office(enabled: Bool = true, holidays: [Holiday] = []) -> WorkingHours {
        var week: [Weekday: DailyWorkingHours] = [:]
        for day in Weekday.allCases {
            week[day] = DailyWorkingHours(
                startTime: 9 * 60, endTime: 17 * 60, enabled: day != .SATURDAY && day != .SUNDAY)
        }
        let t = Date(timeIntervalSince1970: 0)
        return WorkingHours(
            id: "wh", name: "Office", timezone: "Europe/Zagreb", message: "Closed", workWeek: week, enabled: enabled,
            isDefault: false, closeConversations: false, holidays: holidays, createdAt: t, updatedAt: t)
    }

    /// 2026-12-07 is a Monday.
    func utc(_ text: String) -> Date { ISO8601DateFormatter().date(from: text)! }

    @Test func openOnWeekdayHoursInItsOwnTimeZone() {
        let hours = office()
        #expect(hours.status(at: utc("2026-12-07T07:59:00Z")) == .OUTSIDE_OF_WORKING_HOURS, "08:59 in Zagreb")
        #expect(hours.status(at: utc("2026-12-07T08:00:00Z")) == .INSIDE_OF_WORKING_HOURS, "09:00 in Zagreb")
        #expect(hours.status(at: utc("2026-12-07T15:59:00Z")) == .INSIDE_OF_WORKING_HOURS, "16:59")
        #expect(hours.status(at: utc("2026-12-07T16:00:00Z")) == .OUTSIDE_OF_WORKING_HOURS, "17:00 closes")
        #expect(hours.status(at: utc("2026-12-06T10:00:00Z")) == .OUTSIDE_OF_WORKING_HOURS, "Sunday")
        // Summer time moves the hours: 09:00 in Zagreb is 07:00 UTC in July.
        #expect(hours.status(at: utc("2026-07-06T07:00:00Z")) == .INSIDE_OF_WORKING_HOURS)
    }

    @Test func holidaysCloseWholeDaysAndDisabledHoursCloseNothing() {
        let christmas = Holiday(
            id: "h", workingHoursId: "wh", name: "Christmas", startDate: "2026-12-24", endDate: "2026-12-26",
            enabled: true)
        let hours = office(holidays: [christmas])
        #expect(hours.status(at: utc("2026-12-24T10:00:00Z")) == .OUTSIDE_OF_WORKING_HOURS)
        #expect(hours.status(at: utc("2026-12-23T10:00:00Z")) == .INSIDE_OF_WORKING_HOURS)
        // 2026-12-26 23:30 in Zagreb is still the holiday; 2026-12-28 (Monday) is open again.
        #expect(hours.status(at: utc("2026-12-28T10:00:00Z")) == .INSIDE_OF_WORKING_HOURS)
        var off = christmas
        off.enabled = false
        #expect(office(holidays: [off]).status(at: utc("2026-12-24T10:00:00Z")) == .INSIDE_OF_WORKING_HOURS)
        #expect(office(enabled: false).status(at: utc("2026-12-06T03:00:00Z")) == .INSIDE_OF_WORKING_HOURS)
    }

    @Test func aWholeDayRunsToMidnight() {
        var hours = office()
        hours.workWeek[.MONDAY] = DailyWorkingHours(startTime: 0, endTime: 1440, enabled: true)
        #expect(hours.status(at: utc("2026-12-07T22:59:00Z")) == .INSIDE_OF_WORKING_HOURS, "23:59 Monday")
        #expect(hours.status(at: utc("2026-12-06T23:00:00Z")) == .INSIDE_OF_WORKING_HOURS, "00:00 Monday")
    }
}
