import Hummingbird
import HTTPTypes
import RoostNode
import RoostTwitter

/// Escaping and small pieces of server-rendered HTML.
enum HTML {
    /// Escapes text for an element body or a quoted attribute.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// The listening alerts that fire, one line each, above every page (rules.toml `[[alert]]`).
    static func alertBanner(_ app: WebApp) -> String {
        let firing = app.alertCache.statuses(app, now: app.now).filter(\.firing)
        guard !firing.isEmpty else { return "" }
        let lines = firing.map { status in
            let what = status.sharePercent.map { String(format: "%.0f%% negative (%d of %d customer messages; baseline %.0f%%)", $0, status.count, status.total ?? 0, status.baseline) }
                ?? String(format: "%d in the window (baseline %.1f)", status.count, status.baseline)
            return "<li><strong>\(escape(status.name))</strong>: \(escape(what)), \(escape(DeskClock.format(status.windowStartMillis))) to \(escape(DeskClock.format(status.windowEndMillis)))</li>"
        }
        return "<div class=\"alert-banner\" role=\"alert\" id=\"alert-banner\"><span>Alert</span><ul>\(lines.joined())</ul></div>"
    }

    /// A message's or ticket's language and sentiment as small tags (" es", " negative").
    static func languageAndSentiment(_ language: String?, _ sentiment: Int?) -> String {
        var html = language.map { " <span class=\"tag lang\" title=\"language\">\(escape($0))</span>" } ?? ""
        if let sentiment {
            let label = TweetSentiment.label(score: Double(sentiment) / 100)
            let word = switch label { case .negative: "negative"; case .neutral: "neutral"; case .positive: "positive" }
            html += " <span class=\"tag sentiment sentiment-\(label.rawValue)\" title=\"sentiment \(sentiment)\">\(word)</span>"
        }
        return html
    }

    /// Headers every page carries: no inline script or style, nothing from elsewhere, no framing.
    static let securityHeaders: HTTPFields = [
        .contentType: "text/html; charset=utf-8",
        .cacheControl: "no-store",
        HTTPField.Name("Content-Security-Policy")!:
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "no-referrer",
    ]

    static func response(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: securityHeaders, body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// A whole page: header, skip link, main navigation, live status, and `body` as the main content.
    /// `query` fills the header's search box (the search page).
    static func page(title: String, pageName: String, app: WebApp?, attributes: String = "", query: String = "", body: String) -> String {
        let me = app.map { "\(escape($0.node.config.name)) (^\(escape($0.node.config.initials)))" } ?? ""
        let nav = app == nil ? "" : """
            <nav class="main-nav" aria-label="Main">
              <a href="/inbox"\(pageName == "inbox" ? " aria-current=\"page\"" : "")>Inbox</a>
              <a href="/dashboard"\(pageName == "dashboard" ? " aria-current=\"page\"" : "")>Dashboard</a>
              <a href="/team"\(pageName == "team" ? " aria-current=\"page\"" : "")>Team</a>
            </nav>
            <form class="search" role="search" method="get" action="/search" autocomplete="off">
              <label for="q" class="visually-hidden">Search tickets</label>
              <input type="search" id="q" name="q" value="\(escape(query))" placeholder="Search (/)" maxlength="512"
                     aria-controls="search-panel">
              <div id="search-panel" class="search-panel" hidden></div>
            </form>
            <span class="me">\(me)</span>
            <form method="post" action="/logout" class="logout"><button type="submit" class="small" id="logout">Sign out</button></form>
            <span id="live-status" class="live-status" role="status" aria-live="polite">connecting…</span>
            """
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) · Roost</title>
            <link rel="stylesheet" href="/assets/app.css">
            <script src="/assets/app.js" defer></script>
            </head>
            <body data-page="\(pageName)" \(attributes)>
            <a class="skip" href="#main">Skip to content</a>
            <header class="top">
              <a class="brand" href="/inbox">Roost</a>
              \(nav)
            </header>
            \(app.map(alertBanner) ?? "")
            \(body)
            <div id="toast" class="toast" role="status" aria-live="polite"></div>
            <div id="help" class="help" hidden>
              <h2>Keyboard shortcuts</h2>
              <dl>
                <dt>j / k</dt><dd>next / previous ticket</dd>
                <dt>Enter or o</dt><dd>open the selected ticket</dd>
                <dt>c</dt><dd>claim</dd>
                <dt>r</dt><dd>reply</dd>
                <dt>e</dt><dd>resolve</dd>
                <dt>u</dt><dd>back to the inbox</dd>
                <dt>/</dt><dd>search</dd>
                <dt>?</dt><dd>show or hide this help</dd>
              </dl>
            </div>
            </body>
            </html>
            """
    }

    /// Relative time: "in 12m", "3h05m ago".
    static func relative(_ millis: UInt64, now: UInt64) -> String {
        let delta = Int64(bitPattern: millis &- now)
        return delta >= 0 ? "in " + DeskClock.duration(delta) : DeskClock.duration(-delta) + " ago"
    }

    /// A running SLA clock: "due in 12m" / "overdue 3m ago", with `label` before it ("reply"), classes `breach` or
    /// `warn` (past the queue's warning share), and the due and warning instants for the page's ticking script.
    static func slaClock(label: String?, due: UInt64, warn: UInt64?, breaching: Bool, warning: Bool, now: UInt64, element: String) -> String {
        let state = breaching ? " breach" : warning ? " warn" : ""
        let attributes = " data-due=\"\(due)\"" + (warn.map { " data-warn=\"\($0)\"" } ?? "") + (label.map { " data-label=\"\(escape($0))\"" } ?? "")
        let text = (label.map { escape($0) + " " } ?? "") + (breaching || due < now ? "overdue " : "due ") + relative(due, now: now)
        return "<\(element) class=\"sla\(state)\"\(attributes)>\(text)</\(element)>"
    }

    /// An absolute UTC time with a machine-readable attribute.
    static func time(_ millis: UInt64) -> String {
        "<time datetime=\"\(millis)\">\(escape(DeskClock.format(millis)))</time>"
    }
}
