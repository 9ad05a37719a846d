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
