import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import RoostWeb

/// The inbox page and `GET /api/v1/inbox` over the repository's demo sample: paging, sorts, filters and rows
/// whose customer text is shown as text.
@Suite(.serialized) struct InboxPageTests {
    static func demoFixture() throws -> WebFixture {
        let f = try WebFixture(sample: false)
        let imported = try roost(["import-twcs", "--file", repositoryRoot.appendingPathComponent("examples/data/twcs-demo.csv").path],
                                 home: f.home)
        guard imported.status == 0 else { throw FixtureError(imported.stderr) }
        return f
    }

    @Test func apiPagesWithATotalAndRejectsBadParameters() async throws {
        let f = try Self.demoFixture()
        defer { f.cleanup() }
        try await f.application().test(.live) { client in
            let whole = try await client.execute(uri: "/api/v1/inbox?view=all&limit=500", method: .get, headers: f.bearer) { response in
                #expect(response.status == .ok)
                return object(response.body)
            }
            let total = try #require(whole["total"] as? Int)
            let keys = (whole["rows"] as? [[String: Any]] ?? []).compactMap { ($0["ticket"] as? [String: Any])?["key"] as? String }
            #expect(keys.count == total && total > 50)
            let second = try await client.execute(uri: "/api/v1/inbox?view=all&offset=50", method: .get, headers: f.bearer) { response in
                object(response.body)
            }
            let secondKeys = (second["rows"] as? [[String: Any]] ?? []).compactMap { ($0["ticket"] as? [String: Any])?["key"] as? String }
            #expect(secondKeys == Array(keys[50..<min(100, total)]))
            #expect(second["total"] as? Int == total && second["offset"] as? Int == 50)
            let resolved = try await client.execute(uri: "/api/v1/inbox?status=resolved&limit=500", method: .get, headers: f.bearer) { response in
                object(response.body)
            }
            let statuses = Set((resolved["rows"] as? [[String: Any]] ?? []).compactMap { ($0["ticket"] as? [String: Any])?["status"] as? String })
            #expect(statuses == ["resolved"])
            for (query, field) in [("sort=sideways", "sort"), ("status=archived", "status"), ("offset=-1", "offset"), ("offset=x", "offset")] {
                try await client.execute(uri: "/api/v1/inbox?" + query, method: .get, headers: f.bearer) { response in
                    #expect(response.status == .badRequest, "\(query)")
                    #expect(apiError(response.body)["field"] as? String == field, "\(query)")
                }
            }
        }
    }

    @Test func rowsShowHostileTweetTextAsTextWithPagerLinks() async throws {
        let f = try Self.demoFixture()
        defer { f.cleanup() }
        try await f.application().test(.live) { client in
            let code = try f.loginCode()
            let login = try await client.execute(uri: "/login?code=\(code)", method: .get) { response in
                String(try #require(response.headers[.setCookie]).split(separator: ";")[0])
            }
            let html = try await client.execute(uri: "/inbox?view=open&sort=newest", method: .get, headers: [.cookie: login]) { response in
                #expect(response.status == .ok)
                return String(buffer: response.body)
            }
            #expect(html.contains("&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt; &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quotes&quot;"),
                    "the hostile snippet is escaped")
            #expect(!html.contains("<script>alert("))
            #expect(!html.contains("<b>bold</b>"))
            #expect(html.contains("<td class=\"brand\">@AcmeCare</td>"))
            let all = try await client.execute(uri: "/inbox?view=all", method: .get, headers: [.cookie: login]) { response in
                String(buffer: response.body)
            }
            #expect(all.contains("id=\"page-next\" href=\"/inbox?view=all&amp;offset=50\""))
            #expect(!all.contains("id=\"page-prev\""))
            #expect(all.contains("<span id=\"page-range\">Rows 1–50 of "))
        }
    }
}
