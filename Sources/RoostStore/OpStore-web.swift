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

extension OpStore {
    /// The counts behind the web app's queue list, each exact up to `cap` (see ``DeskQueueCounts``). Every count
    /// walks one of the inbox indexes and stops after `cap + 1` rows.
    public func deskQueueCounts(holder: AuthorID, sla: SLATargets, now: UInt64, cap: Int) throws(StoreError) -> DeskQueueCounts {
        try read { db in
            let open = "status IN ('new', 'open', 'pending')"
            let limit = max(1, cap) + 1
            func count(_ condition: String, _ arguments: StatementArguments = [], limit: Int = limit) throws -> Int {
                try Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT 1 FROM desk_ticket WHERE \(open)\(condition) LIMIT ?)",
                                 arguments: arguments + [limit]) ?? 0
            }
            // Overdue per priority: now - window - target <= first_inbound_ms < now - target, a range of the open
            // index (due times older than the window are history, not breaching: DeskLimits.breachWindowMillis).
            var breaching = 0
            for priority in Priority.allCases where breaching < limit {
                let before = Int64(now.sql) - 60_000 * Int64(sla.target(priority))
                let since = before - (Int64(now.sql) - Self.historyBefore(now))
                breaching += try count(" AND priority_rank = ? AND (first_inbound_ms IS NULL) = 0 AND first_inbound_ms < ? AND first_inbound_ms >= ? AND first_response_ms IS NULL",
                                       [priority.rank, before, since], limit: limit - breaching)
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
                breaching: breaching, queues: queues)
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
