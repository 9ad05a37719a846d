import Foundation
public import RoostCore

/// A team's desk policy (issue 15, SPEC.md §1b.13): per queue, business hours (time zone, weekly hours,
/// holidays), SLA targets for the first response, next replies and resolution, when warnings start, and routing;
/// team-wide defaults. A lead writes it with `roost policy apply FILE`; it replicates as the text of the register
/// `team/settings` `policy`, so every node reads the same policy.
///
/// ```toml
/// [defaults]
/// capacity = 10                    # open tickets routing pushes to an agent who set none
/// warn_percent = 80                # clocks warn at 80% of their target
///
/// [[queue]]
/// name = "billing"
/// time_zone = "Europe/Madrid"
/// hours = ["mon-fri 09:00-13:00 14:00-18:00", "sat 10:00-14:00"]
/// holidays = ["2026-12-25", "2027-01-01"]
/// business_time = true             # SLA clocks run only in the hours above
/// first_response_minutes = 60      # else the team's target for the ticket's priority
/// next_reply_minutes = 120         # each customer message after a reply; else the first-response target
/// resolution_minutes = 2880        # from the first customer message; else no resolution clock
/// routing = "least-loaded"         # or "round-robin", "off" (roost routing)
/// routing_timeout_seconds = 120
/// ```
public struct DeskPolicy: Sendable, Equatable {
    /// Each queue's policy, by name, in file order.
    public var queues: [QueuePolicy]
    /// Open tickets routing pushes to an agent who set no capacity (``RoutingRules/defaultCapacity`` when unset).
    public var defaultCapacity: Int?
    /// The warning share for queues that do not set one.
    public var warnPercent: Int

    /// One queue's part of the policy.
    public struct QueuePolicy: Sendable, Equatable {
        /// The queue (`default` for tickets without one).
        public var name: String
        /// Its service levels and hours.
        public var sla: QueueSLA
        /// Push routing: a mode, `nil` for off; absent (`routingSet` false) leaves routing as it is.
        public var routing: RoutingMode?
        /// Whether the file says `routing` at all.
        public var routingSet: Bool
        /// Seconds a pushed agent has to claim.
        public var routingTimeoutSeconds: Int?
        /// The line of the queue's `name`.
        public var line: Int
    }

    /// No policy: priority targets around the clock.
    public static let empty = DeskPolicy(queues: [], defaultCapacity: nil, warnPercent: SLAClock.defaultWarnPercent)

    /// The SLA side, as the store's queries take it.
    public var queueSLAs: [String: QueueSLA] {
        Dictionary(queues.map { ($0.name, $0.sla) }) { a, _ in a }
    }

    /// Largest policy text: it replicates as one string register.
    public static let maxBytes = Limits.maxStringBytes

    static let topKeys = ["defaults", "queue"]
    static let defaultKeys = ["capacity", "warn_percent"]
    static let queueKeys = ["name", "time_zone", "hours", "holidays", "business_time", "first_response_minutes",
                            "next_reply_minutes", "resolution_minutes", "warn_percent", "routing", "routing_timeout_seconds"]

    /// Parses policy text.
    public static func parse(_ text: String, file: String) throws(RulesError) -> DeskPolicy {
        guard text.utf8.count <= maxBytes else {
            throw RulesError(file: file, line: 1, reason: "a policy holds at most \(maxBytes) bytes")
        }
        let table: RulesTOML.Table
        do {
            table = try RulesTOML.parse(text)
        } catch {
            throw RulesError(file: file, line: error.line, reason: error.reason)
        }
        let top = FieldReader(table: table, file: file)
        try top.onlyKeys(topKeys)
        var policy = DeskPolicy.empty
        if let value = table["defaults"] {
            guard let defaults = value.table else { throw RulesError(file: file, line: value.line, reason: "use a [defaults] section") }
            let reader = FieldReader(table: defaults, file: file)
            try reader.onlyKeys(defaultKeys)
            if let capacity = try reader.int("capacity") {
                guard (1...RoutingRules.maxCapacity).contains(capacity) else {
                    throw reader.fail("capacity", "capacity must be 1 to \(RoutingRules.maxCapacity) open tickets (got \(capacity))")
                }
                policy.defaultCapacity = capacity
            }
            policy.warnPercent = try warnPercent(reader) ?? policy.warnPercent
        }
        if let value = table["queue"] {
            guard case let .tables(queueTables) = value.kind else {
                throw RulesError(file: file, line: value.line, reason: "use [[queue]] for each queue")
            }
            for queueTable in queueTables {
                let queue = try parseQueue(queueTable, file: file, warnPercent: policy.warnPercent)
                if let twin = policy.queues.first(where: { $0.name == queue.name }) {
                    throw RulesError(file: file, line: queue.line, reason: "queue \"\(queue.name)\" is already described (line \(twin.line))")
                }
                policy.queues.append(queue)
            }
        }
        return policy
    }

    /// Checks that every queue the policy names exists: declared, used by a ticket or a triage rule, or `default`.
    public func checkQueues(known: Set<String>, file: String) throws(RulesError) {
        for queue in queues where queue.name != RoutingRules.defaultQueue && !known.contains(queue.name) {
            let names = known.union([RoutingRules.defaultQueue]).sorted().joined(separator: ", ")
            throw RulesError(file: file, line: queue.line, reason: "unknown queue \"\(queue.name)\" (known: \(names))")
        }
    }

    private static func warnPercent(_ reader: FieldReader) throws(RulesError) -> Int? {
        guard let percent = try reader.int("warn_percent") else { return nil }
        guard SLAClock.warnPercentRange.contains(percent) else {
            throw reader.fail("warn_percent", "warn_percent must be \(SLAClock.warnPercentRange.lowerBound) to \(SLAClock.warnPercentRange.upperBound) (got \(percent))")
        }
        return percent
    }

    static func parseQueue(_ table: RulesTOML.Table, file: String, warnPercent defaultWarn: Int) throws(RulesError) -> QueuePolicy {
        let reader = FieldReader(table: table, file: file)
        try reader.onlyKeys(queueKeys)
        guard let name = try reader.string("name"), !name.isEmpty, name.count <= 64,
              !name.contains(where: { $0.isWhitespace || $0 == "." }) else {
            throw reader.fail("name", "a queue needs a name of 1 to 64 characters, no spaces or dots")
        }
        func minutes(_ key: String) throws(RulesError) -> Int? {
            guard let value = try reader.int(key) else { return nil }
            guard (1...SLAClock.maxTargetMinutes).contains(value) else {
                throw reader.fail(key, "\(key) must be 1 to \(SLAClock.maxTargetMinutes) (got \(value))")
            }
            return value
        }
        var sla = QueueSLA(firstResponseMinutes: try minutes("first_response_minutes"), nextReplyMinutes: try minutes("next_reply_minutes"),
                           resolutionMinutes: try minutes("resolution_minutes"), warnPercent: try warnPercent(reader) ?? defaultWarn)
        let hourLines = table["hours"]?.array ?? (table["hours"].map { [$0] } ?? [])
        if table["hours"] != nil {
            guard let zoneName = try reader.string("time_zone") else { throw reader.fail("hours", "hours need a time_zone") }
            let zone = try Self.zone(zoneName, reader)
            var weekly = [[BusinessHours.Interval]](repeating: [], count: 7)
            var lineOf: [[Int]] = [[Int]](repeating: [], count: 7)
            for element in hourLines {
                guard let text = element.string else { throw reader.fail("hours", "hours must be strings like \"mon-fri 09:00-17:00\"") }
                let (days, intervals) = try Self.hoursLine(text, line: element.line, file: file)
                for day in days {
                    weekly[day] += intervals
                    lineOf[day] += intervals.map { _ in element.line }
                }
            }
            var holidays: Set<Int> = []
            for date in try reader.strings("holidays") {
                guard let start = CivilDate.dayStartMillis(date) else {
                    throw reader.fail("holidays", "holiday \"\(date)\" is not a date YYYY-MM-DD")
                }
                holidays.insert(Int(start / 86_400_000))
            }
            do {
                sla.hours = try BusinessHours(weekly: weekly, holidays: holidays, zone: zone)
            } catch {
                // Name the line of the later of the two intervals that clash.
                var line = reader.line("hours")
                if case let .overlap(day, _, b) = error, let index = weekly[day].firstIndex(of: b) { line = lineOf[day][index] }
                if case let .badInterval(day, interval) = error, let index = weekly[day].firstIndex(of: interval) { line = lineOf[day][index] }
                throw RulesError(file: file, line: line, reason: "queue \"\(name)\": \(error)")
            }
        } else if table["time_zone"] != nil || table["holidays"] != nil {
            throw reader.fail(table["time_zone"] != nil ? "time_zone" : "holidays", "time_zone and holidays need hours")
        }
        if let business = try reader.bool("business_time") {
            guard !business || sla.hours != nil else { throw reader.fail("business_time", "business_time needs hours") }
            sla.businessTime = business
        }
        var routing: RoutingMode?
        var routingSet = false
        if let text = try reader.string("routing") {
            routingSet = true
            if text != "off" {
                guard let mode = RoutingMode(rawValue: text) else {
                    throw reader.fail("routing", "routing \"\(text)\" is not one of: off, \(RoutingMode.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                routing = mode
            }
        }
        var timeout: Int?
        if let seconds = try reader.int("routing_timeout_seconds") {
            let range = RoutingRules.timeoutRangeMillis
            guard range.contains(UInt64(seconds) * 1_000) else {
                throw reader.fail("routing_timeout_seconds", "routing_timeout_seconds must be \(range.lowerBound / 1_000) to \(range.upperBound / 1_000)")
            }
            timeout = seconds
        }
        return QueuePolicy(name: name, sla: sla, routing: routing, routingSet: routingSet, routingTimeoutSeconds: timeout, line: reader.line("name"))
    }

    /// A time zone by IANA name, from the system's tz data (ICU's copy when the system has none).
    static func zone(_ name: String, _ reader: FieldReader) throws(RulesError) -> ZoneRules {
        guard let zone = TimeZone(identifier: name) else {
            throw reader.fail("time_zone", "unknown time zone \"\(name)\" (use an IANA name such as Europe/Madrid or UTC)")
        }
        return ZoneRules(identifier: zone.identifier) { second in
            zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(second)))
        }
    }

    /// `"mon-fri 09:00-13:00 14:00-18:00"`: weekdays (a day, a range, or a comma list) and one or more intervals.
    static func hoursLine(_ text: String, line: Int, file: String) throws(RulesError) -> ([Int], [BusinessHours.Interval]) {
        func fail(_ reason: String) -> RulesError { RulesError(file: file, line: line, reason: "hours \"\(text)\": \(reason)") }
        let words = text.lowercased().split(separator: " ", omittingEmptySubsequences: true)
        guard words.count >= 2 else { throw fail("write the days, then one or more intervals, as \"mon-fri 09:00-17:00\"") }
        var days: [Int] = []
        for part in words[0].split(separator: ",") {
            let ends = part.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(ends.count),
                  let first = BusinessHours.weekdayNames.firstIndex(of: String(ends[0])),
                  let last = BusinessHours.weekdayNames.firstIndex(of: String(ends[ends.count - 1])), first <= last else {
                throw fail("\"\(part)\" is not a day or a range of days (mon, tue, wed, thu, fri, sat, sun; mon-fri)")
            }
            days += Array(first...last)
        }
        var intervals: [BusinessHours.Interval] = []
        for word in words.dropFirst() {
            let ends = word.split(separator: "-", omittingEmptySubsequences: false)
            guard ends.count == 2, let start = minute(ends[0]), let end = minute(ends[1]) else {
                throw fail("\"\(word)\" is not an interval HH:MM-HH:MM")
            }
            guard start < end else { throw fail("\(word) must end after it starts (split overnight hours at midnight: 22:00-24:00, then 00:00-06:00)") }
            intervals.append(BusinessHours.Interval(start: start, end: end))
        }
        return (days, intervals)
    }

    /// `HH:MM` (00:00 to 24:00) as minutes after midnight.
    static func minute(_ text: Substring) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let h = Int(parts[0]), let m = Int(parts[1]),
              (0...24).contains(h), (0...59).contains(m), h * 60 + m <= 1440 else { return nil }
        return h * 60 + m
    }
}
