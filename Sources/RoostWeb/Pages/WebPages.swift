import Foundation
import Hummingbird
import HTTPTypes
import RoostCore
import RoostNode
import RoostStore

/// The server-rendered pages: login, inbox, ticket, dashboard, and the embedded assets.
enum WebPages {
    static func register(on router: Router<BasicRequestContext>, app: WebApp) {
        router.get("/") { _, _ in Response(status: .seeOther, headers: [.location: "/inbox"]) }
        router.get("/login") { request, _ in login(request, app: app) }
        router.post("/logout") { request, _ in logout(request, app: app) }
        TeamPages.register(on: router, app: app)
        SearchPages.register(on: router, app: app)
        router.get("/assets/app.css") { request, _ in WebAssets.css.response(to: request) }
        router.get("/assets/app.js") { request, _ in WebAssets.js.response(to: request) }
        router.get("/inbox") { request, _ in
            await page { try inbox(request, app: app) }
        }
        router.get("/tickets/:key") { request, context in
            await page { try ticket(context.parameters.get("key") ?? "", fragment: request.uri.queryParameters["fragment"] != nil, app: app) }
        }
        router.get("/dashboard") { request, _ in
            await page { try dashboard(request, app: app) }
        }
    }

    /// Renders a page, turning errors into an error page with the right status.
    static func page(_ render: () throws -> Response) async -> Response {
        do {
            return try render()
        } catch {
            let web: WebError = (error as? WebError) ?? (error as? DeskError).map(WebError.init) ?? .internalError("the page failed")
            let body = """
                <main id="main" class="narrow"><h1>\(web.status.code) \(HTML.escape(web.status.reasonPhrase))</h1>
                <p>\(HTML.escape(web.message))</p><p><a href="/inbox">Back to the inbox</a></p></main>
                """
            return HTML.response(HTML.page(title: "Error", pageName: "error", app: nil, body: body), status: web.status)
        }
    }

    /// `GET /login?code=...`: redeems the one-time code `roost open` printed, starts a session with its cookie,
    /// and redirects to `/` so the code leaves the address bar. A used, expired or unknown code gets the sign-in
    /// page; the API token is no longer accepted in a URL.
    static func login(_ request: Request, app: WebApp) -> Response {
        let query = request.uri.queryParameters
        guard let code = query.get("code") else {
            return loginNeeded(notice: query.get("token") != nil ? "Links with the API token no longer sign in. " : "")
        }
        guard LoginCode.redeem(code, in: app.node.home, nowMillis: SystemClock().nowMillis()) else {
            return loginNeeded(notice: "That sign-in link was already used or has expired. ")
        }
        var response = Response(status: .seeOther, headers: [.location: "/", .cacheControl: "no-store",
                                                             HTTPField.Name("Referrer-Policy")!: "no-referrer"])
        response.setCookie(app.sessionCookie(app.sessions.create()))
        return response
    }

    /// `POST /logout`: ends this browser's session and clears its cookie.
    static func logout(_ request: Request, app: WebApp) -> Response {
        if let id = request.cookies[app.cookieName]?.value { app.sessions.end(id) }
        let body = """
            <main id="main" class="narrow">
            <h1>Signed out</h1>
            <p>This browser's session has ended. To sign in again, type <code>roost open</code> on the machine running
            <code>roost run</code> and open the link it prints.</p>
            </main>
            """
        var response = HTML.response(HTML.page(title: "Signed out", pageName: "logout", app: nil, body: body))
        response.setCookie(app.clearedCookie)
        return response
    }

    /// The 401 page: how to get in.
    static func loginNeeded(notice: String = "") -> Response {
        let body = """
            <main id="main" class="narrow">
            <h1>Sign in to this node</h1>
            <p>\(notice)This page needs a sign-in link.</p>
            <p>On the machine running <code>roost run</code>, type <code>roost open</code> and open the link it prints
            within \(SignInLimits.loginCodeSeconds / 60) minutes. It works once, and signs this browser in until you
            sign out, leave it unused for \(SignInLimits.sessionIdleSeconds / 3600) hours, or
            \(SignInLimits.sessionAbsoluteSeconds / 86_400) days have passed.</p>
            </main>
            """
        return HTML.response(HTML.page(title: "Sign in", pageName: "login", app: nil, body: body), status: .unauthorized)
    }

    // MARK: inbox

    static func inbox(_ request: Request, app: WebApp) throws -> Response {
        let query = request.uri.queryParameters
        let view = try InboxView(view: query.get("view"), queue: query.get("queue"))
        let paging = try InboxPaging(status: query.get("status"), sort: query.get("sort"), offset: query.get("offset"), limit: nil,
                                     lang: query.get("lang"))
        let page = try app.inboxPage(view, paging: paging)
        let queueNames = page.counts.queues.keys.sorted()
        let live = inboxLive(page, view: view, paging: paging, queues: queueNames, app: app)
        if query["fragment"] != nil { return HTML.response(live) }
        let body = """
            <div id="live" class="layout" data-fragment="/inbox?\(HTML.escape(view.queryString + paging.queryString(offset: paging.offset)))&amp;fragment=1">
            \(live)
            </div>
            """
        return HTML.response(HTML.page(title: view.title, pageName: "inbox", app: app, body: body))
    }

    static func inboxLive(_ page: InboxPage, view: InboxView, paging: InboxPaging, queues: [String], app: WebApp) -> String {
        func link(_ target: InboxView, _ label: String, _ count: Int?) -> String {
            let current = target == view ? " aria-current=\"page\"" : ""
            let badge = count.map { (count) -> String in
                let label = page.counts.label(count)
                return "<span class=\"count\" aria-label=\"\(label) tickets\">\(label)</span>"
            } ?? ""
            return "<li><a href=\"/inbox?\(HTML.escape(target.queryString))\"\(current)><span>\(HTML.escape(label))</span>\(badge)</a></li>"
        }
        var nav = "<nav class=\"queues\" aria-label=\"Queues\"><h2 class=\"visually-hidden\">Queues</h2><ul>"
        nav += link(.unassigned, "Unassigned", page.counts.unassigned)
        nav += link(.mine, "Mine", page.counts.mine)
        nav += link(.open, "All open", page.counts.open)
        nav += link(.escalated, "Escalated", page.counts.escalated)
        nav += link(.breaching, "Breaching SLA", page.counts.breaching)
        nav += link(.all, "Everything", nil)
        nav += "</ul>"
        if !queues.isEmpty {
            nav += "<h3>Queues</h3><ul>"
            for name in queues { nav += link(.queue(name), name, page.counts.queues[name] ?? 0) }
            nav += "</ul>"
        }
        nav += "</nav>"

        var rows = ""
        for item in page.rows {
            let row = item.ticket
            let key = HTML.escape(row.key)
            var sla = "<span class=\"muted\">—</span>"
            if let due = row.dueMillis {
                if row.firstResponseMillis != nil, let next = row.nextReplyDueMillis {
                    sla = HTML.slaClock(label: "reply", due: next, warn: row.slaWarnMillis, breaching: row.breaching, warning: row.slaWarning == true,
                                        now: page.nowMillis, element: "span")
                } else if row.firstResponseMillis != nil {
                    sla = "<span class=\"ok\">answered</span>"
                } else if row.history == true {
                    sla = "<span class=\"sla history\" title=\"Unanswered, but its target passed more than \(DeskLimits.breachWindowMillis / 86_400_000) days ago: history, not a breach now\">history</span>"
                } else {
                    sla = HTML.slaClock(label: nil, due: due, warn: row.slaWarnMillis, breaching: row.breaching, warning: row.slaWarning == true,
                                        now: page.nowMillis, element: "span")
                }
            }
            let pushed = row.pushedTo != nil && row.pushedTo == row.holder ? " <span class=\"pushed\" title=\"Routing pushed it\">pushed</span>" : ""
            let holder = item.holderName.map { "<span class=\"holder\(row.holder == app.node.id.text ? " mine" : "")\">\(HTML.escape($0))</span>" + pushed }
                ?? "<span class=\"muted\">unassigned</span>"
            let claimButton = row.holder == nil
                ? "<button type=\"button\" class=\"small\" data-action=\"claim\" data-key=\"\(key)\" aria-label=\"Claim \(key)\">Claim</button>"
                : ""
            var latest = "<span class=\"muted\">—</span>"
            if let at = row.lastInboundMillis {
                let age = at <= page.nowMillis && page.nowMillis - at > DeskLimits.breachWindowMillis
                    ? HTML.time(at) : HTML.relative(at, now: page.nowMillis)
                latest = "<span class=\"snippet\">\(HTML.escape(row.snippet ?? ""))</span> <span class=\"age muted\">\(age)</span>"
            }
            let brand = row.brand.map { "@" + HTML.escape($0) } ?? "<span class=\"muted\">—</span>"
            rows += """
                <tr class="row" data-key="\(key)">
                <td><a href="/tickets/\(key)" class="ticket-link" id="t-\(key)">\(key)</a>\(row.channel == "dm" ? " <span class=\"tag\">DM</span>" : "")\(row.reopened ? " <span class=\"tag\">reopened</span>" : "")</td>
                <td><span class="prio prio-\(row.priority.rawValue)">\(row.priority.rawValue)</span>\(HTML.languageAndSentiment(row.language, row.sentiment))</td>
                <td>\(row.customerHandle.map { "@" + HTML.escape($0) } ?? HTML.escape(row.customer))</td>
                <td class="brand">\(brand)</td>
                <td class="latest">\(latest)</td>
                <td>\(row.status.rawValue)\(row.tier != .triage ? " · \(row.tier.rawValue)" : "")</td>
                <td>\(holder)</td>
                <td>\(sla)</td>
                <td class="num">\(row.messages)</td>
                <td>\(claimButton)</td>
                </tr>
                """
        }
        let table = page.rows.isEmpty
            ? "<p class=\"empty\">No tickets here.</p>"
            : """
            <div class="table-wrap">
            <table class="inbox" aria-describedby="inbox-help">
            <thead><tr><th scope="col">Ticket</th><th scope="col">Priority</th><th scope="col">Customer</th><th scope="col">To</th>
            <th scope="col">Latest customer message</th><th scope="col">Status</th>
            <th scope="col">Holder</th><th scope="col">First response</th><th scope="col" class="num">Msgs</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
            <tbody>\(rows)</tbody>
            </table>
            </div>
            """
        return """
            \(nav)
            <main id="main" tabindex="-1">
            <h1>\(HTML.escape(view.title)) <span class="muted">(\(page.total))</span></h1>
            \(inboxControls(page, view: view, paging: paging, languages: (try? app.desk.myLanguages()) ?? []))
            <p id="inbox-help" class="hint">\(sortHelp(paging.sort)) Keys: <kbd>j</kbd>/<kbd>k</kbd> move,
            <kbd>Enter</kbd> open, <kbd>c</kbd> claim, <kbd>r</kbd> reply, <kbd>e</kbd> resolve, <kbd>?</kbd> help.</p>
            \(table)
            \(pager(page, view: view, paging: paging))
            </main>
            """
    }

    static func sortHelp(_ sort: InboxSort) -> String {
        switch sort {
        case .priority: "Sorted by priority, then when the first response is due."
        case .due: "Sorted by when the first response is due, soonest first; answered tickets and history last."
        case .newest: "Sorted by the latest customer message, newest first."
        }
    }

    /// The status filter and sort order: a plain GET form (works without JavaScript).
    static func inboxControls(_ page: InboxPage, view: InboxView, paging: InboxPaging, languages: [String]) -> String {
        var hidden = ""
        switch view {
        case let .queue(name): hidden = "<input type=\"hidden\" name=\"queue\" value=\"\(HTML.escape(name))\">"
        default: hidden = "<input type=\"hidden\" name=\"view\" value=\"\(HTML.escape(String(view.queryString.dropFirst("view=".count))))\">"
        }
        let statuses = "<option value=\"\"\(paging.status == nil ? " selected" : "")>any</option>" + TicketStatus.allCases.map { status in
            "<option value=\"\(status.rawValue)\"\(paging.status == status ? " selected" : "")>\(status.rawValue)</option>"
        }.joined()
        let sorts = InboxSort.allCases.map { sort in
            "<option value=\"\(sort.rawValue)\"\(paging.sort == sort ? " selected" : "")>\(sort.rawValue)</option>"
        }.joined()
        return """
            <form class="inbox-controls" method="get" action="/inbox">\(hidden)
            <label for="inbox-status">Status</label> <select id="inbox-status" name="status">\(statuses)</select>
            <label for="inbox-sort">Sort</label> <select id="inbox-sort" name="sort">\(sorts)</select>
            \(languages.isEmpty ? "" : """
            <label><input type="checkbox" id="inbox-lang" name="lang" value="mine"\(paging.myLanguages ? " checked" : "")> \
            My languages (\(HTML.escape(languages.joined(separator: ", "))))</label>
            """)
            <button type="submit" class="small">Show</button>
            </form>
            """
    }

    /// "Rows 51–100 of 1,313" with Previous / Next links.
    static func pager(_ page: InboxPage, view: InboxView, paging: InboxPaging) -> String {
        guard page.total > 0 else { return "" }
        let first = min(page.offset + 1, page.total), last = page.offset + page.rows.count
        let base = "/inbox?" + view.queryString
        var links: [String] = []
        if page.offset > 0 {
            let previous = max(0, page.offset - page.limit)
            links.append("<a rel=\"prev\" id=\"page-prev\" href=\"\(HTML.escape(base + paging.queryString(offset: previous)))\">← Previous \(page.offset - previous)</a>")
        }
        if last < page.total {
            links.append("<a rel=\"next\" id=\"page-next\" href=\"\(HTML.escape(base + paging.queryString(offset: last)))\">Next \(min(page.limit, page.total - last)) →</a>")
        }
        let range = page.rows.isEmpty ? "No rows past \(page.offset) of \(page.total)" : "Rows \(first)–\(last) of \(page.total)"
        return "<nav class=\"pager\" aria-label=\"Pages\"><span id=\"page-range\">\(range)</span> \(links.joined(separator: " "))</nav>"
    }
}
