import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Logging
import Testing
import RoostCore
import RoostCrypto
import RoostNode
import RoostStore
@testable import RoostWeb

@Suite(.serialized) struct APITests {
    /// The first ticket of the default inbox.
    func firstTicket(_ client: some TestClientProtocol, _ f: WebFixture) async throws -> String {
        try await client.execute(uri: "/api/v1/inbox", method: .get, headers: f.bearer) { response in
            #expect(response.status == .ok)
            let rows = object(response.body)["rows"] as? [[String: Any]] ?? []
            let ticket = rows.first?["ticket"] as? [String: Any]
            return try #require(ticket?["key"] as? String)
        }
    }

    @Test func noTokenGets401() async throws {
        let f = try WebFixture()
        defer { f.cleanup() }
        try await f.application().test(.live) { client in
            for (method, uri) in [(HTTPRequest.Method.get, "/api/v1/inbox"), (.post, "/api/v1/tickets/p1/claim"), (.get, "/api/v1/events")] {
                try await client.execute(uri: uri, method: method) { response in
                    #expect(response.status == .unauthorized, "\(uri)")
                    #expect(apiError(response.body)["code"] as? String == "unauthorized")
                }
            }
            try await client.execute(uri: "/inbox", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(String(buffer: response.body).contains("roost open"))
            }
            // Nothing was written by the refused claim.
            #expect(try f.node.store.state.claimConflicts().isEmpty)
        }
    }

    @Test func wrongTokenGets401() async throws {
        let f = try WebFixture()
        defer { f.cleanup() }
        let wrong = String(repeating: "0", count: 64)
        try await f.application().test(.live) { client in
            try await client.execute(uri: "/api/v1/inbox", method: .get, headers: [.authorization: "Bearer \(wrong)"]) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/api/v1/inbox", method: .get, headers: [.authorization: "Basic \(f.token.text)"]) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/api/v1/inbox", method: .get, headers: [.cookie: "\(f.web.cookieName)=\(wrong)"]) { response in
                #expect(response.status == .unauthorized)
            }
            // The token itself is not a session cookie.
            try await client.execute(uri: "/api/v1/inbox", method: .get, headers: [.cookie: "\(f.web.cookieName)=\(f.token.text)"]) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/login?token=\(wrong)", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.setCookie] == nil)
            }
        }
    }

    @Test func loginSetsAStrictHttpOnlyCookieThatWorks() async throws {
        let f = try WebFixture()
        defer { f.cleanup() }
        try await f.application().test(.live) { client in
            let code = try f.loginCode()
            let cookie = try await client.execute(uri: "/login?code=\(code)", method: .get) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/")
                let setCookie = try #require(response.headers[.setCookie])
                #expect(setCookie.contains("HttpOnly"))
                #expect(setCookie.contains("SameSite=Strict"))
                #expect(!setCookie.contains(f.token.text) && !setCookie.contains(code))
                #expect(setCookie.contains("Path=/"))
                #expect(setCookie.hasPrefix("roost_session_7171="))
                return String(setCookie.split(separator: ";")[0])
            }
            try await client.execute(uri: "/api/v1/inbox", method: .get, headers: [.cookie: cookie]) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/inbox", method: .get, headers: [.cookie: cookie]) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("<table class=\"inbox\""))
            }
        }
    }

    @Test func badInputGets400NamingTheField() async throws {
        let f = try WebFixture()
        defer { f.cleanup() }
        try await f.application().test(.live) { client in
            let key = try await firstTicket(client, f)
            let cases: [(String, String, String)] = [
                ("/api/v1/tickets/\(key)/claim", "{not json", "body"),
                ("/api/v1/tickets/\(key)/claim", "[1, 2]", "body"),
                ("/api/v1/tickets/\(key)/claim", "{\"leaseMinutes\": 0}", "leaseMinutes"),
                ("/api/v1/tickets/\(key)/claim", "{\"leaseMinutes\": \"ten\"}", "leaseMinutes"),
                ("/api/v1/tickets/\(key)/claim", "{\"lease\": 10}", "lease"),
                ("/api/v1/tickets/\(key)/priority", "{\"priority\": \"asap\"}", "priority"),
                ("/api/v1/tickets/\(key)/priority", "{\"priority\": 1}", "priority"),
                ("/api/v1/tickets/\(key)/priority", "{}", "priority"),
                ("/api/v1/tickets/\(key)/reply", "{\"dm\": \"yes\", \"text\": \"hi\"}", "dm"),
                ("/api/v1/tickets/\(key)/escalate", "{\"reason\": \"x\", \"tier\": \"boss\"}", "tier"),
                ("/api/v1/tickets/\(key)/resolve", "{\"as\": \"vanished\"}", "resolution type"),
                ("/api/v1/canned", "{\"name\": \"has space\", \"text\": \"t\"}", "name"),
                ("/api/v1/sla", "{\"priority\": \"urgent\", \"minutes\": 0}", "minutes"),
                ("/api/v1/sla", "{\"priority\": \"soon\", \"minutes\": 5}", "priority"),
            ]
            for (uri, body, field) in cases {
                try await client.execute(uri: uri, method: .post, headers: f.bearer, body: f.json(body)) { response in
                    #expect(response.status == .badRequest, "\(uri) \(body)")
                    #expect(apiError(response.body)["field"] as? String == field, "\(uri) \(body): \(String(buffer: response.body))")
                }
            }
            try await client.execute(uri: "/api/v1/inbox?view=sideways", method: .get, headers: f.bearer) { response in
                #expect(response.status == .badRequest)
                #expect(apiError(response.body)["field"] as? String == "view")
            }
            try await client.execute(uri: "/api/v1/inbox?limit=0", method: .get, headers: f.bearer) { response in
                #expect(apiError(response.body)["field"] as? String == "limit")
            }
            try await client.execute(uri: "/api/v1/report?since=yesterday", method: .get, headers: f.bearer) { response in
                #expect(apiError(response.body)["field"] as? String == "since")
            }
            // None of it wrote anything: the ticket is still unclaimed and at its priority.
            #expect(try f.node.store.state.claim(on: EntityRef(Desk.ticket, key)) == nil)
        }
    }

    @Test func unknownTicketGets404() async throws {
        let f = try WebFixture()
        defer { f.cleanup() }
        try await f.application().test(.live) { client in
            try await client.execute(uri: "/api/v1/tickets/p424242", method: .get, headers: f.bearer) { response in
                #expect(response.status == .notFound)
                #expect(apiError(response.body)["code"] as? String == "not_found")
                #expect((apiError(response.body)["message"] as? String)?.contains("p424242") == true)
            }
            try await client.execute(uri: "/api/v1/tickets/p424242/claim", method: .post, headers: f.bearer) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/api/v1/customers/nobody_here", method: .get, headers: f.bearer) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/tickets/p424242", method: .get, headers: f.bearer) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test("a partial peer's queues show in the peers API and on the dashboard")
    func partialPeerShowsItsQueues() async throws {
        let f = try WebFixture()
        defer { f.cleanup() }
        let peer = try SigningKey(seed: [UInt8](repeating: 77, count: 32)).authorID
        let now = SystemClock().nowMillis()
        // peers.json as `roost run` writes it, with a partial peer (PeerStatus.queues).
        let file = """
            {"writtenMillis": \(now), "peers": [{"node": "\(peer.text)", "connected": true, "lastSeenMillis": \(now),
             "opsBehind": 0, "opsAhead": 0, "queues": ["paris", "rome"]}]}
            """
        try Data(file.utf8).write(to: f.home.appendingPathComponent("peers.json"))
        try await f.application().test(.live) { client in
            try await client.execute(uri: "/api/v1/peers", method: .get, headers: f.bearer) { response in
                let peers = object(response.body)["peers"] as? [[String: Any]]
                #expect((peers?.first?["status"] as? [String: Any])?["queues"] as? [String] == ["paris", "rome"])
            }
            try await client.execute(uri: "/dashboard", method: .get, headers: f.bearer) { response in
                #expect(String(buffer: response.body).contains("partial: paris, rome"))
            }
        }
    }

    @Test func claimHeldByAnotherGets409AndWritesNothing() async throws {
        let ana = try WebFixture()
        let kenji = try WebFixture(name: "Kenji Sato", initials: "KS", sample: false)
        defer { ana.cleanup(); kenji.cleanup() }
        try await ana.application().test(.live) { client in
            let key = try await firstTicket(client, ana)
            try deliver(from: ana.node, to: kenji.node)
            _ = try kenji.web.desk.claim(key)
            try deliver(from: kenji.node, to: ana.node)
            let before = try ana.node.store.opCount()
            try await client.execute(uri: "/api/v1/tickets/\(key)/claim", method: .post, headers: ana.bearer) { response in
                #expect(response.status == .conflict)
                #expect(apiError(response.body)["code"] as? String == "claimed_by_other")
                #expect((apiError(response.body)["message"] as? String)?.contains("Kenji Sato") == true)
            }
            try await client.execute(uri: "/api/v1/tickets/\(key)/reply", method: .post, headers: ana.bearer,
                                     body: ana.json("{\"text\": \"on it\"}")) { response in
                #expect(response.status == .conflict)
            }
            try await client.execute(uri: "/api/v1/tickets/\(key)/resolve", method: .post, headers: ana.bearer) { response in
                #expect(response.status == .conflict)
            }
            #expect(try ana.node.store.opCount() == before)
            try await client.execute(uri: "/api/v1/tickets/\(key)", method: .get, headers: ana.bearer) { response in
                let claim = object(response.body)["claim"] as? [String: Any]
                #expect(claim?["holderName"] as? String == "Kenji Sato")
                #expect(claim?["mine"] as? Bool == false)
            }
        }
    }

    @Test func concurrentClaimsShowAConflictSentence() async throws {
        let ana = try WebFixture()
        let kenji = try WebFixture(name: "Kenji Sato", initials: "KS", sample: false)
        defer { ana.cleanup(); kenji.cleanup() }
        let key = try #require(try ana.web.desk.inbox(InboxFilter()).first?.key)
        try deliver(from: ana.node, to: kenji.node)
        let first = Date()
        _ = try kenji.web.desk.claim(key)  // earlier: wins
        try await Task.sleep(nanoseconds: 5_000_000)
        _ = try ana.web.desk.claim(key)   // without seeing Kenji's
        // The sentence says how long before (wall time): on a loaded machine the two claims can be a minute apart.
        let apart = Date().timeIntervalSince(first)
        try deliver(from: kenji.node, to: ana.node)
        let detail = try ana.web.ticketDetail(key)
        #expect(detail.claim?.holderName == "Kenji Sato")
        let conflict = try #require(detail.conflicts.first)
        #expect(conflict.loserIsMe && conflict.winner == "Kenji Sato")
        #expect(conflict.sentence.hasPrefix(apart < 55 ? "Kenji Sato claimed this less than a minute before you"
                                                       : "Kenji Sato claimed this "), "\(conflict.sentence)")
        #expect(conflict.sentence.contains("before you (your claim was made without seeing theirs), so theirs stands."))
    }

    @Test func crossSiteWritesAreRefused() async throws {
        let f = try WebFixture()
        defer { f.cleanup() }
        try await f.application().test(.live) { client in
            let key = try await firstTicket(client, f)
            var headers = f.bearer
            headers[.origin] = "http://evil.example"
            try await client.execute(uri: "/api/v1/tickets/\(key)/claim", method: .post, headers: headers) { response in
                #expect(response.status == .forbidden)
                #expect(apiError(response.body)["code"] as? String == "forbidden")
            }
            var fetchSite = f.bearer
            fetchSite[HTTPField.Name("Sec-Fetch-Site")!] = "cross-site"
            try await client.execute(uri: "/api/v1/tickets/\(key)/claim", method: .post, headers: fetchSite) { response in
                #expect(response.status == .forbidden)
            }
            #expect(try f.node.store.state.claim(on: EntityRef(Desk.ticket, key)) == nil)
            var same = f.bearer
            same[.origin] = "http://localhost"  // the test client sends Host: localhost
            same[HTTPField.Name("Sec-Fetch-Site")!] = "same-origin"
            try await client.execute(uri: "/api/v1/tickets/\(key)/claim", method: .post, headers: same) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
            }
        }
    }

    @Test func happyPathsWorkATicketEndToEnd() async throws {
        let f = try WebFixture()
        defer { f.cleanup() }
        try await f.application().test(.live) { client in
            let key = try await firstTicket(client, f)
            func post(_ path: String, _ body: String = "{}", expect status: HTTPResponse.Status = .ok) async throws -> [String: Any] {
                try await client.execute(uri: "/api/v1/tickets/\(key)/\(path)", method: .post, headers: f.bearer, body: f.json(body)) { response in
                    #expect(response.status == status, "\(path): \(String(buffer: response.body))")
                    return object(response.body)
                }
            }
            _ = try await post("claim", "{\"leaseMinutes\": 45}")
            try await client.execute(uri: "/api/v1/inbox?view=mine", method: .get, headers: f.bearer) { response in
                let page = object(response.body)
                let keys = (page["rows"] as? [[String: Any]] ?? []).compactMap { ($0["ticket"] as? [String: Any])?["key"] as? String }
                #expect(keys == [key])
                #expect((page["counts"] as? [String: Any])?["mine"] as? Int == 1)
            }
            let long = String(repeating: "x", count: 300)
            let preview = try await post("preview", "{\"text\": \"\(long)\"}")
            #expect(preview["fits"] as? Bool == false)
            #expect((preview["length"] as? Int ?? 0) > 300)
            let refused = try await post("reply", "{\"text\": \"\(long)\"}", expect: .unprocessableContent)
            #expect((refused["error"] as? [String: Any])?["field"] as? String == "text")
            let okPreview = try await post("preview", "{\"text\": \"We're on it\"}")
            let reply = try await post("reply", "{\"text\": \"We're on it\"}")
            #expect(reply["text"] as? String == okPreview["composed"] as? String)
            #expect((reply["text"] as? String)?.hasSuffix("We're on it ^AL") == true)
            #expect(reply["length"] as? Int == okPreview["length"] as? Int)
            _ = try await post("notes", "{\"text\": \"called the store\"}")
            _ = try await post("tags", "{\"tag\": \"billing\"}")
            _ = try await post("priority", "{\"priority\": \"urgent\"}")
            _ = try await post("escalate", "{\"reason\": \"needs billing\"}")
            try await client.execute(uri: "/api/v1/tickets/\(key)/tags/billing", method: .delete, headers: f.bearer) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/api/v1/tickets/\(key)", method: .get, headers: f.bearer) { response in
                let detail = object(response.body)
                let view = detail["view"] as? [String: Any] ?? [:]
                let thread = view["thread"] as? [[String: Any]] ?? []
                #expect(thread.map { $0["direction"] as? String } .contains("note"))
                #expect(thread.map { $0["direction"] as? String } .contains("outbound"))
                #expect(view["tags"] as? [String] == [])
                #expect((view["ticket"] as? [String: Any])?["priority"] as? String == "urgent")
                #expect((detail["claim"] as? [String: Any])?["mine"] as? Bool == true)
                #expect(detail["customer"] != nil)
            }
            _ = try await post("resolve", "{\"as\": \"answered\"}")
            #expect(try f.web.desk.ticketView(key).ticket.status == .resolved)
            // Resolving released the claim: there is nothing left to release.
            #expect(try f.web.desk.ticketView(key).holder == nil)
            _ = try await post("release", "{}", expect: .unprocessableContent)

            try await client.execute(uri: "/api/v1/canned", method: .post, headers: f.bearer,
                                     body: f.json("{\"name\": \"sorry\", \"text\": \"Sorry {customer}! {agent} here.\"}")) { response in
                #expect(response.status == .created)
            }
            try await client.execute(uri: "/api/v1/canned", method: .get, headers: f.bearer) { response in
                #expect((try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [[String: String]]
                        == [["name": "sorry", "text": "Sorry {customer}! {agent} here."]])
            }
            try await client.execute(uri: "/api/v1/sla", method: .post, headers: f.bearer,
                                     body: f.json("{\"priority\": \"urgent\", \"minutes\": 20}")) { response in
                #expect(object(response.body)["urgent"] as? Int == 20)
                #expect(object(response.body)["normal"] as? Int == 60)
            }
            #expect(try f.web.desk.slaTargets().target(.urgent) == 20)
            for uri in ["/api/v1/report", "/api/v1/dashboard", "/api/v1/peers", "/api/v1/sync", "/api/v1/queues",
                        "/api/v1/presence?ticket=\(key)"] {
                try await client.execute(uri: uri, method: .get, headers: f.bearer) { response in
                    #expect(response.status == .ok, "\(uri)")
                }
            }
            // The sync panel's op count is cached while no log head moves, and follows every new op.
            for step in 0..<3 {
                if step > 0 { _ = try f.web.desk.tag(key, "count-\(step)") }
                let stored = try f.web.node.store.opCount()
                try await client.execute(uri: "/api/v1/sync", method: .get, headers: f.bearer) { response in
                    #expect(object(response.body)["ops"] as? Int == stored, "step \(step)")
                }
            }
            try await client.execute(uri: "/api/v1/report", method: .get, headers: f.bearer) { response in
                let report = object(response.body)
                #expect(report["resolved"] as? Int == 1)
                #expect((report["agents"] as? [[String: Any]])?.first?["agent"] as? String == "Ana Lopez")
            }
            for page in ["/inbox", "/inbox?view=unassigned", "/tickets/\(key)", "/dashboard", "/assets/app.js", "/assets/app.css"] {
                try await client.execute(uri: page, method: .get, headers: f.bearer) { response in
                    #expect(response.status == .ok, "\(page)")
                }
            }
            try await client.execute(uri: "/dashboard", method: .get, headers: f.bearer) { response in
                let html = String(buffer: response.body)
                #expect(html.components(separatedBy: "<svg").count - 1 >= 4)
                #expect(html.contains("Ana Lopez"))
            }
        }
    }
}

@Suite struct QueueCountTests {
    @Test func countsAreExactUpToTheCapAndAgreeWithTheInbox() throws {
        let f = try WebFixture()
        defer { f.cleanup() }
        let sla = try f.web.desk.slaTargets()
        var all = InboxFilter()
        all.limit = 500
        let open = try f.web.desk.inbox(all)
        #expect(open.count >= 2, "the X sample has several open tickets")
        let key = try #require(open.first?.key)
        _ = try f.web.desk.claim(key)
        _ = try f.web.desk.escalate(key, reason: "test", to: .escalation)
        // Two hours after the latest first customer message: every unanswered ticket is overdue, and none is
        // history yet (the sample's tweets have fixed dates; a week after today they would all be history).
        let now = try #require(open.compactMap(\.firstInboundMillis).max()) + 2 * 3_600_000
        let exact = try f.node.store.desk.deskQueueCounts(holder: f.node.id, sla: sla, now: now, cap: 999)
        var breaching = all
        breaching.breaching = true
        #expect(exact.open == open.count)
        #expect(exact.mine == 1 && exact.unassigned == open.count - 1 && exact.escalated == 1)
        #expect(exact.breaching == (try f.node.store.desk.inbox(breaching, sla: sla, now: now)).count)
        #expect(exact.breaching > 0)
        let capped = try f.node.store.desk.deskQueueCounts(holder: f.node.id, sla: sla, now: now, cap: 1)
        #expect(capped.open == 2 && capped.label(capped.open) == "1+")
        #expect(capped.mine == 1 && capped.label(capped.mine) == "1")
    }
}

@Suite struct CustomerCardTests {
    @Test func theCardByIDMatchesTheLookupByHandle() throws {
        let f = try WebFixture()
        defer { f.cleanup() }
        var all = InboxFilter()
        all.all = true
        all.limit = 500
        let rows = try f.web.desk.inbox(all)
        #expect(!rows.isEmpty)
        for row in rows {
            let byID = try #require(try f.web.desk.customerProfile(id: row.customer))
            let byHandle = try f.web.desk.customer(byID.handle)
            #expect(byID.id == byHandle.id && byID.handle == byHandle.handle && byID.followers == byHandle.followers)
            #expect(byID.vip == byHandle.vip && byID.verified == byHandle.verified && byID.name == byHandle.name)
            #expect(byID.tickets.map(\.key) == byHandle.tickets.map(\.key))
            #expect(byID.tickets.contains { $0.key == row.key })
        }
        #expect(try f.web.desk.customerProfile(id: "no-such-customer") == nil)
    }
}
