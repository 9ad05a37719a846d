import Foundation
import GRDB
public import RoostCore

/// How many open tickets each of the web app's queues holds, counted exactly up to ``cap``: a count of
/// `cap + 1` means "more than `cap`" (a badge shows `999+`), so the counts cost index seeks, not a scan of
/// every open ticket.
public struct DeskQueueCounts: Hashable, Sendable, Codable {
    /// Counts are exact up to this; `cap + 1` means more.
    public var cap: Int
    /// All open work (new, open, pending).
    public var open: Int
    /// Open work nobody holds.
    public var unassigned: Int
    /// Open work the given member holds.
    public var mine: Int
    /// Open work at the escalation tier.
    public var escalated: Int
    /// Open work whose first response is overdue.
    public var breaching: Int
    /// Open work per queue, by queue name (declared queues included, with 0).
    public var queues: [String: Int]

    /// Creates counts.
    public init(cap: Int, open: Int, unassigned: Int, mine: Int, escalated: Int, breaching: Int, queues: [String: Int]) {
        self.cap = cap; self.open = open; self.unassigned = unassigned; self.mine = mine
        self.escalated = escalated; self.breaching = breaching; self.queues = queues
    }

    /// A count as shown: `42`, or `999+` past the cap.
    public func label(_ count: Int) -> String { count > cap ? "\(cap)+" : String(count) }
}

extension DeskViews {
    /// The counts behind the web app's queue list, each exact up to `cap` (see ``DeskQueueCounts``). Every count
    /// walks one of the inbox indexes and stops after `cap + 1` rows.
    public func deskQueueCounts(holder: AuthorID, sla: SLATargets, now: UInt64, cap: Int) throws(StoreError) -> DeskQueueCounts {
        try read { db in
            let open = "status IN \(TicketStatus.openWorkSQL)"
            let limit = max(1, cap) + 1
            func count(_ condition: String, _ arguments: StatementArguments = [], limit: Int = limit) throws -> Int {
                try Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT 1 FROM desk_ticket WHERE \(open)\(condition) LIMIT ?)",
                                 arguments: arguments + [limit]) ?? 0
            }
            // Queue names by skipping through the queue index (one seek per distinct queue), plus declared queues.
            let names = try String.fetchAll(db, sql: """
                WITH RECURSIVE q(name) AS (
                    SELECT min(queue) FROM desk_ticket WHERE \(open) AND queue IS NOT NULL
                    UNION ALL
                    SELECT (SELECT min(queue) FROM desk_ticket WHERE \(open) AND queue > q.name) FROM q WHERE q.name IS NOT NULL)
                SELECT name FROM q WHERE name IS NOT NULL
                """)
            var queues: [String: Int] = [:]
            for name in try String.fetchAll(db, sql: "SELECT key FROM mv_entity WHERE collection = 'queue'") { queues[name] = 0 }
            for name in names { queues[name] = try count(" AND queue = ?", [name]) }
            return DeskQueueCounts(
                cap: max(1, cap), open: try count(""), unassigned: try count(" AND holder IS NULL"),
                mine: try count(" AND holder = ?", [holder.key.data]), escalated: try count(" AND tier = 'escalation'"),
                breaching: try breachingCount(db, count: count, sla: sla, now: now, limit: limit), queues: queues)
        }
    }

    /// Tickets breaching now, counted up to `limit`: without queue policies the overdue first responses per priority
    /// are ranges of the open index (now - window - target <= first_inbound_ms < now - target; due times older than
    /// the window are history: DeskLimits.breachWindowMillis), then the overdue next replies; with queue policies
    /// (business hours, per-queue targets) one condition calls roost_due.
    private func breachingCount(_ db: Database, count: (String, StatementArguments, Int) throws -> Int, sla: SLATargets,
                                now: UInt64, limit: Int) throws -> Int {
        guard sla.queues.isEmpty else {
            let (condition, arguments) = Self.breachingCondition(sla: sla, now: now, table: "desk_ticket")
            return try sla.withFunctions(db) { try count(" AND \(condition)", arguments, limit) }
        }
        var breaching = 0
        for priority in Priority.allCases where breaching < limit {
            let before = Int64(now.sql) - 60_000 * Int64(sla.target(priority))
            let since = before - (Int64(now.sql) - Self.historyBefore(now))
            breaching += try count(" AND priority_rank = ? AND (first_inbound_ms IS NULL) = 0 AND first_inbound_ms < ? AND first_inbound_ms >= ? AND first_response_ms IS NULL",
                                   [priority.rank, before, since], limit - breaching)
        }
        if breaching < limit {
            // A ticket is either unanswered (counted above) or answered, so nothing counts twice.
            let (condition, arguments) = Self.nextReplyBreachCondition(sla: sla, now: now, table: "desk_ticket")
            breaching += try count(" AND \(condition)", arguments, limit - breaching)
        }
        return breaching
    }

    /// Open tickets whose running SLA clock (first response, else next reply) has passed its warning share and is
    /// not overdue yet: the metric `roost_sla_warning_tickets`.
    public func slaWarningCount(sla: SLATargets, now: UInt64) throws(StoreError) -> Int {
        let awaiting = Self.awaitingSQL
        let oldest = Self.historyBefore(now) - DeskLimits.businessTimeReachMillis
        let sql = """
            SELECT count(*) FROM desk_ticket t WHERE t.status IN \(TicketStatus.openWorkSQL) AND (? = 0 OR NOT EXISTS (\(Self.snoozedSQL))) AND (
              (t.first_response_ms IS NULL AND t.first_inbound_ms IS NOT NULL
               AND roost_due(8, t.queue, t.priority, t.first_inbound_ms) <= ? AND roost_due(0, t.queue, t.priority, t.first_inbound_ms) >= ?)
              OR (t.first_response_ms IS NOT NULL AND t.status IN ('new', 'open') AND t.last_inbound_ms = t.last_message_ms AND t.last_inbound_ms >= ?
               AND roost_due(9, t.queue, t.priority, \(awaiting)) <= ? AND roost_due(1, t.queue, t.priority, \(awaiting)) >= ?))
            """
        return try read { db in
            try sla.withFunctions(db, force: true) {
                try Int.fetchOne(db, sql: sql, arguments: [try Self.anySnoozed(db, now: now), Int64(now), Int64(now), Int64(now), oldest, Int64(now), Int64(now)]) ?? 0
            }
        }
    }

    /// The HLC timestamp of a stored op, or nil when this node does not hold it.
    public func timestamp(of ref: OpRef) throws(StoreError) -> HLC? {
        try read { db in
            try Int64.fetchOne(db, sql: "SELECT hlc FROM op WHERE author = ? AND epoch = ? AND seq = ?",
                               arguments: [ref.author.key.data, ref.epoch.sql, ref.seq.sql])
                .map { HLC(rawValue: UInt64(bitPattern: $0)) }
        }
    }
}
