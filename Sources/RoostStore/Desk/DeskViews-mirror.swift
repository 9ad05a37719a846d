import Foundation
import GRDB
public import RoostCore

/// Every column of one `desk_ticket` row, as a warehouse mirror copies it (`roost mirror`).
public struct DeskTicketRecord: Hashable, Sendable {
    public var facts: DeskTicketFacts
    public var brand: String
    public var customer: String
    public var reopened: Bool
    public var tier: String
    public var leaseEndsMillis: UInt64?
    public var lastInboundMillis: UInt64?
    public var lastMessageMillis: UInt64?
    public var messages: Int
    /// The ticket's current tags, sorted.
    public var tags: [String]
}

extension DeskViews {
    /// The ticket each of `messageIDs` is on now (messages not projected are left out).
    public func messageTickets(_ messageIDs: Set<String>) throws(StoreError) -> [String: String] {
        try read { db in try Self.messageTickets(messageIDs, db) }
    }

    /// The desk rows of some tickets with their tags, and every message of those tickets, read in one transaction
    /// so they agree.
    public func deskRecords(tickets keys: Set<String>) throws(StoreError)
        -> (tickets: [DeskTicketRecord], messages: [DeskMessageFacts])
    {
        try read { db in try Self.deskRecords(Array(keys).sorted(), db) }
    }

    /// The desk rows of the first `limit` tickets after `key` in key order (from the first when nil), with their tags
    /// and messages, read in one transaction: a whole desk a page at a time, so a reader never holds all of it.
    public func deskRecords(after key: String?, limit: Int) throws(StoreError)
        -> (tickets: [DeskTicketRecord], messages: [DeskMessageFacts])
    {
        try read { db in
            // Two statements, not `?1 IS NULL OR key > ?1`: with the OR, SQLite scans from the first key on every page
            // (EXPLAIN QUERY PLAN: SCAN), which made a full pass quadratic in the tickets.
            let keys = try key.map { key in
                try String.fetchAll(db, sql: "SELECT key FROM desk_ticket WHERE key > ? ORDER BY key LIMIT ?", arguments: [key, limit])
            } ?? String.fetchAll(db, sql: "SELECT key FROM desk_ticket ORDER BY key LIMIT ?", arguments: [limit])
            return try Self.deskRecords(keys, db)
        }
    }

    /// The records of `keys` (sorted), `IN` lists of ``StoreLimits/keysPerLookup`` keys at a time.
    static func deskRecords(_ keys: [String], _ db: Database) throws -> (tickets: [DeskTicketRecord], messages: [DeskMessageFacts]) {
        var tickets: [DeskTicketRecord] = [], messages: [DeskMessageFacts] = []
        try KeyChunks.forEach(keys) { chunk, marks in
            var tags: [String: [String]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT key, tag FROM mv_tag WHERE collection = ? AND key IN (\(marks)) ORDER BY key, tag",
                                        arguments: StatementArguments([Desk.ticket] + chunk)) {
                tags[row["key"], default: []].append(row["tag"])
            }
            tickets += try Row.fetchAll(db, sql: "SELECT * FROM desk_ticket WHERE key IN (\(marks)) ORDER BY key",
                                        arguments: StatementArguments(chunk)).map { ticketRecord($0, tags[$0["key"]] ?? []) }
            messages += try Row.fetchAll(db, sql: "SELECT * FROM desk_message WHERE ticket IN (\(marks)) ORDER BY ticket, created_ms, id",
                                         arguments: StatementArguments(chunk)).map(messageFacts)
        }
        return (tickets, messages)
    }

    static func ticketRecord(_ row: Row, _ tags: [String]) -> DeskTicketRecord {
        DeskTicketRecord(
            facts: ticketFacts(row), brand: row["brand"], customer: row["customer"],
            reopened: row["reopened"], tier: row["tier"],
            leaseEndsMillis: (row["lease_ends_ms"] as Int64?).map { UInt64($0) },
            lastInboundMillis: (row["last_inbound_ms"] as Int64?).map { UInt64($0) },
            lastMessageMillis: (row["last_message_ms"] as Int64?).map { UInt64($0) },
            messages: row["messages"], tags: tags)
    }
}
