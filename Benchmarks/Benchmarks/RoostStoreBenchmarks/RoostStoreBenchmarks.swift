// package-benchmark suite for the Roost store: benchmarks 1–3 and 5 of Benchmarks/README.md.
// (Benchmark 4, the 1M-op re-fold, is the separate target RoostRefoldBenchmarks: its setup alone
// takes about a minute, so it can be skipped with `--skip-target RoostRefoldBenchmarks`.)
//
// Every store is a file database in a scratch directory (WAL, synchronous=NORMAL), never in memory.
// Throughput numbers are ops per second: `throughput` is scaled by `scalingFactor` (the ops in one
// iteration); the custom metric `ops/s` is computed from each iteration's own wall clock time.
import Benchmark
import Foundation
import RoostBenchGate
import RoostBenchSupport
import RoostCore
import RoostCrypto
import RoostStore

let opsPerSecond = BenchmarkMetric.custom("ops/s", polarity: .prefersLarger, useScalingFactor: false)
let roostPercentOfPlain = BenchmarkMetric.custom("Roost rate as % of plain", polarity: .prefersLarger, useScalingFactor: false)
let roostOpsPerSecond = BenchmarkMetric.custom("Roost ops/s", polarity: .prefersLarger, useScalingFactor: false)
let bytesPerUpdate = BenchmarkMetric.custom("database bytes/update", polarity: .prefersSmaller, useScalingFactor: false)
let plainRowsPerSecond = BenchmarkMetric.custom("plain rows/s", polarity: .prefersLarger, useScalingFactor: false)

/// Records the database bytes per update once a workload is `done`.
func recordBytes(_ benchmark: Benchmark, done: Bool, _ bytes: () throws -> Double) {
    guard done else { return }
    do { benchmark.measurement(bytesPerUpdate, Int(try bytes().rounded())) } catch {
        benchmark.error("reading the database size failed: \(error)")
    }
}

/// Reports `ops / elapsed` for the measured region that ran from `start` to now.
func reportRate(_ benchmark: Benchmark, ops: Int, since start: UInt64) {
    let elapsed = nowNanos() - start
    benchmark.measurement(opsPerSecond, Int(rate(ops, elapsed).rounded()))
}

let benchmarks: @Sendable () -> Void = {
    // The heap as the `roost` executable sets it up, so the figures are a node's (RoostStore.ProcessAllocator).
    ProcessAllocator.configure()
    let batchOps = 1_000

    // 1a. Append-and-apply of 1,000 local ops per transaction: encode and round-trip-check each
    // body, hash it and its header, insert op + body rows, merge into the materialized tables,
    // sign one seal, update the log head and clock. Each iteration appends 1,000 new ops to the
    // same growing store.
    Benchmark(
        "1a Roost append+apply (1000 ops/txn)",
        configuration: gated(.init(
            metrics: [.wallClock, .throughput, .mallocCountTotal, opsPerSecond],
            warmupIterations: 3, scalingFactor: .kilo, maxDuration: .seconds(10), maxIterations: 200))
    ) { benchmark, node in
        let bodies = node.workload.next(batchOps)
        benchmark.startMeasurement()
        let start = nowNanos()
        do { try node.append(bodies) } catch { benchmark.error("append failed: \(error)") }
        reportRate(benchmark, ops: batchOps, since: start)
        benchmark.stopMeasurement()
    } setup: {
        try LocalNode(label: "bench-append")
    } teardown: {
        ScratchDirectory.removeAll()
    }

    // 1b. The baseline: the same rows (one per op: collection, key, field, value, hlc) inserted into
    // one table with a primary key, same file-DB settings, a cached prepared statement, one
    // transaction per 1,000 rows. Rows are built before the measured region.
    Benchmark(
        "1b plain GRDB insert (1000 rows/txn)",
        configuration: gated(.init(
            metrics: [.wallClock, .throughput, .mallocCountTotal, opsPerSecond],
            warmupIterations: 3, scalingFactor: .kilo, maxDuration: .seconds(10), maxIterations: 200))
    ) { benchmark, fixture in
        let plain = fixture.plain
        let rows = plain.rows(for: fixture.workload.next(batchOps))
        benchmark.startMeasurement()
        let start = nowNanos()
        do { try plain.insert(rows) } catch { benchmark.error("insert failed: \(error)") }
        reportRate(benchmark, ops: batchOps, since: start)
        benchmark.stopMeasurement()
    } setup: {
        try PlainFixture()
    } teardown: {
        ScratchDirectory.removeAll()
    }

    // 1c. The ratio, measured fairly: 1a and 1b run minutes apart and this 2-core VM drifts between
    // speed modes, so each iteration here times one Roost batch and one baseline batch back to back
    // (both stores growing alike) and records Roost's rate as a percentage of the baseline's.
    Benchmark(
        "1c ratio Roost/plain (interleaved, 1000 ops/txn)",
        configuration: gated(.init(
            metrics: [roostPercentOfPlain, roostOpsPerSecond, plainRowsPerSecond],
            warmupIterations: 3, maxDuration: .seconds(15), maxIterations: 150))
    ) { benchmark, fixture in
        let bodies = fixture.node.workload.next(batchOps)
        let rows = fixture.plain.rows(for: bodies)
        var start = nowNanos()
        do { try fixture.node.append(bodies) } catch { benchmark.error("append failed: \(error)") }
        let roost = nowNanos() - start
        start = nowNanos()
        do { try fixture.plain.insert(rows) } catch { benchmark.error("insert failed: \(error)") }
        let plain = nowNanos() - start
        benchmark.measurement(roostPercentOfPlain, Int((Double(plain) / Double(roost) * 100).rounded()))
        benchmark.measurement(roostOpsPerSecond, Int(rate(batchOps, roost).rounded()))
        benchmark.measurement(plainRowsPerSecond, Int(rate(batchOps, plain).rounded()))
    } setup: {
        try PairFixture()
    } teardown: {
        ScratchDirectory.removeAll()
    }

    // 2. Apply of a remote batch of 100,000 sealed ops from 4 authors into a fresh, empty file
    // store: per-log contiguity and prev-hash checks, body hashes, canonical decode, HLC drift,
    // one Ed25519 check per seal, then insert + merge, all in one transaction. The batch is built
    // once in setup (100 appends of 1,000 ops into a source store, then
    // `batch(after: VersionVector(), limit: 100_000)`); opening the empty store is not measured.
    Benchmark(
        "2 apply remote batch (100000 sealed ops)",
        configuration: gated(.init(
            metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident, opsPerSecond],
            warmupIterations: 1, maxDuration: .seconds(30), maxIterations: 5))
    ) { benchmark, batch in
        guard let sink = try? EmptyNode() else { return benchmark.error("cannot open an empty store") }
        benchmark.startMeasurement()
        let start = nowNanos()
        do {
            let report = try sink.store.apply(batch, clock: SystemClock())
            if report.applied != batch.ops.count { benchmark.error("applied \(report.applied) ops") }
        } catch {
            benchmark.error("apply failed: \(error)")
        }
        reportRate(benchmark, ops: batch.ops.count, since: start)
        benchmark.stopMeasurement()
        sink.directory.remove()
    } setup: {
        try makeRemoteBatch(ops: 100_000, authors: 4, batch: 1_000)
    } teardown: {
        ScratchDirectory.removeAll()
    }

    // 3. Commit latency of one local op: append of 1 body in its own transaction, with its seal.
    // The store holds 10,000 ops before the first sample. Read p50 and p99 of the wall clock.
    Benchmark(
        "3 commit latency (1 op/txn)",
        configuration: gated(.init(
            metrics: [.wallClock, .throughput, .mallocCountTotal],
            timeUnits: .microseconds, warmupIterations: 50, maxDuration: .seconds(10), maxIterations: 5_000))
    ) { benchmark, node in
        let body = node.workload.nextBody()
        benchmark.startMeasurement()
        do { try node.append([body]) } catch { benchmark.error("append failed: \(error)") }
        benchmark.stopMeasurement()
    } setup: { () throws -> LocalNode in
        let node = try LocalNode(label: "bench-latency")
        try node.fill(10_000, batch: 1_000)
        return node
    } teardown: {
        ScratchDirectory.removeAll()
    }

    // 5a/5b. Issue 12's workload (tools/bench-peers.sh's shape, made in Swift: 200,000 updates to 10,000 existing
    // tickets, 80% field sets, 20% tag adds, 1,000 per transaction and seal). 5a: one local transaction per
    // iteration into a growing store; 5b: one sealed batch of the same per iteration, verified and applied by a
    // replica. The last iteration of each also records the database bytes per update of the whole workload (the
    // 100-byte milestone; early on the views' B-trees are still filling and a running figure would say more), which
    // the gate watches like every other metric. The 200 iterations take ~6 s, well inside `maxDuration`.
    let peersUpdates = 200_000
    // Every iteration of the workload is measured: 3 warm-ups and the rest of its 200 transactions.
    let peersConfiguration = gated(.init(
        metrics: [.wallClock, .mallocCountTotal, opsPerSecond, bytesPerUpdate],
        warmupIterations: 3, maxDuration: .seconds(30), maxIterations: peersUpdates / batchOps - 3))
    Benchmark(
        "5a issue 12 workload, local (1000 updates/txn)",
        configuration: peersConfiguration
    ) { benchmark, run in
        let chunk = run.nextTransaction()
        guard !chunk.isEmpty else { return benchmark.error("the workload ran out") }
        benchmark.startMeasurement()
        let start = nowNanos()
        do { try run.append(chunk) } catch { benchmark.error("append failed: \(error)") }
        reportRate(benchmark, ops: chunk.count, since: start)
        benchmark.stopMeasurement()
        recordBytes(benchmark, done: run.nextTransaction().isEmpty) { try run.bytesPerUpdate() }
    } setup: {
        try PeersLocalRun(updates: peersUpdates)
    } teardown: {
        ScratchDirectory.removeAll()
    }

    Benchmark(
        "5b issue 12 workload, remote (1000-update sealed batches)",
        configuration: peersConfiguration
    ) { benchmark, run in
        benchmark.startMeasurement()
        let start = nowNanos()
        var applied = 0
        do { applied = try run.applyNext() } catch { benchmark.error("apply failed: \(error)") }
        if applied != batchOps { benchmark.error("applied \(applied) updates, expected \(batchOps)") }
        reportRate(benchmark, ops: applied, since: start)
        benchmark.stopMeasurement()
        recordBytes(benchmark, done: run.next == run.batchCount) { try run.bytesPerUpdate() }
    } setup: {
        try PeersRemoteRun(updates: peersUpdates)
    } teardown: {
        ScratchDirectory.removeAll()
    }
}

/// A Roost node and a baseline store fed the same bodies (benchmark 1c).
final class PairFixture: @unchecked Sendable {
    let node: LocalNode
    let plain: PlainStore
    init() throws {
        node = try LocalNode(label: "bench-pair")
        plain = try PlainStore(label: "bench-pair-plain")
    }
}

/// The baseline's store and the op stream its rows are made from.
final class PlainFixture: @unchecked Sendable {
    let plain: PlainStore
    var workload: Workload
    init() throws {
        plain = try PlainStore()
        let holder = LocalAuthor(key: SigningKey.generate(), epoch: 1).id
        workload = Workload(prefix: "plain-\(UUID().uuidString.prefix(8))", holder: holder)
    }
}
