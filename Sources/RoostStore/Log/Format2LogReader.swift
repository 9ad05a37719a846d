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
        for (log, logRow, newest) in heads {
            var seqs: [UInt64] = []
            var at = newest
            while true {
                seqs.append(at)
                var back = try FastStatement(db, "SELECT scope_gap FROM op_row WHERE log = ? AND seq = ?")
                back.bind(logRow)
                back.bind(at)
                let gap = try back.firstRow { row in row.isNull(0) ? UInt64(0) : try row.u64(0, "scope_gap") } ?? 0
                guard gap > 0 else { break }
                guard gap < at else { throw StoreError.corrupt("op \(at): a scope prev below seq 1") }
                at -= gap
            }
            out[log] = seqs.reversed()
        }
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

/// What a full node reads from its store to compute which tickets a partial peer holds (SPEC-partial.md §P.2).
public struct PartialViewRows: Sendable {
    /// The tickets whose queue is one of the peer's, with their customers.
    public var queued: [(key: String, customer: String)] = []
    /// The tickets in whose scope the peer's format 2 logs wrote, with their customers (nil: the store has no
    /// desk row of the ticket yet).
    public var touched: [(key: String, customer: String?)] = []
}

/// What the format 2 ops a store gained after a vector did to one ticket (SPEC-partial.md §P.4).
public struct TicketChange: Sendable {
    /// Its `queue` writes, winning or not, in each log's order (nil: a null or non-string value).
    public var queueWrites: [String?] = []
    /// Whether an insert of the ticket is among the ops.
    public var inserted = false
    /// The ticket's desk row now: its queue and customer (nil: the store has no desk row of it).
    public var queue: String?
    public var customer: String?
    public var hasRow = false
}

extension OpStore {
    /// The tickets in `queues` (``RoutingRules/defaultQueue`` stands for tickets without a queue too) with their
    /// customers, and the tickets `author`'s format 2 logs wrote in (``touchedTickets(author:names:)``), read in one
    /// transaction.
    public func partialViewRows(queues: Set<String>, author: AuthorID,
                                names: inout [ScopeID: String]) throws(StoreError) -> PartialViewRows {
        try read { db in
            var rows = PartialViewRows()
            for queue in queues.sorted() {
                let sql = queue == RoutingRules.defaultQueue
                    ? "SELECT key, customer FROM desk_ticket WHERE queue = ? OR queue IS NULL"
                    : "SELECT key, customer FROM desk_ticket WHERE queue = ?"
                let cursor = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: [queue])
                while let row = try cursor.next() { rows.queued.append((row[0], row[1])) }
            }
            rows.touched = try Self.touchedTickets(author: author, names: &names, db)
            return rows
        }
    }

    /// The tickets in whose scope `author`'s format 2 logs wrote, with their customers (nil: no desk row yet).
    /// `names` caches the names of scopes written (SPEC-format-2.md §2.2: "t/…", "c/…", "g"), learned from the newest
    /// op with a body of each scope in the author's logs; a scope not named yet (its ops all held without their body)
    /// is tried again at the next call.
    /// `after` (each log's seq) keeps only the scopes written after it: those a caller that read the tickets touched up
    /// to it has not seen.
    public func touchedTickets(author: AuthorID, names: inout [ScopeID: String],
                               after: [LogID: UInt64] = [:]) throws(StoreError) -> [(key: String, customer: String?)] {
        try read { db in try Self.touchedTickets(author: author, names: &names, after: after, db) }
    }

    static func touchedTickets(author: AuthorID, names: inout [ScopeID: String], after: [LogID: UInt64] = [:],
                               _ db: Database) throws -> [(key: String, customer: String?)] {
        var touched: [(key: String, customer: String?)] = []
        var written: [Row] = []
        for logRow in try Row.fetchAll(db.cachedStatement(sql: "SELECT id, epoch FROM log WHERE author = ?"), arguments: [author.key.data]) {
            let epoch: Int64 = logRow[1]
            let seen = after[LogID(author: author, epoch: UInt64(clamping: epoch))] ?? 0
            written += try Row.fetchAll(db.cachedStatement(sql: """
                SELECT s.sid, h.log, h.seq FROM scope_head h CROSS JOIN scope s WHERE h.log = ? AND h.seq > ? AND s.id = h.scope
                """), arguments: [logRow[0] as Int64, Int64(clamping: seen)])
        }
        for row in written {
            guard let scope = (row[0] as Data?).flatMap({ ScopeID([UInt8]($0)) }) else { continue }
            if names[scope] == nil, let name = try Self.scopeName(scope, logRow: row[1], newest: row[2], db) {
                names[scope] = name
            }
            guard let name = names[scope], name.hasPrefix("t/") else { continue }
            let key = String(name.dropFirst(2))
            let customer = try String.fetchOne(db.cachedStatement(sql: "SELECT customer FROM desk_ticket WHERE key = ?"),
                                               arguments: [key])
            touched.append((key, customer))
        }
        return touched
    }

    /// The name of `scope` from the newest op with a body among a format 2 log's ops of it (walking back from `newest`
    /// along the scope prev distances); nil when none has a body or names another scope.
    static func scopeName(_ scope: ScopeID, logRow: Int64, newest: Int64, _ db: Database) throws -> String? {
        var at = newest
        while at >= 1 {
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT kind, body, scope_gap FROM op_row WHERE log = ? AND seq = ?"),
                                             arguments: [logRow, at]) else { return nil }
            if let data = row[1] as Data?, case let bytes = [UInt8](data), let kind = OpKind(rawValue: UInt16(clamping: row[0] as Int64)),
               let body = try? OpBody.decodeV2(kind: kind, bytes: bytes) {
                let name = Scope.name(of: body) { message in
                    (try? String.fetchOne(db.cachedStatement(sql: "SELECT ticket FROM desk_message WHERE id = ?"), arguments: [message])) ?? nil
                }
                return OpCryptoV2.scopeID(name) == scope ? name : nil
            }
            guard let gap = row[2] as Int64?, gap > 0 else { return nil }
            at -= gap
        }
        return nil
    }
}

extension OpStore {
    /// Each format 2 log's sealed top, and, when `scan`, what the ops of the format 2 logs after `vector` did to
    /// tickets: their `queue` writes (every one, winning or not, in each log's order) and inserts, with each such
    /// ticket's desk row now. What a full node reads to see which tickets went in or out of a partial peer's queues
    /// between two of its requests (SPEC-partial.md §P.4).
    public func ticketChanges(after vector: [LogID: UInt64], scan: Bool = true) throws(StoreError)
        -> (changes: [String: TicketChange], tops: [LogID: UInt64]) {
        try read { db in
            var reader = Format2LogReader(db: db)
            let tops = try reader.logs()
            var changes: [String: TicketChange] = [:]
            guard scan else { return (changes, tops) }
            for (log, top) in tops where top > vector[log] ?? 0 {
                guard let logRow = try Self.existingLogRow(log, db) else { continue }
                let rows = try Row.fetchCursor(db.cachedStatement(sql: """
                    SELECT kind, body FROM op_row WHERE log = ? AND seq > ? AND seq <= ? AND kind IN (?, ?) AND body IS NOT NULL
                    ORDER BY seq
                    """), arguments: [logRow, Int64(vector[log] ?? 0), Int64(top), Int64(OpKind.set.rawValue), Int64(OpKind.insert.rawValue)])
                while let row = try rows.next() {
                    guard let kind = OpKind(rawValue: UInt16(clamping: row[0] as Int64)), let data = row[1] as Data?,
                          let body = try? OpBody.decodeV2(kind: kind, bytes: [UInt8](data)),
                          body.entity.collection == Desk.ticket else { continue }
                    switch body {
                    case let .set(entity, "queue", value):
                        if case let .string(queue) = value { changes[entity.key, default: .init()].queueWrites.append(queue) }
                        else { changes[entity.key, default: .init()].queueWrites.append(nil) }
                    case let .insert(entity, _):
                        changes[entity.key, default: .init()].inserted = true
                    default:
                        continue
                    }
                }
            }
            for key in Array(changes.keys) {
                if let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT queue, customer FROM desk_ticket WHERE key = ?"),
                                              arguments: [key]) {
                    changes[key]!.queue = row[0]
                    changes[key]!.customer = row[1]
                    changes[key]!.hasRow = true
                }
            }
            return (changes, tops)
        }
    }
}
