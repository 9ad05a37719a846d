import Foundation
import GRDB
public import RoostCore

/// First-response targets per priority, in minutes.
public struct SLATargets: Hashable, Sendable, Codable {
    /// Minutes by priority.
    public var minutes: [Priority: Int]
    /// Per-queue service levels from the team's desk policy (SPEC.md §1b.13); tickets without a queue use the
    /// entry of ``RoutingRules/defaultQueue`` when there is one. Empty: the priority targets around the clock.
    public var queues: [String: QueueSLA] = [:]

    private enum CodingKeys: String, CodingKey { case minutes }

    /// The defaults: 30 minutes for urgent and high, 60 for normal and low.
    public static let defaults = SLATargets(minutes: Dictionary(uniqueKeysWithValues: Priority.allCases.map {
        ($0, $0.defaultFirstResponseMinutes)
    }))

    /// Creates targets.
    public init(minutes: [Priority: Int], queues: [String: QueueSLA] = [:]) { self.minutes = minutes; self.queues = queues }

    /// The target for `priority`.
    public func target(_ priority: Priority) -> Int { minutes[priority] ?? priority.defaultFirstResponseMinutes }

    /// The service levels of a ticket's queue, if the policy names it.
    public func queueSLA(_ queue: String?) -> QueueSLA? { queues[queue ?? RoutingRules.defaultQueue] }

    /// The first-response target of a ticket in minutes.
    public func firstResponseMinutes(_ priority: Priority, queue: String?) -> Int {
        queueSLA(queue)?.firstResponseMinutes ?? target(priority)
    }

    /// The next-reply target of a ticket in minutes.
    public func nextReplyMinutes(_ priority: Priority, queue: String?) -> Int {
        queueSLA(queue)?.nextReplyMinutes ?? firstResponseMinutes(priority, queue: queue)
    }

    /// Which of a ticket's clocks.
    public enum Clock: Int, Sendable { case firstResponse = 0, nextReply = 1, resolution = 2 }

    /// When `clock`, started at `start`, is due (Unix ms), in business time where the queue's policy says so;
    /// nil for a resolution clock the queue does not have.
    public func due(_ clock: Clock, from start: Int64, priority: Priority, queue: String?) -> Int64? {
        let policy = queueSLA(queue)
        let minutes: Int
        switch clock {
        case .firstResponse: minutes = firstResponseMinutes(priority, queue: queue)
        case .nextReply: minutes = nextReplyMinutes(priority, queue: queue)
        case .resolution:
            guard let target = policy?.resolutionMinutes else { return nil }
            minutes = target
        }
        return policy?.due(from: start, minutes: minutes) ?? start + Int64(minutes) * 60_000
    }

    /// When `clock`, started at `start`, begins to warn.
    public func warnAt(_ clock: Clock, from start: Int64, priority: Priority, queue: String?) -> Int64? {
        let policy = queueSLA(queue) ?? QueueSLA()
        let minutes: Int
        switch clock {
        case .firstResponse: minutes = firstResponseMinutes(priority, queue: queue)
        case .nextReply: minutes = nextReplyMinutes(priority, queue: queue)
        case .resolution:
            guard let target = policy.resolutionMinutes else { return nil }
            minutes = target
        }
        return policy.warnAt(from: start, minutes: minutes)
    }

    /// SQL expression for the first-response due time of a `desk_ticket` row. Without queue policies the targets
    /// are small integers, inlined; with them it calls `roost_due` (``dueFunction``), which the query installs.
    var dueSQL: String { dueSQL(.firstResponse, start: "first_inbound_ms", queue: "queue", priority: "priority") }

    func dueSQL(_ clock: Clock, start: String, queue: String, priority: String) -> String {
        if queues.isEmpty && clock != .resolution {
            return "\(start) + 60000 * CASE \(priority) "
                + Priority.allCases.map { "WHEN '\($0.rawValue)' THEN \(target($0))" }.joined(separator: " ")
                + " END"
        }
        return "roost_due(\(clock.rawValue), \(queue), \(priority), \(start))"
    }

    /// `roost_due(clock, queue, priority, start_ms)`: ``due(_:from:priority:queue:)`` for SQL (NULL in, NULL out).
    var dueFunction: DatabaseFunction {
        DatabaseFunction("roost_due", argumentCount: 4, pure: true) { [self] values in
            // Clock raw value, plus 8 for the instant it starts to warn.
            guard let raw = Int.fromDatabaseValue(values[0]), let clock = Clock(rawValue: raw & 7),
                  let start = Int64.fromDatabaseValue(values[3]) else { return nil }
            let priority = String.fromDatabaseValue(values[2]).flatMap(Priority.init(rawValue:)) ?? .normal
            let queue = String.fromDatabaseValue(values[1])
            return raw & 8 != 0 ? warnAt(clock, from: start, priority: priority, queue: queue) : due(clock, from: start, priority: priority, queue: queue)
        }
    }

    /// Runs `work` with `roost_due` installed on `db` when the targets need it (or always, with `force`).
    func withFunctions<T>(_ db: Database, force: Bool = false, _ work: () throws -> T) rethrows -> T {
        guard force || !queues.isEmpty else { return try work() }
        let function = dueFunction
        db.add(function: function)
        defer { db.remove(function: function) }
        return try work()
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
    /// After the team's first response: when the oldest customer message since the team's latest reply was written
    /// (the start of the next-reply clock), nil when nothing awaits an answer.
    public var awaitingSinceMillis: UInt64? = nil
    /// When the awaited next reply is due (SPEC.md §1b.13).
    public var nextReplyDueMillis: UInt64? = nil
    /// The running clock (first response, else next reply) has passed its warning share but is not overdue yet.
    public var slaWarning: Bool? = nil
    /// When the running clock starts to warn (its queue's warn_percent of the target), so pages can tick.
    public var slaWarnMillis: UInt64? = nil
    /// The member (id text) routing last pushed the ticket to; it was pushed to its holder when this equals `holder`.
    public var pushedTo: String? = nil
}

/// Limits of the desk's read side, in one place.
public enum DeskLimits {
    /// An unanswered ticket breaches its SLA while its due time lies within this window before now; older
    /// ones (a TWCS import of 2017 read in 2026) are history, not today's breach: 7 days.
    public static let breachWindowMillis: UInt64 = 7 * 24 * 3_600_000
    /// How far back a business-time next-reply clock may have started and still be due within the breach window:
    /// 30 days (a queue open a few hours a week stretches a target over days).
    public static let businessTimeReachMillis: Int64 = 30 * 86_400_000
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

extension DeskViews {
    /// The inbox: sorted by priority, then SLA due time (first customer message plus the priority's target),
    /// or as `filter.sort` says; `filter.offset` rows skipped.
    public func inbox(_ filter: InboxFilter, sla: SLATargets, now: UInt64) throws(StoreError) -> [InboxRow] {
        try read { db in try inbox(filter, sla: sla, now: now, db: db) }
    }

    func inbox(_ filter: InboxFilter, sla: SLATargets, now: UInt64, db: Database) throws -> [InboxRow] {
        let (conditions, arguments) = Self.inboxConditions(filter, sla: sla, now: now, snoozes: try Self.anySnoozed(db, now: now))
        let order = switch filter.sort {
        case .priority: "t.priority_rank, t.first_inbound_ms IS NULL, t.first_inbound_ms, t.key"
        case .due: "t.first_response_ms IS NOT NULL OR t.first_inbound_ms IS NULL, due_ms < \(Self.historyBefore(now)), due_ms, t.key"
        case .newest: "t.last_inbound_ms IS NULL, t.last_inbound_ms DESC, t.key"
        }
        // The page is picked first and only its rows are joined to their customers: joined before the sort, every
        // open ticket (100,000 in the benchmark) was looked up in mv_entity for a page of 50.
        let sql = """
            SELECT t.*, c.fields AS handle,
                CASE WHEN t.first_response_ms IS NOT NULL AND t.status IN ('new', 'open') AND t.last_inbound_ms = t.last_message_ms
                     THEN \(Self.awaitingSQL) END AS awaiting_ms,
                CASE WHEN t.holder IS NOT NULL THEN \(Self.pushedToSQL) END AS pushed_to FROM (
                SELECT t.*, (\(sla.dueSQL)) AS due_ms FROM desk_ticket t
                \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
                ORDER BY \(order) LIMIT \(max(1, filter.limit)) OFFSET \(max(0, filter.offset))
            ) t
            LEFT JOIN mv_entity c ON c.collection = 'customer' AND c.key = t.customer
            ORDER BY \(order)
            """
        return try sla.withFunctions(db) {
            try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                let handleFields: Data? = row["handle"]
                let handle = try handleFields.flatMap { try FieldList.decode([UInt8]($0)).first { $0.name == "handle" }?.value.stringValue }
                var inboxRow = Self.inboxRow(row, handle: handle, sla: sla, now: now)
                inboxRow.snippet = try Self.latestInboundSnippet(row["key"], db: db)
                return inboxRow
            }
        }
    }

    /// How many tickets `filter` matches in all (its `limit` and `offset` ignored): the pager's total.
    public func inboxCount(_ filter: InboxFilter, sla: SLATargets, now: UInt64) throws(StoreError) -> Int {
        try read { db in
            let (conditions, arguments) = Self.inboxConditions(filter, sla: sla, now: now, snoozes: try Self.anySnoozed(db, now: now))
            let sql = "SELECT count(*) FROM desk_ticket t"
                + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND "))
            return try sla.withFunctions(db) { try Int.fetchOne(db, sql: sql, arguments: arguments) ?? 0 }
        }
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

    /// The oldest customer message of ticket `t` created after the team's latest reply, when the team has
    /// replied: the start of its next-reply clock (SPEC.md §1b.13). NULL when nothing awaits an answer.
    static let awaitingSQL = """
        (SELECT min(m.created_ms) FROM desk_message m WHERE m.ticket = t.key AND m.direction = 'inbound' AND m.created_ms >
            (SELECT max(o.created_ms) FROM desk_message o WHERE o.ticket = t.key AND o.direction = 'outbound'))
        """

    /// The encoded `pushed_to` register of ticket `t` (the member routing pushed it to), NULL when none.
    static let pushedToSQL = """
        (SELECT r.value FROM mv_register r WHERE r.collection = 'ticket' AND r.key = t.key AND r.field = 'pushed_to')
        """

    /// Whether ticket `t` is snoozed at the argument's time: until a later time, and no customer message since it was
    /// snoozed (a customer who writes wakes it).
    static let snoozedSQL = """
        SELECT 1 FROM desk_snooze s WHERE s.key = t.key AND s.until_ms > ? AND (t.last_inbound_ms IS NULL OR t.last_inbound_ms <= s.set_ms)
        """

    /// Whether any ticket is snoozed past `now` at all: when none is (the usual case), queries leave out the per-ticket
    /// snooze test, which cost 75 ms per count of 55,000 open tickets (one subquery each).
    static func anySnoozed(_ db: Database, now: UInt64) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM desk_snooze WHERE until_ms > ?)", arguments: [Int64(clamping: now)]) ?? true
    }

    static func inboxConditions(_ filter: InboxFilter, sla: SLATargets, now: UInt64, snoozes: Bool = true) -> ([String], StatementArguments) {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let status = filter.status {
            conditions.append("t.status = ?"); arguments += [status.rawValue]
        } else if !filter.all {
            conditions.append("t.status IN \(TicketStatus.openWorkSQL)")
        }
        if filter.snoozed {
            conditions.append(snoozes ? "EXISTS (\(snoozedSQL))" : "0")
            if snoozes { arguments += [Int64(clamping: now)] }
        } else if !filter.all && snoozes {
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
            let (condition, values) = breachingCondition(sla: sla, now: now)
            conditions.append(condition); arguments += values
        }
        return (conditions, arguments)
    }

    /// Tickets breaching now: a first response or a next reply overdue, with the due time within the window before
    /// now (older ones are history). Without queue policies the first-response part is, per priority, a range of
    /// `first_inbound_ms` (`now - window - target <= first < now - target`) that the open index answers, as in
    /// ``deskQueueCounts(holder:sla:now:cap:)``; with them it calls `roost_due` on the open unanswered tickets.
    /// The next-reply part looks only at answered tickets whose latest message is the customer's and who wrote
    /// within the window plus the longest target.
    static func breachingCondition(sla: SLATargets, now: UInt64, table: String = "t") -> (String, StatementArguments) {
        var arguments: StatementArguments = []
        let windowStart = historyBefore(now)
        var firstResponse: String
        if sla.queues.isEmpty {
            var ranges: [String] = []
            for priority in Priority.allCases {
                let before = Int64(now) - 60_000 * Int64(sla.target(priority))
                ranges.append("(\(table).priority_rank = ? AND (\(table).first_inbound_ms IS NULL) = 0 AND \(table).first_inbound_ms < ? AND \(table).first_inbound_ms >= ?)")
                arguments += [priority.rank, before, before - (Int64(now) - windowStart)]
            }
            firstResponse = "(\(table).first_response_ms IS NULL AND (\(ranges.joined(separator: " OR "))))"
        } else {
            let due = sla.dueSQL(.firstResponse, start: "\(table).first_inbound_ms", queue: "\(table).queue", priority: "\(table).priority")
            firstResponse = "(\(table).first_response_ms IS NULL AND \(table).first_inbound_ms IS NOT NULL AND (\(due)) < ? AND (\(due)) >= ?)"
            arguments += [Int64(now), windowStart]
        }
        let (nextReply, values) = nextReplyBreachCondition(sla: sla, now: now, table: table)
        return ("(\(firstResponse) OR \(nextReply))", arguments + values)
    }

    /// The next-reply part of ``breachingCondition(sla:now:table:)``.
    static func nextReplyBreachCondition(sla: SLATargets, now: UInt64, table: String) -> (String, StatementArguments) {
        let windowStart = historyBefore(now)
        let awaiting = awaitingSQL.replacingOccurrences(of: "t.key", with: "\(table).key")
        let nextDue = sla.dueSQL(.nextReply, start: awaiting, queue: "\(table).queue", priority: "\(table).priority")
        let oldest = windowStart - Int64(sla.queues.isEmpty ? 60_000 * Int64(Priority.allCases.map(sla.target).max() ?? 0) : DeskLimits.businessTimeReachMillis)
        let nextReply = """
            (\(table).first_response_ms IS NOT NULL AND \(table).status IN ('new', 'open') AND \(table).last_inbound_ms = \(table).last_message_ms
             AND \(table).last_inbound_ms >= ?
             AND (\(nextDue)) < ? AND (\(nextDue)) >= ?)
            """
        return (nextReply, [oldest, Int64(now), windowStart])
    }

    static func inboxRow(_ row: Row, handle: String?, sla: SLATargets, now: UInt64) -> InboxRow {
        let firstResponse: Int64? = row["first_response_ms"]
        let due: Int64? = row["due_ms"]
        let holder: Data? = row["holder"]
        let status = TicketStatus(rawValue: row["status"]) ?? .new
        let unanswered = firstResponse == nil && status.isOpenWork
        let history = unanswered && due.map { $0 < historyBefore(now) } == true
        let brand: String? = row["brand"]
        let priority = Priority(rawValue: row["priority"]) ?? .normal
        let queue: String? = row["queue"]
        // Next-reply clocks run while the ticket waits on the team (new, open), not while pending or on hold.
        let awaiting: Int64? = firstResponse != nil && status.clocksRun ? row["awaiting_ms"] : nil
        let nextDue = awaiting.flatMap { sla.due(.nextReply, from: $0, priority: priority, queue: queue) }
        let current: Int64?, warnAt: Int64?
        if unanswered, let first = row["first_inbound_ms"] as Int64? {
            current = due; warnAt = sla.warnAt(.firstResponse, from: first, priority: priority, queue: queue)
        } else if let awaiting {
            current = nextDue; warnAt = sla.warnAt(.nextReply, from: awaiting, priority: priority, queue: queue)
        } else {
            current = nil; warnAt = nil
        }
        let inWindow = current.map { $0 >= historyBefore(now) } == true
        let breaching = inWindow && current.map { $0 < Int64(now) } == true
        return InboxRow(
            key: row["key"], status: status, priority: Priority(rawValue: row["priority"]) ?? .normal,
            tier: Tier(rawValue: row["tier"]) ?? .triage, queue: row["queue"], channel: row["channel"],
            customer: row["customer"], customerHandle: handle,
            holder: holder.flatMap { AuthorID(bytes: [UInt8]($0))?.text },
            firstInboundMillis: (row["first_inbound_ms"] as Int64?).map { UInt64($0) },
            firstResponseMillis: firstResponse.map { UInt64($0) }, dueMillis: due.map { UInt64($0) },
            breaching: breaching,
            messages: row["messages"], reopened: row["reopened"], resolution: row["resolution"],
            brand: brand.flatMap { $0.isEmpty ? nil : $0 },
            lastInboundMillis: (row["last_inbound_ms"] as Int64?).map { UInt64($0) }, snippet: nil, history: history,
            language: row["lang"], sentiment: (row["sentiment"] as Int64?).map { Int($0) },
            awaitingSinceMillis: awaiting.map { UInt64($0) }, nextReplyDueMillis: nextDue.map { UInt64($0) },
            slaWarning: !breaching && inWindow && warnAt.map { $0 <= Int64(now) } == true ? true : nil,
            slaWarnMillis: inWindow ? warnAt.map { UInt64(clamping: $0) } : nil,
            pushedTo: (row["pushed_to"] as Data?).flatMap { try? Value.decode([UInt8]($0)).stringValue })
    }

    /// One ticket's inbox row, or nil when unknown.
    public func ticketRow(_ key: String, sla: SLATargets, now: UInt64) throws(StoreError) -> InboxRow? {
        try read { db in
            guard let row = try sla.withFunctions(db, {
                try Row.fetchOne(db, sql: "SELECT t.*, (\(sla.dueSQL)) AS due_ms, \(Self.awaitingSQL) AS awaiting_ms, \(Self.pushedToSQL) AS pushed_to FROM desk_ticket t WHERE key = ?",
                                 arguments: [key])
            }) else { return nil }
            let handle = try DeskProjection.entityFields(EntityRef(Desk.customer, row["customer"]), db: db)?["handle"]?.stringValue
            var inboxRow = Self.inboxRow(row, handle: handle, sla: sla, now: now)
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
        try store.state.claimConflicts().filter { $0.entity.collection == Desk.ticket }
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

extension DeskViews {
    /// Keys of every ticket inserted, sorted.
    public func ticketKeys() throws(StoreError) -> [String] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT key FROM mv_entity WHERE collection = ? ORDER BY key", arguments: [Desk.ticket])
        }
    }

    /// The ticket a message belongs to, from its merged insert payload.
    public func ticket(ofMessage id: String) throws(StoreError) -> String? {
        try store.state.entity(EntityRef(Desk.message, id))?.first { $0.name == "ticket" }?.value.stringValue
    }

    /// A ticket's queue as the desk projection holds it.
    public func queue(ofTicket key: String) throws(StoreError) -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT queue FROM desk_ticket WHERE key = ?", arguments: [key]) }
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
