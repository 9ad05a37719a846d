import Foundation
import Hummingbird
import HummingbirdTesting
import RoostCore
import RoostNode
import RoostStore
import Testing
@testable import RoostWeb

/// The desk policy through the API and the inbox (issue 15): a bad policy is refused naming its line; a good one
/// makes the inbox show warning and overdue clocks, and tickets routing pushed are marked.
@Suite(.serialized) struct PolicyWebTests {
    static func message(_ id: String, ticket: String, at millis: UInt64) -> IncomingMessage {
        IncomingMessage(id: id, ticketKey: ticket, channel: .public, conversation: String(ticket.dropFirst()), direction: .inbound,
                        author: "c" + id, customer: "c" + id, customerHandle: "cust_" + id, customerName: nil, followers: 10,
                        verified: false, brand: "acmecare", text: "my internet is down", createdMillis: millis, replyTo: nil,
                        signature: nil, mentions: ["acmecare"])
    }

    @Test func thePolicyAPIRefusesBadLinesAndTheInboxShowsWarningsAndPushes() async throws {
        let f = try WebFixture(sample: false)
        defer { f.cleanup() }
        let now = SystemClock().nowMillis()
        var report = IngestReport()
        // Ticket p1 waits 40 minutes (past 50% of 60: warning), p2 70 minutes (overdue), p3 5 minutes (fine).
        try f.web.desk.ingest([Self.message("1", ticket: "p1", at: now - 40 * 60_000), Self.message("2", ticket: "p2", at: now - 70 * 60_000),
                               Self.message("3", ticket: "p3", at: now - 5 * 60_000)], rules: .empty, report: &report)
        let policy = "[[queue]]\nname = \"default\"\nfirst_response_minutes = 60\nwarn_percent = 50\n"
        try await f.application().test(.live) { client in
            let bad = "{\"text\": \"[[queue]]\\nname = \\\"default\\\"\\nwarn_percent = 0\\n\", \"file\": \"desk.toml\"}"
            try await client.execute(uri: "/api/v1/policy", method: .post, headers: f.bearer, body: f.json(bad)) { response in
                #expect(response.status == .unprocessableContent)
                #expect(apiError(response.body)["message"] as? String == "desk.toml:3: warn_percent must be 1 to 99 (got 0)")
            }
            let good = try JSONSerialization.data(withJSONObject: ["text": policy])
            try await client.execute(uri: "/api/v1/policy", method: .post, headers: f.bearer, body: ByteBuffer(data: good)) { response in
                #expect(response.status == .ok)
                #expect(object(response.body)["queues"] as? [String] == ["default"])
            }
            try await client.execute(uri: "/api/v1/policy", method: .get, headers: f.bearer) { response in
                #expect(object(response.body)["text"] as? String == policy)
            }
        }
        try f.web.desk.claimPushed("p3")
        let html = try await f.application().test(.live) { client in
            let login = try await f.signIn(client)
            return try await client.execute(uri: "/inbox?view=open", method: .get, headers: [.cookie: login]) { String(buffer: $0.body) }
        }
        let rows = html.components(separatedBy: "<tr").filter { $0.contains("data-key=") || $0.contains("/tickets/") }
        func row(_ key: String) -> String { rows.first { $0.contains("/tickets/\(key)") } ?? "" }
        #expect(row("p1").contains("class=\"sla warn\"") && row("p1").contains("data-warn=\"\(now - 10 * 60_000)\""))
        #expect(row("p2").contains("class=\"sla breach\""))
        #expect(row("p3").contains("class=\"sla\" ") && !row("p3").contains("warn\""))
        #expect(row("p3").contains("pushed</span>") && !row("p1").contains("pushed</span>"))
    }
}
