import Foundation
import GRDB
public import RoostCore
import RoostCrypto

extension OpStore {
    /// What this store holds of its format 2 logs beyond `vector`, as a full node sends it to a full peer
    /// (SPEC-format-2.md §2.6, SPEC-partial.md §P.4): per log, one batch of whole seal ranges — from the first op of the
    /// seal range the peer is in (ops it holds come again, as duplicates, so every seal's scopes root is recomputed from
    /// the run alone) through the newest seal that keeps the total within `limit` ops (a log's first range always goes).
    /// Each batch holds one log's ops and the seals v2 ending in them: ``RunV2`` makes it a run.
    public func batchesV2(after vector: VersionVector, limit: Int = Limits.maxBatchOps) throws(StoreError) -> [OpBatchV2] {
        try read { db in
            let format2 = try Self.format2Logs(db)
            var batches: [OpBatchV2] = []
            var taken = 0
            for summary in try Self.logSummaries(db) where format2.contains(summary.log) && summary.sealed > vector[summary.log] {
                guard taken < limit || batches.isEmpty, let logRow = try Self.existingLogRow(summary.log, db) else { break }
                let seals = try Self.sealsV2(summary.log, logRow: logRow, endingAfter: vector[summary.log], db)
                guard let first = seals.first else { continue }
                let start = first.fromSeq
                var end = first.seq
                for seal in seals.dropFirst() where Int(seal.seq - start + 1) + taken <= limit { end = seal.seq }
                guard let before = try start == 1 ? Bytes32.zero : Self.opHash(summary.log, seq: start - 1, db) else { continue }
                var ops: [OpBatchV2.Op] = []
                try Self.chainSteps(summary.log, logRow: logRow, from: KnownHash(seq: start - 1, hash: before), through: end, db) { step in
                    guard let v2 = step.v2 else { throw StoreError.corrupt("a format 2 log's op without its scope") }
                    ops.append(OpBatchV2.Op(header: v2.header, body: v2.body))
                }
                guard ops.count == Int(end - start + 1) else { throw StoreError.corrupt("log \(summary.log): ops missing below seq \(end)") }
                batches.append(OpBatchV2(ops: ops, seals: seals.filter { $0.seq <= end }))
                taken += ops.count
            }
            return batches
        }
    }

    /// The seals v2 of a log ending after `seq`, in order.
    static func sealsV2(_ log: LogID, logRow: Int64, endingAfter seq: UInt64, _ db: Database) throws -> [SealV2] {
        try sealsV2(log, logRow: logRow, endingIn: (seq + 1)...UInt64(Int64.max), db)
    }

    /// The seals v2 of a log whose last seq is in `range`, in order; at most `limit`.
    static func sealsV2(_ log: LogID, logRow: Int64, endingIn range: ClosedRange<UInt64>, limit: Int = .max,
                        _ db: Database) throws -> [SealV2] {
        var select = try FastStatement(db, """
            SELECT seq, from_seq, head, scopes_root, signature FROM seal_v2 WHERE log = ? AND seq BETWEEN ? AND ? ORDER BY seq LIMIT ?
            """)
        select.bind(logRow)
        select.bind(range.lowerBound)
        select.bind(min(range.upperBound, UInt64(Int64.max)))
        select.bind(Int64(limit))
        var seals: [SealV2] = []
        try select.forEachRow { row in
            seals.append(SealV2(author: log.author, epoch: log.epoch, fromSeq: try row.u64(1, "from_seq"), seq: try row.u64(0, "seq"),
                                head: try row.bytes32(2, "head"), scopesRoot: try row.bytes32(3, "scopes_root"),
                                signature: row.blob(4) ?? []))
            return true
        }
        return seals
    }
}
