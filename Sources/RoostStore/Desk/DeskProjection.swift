import Foundation
import GRDB
import RoostCore

/// Keeps `desk_message` and `desk_ticket` in step with the merged state. Every function recomputes its
/// rows from the materialized tables alone, so the result does not depend on the order ops arrived in.
enum DeskProjection {
    /// Tickets whose rows to refresh at the end of a transaction (messages are projected as they merge).
    struct Dirty {
        var tickets: Set<String> = []
        /// Tickets whose search document alone may have changed (a tag was added or removed).
        var ticketDocuments: Set<String> = []
        /// Customers whose handle or name may have changed: their tickets' search documents are re-derived.
        var customers: Set<String> = []
        /// Whether a roster op merged: the caller re-checks the log against the roster (``OpStore/enforceRoster(_:)``).
        var roster = false
        /// Whether an erasure op merged: the caller judges erasures (``ErasureLedger/judge(_:dirty:)``).
        var erasures = false
        /// Op bodies erased in this transaction (the caller compacts the search index and truncates the WAL).
        var erased = 0
        /// Whether the search index follows the desk rows. Off only for verify's re-fold, which compares the desk
        /// rows but not the search index (``Schema/comparedTables``) and so need not derive it.
        var indexesSearch = true

        init(indexesSearch: Bool = true) { self.indexesSearch = indexesSearch }

        /// Refreshes every marked ticket's row once, then the search documents of tickets marked for their
        /// document alone or whose customer changed (each once, and not again when its row refresh re-derived it).
        mutating func flush(_ db: Database) throws {
            var documented: Set<String> = []
            for key in tickets.sorted() where try DeskProjection.refreshTicket(key, indexesSearch: indexesSearch, db: db) {
                documented.insert(key)
            }
            guard indexesSearch else {
                (tickets, ticketDocuments, customers) = ([], [], [])
                return
            }
            for customer in customers.sorted() {
                ticketDocuments.formUnion(try String.fetchAll(
                    db.cachedStatement(sql: "SELECT key FROM desk_ticket WHERE customer = ?"), arguments: [customer]))
            }
            for key in ticketDocuments.subtracting(documented).sorted() { try DeskProjection.refreshTicketDocument(key, db: db) }
            tickets.removeAll()
            ticketDocuments.removeAll()
            customers.removeAll()
        }
    }

    /// The ticket registers ``refreshTicket(_:db:)`` reads: a change to any other field of a ticket (an agent's own
    /// `subject` or `assignee`, `pushed_to`) leaves its desk row as it is, so it marks nothing.
    static let ticketRowFields: Set<String> = ["status", "priority", "tier", "queue", "resolution", "snooze_until"]

    /// `desk_ticket`'s columns, in ``Schema/deskTicketColumns`` order (the key first).
    static let ticketColumns = Schema.deskTicketColumns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }

    /// Re-derives a ticket's search document only (its tags changed), from its desk row.
    static func refreshTicketDocument(_ key: String, db: Database) throws {
        var select = try FastStatement(db, "SELECT customer, last_message_ms FROM desk_ticket WHERE key = ?")
        select.bind(key)
        guard let found = try select.firstRow({ (customer: $0.text(0), lastMillis: $0.optionalInt64(1)) }) else { return }
        try SearchIndex.indexTicket(key, customer: found.customer, lastMillis: found.lastMillis, db: db)
    }

    /// The customer fields a ticket's search document holds.
    static let customerDocumentFields: Set<String> = ["handle", "name"]

    /// Writes a ticket's desk row: inserted when new, else only the columns that changed are updated (or nothing),
    /// so SQLite touches only the indexes over them instead of deleting and re-inserting the row in all of them.
    /// Returns whether the row is new or its customer or last message time changed: what its search document
    /// takes from the row.
    static func writeTicketRow(_ values: [DatabaseValue], db: Database) throws -> Bool {
        let key = values[0]
        var select = try FastStatement(db, "SELECT \(Schema.deskTicketColumns) FROM desk_ticket WHERE key = ?")
        select.bind(key)
        guard let current = try select.firstRow({ row in (0..<Int32(values.count)).map { row.databaseValue($0) } }) else {
            var insert = try FastStatement(db, """
                INSERT INTO desk_ticket (\(Schema.deskTicketColumns))
                VALUES (\(Array(repeating: "?", count: ticketColumns.count).joined(separator: ", ")))
                """)
            for value in values { insert.bind(value) }
            try insert.run()
            return true
        }
        let changed = (1..<ticketColumns.count).filter { current[$0] != values[$0] }
        guard !changed.isEmpty else { return false }
        try db.cachedStatement(sql: "UPDATE desk_ticket SET "
                               + changed.map { "\(ticketColumns[$0]) = ?" }.joined(separator: ", ") + " WHERE key = ?")
            .execute(arguments: StatementArguments(changed.map { values[$0] } + [key]))
        return changed.contains { ["customer", "last_message_ms"].contains(ticketColumns[$0]) }
    }

    /// Projects one message from its winning insert payload; returns the tickets whose rows it affects.
    /// When the winning payload is not a desk message (a generic insert that won the grow-only set),
    /// a row projected from an earlier winner is removed, so the result does not depend on arrival order.
    static func projectMessage(_ id: String, fields list: [Field], indexesSearch: Bool = true, db: Database) throws -> [String]? {
        var fields: [String: Value] = [:]
        for field in list where fields[field.name] == nil { fields[field.name] = field.value }
        // A message seen before under another payload may have moved between tickets, or stopped being one.
        var select = try FastStatement(db, "SELECT ticket FROM desk_message WHERE id = ?")
        select.bind(id)
        let old = try select.firstRow { $0.text(0) } ?? nil
        guard case let .string(ticket)? = fields["ticket"],
              case let .string(rawDirection)? = fields["direction"],
              let direction = MessageDirection(rawValue: rawDirection),
              case let .int(created)? = fields["created_ms"], created >= 0
        else {
            guard let old else { return nil }
            try db.cachedStatement(sql: "DELETE FROM desk_message WHERE id = ?").execute(arguments: [id])
            if indexesSearch {
                try SearchIndex.indexMessage(id, ticket: old, direction: "", author: "", createdMillis: 0, text: nil, db: db)
            }
            return [old]
        }
        let author = fields["author"]?.stringValue ?? ""
        let dm: Bool = if case .bool(true)? = fields["dm"] { true } else { false }
        let lang = fields["lang"]?.stringValue.flatMap { code in
            (2...3).contains(code.utf8.count) && code.utf8.allSatisfy({ $0 >= 0x61 && $0 <= 0x7A }) ? code : nil
        }
        let sentiment: Int64? = if case let .int(score)? = fields["sentiment"], (-100...100).contains(score) { score } else { nil }
        var insert = try FastStatement(db, """
            INSERT OR REPLACE INTO desk_message (id, ticket, direction, author, created_ms, dm, signature, lang, sentiment)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        insert.bind(id)
        insert.bind(ticket)
        insert.bind(direction.rawValue)
        insert.bind(author)
        insert.bind(created)
        insert.bind(Int64(dm ? 1 : 0))
        if let signature = fields["signature"]?.stringValue { insert.bind(signature) } else { insert.bindNull() }
        if let lang { insert.bind(lang) } else { insert.bindNull() }
        if let sentiment { insert.bind(sentiment) } else { insert.bindNull() }
        try insert.run()
        if indexesSearch {
            try SearchIndex.indexMessage(id, ticket: ticket, direction: direction.rawValue, author: author, createdMillis: created,
                                         text: fields["text"]?.stringValue, db: db)
        }
        return [ticket] + (old.map { $0 == ticket ? [] : [$0] } ?? [])
    }

    /// Re-derives a ticket's desk row (and, with `indexesSearch`, its search document when what the document takes
    /// from the row changed); returns whether the document was re-derived.
    @discardableResult
    static func refreshTicket(_ key: String, indexesSearch: Bool = true, db: Database) throws -> Bool {
        let entity = EntityRef(Desk.ticket, key)
        guard let fields = try entityFields(entity, db: db) else {
            try db.cachedStatement(sql: "DELETE FROM desk_ticket WHERE key = ?").execute(arguments: [key])
            try db.cachedStatement(sql: "DELETE FROM desk_snooze WHERE key = ?").execute(arguments: [key])
            if indexesSearch { try SearchIndex.indexTicket(key, customer: nil, lastMillis: nil, db: db) }
            return indexesSearch
        }
        // The registers the row takes (``ticketRowFields``): value and the wall time of the winning op.
        var registers: [String: (Value, UInt64)] = [:]
        var statusBy: Data?
        var registerRows = try FastStatement(db, """
            SELECT r.field, r.value, r.hlc, l.author FROM mv_register r JOIN log l ON l.id = r.log WHERE r.collection = ? AND r.key = ?
            """)
        registerRows.bind(Desk.ticket)
        registerRows.bind(key)
        try registerRows.forEachRow { row in
            guard let field = row.text(0), ticketRowFields.contains(field) else { return true }
            let value = try Value.decode(row.blob(1) ?? [])
            registers[field] = (value, HLC(rawValue: UInt64(bitPattern: row.int64(2))).physicalMillis)
            if field == "status" { statusBy = row.blob(3).map { Data($0) } }
            return true
        }
        func text(_ field: String) -> String? { registers[field]?.0.stringValue }
        // first_response: the first reply at or after the first customer message (a reopened ticket keeps it).
        var statsRow = try FastStatement(db, """
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
            """)
        statsRow.bind(key)
        // An aggregate: always one row.
        let stats = try statsRow.firstRow { row in
            MessageStats(firstIn: row.optionalInt64(0), lastIn: row.optionalInt64(1), lastOut: row.optionalInt64(2),
                         lastMessage: row.optionalInt64(3), count: row.int64(4), lang: row.text(5),
                         sentiment: row.optionalInt64(6), firstResponse: row.optionalInt64(7))
        } ?? MessageStats()
        let firstIn = stats.firstIn
        let firstResponse = stats.firstResponse
        let storedStatus = text("status").flatMap(TicketStatus.init(rawValue:))
        let statusSet = registers["status"]?.1
        let lastIn = stats.lastIn
        // The brand's latest answer: an outbound message at or after the first customer message.
        let lastOut = stats.lastOut
        let lastAnswer = lastOut.flatMap { out in firstIn.flatMap { out >= $0 ? UInt64(out) : nil } }
        let effective = DeskRules.effectiveStatus(
            stored: storedStatus, statusSetMillis: statusSet, lastInboundMillis: lastIn.map { UInt64($0) },
            lastAnswerMillis: lastAnswer)
        let priority = text("priority").flatMap(Priority.init(rawValue:)) ?? .normal
        let tier = text("tier").flatMap(Tier.init(rawValue:)) ?? .triage
        var claimRow = try FastStatement(db, "SELECT holder, lease_ends_ms FROM mv_claim_state WHERE collection = ? AND key = ?")
        claimRow.bind(Desk.ticket)
        claimRow.bind(key)
        let claim = try claimRow.firstRow { (holder: $0.blob(0).map { Data($0) }, leaseEnds: $0.optionalInt64(1)) }
        let holder = claim?.holder ?? nil
        // In `Schema.deskTicketColumns` order.
        let values: [(any DatabaseValueConvertible)?] = [
                key, fields["channel"]?.stringValue == "dm" ? "dm" : "public", fields["brand"]?.stringValue ?? "",
                fields["customer"]?.stringValue ?? "", effective.status.rawValue, effective.reopened ? 1 : 0,
                priority.rawValue, priority.rank, tier.rawValue, text("queue"), text("resolution"),
                holder, holder == nil ? nil : claim?.leaseEnds ?? nil,
                firstIn, lastIn, firstResponse, stats.lastMessage, statusSet.map { Int64($0) }, statusBy,
                stats.count, stats.lang, stats.sentiment,
            ]
        let documentInputsChanged = try writeTicketRow(values.map { $0?.databaseValue ?? .null }, db: db)
        if let (value, setMillis) = registers["snooze_until"], case let .int(until) = value, until > 0 {
            try db.cachedStatement(sql: "INSERT OR REPLACE INTO desk_snooze (key, until_ms, set_ms) VALUES (?, ?, ?)")
                .execute(arguments: [key, until, Int64(setMillis)])
        } else {
            try db.cachedStatement(sql: "DELETE FROM desk_snooze WHERE key = ?").execute(arguments: [key])
        }
        guard documentInputsChanged, indexesSearch else { return false }
        try SearchIndex.indexTicket(key, customer: fields["customer"]?.stringValue ?? "", lastMillis: stats.lastMessage, db: db)
        return true
    }

    static func entityFields(_ entity: EntityRef, db: Database) throws -> [String: Value]? {
        var select = try FastStatement(db, "SELECT fields FROM mv_entity WHERE collection = ? AND key = ?")
        select.bind(entity.collection)
        select.bind(entity.key)
        guard let data = try select.firstRow({ $0.blob(0) }) ?? nil else { return nil }
        let fields = try FieldList.decode(data)
        return Dictionary(fields.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    /// What a ticket's row takes from its messages (``refreshTicket(_:indexesSearch:db:)``'s one aggregate query).
    struct MessageStats {
        var firstIn: Int64? = nil
        var lastIn: Int64? = nil
        var lastOut: Int64? = nil
        var lastMessage: Int64? = nil
        var count: Int64 = 0
        var lang: String? = nil
        var sentiment: Int64? = nil
        var firstResponse: Int64? = nil
    }
}
