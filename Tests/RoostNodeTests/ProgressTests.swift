import Foundation
import Synchronization
import Testing
import RoostCore
import RoostNode

/// A wall clock the test moves by hand.
final class HandClock: WallClock {
    private let now = Mutex<UInt64>(1_700_000_000_000)
    func nowMillis() -> UInt64 { now.withLock { $0 } }
    func advance(_ millis: UInt64) { now.withLock { $0 += millis } }
}

@Suite struct ProgressTests {
    @Test func rateAndTimeLeftFollowTheInjectedClock() {
        let clock = HandClock()
        let meter = ProgressMeter(phase: "import", unit: "messages", total: 10_000, clock: clock)

        let start = meter.snapshot(done: 0)
        #expect(start.rate == nil && start.etaSeconds == nil)  // no time has passed: no rate yet
        #expect(start.fraction == 0)

        clock.advance(4_000)
        let quarter = meter.snapshot(done: 2_500)
        #expect(quarter.elapsedMillis == 4_000)
        #expect(quarter.rate == 625)  // 2,500 in 4 s
        #expect(quarter.etaSeconds == 12)  // 7,500 left at 625/s
        #expect(quarter.fraction == 0.25)
        #expect(quarter.line == "import: 2,500/10,000 messages (25%), 625/s, 12s left")
        #expect(quarter.bar == "[######------------------] import: 2,500/10,000 messages (25%), 625/s, 12s left")

        clock.advance(196_000)
        let late = meter.snapshot(done: 9_000)
        #expect(late.rate == 45)
        #expect(late.etaSeconds.map { abs($0 - 1_000 / 45.0) < 1e-9 } == true)
        #expect(late.line == "import: 9,000/10,000 messages (90%), 45/s, 22s left")

        clock.advance(22_000)
        let done = meter.snapshot(done: 10_000, finished: true)
        #expect(done.etaSeconds == 0 && done.finished)
        #expect(done.line == "import: 10,000/10,000 messages (100%), 45/s, done in 3m42s")
    }

    @Test func unknownTotalsAndOvershootAreReportedHonestly() {
        let clock = HandClock()
        var meter = ProgressMeter(phase: "re-fold", unit: "ops", total: nil, clock: clock)
        clock.advance(100)
        let early = meter.snapshot(done: 50)
        #expect(early.rate == nil)  // under the minimum measuring time
        #expect(early.line == "re-fold: 50 ops")
        clock.advance(1_900)
        let open = meter.snapshot(done: 4_000)
        #expect(open.total == nil && open.fraction == nil && open.etaSeconds == nil)
        #expect(open.rate == 2_000)
        #expect(open.bar == "re-fold: 4,000 ops, 2,000/s")
        meter.total = 3_000  // the job did more than it announced: the total grows, no negative time left
        let over = meter.snapshot(done: 4_000)
        #expect(over.total == 4_000 && over.etaSeconds == 0 && over.fraction == 1)
    }

    @Test func pipedLinesAreThrottledButTheFirstAndLastAlwaysWritten() {
        let clock = HandClock()
        let meter = ProgressMeter(phase: "x", unit: "u", total: 100, clock: clock)
        var throttle = ProgressThrottle(intervalMillis: 2_000)
        var written: [Int] = []
        for done in 0..<100 {
            if throttle.admit(meter.snapshot(done: done)) { written.append(done) }
            clock.advance(150)
        }
        if throttle.admit(meter.snapshot(done: 100, finished: true)) { written.append(100) }
        // Every 150 ms for 15 s: lines at 0, 2.1 s, 4.2 s... (every 14th update), then the final one.
        #expect(written == [0, 14, 28, 42, 56, 70, 84, 98, 100])
    }

    @Test func catchUpWithAPeerIsMeasuredFromTheOpsWeLack() {
        var tracker = CatchUpTracker()
        let t0: UInt64 = 1_700_000_000_000
        #expect(tracker.observe(peer: "a", opsAhead: 0, atMillis: t0) == nil)
        let first = tracker.observe(peer: "a", opsAhead: 100_000, atMillis: t0)
        #expect(first?.done == 0 && first?.total == 100_000 && first?.rate == nil)
        let later = tracker.observe(peer: "a", opsAhead: 60_000, atMillis: t0 + 8_000)
        #expect(later?.done == 40_000 && later?.rate == 5_000 && later?.etaSeconds == 12)
        #expect(later?.line == "initial sync: 40,000/100,000 ops (40%), 5,000/s, 12s left")
        // Another peer is measured on its own; the first one's count growing raises its total.
        #expect(tracker.observe(peer: "b", opsAhead: 10, atMillis: t0 + 8_000)?.done == 0)
        let grown = tracker.observe(peer: "a", opsAhead: 130_000, atMillis: t0 + 10_000)
        #expect(grown?.total == 130_000 && grown?.done == 0)
        // Caught up: the job is over, and a later lag starts a new one.
        #expect(tracker.observe(peer: "a", opsAhead: 0, atMillis: t0 + 20_000) == nil)
        #expect(tracker.observe(peer: "a", opsAhead: 5, atMillis: t0 + 30_000)?.elapsedMillis == 0)
    }

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    @Test func pipedCommandsWritePlainProgressLinesOnStandardErrorOnly() throws {
        let cli = try CLI()
        defer { cli.cleanup() }
        #expect(try cli.run(["init", "--name", "Ana Lopez", "--initials", "al"]).status == 0)
        let sample = Self.repositoryRoot.appendingPathComponent("examples/x-sample.jsonl").path
        let ingested = try cli.run(["ingest", "--file", sample, "--brand-handles", "AcmeCare", "--json"])
        #expect(ingested.status == 0, "\(ingested.stderr)")
        // Standard output is the JSON report alone; progress is plain lines (no bar, no carriage return) on stderr.
        let report = try JSONSerialization.jsonObject(with: Data(ingested.stdout.utf8)) as? [String: Any]
        let messages = report?["messages"] as? Int ?? -1
        #expect(messages > 0)
        let lines = ingested.stderr.split(separator: "\n").map(String.init)
        #expect(!ingested.stderr.contains("\r") && !ingested.stderr.contains("["))
        let last = try #require(lines.last { $0.hasPrefix("ingest: ") })
        let counts = last.dropFirst("ingest: ".count).prefix { $0 != " " }.split(separator: "/")
        #expect(counts.count == 2 && counts[0] == counts[1] && Int(counts[0]) ?? 0 >= messages, "\(last)")
        #expect(last.contains(" messages (100%)"), "\(last)")
        #expect(last.contains(", done in "))

        let verified = try cli.run(["verify"])
        #expect(verified.status == 0)
        let ops = try #require(verified.stdout.split(separator: " ").dropFirst(3).first)  // "Checked N log(s), M op(s)"
        #expect(verified.stderr.split(separator: "\n").last.map(String.init)?.hasPrefix("re-fold: \(ops)/\(ops) ops (100%)") == true,
                "\(verified.stderr)")
    }
}
