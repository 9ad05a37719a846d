import Foundation
import GRDB
public import RoostCore

extension DeskViews {
    /// The desk facts of some tickets (those still projected) and all their messages, read in one transaction;
    /// plus the ticket each of `messageIDs` belongs to now. For caches brought up to date op by op.
    public func deskFacts(tickets keys: Set<String>, messageIDs: Set<String>) throws(StoreError)
        -> (tickets: [DeskTicketFacts], messages: [DeskMessageFacts], messageTickets: [String: String])
    {
        try read { db in
            var tickets: [DeskTicketFacts] = [], messages: [DeskMessageFacts] = []
            let owners = try Self.messageTickets(messageIDs, db)
            try KeyChunks.forEach(Array(keys.union(owners.values))) { chunk, marks in
                tickets += try Row.fetchAll(db, sql: "SELECT * FROM desk_ticket WHERE key IN (\(marks))",
                                            arguments: StatementArguments(chunk)).map(Self.ticketFacts)
                messages += try Row.fetchAll(db, sql: "SELECT * FROM desk_message WHERE ticket IN (\(marks)) ORDER BY ticket, created_ms, id",
                                             arguments: StatementArguments(chunk)).map(Self.messageFacts)
            }
            return (tickets, messages, owners)
        }
    }

    /// The ticket each of `messageIDs` is on now (messages not projected are left out).
    static func messageTickets(_ messageIDs: Set<String>, _ db: Database) throws -> [String: String] {
        var owners: [String: String] = [:]
        try KeyChunks.forEach(Array(messageIDs)) { chunk, marks in
            for row in try Row.fetchAll(db, sql: "SELECT id, ticket FROM desk_message WHERE id IN (\(marks))",
                                        arguments: StatementArguments(chunk)) {
                owners[row["id"]] = row["ticket"]
            }
        }
        return owners
    }

    static func ticketFacts(_ row: Row) -> DeskTicketFacts {
        DeskTicketFacts(
            key: row["key"], status: TicketStatus(rawValue: row["status"]) ?? .new,
            priority: Priority(rawValue: row["priority"]) ?? .normal, queue: row["queue"], channel: row["channel"],
            resolution: row["resolution"], holder: (row["holder"] as Data?).flatMap { AuthorID(bytes: [UInt8]($0)) },
            firstInboundMillis: (row["first_inbound_ms"] as Int64?).map { UInt64($0) },
            firstResponseMillis: (row["first_response_ms"] as Int64?).map { UInt64($0) },
            statusSetMillis: (row["status_set_ms"] as Int64?).map { UInt64($0) },
            statusBy: (row["status_by"] as Data?).flatMap { AuthorID(bytes: [UInt8]($0)) })
    }

    static func messageFacts(_ row: Row) -> DeskMessageFacts {
        DeskMessageFacts(id: row["id"], ticket: row["ticket"], direction: MessageDirection(rawValue: row["direction"]) ?? .note,
                         author: row["author"], createdMillis: UInt64(row["created_ms"] as Int64), dm: row["dm"],
                         signature: row["signature"])
    }
}
