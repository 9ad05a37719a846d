import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import RoostCore
import RoostNode
@testable import RoostWeb

/// The dashboard counts a stated window (imported history older than it is left out, and said so), and
/// splits the team's agents from the brands and signatures seen in imported tweets, paging the latter.
@Suite(.serialized) struct DashboardWindowTests {
    static func message(_ id: String, root: String, inbound: Bool, at millis: UInt64, signature: String? = nil) -> IncomingMessage {
        IncomingMessage(
            id: id, ticketKey: Desk.publicTicketKey(rootTweetID: root), channel: .public, conversation: root,
            direction: inbound ? .inbound : .outbound, author: inbound ? "9\(root)" : "AcmeCare", customer: "9\(root)",
            customerHandle: nil, customerName: nil, followers: nil, verified: nil, brand: "AcmeCare",
            text: inbound ? "@AcmeCare help" : "On it", createdMillis: millis, replyTo: inbound ? nil : root,
            signature: signature, mentions: inbound ? ["acmecare"] : [])
    }

    @Test func windowDefaultsToSevenDaysAndImportedAgentsArePagedApart() async throws {
        let f = try WebFixture(sample: false)
        defer { f.cleanup() }
        let now = SystemClock().nowMillis()
        let old: UInt64 = 1_509_000_000_000  // October 2017, as TWCS history is
        var incoming: [IncomingMessage] = []
        for n in 0..<30 {  // recent threads, each answered by a different brand signature
            let at = now - 3_600_000 - UInt64(n) * 60_000
            incoming.append(Self.message("\(100 + n)", root: "\(100 + n)", inbound: true, at: at))
            incoming.append(Self.message("\(500 + n)", root: "\(100 + n)", inbound: false, at: at + 120_000,
                                         signature: String(UnicodeScalar(65 + n / 26)!) + String(UnicodeScalar(65 + n % 26)!)))
        }
        for n in 0..<5 {  // decade-old imported threads
            incoming.append(Self.message("\(900 + n)", root: "\(900 + n)", inbound: true, at: old + UInt64(n) * 60_000))
            incoming.append(Self.message("\(950 + n)", root: "\(900 + n)", inbound: false, at: old + UInt64(n) * 60_000 + 1_000,
                                         signature: "ZZ"))
        }
        var report = IngestReport()
        try f.web.desk.ingest(incoming, rules: .empty, report: &report)
        _ = try f.web.desk.resolve("p100", as: "answered")  // the team's own work: Ana Lopez resolves one

        try await f.application().test(.live) { client in
            let week = try await client.execute(uri: "/api/v1/dashboard", method: .get, headers: f.bearer) { response in
                #expect(response.status == .ok)
                return object(response.body)
            }
            let window = week["window"] as? [String: Any]
            #expect(window?["key"] as? String == "7d")
            #expect((window?["label"] as? String)?.hasPrefix("last 7 days (since ") == true)
            #expect((week["report"] as? [String: Any])?["tickets"] as? Int == 30)
            #expect(week["olderTickets"] as? Int == 5)
            let team = (week["team"] as? [[String: Any]])?.compactMap { $0["agent"] as? String }
            #expect(team == ["Ana Lopez"])
            #expect(week["historyCount"] as? Int == 30)  // "AcmeCare ^AA" ... "AcmeCare ^BD"; not the 2017 "^ZZ"
            let firstPage = (week["history"] as? [[String: Any]])?.compactMap { $0["agent"] as? String } ?? []
            #expect(firstPage.count == 25 && week["historyPages"] as? Int == 2)
            #expect(!firstPage.contains("AcmeCare ^ZZ") && !firstPage.contains("Ana Lopez"))

            let second = try await client.execute(uri: "/api/v1/dashboard?agents_page=2", method: .get, headers: f.bearer) { response in
                object(response.body)
            }
            let secondPage = (second["history"] as? [[String: Any]])?.compactMap { $0["agent"] as? String } ?? []
            #expect(secondPage.count == 5 && second["historyPage"] as? Int == 2)
            #expect(Set(firstPage + secondPage).count == 30)

            let all = try await client.execute(uri: "/api/v1/dashboard?window=all", method: .get, headers: f.bearer) { response in
                object(response.body)
            }
            #expect((all["window"] as? [String: Any])?["label"] as? String == "all time")
            #expect((all["report"] as? [String: Any])?["tickets"] as? Int == 35)
            #expect(all["olderTickets"] as? Int == 0 && all["historyCount"] as? Int == 31)

            for bad in ["/api/v1/dashboard?window=week", "/api/v1/dashboard?agents_page=0"] {
                try await client.execute(uri: bad, method: .get, headers: f.bearer) { response in
                    #expect(response.status == .badRequest, "\(bad)")
                }
            }

            try await client.execute(uri: "/dashboard", method: .get, headers: f.bearer) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("Covering <strong>last 7 days (since "))
                #expect(html.contains("5 older ticket(s) not counted"))
                #expect(html.contains("Seen in imported history") && html.contains("page 1 of 2"))
                #expect(html.contains("agents_page=2"))
                #expect(html.components(separatedBy: "AcmeCare ^").count - 1 == 25)
            }
        }
    }
}
