import Foundation
import GRDB
public import RoostCore
import RoostCrypto

/// One format 2 op as a store holds it: its rebuilt hashed header, its hash, and its body v2 (nil when held without it).
public struct StoredOpV2: Hashable, Sendable {
    /// The hashed header (SPEC-format-2.md §2.4).
    public var header: OpHeaderV2
    /// The op hash.
    public var hash: Bytes32
    /// The body v2 encoding; nil when the op is held without it.
    public var body: [UInt8]?

    /// Creates a stored op.
    public init(header: OpHeaderV2, hash: Bytes32, body: [UInt8]?) {
        self.header = header
        self.hash = hash
        self.body = body
    }
}

/// Reads a store's format 2 logs inside one read transaction (``OpStore/readFormat2(_:)``), as a full node answers a
/// partial peer from them (SPEC-partial.md §P.4): their sealed tops, seals, ops with their hashes, and a scope's ops.
/// Valid only inside that closure.
public struct Format2LogReader {
    let db: Database
    private var logRows: [LogID: Int64] = [:]
    private var format2: [LogID: UInt64]?

    init(db: Database) { self.db = db }

    /// The format 2 logs held and, for each, its highest sealed seq (every op up to it is held).
    public mutating func logs() throws -> [LogID: UInt64] {
        if let format2 { return format2 }
        let versions = try OpStore.format2Logs(db)
        var out: [LogID: UInt64] = [:]
        for summary in try OpStore.logSummaries(db) where versions.contains(summary.log) { out[summary.log] = summary.sealed }
        format2 = out
        return out
    }

    /// The seals of `log` whose last seq is in `range`, in order.
    public mutating func seals(_ log: LogID, endingIn range: ClosedRange<UInt64>) throws -> [SealV2] {
        guard let logRow = try logRow(log) else { return [] }
        return try OpStore.sealsV2(log, logRow: logRow, endingIn: range, db)
    }

    /// The seal of `log` whose range holds `seq`, if held.
    public mutating func seal(_ log: LogID, covering seq: UInt64) throws -> SealV2? {
        guard let logRow = try logRow(log),
              let seal = try OpStore.sealsV2(log, logRow: logRow, endingIn: seq...UInt64(Int64.max), limit: 1, db).first,
              seal.fromSeq <= seq else { return nil }
        return seal
    }

    /// The ops of `log` from `first` through `last`, in order, with their hashes (recomputed forward from the nearest
    /// kept one, or from `prev`, the hash of the op at `first - 1` when the caller has it). Throws when one between is
    /// not held.
    public mutating func ops(_ log: LogID, from first: UInt64, through last: UInt64, prev: Bytes32? = nil) throws -> [StoredOpV2] {
        guard first >= 1, first <= last, let logRow = try logRow(log),
              let before = try first == 1 ? Bytes32.zero : prev ?? OpStore.opHash(log, seq: first - 1, db) else { return [] }
        var out: [StoredOpV2] = []
        out.reserveCapacity(Int(last - first + 1))
        try OpStore.chainSteps(log, logRow: logRow, from: OpStore.KnownHash(seq: first - 1, hash: before), through: last, db) { step in
            guard let v2 = step.v2 else { throw StoreError.corrupt("a format 2 log's op without its scope") }
            out.append(StoredOpV2(header: v2.header, hash: step.hash, body: v2.body))
        }
        return out
    }

    /// Every held seq of `scope` in each format 2 log, ascending: from the scope's newest op in each log (`scope_head`,
    /// one seek per log: `CROSS JOIN` keeps SQLite from scanning `scope_head` by scope) back along the scope prev
    /// distances.
    public mutating func seqs(of scope: ScopeID) throws -> [LogID: [UInt64]] {
        var head = try FastStatement(db, """
            SELECT l.author, l.epoch, h.log, h.seq FROM scope s CROSS JOIN log l CROSS JOIN scope_head h
            WHERE s.sid = ? AND h.log = l.id AND h.scope = s.id
            """)
        head.bind(scope.bytes)
        var heads: [(LogID, Int64, UInt64)] = []
        try head.forEachRow { row in
            heads.append((LogID(author: AuthorID(key: try row.bytes32(0, "author")), epoch: try row.u64(1, "epoch")),
                          row.int64(2), try row.u64(3, "seq")))
            return true
        }
        var out: [LogID: [UInt64]] = [:]
        for (log, logRow, newest) in heads { out[log] = try OpStore.scopeSeqs(logRow: logRow, from: newest, db).reversed() }
        return out
    }

    private mutating func logRow(_ log: LogID) throws -> Int64? {
        if let row = logRows[log] { return row }
        let row = try OpStore.existingLogRow(log, db)
        logRows[log] = row
        return row
    }
}

extension OpStore {
    /// Runs `work` with a reader of this store's format 2 logs, in one read transaction.
    public func readFormat2<T>(_ work: (inout Format2LogReader) throws -> T) throws(StoreError) -> T {
        try read { db in
            var reader = Format2LogReader(db: db)
            return try work(&reader)
        }
    }
}
