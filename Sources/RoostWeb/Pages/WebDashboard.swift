import Foundation
import RoostCore
import RoostNode
import RoostStore

/// The dashboard's numbers: the report plus the distributions its charts draw.
struct Dashboard: Encodable, Sendable {
    /// A labelled count.
    struct Bin: Encodable, Sendable {
        var label: String
        var count: Int
    }

    var report: DeskReport
    /// First response times (minutes) in ``firstResponseEdges`` buckets.
    var firstResponse: [Bin]
    /// Tickets by UTC hour of their first customer message.
    var volumeByHour: [Bin]
    /// Tickets by status.
    var byStatus: [Bin]
    /// SLA breaches by priority.
    var breachesByPriority: [Bin]
    /// The time window counted.
    var window: DashboardWindow
    /// Tickets (in the queue asked for) whose first customer message is before the window: not counted.
    var olderTickets: Int
    /// The team's agents (members, by the node ids that wrote replies and resolutions), all of them.
    var team: [DeskReport.Agent]
    /// Brands and signatures seen in imported history (not node ids): page ``historyPage`` of ``historyPages``.
    var history: [DeskReport.Agent]
    /// How many brands and signatures there are in all.
    var historyCount: Int
    /// The page shown, from 1.
    var historyPage: Int
    /// Pages of ``history``.
    var historyPages: Int

    /// Upper bounds (minutes) of the first-response histogram's buckets; the last bucket is open-ended.
    static let firstResponseEdges = [5, 15, 30, 60, 120, 240, 480, 1440]
}

extension WebApp {
    /// The dashboard of `window` (its dates replace the scope's), with page `historyPage` of the agents
    /// seen in imported history.
    func dashboard(_ base: DeskReport.Scope, window: DashboardWindow, historyPage: Int = 1) throws -> Dashboard {
        var scope = base
        scope.since = window.since
        scope.until = window.until
        // The facts are kept up to date op by op (DeskFactsCache); only the window's tickets are counted.
        try deskFacts.refresh(node)
        let summaries = deskFacts.summaries()
        let sla = try desk.slaTargets()
        // One pass over the window's tickets: the authors to name, the charts, and how many are older.
        let evaluation = scope.until ?? now
        let edges = Dashboard.firstResponseEdges
        var histogram = [Int](repeating: 0, count: edges.count + 1)
        var hours = [Int](repeating: 0, count: 24)
        let statusCases = TicketStatus.allCases, priorityCases = Priority.allCases
        let targets = priorityCases.map { sla.target($0) }
        var statuses = [Int](repeating: 0, count: statusCases.count)
        var breaches = [Int](repeating: 0, count: priorityCases.count)
        var older = 0
        // Team members reply and resolve under their node ids; imported history carries brand ids and signatures.
        var authors = Set<String>()
        for ticket in summaries {
            if let queue = scope.queue, ticket.queue != queue { continue }
            let first = ticket.firstInboundMillis
            if let since = scope.since, first < since {
                older += 1
                continue
            }
            if let until = scope.until, first >= until { continue }
            for sender in ticket.outbound { authors.insert(sender.author) }
            if let by = ticket.statusBy { authors.insert(by.text) }
            hours[Int(first / 3_600_000 % 24)] += 1
            statuses[statusCases.firstIndex(of: ticket.status)!] += 1
            let priority = priorityCases.firstIndex(of: ticket.priority)!
            let due = sla.queues.isEmpty ? DeskRules.firstResponseDue(firstInboundMillis: first, targetMinutes: targets[priority])
                : UInt64(clamping: sla.due(.firstResponse, from: Int64(first), priority: ticket.priority, queue: ticket.queue) ?? 0)
            if let response = ticket.firstResponseMillis {
                let minutes = Int((response &- first) / 60_000)
                histogram[edges.firstIndex { minutes < $0 } ?? edges.count] += 1
                if response > due { breaches[priority] += 1 }
            } else if ticket.status.isOpenWork && evaluation > due {
                breaches[priority] += 1
            }
        }
        var names: [String: String] = [:]
        for author in authors {
            if let id = try? AuthorID(text: author) { names[author] = try desk.memberName(id) }
        }
        let report = DeskReport.compute(
            summaries: summaries, conflicts: try desk.ticketClaimConflicts(), sla: sla,
            scope: scope, now: now, agentName: { names[$0] ?? $0 })
        let teamNames = Set(names.values).union([node.config.name])
        let team = report.agents.filter { teamNames.contains($0.agent) }
        let history = report.agents.filter { !teamNames.contains($0.agent) }
        let perPage = DashboardLimits.historyAgentsPerPage
        let pages = max(1, (history.count + perPage - 1) / perPage)
        let page = min(max(1, historyPage), pages)
        var labels: [String] = []
        var lower = 0
        for edge in edges {
            labels.append("\(Self.minutesLabel(lower))–\(Self.minutesLabel(edge))")
            lower = edge
        }
        labels.append("> \(Self.minutesLabel(lower))")
        return Dashboard(
            report: report,
            firstResponse: zip(labels, histogram).map { Dashboard.Bin(label: $0, count: $1) },
            volumeByHour: hours.enumerated().map { Dashboard.Bin(label: String(format: "%02d", $0.offset), count: $0.element) },
            byStatus: zip(statusCases, statuses).map { Dashboard.Bin(label: $0.rawValue, count: $1) },
            breachesByPriority: zip(priorityCases, breaches).map { Dashboard.Bin(label: $0.rawValue, count: $1) },
            window: window, olderTickets: older, team: team,
            history: Array(history.dropFirst((page - 1) * perPage).prefix(perPage)), historyCount: history.count,
            historyPage: page, historyPages: pages)
    }

    static func minutesLabel(_ minutes: Int) -> String {
        minutes < 60 ? "\(minutes)m" : minutes % 60 == 0 ? "\(minutes / 60)h" : "\(minutes / 60)h\(minutes % 60)m"
    }
}
