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

    /// The desk rows of some tickets (all when `keys` is nil) with their tags, and every message of those tickets,
    /// read in one transaction so they agree.
    public func deskRecords(tickets keys: Set<String>?) throws(StoreError)
        -> (tickets: [DeskTicketRecord], messages: [DeskMessageFacts])
    {
        try read { db in
            var tickets: [DeskTicketRecord] = [], messages: [DeskMessageFacts] = []
            func record(_ row: Row, _ tags: [String]) -> DeskTicketRecord {
                DeskTicketRecord(
                    facts: Self.ticketFacts(row), brand: row["brand"], customer: row["customer"],
                    reopened: row["reopened"], tier: row["tier"],
                    leaseEndsMillis: (row["lease_ends_ms"] as Int64?).map { UInt64($0) },
                    lastInboundMillis: (row["last_inbound_ms"] as Int64?).map { UInt64($0) },
                    lastMessageMillis: (row["last_message_ms"] as Int64?).map { UInt64($0) },
                    messages: row["messages"], tags: tags)
            }
            guard let keys else {
                var tags: [String: [String]] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT key, tag FROM mv_tag WHERE collection = ? ORDER BY key, tag",
                                            arguments: [Desk.ticket]) {
                    tags[row["key"], default: []].append(row["tag"])
                }
                tickets = try Row.fetchAll(db, sql: "SELECT * FROM desk_ticket ORDER BY key").map { record($0, tags[$0["key"]] ?? []) }
                messages = try Row.fetchAll(db, sql: "SELECT * FROM desk_message ORDER BY ticket, created_ms, id").map(Self.messageFacts)
                return (tickets, messages)
            }
            let all = Array(keys).sorted()
            for start in stride(from: 0, to: all.count, by: DeskViews.factsChunk) {
                let chunk = Array(all[start..<min(all.count, start + DeskViews.factsChunk)])
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                var tags: [String: [String]] = [:]
                for row in try Row.fetchAll(db, sql: "SELECT key, tag FROM mv_tag WHERE collection = ? AND key IN (\(marks)) ORDER BY key, tag",
                                            arguments: StatementArguments([Desk.ticket] + chunk)) {
                    tags[row["key"], default: []].append(row["tag"])
                }
                tickets += try Row.fetchAll(db, sql: "SELECT * FROM desk_ticket WHERE key IN (\(marks)) ORDER BY key",
                                            arguments: StatementArguments(chunk)).map { record($0, tags[$0["key"]] ?? []) }
                messages += try Row.fetchAll(db, sql: "SELECT * FROM desk_message WHERE ticket IN (\(marks)) ORDER BY ticket, created_ms, id",
                                             arguments: StatementArguments(chunk)).map(Self.messageFacts)
            }
            return (tickets, messages)
        }
    }
}
