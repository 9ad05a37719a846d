import Foundation
import GRDB
public import RoostCore

// The team's format 1 history as partial replication sees it (Protocol/SPEC-partial.md §P.2 rule 5, §P.3c): format 1
// logs carry no scopes and their seals cover whole ranges, so a partial node holds them whole, as a full node does,
// and holds every ticket and customer they name. Both sides of a partial session read the same facts from their stores.

/// One op of a format 1 log, as partial replication learns from it: when and by whom it was made, its body (nil when
/// the store holds it without one), and the name of its scope (SPEC-format-2.md §2.2; nil without a body). Read by ``OpStore/forEachFormat1Op(after:chunk:_:)``.
public struct HistoryOp: Sendable {
    /// The op's stamp.
    public var stamp: Stamp
    /// Its body, if held.
    public var body: OpBody?
    /// The name of its scope ("g", "t/…", "c/…"), if its body is held.
    public var scope: String?

    /// Creates a history op.
    public init(stamp: Stamp, body: OpBody?, scope: String?) {
        self.stamp = stamp
        self.body = body
        self.scope = scope
    }
}

extension OpStore {
    /// The tickets and customers the store's format 1 logs past `after` name (their "t/…" and "c/…" scopes), with every
    /// format 1 log's top: what a full node's view of a partial peer needs of the history.
    public func format1Names(after: [LogID: UInt64] = [:]) throws(StoreError)
        -> (tickets: Set<String>, customers: Set<String>, tops: [LogID: UInt64]) {
        var tickets = Set<String>(), customers = Set<String>()
        let tops = try forEachFormat1Op(after: after) { ops in
            for case let scope? in ops.map(\.scope) {
                if scope.hasPrefix("t/") { tickets.insert(String(scope.dropFirst(2))) }
                else if scope.hasPrefix("c/") { customers.insert(String(scope.dropFirst(2))) }
            }
        }
        return (tickets, customers, tops)
    }

    /// Reads the ops of the store's format 1 logs past `after` in one read transaction and hands them to `body`
    /// `chunk` at a time, each log's in seq order; returns every format 1 log's top.
    public func forEachFormat1Op(after: [LogID: UInt64] = [:], chunk: Int = 10_000,
                                 _ body: ([HistoryOp]) -> Void) throws(StoreError) -> [LogID: UInt64] {
        try read { db in
            var tops: [LogID: UInt64] = [:]
            var pending: [HistoryOp] = []
            pending.reserveCapacity(chunk)
            let logs = try Row.fetchAll(db.cachedStatement(sql: "SELECT id, author, epoch FROM log WHERE version IS NOT 2 ORDER BY id"))
            let ticketOfMessage = try db.cachedStatement(sql: "SELECT ticket FROM desk_message WHERE id = ?")
            for logRow in logs {
                guard let author = (logRow[1] as Data?).flatMap({ Bytes32([UInt8]($0)) }) else {
                    throw StoreError.corrupt("a log row without a 32-byte author")
                }
                let log = LogID(author: AuthorID(key: author), epoch: UInt64(clamping: logRow[2] as Int64))
                let from = after[log] ?? 0
                let cursor = try Row.fetchCursor(db.cachedStatement(sql: """
                    SELECT seq, hlc, kind, body FROM op_row WHERE log = ? AND seq > ? ORDER BY seq
                    """), arguments: [logRow[0] as Int64, Int64(clamping: from)])
                var top = from
                while let row = try cursor.next() {
                    let seq = UInt64(clamping: row[0] as Int64)
                    top = seq
                    let ref = OpRef(author: log.author, epoch: log.epoch, seq: seq)
                    let stamp = Stamp(hlc: HLC(rawValue: UInt64(bitPattern: row[1] as Int64)), ref: ref)
                    if let data = row[3] as Data?, let kind = OpKind(rawValue: UInt16(clamping: row[2] as Int64)) {
                        let decoded = try StoredBody.decode([UInt8](data), kind: kind, at: ref).body
                        let scope = Scope.name(of: decoded) { message in
                            (try? String.fetchOne(ticketOfMessage, arguments: [message])) ?? nil
                        }
                        pending.append(HistoryOp(stamp: stamp, body: decoded, scope: scope))
                    } else {
                        pending.append(HistoryOp(stamp: stamp, body: nil, scope: nil))
                    }
                    if pending.count >= chunk {
                        body(pending)
                        pending.removeAll(keepingCapacity: true)
                    }
                }
                if top > 0 { tops[log] = top }
            }
            if !pending.isEmpty { body(pending) }
            return tops
        }
    }

    /// The customer of each of `tickets` that has a desk row.
    public func customers(of tickets: Set<String>) throws(StoreError) -> [String: String] {
        try read { db in
            let select = try db.cachedStatement(sql: "SELECT customer FROM desk_ticket WHERE key = ?")
            var out: [String: String] = [:]
            for key in tickets {
                if let customer = try String.fetchOne(select, arguments: [key]) { out[key] = customer }
            }
            return out
        }
    }

    /// The tickets whose insert is in a format 1 log (the team's history, SPEC-partial.md §P.2 rule 5), from the
    /// materialized entities: what a partial node's report names apart.
    public func historyTicketKeys() throws(StoreError) -> Set<String> {
        try read { db in
            Set(try String.fetchAll(db.cachedStatement(sql: """
                SELECT e.key FROM mv_entity e JOIN log l ON l.id = e.log WHERE e.collection = ? AND l.version IS NOT 2
                """), arguments: [Desk.ticket]))
        }
    }
}
