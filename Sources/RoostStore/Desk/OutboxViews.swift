import Foundation
import GRDB
public import RoostCore

/// An outbound reply with an `outbox` register: what the gateway drains and `roost outbox list` shows.
public struct OutboxRow: Hashable, Sendable, Codable {
    /// The message id (`r…`).
    public var id: String
    /// Its ticket.
    public var ticket: String
    /// The ticket's channel (`public` or `dm`).
    public var channel: String
    /// The ticket's brand handle (its X username).
    public var brand: String
    /// The ticket's customer (X user id).
    public var customer: String
    /// The ticket's conversation (root tweet id, or DM conversation id).
    public var conversation: String
    /// The state.
    public var state: OutboxState
    /// Why it is held or failed (register `outbox.reason`).
    public var reason: String?
    /// The node that wrote the draft.
    public var author: String
    /// When the draft was written (Unix ms).
    public var createdMillis: UInt64
    /// The composed text.
    public var text: String
    /// Whether it goes as a DM.
    public var dm: Bool
    /// The message it answers (`reply_to`), when known.
    public var replyTo: String?
    /// The customer it is addressed to (`to`, a customer key), when the draft names one: a DM goes to them.
    public var to: String?
    /// Whether the agent chose to send it despite the send-time guard (register `outbox.override`).
    public var override: Bool
    /// The X id it was posted as (register `x_id`).
    public var xID: String?
    /// When the gateway last wrote `posting` for it (register `attempt_ms`).
    public var attemptMillis: UInt64?
}

extension OutboxViews {
    /// Every message with an `outbox` register, oldest draft first (`states` narrows it).
    public func rows(states: Set<OutboxState>? = nil) throws(StoreError) -> [OutboxRow] {
        // Narrowed in SQL on the encoded register value, so a drain does not walk every posted reply ever.
        let wanted = (states.map(Array.init) ?? OutboxState.allCases).sorted { $0.rawValue < $1.rawValue }
        let encoded = wanted.map { Data(Value.string($0.rawValue).encoded) }
        let placeholders = Array(repeating: "?", count: encoded.count).joined(separator: ", ")
        return try read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT m.id, m.ticket, m.author, m.created_ms, m.dm, e.fields, r.value AS state,
                       t.channel, t.brand, t.customer, te.fields AS ticket_fields
                FROM mv_register r
                JOIN desk_message m ON m.id = r.key
                JOIN mv_entity e ON e.collection = 'message' AND e.key = m.id
                LEFT JOIN desk_ticket t ON t.key = m.ticket
                LEFT JOIN mv_entity te ON te.collection = 'ticket' AND te.key = m.ticket
                WHERE r.collection = 'message' AND r.field = 'outbox' AND r.value IN (\(placeholders))
                ORDER BY m.created_ms, m.id
                """, arguments: StatementArguments(encoded))
            var result: [OutboxRow] = []
            for row in rows {
                guard let state = try Value.decode([UInt8](row["state"] as Data)).stringValue.flatMap(OutboxState.init(rawValue:)),
                      states?.contains(state) ?? true else { continue }
                let id: String = row["id"]
                let fields = try FieldList.decode([UInt8](row["fields"] as Data))
                // An erased reply (its customer was erased) is never posted.
                guard let text = fields.first(where: { $0.name == "text" })?.value.stringValue else { continue }
                let ticketFields = try (row["ticket_fields"] as Data?).map { try FieldList.decode([UInt8]($0)) } ?? []
                func register(_ field: String) throws -> Value? {
                    try Data.fetchOne(db, sql: "SELECT value FROM mv_register WHERE collection = 'message' AND key = ? AND field = ?",
                                      arguments: [id, field]).map { try Value.decode([UInt8]($0)) }
                }
                result.append(OutboxRow(
                    id: id, ticket: row["ticket"], channel: row["channel"] ?? "public", brand: row["brand"] ?? "",
                    customer: row["customer"] ?? "", conversation: ticketFields.first { $0.name == "conversation" }?.value.stringValue ?? "", state: state,
                    reason: try register("outbox.reason")?.stringValue, author: row["author"],
                    createdMillis: UInt64(row["created_ms"] as Int64),
                    text: text, dm: row["dm"],
                    replyTo: fields.first { $0.name == "reply_to" }?.value.stringValue,
                    to: fields.first { $0.name == "to" }?.value.stringValue,
                    override: try register("outbox.override") == .bool(true), xID: try register("x_id")?.stringValue,
                    attemptMillis: try register("attempt_ms")?.intValue.map { UInt64(max(0, $0)) }))
            }
            return result
        }
    }

    /// Outbound replies by outbox state (register `outbox` of `message/*`).
    public func counts() throws(StoreError) -> [OutboxState: Int] {
        try read { db in
            var counts: [OutboxState: Int] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT value, count(*) AS n FROM mv_register WHERE collection = ? AND field = 'outbox' GROUP BY value
                """, arguments: [Desk.message]) {
                if let state = try Value.decode([UInt8](row["value"] as Data)).stringValue.flatMap(OutboxState.init(rawValue:)) {
                    counts[state, default: 0] += row["n"] as Int
                }
            }
            return counts
        }
    }
}
