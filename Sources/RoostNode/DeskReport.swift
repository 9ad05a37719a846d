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
        let evaluationTime = scope.until ?? now
        var tickets = allTickets.filter { ticket in
            guard let first = ticket.firstInboundMillis else { return false }
            if let since = scope.since, first < since { return false }
            if let until = scope.until, first >= until { return false }
            if let queue = scope.queue, ticket.queue != queue { return false }
            return true
        }
        let messagesByTicket = Dictionary(grouping: messages, by: \.ticket)
        func sender(_ message: DeskMessageFacts) -> String {
            let base = agentName(message.author)
            return message.signature.map { base == message.author && !base.contains("^") ? "\(base) ^\($0)" : base } ?? base
        }
        if let agent = scope.agent {
            tickets = tickets.filter { ticket in
                (messagesByTicket[ticket.key] ?? []).contains { $0.direction == .outbound && sender($0) == agent }
                    || ticket.statusBy.map { agentName($0.text) } == agent
            }
        }
        let keys = Set(tickets.map(\.key))

        var firstResponses: [Double] = []
        var breaches = 0
        var resolutionTimes: [Double] = []
        var inChannel = 0, takenToDM = 0
        var perAgent: [String: Agent] = [:]
        for ticket in tickets {
            let first = ticket.firstInboundMillis!
            let due = DeskRules.firstResponseDue(firstInboundMillis: first, targetMinutes: sla.target(ticket.priority))
            if let response = ticket.firstResponseMillis {
                firstResponses.append(Double(response - first) / 60_000)
                if response > due { breaches += 1 }
            } else if ticket.status.isOpenWork && evaluationTime > due {
                breaches += 1
            }
            let outbound = (messagesByTicket[ticket.key] ?? []).filter { $0.direction == .outbound }
            if ticket.status == .resolved || ticket.status == .closed, let set = ticket.statusSetMillis {
                resolutionTimes.append(Double(set >= first ? set - first : 0) / 60_000)
                if !Desk.offChannelResolutions.contains(ticket.resolution ?? "") { inChannel += 1 }
                if let by = ticket.statusBy, ticket.status == .resolved {
                    let name = agentName(by.text)
                    perAgent[name, default: Agent(agent: name, replies: 0, resolutions: 0)].resolutions += 1
                }
            }
            if ticket.resolution == Desk.dmResolution || outbound.contains(where: \.dm) { takenToDM += 1 }
            for message in outbound {
                let name = sender(message)
                perAgent[name, default: Agent(agent: name, replies: 0, resolutions: 0)].replies += 1
            }
        }
        if let agent = scope.agent { perAgent = perAgent.filter { $0.key == agent } }
        let resolved = resolutionTimes.count
        func rate(_ part: Int, _ whole: Int) -> Double? { whole == 0 ? nil : Double(part) / Double(whole) }
        return DeskReport(
            tickets: tickets.count, responded: firstResponses.count, responseRate: rate(firstResponses.count, tickets.count),
            firstResponseMedianMinutes: percentile(firstResponses, 0.5), firstResponseP90Minutes: percentile(firstResponses, 0.9),
            resolved: resolved, resolutionRate: rate(resolved, tickets.count),
            resolutionMedianMinutes: percentile(resolutionTimes, 0.5), resolutionP90Minutes: percentile(resolutionTimes, 0.9),
            inChannelResolutionRate: rate(inChannel, resolved), takenToDMShare: rate(takenToDM, firstResponses.count),
            slaBreaches: breaches,
            claimConflicts: conflicts.filter { keys.contains($0.entity.key) && $0.reason == .concurrent }.count,
            agents: perAgent.values.sorted { ($0.replies + $0.resolutions, $1.agent) > ($1.replies + $1.resolutions, $0.agent) })
    }

    /// Nearest-rank percentile (the smallest value with at least `p` of the values at or below it).
    public static func percentile(_ values: [Double], _ p: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
