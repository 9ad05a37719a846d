import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Testing
import RoostCore
import RoostNode
import RoostStore
@testable import RoostWeb

/// The composer over the API: addressee, per-channel limits, auto-claim, resolve releasing the claim,
/// presence without the viewer, and the sync panel without a team.
@Suite(.serialized) struct APIComposerTests {
    /// A thread rooted by customer 115798 where 115797 wrote the later tweets (like TWCS p348), and a DM.
    func ingestThread(_ f: WebFixture) throws {
        func message(_ id: String, ticket: String, author: String, customer: String, minute: UInt64, channel: TicketChannel = .public) -> IncomingMessage {
            IncomingMessage(id: id, ticketKey: ticket, channel: channel, conversation: String(ticket.dropFirst()), direction: .inbound,
                            author: author, customer: customer, customerHandle: nil, customerName: nil, followers: nil,
                            verified: nil, brand: "acmecare", text: "@acmecare help \(id)", createdMillis: 1_767_225_600_000 + minute * 60_000,
                            replyTo: nil, signature: nil, mentions: ["acmecare"])
        }
        var report = IngestReport()
        try f.web.desk.ingest([
            message("9000", ticket: "p9000", author: "115798", customer: "115798", minute: 0),
            message("9001", ticket: "p9000", author: "115797", customer: "115798", minute: 1),
            message("9002", ticket: "p9000", author: "115797", customer: "115798", minute: 2),
            message("dm1", ticket: "d7-8", author: "7", customer: "7", minute: 3, channel: .dm),
        ], rules: .empty, report: &report)
    }

    /// The desk's send-time guard through the API: `after` names the last message the agent saw; a reply by
    /// someone else since (here the brand's, answered from X) is a 409 `replied_first`; `force` sends anyway.
    @Test func aReplyAfterSomeoneElsesIsAConflictUntilForced() async throws {
        let f = try WebFixture(sample: false)
        defer { f.cleanup() }
        try ingestThread(f)
        var report = IngestReport()
        try f.web.desk.ingest([
            IncomingMessage(id: "9003", ticketKey: "p9000", channel: .public, conversation: "9000", direction: .outbound,
                            author: "acmecare", customer: "115798", customerHandle: nil, customerName: nil, followers: nil,
                            verified: nil, brand: "acmecare", text: "@115797 we are on it ^JD", createdMillis: 1_767_225_600_000 + 3 * 60_000,
                            replyTo: "9002", signature: "JD", mentions: ["115797"]),
        ], rules: .empty, report: &report)
        try await f.application().test(.live) { client in
            let uri = "/api/v1/tickets/p9000/reply"
            try await client.execute(uri: uri, method: .post, headers: f.bearer, body: f.json(#"{"text": "hi", "after": "9002"}"#)) { response in
                #expect(response.status == .conflict)
                #expect(apiError(response.body)["code"] as? String == "replied_first")
                #expect((apiError(response.body)["message"] as? String ?? "").hasSuffix(" replied after the last message you saw; send anyway?"))
            }
            #expect(try f.web.node.store.outbox.rows().isEmpty, "a refused reply queued nothing")
            try await client.execute(uri: uri, method: .post, headers: f.bearer, body: f.json(#"{"text": "hi", "after": "9003"}"#)) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
            }
            try await client.execute(uri: uri, method: .post, headers: f.bearer,
                                     body: f.json(#"{"text": "hi again", "after": "9002", "force": true}"#)) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
            }
        }
    }

    @Test func theComposerAddressesRepliesAndHoldsEachChannelToItsLimit() async throws {
        let f = try WebFixture(sample: false)
        defer { f.cleanup() }
        try ingestThread(f)
        try await f.application().test(.live) { client in
            func post(_ key: String, _ path: String, _ body: String, expect status: HTTPResponse.Status = .ok) async throws -> [String: Any] {
                try await client.execute(uri: "/api/v1/tickets/\(key)/\(path)", method: .post, headers: f.bearer, body: f.json(body)) { response in
                    #expect(response.status == status, "\(path): \(String(buffer: response.body))")
                    return object(response.body)
                }
            }
            try await client.execute(uri: "/api/v1/tickets/p9000", method: .get, headers: f.bearer) { response in
                let target = object(response.body)["replyTarget"] as? [String: Any] ?? [:]
                #expect((target["addressee"] as? [String: Any])?["id"] as? String == "115797")
                #expect(target["inReplyTo"] as? String == "9002")
                #expect((target["participants"] as? [[String: Any]])?.compactMap { $0["handle"] as? String } == ["115798", "115797"])
                let thread = (object(response.body)["view"] as? [String: Any])?["thread"] as? [[String: Any]] ?? []
                #expect(thread.compactMap { $0["authorName"] as? String } == ["@115798", "@115797", "@115797"])
            }
            let preview = try await post("p9000", "preview", #"{"text": "hi"}"#)
            #expect(preview["composed"] as? String == "@115797 hi ^AL" && preview["to"] as? String == "115797")
            #expect(preview["inReplyTo"] as? String == "9002" && preview["limit"] as? Int == 280)
            let toRoot = try await post("p9000", "preview", #"{"text": "hi", "to": "@115798"}"#)
            #expect(toRoot["composed"] as? String == "@115798 hi ^AL" && toRoot["inReplyTo"] as? String == "9000")
            let asDM = try await post("p9000", "preview", #"{"text": "hi", "dm": true}"#)
            #expect(asDM["limit"] as? Int == 10_000 && asDM["dm"] as? Bool == true && asDM["composed"] as? String == "hi ^AL")

            // Refused, with nothing written: someone who did not write in the thread, a message that is not a customer's.
            let before = try f.node.store.opCount()
            _ = try await post("p9000", "reply", #"{"text": "hi", "to": "@nobody"}"#, expect: .unprocessableContent)
            _ = try await post("p9000", "reply", #"{"text": "hi", "inReplyTo": "nope"}"#, expect: .unprocessableContent)
            #expect(try f.node.store.opCount() == before)

            // A reply on an unclaimed ticket claims it and says so; the next one does not claim again.
            let reply = try await post("p9000", "reply", #"{"text": "On it", "inReplyTo": "9001"}"#)
            #expect(reply["claimed"] as? Bool == true && reply["to"] as? String == "115797" && reply["inReplyTo"] as? String == "9001")
            #expect(try f.node.store.state.claim(on: EntityRef(Desk.ticket, "p9000"))?.holder == f.node.id)
            let again = try await post("p9000", "reply", #"{"text": "Still on it"}"#)
            #expect(again["claimed"] as? Bool == false)

            // A DM ticket: 10 000 characters fit, 10 001 do not.
            let long = String(repeating: "a", count: 9_996)
            let dm = try await post("d7-8", "reply", "{\"text\": \"\(long)\"}")
            #expect(dm["length"] as? Int == 10_000 && dm["limit"] as? Int == 10_000 && dm["dm"] as? Bool == true)
            let over = try await post("d7-8", "reply", "{\"text\": \"\(long)a\"}", expect: .unprocessableContent)
            #expect((over["error"] as? [String: Any])?["field"] as? String == "text")

            // Resolving releases the resolver's claim.
            _ = try await post("p9000", "resolve", #"{"as": "answered"}"#)
            #expect(try f.node.store.state.claim(on: EntityRef(Desk.ticket, "p9000"))?.holder == nil)
            #expect(try f.web.desk.ticketView("p9000").ticket.status == .resolved)
        }
    }

    @Test func theViewerNeverSeesTheirOwnPresenceAndANodeWithoutATeamSaysSo() async throws {
        let f = try WebFixture(sample: false)
        defer { f.cleanup() }
        try ingestThread(f)
        try await f.application().test(.live) { client in
            try await client.execute(uri: "/api/v1/presence", method: .post, headers: f.bearer,
                                     body: f.json(#"{"ticket": "p9000", "activity": "replying"}"#)) { response in
                #expect(response.status == .ok)
            }
            f.web.presence.report(.init(member: "Kenji <i>Sato</i>", ticket: "p9000", activity: .viewing, atMillis: f.web.now, local: false))
            try await client.execute(uri: "/api/v1/presence?ticket=p9000", method: .get, headers: f.bearer) { response in
                let entries = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [[String: Any]] ?? []
                #expect(entries.compactMap { $0["member"] as? String } == ["Kenji <i>Sato</i>"])
            }
            let detail = try f.web.ticketDetail("p9000")
            #expect(detail.presence.map(\.member) == ["Kenji <i>Sato</i>"])
            let html = WebPages.ticketLive(detail, app: f.web)
            #expect(html.contains("Kenji &lt;i&gt;Sato&lt;/i&gt; is viewing") && !html.contains("Ana Lopez is"))

            try await client.execute(uri: "/api/v1/peers", method: .get, headers: f.bearer) { response in
                #expect(object(response.body)["team"] as? Bool == false)
            }
        }
        let noTeam = WebAPI.PeersResult(running: true, team: false, configured: [], peers: [])
        #expect(WebPages.syncStatus(noTeam).contains("syncs with nobody"))
        #expect(WebPages.syncStatus(.init(running: true, team: true, configured: [], peers: [])).contains("roost run is syncing"))
        #expect(WebPages.syncStatus(.init(running: false, team: true, configured: [], peers: [])).contains("not running"))
    }

    /// Canned variants over the API: saved with `lang`, chosen by the ticket's language, named in the preview.
    @Test func thePreviewUsesAndNamesTheTicketsCannedVariant() async throws {
        let f = try WebFixture(sample: false)
        defer { f.cleanup() }
        try ingestThread(f)
        var report = IngestReport()
        try f.web.desk.ingest([IncomingMessage(
            id: "es1", ticketKey: "pES", channel: .public, conversation: "ES", direction: .inbound, author: "55", customer: "55",
            customerHandle: "lucia", customerName: nil, followers: nil, verified: nil, brand: "acmecare",
            text: "@acmecare llevo tres días sin internet y nadie me da una solución", createdMillis: 1_767_225_600_000,
            replyTo: nil, signature: nil, mentions: ["acmecare"])], rules: .empty, report: &report)
        try await f.application().test(.live) { client in
            func post(_ uri: String, _ body: String, expect status: HTTPResponse.Status = .ok) async throws -> [String: Any] {
                try await client.execute(uri: uri, method: .post, headers: f.bearer, body: f.json(body)) { response in
                    #expect(response.status == status, "\(uri): \(String(buffer: response.body))")
                    return object(response.body)
                }
            }
            // A variant needs the default text first.
            _ = try await post("/api/v1/canned", #"{"name": "sorry", "text": "¡Perdón!", "lang": "es"}"#, expect: .badRequest)
            _ = try await post("/api/v1/canned", #"{"name": "sorry", "text": "Sorry, {customer}!"}"#, expect: .created)
            _ = try await post("/api/v1/canned", #"{"name": "sorry", "text": "¡Lo sentimos, {customer}!", "lang": "es"}"#, expect: .created)
            let spanish = try await post("/api/v1/tickets/pES/preview", #"{"text": "", "canned": "sorry"}"#)
            #expect(spanish["composed"] as? String == "@lucia ¡Lo sentimos, @lucia! ^AL" && spanish["cannedLanguage"] as? String == "es", "\(spanish)")
            let other = try await post("/api/v1/tickets/p9000/preview", #"{"text": "", "canned": "sorry"}"#)
            #expect((other["composed"] as? String)?.contains("Sorry, @115797!") == true && other["cannedLanguage"] == nil, "\(other)")
        }
    }
}
