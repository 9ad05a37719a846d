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

extension OpStore {
    /// The ticket each of `messageIDs` is on now (messages not projected are left out).
    public func messageTickets(_ messageIDs: Set<String>) throws(StoreError) -> [String: String] {
        try read { db in
            var owners: [String: String] = [:]
            let ids = Array(messageIDs)
            for start in stride(from: 0, to: ids.count, by: Self.factsChunk) {
                let chunk = Array(ids[start..<min(ids.count, start + Self.factsChunk)])
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                for row in try Row.fetchAll(db, sql: "SELECT id, ticket FROM desk_message WHERE id IN (\(marks))",
                                            arguments: StatementArguments(chunk)) {
                    owners[row["id"]] = row["ticket"]
                }
            }
            return owners
        }
    }

    /// The ops after `known` up to `current` (the store's vector read earlier), or nil when there are more than
    /// `limit`. ``batch(after:limit:maxBytes:)`` cuts at seal boundaries and at its limit across logs, so one
    /// batch may stop short of `current`: this reads batches until every log reaches it.
    public func ops(after known: VersionVector, upTo current: VersionVector, limit: Int) throws(StoreError) -> [Op]? {
        var position = known, ops: [Op] = []
        while current.entries.contains(where: { $0.value > position[$0.key] }) {
            let batch = try batch(after: position, limit: limit + 1 - ops.count)
            guard !batch.ops.isEmpty else { break }
            for op in batch.ops { position[LogID(author: op.header.author, epoch: op.header.epoch)] = op.header.seq }
            ops += batch.ops
            if ops.count > limit { return nil }
        }
        return ops
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
            for start in stride(from: 0, to: all.count, by: Self.factsChunk) {
                let chunk = Array(all[start..<min(all.count, start + Self.factsChunk)])
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
