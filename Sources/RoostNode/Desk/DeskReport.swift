import Foundation
import RoostCore
public import RoostStore

/// Help-desk metrics computed from the replicated state alone: every node holding the same ops and
/// given the same `--until` prints the same numbers.
public struct DeskReport: Sendable, Codable, Equatable {
    /// Per-agent counts. Replies are credited to whoever sent them, not to the assignee.
    public struct Agent: Sendable, Codable, Equatable {
        public var agent: String
        public var replies: Int
        public var resolutions: Int

        /// Creates a row.
        public init(agent: String, replies: Int, resolutions: Int) {
            self.agent = agent; self.replies = replies; self.resolutions = resolutions
        }
    }

    public var tickets: Int
    public var responded: Int
    public var responseRate: Double?
    public var firstResponseMedianMinutes: Double?
    public var firstResponseP90Minutes: Double?
    public var resolved: Int
    public var resolutionRate: Double?
    public var resolutionMedianMinutes: Double?
    public var resolutionP90Minutes: Double?
    public var inChannelResolutionRate: Double?
    public var takenToDMShare: Double?
    public var slaBreaches: Int
    public var claimConflicts: Int
    public var agents: [Agent]
    /// On a partial node, what the figures cover (Protocol/SPEC-partial.md §P.7: "covers the 9 tickets of queues billing
    /// and 1 this agent worked on in other queues"); nil on a full node, whose figures cover the whole team.
    public var covers: String? = nil

    /// Which tickets count.
    public struct Scope: Sendable {
        /// Tickets whose first customer message is at or after this time (ms).
        public var since: UInt64?
        /// ... and before this time; also the "now" used to judge open tickets' SLA.
        public var until: UInt64?
        public var queue: String?
        /// Only replies and resolutions by this agent (name as shown), and tickets they touched.
        public var agent: String?
        public init(since: UInt64? = nil, until: UInt64? = nil, queue: String? = nil, agent: String? = nil) {
            self.since = since; self.until = until; self.queue = queue; self.agent = agent
        }
    }

    /// Computes the report. `agentName` maps a message author or resolver to the name shown.
    public static func compute(
        tickets allTickets: [DeskTicketFacts], messages: [DeskMessageFacts], conflicts: [ClaimConflictRow],
        sla: SLATargets, scope: Scope, now: UInt64, agentName: (String) -> String
    ) -> DeskReport {
        let messagesByTicket = Dictionary(grouping: messages, by: \.ticket)
        let summaries = allTickets.compactMap { TicketSummary(ticket: $0, messages: messagesByTicket[$0.key] ?? []) }
        return compute(summaries: summaries, conflicts: conflicts, sla: sla, scope: scope, now: now, agentName: agentName)
    }

    /// Nearest-rank percentile (the smallest value with at least `p` of the values at or below it).
    public static func percentile(_ values: [Double], _ p: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
