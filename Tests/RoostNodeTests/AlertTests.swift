import Foundation
import Testing
import RoostCore
import RoostNode
import RoostStore
import RoostTwitter

/// Listening alerts (issue 13): the rules file's [[alert]] sections, the decision against a trailing baseline,
/// and a replay of real tweets on a compressed clock — quiet on the plain replay, firing within one window on an
/// injected outage.
@Suite(.serialized) struct AlertTests {
    static let rulesText = """
        [[alert]]
        name = "Outage talk"
        keywords = ["outage", "down"]
        window_minutes = 60
        factor = 3
        min_count = 10

        [[alert]]
        name = "Negative share"
        negative = true
        window_minutes = 60
        factor = 2
        min_count = 20
        min_share = 40

        [[alert]]
        name = "Volume"
        window_minutes = 60
        factor = 4
        min_count = 40
        """

    @Test func alertSectionsAreReadAndCheckedWithTheirLines() throws {
        let rules = try TriageRules.parse(Self.rulesText, file: "rules.toml")
        #expect(rules.alerts.map(\.name) == ["Outage talk", "Negative share", "Volume"])
        #expect(rules.alerts[0].selector == .keywords(["outage", "down"]) && rules.alerts[0].baselineWindows == 24)
        #expect(rules.alerts[1].negative && rules.alerts[1].minShare == 40 && rules.alerts[1].selector == .messages)
        for (text, reason) in [
            ("[[alert]]\nname = \"a\"\ntag = \"x\"\nqueue = \"y\"\n", "rules.toml:1: alert \"a\" counts one thing: keywords, tag, queue or negative"),
            ("[[alert]]\nname = \"a\"\nwindow_minutes = 0\n", "rules.toml:3: window_minutes must be 1...1440"),
            ("[[alert]]\nname = \"a\"\nmin_share = 10\n", "rules.toml:3: min_share is for negative = true alerts"),
            ("[[alert]]\nname = \"a\"\n[[alert]]\nname = \"a\"\n", "rules.toml:3: two alerts are named \"a\""),
            ("[[alert]]\nname = \"a\"\nfactr = 3\n", "rules.toml:3: unknown key"),
        ] {
            do {
                _ = try TriageRules.parse(text, file: "rules.toml")
                Issue.record("accepted: \(text)")
            } catch {
                #expect(error.description.hasPrefix(reason), "\(error)")
            }
        }
    }

    @Test func theDecisionComparesTheWindowWithAnEWMABaseline() {
        let rule = AlertRule(name: "v", line: 1, selector: .messages, windowMinutes: 60, baselineWindows: 3, factor: 3, minCount: 10)
        func counts(_ values: [Int], negative: [Int]? = nil) -> [AlertWindowCount] {
            values.enumerated().map { AlertWindowCount(startMillis: UInt64($0.offset) * 3_600_000, count: $0.element,
                                                       negative: negative?[$0.offset] ?? 0) }
        }
        // Baseline: EWMA with alpha 2/(3+1) = 0.5 over 4, 4, 6 -> 4, 4, 5. 15 >= 3 x 5 fires; 14 does not.
        #expect(DeskService.evaluate(rule, counts: counts([4, 4, 6, 15]), windowEnd: 4 * 3_600_000).firing)
        #expect(DeskService.evaluate(rule, counts: counts([4, 4, 6, 15]), windowEnd: 4 * 3_600_000).baseline == 5)
        #expect(!DeskService.evaluate(rule, counts: counts([4, 4, 6, 14]), windowEnd: 4 * 3_600_000).firing)
        #expect(!DeskService.evaluate(rule, counts: counts([0, 0, 0, 9]), windowEnd: 4 * 3_600_000).firing, "under min_count")
        var share = rule
        share.negative = true
        share.factor = 2
        share.minShare = 40
        // Shares 10%, 10%, 20% -> baseline 15%; 9 of 20 = 45% >= 40% and >= 2 x 15% fires; 7 of 20 = 35% does not.
        #expect(DeskService.evaluate(share, counts: counts([20, 20, 20, 20], negative: [2, 2, 4, 9]), windowEnd: 0).firing)
        #expect(!DeskService.evaluate(share, counts: counts([20, 20, 20, 20], negative: [2, 2, 4, 7]), windowEnd: 0).firing)
    }

    /// Tweets of a TWCS file replayed on a compressed clock: in their order of time, spread evenly over `hours`
    /// hours ending at `end`. (Mapping times proportionally would put the sample's few years-old tweets at the
    /// start and nearly everything else into its last hours.)
    static func replay(_ url: URL, hours: UInt64, end: UInt64) throws -> URL {
        var records: [TWCSRecord] = []
        for case let .success(record) in try TWCSReader(contentsOf: url) { records.append(record) }
        records.sort { ($0.createdAtMillis, $0.line) < ($1.createdAtMillis, $1.line) }
        let span = hours * 3_600_000, start = end - span
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE MMM dd HH:mm:ss Z yyyy"
        func field(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        var lines = ["tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id"]
        for (rank, record) in records.enumerated() {
            let at = start + UInt64(rank) * span / UInt64(max(1, records.count))
            lines.append([record.tweetID, record.authorID, record.inbound ? "True" : "False",
                          formatter.string(from: Date(timeIntervalSince1970: Double(at) / 1000)), field(record.text),
                          record.responseTweetIDs.joined(separator: ","), record.inResponseToTweetID ?? ""].joined(separator: ","))
        }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("roost-replay-\(UUID().uuidString).csv")
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: out)
        return out
    }

    /// Fires per alert when evaluated at every hour boundary from `from` to `to`.
    static func firings(_ desk: DeskService, _ rules: [AlertRule], from: UInt64, to: UInt64) throws -> [String: [UInt64]] {
        var fired: [String: [UInt64]] = [:]
        var at = from
        while at <= to {
            for status in try desk.alerts(rules, at: at) where status.firing { fired[status.name, default: []].append(status.windowStartMillis) }
            at += 3_600_000
        }
        return fired
    }

    /// Runs `work` on a Dispatch thread: the replay takes seconds of CPU, and on a 2-core machine a synchronous test
    /// holding a cooperative thread that long starves the suite's async tests (their HTTP reads time out).
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: Result { try work() }) }
        }
    }

    @Test(arguments: ["examples/data/twcs-demo.csv", "../shared/data/twcs-sample.csv"])
    func replayIsQuietAndAnInjectedOutageFiresWithinOneWindow(file: String) async throws {
        try await Self.offPool { try Self.replayCase(file) }
    }

    static func replayCase(_ file: String) throws {
        let source = ProgressTests.repositoryRoot.appendingPathComponent(file)
        guard FileManager.default.fileExists(atPath: source.path) else {
            print("AlertTests: \(file) is absent; that replay is skipped")
            return
        }
        let rules = try TriageRules.parse(Self.rulesText, file: "rules.toml").alerts
        let hour: UInt64 = 3_600_000
        let end = t0 / hour * hour
        let hours: UInt64 = 72
        let replay = try Self.replay(source, hours: hours, end: end)
        defer { try? FileManager.default.removeItem(at: replay) }
        let ana = try TestNode()
        defer { ana.cleanup() }
        let desk = ana.desk(at: end)
        let report = try desk.importTWCS(url: replay, brandHandles: [], rules: .empty, strict: false)
        #expect(report.messages > 300)
        // The plain replay: evaluated at every hour of the 72, after a day of baseline.
        let quiet = try Self.firings(desk, rules, from: end - (hours - 25) * hour, to: end)
        print("AlertTests: \(file): \(report.messages) messages over \(hours) h; false positives on the plain replay: \(quiet.values.map(\.count).reduce(0, +)) \(quiet)")
        #expect(quiet.isEmpty, "false positives: \(quiet)")
        #expect(try desk.alerts(rules, at: end).allSatisfy { !$0.warmingUp }, "the plain replay is judged, not warming up")

        // An outage: 40 angry customers in one hour, 30 minutes into the window that starts at end + 2 h.
        let burstWindow = end + 2 * hour
        var messages: [IncomingMessage] = []
        let complaints = ["my internet is down again, terrible service", "outage in my area AGAIN, this is ridiculous",
                          "internet down for hours, worst provider ever 😡", "is there an outage? nothing works, so frustrated"]
        for i in 0..<40 {
            messages.append(inbound("burst\(i)", ticket: "pBurst\(i)", customer: "b\(i)", at: burstWindow + 30 * 60_000 + UInt64(i) * 20_000,
                                    text: "@AcmeCare " + complaints[i % complaints.count]))
        }
        var ingest = IngestReport()
        try ana.desk(at: burstWindow + hour).ingest(messages, rules: .empty, report: &ingest)
        // Before the burst's window closes nothing fires; at its end the outage and the negative share do.
        #expect(try Self.firings(desk, rules, from: end + hour, to: burstWindow + hour - 1).isEmpty)
        let fired = try desk.alerts(rules, at: burstWindow + hour)
        #expect(fired.first { $0.name == "Outage talk" }?.firing == true, "\(fired)")
        #expect(fired.first { $0.name == "Negative share" }?.firing == true, "\(fired)")
        #expect(fired.allSatisfy { $0.windowStartMillis == burstWindow })
        // Every node holding the same ops says the same.
        let kenji = try TestNode(name: "Kenji Sato", initials: "KS")
        defer { kenji.cleanup() }
        try kenji.pull(from: ana)
        #expect(try kenji.desk(at: end).alerts(rules, at: burstWindow + hour) == fired)
    }

    @Test func aNewNodeIsWarmingUpNotFiring() throws {
        let ana = try TestNode()
        defer { ana.cleanup() }
        var report = IngestReport()
        try ana.desk(at: t0).ingest((0..<50).map { inbound("w\($0)", ticket: "pW\($0)", customer: "c\($0)", at: t0 - 30 * minute, text: "outage outage") },
                                    rules: .empty, report: &report)
        let statuses = try ana.desk(at: t0).alerts(try TriageRules.parse(Self.rulesText, file: "r").alerts, at: t0)
        #expect(statuses.allSatisfy { $0.warmingUp && !$0.firing })
        #expect(statuses.first?.count == 50)
    }
}
