import Foundation
import GRDB
import RoostCore
import RoostCrypto

/// What ``OpStore/checkFormat2Logs(report:_:)`` walked of one format 2 log.
struct Format2LogWalk {
    var seq: UInt64
    var hash: Bytes32
}

extension OpStore {
    /// The format 2 logs this store holds (`log.version` 2).
    static func format2Logs(_ db: Database) throws -> Set<LogID> {
        var logs = Set<LogID>()
        var select = try FastStatement(db, "SELECT author, epoch FROM log WHERE version = 2")
        try select.forEachRow { row in
            logs.insert(LogID(author: AuthorID(key: try row.bytes32(0, "author")), epoch: try row.u64(1, "epoch")))
            return true
        }
        return logs
    }

    /// Verify's checks of every format 2 log (Protocol/SPEC-format-2.md §2.4–§2.5), which the format 1 walk leaves
    /// out: each op's header rebuilt from its row — prev and scope prev from the ops before it (the row's scope prev
    /// distance must agree), the body's length and hash from the stored body v2 (or kept, for an op held without it) —
    /// hashed and compared with the hashes kept along the chain (checkpoints, an op held without its body); seqs without
    /// gaps; every seal's signature, head and scopes root recomputed from its range; the head's seq and hash; every op
    /// covered by a seal; `scope_head` naming each scope's newest op. Returns the logs walked.
    static func checkFormat2Logs(report: inout VerifyReport, _ db: Database) throws -> [LogID: Format2LogWalk] {
        var walked: [LogID: Format2LogWalk] = [:]
        var logs = try FastStatement(db, "SELECT id, author, epoch FROM log WHERE version = 2 ORDER BY author, epoch")
        var found: [(Int64, LogID)] = []
        try logs.forEachRow { row in
            found.append((row.int64(0), LogID(author: AuthorID(key: try row.bytes32(1, "author")), epoch: try row.u64(2, "epoch"))))
            return true
        }
        let partial = try partialLogRows(db)
        for (logRow, log) in found {
            if partial.contains(logRow) {
                try checkPartialLog(logRow: logRow, log: log, report: &report, db)
                continue
            }
            let (walk, leaves) = try walkFormat2Log(logRow: logRow, log: log, report: &report, db)
            guard let walk else { continue }
            try checkScopeHeads(logRow: logRow, log: log, leaves: leaves, report: &report, db)
            walked[log] = walk
            var sealed: UInt64 = 0
            for seal in try sealsV2(log, logRow: logRow, endingAfter: 0, db) {
                report.seals += 1
                let name = "seal \(log)/\(seal.seq)"
                guard seal.seq <= walk.seq, seal.fromSeq >= 1, seal.fromSeq <= seal.seq else {
                    report.problems.append("\(name): its range is not held")
                    continue
                }
                let range = Array(leaves[Int(seal.fromSeq - 1)..<Int(seal.seq)])
                if range[range.count - 1].hash != seal.head {
                    report.problems.append("\(name): its head is not the hash of the op at that seq")
                } else if !OpCryptoV2.verify(seal) {
                    report.problems.append("\(name): signature does not verify")
                } else if OpCryptoV2.root(OpCryptoV2.leaves(of: range)) != seal.scopesRoot {
                    report.problems.append("\(name): its scopes root is not that of its range")
                } else {
                    sealed = max(sealed, seal.seq)
                }
            }
            if let head = try Self.head(of: log, db) {
                if head.seq != walk.seq {
                    report.problems.append("log \(log): head says seq \(head.seq) but the chain ends at \(walk.seq)")
                } else if head.hash != walk.hash {
                    report.problems.append("log \(log): the chain does not end at its head's hash (an op was altered)")
                }
            } else {
                report.problems.append("log \(log): ops without a head row")
            }
            if sealed < walk.seq {
                report.problems.append("log \(log): ops after seq \(sealed) are not covered by a valid seal")
            }
        }
        return walked
    }

    /// One format 2 log's walk: its end, and the scope and hash of each op from seq 1 (for the seals' ranges). Nil when
    /// the log has no op.
    private static func walkFormat2Log(logRow: Int64, log: LogID, report: inout VerifyReport, _ db: Database) throws
        -> (Format2LogWalk?, [(scope: ScopeID, hash: Bytes32)]) {
        var rows = try FastStatement(db, """
            SELECT r.seq, r.hlc, r.kind, s.sid, r.body, b.body_len, b.body_hash, b.hash, c.hash, r.scope_gap
            FROM op_row r LEFT JOIN scope s ON s.id = r.scope LEFT JOIN op_bodyless b ON b.log = r.log AND b.seq = r.seq
                LEFT JOIN op_check c ON c.log = r.log AND c.seq = r.seq
            WHERE r.log = ? ORDER BY r.seq
            """)
        rows.bind(logRow)
        var prev = Bytes32.zero
        var lastInScope: [ScopeID: UInt64] = [:]
        var leaves: [(scope: ScopeID, hash: Bytes32)] = []
        var expected: UInt64 = 1
        var broken = false
        try rows.forEachRow { row in
            let seq = try row.u64(0, "seq")
            let ref = OpRef(author: log.author, epoch: log.epoch, seq: seq)
            guard seq == expected else {
                report.problems.append("op \(ref): seq gap, expected \(expected)")
                broken = true
                return false
            }
            guard let sid = row.blob(3), let scope = ScopeID(sid) else {
                report.problems.append("op \(ref): a format 2 op without its scope")
                broken = true
                return false
            }
            let kind = try OpRow.kind(row.int64(2))
            let bodyLength: UInt32, bodyHash: Bytes32
            if let body = row.blob(4) {
                bodyLength = UInt32(body.count)
                bodyHash = OpCrypto.bodyHash(body)
                do {
                    _ = try OpBody.decodeV2(kind: kind, bytes: body)
                } catch {
                    report.problems.append("op \(ref): body does not decode: \(error)")
                }
            } else if !row.isNull(6) {
                bodyLength = UInt32(clamping: row.int64(5))
                bodyHash = try row.bytes32(6, "body_hash")
            } else {
                report.problems.append("op \(ref): an op row has neither its body nor its body hash")
                broken = true
                return false
            }
            let scopePrev = lastInScope[scope] ?? 0
            let storedGap = row.isNull(9) ? 0 : try row.u64(9, "scope_gap")
            if storedGap != (scopePrev == 0 ? 0 : seq - scopePrev) {
                report.problems.append("op \(ref): its row's scope prev is not the previous op of its scope")
            }
            let header = OpHeaderV2(author: log.author, epoch: log.epoch, seq: seq, prev: prev, hlc: HLC(rawValue: try row.u64(1, "hlc")),
                                    kind: kind, scope: scope, scopePrev: scopePrev, bodyLength: bodyLength, bodyHash: bodyHash)
            var hash = OpCryptoV2.opHash(header)
            if !row.isNull(7), try row.bytes32(7, "hash") != hash {
                report.problems.append("op \(ref): header does not hash to its stored hash (altered)")
            }
            if !row.isNull(8), case let kept = try row.bytes32(8, "hash"), kept != hash {
                report.problems.append("op \(ref): the chain does not reach the hash kept at this seq (an op at or before it "
                                       + "was altered)")
                // The walk goes on from the kept hash, which the ops after it link to: one alteration is named once.
                hash = kept
            }
            prev = hash
            lastInScope[scope] = seq
            leaves.append((scope, hash))
            expected += 1
            return true
        }
        if broken || leaves.isEmpty { return (nil, leaves) }
        return (Format2LogWalk(seq: expected - 1, hash: prev), leaves)
    }

    /// `scope_head` of one log against its walk: one row per scope of the log, at the scope's newest op.
    private static func checkScopeHeads(logRow: Int64, log: LogID, leaves: [(scope: ScopeID, hash: Bytes32)],
                                        report: inout VerifyReport, _ db: Database) throws {
        var newest: [ScopeID: UInt64] = [:]
        for (index, leaf) in leaves.enumerated() { newest[leaf.scope] = UInt64(index + 1) }
        var heads = try FastStatement(db, "SELECT s.sid, h.seq FROM scope_head h JOIN scope s ON s.id = h.scope WHERE h.log = ?")
        heads.bind(logRow)
        var named: [ScopeID: UInt64] = [:]
        try heads.forEachRow { row in
            guard let sid = row.blob(0), let scope = ScopeID(sid) else { throw StoreError.corrupt("a scope id is not 16 bytes") }
            named[scope] = try row.u64(1, "seq")
            return true
        }
        if named != newest {
            let wrong = Set(named.keys).union(newest.keys).filter { named[$0] != newest[$0] }.count
            report.problems.append("log \(log): \(wrong) scopes' newest op is not the one `scope_head` names")
        }
    }
}
