import Foundation
@_spi(StoreInternals) public import RoostStore
public import RoostCore

/// Issue 12's growth curve: the store's figures at several sizes, so that cost per op can be compared from 10,000
/// to 1,000,000 ops (the issue asks that it grows by at most 1.5×). One size, one fresh file store:
/// - local: append `size` ops of the benchmark-1 workload in 1,000-op transactions; the rate over the whole build,
///   and the marginal rate over its last tenth, at least 10 transactions (what one more costs at that size);
/// - bytes: the database file after a WAL checkpoint, per op;
/// - remote: the whole log read as sync reads it (`batch(after:)`, at most `Limits.maxBatchOps` ops a batch) and
///   applied batch by batch to an empty file store (verification included; reading is not timed);
/// - re-fold: `verify()` of the local store.
public struct GrowthPoint: Sendable {
    public var ops: Int
    public var localOpsPerSecond: Double
    public var marginalLocalOpsPerSecond: Double
    public var bytesPerOp: Double
    public var remoteOpsPerSecond: Double
    public var refoldSeconds: Double

    /// Measures one size (see the type's comment).
    public static func measure(ops: Int, batch: Int = 1_000, log: (String) -> Void) throws -> GrowthPoint {
        let node = try LocalNode(label: "growth-\(ops)")
        defer { node.directory.remove() }
        var durations: [UInt64] = []
        let buildStart = nowNanos()
        var done = 0
        while done < ops {
            let n = min(batch, ops - done)
            let bodies = node.workload.next(n)
            let start = nowNanos()
            try node.append(bodies)
            durations.append(nowNanos() - start)
            done += n
            if done % 100_000 == 0 { log("growth \(ops): appended \(done)") }
        }
        let build = nowNanos() - buildStart
        let appendTotal = durations.reduce(0, +)
        let tail = durations.suffix(max(10, durations.count / 10))
        let tailOps = min(ops, tail.count * batch)
        try node.store.writer.writeWithoutTransaction { db in _ = try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        let bytes = fileBytes(node.directory.path("node.sqlite")) + fileBytes(node.directory.path("node.sqlite-wal"))
        log("growth \(ops): built in \(millis(build, places: 0)) ms; reading the log in batches")

        var batches: [OpBatch] = [], position = VersionVector(), read = 0
        while read < ops {
            let next = try node.store.batch(after: position)
            guard let last = next.ops.last else { break }
            position[LogID(author: last.header.author, epoch: last.header.epoch)] = last.header.seq
            read += next.ops.count
            batches.append(next)
        }
        precondition(read == ops, "read \(read) of \(ops) ops")
        let sink = try EmptyNode(label: "growth-sink-\(ops)")
        defer { sink.directory.remove() }
        var start = nowNanos()
        var applied = 0
        for batch in batches { applied += try sink.store.apply(batch, clock: SystemClock()).applied }
        let apply = nowNanos() - start
        precondition(applied == ops, "applied \(applied) of \(ops)")

        start = nowNanos()
        let verified = try node.store.verify()
        let refold = nowNanos() - start
        precondition(verified.isOK && verified.ops == ops, "verify: \(verified.problems.prefix(2))")
        return GrowthPoint(ops: ops, localOpsPerSecond: rate(ops, appendTotal),
                           marginalLocalOpsPerSecond: rate(tailOps, tail.reduce(0, +)),
                           bytesPerOp: Double(bytes) / Double(ops), remoteOpsPerSecond: rate(ops, apply),
                           refoldSeconds: Double(refold) / 1e9)
    }

    static func fileBytes(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }
}
