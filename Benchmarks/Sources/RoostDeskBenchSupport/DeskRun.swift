import Foundation
import RoostBenchSupport
import RoostNode
import RoostStore

/// One line of roost-bench's table.
public struct DeskBenchLine: Sendable {
    public var benchmark: String
    public var result: String
    public var target: String
    public var met: String
}

/// The desk modes of roost-bench:
/// - `twcs`: `importTWCS` of the TWCS sample into a fresh home, `twcs-runs` times (5);
/// - `twcs-large`: the sample replicated `twcs-copies` times (20, so 100,000 rows), `twcs-large-runs` times (3);
///   `ROOST_BENCH_KEEP_CSV=PATH` keeps a copy of that CSV (e.g. for `roost import-twcs`);
/// - `inbox`: `DeskService.inbox` on the cached 100,000-ticket home (`desk-tickets`), `inbox-runs` times (200) per variant;
/// - `desk-home`: only build or open that home and print its path (for `roost inbox --home`).
public func runDeskBenchmarks(
    only: Set<String>, int: (String, Int) -> Int, log: (String) -> Void
) throws -> [DeskBenchLine] {
    var lines: [DeskBenchLine] = []

    if only.contains("twcs") {
        let sample = BenchPaths.twcsSample
        if !FileManager.default.fileExists(atPath: sample.path) {
            log("twcs: \(sample.path) is absent: skipping the TWCS import benchmark")
            lines.append(DeskBenchLine(benchmark: "D1. TWCS sample import", result: "skipped: \(sample.path) absent",
                                       target: "(report)", met: ""))
        } else {
            let runs = int("twcs-runs", 5)
            _ = try timeTWCSImport(sample, label: "twcs-warmup")  // warm the page cache and the code
            var samples = Samples()
            var last: TWCSImportRun?
            for run in 1...runs {
                let result = try timeTWCSImport(sample)
                samples.add(result.nanos)
                last = result
                log("twcs: run \(run): \(result.read) records in \(millis(result.nanos, places: 1)) ms = \(grouped(result.tweetsPerSecond)) tweets/s")
            }
            let r = last!
            lines.append(DeskBenchLine(
                benchmark: "D1. TWCS sample import, \(grouped(Double(r.read))) tweets into a fresh file home (median of \(runs))",
                result: "\(grouped(rate(r.read, samples.median))) tweets/s (\(millis(samples.median, places: 0)) ms; "
                    + "best \(grouped(rate(r.read, samples.minimum))) tweets/s; \(r.tickets) tickets, \(r.messages) messages, "
                    + "\(grouped(Double(r.ops))) ops = \(grouped(rate(r.ops, samples.median))) ops/s; \(r.errors) malformed)",
                target: "(report)", met: ""))
        }
    }

    if only.contains("twcs-large") {
        let sample = BenchPaths.twcsSample
        if !FileManager.default.fileExists(atPath: sample.path) {
            log("twcs-large: \(sample.path) is absent: skipping")
            lines.append(DeskBenchLine(benchmark: "D1'. TWCS synthetic import", result: "skipped: \(sample.path) absent",
                                       target: "(report)", met: ""))
        } else {
            let copies = int("twcs-copies", 20)
            let runs = int("twcs-large-runs", 3)
            let directory = try ScratchDirectory("twcs-large-csv")
            defer { directory.remove() }
            let csv = URL(fileURLWithPath: directory.path("twcs-x\(copies).csv"))
            let rows = try replicateTWCS(sample, copies: copies, to: csv)
            log("twcs-large: wrote \(rows) rows to \(csv.path)")
            if let keep = ProcessInfo.processInfo.environment["ROOST_BENCH_KEEP_CSV"], !keep.isEmpty {
                try? FileManager.default.removeItem(atPath: keep)
                try FileManager.default.copyItem(at: csv, to: URL(fileURLWithPath: keep))
                log("twcs-large: kept a copy in \(keep)")
            }
            var samples = Samples()
            var last: TWCSImportRun?
            for run in 1...runs {
                let result = try timeTWCSImport(csv, label: "twcs-large")
                samples.add(result.nanos)
                last = result
                log("twcs-large: run \(run): \(result.read) records in \(millis(result.nanos, places: 0)) ms = \(grouped(result.tweetsPerSecond)) tweets/s")
            }
            let r = last!
            lines.append(DeskBenchLine(
                benchmark: "D1'. TWCS synthetic import, sample x\(copies) = \(grouped(Double(r.read))) tweets (median of \(runs))",
                result: "\(grouped(rate(r.read, samples.median))) tweets/s (\(String(format: "%.1f", Double(samples.median) / 1e9)) s; "
                    + "best \(grouped(rate(r.read, samples.minimum))) tweets/s; \(grouped(Double(r.tickets))) tickets, "
                    + "\(grouped(Double(r.ops))) ops = \(grouped(rate(r.ops, samples.median))) ops/s; \(r.errors) malformed)",
                target: "(report)", met: ""))
        }
    }

    if only.contains("inbox") || only.contains("desk-home") {
        let shape = DeskShape(tickets: int("desk-tickets", 100_000))
        let fixture = try DeskFixture(shape: shape, rebuild: int("desk-rebuild", 0) != 0, log: log)
        if let seconds = fixture.buildSeconds, let report = fixture.report {
            lines.append(DeskBenchLine(
                benchmark: "D2'. build the desk home: ingest \(grouped(Double(shape.tickets))) customers in calls of \(shape.chunk), then status/claim ops",
                result: String(format: "%.1f s; ", seconds) + "\(grouped(Double(report.messages))) messages = "
                    + "\(grouped(Double(report.messages) / seconds)) messages/s; \(grouped(Double(try fixture.node.store.opCount()))) ops",
                target: "", met: ""))
        }
        log("desk: \(try fixture.counts())")
        if only.contains("desk-home") { print("DESK_HOME=" + fixture.home.url.path) }
        if only.contains("inbox") {
            let runs = int("inbox-runs", 200)
            var desk = fixture.desk
            var whatIfDirectory: ScratchDirectory?
            if DeskWhatIf.indexes != nil {
                let directory = try ScratchDirectory("desk-whatif")
                whatIfDirectory = directory
                let start = nowNanos()
                desk = DeskService(node: try DeskWhatIf.copy(fixture.home, into: directory))
                log("inbox: what-if ROOST_BENCH_DESK_INDEXES=\(DeskWhatIf.name ?? "") on a copy of the home (copy + CREATE INDEX: \(millis(nowNanos() - start, places: 0)) ms)")
            }
            defer { whatIfDirectory?.remove() }
            for (name, filter) in fixture.inboxCases {
                let (samples, rows) = try timeInbox(desk, filter, runs: runs)
                let p50 = samples.median, p99 = samples.percentile(99)
                log("inbox \(name): \(rows) rows, p50 \(millis(p50)) ms, p99 \(millis(p99)) ms")
                lines.append(DeskBenchLine(
                    benchmark: "D2. inbox \(name) on \(grouped(Double(shape.tickets))) tickets (\(runs) runs, \(rows) rows)",
                    result: "p50 \(millis(p50, places: 2)) ms, p90 \(millis(samples.percentile(90), places: 2)) ms, "
                        + "p99 \(millis(p99, places: 2)) ms, max \(millis(samples.maximum, places: 2)) ms",
                    target: "< 100 ms",
                    met: p99 < 100_000_000 ? "yes" : (p50 < 100_000_000 ? "p50 only" : "NO")))
            }
        }
    }
    return lines
}
