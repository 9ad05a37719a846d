// package-benchmark suite: benchmark 6 of Benchmarks/README.md, the initial sync over encrypted loopback TCP
// (issue 12's figure; `tools/bench-sync.sh --only initial` prints the same at 1,000,000 ops).
//
// Setup writes the sender's log: N ops (100,000 by default; ROOST_SYNC_OPS to change) in sealed transactions of
// 1,000, register sets on 10,000 tickets, in a file store, and starts the sender listening on 127.0.0.1. Each
// iteration syncs a fresh receiver (an empty file store) from it through a counting proxy, from the dial until the
// receiver's version vector equals the sender's: handshake, encrypted frames, `runs`, verification of every
// chain and seal, apply and commit. Records the rate and the wire bytes per op.
import Benchmark
import Foundation
import RoostBenchGate
import RoostBenchSupport
import RoostStore
import RoostSyncBenchSupport

let opsPerSecond = BenchmarkMetric.custom("ops/s", polarity: .prefersLarger, useScalingFactor: false)
let wireBytesPerOp = BenchmarkMetric.custom("wire bytes/op", polarity: .prefersSmaller, useScalingFactor: false)

/// The sender of every iteration, listening, with its scratch directory.
final class Sender: @unchecked Sendable {
    let directory: ScratchDirectory
    let peer: SyncPeer
    let port: Int
    let ops: Int
    init(ops: Int) async throws {
        directory = try ScratchDirectory("sync-sender")
        peer = try SyncPeer(seed: 1, store: try OpStore(path: directory.path("sender.sqlite")))
        try InitialSync.writeLog(peer, ops: ops)
        port = try await peer.service.listen(host: "127.0.0.1", port: 0).port!
        self.ops = ops
    }
}

let benchmarks: @Sendable () -> Void = {
    // The heap as the `roost` executable sets it up, so the figures are a node's (RoostStore.ProcessAllocator).
    ProcessAllocator.configure()
    let ops = ProcessInfo.processInfo.environment["ROOST_SYNC_OPS"].flatMap { Int($0) } ?? 100_000

    Benchmark(
        "6 initial sync over encrypted loopback TCP (\(ops) ops)",
        configuration: gated(.init(
            metrics: [.wallClock, .cpuTotal, .peakMemoryResident, opsPerSecond, wireBytesPerOp],
            timeUnits: .milliseconds, warmupIterations: 1, maxDuration: .seconds(60), maxIterations: 5))
    ) { benchmark, sender in
        let directory: ScratchDirectory
        let receiver: SyncPeer
        do {
            directory = try ScratchDirectory("sync-receiver")
            receiver = try SyncPeer(seed: 2, store: try OpStore(path: directory.path("receiver.sqlite")))
        } catch {
            return benchmark.error("cannot open the receiver: \(error)")
        }
        benchmark.startMeasurement()
        do {
            let result = try await InitialSync.run(from: sender.peer, port: sender.port, to: receiver, timeout: 600)
            benchmark.stopMeasurement()
            benchmark.measurement(opsPerSecond, Int((Double(sender.ops) / result.seconds).rounded()))
            benchmark.measurement(wireBytesPerOp, Int((Double(result.wireBytes) / Double(sender.ops)).rounded()))
        } catch {
            benchmark.stopMeasurement()
            benchmark.error("initial sync failed: \(error)")
        }
        await receiver.service.shutdown()
        directory.remove()
    } setup: {
        try await Sender(ops: ops)
    } teardown: {
        ScratchDirectory.removeAll()
    }
}
