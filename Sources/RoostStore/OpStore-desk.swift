import Foundation
import GRDB
public import RoostCore

/// First-response targets per priority, in minutes.
public struct SLATargets: Hashable, Sendable, Codable {
    /// Minutes by priority.
    public var minutes: [Priority: Int]

    /// The defaults: 30 minutes for urgent and high, 60 for normal and low.
    public static let defaults = SLATargets(minutes: Dictionary(uniqueKeysWithValues: Priority.allCases.map {
        ($0, $0.defaultFirstResponseMinutes)
    }))

    /// Creates targets.
    public init(minutes: [Priority: Int]) { self.minutes = minutes }

    /// The target for `priority`.
    public func target(_ priority: Priority) -> Int { minutes[priority] ?? priority.defaultFirstResponseMinutes }

    /// SQL expression for the due time of a `desk_ticket` row (targets are small integers, inlined).
    var dueSQL: String {
        "first_inbound_ms + 60000 * CASE priority "
            + Priority.allCases.map { "WHEN '\($0.rawValue)' THEN \(target($0))" }.joined(separator: " ")
            + " END"
    }
}

/// The inbox's orders.
public enum InboxSort: String, Hashable, Sendable, Codable, CaseIterable {
    /// Priority, then tickets with a first customer message first, then that message's time (oldest first).
    case priority
    /// Unanswered tickets by first-response due time (soonest first), then answered ones; history last.
    case due
    /// Latest customer message first.
    case newest
}

/// Which tickets the inbox shows.
public struct InboxFilter: Hashable, Sendable {
    /// Only this queue.
    public var queue: String?
    /// Only tickets this member holds.
    public var holder: AuthorID?
    /// Only tickets nobody holds.
    public var unassigned = false
    /// Only tickets whose first response is overdue.
    public var breaching = false
    /// Include resolved and closed tickets.
    public var all = false
    /// Only escalated tickets (tier escalation).
    public var escalated = false
    /// Only this effective status (overrides the open-work default; ``all`` is then moot).
    public var status: TicketStatus?
    /// The order of rows.
    public var sort: InboxSort = .priority
    /// At most this many rows.
    public var limit = 50
    /// Rows skipped before the first one returned (paging).
    public var offset = 0
    /// Only tickets in one of these languages, or of no known language (nobody can tell, so everyone sees it);
    /// nil: any language (the inbox's "my languages").
    public var languages: [String]?
    /// Only snoozed tickets (otherwise they are left out of open work until they wake; ``all`` shows them too).
    public var snoozed = false

    /// The default inbox: open work, 50 rows.
    public init() {}
}

/// One inbox line.
public struct InboxRow: Hashable, Sendable, Codable {
    public var key: String
    public var status: TicketStatus
    public var priority: Priority
    public var tier: Tier
    public var queue: String?
    public var channel: String
    public var customer: String
    public var customerHandle: String?
    public var holder: String?
    public var firstInboundMillis: UInt64?
    public var firstResponseMillis: UInt64?
    public var dueMillis: UInt64?
    public var breaching: Bool
    public var messages: Int
    public var reopened: Bool
    public var resolution: String?
    /// The brand handle the conversation was sent to.
    public var brand: String?
    /// When the customer last wrote.
    public var lastInboundMillis: UInt64?
    /// The start of the customer's latest message (``DeskLimits/snippetCharacters``), plain text.
    public var snippet: String?
    /// Unanswered, but the first-response due time is more than ``DeskLimits/breachWindowMillis`` in the past:
    /// imported history, shown apart and never counted as breaching now.
    public var history: Bool?
    /// The ticket's language: its customer's latest message's (SPEC §1b.4), nil when none is known.
    public var language: String?
    /// The sentiment score (-100...100) of the customer's latest scored message, nil when none is.
    public var sentiment: Int?
}

/// Limits of the desk's read side, in one place.
public enum DeskLimits {
    /// An unanswered ticket breaches its SLA while its due time lies within this window before now; older
    /// ones (a TWCS import of 2017 read in 2026) are history, not today's breach: 7 days.
    public static let breachWindowMillis: UInt64 = 7 * 24 * 3_600_000
    /// Characters of the latest customer message an inbox row carries.
    public static let snippetCharacters = 120
}

/// A message of a ticket's thread.
public struct ThreadMessage: Hashable, Sendable, Codable {
    public var id: String
    public var direction: MessageDirection
    public var author: String
    public var createdMillis: UInt64
    public var text: String
    public var dm: Bool
    public var signature: String?
    public var outbox: OutboxState?
    /// The message's language, when known.
    public var language: String? = nil
    /// A customer message's sentiment score, -100 to 100 (``TweetSentiment`` × 100), when scored.
    public var sentiment: Int? = nil
}

extension OpStore {
    /// The inbox: sorted by priority, then SLA due time (first customer message plus the priority's target),
    /// or as `filter.sort` says; `filter.offset` rows skipped.
    public func inbox(_ filter: InboxFilter, sla: SLATargets, now: UInt64) throws(StoreError) -> [InboxRow] {
        let (conditions, arguments) = Self.inboxConditions(filter, sla: sla, now: now)
        let order = switch filter.sort {
        case .priority: "t.priority_rank, t.first_inbound_ms IS NULL, t.first_inbound_ms, t.key"
        case .due: "t.first_response_ms IS NOT NULL OR t.first_inbound_ms IS NULL, due_ms < \(Self.historyBefore(now)), due_ms, t.key"
        case .newest: "t.last_inbound_ms IS NULL, t.last_inbound_ms DESC, t.key"
        }
        // The page is picked first and only its rows are joined to their customers: joined before the sort, every
        // open ticket (100,000 in the benchmark) was looked up in mv_entity for a page of 50.
        let sql = """
            SELECT t.*, c.fields AS handle FROM (
                SELECT t.*, (\(sla.dueSQL)) AS due_ms FROM desk_ticket t
                \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
                ORDER BY \(order) LIMIT \(max(1, filter.limit)) OFFSET \(max(0, filter.offset))
            ) t
            LEFT JOIN mv_entity c ON c.collection = 'customer' AND c.key = t.customer
            ORDER BY \(order)
            """
        return try read { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                let handleFields: Data? = row["handle"]
                let handle = try handleFields.flatMap { try FieldList.decode([UInt8]($0)).first { $0.name == "handle" }?.value.stringValue }
                var inboxRow = Self.inboxRow(row, handle: handle, now: now)
                inboxRow.snippet = try Self.latestInboundSnippet(row["key"], db: db)
                return inboxRow
            }
        }
    }

    /// How many tickets `filter` matches in all (its `limit` and `offset` ignored): the pager's total.
    public func inboxCount(_ filter: InboxFilter, sla: SLATargets, now: UInt64) throws(StoreError) -> Int {
        let (conditions, arguments) = Self.inboxConditions(filter, sla: sla, now: now)
        let sql = "SELECT count(*) FROM desk_ticket t"
            + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
        return try read { db in try Int.fetchOne(db, sql: sql, arguments: arguments) ?? 0 }
    }

    /// Due times before this are history, not breaching (``DeskLimits/breachWindowMillis``).
    static func historyBefore(_ now: UInt64) -> Int64 {
        Int64(now) - Int64(min(now, DeskLimits.breachWindowMillis))
    }

    /// The start of a ticket's latest customer message, cut at ``DeskLimits/snippetCharacters`` with `…`.
    static func latestInboundSnippet(_ key: String, db: Database) throws -> String? {
        guard let data = try Data.fetchOne(db.cachedStatement(sql: """
            SELECT e.fields FROM desk_message m JOIN mv_entity e ON e.collection = 'message' AND e.key = m.id
            WHERE m.ticket = ? AND m.direction = 'inbound' ORDER BY m.created_ms DESC, m.id DESC LIMIT 1
            """), arguments: [key]) else { return nil }
        guard let text = try FieldList.decode([UInt8](data)).first(where: { $0.name == "text" })?.value.stringValue else { return nil }
        let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count <= DeskLimits.snippetCharacters ? flat : String(flat.prefix(DeskLimits.snippetCharacters - 1)) + "…"
    }

    /// Whether ticket `t` is snoozed at the argument's time: until a later time, and no customer message since it was
    /// snoozed (a customer who writes wakes it).
    static let snoozedSQL = """
        SELECT 1 FROM desk_snooze s WHERE s.key = t.key AND s.until_ms > ? AND (t.last_inbound_ms IS NULL OR t.last_inbound_ms <= s.set_ms)
        """

    static func inboxConditions(_ filter: InboxFilter, sla: SLATargets, now: UInt64) -> ([String], StatementArguments) {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let status = filter.status {
            conditions.append("t.status = ?"); arguments += [status.rawValue]
        } else if !filter.all {
            conditions.append("t.status IN ('new', 'open', 'pending')")
        }
        if filter.snoozed {
            conditions.append("EXISTS (\(snoozedSQL))"); arguments += [Int64(clamping: now)]
        } else if !filter.all {
            conditions.append("NOT EXISTS (\(snoozedSQL))"); arguments += [Int64(clamping: now)]
        }
        if let queue = filter.queue { conditions.append("t.queue = ?"); arguments += [queue] }
        if let holder = filter.holder { conditions.append("t.holder = ?"); arguments += [holder.key.data] }
        if filter.unassigned { conditions.append("t.holder IS NULL") }
        if filter.escalated { conditions.append("t.tier = 'escalation'") }
        if let languages = filter.languages {
            conditions.append("(t.lang IS NULL" + (languages.isEmpty ? ")" : " OR t.lang IN (\(languages.map { _ in "?" }.joined(separator: ", "))))"))
            arguments += StatementArguments(languages)
        }
        if filter.breaching {
            // Breaching now: due within the window before now (older unanswered tickets are history).
            // Per priority that is a range of first_inbound_ms (now - window - target <= first < now - target), so the
            // open index answers it as in deskQueueCounts instead of computing every open ticket's due time.
            var ranges: [String] = []
            for priority in Priority.allCases {
                let before = Int64(now) - 60_000 * Int64(sla.target(priority))
                ranges.append("(t.priority_rank = ? AND (t.first_inbound_ms IS NULL) = 0 AND t.first_inbound_ms < ? AND t.first_inbound_ms >= ?)")
                arguments += [priority.rank, before, before - (Int64(now) - Self.historyBefore(now))]
            }
            conditions.append("t.first_response_ms IS NULL AND (\(ranges.joined(separator: " OR ")))")
        }
        return (conditions, arguments)
    }

    static func inboxRow(_ row: Row, handle: String?, now: UInt64) -> InboxRow {
        let firstResponse: Int64? = row["first_response_ms"]
        let due: Int64? = row["due_ms"]
        let holder: Data? = row["holder"]
        let status = TicketStatus(rawValue: row["status"]) ?? .new
        let unanswered = firstResponse == nil && status.isOpenWork
        let history = unanswered && due.map { $0 < historyBefore(now) } == true
        let brand: String? = row["brand"]
        return InboxRow(
            key: row["key"], status: status, priority: Priority(rawValue: row["priority"]) ?? .normal,
            tier: Tier(rawValue: row["tier"]) ?? .triage, queue: row["queue"], channel: row["channel"],
            customer: row["customer"], customerHandle: handle,
            holder: holder.flatMap { AuthorID(bytes: [UInt8]($0))?.text },
            firstInboundMillis: (row["first_inbound_ms"] as Int64?).map { UInt64($0) },
            firstResponseMillis: firstResponse.map { UInt64($0) }, dueMillis: due.map { UInt64($0) },
            breaching: unanswered && !history && due.map { UInt64($0) < now } == true,
            messages: row["messages"], reopened: row["reopened"], resolution: row["resolution"],
            brand: brand.flatMap { $0.isEmpty ? nil : $0 },
            lastInboundMillis: (row["last_inbound_ms"] as Int64?).map { UInt64($0) }, snippet: nil, history: history,
            language: row["lang"], sentiment: (row["sentiment"] as Int64?).map { Int($0) })
    }

    /// One ticket's inbox row, or nil when unknown.
    public func ticketRow(_ key: String, sla: SLATargets, now: UInt64) throws(StoreError) -> InboxRow? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT t.*, (\(sla.dueSQL)) AS due_ms FROM desk_ticket t WHERE key = ?",
                                             arguments: [key]) else { return nil }
            let handle = try DeskProjection.entityFields(EntityRef(Desk.customer, row["customer"]), db: db)?["handle"]?.stringValue
            var inboxRow = Self.inboxRow(row, handle: handle, now: now)
            inboxRow.snippet = try Self.latestInboundSnippet(key, db: db)
            return inboxRow
        }
    }

    /// Ticket keys whose key ends with `suffix` (so agents can type `1193` for `p1193`).
    public func ticketKeys(matching text: String) throws(StoreError) -> [String] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT key FROM desk_ticket WHERE key = ? OR key = 'p' || ? OR key = 'd' || ? LIMIT 3",
                                arguments: [text, text, text])
        }
    }

    /// A ticket's messages, oldest first, with their text and outbox state.
    public func thread(_ key: String) throws(StoreError) -> [ThreadMessage] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT m.*, e.fields, r.value AS outbox FROM desk_message m
                JOIN mv_entity e ON e.collection = 'message' AND e.key = m.id
                LEFT JOIN mv_register r ON r.collection = 'message' AND r.key = m.id AND r.field = 'outbox'
                WHERE m.ticket = ? ORDER BY m.created_ms, m.id
                """, arguments: [key]).map { row in
                let fields = try FieldList.decode([UInt8](row["fields"] as Data))
                let outbox: Data? = row["outbox"]
                return ThreadMessage(
                    id: row["id"], direction: MessageDirection(rawValue: row["direction"]) ?? .note, author: row["author"],
                    createdMillis: UInt64(row["created_ms"] as Int64),
                    text: fields.first { $0.name == "text" }?.value.stringValue ?? Redaction.erasedText, dm: row["dm"], signature: row["signature"],
                    outbox: try outbox.flatMap { try Value.decode([UInt8]($0)).stringValue }.flatMap(OutboxState.init(rawValue:)),
                    language: row["lang"], sentiment: (row["sentiment"] as Int64?).map { Int($0) })
            }
        }
    }

    /// Keys of every ticket of a customer, oldest first.
    public func ticketKeys(ofCustomer customer: String) throws(StoreError) -> [String] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT key FROM desk_ticket WHERE customer = ? ORDER BY first_inbound_ms, key",
                                arguments: [customer])
        }
    }

    /// Customer ids whose handle is `handle` (case-insensitive, without `@`).
    public func customerIDs(handle: String) throws(StoreError) -> [String] {
        let wanted = handle.hasPrefix("@") ? String(handle.dropFirst()) : handle
        return try read { db in
            var ids: [String] = []
            let rows = try Row.fetchCursor(db, sql: "SELECT key, fields FROM mv_entity WHERE collection = 'customer'")
            while let row = try rows.next() {
                let key: String = row["key"]
                if key == wanted { ids.append(key); continue }
                let fields = try FieldList.decode([UInt8](row["fields"] as Data))
                if fields.first(where: { $0.name == "handle" })?.value.stringValue?.lowercased() == wanted.lowercased() {
                    ids.append(key)
                }
            }
            return ids
        }
    }

    /// Keys of every entity in a collection (settings lists: canned responses, queues, resolution types).
    public func keys(in collection: String) throws(StoreError) -> [String] {
        try read { db in
            try String.fetchAll(db, sql: """
                SELECT key FROM mv_entity WHERE collection = ? UNION SELECT key FROM mv_register WHERE collection = ? ORDER BY 1
                """, arguments: [collection, collection])
        }
    }

    /// Every desk ticket and message, for reports (read in one transaction so they agree).
    public func deskSnapshot() throws(StoreError) -> (tickets: [DeskTicketFacts], messages: [DeskMessageFacts]) {
        try read { db in
            let tickets = try Row.fetchAll(db, sql: "SELECT * FROM desk_ticket ORDER BY key").map(Self.ticketFacts)
            let messages = try Row.fetchAll(db, sql: "SELECT * FROM desk_message ORDER BY ticket, created_ms, id").map(Self.messageFacts)
            return (tickets, messages)
        }
    }

    /// Claim conflicts on tickets, with the loser's holder, for the report.
    public func ticketClaimConflicts() throws(StoreError) -> [ClaimConflictRow] {
        try claimConflicts().filter { $0.entity.collection == Desk.ticket }
    }
}

/// The facts of one ticket the report needs.
public struct DeskTicketFacts: Hashable, Sendable {
    public var key: String
    public var status: TicketStatus
    public var priority: Priority
    public var queue: String?
    public var channel: String
    public var resolution: String?
    public var holder: AuthorID?
    public var firstInboundMillis: UInt64?
    public var firstResponseMillis: UInt64?
    public var statusSetMillis: UInt64?
    public var statusBy: AuthorID?
}

/// The facts of one message the report needs.
public struct DeskMessageFacts: Hashable, Sendable {
    public var id: String
    public var ticket: String
    public var direction: MessageDirection
    public var author: String
    public var createdMillis: UInt64
    public var dm: Bool
    public var signature: String?
}

extension OpStore {
    /// Whether an entity has been inserted.
    public func exists(_ entity: EntityRef) throws(StoreError) -> Bool {
        try read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM mv_entity WHERE collection = ? AND key = ?)",
                              arguments: [entity.collection, entity.key]) ?? false
        }
    }

    /// A customer's tickets whose first message falls in `since..<until` (triage history rules).
    public func customerTicketCount(_ customer: String, since: UInt64, until: UInt64) throws(StoreError) -> Int {
        try read { db in
            try Int.fetchOne(db, sql: """
                SELECT count(*) FROM desk_ticket WHERE customer = ? AND first_inbound_ms >= ? AND first_inbound_ms < ?
                """, arguments: [customer, Int64(since), Int64(until)]) ?? 0
        }
    }

    /// Tickets carrying `tag` whose first message falls in `since..<until` (crisis spike rules).
    public func taggedTicketCount(_ tag: String, since: UInt64, until: UInt64) throws(StoreError) -> Int {
        try read { db in
            try Int.fetchOne(db, sql: """
                SELECT count(*) FROM desk_ticket t JOIN mv_tag g ON g.collection = 'ticket' AND g.key = t.key AND g.tag = ?
                WHERE t.first_inbound_ms >= ? AND t.first_inbound_ms < ?
                """, arguments: [tag, Int64(since), Int64(until)]) ?? 0
        }
    }
}
