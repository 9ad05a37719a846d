import Foundation
import GRDB
public import RoostCore
import RoostCrypto

// What a full node reads from its store to keep its view of a partial peer (SPEC-partial.md §P.2, §P.4;
// StorePartialServer in RoostSync): the tickets of the peer's queues, those it wrote in, and what the ops gained
// since its last request did to tickets.

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
