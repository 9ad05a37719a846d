import Foundation
import Hummingbird
import RoostCore
import RoostNode
import RoostStore
import RoostTwitter

extension WebPages {
    static func ticket(_ typed: String, fragment: Bool, app: WebApp) throws -> Response {
        let detail = try app.ticketDetail(typed)
        let live = ticketLive(detail, app: app)
        if fragment { return HTML.response(live) }
        let key = HTML.escape(detail.view.ticket.key)
        let canned = try app.desk.cannedResponses()
        let options = canned.map { (item) -> String in "<option value=\"\(HTML.escape(item.name))\">\(HTML.escape(item.name))</option>" }.joined()
        let last = detail.view.thread.last?.id ?? ""
        let dmOnly = detail.view.ticket.channel == "dm"
        let target = detail.replyTarget
        var people = target.participants
        if let addressee = target.addressee, !people.contains(where: { $0.id == addressee.id }) { people.append(addressee) }
        let addresseeText = target.addressee.map { "@" + $0.handle } ?? "the customer"
        let toOptions = people.map { person -> String in
            let label = "@" + person.handle + (person.name.map { " (\($0))" } ?? "")
            let selected = person.id == target.addressee?.id ? " selected" : ""
            return "<option value=\"\(HTML.escape(person.handle))\"\(selected)>\(HTML.escape(label))</option>"
        }.joined()
        let limit = dmOnly ? TweetLength.dmLimit : TweetLength.limit
        let body = """
            <main id="main" class="ticket-page" tabindex="-1">
            <p class="crumbs"><a href="/inbox">← Inbox</a> <span class="hint">Keys: <kbd>c</kbd> claim, <kbd>r</kbd> reply, <kbd>e</kbd> resolve, <kbd>j</kbd>/<kbd>k</kbd> next/previous, <kbd>u</kbd> inbox</span></p>
            <div id="live" data-fragment="/tickets/\(key)?fragment=1">
            \(live)
            </div>
            <section class="composer card" aria-labelledby="composer-title">
              <h2 id="composer-title">Reply</h2>
              <form id="reply-form" data-key="\(key)" data-after="\(HTML.escape(last))" novalidate>
                <p class="reply-to">Replying to <strong id="reply-to-handle">\(HTML.escape(addresseeText))</strong>\(people.count > 1 ? "" : " (the only customer in this thread)")</p>
                <div class="composer-row"\(people.count > 1 ? "" : " hidden")>
                  <label for="reply-to">Reply to</label>
                  <select id="reply-to" name="to">\(toOptions)</select>
                </div>
                <label for="reply-text">Your reply (the addressee's @handle on a public reply and your signature ^\(HTML.escape(app.node.config.initials)) are added and counted)</label>
                <textarea id="reply-text" name="text" rows="4" aria-describedby="reply-count reply-preview"></textarea>
                <div class="composer-row">
                  <label for="reply-canned">Canned response</label>
                  <select id="reply-canned" name="canned"><option value="">None</option>\(options)</select>
                  <label class="check"><input type="checkbox" id="reply-dm" name="dm"\(dmOnly ? " checked disabled" : "")> Send as DM</label>
                  <span id="reply-count" class="count-chars" aria-live="polite">0 / \(limit)</span>
                </div>
                <p id="reply-preview" class="preview" aria-live="polite"></p>
                <p id="reply-variant" class="hint" aria-live="polite"></p>
                <p id="reply-error" class="error" role="alert"></p>
                <div class="composer-row">
                  <button type="submit" id="reply-send" class="primary">Send reply</button>
                  <button type="button" id="reply-force" class="warn" hidden>Send anyway</button>
                </div>
              </form>
              <div id="resolve-confirm" class="confirm" role="alertdialog" aria-labelledby="resolve-confirm-text" hidden>
                <p id="resolve-confirm-text"></p>
                <button type="button" id="resolve-confirm-yes" class="primary">Resolve</button>
                <button type="button" id="resolve-confirm-no">Cancel</button>
              </div>
              <form class="api-form" data-endpoint="/api/v1/tickets/\(key)/notes" data-reset="true">
                <label for="note-text">Internal note (never sent)</label>
                <textarea id="note-text" name="text" rows="2"></textarea>
                <button type="submit">Add note</button>
              </form>
              <details class="canned-add">
                <summary>New canned response</summary>
                <form class="api-form" data-endpoint="/api/v1/canned" data-reload="true">
                  <label for="canned-name">Name (letters, digits, - or _)</label>
                  <input id="canned-name" name="name" required>
                  <label for="canned-text">Text — variables: {customer}, {agent}</label>
                  <textarea id="canned-text" name="text" rows="2" required></textarea>
                  <button type="submit">Save canned response</button>
                </form>
              </details>
            </section>
            </main>
            """
        return HTML.response(HTML.page(title: "Ticket \(detail.view.ticket.key)", pageName: "ticket", app: app,
                                       attributes: "data-ticket=\"\(key)\"", body: body))
    }

    static func ticketLive(_ detail: TicketDetail, app: WebApp) -> String {
        let view = detail.view, row = view.ticket
        let key = HTML.escape(row.key)
        let now = detail.nowMillis

        var conflicts = ""
        if !detail.conflicts.isEmpty {
            conflicts = "<section class=\"conflicts\" role=\"alert\" aria-labelledby=\"conflicts-title\"><h2 id=\"conflicts-title\">Claim conflict</h2><ul>"
            for conflict in detail.conflicts {
                var actions = ""
                if detail.claim?.mine == true && !conflict.loserIsMe {
                    actions = """
                         <button type="button" class="small" data-action="handoff" data-key="\(key)" data-to="\(HTML.escape(conflict.loserAuthor))">Hand off to \(HTML.escape(conflict.loser))</button>
                         <button type="button" class="small" data-action="release" data-key="\(key)">Release</button>
                        """
                }
                conflicts += "<li>\(HTML.escape(conflict.sentence))\(actions)</li>"
            }
            conflicts += "</ul></section>"
        }

        var thread = "<ol class=\"thread\">"
        for message in view.thread {
            let kind = message.direction == .note ? "note" : message.direction.rawValue
            let label = message.direction == .inbound ? (message.dm ? "DM from" : "Tweet from")
                : message.direction == .note ? "Note by" : (message.dm ? "DM reply by" : "Reply by")
            let outbox = message.outbox.map { " <span class=\"tag\">\($0.rawValue)</span>" } ?? ""
            thread += """
                <li class="msg \(kind)\(message.dm ? " dm" : "")" id="m-\(HTML.escape(message.id))">
                <div class="meta"><span class="who">\(label) \(HTML.escape(message.authorName))</span> · \(HTML.time(message.createdMillis))\(outbox)\(HTML.languageAndSentiment(message.language, message.sentiment))</div>
                <p class="text">\(HTML.escape(message.text))</p>
                </li>
                """
        }
        thread += "</ol>"

        // Claim card.
        var claim = "<p>Nobody holds this ticket. <span class=\"muted\" id=\"claim-on-reply\">Replying claims it for you: the gateway posts only the holder's replies.</span></p>"
        var claimButtons = "<button type=\"button\" data-action=\"claim\" data-key=\"\(key)\" class=\"primary\">Claim</button>"
        if let info = detail.claim, let name = info.holderName {
            let lease = info.leaseEndsMillis.map { ends in
                ends > now ? "lease ends \(HTML.relative(ends, now: now))" : "lease expired \(HTML.relative(ends, now: now))"
            } ?? ""
            claim = "<p><strong class=\"holder\(info.mine ? " mine" : "")\" id=\"claim-holder\">\(info.mine ? "You" : HTML.escape(name))</strong> "
                + "\(info.mine ? "hold" : "holds") this ticket (since \(HTML.relative(info.sinceMillis, now: now)); \(lease))"
                + (detail.view.ticket.pushedTo != nil && detail.view.ticket.pushedTo == detail.view.ticket.holder
                   ? " <span class=\"pushed\" id=\"claim-pushed\">pushed by routing</span>" : "") + ".</p>"
            claimButtons = info.mine
                ? "<button type=\"button\" data-action=\"claim\" data-key=\"\(key)\">Renew lease</button> <button type=\"button\" data-action=\"release\" data-key=\"\(key)\">Release</button>"
                : (info.leaseEndsMillis ?? 0) <= now
                    ? "<button type=\"button\" data-action=\"claim\" data-key=\"\(key)\">Take over (lease expired)</button>" : ""
        }
        let handoff = detail.claim?.mine == true ? """
            <form class="api-form inline" data-endpoint="/api/v1/tickets/\(key)/handoff">
              <label for="handoff-to">Hand off to</label>
              <input id="handoff-to" name="to" placeholder="name or node id" required>
              <button type="submit">Hand off</button>
            </form>
            """ : ""

        // SLA clock.
        var sla = "<p class=\"muted\">No customer message yet.</p>"
        if let due = row.dueMillis {
            if let answered = row.firstResponseMillis {
                // Imported history: a date, not "3320d00h ago".
                let when = now &- answered > DeskLimits.breachWindowMillis ? "on " + HTML.time(answered) : HTML.relative(answered, now: now)
                sla = "<p class=\"ok\">First response \(when) (\(answered <= due ? "within" : "after") the target).</p>"
                if let next = row.nextReplyDueMillis {
                    sla += HTML.slaClock(label: "next reply", due: next, warn: row.slaWarnMillis, breaching: row.breaching,
                                         warning: row.slaWarning == true, now: now, element: "p")
                }
            } else if row.history == true {
                sla = "<p class=\"sla history\">History: no reply since \(HTML.time(row.firstInboundMillis ?? due)). Its target passed more "
                    + "than \(DeskLimits.breachWindowMillis / 86_400_000) days ago, so it is not counted as breaching now.</p>"
            } else {
                sla = HTML.slaClock(label: nil, due: due, warn: row.slaWarnMillis, breaching: row.breaching, warning: row.slaWarning == true,
                                    now: now, element: "p")
            }
        }

        let tags = view.tags.map { tag -> String in
            "<li><span class=\"tag\">\(HTML.escape(tag))</span> <button type=\"button\" class=\"small link\" data-action=\"untag\" data-key=\"\(key)\" data-tag=\"\(HTML.escape(tag))\" aria-label=\"Remove tag \(HTML.escape(tag))\">×</button></li>"
        }.joined()
        let priorities = Priority.allCases.map { p -> String in
            "<option value=\"\(p.rawValue)\"\(p == row.priority ? " selected" : "")>\(p.rawValue)</option>"
        }.joined()
        let resolutions = detail.resolutionTypes.map { (item) -> String in "<option value=\"\(HTML.escape(item))\">\(HTML.escape(item))</option>" }.joined()

        // Customer card.
        var customer = "<p class=\"muted\">Unknown customer \(HTML.escape(row.customer)).</p>"
        if let profile = detail.customer {
            var facts: [String] = []
            if profile.vip { facts.append("<span class=\"tag vip\">VIP</span>") }
            if profile.verified { facts.append("<span class=\"tag\">verified</span>") }
            if let followers = profile.followers { facts.append("\(followers) followers") }
            let history = profile.tickets.prefix(20).map { t -> String in
                let current = t.key == row.key ? " aria-current=\"page\"" : ""
                return "<li><a href=\"/tickets/\(HTML.escape(t.key))\"\(current)>\(HTML.escape(t.key))</a> \(t.status.rawValue)\(t.firstInboundMillis.map { " · " + HTML.relative($0, now: now) } ?? "")</li>"
            }.joined()
            customer = """
                <p><strong>@\(HTML.escape(profile.handle))</strong>\(profile.name.map { " · " + HTML.escape($0) } ?? "")</p>
                <p>\(facts.joined(separator: " · "))</p>
                \(profile.notes.map { "<p class=\"muted\">\(HTML.escape($0))</p>" } ?? "")
                \(profile.crm.map { crm in "<p>CRM: " + (profile.crmURL.map { "<a href=\"\(HTML.escape($0))\" rel=\"noopener noreferrer\" target=\"_blank\">\(HTML.escape(crm))</a>" } ?? HTML.escape(crm)) + "</p>" } ?? "")
                <p><a class="small" href="/api/v1/customers/\(HTML.escape(profile.id.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? profile.id))/export" download="customer-\(HTML.escape(profile.id)).json">Export their data (JSON)</a></p>
                <button type="button" class="small" data-action="vip" data-handle="\(HTML.escape(profile.handle))" data-vip="\(!profile.vip)">\(profile.vip ? "Remove VIP" : "Mark VIP")</button>
                <h3>History (\(profile.tickets.count) tickets)</h3>
                <ul class="history">\(history)</ul>
                """
        }

        let presence = detail.presence.map { entry -> String in
            "<li>\(HTML.escape(entry.member)) is \(entry.activity.rawValue)</li>"
        }.joined()

        return """
            <h1>Ticket \(key) <span class="prio prio-\(row.priority.rawValue)">\(row.priority.rawValue)</span>
              <span class="tag">\(row.status.rawValue)</span> <span class="tag">tier: \(row.tier.rawValue)</span>\(row.queue.map { " <span class=\"tag\">queue: \(HTML.escape($0))</span>" } ?? "")\(row.channel == "dm" ? " <span class=\"tag\">DM</span>" : "")</h1>
            <ul class="presence" id="presence" aria-label="Who is here" aria-live="polite"\(presence.isEmpty ? " hidden" : "")>\(presence)</ul>
            \(conflicts)
            <div class="ticket-grid">
            <section class="thread-card card" aria-labelledby="thread-title">
              <h2 id="thread-title">Conversation (\(view.thread.count))</h2>
              \(thread)
            </section>
            <aside class="side" aria-label="Ticket details">
              <section class="card" aria-labelledby="claim-title">
                <h2 id="claim-title">Claim</h2>
                \(claim)
                <div class="buttons">\(claimButtons)</div>
                \(handoff)
              </section>
              <section class="card" aria-labelledby="sla-title">
                <h2 id="sla-title">SLA clock</h2>
                \(sla)
                <form class="api-form inline" data-endpoint="/api/v1/tickets/\(key)/priority">
                  <label for="priority">Priority</label>
                  <select id="priority" name="priority">\(priorities)</select>
                  <button type="submit">Set</button>
                </form>
              </section>
              <section class="card" aria-labelledby="tags-title">
                <h2 id="tags-title">Tags</h2>
                <ul class="tags">\(tags)</ul>
                <form class="api-form inline" data-endpoint="/api/v1/tickets/\(key)/tags" data-reset="true">
                  <label for="tag-new">Add tag</label>
                  <input id="tag-new" name="tag" required>
                  <button type="submit">Add</button>
                </form>
              </section>
              <section class="card" aria-labelledby="resolve-title">
                <h2 id="resolve-title">Resolve or escalate</h2>
                \(view.resolution.map { "<p>Resolved as <strong>\(HTML.escape($0))</strong>.</p>" } ?? "")
                <form id="resolve-form" class="inline" data-endpoint="/api/v1/tickets/\(key)/resolve">
                  <label for="resolve-as">Resolution</label>
                  <select id="resolve-as" name="as">\(resolutions)</select>
                  <button type="submit" id="resolve-button">Resolve</button>
                </form>
                <form id="status-form" class="api-form inline" data-endpoint="/api/v1/tickets/\(key)/status">
                  <label for="status-set">Waiting</label>
                  <select id="status-set" name="status">\(Self.waitingOptions(row.status))</select>
                  <button type="submit">Set</button>
                </form>
                \(view.escalationReason.map { "<p>Escalated: \(HTML.escape($0))</p>" } ?? "")
                <form class="api-form inline" data-endpoint="/api/v1/tickets/\(key)/escalate" data-reset="true">
                  <label for="escalate-reason">Escalation reason</label>
                  <input id="escalate-reason" name="reason" required>
                  <button type="submit"\(row.tier.next == nil ? " disabled" : "")>Escalate\(row.tier.next.map { " to " + $0.rawValue } ?? "")</button>
                </form>
              </section>
              <section class="card" aria-labelledby="customer-title">
                <h2 id="customer-title">Customer</h2>
                \(customer)
              </section>
            </aside>
            </div>
            """
    }

    /// The statuses the ticket page can set besides resolving: open, pending (waiting on the customer), on hold
    /// (waiting on someone else; reply clocks pause), closed.
    static func waitingOptions(_ current: TicketStatus) -> String {
        [(TicketStatus.open, "open"), (.pending, "pending: waiting on the customer"), (.onHold, "on hold: waiting on someone else"), (.closed, "closed")]
            .map { status, label in
                "<option value=\"\(status.rawValue)\"\(status == current ? " selected" : "")>\(label)</option>"
            }.joined()
    }
}
