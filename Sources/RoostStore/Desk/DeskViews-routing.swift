import Foundation
import GRDB
public import RoostCore

/// What routing reads of one member's work (issue 15).
public struct RoutingLoad: Sendable, Equatable {
    /// Open tickets (new, open, pending) they hold with a live lease.
    public var open: Int
    /// HLC time (ms) of the newest claim naming them as holder.
    public var lastClaimMillis: UInt64
}

extension DeskViews {
    /// Every holder's open load and newest claim at `now` (ms).
    public func routingLoads(now: UInt64) throws(StoreError) -> [AuthorID: RoutingLoad] {
        try read { db in
            var loads: [AuthorID: RoutingLoad] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT holder, count(*) AS open FROM desk_ticket
                WHERE holder IS NOT NULL AND status IN \(TicketStatus.openWorkSQL) AND lease_ends_ms > ?
                GROUP BY holder
                """, arguments: [Int64(clamping: now)]) {
                loads[try row.author("holder"), default: RoutingLoad(open: 0, lastClaimMillis: 0)].open = row["open"]
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT holder, max(since_hlc) AS since FROM mv_claim_state
                WHERE collection = 'ticket' AND holder IS NOT NULL GROUP BY holder
                """) {
                let millis = HLC(rawValue: try row.u64("since")).physicalMillis
                loads[try row.author("holder"), default: RoutingLoad(open: 0, lastClaimMillis: 0)].lastClaimMillis = millis
            }
            return loads
        }
    }

    /// Tickets waiting to be pushed at `now`: new or open, nobody holding them with a live lease, in one of
    /// `queues` (``RoutingRules/defaultQueue`` stands for tickets without a queue); the longest-waiting first, at
    /// most `limit`. Skills come from tags `skill:<name>`.
    public func routableTickets(queues: [String], now: UInt64, limit: Int) throws(StoreError) -> [RoutingTicket] {
        guard !queues.isEmpty, limit > 0 else { return [] }
        return try read { db in
            let named = queues.filter { $0 != RoutingRules.defaultQueue }
            var queueCondition = named.isEmpty ? [] : ["t.queue IN (\(Array(repeating: "?", count: named.count).joined(separator: ", ")))"]
            if queues.contains(RoutingRules.defaultQueue) { queueCondition.append("t.queue IS NULL") }
            let rows = try Row.fetchAll(db, sql: """
                SELECT t.key, t.queue, t.lang, t.first_inbound_ms, c.since_hlc, c.lease_ends_ms AS claim_ends
                FROM desk_ticket t LEFT JOIN mv_claim_state c ON c.collection = 'ticket' AND c.key = t.key
                WHERE t.status IN ('new', 'open') AND (t.holder IS NULL OR t.lease_ends_ms <= ?)
                  AND (? = 0 OR NOT EXISTS (\(DeskViews.snoozedSQL)))
                  AND (\(queueCondition.joined(separator: " OR ")))
                ORDER BY t.first_inbound_ms IS NULL, t.first_inbound_ms, t.key LIMIT \(limit)
                """, arguments: StatementArguments([Int64(clamping: now)]) + [try DeskViews.anySnoozed(db, now: now), Int64(clamping: now)] + StatementArguments(named))
            return try rows.map { row in
                let key: String = row["key"]
                var since = UInt64(max(0, (row["first_inbound_ms"] as Int64?) ?? 0))
                // A release or a claim whose lease ran out starts a new wait.
                if let hlc = row["since_hlc"] as Int64? { since = max(since, HLC(rawValue: UInt64(hlc)).physicalMillis) }
                if let ends = row["claim_ends"] as Int64?, ends > 0, UInt64(ends) <= now { since = max(since, UInt64(ends)) }
                let skills = try String.fetchAll(db, sql: """
                    SELECT tag FROM mv_tag WHERE collection = 'ticket' AND key = ? AND tag LIKE 'skill:%'
                    """, arguments: [key]).map { String($0.dropFirst(RoutingRules.skillTagPrefix.count)) }
                return RoutingTicket(key: key, queue: row["queue"] ?? RoutingRules.defaultQueue, language: row["lang"],
                                     skills: Set(skills), waitingSinceMillis: since)
            }
        }
    }
}

extension DeskViews {
    /// Every queue name the desk knows: declared `queue` entities and the queues of tickets (any status).
    public func queueNames() throws(StoreError) -> [String] {
        try read { db in
            try String.fetchAll(db, sql: """
                SELECT key FROM mv_entity WHERE collection = 'queue'
                UNION SELECT DISTINCT queue FROM desk_ticket WHERE queue IS NOT NULL
                """)
        }
    }
}
