import Foundation

/// Infobip's timestamps (`2026-11-25T15:40:07.156+0000`) read and written by hand: every stored
/// record and REST body carries them, and `DateFormatter` (ICU, behind a lock) was a tenth of
/// the gateway's CPU while agents signed in. Anything this cannot read goes to the formatters.
enum InfobipDateCodec {
    /// `yyyy-MM-dd'T'HH:mm:ss` with optional fractional seconds (up to 9 digits) and `Z`,
    /// `±HHmm` or `±HH:mm`; nil for anything else (no trap on any input).
    static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { bytes -> Date? in
            guard bytes.count >= 20 else { return nil }
            func digits(_ start: Int, _ count: Int) -> Int? {
                guard start + count <= bytes.count else { return nil }
                var value = 0
                for index in start..<(start + count) {
                    let byte = bytes[index]
                    guard byte >= 0x30, byte <= 0x39 else { return nil }
                    value = value * 10 + Int(byte - 0x30)
                }
                return value
            }
            guard let year = digits(0, 4), bytes[4] == 0x2D, let month = digits(5, 2), bytes[7] == 0x2D,
                let day = digits(8, 2), bytes[10] == 0x54, let hour = digits(11, 2),
                bytes[13] == 0x3A, let minute = digits(14, 2), bytes[16] == 0x3A, let second = digits(17, 2),
                (1...12).contains(month), (1...daysIn(month, of: year)).contains(day), hour < 24, minute < 60,
                second < 60
            else { return nil }
            var index = 19
            var nanoseconds = 0
            if bytes[index] == 0x2E {
                index += 1
                var scale = 100_000_000
                let start = index
                while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                    guard index - start < 9 else { return nil }
                    nanoseconds += Int(bytes[index] - 0x30) * scale
                    scale /= 10
                    index += 1
                }
                guard index > start else { return nil }
            }
            guard index < bytes.count else { return nil }
            var offset = 0
            switch bytes[index] {
            case 0x5A:
                index += 1
            case 0x2B, 0x2D:
                let sign = bytes[index] == 0x2D ? -1 : 1
                guard let hours = digits(index + 1, 2), hours < 24 else { return nil }
                index += 3
                if index < bytes.count, bytes[index] == 0x3A { index += 1 }
                guard let minutes = digits(index, 2), minutes < 60 else { return nil }
                index += 2
                offset = sign * (hours * 3600 + minutes * 60)
            default:
                return nil
            }
            guard index == bytes.count else { return nil }
            let seconds =
                daysSince1970(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60
                + second - offset
            return Date(timeIntervalSince1970: Double(seconds) + Double(nanoseconds) / 1e9)
        }
    }

    /// `yyyy-MM-dd'T'HH:mm:ss.SSS+0000` in UTC, rounded to the nearest millisecond (as
    /// `DateFormatter` does); nil for years outside 1–9999.
    static func format(_ date: Date) -> String? {
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        guard milliseconds.isFinite, abs(milliseconds) < 3e14 else { return nil }
        let (seconds, millisecond) = floorDivision(Int(milliseconds), 1000)
        let (days, secondOfDay) = floorDivision(seconds, 86_400)
        let (year, month, day) = civil(fromDays: days)
        guard (1...9999).contains(year) else { return nil }
        var bytes = [UInt8](repeating: 0, count: 28)
        func put(_ value: Int, _ at: Int, _ width: Int) {
            var value = value
            for index in stride(from: at + width - 1, through: at, by: -1) {
                bytes[index] = UInt8(0x30 + value % 10)
                value /= 10
            }
        }
        put(year, 0, 4)
        bytes[4] = 0x2D
        put(month, 5, 2)
        bytes[7] = 0x2D
        put(day, 8, 2)
        bytes[10] = 0x54
        put(secondOfDay / 3600, 11, 2)
        bytes[13] = 0x3A
        put(secondOfDay / 60 % 60, 14, 2)
        bytes[16] = 0x3A
        put(secondOfDay % 60, 17, 2)
        bytes[19] = 0x2E
        put(millisecond, 20, 3)
        bytes.replaceSubrange(23..<28, with: Array("+0000".utf8))
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func floorDivision(_ value: Int, _ divisor: Int) -> (Int, Int) {
        let remainder = value % divisor
        return remainder < 0 ? (value / divisor - 1, remainder + divisor) : (value / divisor, remainder)
    }

    private static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    private static func daysIn(_ month: Int, of year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    private static func daysSince1970(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` after 1970-01-01 (civil_from_days, the inverse of the above).
    private static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
