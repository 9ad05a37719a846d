/// Business hours of a queue (issue 15): weekly opening intervals in a time zone, minus holidays. SLA clocks of a
/// queue whose policy counts business time advance only inside these intervals (SPEC.md §1b.13).
///
/// RoostCore does no I/O and has no time-zone database: a ``ZoneRules`` value gives a zone's UTC offset at an
/// instant (RoostNode supplies one from the system's tz data); everything else here is arithmetic, so every node
/// with the same rules and the same tz data computes the same due times.
public struct BusinessHours: Sendable, Hashable {
    /// Opening intervals per weekday, Monday first (index 0) to Sunday (6): minutes after local midnight,
    /// `start < end ≤ 1440`, sorted and not overlapping.
    public private(set) var weekly: [[Interval]]
    /// Local calendar days (days since 1970-01-01, ``CivilDate``) on which the queue is closed.
    public private(set) var holidays: Set<Int>
    /// The time zone the hours are read in.
    public let zone: ZoneRules

    /// An opening interval of a day: `[start, end)` in minutes after local midnight.
    public struct Interval: Sendable, Hashable, Comparable {
        /// First open minute.
        public var start: Int
        /// First closed minute after it (1440 = midnight at the day's end).
        public var end: Int
        /// Creates an interval.
        public init(start: Int, end: Int) { self.start = start; self.end = end }
        public static func < (a: Interval, b: Interval) -> Bool { (a.start, a.end) < (b.start, b.end) }
    }

    /// Why hours are refused.
    public enum Problem: Error, Equatable, Sendable, CustomStringConvertible {
        /// An interval outside 00:00…24:00 or not after its start.
        case badInterval(weekday: Int, Interval)
        /// Two intervals of one weekday overlap.
        case overlap(weekday: Int, Interval, Interval)
        /// No weekday has an open interval: a clock would never advance.
        case neverOpen

        public var description: String {
            switch self {
            case let .badInterval(day, interval):
                "\(BusinessHours.weekdayNames[day]) \(BusinessHours.clock(interval.start))-\(BusinessHours.clock(interval.end)) must end after it starts, within 00:00-24:00 (split overnight hours at midnight)"
            case let .overlap(day, a, b):
                "\(BusinessHours.weekdayNames[day]) \(BusinessHours.clock(a.start))-\(BusinessHours.clock(a.end)) overlaps \(BusinessHours.clock(b.start))-\(BusinessHours.clock(b.end))"
            case .neverOpen:
                "the hours open on no day, so a clock would never run"
            }
        }
    }

    /// Weekday names as hours are written, Monday first.
    public static let weekdayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    /// How many days a due time may lie ahead of its start before the search gives up (a queue open one day
    /// a year still finds it); beyond it the business time still owed is counted in calendar time from the end of
    /// the last day searched, so a longer target is never due before a shorter one.
    public static let maxSearchDays = 800

    /// Checks and creates hours.
    public init(weekly: [[Interval]], holidays: Set<Int> = [], zone: ZoneRules) throws(Problem) {
        precondition(weekly.count == 7, "seven weekdays")
        var sortedWeek: [[Interval]] = []
        for (day, intervals) in weekly.enumerated() {
            let sorted = intervals.sorted()
            for interval in sorted where !(0 <= interval.start && interval.start < interval.end && interval.end <= 1440) {
                throw .badInterval(weekday: day, interval)
            }
            for (a, b) in zip(sorted, sorted.dropFirst()) where b.start < a.end {
                throw .overlap(weekday: day, a, b)
            }
            sortedWeek.append(sorted)
        }
        guard sortedWeek.contains(where: { !$0.isEmpty }) else { throw .neverOpen }
        self.weekly = sortedWeek
        self.holidays = holidays
        self.zone = zone
    }

    /// The weekday of a local day number, Monday = 0 (1970-01-01 was a Thursday).
    public static func weekday(ofDay day: Int) -> Int { ((day + 3) % 7 + 7) % 7 }

    /// `HH:MM` of a minute of the day.
    public static func clock(_ minute: Int) -> String {
        let h = minute / 60, m = minute % 60
        return (h < 10 ? "0" : "") + String(h) + ":" + (m < 10 ? "0" : "") + String(m)
    }

    /// The UTC instant (Unix ms) of a local wall time given as seconds since 1970-01-01 00:00 local. A wall time
    /// a clock change skips (spring forward) is read with the offset before the change, so it moves forward by the
    /// gap (02:30 becomes 03:30); a wall time a clock change repeats (fall back) is its first occurrence.
    public func instant(localSeconds local: Int64) -> Int64 {
        let before = zone.offsetSeconds(atUTCSeconds: local - 86_400)
        let after = zone.offsetSeconds(atUTCSeconds: local + 86_400)
        let valid = [before, after].map { local - Int64($0) }.filter { zone.offsetSeconds(atUTCSeconds: $0) == Int(local - $0) }
        return (valid.min() ?? local - Int64(before)) * 1_000
    }

    /// The local day (days since 1970-01-01 in the zone) that contains the instant `millis`.
    public func localDay(ofMillis millis: Int64) -> Int {
        let seconds = floorDiv(millis, 1_000)
        let local = seconds + Int64(zone.offsetSeconds(atUTCSeconds: seconds))
        return Int(floorDiv(local, 86_400))
    }

    /// The open intervals of a local day as UTC instants (Unix ms), in order; none on a holiday.
    public func openIntervals(day: Int) -> [(start: Int64, end: Int64)] {
        guard !holidays.contains(day) else { return [] }
        return weekly[Self.weekday(ofDay: day)].map { interval in
            (instant(localSeconds: Int64(day) * 86_400 + Int64(interval.start) * 60),
             instant(localSeconds: Int64(day) * 86_400 + Int64(interval.end) * 60))
        }
    }

    /// The instant at which `amountMillis` of business time has passed since `start` (Unix ms): the clock runs only
    /// inside open intervals. A start outside business hours waits for the next opening; an amount that ends exactly
    /// at a closing time is due at that closing time.
    public func adding(_ amountMillis: Int64, to start: Int64) -> Int64 {
        guard amountMillis > 0 else { return start }
        var remaining = amountMillis
        let firstDay = localDay(ofMillis: start)
        for day in firstDay..<(firstDay + Self.maxSearchDays) {
            for (open, close) in openIntervals(day: day) where close > start {
                let from = max(open, start)
                guard close > from else { continue }
                if close - from >= remaining { return from + remaining }
                remaining -= close - from
            }
        }
        // Past the window: what is still owed runs in calendar time from the local midnight that ends it (never
        // `start + amount`, which lands before the due times of shorter targets found inside the window).
        let windowEnd = max(start, instant(localSeconds: Int64(firstDay + Self.maxSearchDays) * 86_400))
        return windowEnd + remaining
    }

    /// Business time (ms) inside `[from, to)`.
    public func elapsed(from: Int64, to: Int64) -> Int64 {
        guard to > from else { return 0 }
        var total: Int64 = 0
        let lastDay = localDay(ofMillis: to)
        var day = localDay(ofMillis: from)
        while day <= lastDay {
            for (open, close) in openIntervals(day: day) {
                let a = max(open, from), b = min(close, to)
                if b > a { total += b - a }
            }
            day += 1
        }
        return total
    }

    private func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

    public static func == (a: BusinessHours, b: BusinessHours) -> Bool {
        a.weekly == b.weekly && a.holidays == b.holidays && a.zone == b.zone
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(weekly); hasher.combine(holidays); hasher.combine(zone)
    }
}

/// A time zone's offsets from UTC, as a pure value: its name and a function from an instant to the offset there.
/// Two values are equal when their names are.
public struct ZoneRules: Sendable, Hashable {
    /// The IANA name (`Europe/Madrid`), or a fixed-offset name such as `UTC+02:00`.
    public let identifier: String
    private let offset: @Sendable (Int64) -> Int

    /// A zone whose offset at a Unix second is `offset(second)` seconds east of UTC.
    public init(identifier: String, offset: @escaping @Sendable (Int64) -> Int) {
        self.identifier = identifier
        self.offset = offset
    }

    /// A zone without clock changes.
    public static func fixed(seconds: Int, identifier: String = "UTC") -> ZoneRules {
        ZoneRules(identifier: identifier) { _ in seconds }
    }

    /// Seconds east of UTC at a Unix second.
    public func offsetSeconds(atUTCSeconds second: Int64) -> Int { offset(second) }

    public static func == (a: ZoneRules, b: ZoneRules) -> Bool { a.identifier == b.identifier }
    public func hash(into hasher: inout Hasher) { hasher.combine(identifier) }
}
