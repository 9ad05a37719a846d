import Foundation
import GRDB
import RoostCore

/// Keeps `desk_message` and `desk_ticket` in step with the merged state. Every function recomputes its
/// rows from the materialized tables alone, so the result does not depend on the order ops arrived in.
enum DeskProjection {
    /// Tickets whose rows to refresh at the end of a transaction (messages are projected as they merge).
    struct Dirty {
        var tickets: Set<String> = []
        /// Whether a roster op merged: the caller re-checks the log against the roster (``OpStore/enforceRoster(_:)``).
        var roster = false
        /// Whether an erasure op merged: the caller judges erasures (``ErasureLedger/judge(_:dirty:)``).
        var erasures = false
        /// Op bodies erased in this transaction (the caller compacts the search index and truncates the WAL).
        var erased = 0

        /// Refreshes every marked ticket once.
        mutating func flush(_ db: Database) throws {
            for key in tickets.sorted() { try DeskProjection.refreshTicket(key, db: db) }
            tickets.removeAll()
        }
    }

    /// Projects one message from its winning insert payload; returns the tickets whose rows it affects.
    /// When the winning payload is not a desk message (a generic insert that won the grow-only set),
    /// a row projected from an earlier winner is removed, so the result does not depend on arrival order.
    static func projectMessage(_ id: String, fields list: [Field], db: Database) throws -> [String]? {
        var fields: [String: Value] = [:]
        for field in list where fields[field.name] == nil { fields[field.name] = field.value }
        // A message seen before under another payload may have moved between tickets, or stopped being one.
        let old = try String.fetchOne(db.cachedStatement(sql: "SELECT ticket FROM desk_message WHERE id = ?"), arguments: [id])
        guard case let .string(ticket)? = fields["ticket"],
              case let .string(rawDirection)? = fields["direction"],
              let direction = MessageDirection(rawValue: rawDirection),
              case let .int(created)? = fields["created_ms"], created >= 0
        else {
            guard let old else { return nil }
            try db.cachedStatement(sql: "DELETE FROM desk_message WHERE id = ?").execute(arguments: [id])
            try SearchIndex.indexMessage(id, ticket: old, direction: "", author: "", createdMillis: 0, text: nil, db: db)
            return [old]
        }
        let author = fields["author"]?.stringValue ?? ""
        let dm: Bool = if case .bool(true)? = fields["dm"] { true } else { false }
        let lang = fields["lang"]?.stringValue.flatMap { code in
            (2...3).contains(code.utf8.count) && code.utf8.allSatisfy({ $0 >= 0x61 && $0 <= 0x7A }) ? code : nil
        }
        let sentiment: Int64? = if case let .int(score)? = fields["sentiment"], (-100...100).contains(score) { score } else { nil }
        try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO desk_message (id, ticket, direction, author, created_ms, dm, signature, lang, sentiment)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [id, ticket, direction.rawValue, author, created, dm ? 1 : 0,
                                     fields["signature"]?.stringValue, lang, sentiment])
        try SearchIndex.indexMessage(id, ticket: ticket, direction: direction.rawValue, author: author, createdMillis: created,
                                     text: fields["text"]?.stringValue, db: db)
        return [ticket] + (old.map { $0 == ticket ? [] : [$0] } ?? [])
    }

    /// Recomputes one ticket's row.
    static func refreshTicket(_ key: String, db: Database) throws {
        let entity = EntityRef(Desk.ticket, key)
        guard let fields = try entityFields(entity, db: db) else {
            try db.cachedStatement(sql: "DELETE FROM desk_ticket WHERE key = ?").execute(arguments: [key])
            try db.cachedStatement(sql: "DELETE FROM desk_snooze WHERE key = ?").execute(arguments: [key])
            try SearchIndex.indexTicket(key, customer: nil, lastMillis: nil, db: db)
            return
        }
        var registers: [String: (Value, UInt64)] = [:]
        var statusBy: Data?
        let rows = try Row.fetchAll(
            db.cachedStatement(sql: "SELECT field, value, hlc, author FROM mv_register WHERE collection = ? AND key = ?"),
            arguments: [Desk.ticket, key])
        for row in rows {
            let value = try Value.decode([UInt8](row["value"] as Data))
            registers[row["field"]] = (value, HLC(rawValue: UInt64(row["hlc"] as Int64)).physicalMillis)
            if row["field"] == "status" { statusBy = row["author"] }
        }
        func text(_ field: String) -> String? { registers[field]?.0.stringValue }
        // first_response: the first reply at or after the first customer message (a reopened ticket keeps it).
        let stats = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT s.*, (SELECT min(created_ms) FROM desk_message
                         WHERE ticket = ?1 AND direction = 'outbound' AND created_ms >= s.first_in) AS first_response
            FROM (SELECT
                min(CASE WHEN direction = 'inbound' THEN created_ms END) AS first_in,
                max(CASE WHEN direction = 'inbound' THEN created_ms END) AS last_in,
                max(CASE WHEN direction = 'outbound' THEN created_ms END) AS last_out,
                max(CASE WHEN direction != 'note' THEN created_ms END) AS last_msg,
                count(*) AS n,
                (SELECT lang FROM desk_message WHERE ticket = ?1 AND direction = 'inbound' AND lang IS NOT NULL
                 ORDER BY created_ms DESC, id DESC LIMIT 1) AS lang,
                (SELECT sentiment FROM desk_message WHERE ticket = ?1 AND direction = 'inbound' AND sentiment IS NOT NULL
                 ORDER BY created_ms DESC, id DESC LIMIT 1) AS sentiment
            FROM desk_message WHERE ticket = ?1) s
            """), arguments: [key])!
        let firstIn: Int64? = stats["first_in"]
        let firstResponse: Int64? = stats["first_response"]
        let storedStatus = text("status").flatMap(TicketStatus.init(rawValue:))
        let statusSet = registers["status"]?.1
        let lastIn: Int64? = stats["last_in"]
        // The brand's latest answer: an outbound message at or after the first customer message.
        let lastOut: Int64? = stats["last_out"]
        let lastAnswer = lastOut.flatMap { out in firstIn.flatMap { out >= $0 ? UInt64(out) : nil } }
        let effective = DeskRules.effectiveStatus(
            stored: storedStatus, statusSetMillis: statusSet, lastInboundMillis: lastIn.map { UInt64($0) },
            lastAnswerMillis: lastAnswer)
        let priority = text("priority").flatMap(Priority.init(rawValue:)) ?? .normal
        let tier = text("tier").flatMap(Tier.init(rawValue:)) ?? .triage
        let claim = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT holder, lease_ends_ms FROM mv_claim_state WHERE collection = ? AND key = ?"),
            arguments: [Desk.ticket, key])
        let holder: Data? = claim?["holder"]
        try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO desk_ticket (key, channel, brand, customer, status, reopened, priority, priority_rank,
                tier, queue, resolution, holder, lease_ends_ms, first_inbound_ms, last_inbound_ms, first_response_ms,
                last_message_ms, status_set_ms, status_by, messages, lang, sentiment)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                key, fields["channel"]?.stringValue == "dm" ? "dm" : "public", fields["brand"]?.stringValue ?? "",
                fields["customer"]?.stringValue ?? "", effective.status.rawValue, effective.reopened ? 1 : 0,
                priority.rawValue, priority.rank, tier.rawValue, text("queue"), text("resolution"),
                holder, holder == nil ? nil : claim?["lease_ends_ms"] as Int64?,
                firstIn, lastIn, firstResponse, stats["last_msg"] as Int64?, statusSet.map { Int64($0) }, statusBy,
                stats["n"] as Int64, stats["lang"] as String?, stats["sentiment"] as Int64?,
            ])
        if let (value, setMillis) = registers["snooze_until"], case let .int(until) = value, until > 0 {
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO desk_snooze (key, until_ms, set_ms) VALUES (?, ?, ?)")
                .execute(arguments: [key, until, Int64(setMillis)])
        } else {
            try db.cachedStatement(sql: "DELETE FROM desk_snooze WHERE key = ?").execute(arguments: [key])
        }
        try SearchIndex.indexTicket(key, customer: fields["customer"]?.stringValue ?? "", lastMillis: stats["last_msg"], db: db)
    }

    static func entityFields(_ entity: EntityRef, db: Database) throws -> [String: Value]? {
        guard let data = try Data.fetchOne(
            db.cachedStatement(sql: "SELECT fields FROM mv_entity WHERE collection = ? AND key = ?"),
            arguments: [entity.collection, entity.key]) else { return nil }
        let fields = try FieldList.decode([UInt8](data))
        return Dictionary(fields.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
    }
}
