// package-benchmark suite for the help desk (Benchmarks/README.md, "Desk benchmarks"):
// - D1: `DeskService.importTWCS` of the TWCS sample (`../shared/data/twcs-sample.csv`, or
//   `$ROOST_TWCS_SAMPLE`) into a fresh FILE node home per iteration; skipped when the file is absent.
// - D2: `DeskService.inbox` on a node home holding 100,000 tickets (default filter, `--queue`,
//   `--unassigned`, `--breaching`, `--all`). Setup builds that home once with `DeskService.ingest`
//   (several minutes) and caches it in `$TMPDIR/roost-desk-bench` (or `$ROOST_DESK_CACHE`) for later
//   runs; `tools/bench-desk.sh` uses the same cache. `ROOST_DESK_TICKETS` sets another size.
// - D4: opening that home and reading the default inbox's first page, as `roost inbox --limit 50` does.
import Benchmark
import Foundation
import RoostBenchGate
import RoostBenchSupport
import RoostDeskBenchSupport
import RoostNode
import RoostStore

let tweetsPerSecond = BenchmarkMetric.custom("tweets/s", polarity: .prefersLarger, useScalingFactor: false)

/// The desk home, built or opened on first use and shared by the inbox benchmarks.
final class SharedDesk: @unchecked Sendable {
    static let shared = SharedDesk()
    private let lock = NSLock()
    private var fixture: DeskFixture?

    func get() throws -> DeskFixture {
        try lock.withLock {
            if let fixture { return fixture }
            let tickets = ProcessInfo.processInfo.environment["ROOST_DESK_TICKETS"].flatMap { Int($0) } ?? 100_000
            let made = try DeskFixture(shape: DeskShape(tickets: tickets)) { print($0) }
            fixture = made
            return made
        }
    }
}

let benchmarks: @Sendable () -> Void = {
    // The heap as the `roost` executable sets it up, so the figures are a node's (RoostStore.ProcessAllocator).
    ProcessAllocator.configure()
    let sample = BenchPaths.twcsSample
    if FileManager.default.fileExists(atPath: sample.path) {
        Benchmark(
            "D1 TWCS sample import (fresh file home)",
            configuration: gated(.init(
                metrics: [.wallClock, .peakMemoryResident, tweetsPerSecond],
                timeUnits: .milliseconds, warmupIterations: 1, maxDuration: .seconds(60), maxIterations: 7))
        ) { benchmark in
            do {
                let run = try timeTWCSImport(sample)
                benchmark.measurement(tweetsPerSecond, Int(run.tweetsPerSecond.rounded()))
            } catch {
                benchmark.error("import failed: \(error)")
            }
        } teardown: {
            ScratchDirectory.removeAll()
        }
    } else {
        print("D1 skipped: \(sample.path) is absent (set ROOST_TWCS_SAMPLE)")
    }

    let cases = ["(default)", "--queue billing", "--unassigned", "--breaching", "--all"]
    for name in cases {
        Benchmark(
            "D2 inbox \(name) (100k tickets)",
            configuration: gated(.init(
                metrics: [.wallClock, .mallocCountTotal],  // (.cpuTotal ticks in 10 ms here: useless at ~1 ms)
                timeUnits: .microseconds, warmupIterations: 3, maxDuration: .seconds(10), maxIterations: 200))
        ) { benchmark, fixture in
            let filter = fixture.inboxCases.first { $0.name == name }!.filter
            benchmark.startMeasurement()
            do {
                let rows = try fixture.desk.inbox(filter)
                blackHole(rows)
            } catch {
                benchmark.error("inbox failed: \(error)")
            }
            benchmark.stopMeasurement()
        } setup: {
            try SharedDesk.shared.get()
        }
    }

    // D4: what `roost inbox --limit 50` does after the process starts (issue 12's cold-start row, in process): open
    // the home (config, identity, the store with its migration check) and read the first page of the default
    // inbox, a new connection each iteration. The OS file cache is warm, as on a laptop; the process's own start
    // and its peak RSS are measured by tools/bench-serve.sh, which runs the `roost` binary.
    Benchmark(
        "D4 open the home + first inbox page (100k tickets)",
        configuration: gated(.init(
            metrics: [.wallClock, .mallocCountTotal],
            timeUnits: .milliseconds, warmupIterations: 2, maxDuration: .seconds(20), maxIterations: 50))
    ) { benchmark, fixture in
        benchmark.startMeasurement()
        do {
            let node = try fixture.home.open()
            let rows = try DeskService(node: node).inbox(InboxFilter())
            if rows.count != 50 { benchmark.error("the first page held \(rows.count) rows, expected 50") }
            blackHole(rows)
        } catch {
            benchmark.error("open or inbox failed: \(error)")
        }
        benchmark.stopMeasurement()
    } setup: {
        try SharedDesk.shared.get()
    }
}
