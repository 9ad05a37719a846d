import RoostCore

/// Hand-parsers for the two timestamp formats the module reads, to milliseconds since 1970 UTC.
///
/// Hand-written rather than `DateFormatter`: both formats are fixed-width, parsing them by byte is
/// exact (no locale, no lenient guessing) and far faster over a 500 MB file.
enum CivilTime {
    private static let months: [String] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    /// Weekday names with 1970-01-01 (a Thursday) at index 0.
    private static let weekdays: [String] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]

    static func days(year: Int, month: Int, day: Int) -> Int { CivilDate.days(year: year, month: month, day: day) }

    static func daysInMonth(year: Int, month: Int) -> Int { CivilDate.daysInMonth(year: year, month: month) }

    /// Epoch millis of a valid civil time, or nil when a part is out of range or the instant is before 1970.
    static func millis(
        year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, millis: Int, offsetSeconds: Int
    ) -> UInt64? {
        guard (1...9999).contains(year), (1...12).contains(month),
              (1...daysInMonth(year: year, month: month)).contains(day),
              (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second),
              (0...999).contains(millis)
        else { return nil }
        let seconds = days(year: year, month: month, day: day) * 86_400 + hour * 3_600 + minute * 60 + second - offsetSeconds
        guard seconds >= 0 else { return nil }
        return UInt64(seconds) * 1_000 + UInt64(millis)
    }

    /// Parses the TWCS form `Tue Oct 31 22:10:47 +0000 2017` exactly (the weekday must match the date).
    static func parseTWCS(_ text: String) -> UInt64? {
        let b = Array(text.utf8)
        guard b.count == 30, b[3] == space, b[7] == space, b[10] == space, b[13] == colon, b[16] == colon,
              b[19] == space, b[25] == space, b[20] == plus || b[20] == minus,
              let month = months.firstIndex(of: String(decoding: b[4..<7], as: UTF8.self)),
              let day = digits(b, 8, 2), let hour = digits(b, 11, 2), let minute = digits(b, 14, 2),
              let second = digits(b, 17, 2), let offH = digits(b, 21, 2), let offM = digits(b, 23, 2),
              let year = digits(b, 26, 4), offH <= 23, offM <= 59
        else { return nil }
        let offset = (b[20] == minus ? -1 : 1) * (offH * 3_600 + offM * 60)
        guard let result = millis(
            year: year, month: month + 1, day: day, hour: hour, minute: minute, second: second, millis: 0,
            offsetSeconds: offset)
        else { return nil }
        // The weekday names the local date, before the offset is applied.
        let localDays = days(year: year, month: month + 1, day: day)
        let weekday = weekdays[((localDays % 7) + 7) % 7]
        guard String(decoding: b[0..<3], as: UTF8.self) == weekday else { return nil }
        return result
    }

    /// Parses ISO 8601 as X writes it, `2017-10-31T22:10:47.000Z`; also accepts no or other fractional
    /// digits (milliseconds are the first three) and a `±HH:MM` offset.
    static func parseISO8601(_ text: String) -> UInt64? {
        let b = Array(text.utf8)
        guard b.count >= 20, b[4] == minus, b[7] == minus, b[10] == letterT || b[10] == letterLowerT,
              b[13] == colon, b[16] == colon,
              let year = digits(b, 0, 4), let month = digits(b, 5, 2), let day = digits(b, 8, 2),
              let hour = digits(b, 11, 2), let minute = digits(b, 14, 2), let second = digits(b, 17, 2)
        else { return nil }
        var i = 19
        var ms = 0
        if b[i] == dot {
            i += 1
            let start = i
            while i < b.count, let d = digit(b[i]) {
                if i - start < 3 { ms = ms * 10 + d }
                i += 1
            }
            let count = i - start
            guard count > 0 else { return nil }
            for _ in count..<max(count, 3) { ms *= 10 }
        }
        guard i < b.count else { return nil }
        var offset = 0
        if b[i] == letterZ || b[i] == letterLowerZ {
            i += 1
        } else if b[i] == plus || b[i] == minus {
            guard b.count == i + 6, b[i + 3] == colon, let h = digits(b, i + 1, 2), let m = digits(b, i + 4, 2),
                  h <= 23, m <= 59
            else { return nil }
            offset = (b[i] == minus ? -1 : 1) * (h * 3_600 + m * 60)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        return millis(
            year: year, month: month, day: day, hour: hour, minute: minute, second: second, millis: ms,
            offsetSeconds: offset)
    }

    private static let space = UInt8(ascii: " ")
    private static let colon = UInt8(ascii: ":")
    private static let plus = UInt8(ascii: "+")
    private static let minus = UInt8(ascii: "-")
    private static let dot = UInt8(ascii: ".")
    private static let letterT = UInt8(ascii: "T")
    private static let letterLowerT = UInt8(ascii: "t")
    private static let letterZ = UInt8(ascii: "Z")
    private static let letterLowerZ = UInt8(ascii: "z")

    private static func digit(_ byte: UInt8) -> Int? {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) ? Int(byte - UInt8(ascii: "0")) : nil
    }

    private static func digits(_ b: [UInt8], _ start: Int, _ count: Int) -> Int? {
        guard start + count <= b.count else { return nil }
        var value = 0
        for i in start..<start + count {
            guard let d = digit(b[i]) else { return nil }
            value = value * 10 + d
        }
        return value
    }
}
