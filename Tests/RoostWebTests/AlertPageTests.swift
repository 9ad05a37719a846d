import Foundation
import Hummingbird
import HummingbirdTesting
import RoostCore
import RoostNode
import Testing

/// A firing listening alert shows as a banner on the web app's pages and in `GET /api/v1/alerts` (issue 13).
@Suite(.serialized) struct AlertPageTests {
    @Test func aFiringAlertIsABannerOnEveryPageAndInTheAPI() async throws {
        // The alert judges the last complete hour: if the hour turns while the test runs (a slow full run), the
        // burst is no longer in it; then the test runs again in the new hour.
        let hour: UInt64 = 3_600_000
        for _ in 0..<2 {
            let before = SystemClock().nowMillis() / hour
            let (alerts, pages) = try await Self.run()
            guard SystemClock().nowMillis() / hour == before else { continue }
            let first = try #require((alerts["alerts"] as? [[String: Any]])?.first)
            #expect(first["name"] as? String == "Outage <talk>" && first["firing"] as? Bool == true && first["count"] as? Int == 12, "\(alerts)")
            for (page, html) in pages {
                #expect(html.contains("id=\"alert-banner\"") && html.contains("<strong>Outage &lt;talk&gt;</strong>: 12 in the window"), "\(page)")
            }
            return
        }
        Issue.record("the hour turned twice during the test")
    }

    /// A node with a burst of 12 "outage" messages in the last complete hour: the API's alerts and three pages.
    static func run() async throws -> ([String: Any], [(String, String)]) {
        let f = try WebFixture(sample: false)
        defer { f.cleanup() }
        try Data("""
            [[alert]]
            name = "Outage <talk>"
            keywords = ["outage"]
            baseline_windows = 3
            min_count = 10
            """.utf8).write(to: f.home.appendingPathComponent("rules.toml"))
        let hour: UInt64 = 3_600_000
        let windowEnd = SystemClock().nowMillis() / hour * hour
        func message(_ i: Int, at: UInt64, text: String) -> IncomingMessage {
            IncomingMessage(id: "m\(i)", ticketKey: "p\(i)", channel: .public, conversation: "\(i)", direction: .inbound,
                            author: "c\(i)", customer: "c\(i)", customerHandle: "cust\(i)", customerName: nil, followers: nil,
                            verified: nil, brand: "acmecare", text: text, createdMillis: at, replyTo: nil, signature: nil, mentions: [])
        }
        var messages = [message(0, at: windowEnd - 5 * hour, text: "@acmecare hello there")]
        for i in 1...12 { messages.append(message(i, at: windowEnd - 30 * 60_000 + UInt64(i) * 1000, text: "@acmecare outage again")) }
        var report = IngestReport()
        try f.web.desk.ingest(messages, rules: .empty, report: &report)
        return try await f.application().test(.live) { client in
            let alerts = try await client.execute(uri: "/api/v1/alerts", method: .get, headers: f.bearer) { object($0.body) }
            let login = try await f.signIn(client)
            var pages: [(String, String)] = []
            for page in ["/inbox", "/dashboard", "/search?q=outage"] {
                pages.append((page, try await client.execute(uri: page, method: .get, headers: [.cookie: login]) { String(buffer: $0.body) }))
            }
            return (alerts, pages)
        }
    }
}
