import Foundation
import Hummingbird
import RoostCore
import RoostNode
import RoostStore

/// `GET /search?q=…`: the desk's search in the browser. The header's search box shows results as you type
/// (the script fetches `/search?q=…&fragment=1`); Enter opens this page; a result opens its ticket. Snippets are
/// escaped run by run and only the matched runs are wrapped in `<mark>`, so customer text is always text.
enum SearchPages {
    static func register(on router: Router<BasicRequestContext>, app: WebApp) {
        router.get("/search") { request, _ in
            await WebPages.page { try search(request, app: app) }
        }
    }

    static func search(_ request: Request, app: WebApp) throws -> Response {
        let query = request.uri.queryParameters
        let text = WebForm.query(request).value("q") ?? ""
        let fragment = query["fragment"] != nil
        var status = HTTPResponse.Status.ok
        let results: String
        if text.trimmingCharacters(in: .whitespaces).isEmpty {
            results = fragment ? "" : help
        } else {
            let limit = fragment ? WebLimits.searchAsYouTypeResults : SearchLimits.maxResults
            switch Result(catching: { () throws(DeskError) in try app.desk.search(text, limit: limit) }) {
            case let .success(hits):
                results = render(hits, now: app.now, compact: fragment)
            case let .failure(.badQuery(bad)):
                // The box shows what is wrong while the agent types; the page says so with a 400.
                if !fragment { status = .badRequest }
                results = "<p class=\"search-error\" role=\"alert\">\(HTML.escape(bad.description))</p>"
            case let .failure(error):
                throw error
            }
        }
        if fragment { return HTML.response(results) }
        let body = """
            <main id="main" class="narrow search-page">
            <h1>Search</h1>
            <section id="search-results" aria-live="polite" aria-label="Results">\(results)</section>
            </main>
            """
        return HTML.response(HTML.page(title: text.isEmpty ? "Search" : "Search: " + text, pageName: "search", app: app,
                                       query: text, body: body), status: status)
    }

    /// Results as a list of links to their tickets.
    static func render(_ hits: [SearchHit], now: UInt64, compact: Bool) -> String {
        guard !hits.isEmpty else { return "<p class=\"search-empty\">No tickets match.</p>" }
        var html = "<ol class=\"search-hits\(compact ? " compact" : "")\">"
        for hit in hits {
            let who = hit.customerHandle.map { "@" + $0 } ?? hit.customer
            let snippet = hit.snippet.map { run in
                run.match ? "<mark>" + HTML.escape(run.text) + "</mark>" : HTML.escape(run.text)
            }.joined()
            let age = DeskClock.duration(Int64(now) - Int64(hit.createdMillis)) + " ago"
            let kind = hit.kind == "inbound" || hit.kind == "ticket" ? "" : "<span class=\"kind\">\(HTML.escape(hit.kind))</span> "
            html += """
                <li><a class="hit" href="/tickets/\(HTML.escape(hit.ticket))" data-key="\(HTML.escape(hit.ticket))">\
                <span class="key">\(HTML.escape(hit.ticket))</span> <span class="who">\(HTML.escape(who))</span>\
                \(hit.brand.isEmpty ? "" : " → <span class=\"brand\">@\(HTML.escape(hit.brand))</span>") \
                <span class="status status-\(HTML.escape(hit.status))">\(HTML.escape(hit.status))</span> \
                <time datetime="\(hit.createdMillis)">\(HTML.escape(age))</time>\
                <span class="snippet">\(kind)\(snippet)</span></a></li>
                """
        }
        return html + "</ol>"
    }

    static let help = """
        <div class="search-help">
        <p>Type in the search box above. Words must all occur (any case, accents ignored):</p>
        <ul>
        <li><code>router</code>, <code>refund*</code> (a prefix), <code>"double charged"</code> (a phrase), <code>-spam</code> (leave out)</li>
        <li><code>from:@handle</code> <code>to:@brand</code> <code>tag:billing</code> <code>status:open</code> <code>queue:es</code>
            <code>tier:service</code> <code>assignee:me</code> / <code>none</code> / <code>@initials</code>
            <code>after:2017-10-01</code> <code>before:2017-11-01</code></li>
        </ul>
        <p>Filters alone list tickets, newest first. Press <kbd>/</kbd> anywhere to search.</p>
        </div>
        """
}
