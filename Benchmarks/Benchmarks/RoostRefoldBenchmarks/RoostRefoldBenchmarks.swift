// package-benchmark suite: benchmark 4 of Benchmarks/README.md, the re-fold of 1,000,000 ops.
//
// Setup builds a file store of 1,000,000 ops (4 authors, appended round-robin in transactions of
// 10,000 ops; about a minute on 2 cores). Each iteration runs `verify()`: it walks every chain
// (seq contiguity, prev links, header and body hashes, canonical decode), checks every seal's
// signature and the log heads, re-folds all ops into a scratch in-memory store and compares its
// state hash with the materialized tables'. Set ROOST_REFOLD_OPS to use a smaller store.
import Benchmark
import Foundation
import RoostBenchGate
import RoostBenchSupport
import RoostCore
import RoostStore

let opsPerSecond = BenchmarkMetric.custom("ops/s", polarity: .prefersLarger, useScalingFactor: false)

final class LargeStore: @unchecked Sendable {
    let directory: ScratchDirectory
    let store: OpStore
    let ops: Int
    init(ops: Int) throws {
        (directory, store) = try makeLargeStore(ops: ops, authors: 4, batch: 10_000)
        self.ops = ops
    }
}

let benchmarks: @Sendable () -> Void = {
    // The heap as the `roost` executable sets it up, so the figures are a node's (RoostStore.ProcessAllocator).
    ProcessAllocator.configure()
    let ops = ProcessInfo.processInfo.environment["ROOST_REFOLD_OPS"].flatMap { Int($0) } ?? 1_000_000

    Benchmark(
        "4 re-fold: verify() of \(ops) ops",
        configuration: gated(.init(
            metrics: [.wallClock, .cpuTotal, .peakMemoryResident, opsPerSecond],
            timeUnits: .seconds, warmupIterations: 0, maxDuration: .seconds(120), maxIterations: 2))
    ) { benchmark, large in
        let start = nowNanos()
        do {
            let report = try large.store.verify()
            if !report.isOK { benchmark.error("verify found problems: \(report.problems.prefix(3))") }
            if report.ops != large.ops { benchmark.error("verify checked \(report.ops) ops, expected \(large.ops)") }
        } catch {
            benchmark.error("verify failed: \(error)")
        }
        benchmark.measurement(opsPerSecond, Int(rate(large.ops, nowNanos() - start).rounded()))
    } setup: {
        try LargeStore(ops: ops)
    } teardown: {
        ScratchDirectory.removeAll()
    }
}
