import Foundation
import GRDB
public import RoostCore

/// How many open tickets each of the web app's queues holds.
public struct DeskQueueCounts: Hashable, Sendable, Codable {
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
    /// Open work per named queue, by queue name.
    public var queues: [String: Int]

    /// Creates counts.
    public init(open: Int, unassigned: Int, mine: Int, escalated: Int, breaching: Int, queues: [String: Int]) {
        self.open = open; self.unassigned = unassigned; self.mine = mine
        self.escalated = escalated; self.breaching = breaching; self.queues = queues
    }
}

extension OpStore {
    /// The counts behind the web app's queue list, in one pass over the open tickets plus one per-queue grouping.
    public func deskQueueCounts(holder: AuthorID, sla: SLATargets, now: UInt64) throws(StoreError) -> DeskQueueCounts {
        try read { db in
            let open = "status IN ('new', 'open', 'pending')"
            let row = try Row.fetchOne(db, sql: """
                SELECT count(*) AS open, total(holder IS NULL) AS unassigned, total(holder = ?) AS mine,
                    total(tier = 'escalation') AS escalated,
                    total(first_response_ms IS NULL AND first_inbound_ms IS NOT NULL AND (\(sla.dueSQL)) < ?) AS breaching
                FROM desk_ticket WHERE \(open)
                """, arguments: [holder.key.data, now.sql])
            var queues: [String: Int] = [:]
            for queueRow in try Row.fetchAll(db, sql: """
                SELECT queue, count(*) AS n FROM desk_ticket WHERE \(open) AND queue IS NOT NULL GROUP BY queue
                """) {
                queues[queueRow["queue"]] = queueRow["n"]
            }
            func int(_ name: String) -> Int { Int((row?[name] as Double?) ?? 0) }
            return DeskQueueCounts(open: (row?["open"] as Int?) ?? 0, unassigned: int("unassigned"), mine: int("mine"),
                                   escalated: int("escalated"), breaching: int("breaching"), queues: queues)
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

    /// Names of the queues open tickets are in, and every queue inserted as `queue/<name>`.
    public func deskQueueNames() throws(StoreError) -> [String] {
        try read { db in
            let used = try String.fetchAll(db, sql: "SELECT DISTINCT queue FROM desk_ticket WHERE queue IS NOT NULL")
            let declared = try String.fetchAll(db, sql: "SELECT key FROM mv_entity WHERE collection = 'queue'")
            return Array(Set(used + declared)).sorted()
        }
    }
}
