import RoostCore

/// What a node's figures cover (Protocol/SPEC-partial.md §P.7): on a partial node, every count, time and rate is over
/// the tickets it holds, and a report says which.
public struct PartialCoverage: Hashable, Sendable, CustomStringConvertible {
    /// Held tickets by the queue they sit in (by the held `queue` register; `default` when unset).
    public var ticketsByQueue: [String: Int]
    /// The subscribed queues (empty for a full node).
    public var queues: [String]
    /// True for a full node: the figures cover the whole team.
    public var everything: Bool
    /// Held tickets outside the subscribed queues that the team's format 1 history names (SPEC-partial.md §P.2 rule 5).
    public var historyElsewhere: Int

    /// Creates a coverage statement.
    public init(ticketsByQueue: [String: Int], queues: [String], everything: Bool, historyElsewhere: Int = 0) {
        self.ticketsByQueue = ticketsByQueue
        self.queues = queues
        self.everything = everything
        self.historyElsewhere = historyElsewhere
    }

    /// Held tickets in all.
    public var tickets: Int { ticketsByQueue.values.reduce(0, +) }
    /// Held tickets outside the subscribed queues and the format 1 history: those the node's agent worked on.
    public var workedOnElsewhere: Int {
        ticketsByQueue.filter { !queues.contains($0.key) }.values.reduce(0, +) - historyElsewhere
    }

    /// "covers the 1,234 tickets of queues city-3, city-9 and 5 this agent worked on in other queues", and, in a team
    /// that moved to format 2, "and 120 of the team's format 1 history in other queues".
    public var description: String {
        if everything { return "covers the whole team (\(tickets) tickets)" }
        let names = queues.isEmpty ? "no queue" : "queues " + queues.joined(separator: ", ")
        let mine = tickets - workedOnElsewhere - historyElsewhere
        let worked = "\(workedOnElsewhere) this agent worked on in other queues"
        guard historyElsewhere > 0 else { return "covers the \(mine) tickets of \(names) and \(worked)" }
        return "covers the \(mine) tickets of \(names), \(worked) and \(historyElsewhere) of the team's format 1 history in other queues"
    }
}

extension PartialReplica {
    /// What this node's figures cover.
    public var coverage: PartialCoverage {
        var counts: [String: Int] = [:]
        var history = 0
        for ticket in heldTickets {
            let queue = facts[ticket]?.effectiveQueue ?? RoutingRules.defaultQueue
            counts[queue, default: 0] += 1
            if historyTickets.contains(ticket) && !subscription.queues.contains(queue) && !(touched[author]?.contains(ticket) ?? false) {
                history += 1
            }
        }
        return PartialCoverage(ticketsByQueue: counts, queues: subscription.queues.sorted(), everything: isFull, historyElsewhere: history)
    }
}
