import Foundation
import Testing
import RoostCore
import RoostNode
import RoostStore

/// Full-text search over the desk (issue 13): what each part of the query language finds, kept current by
/// local and remote ops, erased text never found, and `reindex` deriving the same index.
@Suite(.serialized) struct SearchTests {
    static func keys(_ desk: DeskService, _ query: String, limit: Int = 20) throws -> [String] {
        try desk.search(query, limit: limit).map(\.ticket)
    }

    /// Four tickets whose texts differ in one thing each; pB's message is the oldest.
    static func fixture(_ node: TestNode) throws {
        var report = IngestReport()
        try node.desk(at: t0).ingest([
            inbound("a1", ticket: "pA", customer: "c1", at: t0 - 10 * minute, text: "my router is dead again"),
            inbound("a2", ticket: "pA", customer: "c1", at: t0 - 9 * minute, text: "the router light blinks red"),
            inbound("b1", ticket: "pB", customer: "c2", at: t0 - 400 * 24 * 60 * minute, text: "router dead, double-charged too"),
            inbound("c1", ticket: "pC", customer: "c3", at: t0 - 5 * minute, text: "I was double charged for October"),
            inbound("d1", ticket: "pD", customer: "c4", at: t0 - 4 * minute, text: "Café Wi-Fi outage downtown, refunds?"),
        ], rules: .empty, report: &report)
        #expect(report.tickets == 4)
    }

    @Test func wordsPhrasesPrefixesAndExclusionsFindTicketsOnce() throws {
        let ana = try TestNode()
        defer { ana.cleanup() }
        try Self.fixture(ana)
        let desk = ana.desk(at: t0)
        // Two messages of pA match: one result per ticket; the recent one outranks the 400-day-old one.
        #expect(try Self.keys(desk, "router") == ["pA", "pB"])
        #expect(try Self.keys(desk, "ROUTER dead") == ["pA", "pB"])
        #expect(try Self.keys(desk, "\"router dead\"") == ["pB"])
        #expect(try Self.keys(desk, "\"double charged\"").sorted() == ["pB", "pC"])  // "double-charged" is the same phrase
        #expect(try Self.keys(desk, "refund*") == ["pD"])
        #expect(try Self.keys(desk, "cafe") == ["pD"])  // accents are ignored
        #expect(try Self.keys(desk, "router -double") == ["pA"])
        #expect(try Self.keys(desk, "router -\"light blinks\"") == ["pA", "pB"])  // pA's first message still matches
        #expect(try Self.keys(desk, "nothing-like-this").isEmpty)
        // Snippets mark the matched words.
        let hit = try #require(try desk.search("charged").first { $0.ticket == "pC" })
        #expect(hit.snippet.filter(\.match).map(\.text) == ["charged"])
        #expect(hit.snippet.map(\.text).joined() == "I was double charged for October")
        #expect(hit.kind == "inbound" && hit.message == "c1" && hit.customerHandle == "cust_c3")
        // A prefix's snippet marks the word it matched (prefix snippets are made in one walk, not per document).
        let prefixed = try #require(try desk.search("refund*").first)
        #expect(prefixed.snippet.filter(\.match).map(\.text) == ["refunds"])
        // The limit cuts the ranked list.
        #expect(try Self.keys(desk, "router", limit: 1) == ["pA"])
    }

    @Test func filtersNarrowAndAQueryOfFiltersListsNewestFirst() throws {
        let ana = try TestNode()
        defer { ana.cleanup() }
        try Self.fixture(ana)
        let desk = ana.desk(at: t0)
        _ = try desk.claim("pA")
        _ = try desk.tag("pC", "billing")
        _ = try desk.reply("pC", text: "Sorry about that, refunding now")
        _ = try desk.note("pD", "customer is at the downtown store")
        _ = try desk.resolve("pD", as: "answered")

        #expect(try Self.keys(desk, "router assignee:me") == ["pA"])
        #expect(try Self.keys(desk, "router assignee:@al") == ["pA"])
        #expect(try Self.keys(desk, "router assignee:none") == ["pB"])
        #expect(try Self.keys(desk, "tag:billing") == ["pC"])
        #expect(try Self.keys(desk, "billing") == ["pC"])  // tags are in the ticket's own document
        #expect(try Self.keys(desk, "cust_c2") == ["pB"])  // so is the customer's handle
        #expect(try Self.keys(desk, "from:@cust_c1") == ["pA"])
        #expect(try Self.keys(desk, "refunding from:@al") == ["pC"])  // a member by initials
        #expect(try Self.keys(desk, "refunding from:@cust_c3").isEmpty)  // the reply is not the customer's
        #expect(try Self.keys(desk, "downtown").sorted() == ["pD"])  // message and note of one ticket: one result
        #expect(try Self.keys(desk, "store status:resolved") == ["pD"])
        #expect(try Self.keys(desk, "store status:open status:new").isEmpty)
        #expect(try Self.keys(desk, "to:@acmecare router") == ["pA", "pB"])
        #expect(try Self.keys(desk, "to:@otherbrand router").isEmpty)
        #expect(try Self.keys(desk, "router before:2025-12-31") == ["pB"])   // t0 is 2026-01-01T00:00Z
        #expect(try Self.keys(desk, "router after:2025-12-31") == ["pA"])
        // Filters alone: every match, latest message first (pC's reply at t0; a note is not a message).
        #expect(try Self.keys(desk, "tier:triage") == ["pC", "pD", "pA", "pB"])
        #expect(try Self.keys(desk, "tier:triage -router") == ["pC", "pD"])
        #expect(try Self.keys(desk, "after:2025-12-31") == ["pC", "pD", "pA"])
        #expect(try Self.keys(desk, "from:@cust_c4") == ["pD"])
    }

    @Test func badQueriesAreOneClearErrorAndNothingElse() throws {
        let ana = try TestNode()
        defer { ana.cleanup() }
        try Self.fixture(ana)
        let desk = ana.desk(at: t0)
        for (query, position) in [("router \"dead", 8), ("status:maybe", 8), ("lang:spanish router", 6)] {
            do {
                _ = try desk.search(query)
                Issue.record("\(query) was accepted")
            } catch {
                guard case let .badQuery(bad) = error else { Issue.record("\(query): \(error)"); continue }
                #expect(bad.position == position, "\(query): \(bad)")
                #expect(!error.description.contains("SQL") && !error.description.contains("fts5"), "\(error)")
            }
        }
        // Text that is FTS5 syntax is searched as text.
        #expect(try Self.keys(desk, "NEAR AND OR NOT router").isEmpty)
        #expect(throws: DeskError.self) { try desk.search("router", limit: 0) }
    }

    @Test func remoteOpsAreIndexedAndTagsFollowTheirOps() throws {
        let ana = try TestNode(), kenji = try TestNode(name: "Kenji Sato", initials: "KS")
        defer { ana.cleanup(); kenji.cleanup() }
        try Self.fixture(ana)
        try kenji.pull(from: ana)
        let desk = kenji.desk(at: t0)
        #expect(try Self.keys(desk, "router") == ["pA", "pB"])
        _ = try ana.desk(at: t0 + minute).tag("pB", "hardware")
        _ = try ana.desk(at: t0 + minute).note("pB", "sent a replacement unit")
        try kenji.pull(from: ana)
        #expect(try Self.keys(desk, "hardware") == ["pB"])
        #expect(try Self.keys(desk, "replacement") == ["pB"])
        _ = try kenji.desk(at: t0 + 2 * minute).untag("pB", "hardware")
        #expect(try Self.keys(desk, "hardware").isEmpty)
        #expect(try Self.keys(desk, "tag:hardware").isEmpty)
    }

    /// A customer's name or handle set after their tickets exist re-derives those tickets' documents (the old
    /// name is no longer found), and a ticket field no desk row reads (an agent's own `subject`) changes nothing.
    @Test func aCustomersLaterNameIsFoundOnTheirTickets() throws {
        let ana = try TestNode()
        defer { ana.cleanup() }
        try Self.fixture(ana)
        let desk = ana.desk(at: t0)
        _ = try ana.node.append([.set(entity: EntityRef(Desk.customer, "c2"), field: "name", value: .string("Marisol Quintero"))],
                                clock: FixedClock(millis: t0))
        #expect(try Self.keys(desk, "marisol") == ["pB"])
        _ = try ana.node.append([.set(entity: EntityRef(Desk.customer, "c2"), field: "name", value: .string("Sol Q"))],
                                clock: FixedClock(millis: t0 + minute))
        #expect(try Self.keys(desk, "marisol").isEmpty)
        #expect(try Self.keys(desk, "sol") == ["pB"])
        let before = try ana.node.store.stateDump()["desk_ticket"]
        _ = try ana.node.append([.set(entity: EntityRef(Desk.ticket, "pB"), field: "subject", value: .string("router"))],
                                clock: FixedClock(millis: t0 + 2 * minute))
        #expect(try ana.node.store.stateDump()["desk_ticket"] == before)
        #expect(try ana.node.store.verify().isOK)
    }

    @Test func erasedTextIsNotFoundAndReindexKeepsItOut() throws {
        let ana = try TestNode()
        defer { ana.cleanup() }
        try Self.fixture(ana)
        let fields = [Field("ticket", .string("pA")), Field("direction", .string("inbound")), Field("author", .string("c1")),
                      Field("text", .string("my card number is 4111 1111")), Field("created_ms", .int(Int64(t0 - minute)))]
        let made = try ana.node.append([.makeInsert(EntityRef(Desk.message, "a3"), fields)], clock: FixedClock(millis: t0))
        let desk = ana.desk(at: t0)
        #expect(try Self.keys(desk, "4111") == ["pA"])
        #expect(try ana.node.store.eraseBody(of: made.refs[0], clock: FixedClock(millis: t0 + minute)))
        #expect(try Self.keys(desk, "4111").isEmpty)
        #expect(try Self.keys(desk, "router") == ["pA", "pB"])  // the rest of the ticket is still found
        _ = try desk.reindex()
        #expect(try Self.keys(desk, "4111").isEmpty)
        #expect(try Self.keys(desk, "router") == ["pA", "pB"])
    }

    @Test func reindexDerivesTheIndexTheOpsBuilt() throws {
        let ana = try TestNode()
        defer { ana.cleanup() }
        try Self.fixture(ana)
        let desk = ana.desk(at: t0)
        _ = try desk.tag("pC", "billing")
        _ = try desk.note("pD", "customer is at the downtown store")
        let queries = ["router", "\"double charged\"", "refund*", "billing", "downtown", "cust_c1", "status:new", "-router status:new"]
        let before = try queries.map { try desk.search($0) }
        let statsBefore = try ana.node.store.search.stats()
        final class Steps: @unchecked Sendable { var last = (0, 0) }
        let steps = Steps()
        let stats = try desk.reindex { done, total in steps.last = (done, total) }
        #expect(stats.documents == statsBefore.documents && stats.textBytes == statsBefore.textBytes)
        #expect(stats.documents == 6 + 4 && stats.messages == 6)  // five messages and a note; four tickets
        #expect(stats.indexBytes > 0 && stats.textBytes > 0)
        #expect(steps.last.0 == 4 && steps.last.1 == 4)
        #expect(try queries.map { try desk.search($0) } == before)
        #expect(try ana.node.store.verify().isOK)
    }

    /// A common word: more matches than the candidate window. The newest rank first, a filter reaches past the
    /// window, and 1,100 messages in one second (more ids than a second holds) are all indexed.
    @Test func commonWordsRankTheNewestAndFiltersReachPastTheWindow() throws {
        let ana = try TestNode()
        defer { ana.cleanup() }
        let crowd = SearchLimits.candidateDocuments + 600
        var messages: [IncomingMessage] = []
        for i in 0..<crowd {
            // 1,100 of them in the same second; the rest a minute apart, older.
            let at = i < 1_100 ? t0 - 60 * minute : t0 - UInt64(crowd - i + 100) * minute
            messages.append(inbound("m\(i)", ticket: "p\(i)", customer: "c\(i % 50)", at: at, text: "flood in the basement \(i)"))
        }
        messages.append(inbound("newest", ticket: "pNew", customer: "c1", at: t0 - minute, text: "flood again"))
        var report = IngestReport()
        try ana.desk(at: t0).ingest(messages, rules: .empty, report: &report)
        let desk = ana.desk(at: t0)
        _ = try desk.resolve("p1500", as: "answered")
        #expect(try Self.keys(desk, "flood", limit: 1) == ["pNew"])
        #expect(try Self.keys(desk, "flood", limit: 200).count == 200)
        // p1500 is older than the newest SearchLimits.candidateDocuments matches (the 1,100 of one second are newer);
        // the status filter is applied while walking them.
        #expect(try Self.keys(desk, "flood status:resolved") == ["p1500"])
        // Its prefix snippet, though 1,600 newer documents match the prefix without the filter.
        let resolved = try #require(try desk.search("flo* status:resolved").first)
        #expect(resolved.ticket == "p1500" && resolved.snippet.filter(\.match).map(\.text) == ["flood"])
        #expect(try desk.search("flo*", limit: 200).allSatisfy { $0.snippet.filter(\.match).map(\.text) == ["flood"] })
        #expect(try ana.node.store.search.stats().messages == crowd + 1)
        _ = try desk.reindex()
        #expect(try Self.keys(desk, "flood", limit: 1) == ["pNew"])
        #expect(try Self.keys(desk, "\"basement 1099\"") == ["p1099"])
    }
}
