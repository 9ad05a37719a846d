import Foundation
import GRDB
import RoostCore
import RoostCrypto

/// An op's hash is not stored with it (Protocol/DESIGN-format-2.md F2.3): it is kept only where it cannot be
/// recomputed (an op held without its body) and at checkpoints — every ``StoreLimits/opCheckInterval``-th op
/// (`op_check`), every seal's head and every log's head. Any other op's hash is recomputed forward from the nearest
/// kept one at or before it: one BLAKE2b of each header between (and of each body, for its body hash).
extension OpStore {
    /// A position of a log whose op hash is known.
    struct KnownHash: Equatable {
        var seq: UInt64
        var hash: Bytes32
    }

    /// The hash of the op at `seq` of `log`, or nil when it is not held. `known`, when given, is a position at or before
    /// `seq` whose hash the caller holds (a walk in log order), used when it is nearer than every kept hash.
    static func opHash(_ log: LogID, seq: UInt64, after known: KnownHash? = nil, _ db: Database) throws -> Bytes32? {
        guard seq >= 1, let logRow = try existingLogRow(log, db) else { return nil }
        if let head = try head(of: log, db) {
            if head.seq == seq { return head.hash }
        }
        var start = KnownHash(seq: 0, hash: .zero)
        if let known, known.seq <= seq { start = known }
        func nearer(_ sql: String, _ bind: (inout FastStatement) -> Void) throws {
            var statement = try FastStatement(db, sql)
            bind(&statement)
            if let found = try statement.firstRow({ row in KnownHash(seq: try row.u64(0, "seq"), hash: try row.bytes32(1, "hash")) }),
               found.seq > start.seq {
                start = found
            }
        }
        guard start.seq < seq else { return start.hash }
        try nearer("SELECT seq, hash FROM op_check WHERE log = ? AND seq <= ? ORDER BY seq DESC LIMIT 1") {
            $0.bind(logRow)
            $0.bind(seq)
        }
        try nearer("SELECT seq, head FROM seal WHERE author = ? AND epoch = ? AND seq <= ? ORDER BY seq DESC LIMIT 1") {
            $0.bind(log.author.key)
            $0.bind(log.epoch)
            $0.bind(seq)
        }
        try nearer("SELECT seq, head FROM seal_v2 WHERE log = ? AND seq <= ? ORDER BY seq DESC LIMIT 1") {
            $0.bind(logRow)
            $0.bind(seq)
        }
        // Ops held without a body keep their hash (in `op_bodyless`).
        try nearer("SELECT seq, hash FROM op_bodyless WHERE log = ? AND seq <= ? ORDER BY seq DESC LIMIT 1") {
            $0.bind(logRow)
            $0.bind(seq)
        }
        if start.seq == seq { return start.hash }
        var hash: Bytes32? = nil
        try chainForward(log, logRow: logRow, from: start, through: seq, db) { _, found in hash = found }
        return hash
    }

    /// The hash of the op at `ref` computed from its row and the hash of the op before it, so never taken from a kept
    /// hash at `ref` itself (a seal's head is checked against it); nil when it is not held.
    static func recomputedHash(_ ref: OpRef, _ db: Database) throws -> Bytes32? {
        guard ref.seq >= 1, let logRow = try existingLogRow(ref.log, db) else { return nil }
        let prev = ref.seq == 1 ? Bytes32.zero : try opHash(ref.log, seq: ref.seq - 1, db)
        guard let prev else { return nil }
        var hash: Bytes32? = nil
        try chainForward(ref.log, logRow: logRow, from: KnownHash(seq: ref.seq - 1, hash: prev), through: ref.seq, db) { hash = $1 }
        return hash
    }

    /// Recomputes the hashes of the ops after `start` up to `last` in order, giving each to `each`; stops early at the
    /// end of what is held. Throws when an op between is missing (a log is held from its first op, without holes).
    static func chainForward(_ log: LogID, logRow: Int64, from start: KnownHash, through last: UInt64, _ db: Database,
                             _ each: (UInt64, Bytes32) throws -> Void) throws {
        try chainForward(log, logRow: logRow, from: start, through: last, db) { seq, _, hash in try each(seq, hash) }
    }

    /// ``chainForward(_:logRow:from:through:_:_:)`` giving each op's scope too (nil in a format 1 log).
    static func chainForward(_ log: LogID, logRow: Int64, from start: KnownHash, through last: UInt64, _ db: Database,
                             _ each: (UInt64, ScopeID?, Bytes32) throws -> Void) throws {
        try chainSteps(log, logRow: logRow, from: start, through: last, db) { step in try each(step.seq, step.scope, step.hash) }
    }

    /// One op of a chain walk: its seq, scope (format 2) and hash, and a format 2 op's rebuilt header and stored body.
    struct ChainStep {
        var seq: UInt64
        var scope: ScopeID?
        var hash: Bytes32
        /// A format 2 op's header and body v2 (nil when held without it).
        var v2: (header: OpHeaderV2, body: [UInt8]?)?
    }

    /// The chain walk under ``chainForward(_:logRow:from:through:_:_:)``. A format 2 op's header is rebuilt with its
    /// scope and its scope prev (the row's distance), and its body v2's length and hash: its hash depends on the ops
    /// before it through `prev` only (SPEC-format-2.md §2.4), as a format 1 op's.
    static func chainSteps(_ log: LogID, logRow: Int64, from start: KnownHash, through last: UInt64, _ db: Database,
                           _ each: (ChainStep) throws -> Void) throws {
        var rows = try FastStatement(db, """
            SELECT r.seq, r.hlc, r.kind, b.body_len, b.body_hash, r.body, s.sid, r.scope_gap
            FROM op_row r LEFT JOIN op_bodyless b ON b.log = r.log AND b.seq = r.seq LEFT JOIN scope s ON s.id = r.scope
            WHERE r.log = ? AND r.seq > ? AND r.seq <= ? ORDER BY r.seq
            """)
        rows.bind(logRow)
        rows.bind(start.seq)
        rows.bind(last)
        var prev = start.hash
        var expected = start.seq + 1
        try rows.forEachRow { row in
            let seq = try row.u64(0, "seq")
            guard seq == expected else {
                throw StoreError.corrupt("op \(OpRef(author: log.author, epoch: log.epoch, seq: expected)) is not held below seq \(seq)")
            }
            let kind = try OpRow.kind(row.int64(2))
            let scope = row.blob(6).flatMap(ScopeID.init)
            if !row.isNull(6) && scope == nil { throw StoreError.corrupt("a scope id is not 16 bytes") }
            let bodyHash: Bytes32, bodyLength: UInt32
            if !row.isNull(4) {
                bodyHash = try row.bytes32(4, "body_hash")
                bodyLength = UInt32(clamping: row.int64(3))
            } else if let stored = row.blob(5) {
                // A format 2 header commits to the stored bytes (body v2); a format 1 header to the format 1 bytes.
                let bytes = scope != nil ? stored : try StoredBody.decode(stored, kind: kind, at: OpRef(author: log.author, epoch: log.epoch, seq: seq)).bytes
                bodyHash = OpCrypto.bodyHash(bytes)
                bodyLength = UInt32(bytes.count)
            } else {
                throw StoreError.corrupt("an op row has neither its body nor its body hash")
            }
            let hlc = HLC(rawValue: try row.u64(1, "hlc"))
            var v2: (header: OpHeaderV2, body: [UInt8]?)? = nil
            if let scope {
                let gap = row.isNull(7) ? 0 : try row.u64(7, "scope_gap")
                guard gap < seq else { throw StoreError.corrupt("op \(seq): a scope prev below seq 1") }
                let header = OpHeaderV2(author: log.author, epoch: log.epoch, seq: seq, prev: prev, hlc: hlc, kind: kind, scope: scope,
                                        scopePrev: gap == 0 ? 0 : seq - gap, bodyLength: bodyLength, bodyHash: bodyHash)
                prev = OpCryptoV2.opHash(header)
                v2 = (header, row.isNull(4) ? row.blob(5) : nil)
            } else {
                prev = OpCrypto.headerHash(OpHeader(author: log.author, epoch: log.epoch, seq: seq, prev: prev, hlc: hlc, kind: kind,
                                                    bodyLength: bodyLength, bodyHash: bodyHash))
            }
            try each(ChainStep(seq: seq, scope: scope, hash: prev, v2: v2))
            expected += 1
            return true
        }
    }

    /// The number `log` stores for a log, or nil when it holds none of its ops.
    static func existingLogRow(_ log: LogID, _ db: Database) throws -> Int64? {
        var select = try FastStatement(db, "SELECT id FROM log WHERE author = ? AND epoch = ?")
        select.bind(log.author.key)
        select.bind(log.epoch)
        return try select.firstRow { $0.int64(0) }
    }
}
