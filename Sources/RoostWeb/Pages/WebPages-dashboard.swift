import Foundation
import Hummingbird
import RoostCore
import RoostNode
import RoostSync

extension WebPages {
    static func dashboard(_ request: Request, app: WebApp) throws -> Response {
        let scope = try WebAPI.scope(request)
        let window = try DashboardWindow.of(request, now: app.now)
        var query = request.uri.query ?? ""
        query = query.replacingOccurrences(of: "&fragment=1", with: "")
        let dashboard = try app.dashboard(scope, window: window, historyPage: try WebAPI.agentsPage(request))
        let live = dashboardLive(dashboard, sync: try WebAPI.syncState(app), app: app, query: query)
        if request.uri.queryParameters["fragment"] != nil { return HTML.response(live) }
        let chosen = WebAPI.query(request, "window") ?? DashboardLimits.defaultWindow
        let options = DashboardLimits.windows.map { window in
            "<option value=\"\(window.key)\"\(window.key == chosen ? " selected" : "")>\(HTML.escape(window.label))</option>"
        }.joined()
        let body = """
            <main id="main" class="dashboard" tabindex="-1">
            <h1>Dashboard</h1>
            <form class="filters" method="get" action="/dashboard">
              <label for="window">Window</label><select id="window" name="window">\(options)</select>
              <label for="since">Since</label><input id="since" name="since" type="date" value="\(HTML.escape(WebAPI.query(request, "since") ?? ""))">
              <label for="until">Until</label><input id="until" name="until" type="date" value="\(HTML.escape(WebAPI.query(request, "until") ?? ""))">
              <label for="queue">Queue</label><input id="queue" name="queue" value="\(HTML.escape(WebAPI.query(request, "queue") ?? ""))">
              <button type="submit">Apply</button>
            </form>
            <div id="live" data-fragment="/dashboard?\(HTML.escape(query))&amp;fragment=1" data-slow="true">
            \(live)
            </div>
            </main>
            """
        return HTML.response(HTML.page(title: "Dashboard", pageName: "dashboard", app: app, body: body))
    }

    static func percent(_ value: Double?) -> String { value.map { String(format: "%.0f%%", $0 * 100) } ?? "—" }
    static func minutes(_ value: Double?) -> String { value.map { DeskClock.duration(Int64($0 * 60_000)) } ?? "—" }

    /// The agents card: the team in full, then one page of the brands and signatures seen in imported history.
    static func agentsCard(_ dashboard: Dashboard, query: String) -> String {
        func rows(_ agents: [DeskReport.Agent]) -> String {
            agents.map { agent in
                "<tr><th scope=\"row\">\(HTML.escape(agent.agent))</th><td class=\"num\">\(agent.replies)</td><td class=\"num\">\(agent.resolutions)</td></tr>"
            }.joined()
        }
        func table(_ agents: [DeskReport.Agent], _ first: String) -> String {
            "<table><thead><tr><th scope=\"col\">\(first)</th><th scope=\"col\" class=\"num\">Replies</th><th scope=\"col\" class=\"num\">Resolutions</th></tr></thead><tbody>\(rows(agents))</tbody></table>"
        }
        let team = dashboard.team.isEmpty ? "<p class=\"muted\">No replies or resolutions by the team in this window.</p>" : table(dashboard.team, "Agent")
        var history = ""
        if dashboard.historyCount > 0 {
            let others = query.split(separator: "&").filter { !$0.hasPrefix("agents_page=") }.joined(separator: "&")
            func link(_ page: Int, _ text: String) -> String {
                "<a href=\"/dashboard?\(HTML.escape(others.isEmpty ? "" : others + "&"))agents_page=\(page)\">\(text)</a>"
            }
            let page = dashboard.historyPage, pages = dashboard.historyPages
            let pager = pages <= 1 ? "" : """
                <nav class="pager" aria-label="Pages of brands and signatures">\(page > 1 ? link(page - 1, "← previous") + " · " : "")page \(page) of \(pages)\(page < pages ? " · " + link(page + 1, "next →") : "")</nav>
                """
            history = """
                <h3 id="h-history">Seen in imported history</h3>
                <p class="muted">\(dashboard.historyCount) brand account(s) and signature(s) from imported tweets: not members of this team.</p>
                \(table(dashboard.history, "Brand or signature"))\(pager)
                """
        }
        return """
            <section class="card" aria-labelledby="h-agents"><h2 id="h-agents">Agents</h2>
              <h3>Team</h3>\(team)\(history)</section>
            """
    }

    static func dashboardLive(_ dashboard: Dashboard, sync: WebAPI.SyncState, app: WebApp, query: String) -> String {
        let report = dashboard.report
        let older = dashboard.olderTickets == 0 ? "" : " · \(dashboard.olderTickets) older ticket(s) not counted (<a href=\"/dashboard?window=all\">show all time</a>)"
        let now = SystemClock().nowMillis()
        let peers = sync.peers.peers.map { row -> String in
            let name = row.name ?? String(row.status.node.prefix(7))
            let seen = row.status.lastSeenMillis.map { HTML.relative($0, now: now) } ?? "never"
            // A partial peer (SPEC-partial.md) holds its queues only: "behind" counts those.
            let partial = row.status.queues.map { " · partial: " + HTML.escape($0.joined(separator: ", ")) } ?? ""
            return """
                <tr><th scope="row">\(HTML.escape(name))</th><td>\(row.status.connected ? "<span class=\"ok\">connected</span>" : "<span class=\"breach\">disconnected</span>")\(partial)</td>
                <td>\(HTML.escape(row.status.address ?? "inbound"))</td><td>\(seen)</td><td class="num">\(row.status.opsBehind)</td><td class="num">\(row.status.opsAhead)</td></tr>
                """ + (row.progress.map { progress in
                    """
                    <tr class="catch-up"><td colspan="6"><progress max="\(progress.total ?? 0)" value="\(progress.done)" aria-label="Initial sync from \(HTML.escape(name))"></progress> \(HTML.escape(progress.line))</td></tr>
                    """
                } ?? "")
        }.joined()
        let logs = sync.logs.map { log -> String in
            "<tr><th scope=\"row\">\(HTML.escape(log.name))</th><td><code>\(HTML.escape(String(log.author.prefix(15))))</code></td><td class=\"num\">\(log.seq)</td></tr>"
        }.joined()
        let behind = sync.peers.peers.map(\.status.opsBehind).reduce(0, +)
        let peerChart = sync.peers.peers.isEmpty ? "" : WebCharts.bars(
            sync.peers.peers.map { Dashboard.Bin(label: $0.name ?? String($0.status.node.prefix(7)), count: Int($0.status.opsBehind)) },
            title: "Ops each peer is behind", id: "chart-behind", height: 160)
        return """
            <p class="window" id="window-covered">Covering <strong>\(HTML.escape(dashboard.window.label))</strong>\(older)</p>
            <section class="kpis" aria-label="Key numbers">
              <div class="kpi"><span class="kpi-value">\(report.tickets)</span><span class="kpi-label">tickets</span></div>
              <div class="kpi"><span class="kpi-value">\(percent(report.responseRate))</span><span class="kpi-label">responded</span></div>
              <div class="kpi"><span class="kpi-value">\(minutes(report.firstResponseMedianMinutes))</span><span class="kpi-label">median first response</span></div>
              <div class="kpi"><span class="kpi-value">\(minutes(report.firstResponseP90Minutes))</span><span class="kpi-label">p90 first response</span></div>
              <div class="kpi"><span class="kpi-value">\(percent(report.resolutionRate))</span><span class="kpi-label">resolved</span></div>
              <div class="kpi"><span class="kpi-value">\(report.slaBreaches)</span><span class="kpi-label">SLA breaches</span></div>
              <div class="kpi"><span class="kpi-value">\(report.claimConflicts)</span><span class="kpi-label">claim conflicts</span></div>
            </section>
            <div class="charts">
            <section class="card" aria-labelledby="h-frt"><h2 id="h-frt">First response time</h2>
              \(WebCharts.bars(dashboard.firstResponse, title: "Tickets by first response time", id: "chart-frt"))</section>
            <section class="card" aria-labelledby="h-vol"><h2 id="h-vol">Volume by hour (UTC)</h2>
              \(WebCharts.bars(dashboard.volumeByHour, title: "Tickets by hour of the first customer message", id: "chart-vol", labelEvery: 3))</section>
            <section class="card" aria-labelledby="h-res"><h2 id="h-res">Resolution rate: \(percent(report.resolutionRate))</h2>
              \(WebCharts.stacked(dashboard.byStatus, title: "Tickets by status", id: "chart-status"))
              <p>In channel: \(percent(report.inChannelResolutionRate)) · taken to DM: \(percent(report.takenToDMShare)) · median resolution \(minutes(report.resolutionMedianMinutes))</p></section>
            <section class="card" aria-labelledby="h-sla"><h2 id="h-sla">SLA breaches: \(report.slaBreaches)</h2>
              \(WebCharts.bars(dashboard.breachesByPriority, title: "SLA breaches by priority", id: "chart-sla", height: 160))</section>
            \(agentsCard(dashboard, query: query))
            <section class="card sync-panel" aria-labelledby="h-sync"><h2 id="h-sync">Sync</h2>
              <p>\(syncStatus(sync.peers)) · \(sync.ops) ops in \(sync.logs.count) logs · \(behind) ops behind in total\(sync.forks > 0 ? " · <span class=\"breach\">\(sync.forks) fork(s)</span>" : "")</p>
              \(peers.isEmpty ? "<p class=\"muted\">No peers connected.</p>" : "<table><thead><tr><th scope=\"col\">Peer</th><th scope=\"col\">State</th><th scope=\"col\">Address</th><th scope=\"col\">Last seen</th><th scope=\"col\" class=\"num\">Behind</th><th scope=\"col\" class=\"num\">Ahead</th></tr></thead><tbody>\(peers)</tbody></table>")
              \(peerChart)
              <details><summary>Logs held</summary><table><thead><tr><th scope="col">Member</th><th scope="col">Node</th><th scope="col" class="num">Ops</th></tr></thead><tbody>\(logs)</tbody></table></details>
            </section>
            </div>
            """
    }
}

extension WebPages {
    /// The sync panel's first words: a node without a team syncs with nobody, whether or not `roost run` runs.
    static func syncStatus(_ peers: WebAPI.PeersResult) -> String {
        if !peers.team {
            return "<span class=\"muted\" id=\"sync-status\">No team — this node syncs with nobody (<code>roost team create</code> or <code>roost team join</code>)</span>"
        }
        return peers.running ? "<span class=\"ok\" id=\"sync-status\">roost run is syncing</span>"
            : "<span class=\"muted\" id=\"sync-status\">Not syncing: roost run is not running</span>"
    }
}
