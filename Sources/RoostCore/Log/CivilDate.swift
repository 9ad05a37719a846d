/// Proleptic Gregorian calendar days in UTC: the one place Roost turns a civil date into days since 1970.
public enum CivilDate {
    /// Days from 1970-01-01 to the given date (H. Hinnant's `days_from_civil`); negative before 1970.
    public static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// The date `days` after 1970-01-01 as (year, month, day): the inverse of ``days(year:month:day:)``
    /// (H. Hinnant's `civil_from_days`).
    public static func civil(fromDays z0: Int64) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (Int(yoe + era * 400 + (m <= 2 ? 1 : 0)), Int(m), Int(d))
    }

    /// Unix milliseconds as ISO 8601 UTC with milliseconds, `2026-01-01T00:30:10.000Z` (years 1970...9999).
    public static func iso8601(millis: UInt64) -> String {
        let days = Int64(millis / 86_400_000), rest = millis % 86_400_000
        let (year, month, day) = civil(fromDays: days)
        func pad(_ value: some BinaryInteger, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(rest / 3_600_000, 2)):\(pad(rest / 60_000 % 60, 2)):"
            + "\(pad(rest / 1000 % 60, 2)).\(pad(rest % 1000, 3))Z"
    }

    /// Days in a month of a year.
    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Midnight UTC of `YYYY-MM-DD` (1970...9999, a day the month has), in Unix ms; nil for anything else.
    public static func dayStartMillis(_ text: String) -> UInt64? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2]),
              (1970...9999).contains(year), (1...12).contains(month), (1...daysInMonth(year: year, month: month)).contains(day)
        else { return nil }
        return UInt64(days(year: year, month: month, day: day)) * 86_400_000
    }

    /// `YYYY-MM-DDTHH:MM` (UTC) in Unix ms; nil for anything else.
    public static func minuteMillis(_ text: String) -> UInt64? {
        let parts = text.split(separator: "T", omittingEmptySubsequences: false)
        guard parts.count == 2, let day = dayStartMillis(String(parts[0])) else { return nil }
        let clock = parts[1].split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 2, clock.allSatisfy({ $0.count == 2 }), let hour = UInt64(clock[0]), let minute = UInt64(clock[1]),
              hour < 24, minute < 60 else { return nil }
        return day + (hour * 60 + minute) * 60_000
    }
}
