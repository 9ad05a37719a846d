import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import RoostCore
import RoostNode
import RoostSync

/// Onboarding in the browser: create a team, invite a member (link text and QR code, with expiry), join with an
/// invite, and watch the first sync. Every action calls the same node functions as `roost team create`,
/// `roost team invite` and `roost team join` (Team.swift, Team-roster.swift).
enum TeamPages {
    static func register(on router: Router<BasicRequestContext>, app: WebApp) {
        router.get("/team") { _, _ in await WebPages.page { try overview(app: app) } }
        router.get("/team/sync") { _, _ in await WebPages.page { try syncProgress(app: app) } }
        router.post("/team/create") { request, _ in
            let form = try await WebForm.read(request)
            return await WebPages.page {
                do {
                    _ = try app.node.home.createTeam(name: try form.required("name"), node: app.node)
                } catch let error as NodeError {
                    return try overview(app: app, error: error.description)
                }
                return Response(status: .seeOther, headers: [.location: "/team"])
            }
        }
        router.post("/team/availability") { request, _ in
            let form = try await WebForm.read(request)
            return await WebPages.page {
                do {
                    try app.desk.setMyAvailability(try DeskService.availability(try form.required("status")))
                } catch let error as DeskError {
                    return try overview(app: app, error: error.description)
                } catch let error as NodeError {
                    return try overview(app: app, error: error.description)
                }
                return Response(status: .seeOther, headers: [.location: "/team"])
            }
        }
        router.post("/team/invite") { request, _ in
            let form = try await WebForm.read(request)
            return await WebPages.page { try invite(form, app: app) }
        }
        router.post("/team/join") { request, _ in
            let form = try await WebForm.read(request)
            return await WebPages.page {
                do {
                    let invite = try Invite(text: try form.required("invite"))
                    _ = try app.node.home.join(invite, node: app.node, now: SystemClock().nowMillis())
                } catch let error as NodeError {
                    return try overview(app: app, error: error.description)
                }
                return Response(status: .seeOther, headers: [.location: "/team/sync"])
            }
        }
    }

    /// The team page: create or join for a node without a team; members, open invites and (for admins) the
    /// invite form otherwise.
    static func overview(app: WebApp, error: String? = nil, created: String = "") throws -> Response {
        let home = app.node.home
        let alert = error.map { "<p class=\"error\" role=\"alert\" id=\"team-error\">\(HTML.escape($0))</p>" } ?? ""
        guard let team = try home.team(of: app.node) else {
            let body = """
                <main id="main" class="narrow">
                <h1>Set up a team</h1>
                \(alert)
                <section aria-labelledby="create-h">
                <h2 id="create-h">Create a team</h2>
                <p>This node becomes the team's first admin.</p>
                <form method="post" action="/team/create" id="create-form">
                <label for="team-name">Team name</label>
                <input id="team-name" name="name" required maxlength="128" autocomplete="off">
                <button type="submit" id="create-team">Create team</button>
                </form>
                </section>
                <section aria-labelledby="join-h">
                <h2 id="join-h">Join a team</h2>
                <p>Paste the invite an admin gave you (it starts with <code>roost-invite-2:</code>).</p>
                <form method="post" action="/team/join" id="join-form">
                <label for="invite-text">Invite</label>
                <textarea id="invite-text" name="invite" required rows="4" autocomplete="off" spellcheck="false"></textarea>
                <button type="submit" id="join-team">Join team</button>
                </form>
                </section>
                </main>
                """
            return HTML.response(HTML.page(title: "Team", pageName: "team", app: app, body: body),
                                 status: error == nil ? .ok : .unprocessableContent)
        }
        let lines = try home.rosterLines(node: app.node)
        let isAdmin = lines.contains { $0.member == app.node.id && $0.role == .admin && !$0.revoked }
        let now = SystemClock().nowMillis()
        var members = ""
        var availability: [String: MemberAvailability] = [:]
        for entry in try app.desk.teamAvailability() { availability[entry.member] = entry }
        for line in lines {
            let status = line.revoked ? "" : availability[line.member.text].map { entry in
                entry.effective.rawValue + (entry.effective != (entry.set ?? .online) ? " (silent)" : "")
            } ?? ""
            members += "<tr><td class=\"member-name\">\(HTML.escape(line.name))</td><td><code>\(line.member.short)</code></td>"
                + "<td>\(line.revoked ? "revoked" : line.role.rawValue)</td><td class=\"availability\">\(status)</td>"
                + "<td>\(line.member == app.node.id ? "this node" : "")</td></tr>"
        }
        let mine = availability[app.node.id.text]?.set ?? .online
        let availabilityForm = """
            <form method="post" action="/team/availability" id="availability-form" class="inline">
            <label for="availability">Your availability</label>
            <select id="availability" name="status">\(Availability.allCases.map { "<option value=\"\($0.rawValue)\"\($0 == mine ? " selected" : "")>\($0.rawValue)</option>" }.joined())</select>
            <button type="submit" id="set-availability" class="small">Set</button>
            </form>
            """
        // Push routing: each routed queue and who each waiting ticket is pushed to now (the same on every node).
        let routed = try app.desk.routingView()
        let routing = routed.isEmpty ? "" : "<h2>Routing</h2><ul id=\"routing\">" + routed.map { queue in
            let waiting = queue.waiting.prefix(10).map { "<li><a href=\"/tickets/\(HTML.escape($0.ticket))\">\(HTML.escape($0.ticket))</a> → "
                + HTML.escape($0.to ?? "nobody eligible") + "</li>" }.joined()
            return "<li><strong>\(HTML.escape(queue.queue))</strong>: \(queue.mode)\(queue.paused ? ", paused" : ""), "
                + "\(queue.waiting.count) waiting<ul>\(waiting)</ul></li>"
        }.joined() + "</ul>"
        let pending = try home.invites(node: app.node).filter { $0.usedBy == nil && $0.expiresMillis > now }
        let invites = pending.isEmpty ? "" : "<h2>Open invites</h2><ul id=\"open-invites\">"
            + pending.map { "<li>\(HTML.escape($0.name)) (\($0.role.rawValue)), expires \(HTML.time($0.expiresMillis))</li>" }.joined()
            + "</ul>"
        let inviteForm = !isAdmin ? "<p class=\"hint\">Only admins can invite members.</p>" : """
            <section aria-labelledby="invite-h">
            <h2 id="invite-h">Invite a member</h2>
            <form method="post" action="/team/invite" id="invite-form">
            <label for="invite-name">Name</label>
            <input id="invite-name" name="name" required maxlength="128" autocomplete="off">
            <label for="invite-role">Role</label>
            <select id="invite-role" name="role">
            <option value="agent" selected>agent</option><option value="lead">lead</option>
            <option value="admin">admin</option><option value="gateway">gateway</option>
            </select>
            <label for="invite-hours">Valid for (hours)</label>
            <input id="invite-hours" name="hours" type="number" min="1" max="720" value="\(Team.defaultInviteHours)">
            <label for="invite-address">Address the new member connects to</label>
            <input id="invite-address" name="address" value="\(HTML.escape(app.node.config.listen))" autocomplete="off">
            <button type="submit" id="make-invite">Make invite</button>
            </form>
            </section>
            """
        let body = """
            <main id="main" class="narrow">
            <h1>Team <span id="team-name-shown">\(HTML.escape(team.name))</span></h1>
            \(alert)\(created)
            <h2>Members</h2>
            <table class="members" id="members"><thead><tr><th scope="col">Name</th><th scope="col">Node</th>
            <th scope="col">Role</th><th scope="col">Availability</th><th scope="col"></th></tr></thead><tbody>\(members)</tbody></table>
            \(availabilityForm)
            \(routing)
            \(invites)
            \(inviteForm)
            <p><a href="/team/sync">Sync progress</a></p>
            </main>
            """
        return HTML.response(HTML.page(title: "Team", pageName: "team", app: app, body: body),
                             status: error == nil ? .ok : .unprocessableContent)
    }

    /// `POST /team/invite`: makes the invite (admins only) and shows it as copyable text and a QR code.
    static func invite(_ form: WebForm, app: WebApp) throws -> Response {
        let made: Invite, name: String, role: Role
        do {
            name = try form.required("name")
            guard let parsed = Role(rawValue: form.value("role") ?? "agent") else {
                throw NodeError.invalidArgument("the role must be agent, lead, admin or gateway")
            }
            role = parsed
            let hoursText = form.value("hours") ?? String(Team.defaultInviteHours)
            guard let hours = Int(hoursText) else { throw NodeError.invalidArgument("hours must be a whole number, 1...720") }
            let address = (form.value("address")?.trimmingCharacters(in: .whitespaces)).flatMap { $0.isEmpty ? nil : $0 }
                ?? app.node.config.listen
            made = try app.node.home.invite(name: name, role: role, hours: hours, address: address, node: app.node,
                                            now: SystemClock().nowMillis())
        } catch let error as NodeError {
            return try overview(app: app, error: error.description)
        }
        let qr = (try? QRCode(text: made.text, correction: .medium))?.svg(moduleSize: 3) ?? "<p>The invite is too long for a QR code.</p>"
        let shown = """
            <section class="invite" aria-labelledby="made-h" id="invite-made">
            <h2 id="made-h">Invite for <span id="invite-for">\(HTML.escape(name))</span> (\(role.rawValue))</h2>
            <p>One use; expires <span id="invite-expiry">\(HTML.time(made.expiresMillis))</span>. It is a secret: anyone
            holding it can join until then. Send it privately; the new member pastes it on their node's Team page
            (or runs <code>roost team join</code> with it).</p>
            <label for="invite-link">Invite</label>
            <textarea id="invite-link" readonly rows="4" spellcheck="false">\(HTML.escape(made.text))</textarea>
            <button type="button" class="small" data-action="copy" data-target="invite-link" id="copy-invite">Copy</button>
            <figure class="qr" id="invite-qr">\(qr)<figcaption>Scan on the new member's device to copy the invite.</figcaption></figure>
            </section>
            """
        return try overview(app: app, created: shown)
    }

    /// `GET /team/sync`: per peer, the ops this node holds against what the peer has advertised, until caught up.
    /// Refreshes itself every 2 s (a meta refresh: no script needed).
    static func syncProgress(app: WebApp) throws -> Response {
        let held = (try? app.node.opCount()) ?? 0
        let file = PeersFile.load(app.node.home)
        let running = file.map { SystemClock().nowMillis() - $0.writtenMillis < 5_000 } ?? false
        let peers = running ? file?.peers ?? [] : []
        let desk = DeskService(node: app.node)
        var rows = ""
        var caughtUp = !peers.isEmpty
        for peer in peers {
            let name = (try? AuthorID(text: peer.node)).flatMap { try? desk.memberName($0) } ?? String(peer.node.prefix(7))
            let total = UInt64(held) + peer.opsAhead
            let done = peer.connected && peer.lastSeenMillis != nil && peer.opsAhead == 0
            if !done { caughtUp = false }
            rows += """
                <tr class="peer" data-peer="\(HTML.escape(peer.node))" data-caught-up="\(done)">
                <td>\(HTML.escape(name))</td><td>\(peer.connected ? "connected" : "connecting…")</td>
                <td><progress max="\(max(total, 1))" value="\(held)"></progress>
                <span class="held">\(held)</span> of <span class="total">\(total)</span> ops</td>
                <td>\(done ? "caught up" : "syncing")</td></tr>
                """
        }
        let status = !running ? "The sync daemon is starting (or `roost run` is not running)…"
            : peers.isEmpty ? "Waiting for a peer…" : caughtUp ? "Caught up: this node holds the team's history." : "Syncing…"
        let body = """
            <main id="main" class="narrow">
            <h1>Sync progress</h1>
            <p id="sync-status" role="status" data-caught-up="\(caughtUp)">\(HTML.escape(status))</p>
            <p>This node holds <strong id="ops-held">\(held)</strong> ops.</p>
            <table class="peers" id="peers"><thead><tr><th scope="col">Peer</th><th scope="col">State</th>
            <th scope="col">Ops</th><th scope="col"></th></tr></thead><tbody>\(rows)</tbody></table>
            <p><a href="/team">Team</a> · <a href="/inbox">Inbox</a></p>
            </main>
            """
        var response = HTML.response(HTML.page(title: "Sync progress", pageName: "sync", app: app, body: body))
        if !caughtUp { response.headers[HTTPField.Name("Refresh")!] = "2" }
        return response
    }
}

/// An `application/x-www-form-urlencoded` body of a page's form.
struct WebForm {
    private var fields: [String: String] = [:]

    /// Reads at most ``WebLimits/maxRequestBody`` bytes.
    static func read(_ request: Request) async throws -> WebForm {
        var request = request
        let buffer = try await request.collectBody(upTo: WebLimits.maxRequestBody)
        return WebForm(encoded: String(buffer: buffer))
    }

    /// The fields of a query string of a form sent with GET (the router's decoding keeps `+`, a space in forms).
    static func query(_ request: Request) -> WebForm { WebForm(encoded: request.uri.query ?? "") }

    private init(encoded: String) {
        var form = WebForm()
        for pair in encoded.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            guard let key = parts.first else { continue }
            form.fields[decode(key)] = parts.count > 1 ? decode(parts[1]) : ""
        }
        self = form
    }

    private init() {}

    func value(_ name: String) -> String? { fields[name] }

    /// A field that must be present and not blank.
    func required(_ name: String) throws -> String {
        guard let value = fields[name], !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw NodeError.invalidArgument("\(name) is required")
        }
        guard value.count <= WebLimits.maxTextField else { throw NodeError.invalidArgument("\(name) is too long") }
        return value
    }
}
