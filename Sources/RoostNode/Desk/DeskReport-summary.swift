public import RoostCore
public import RoostStore

extension DeskReport {
    /// What the report needs of one ticket, derived from its row and its messages once, when an op changes the
    /// ticket (``DeskFactsCache`` keeps one per ticket up to date as ops apply), so a report over 100,000 tickets
    /// is a pass over small values rather than a regrouping of every message.
    public struct TicketSummary: Sendable, Equatable {
        /// Who sent an outbound message: the author (node id, brand id or handle) and the signature in its text.
        public struct Sender: Sendable, Equatable {
            public var author: String
            public var signature: String?
        }

        public var key: String
        public var queue: String?
        public var priority: Priority
        public var status: TicketStatus
        public var resolution: String?
        public var firstInboundMillis: UInt64
        public var firstResponseMillis: UInt64?
        public var statusSetMillis: UInt64?
        public var statusBy: AuthorID?
        /// Resolved as taken to DM, or an outbound message went by DM.
        public var tookDM: Bool
        /// The outbound messages' senders, in message order.
        public var outbound: [Sender]

        /// The summary of a ticket with its messages; nil for a ticket with no customer message (not counted).
        public init?(ticket: DeskTicketFacts, messages: [DeskMessageFacts]) {
            guard let first = ticket.firstInboundMillis else { return nil }
            key = ticket.key
            queue = ticket.queue
            priority = ticket.priority
            status = ticket.status
            resolution = ticket.resolution
            firstInboundMillis = first
            firstResponseMillis = ticket.firstResponseMillis
            statusSetMillis = ticket.statusSetMillis
            statusBy = ticket.statusBy
            let sent = messages.filter { $0.direction == .outbound }
            tookDM = ticket.resolution == Desk.dmResolution || sent.contains(where: \.dm)
            outbound = sent.map { Sender(author: $0.author, signature: $0.signature) }
        }
    }

    /// The report over ticket summaries (see ``compute(tickets:messages:conflicts:sla:scope:now:agentName:)``,
    /// which builds them and calls this: one definition of every metric).
    public static func compute(
        summaries allSummaries: [TicketSummary], conflicts: [ClaimConflictRow], sla: SLATargets, scope: Scope, now: UInt64,
        agentName: (String) -> String
    ) -> DeskReport {
        let evaluationTime = scope.until ?? now
        func sender(_ message: TicketSummary.Sender) -> String {
            senderName(author: message.author, signature: message.signature, agentName: agentName)
        }
        // The scope's tickets are picked in the loop below rather than copied out first (100,000 summaries).
        func inScope(_ ticket: TicketSummary) -> Bool {
            if let since = scope.since, ticket.firstInboundMillis < since { return false }
            if let until = scope.until, ticket.firstInboundMillis >= until { return false }
            if let queue = scope.queue, ticket.queue != queue { return false }
            if let agent = scope.agent {
                return ticket.outbound.contains { sender($0) == agent } || ticket.statusBy.map { agentName($0.text) } == agent
            }
            return true
        }
        var ticketCount = 0
        var firstResponses: [Double] = []
        var breaches = 0
        var resolutionTimes: [Double] = []
        var inChannel = 0, takenToDM = 0
        var perAgent: [String: Agent] = [:]
        for ticket in allSummaries where inScope(ticket) {
            ticketCount += 1
            let first = ticket.firstInboundMillis
            let due = firstResponseDue(firstInboundMillis: first, priority: ticket.priority, queue: ticket.queue, sla: sla)
            if let response = ticket.firstResponseMillis {
                firstResponses.append(Double(response - first) / 60_000)
                if response > due { breaches += 1 }
            } else if ticket.status.isOpenWork && evaluationTime > due {
                breaches += 1
            }
            if ticket.status == .resolved || ticket.status == .closed, let set = ticket.statusSetMillis {
                resolutionTimes.append(Double(set >= first ? set - first : 0) / 60_000)
                if !Desk.offChannelResolutions.contains(ticket.resolution ?? "") { inChannel += 1 }
                if let by = ticket.statusBy, ticket.status == .resolved {
                    let name = agentName(by.text)
                    perAgent[name, default: Agent(agent: name, replies: 0, resolutions: 0)].resolutions += 1
                }
            }
            if ticket.tookDM { takenToDM += 1 }
            for message in ticket.outbound {
                let name = sender(message)
                perAgent[name, default: Agent(agent: name, replies: 0, resolutions: 0)].replies += 1
            }
        }
        if let agent = scope.agent { perAgent = perAgent.filter { $0.key == agent } }
        let conflicted = conflicts.filter { $0.reason == .concurrent }
        var conflictCount = 0
        if !conflicted.isEmpty {
            var keys = Set<String>()
            for ticket in allSummaries where inScope(ticket) { keys.insert(ticket.key) }
            conflictCount = conflicted.filter { keys.contains($0.entity.key) }.count
        }
        let resolved = resolutionTimes.count
        func rate(_ part: Int, _ whole: Int) -> Double? { whole == 0 ? nil : Double(part) / Double(whole) }
        return DeskReport(
            tickets: ticketCount, responded: firstResponses.count, responseRate: rate(firstResponses.count, ticketCount),
            firstResponseMedianMinutes: percentile(firstResponses, 0.5), firstResponseP90Minutes: percentile(firstResponses, 0.9),
            resolved: resolved, resolutionRate: rate(resolved, ticketCount),
            resolutionMedianMinutes: percentile(resolutionTimes, 0.5), resolutionP90Minutes: percentile(resolutionTimes, 0.9),
            inChannelResolutionRate: rate(inChannel, resolved), takenToDMShare: rate(takenToDM, firstResponses.count),
            slaBreaches: breaches, claimConflicts: conflictCount,
            agents: perAgent.values.sorted { ($0.replies + $0.resolutions, $1.agent) > ($1.replies + $1.resolutions, $0.agent) })
    }
}

extension DeskReport {
    /// When a ticket's first response is due: business time where the queue's policy counts it (SPEC.md §1b.13),
    /// else the first customer message plus the priority's target. The report and the warehouse mirror share it.
    public static func firstResponseDue(firstInboundMillis first: UInt64, priority: Priority, queue: String?, sla: SLATargets) -> UInt64 {
        sla.queues.isEmpty ? DeskRules.firstResponseDue(firstInboundMillis: first, targetMinutes: sla.target(priority))
            : UInt64(clamping: sla.due(.firstResponse, from: Int64(first), priority: priority, queue: queue) ?? 0)
    }

    /// The name an outbound message is credited to: the author's member name, else the author as written with the
    /// signature in its text (`brand ^AB`), so replies sent under one brand account still tell agents apart.
    public static func senderName(author: String, signature: String?, agentName: (String) -> String) -> String {
        let base = agentName(author)
        return signature.map { base == author && !base.contains("^") ? "\(base) ^\($0)" : base } ?? base
    }
}
