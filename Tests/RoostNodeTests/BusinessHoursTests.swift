import Foundation
import Testing
import RoostCore
import RoostNode
import RoostStore

/// Business hours and SLA clocks (issue 15, SPEC.md §1b.13), checked against Protocol/vectors/business-hours.json:
/// cases computed by hand (weekend, holiday, clock changes in both hemispheres) and checked with Python's zoneinfo.
@Suite struct BusinessHoursTests {
    struct File: Decodable {
        var due: [DueCase]
        var instant: [InstantCase]
        var past_window: [PastWindowCase]
    }
    struct PastWindowCase: Decodable {
        var name: String, zone: String, hours: [String], holidays: [String], start: String, minutes: Int
        var window_end: String, open_minutes: Int, due: String
    }
    struct DueCase: Decodable {
        var name: String, zone: String, hours: [String], holidays: [String], start: String, minutes: Int, due: String
    }
    struct InstantCase: Decodable { var zone: String, local: String, utc: String }

    static let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Protocol/vectors/business-hours.json")

    static func millis(_ iso: String) throws -> Int64 {
        let formatter = ISO8601DateFormatter()
        return Int64(try #require(formatter.date(from: iso)).timeIntervalSince1970 * 1_000)
    }

    /// The hours a one-queue policy reads as.
    static func hours(zone: String, hours: [String], holidays: [String] = []) throws -> BusinessHours {
        let quoted = { (list: [String]) in "[" + list.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
        let text = """
            [[queue]]
            name = "default"
            time_zone = "\(zone)"
            hours = \(quoted(hours))
            holidays = \(quoted(holidays))
            business_time = true
            """
        return try #require(try DeskPolicy.parse(text, file: "test").queues.first?.sla.hours)
    }

    @Test func dueTimesMatchTheHandComputedVectorsBothWays() throws {
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: Self.url))
        #expect(file.due.count >= 10)
        for c in file.due {
            let hours = try Self.hours(zone: c.zone, hours: c.hours, holidays: c.holidays)
            let start = try Self.millis(c.start), due = try Self.millis(c.due)
            #expect(hours.adding(Int64(c.minutes) * 60_000, to: start) == due, "\(c.name)")
            // And back: the business time from start to due is the target, and not a minute is counted before.
            #expect(hours.elapsed(from: start, to: due) == Int64(c.minutes) * 60_000, "\(c.name)")
            #expect(hours.elapsed(from: start, to: due - 60_000) < Int64(c.minutes) * 60_000, "\(c.name)")
        }
    }

    /// Fuzz/regressions/text/policy-fallback-before-warning: a queue open 80 minutes a week (New York, Sundays
    /// 02:10-03:30, the spring-forward Sunday a holiday) and a 7-day target. The target does not fit in the
    /// 800-day search; the old fallback (`start + 7 days`) put it before its own 80% warning, which the walk found
    /// ~2 years out. What is owed past the window now runs from the window's end (SPEC.md §1b.13).
    @Test func aTargetPastTheSearchWindowIsNeverDueBeforeItsWarning() throws {
        let text = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fuzz/regressions/text/policy-fallback-before-warning"),
                              encoding: .isoLatin1).dropFirst()  // the fuzzer's selector byte
        let sla = try #require(try DeskPolicy.parse(String(text), file: "desk.toml").queues.first?.sla)
        let hours = try #require(sla.hours)
        let start: Int64 = 1_768_453_045_000
        let week = 10_080
        let due = sla.due(from: start, minutes: week), warn = sla.warnAt(from: start, minutes: week)
        #expect(start < warn && warn <= due, "warn \(warn), due \(due)")
        #expect(sla.due(from: start, minutes: 1) <= warn)
        // Independently: the window's open time, then the rest in calendar time from its end.
        let windowEnd = hours.instant(localSeconds: Int64(hours.localDay(ofMillis: start) + BusinessHours.maxSearchDays) * 86_400)
        let owed = Int64(week) * 60_000 - hours.elapsed(from: start, to: windowEnd)
        #expect(owed > 0)
        #expect(due == windowEnd + owed)
        // Longer targets are due no earlier, across the window's edge.
        var last = start
        for minutes in stride(from: 7_000, through: 12_000, by: 250) {
            let next = sla.due(from: start, minutes: minutes)
            #expect(next >= last, "\(minutes) min")
            last = next
        }
    }

    /// A target past the 800-day search (vectors `past_window`), both ways: the due time from the start, and back:
    /// the window's open time is `open_minutes` and the rest runs in calendar time from the window's end.
    @Test func targetsPastTheSearchWindowMatchTheVectorsBothWays() throws {
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: Self.url))
        #expect(!file.past_window.isEmpty)
        for c in file.past_window {
            let hours = try Self.hours(zone: c.zone, hours: c.hours, holidays: c.holidays)
            let start = try Self.millis(c.start), end = try Self.millis(c.window_end), due = try Self.millis(c.due)
            #expect(hours.adding(Int64(c.minutes) * 60_000, to: start) == due, "\(c.name)")
            #expect(end == hours.instant(localSeconds: Int64(hours.localDay(ofMillis: start) + BusinessHours.maxSearchDays) * 86_400))
            #expect(hours.elapsed(from: start, to: end) == Int64(c.open_minutes) * 60_000, "\(c.name)")
            #expect(due - end == Int64(c.minutes - c.open_minutes) * 60_000, "\(c.name)")
        }
    }

    @Test func wallTimesOnClockChangeDaysMatchTheVectors() throws {
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: Self.url))
        for c in file.instant {
            let hours = try Self.hours(zone: c.zone, hours: ["mon-sun 00:00-24:00"])
            let local = try Self.millis(c.local + ":00Z") / 1_000
            #expect(hours.instant(localSeconds: local) == (try Self.millis(c.utc)), "\(c.zone) \(c.local)")
        }
    }

    @Test func aDayWithAClockChangeHasItsRealLength() throws {
        let hours = try Self.hours(zone: "America/New_York", hours: ["mon-sun 00:00-24:00"])
        let spring = try Self.millis("2026-03-08T05:00:00Z"), fall = try Self.millis("2026-11-01T04:00:00Z")
        #expect(hours.openIntervals(day: hours.localDay(ofMillis: spring)).map { $0.end - $0.start } == [23 * 3_600_000])
        #expect(hours.openIntervals(day: hours.localDay(ofMillis: fall)).map { $0.end - $0.start } == [25 * 3_600_000])
    }

    @Test func badPoliciesGetOneErrorNamingTheLine() throws {
        func problem(_ text: String) -> RulesError? {
            do { _ = try DeskPolicy.parse(text, file: "desk.toml"); return nil } catch { return error }
        }
        let overlap = problem("""
            [[queue]]
            name = "billing"
            time_zone = "Europe/Madrid"
            hours = [
              "mon-fri 09:00-18:00",
              "fri 17:00-20:00",
            ]
            """)
        #expect(overlap?.line == 6)
        #expect(overlap?.description == "desk.toml:6: queue \"billing\": fri 09:00-18:00 overlaps 17:00-20:00")
        #expect(problem("[defaults]\ncapacity = 0\n")?.description == "desk.toml:2: capacity must be 1 to 1000 open tickets (got 0)")
        #expect(problem("[[queue]]\nname = \"a\"\nhours = [\"mon 09:00-17:00\"]\ntime_zone = \"Mars/Olympus\"\n")?.line == 4)
        #expect(problem("[[queue]]\nname = \"a\"\ntime_zone = \"UTC\"\nhours = [\"mon 18:00-09:00\"]\n")?.line == 4)
        #expect(problem("[[queue]]\nname = \"a\"\ntime_zone = \"UTC\"\nhours = [\"mon-sun 09:00-17:00\"]\nholidays = [\"2026-02-30\"]\n")?.line == 5)
        #expect(problem("[[queue]]\nname = \"a\"\nbusiness_time = true\n")?.description == "desk.toml:3: business_time needs hours")
        #expect(problem("[[queue]]\nname = \"a\"\nwarn_percent = 100\n")?.line == 3)
        #expect(problem("[[queue]]\nname = \"a\"\n\n[[queue]]\nname = \"a\"\n")?.description == "desk.toml:5: queue \"a\" is already described (line 2)")
        #expect(problem("[[queue]]\nname = \"a\"\nfirst_response = 30\n")?.line == 3)
        #expect(problem("[[queue]]\nname = \"a\"\nrouting = \"fastest\"\n")?.line == 3)
        // The example shipped with the repository reads.
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("examples/policy.toml").path
        #expect(problem(try String(contentsOfFile: example, encoding: .utf8)) == nil)
    }
}

/// The desk with a policy: clocks in business time, next-reply clocks, warnings, on every node alike.
@Suite(.serialized) struct DeskPolicyTests {
    /// Madrid office hours for tickets without a queue: a 60-minute first response, a 30-minute next reply.
    static let policy = """
        [defaults]
        capacity = 3

        [[queue]]
        name = "default"
        time_zone = "Europe/Madrid"
        hours = ["mon-fri 09:00-18:00"]
        business_time = true
        first_response_minutes = 60
        next_reply_minutes = 30
        warn_percent = 50
        """

    @Test func unknownQueuesAreRefusedWithTheirLine() throws {
        let ana = try TestNode()
        defer { ana.cleanup() }
        let refusal = #expect(throws: DeskError.rules(RulesError(file: "desk.toml", line: 2, reason: "unknown queue \"biling\" (known: default)"))) {
            try ana.desk(at: t0).applyPolicy(text: "[[queue]]\nname = \"biling\"\n", file: "desk.toml", rules: .empty)
        }
        #expect(refusal?.description == "desk.toml:2: unknown queue \"biling\" (known: default)")
        #expect(try ana.desk(at: t0).policyText() == nil)
        // A queue a triage rule sends tickets to is known.
        let rules = try TriageRules.parse("[[rule]]\nname = \"b\"\nkeywords = [\"refund\"]\nqueue = \"billing\"\n", file: "rules.toml")
        try ana.desk(at: t0).applyPolicy(text: "[[queue]]\nname = \"billing\"\n", file: "desk.toml", rules: rules)
        #expect(try ana.desk(at: t0).deskPolicy().queues.map(\.name) == ["billing"])
    }

    @Test func clocksCountBusinessTimeWarnAndTrackTheNextReplyOnEveryNode() throws {
        let ana = try TestNode(), kenji = try TestNode(name: "Kenji Sato", initials: "KS")
        defer { ana.cleanup(); kenji.cleanup() }
        let friday = try BusinessHoursTests.millis("2026-01-09T16:30:00Z")           // Fri 17:30 in Madrid
        let monday = try BusinessHoursTests.millis("2026-01-12T08:00:00Z")           // Mon 09:00 in Madrid
        var report = IngestReport()
        try ana.desk(at: UInt64(friday)).ingest([inbound("m1", ticket: "p1", at: UInt64(friday))], rules: .empty, report: &report)
        try ana.desk(at: UInt64(friday)).applyPolicy(text: Self.policy, file: "desk.toml", rules: .empty)
        try kenji.pull(from: ana, at: UInt64(friday) + 30 * 86_400_000)
        for node in [ana, kenji] {
            // Due Monday 09:30: 30 business minutes on Friday, 30 on Monday.
            let saturday = node.desk(at: UInt64(friday) + 20 * 60 * minute)
            let row = try #require(try saturday.inbox(InboxFilter()).first)
            #expect(row.dueMillis == UInt64(monday) + 30 * minute)
            // Warning at 50% (Fri 18:00 closes with 30 minutes gone), not breaching over the weekend.
            #expect(row.slaWarning == true && row.breaching == false)
            var breaching = InboxFilter(); breaching.breaching = true
            #expect(try saturday.inboxCount(breaching) == 0)
            #expect(try node.node.store.desk.slaWarningCount(sla: saturday.slaTargets(), now: UInt64(friday) + 20 * 60 * minute) == 1)
            // Monday 09:31: overdue, in the inbox, its count and the web's queue counts.
            let late = node.desk(at: UInt64(monday) + 31 * minute)
            #expect(try late.inbox(breaching).map(\.key) == ["p1"])
            #expect(try late.inboxCount(breaching) == 1)
            #expect(try node.node.store.desk.deskQueueCounts(holder: node.node.id, sla: late.slaTargets(), now: UInt64(monday) + 31 * minute, cap: 99).breaching == 1)
            // Routing's default capacity comes from the policy.
            #expect(try late.routingAgents().allSatisfy { $0.capacity == 3 })
        }
        // Answered on Monday 09:10; the customer writes again at 17:50: the next reply is due Tuesday 09:20 (30 business
        // minutes: 10 on Monday, 20 on Tuesday), warns from Tuesday 09:05 (15 of them), and breaches from 09:20.
        let answer = UInt64(monday) + 10 * minute
        _ = try ana.desk(at: answer).reply("p1", text: "Sorry, looking into it")
        let again = UInt64(monday) + (8 * 60 + 50) * minute
        try ana.desk(at: again).ingest([inbound("m2", ticket: "p1", at: again, text: "still down")], rules: .empty, report: &report)
        try kenji.pull(from: ana, at: UInt64(friday) + 30 * 86_400_000)
        let tuesday = UInt64(monday) + 24 * 60 * minute
        for node in [ana, kenji] {
            let evening = try #require(try node.desk(at: again + 20 * minute).inbox(InboxFilter()).first)
            #expect(evening.awaitingSinceMillis == again)
            #expect(evening.nextReplyDueMillis == tuesday + 20 * minute)
            #expect(evening.slaWarning == nil && evening.breaching == false)
            let morning = try #require(try node.desk(at: tuesday + 6 * minute).inbox(InboxFilter()).first)
            #expect(morning.slaWarning == true && morning.breaching == false)
            let late = node.desk(at: tuesday + 21 * minute)
            var breaching = InboxFilter(); breaching.breaching = true
            #expect(try late.inbox(breaching).map(\.key) == ["p1"])
            #expect(try late.inboxCount(breaching) == 1)
            #expect(try node.node.store.desk.deskQueueCounts(holder: node.node.id, sla: late.slaTargets(), now: tuesday + 21 * minute, cap: 99).breaching == 1)
        }
        // A reply stops the clock.
        _ = try ana.desk(at: tuesday + 30 * minute).reply("p1", text: "Fixed now")
        let answered = try #require(try ana.desk(at: tuesday + 31 * minute).inbox({ var f = InboxFilter(); f.all = true; return f }()).first)
        #expect(answered.nextReplyDueMillis == nil && answered.breaching == false && answered.slaWarning == nil)
    }

    @Test func withoutAPolicyNextRepliesUseThePriorityTargetAroundTheClock() throws {
        let ana = try TestNode()
        defer { ana.cleanup() }
        var report = IngestReport()
        try ana.desk(at: t0).ingest([inbound("m1", ticket: "p1", at: t0)], rules: .empty, report: &report)
        _ = try ana.desk(at: t0 + 5 * minute).reply("p1", text: "On it")
        try ana.desk(at: t0 + 10 * minute).ingest([inbound("m2", ticket: "p1", at: t0 + 10 * minute, text: "thanks, still down")],
                                                  rules: .empty, report: &report)
        // Normal priority: 60 minutes; warns at 80%.
        let row = try #require(try ana.desk(at: t0 + 59 * minute).inbox(InboxFilter()).first)
        #expect(row.nextReplyDueMillis == t0 + 70 * minute)
        #expect(row.slaWarning == true && row.breaching == false)
        var breaching = InboxFilter(); breaching.breaching = true
        #expect(try ana.desk(at: t0 + 69 * minute).inboxCount(breaching) == 0)
        #expect(try ana.desk(at: t0 + 71 * minute).inboxCount(breaching) == 1)
        #expect(try ana.node.store.desk.deskQueueCounts(holder: ana.node.id, sla: .defaults, now: t0 + 71 * minute, cap: 99).breaching == 1)
        #expect(try ana.node.store.desk.slaWarningCount(sla: .defaults, now: t0 + 59 * minute) == 1)
    }
}
