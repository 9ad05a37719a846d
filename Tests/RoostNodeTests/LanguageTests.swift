import Foundation
import Testing
import RoostCore
import RoostNode
import RoostStore
import RoostTwitter

/// Languages on the desk (issue 13): every message gets one at ingest (X's `lang`, else detected), a ticket's is
/// its customer's latest message's, triage rules route by it, agents declare theirs for a "my languages" inbox,
/// canned responses pick the ticket's language's variant, and search filters by it.
@Suite(.serialized) struct LanguageTests {
    static let spanish = "@acmecare llevo tres días sin internet y nadie me da una solución"
    static let german = "@acmecare seit heute Morgen habe ich kein Internet und niemand hilft mir"
    static let english = "@acmecare my internet has been down since this morning and nobody helps"

    static func rows(_ desk: DeskService, _ filter: InboxFilter = InboxFilter()) throws -> [String: InboxRow] {
        var all = filter
        all.all = true
        return Dictionary(uniqueKeysWithValues: try desk.inbox(all).map { ($0.key, $0) })
    }

    @Test func messagesGetALanguageAndTicketsTheirCustomersLatest() throws {
        let ana = try TestNode()
        defer { ana.cleanup() }
        var x = inbound("x1", ticket: "pX", customer: "c5", at: t0, text: Self.english)
        x.xLang = "pt"  // X's answer is kept, even over the text
        var report = IngestReport()
        try ana.desk(at: t0).ingest([
            inbound("s1", ticket: "pS", customer: "c1", at: t0 - 3 * minute, text: Self.spanish),
            inbound("s2", ticket: "pS", customer: "c1", at: t0 - 2 * minute, text: Self.german),
            inbound("s3", ticket: "pS", customer: "c1", at: t0 - minute, text: "@acmecare ??"),  // no language: the ticket keeps de
            inbound("e1", ticket: "pE", customer: "c2", at: t0, text: Self.english),
            inbound("n1", ticket: "pN", customer: "c3", at: t0, text: "@acmecare 👍"),
            x,
        ], rules: .empty, report: &report)
        let rows = try Self.rows(ana.desk(at: t0))
        #expect(rows["pS"]?.language == "de")
        #expect(rows["pE"]?.language == "en")
        #expect(rows["pN"]?.language == nil)
        #expect(rows["pX"]?.language == "pt")
        // A peer derives the same languages from the ops, without detecting anything.
        let kenji = try TestNode(name: "Kenji Sato", initials: "KS")
        defer { kenji.cleanup() }
        try kenji.pull(from: ana)
        #expect(try Self.rows(kenji.desk(at: t0)).mapValues(\.language) == rows.mapValues(\.language))
        // Search filters by the ticket's language.
        #expect(try ana.desk(at: t0).search("internet lang:de").map(\.ticket) == ["pS"])
        #expect(try ana.desk(at: t0).search("lang:pt").map(\.ticket) == ["pX"])
        #expect(try ana.desk(at: t0).search("lang:en lang:de").map(\.ticket).sorted() == ["pE", "pS"])
    }

    @Test func rulesRouteByLanguage() throws {
        let rules = try TriageRules.parse("""
            [[rule]]
            name = "Spanish and Portuguese to the LatAm queue"
            lang = ["es", "PT"]
            queue = "latam"
            """, file: "rules.toml")
        #expect(rules.rules.first?.languages == ["es", "pt"])
        let ana = try TestNode()
        defer { ana.cleanup() }
        var report = IngestReport()
        try ana.desk(at: t0).ingest([
            inbound("s1", ticket: "pS", customer: "c1", at: t0, text: Self.spanish),
            inbound("e1", ticket: "pE", customer: "c2", at: t0, text: Self.english),
            inbound("n1", ticket: "pN", customer: "c3", at: t0, text: "@acmecare hola"),  // too short to tell: not routed
        ], rules: rules, report: &report)
        let rows = try Self.rows(ana.desk(at: t0))
        #expect(rows["pS"]?.queue == "latam")
        #expect(rows["pE"]?.queue == nil && rows["pN"]?.queue == nil)
        // A code that is not one is refused with its line.
        do {
            _ = try TriageRules.parse("[[rule]]\nname = \"x\"\nlang = [\"spanish\"]\nqueue = \"q\"\n", file: "rules.toml")
            Issue.record("lang = [\"spanish\"] was accepted")
        } catch {
            #expect(error.description == "rules.toml:3: lang \"spanish\" is not a language code such as \"es\" or \"pt\"")
        }
    }

    @Test func agentsDeclareLanguagesAndSeeTheirsInTheInbox() throws {
        let ana = try TestNode()
        defer { ana.cleanup() }
        var report = IngestReport()
        try ana.desk(at: t0).ingest([
            inbound("s1", ticket: "pS", customer: "c1", at: t0, text: Self.spanish),
            inbound("g1", ticket: "pG", customer: "c2", at: t0, text: Self.german),
            inbound("n1", ticket: "pN", customer: "c3", at: t0, text: "@acmecare 👍"),
        ], rules: .empty, report: &report)
        let desk = ana.desk(at: t0)
        #expect(try desk.myLanguages() == [])
        #expect(try desk.setMyLanguages(["en", "ES", "pt-BR", "es"]) == ["en", "es", "pt"])
        #expect(try desk.myLanguages() == ["en", "es", "pt"])
        var mine = InboxFilter()
        mine.languages = try desk.myLanguages()
        // Spanish is hers; German is not; a ticket of no known language is everyone's.
        #expect(try desk.inbox(mine).map(\.key).sorted() == ["pN", "pS"])
        #expect(try desk.inboxCount(mine) == 2)
        #expect(throws: DeskError.self) { try desk.setMyLanguages(["klingon"]) }
        #expect(throws: DeskError.self) { try desk.setMyLanguages([]) }
        #expect(try desk.myLanguages() == ["en", "es", "pt"], "a refused change writes nothing")
    }

    @Test func cannedResponsesUseTheTicketsLanguageVariant() throws {
        let ana = try TestNode()
        defer { ana.cleanup() }
        var report = IngestReport()
        try ana.desk(at: t0).ingest([
            inbound("s1", ticket: "pS", customer: "c1", at: t0, text: Self.spanish),
            inbound("g1", ticket: "pG", customer: "c2", at: t0, text: Self.german),
        ], rules: .empty, report: &report)
        let desk = ana.desk(at: t0)
        #expect(throws: DeskError.self) { try desk.addCannedVariant(name: "sorry", language: "es", text: "Lo siento") }
        try desk.addCanned(name: "sorry", text: "Sorry about this, {customer}!")
        try desk.addCannedVariant(name: "sorry", language: "es", text: "¡Lo sentimos, {customer}!")
        #expect(try desk.cannedVariants("sorry") == ["es": "¡Lo sentimos, {customer}!"])
        let spanish = try desk.draftReply("pS", text: nil, canned: "sorry")
        #expect(spanish.composed.contains("¡Lo sentimos, @cust_c1!") && spanish.cannedLanguage == "es", "\(spanish.composed)")
        let german = try desk.draftReply("pG", text: nil, canned: "sorry")
        #expect(german.composed.contains("Sorry about this, @cust_c2!") && german.cannedLanguage == nil, "\(german.composed)")
        // The reply sent carries its own language, like an ingested message.
        _ = try desk.reply("pS", text: nil, canned: "sorry")
        #expect(try desk.search("sentimos lang:es").map(\.ticket) == ["pS"])
    }

    /// Sentiment of customer messages: scored at ingest (English or unknown language), shown on tickets and
    /// thread messages, filtered in search, matched by rules; a peer reads the same scores from the ops.
    @Test func customerMessagesGetASentimentUsedBySearchAndRules() throws {
        let rules = try TriageRules.parse("""
            [[rule]]
            name = "Angry customers first"
            sentiment = "neg"
            priority = "high"
            """, file: "rules.toml")
        let ana = try TestNode()
        defer { ana.cleanup() }
        var report = IngestReport()
        try ana.desk(at: t0).ingest([
            inbound("a1", ticket: "pA", customer: "c1", at: t0, text: "@acmecare worst service ever, my internet is STILL down 😡"),
            inbound("h1", ticket: "pH", customer: "c2", at: t0, text: "@acmecare thanks so much, everything works now!"),
            inbound("q1", ticket: "pQ", customer: "c3", at: t0, text: "@acmecare what time does the shop open tomorrow"),
            inbound("s1", ticket: "pS", customer: "c4", at: t0, text: Self.spanish),
        ], rules: rules, report: &report)
        let desk = ana.desk(at: t0)
        let rows = try Self.rows(desk)
        #expect((rows["pA"]?.sentiment ?? 0) <= -50, "\(String(describing: rows["pA"]?.sentiment))")
        #expect((rows["pH"]?.sentiment ?? 0) >= 50)
        #expect(rows["pQ"]?.sentiment == 0)
        #expect(rows["pS"]?.sentiment == nil, "the lexicon reads English only")
        #expect(rows["pA"]?.priority == .high && rows["pH"]?.priority == .normal && rows["pQ"]?.priority == .normal)
        #expect(try desk.ticketView("pA").thread.first?.sentiment == rows["pA"]?.sentiment)
        #expect(try desk.search("sentiment:neg").map(\.ticket) == ["pA"])
        #expect(try desk.search("acmecare sentiment:pos").map(\.ticket) == ["pH"])
        #expect(try desk.search("sentiment:neu").map(\.ticket) == ["pQ"])
        let kenji = try TestNode(name: "Kenji Sato", initials: "KS")
        defer { kenji.cleanup() }
        try kenji.pull(from: ana)
        #expect(try Self.rows(kenji.desk(at: t0)).mapValues(\.sentiment) == rows.mapValues(\.sentiment))
    }
}
