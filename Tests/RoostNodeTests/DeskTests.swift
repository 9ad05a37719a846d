import Foundation
import Testing
import RoostCore
import RoostNode
import RoostStore
import RoostTwitter

/// A node in a temporary home, driven with a fixed clock.
struct TestNode {
    let node: Node
    let home: URL

    init(name: String = "Ana Lopez", initials: String = "AL") throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("roost-desk-\(UUID().uuidString)")
        node = try NodeHome(path: home.path).initialize(config: NodeConfig(name: name, initials: initials))
        try DeskService(node: node, clock: FixedClock(millis: t0)).publishProfile()
    }

    func desk(at millis: UInt64) -> DeskService { DeskService(node: node, clock: FixedClock(millis: millis)) }

    /// Delivers everything `other` has that this node lacks.
    func pull(from other: TestNode, at millis: UInt64 = t0 + 86_400_000) throws {
        try node.store.apply(try other.node.store.batch(after: try node.store.versionVector()), clock: FixedClock(millis: millis))
    }

    func cleanup() { try? FileManager.default.removeItem(at: home) }
}

let t0: UInt64 = 1_767_225_600_000
let minute: UInt64 = 60_000

func inbound(_ id: String, ticket: String, customer: String = "c1", at millis: UInt64, text: String = "my internet is down") -> IncomingMessage {
    IncomingMessage(id: id, ticketKey: ticket, channel: .public, conversation: String(ticket.dropFirst()), direction: .inbound,
                    author: customer, customer: customer, customerHandle: "cust_" + customer, customerName: nil, followers: 10,
                    verified: false, brand: "acmecare", text: text, createdMillis: millis, replyTo: nil, signature: nil,
                    mentions: ["acmecare"])
}

@Suite(.serialized) struct DeskTests {
    /// Every number below is worked out by hand from the fixture, not read back from the code.
    @Test func reportMatchesHandComputedFixture() throws {
        let ana = try TestNode()
        defer { ana.cleanup() }
        var report = IngestReport()
        try ana.desk(at: t0).ingest([
            inbound("a1", ticket: "pA", at: t0),
            inbound("b1", ticket: "pB", customer: "c2", at: t0 + 5 * minute),
            inbound("c1", ticket: "pC", customer: "c3", at: t0 + 120 * minute),
            inbound("d1", ticket: "pD", customer: "c4", at: t0 + 180 * minute),
        ], rules: .empty, report: &report)
        #expect(report.tickets == 4 && report.messages == 4)
        _ = try ana.desk(at: t0 + 10 * minute).reply("pA", text: "Sorry! Checking now")          // A: 10 min
        _ = try ana.desk(at: t0 + 11 * minute).setPriority("pB", "high")                         // B: due at 35 min
        _ = try ana.desk(at: t0 + 30 * minute).resolve("pA", as: "answered")                     // A: 30 min
        _ = try ana.desk(at: t0 + 50 * minute).reply("pB", text: "Let's take this to DM")        // B: 45 min, late
        _ = try ana.desk(at: t0 + 60 * minute).resolve("pB", as: "taken-to-dm")                  // B: 55 min
        let result = try ana.desk(at: t0 + 240 * minute).report(.init(until: t0 + 240 * minute))
        #expect(result.tickets == 4)
        #expect(result.responded == 2)
        #expect(result.responseRate == 0.5)
        #expect(result.firstResponseMedianMinutes == 10)
        #expect(result.firstResponseP90Minutes == 45)
        #expect(result.resolved == 2)
        #expect(result.resolutionRate == 0.5)
        #expect(result.resolutionMedianMinutes == 30)
        #expect(result.resolutionP90Minutes == 55)
        #expect(result.inChannelResolutionRate == 1)
        #expect(result.takenToDMShare == 0.5)
        #expect(result.slaBreaches == 2)  // B answered late; C unanswered past 60 min; D due exactly at `until`
        #expect(result.claimConflicts == 0)
        #expect(result.agents == [DeskReport.Agent(agent: "Ana Lopez", replies: 2, resolutions: 2)])
        let since = try ana.desk(at: t0).report(.init(since: t0 + 100 * minute, until: t0 + 240 * minute))
        #expect(since.tickets == 2 && since.responded == 0 && since.slaBreaches == 1)
    }

    /// An import looks up what the store holds a chunk of messages at a time (`DeskService.lookupChunk`): a message id
    /// read twice in one import is one message and one duplicate whether both fall in one batch or in two chunks, and
    /// a ticket or customer already stored is not inserted again.
    @Test func anImportCountsAMessageReadTwiceOnceWhereverItFalls() throws {
        let ana = try TestNode()
        defer { ana.cleanup() }
        var first = IngestReport()
        try ana.desk(at: t0).ingest([inbound("old", ticket: "pOld", at: t0)], rules: .empty, report: &first)
        let filler = (0..<DeskService.lookupChunk).map { inbound("f\($0)", ticket: "pF\($0 % 7)", customer: "c\($0 % 5)", at: t0 + 1) }
        var report = IngestReport()
        try ana.desk(at: t0).ingest(
            [inbound("a1", ticket: "pA", at: t0), inbound("a1", ticket: "pA", at: t0), inbound("old", ticket: "pOld", at: t0)]
                + filler + [inbound("a1", ticket: "pA", at: t0), inbound("b1", ticket: "pOld", at: t0 + 2)],
            rules: .empty, report: &report)
        #expect(report.messages == 2 + DeskService.lookupChunk, "a1, b1 and the filler")
        #expect(report.duplicates == 3, "a1 twice more, old once")
        #expect(report.tickets == 1 + 7, "pA and pF0…pF6; pOld was stored")
        let thread = try ana.desk(at: t0).ticketView("pOld").thread.map(\.text)
        #expect(thread.count == 2)
    }

    @Test func newCustomerMessageReopensAResolvedTicketWithoutRestartingTheClock() throws {
        let ana = try TestNode()
        defer { ana.cleanup() }
        var report = IngestReport()
        try ana.desk(at: t0).ingest([inbound("a1", ticket: "pA", at: t0)], rules: .empty, report: &report)
        _ = try ana.desk(at: t0 + 10 * minute).reply("pA", text: "Fixed now?")
        _ = try ana.desk(at: t0 + 30 * minute).resolve("pA", as: "answered")
        #expect(try ana.desk(at: t0).ticketView("pA").ticket.status == .resolved)
        try ana.desk(at: t0).ingest([inbound("a2", ticket: "pA", at: t0 + 40 * minute, text: "still down")], rules: .empty,
                                    report: &report)
        let view = try ana.desk(at: t0).ticketView("pA")
        #expect(view.ticket.status == .open)
        #expect(view.ticket.reopened)
        #expect(view.ticket.firstResponseMillis == t0 + 10 * minute)
        // An older message arriving late (ingested after the resolution) does not reopen it.
        let bob = try TestNode(name: "Bo Chen", initials: "BC")
        defer { bob.cleanup() }
        var bobReport = IngestReport()
        try bob.desk(at: t0).ingest([inbound("a1", ticket: "pA", at: t0)], rules: .empty, report: &bobReport)
        _ = try bob.desk(at: t0 + 30 * minute).resolve("pA", as: "answered")
        try bob.desk(at: t0 + 50 * minute).ingest([inbound("a0", ticket: "pA", at: t0 + 20 * minute)], rules: .empty, report: &bobReport)
        #expect(try bob.desk(at: t0).ticketView("pA").ticket.status == .resolved)
    }

    @Test func replyRules() throws {
        let ana = try TestNode(), kenji = try TestNode(name: "Kenji Sato", initials: "KS")
        defer { ana.cleanup(); kenji.cleanup() }
        var report = IngestReport()
        try ana.desk(at: t0).ingest([inbound("a1", ticket: "pA", customer: "115712", at: t0)], rules: .empty, report: &report)
        let composed = try ana.desk(at: t0 + minute).reply("pA", text: "Hi there")
        #expect(composed.text == "@cust_115712 Hi there ^AL")
        #expect(composed.length == 25)
        let thread = try ana.node.store.desk.thread("pA")
        #expect(thread.last?.outbox == .queued)
        #expect(try ana.node.store.state.claim(on: EntityRef(Desk.ticket, "pA"))?.holder == ana.node.id)
        // 280 as X counts: a URL is 23.
        let long = String(repeating: "a", count: 240)  // 13 ("@cust_115712 ") + 240 + 1 + 23 + 4 (" ^AL") = 281
        #expect(throws: DeskError.tooLong(count: 281, limit: 280)) {
            try ana.desk(at: t0).reply("pA", text: long + " https://example.com/x")
        }
        // Held by another member: refused, naming who and since when.
        try kenji.pull(from: ana)
        #expect(throws: DeskError.claimedByOther(ticket: "pA", holder: "Ana Lopez", sinceMillis: t0 + minute)) {
            try kenji.desk(at: t0 + 2 * minute).reply("pA", text: "Hello")
        }
        try ana.desk(at: t0).addCanned(name: "outage", text: "Hi {customer}, {agent} here: there is an outage in your area.")
        let canned = try ana.desk(at: t0 + 3 * minute).reply("pA", text: nil, canned: "outage")
        #expect(canned.text == "@cust_115712 Hi @cust_115712, Ana Lopez here: there is an outage in your area. ^AL")
    }

    @Test func concurrentOfflineClaimsConvergeWithAVisibleConflict() throws {
        let ana = try TestNode(), kenji = try TestNode(name: "Kenji Sato", initials: "KS")
        defer { ana.cleanup(); kenji.cleanup() }
        var report = IngestReport()
        try ana.desk(at: t0).ingest([inbound("a1", ticket: "pA", at: t0)], rules: .empty, report: &report)
        try kenji.pull(from: ana)
        _ = try kenji.desk(at: t0 + 2 * minute).claim("pA")   // earlier: wins everywhere
        _ = try ana.desk(at: t0 + 3 * minute).claim("pA")
        try ana.pull(from: kenji)
        try kenji.pull(from: ana)
        for node in [ana, kenji] {
            let view = try node.desk(at: t0 + 4 * minute).ticketView("pA")
            #expect(view.holder == "Kenji Sato")
            #expect(view.conflicts == ["Ana Lopez's concurrent claim lost to Kenji Sato"])
            #expect(try node.desk(at: t0).report(.init()).claimConflicts == 1)
        }
        #expect(try ana.node.store.stateHash() == kenji.node.store.stateHash())
        #expect(try ana.node.store.verify().isOK)
    }

    @Test func triageRulesApplyAtIngest() throws {
        let ana = try TestNode()
        defer { ana.cleanup() }
        let rules = try TriageRules.parse("""
            [[rule]]
            name = "outages"
            keywords = ["outage", "down"]
            priority = "high"
            queue = "network"
            tags = ["outage"]

            [[rule]]
            name = "repeat customers"
            min_tickets_this_week = 2
            tier = "service"

            [crisis]
            keywords = ["lawsuit"]
            """, file: "rules.toml")
        var report = IngestReport()
        try ana.desk(at: t0).ingest([
            inbound("m1", ticket: "p1", at: t0, text: "The internet is down again"),
            inbound("m2", ticket: "p2", customer: "c9", at: t0 + minute, text: "Billing question"),
            inbound("m3", ticket: "p3", customer: "c9", at: t0 + 2 * minute, text: "Still no answer, talking to my lawsuit lawyer"),
        ], rules: rules, report: &report)
        let first = try ana.desk(at: t0).ticketView("p1")
        #expect(first.ticket.priority == .high && first.ticket.queue == "network" && first.tags == ["outage"])
        let second = try ana.desk(at: t0).ticketView("p2")
        #expect(second.ticket.priority == .normal && second.tags.isEmpty && second.ticket.tier == .triage)
        let third = try ana.desk(at: t0).ticketView("p3")
        #expect(third.ticket.priority == .urgent && third.tags == ["crisis"] && third.ticket.tier == .service)
        #expect(report.crises == 1)
    }

    @Test(arguments: [
        ("[[rule]]\nname = \"x\"\nkeywords = [\"a\"]\npriority = \"asap\"\n", 4, "priority \"asap\" is not one of: urgent, high, normal, low"),
        ("[[rule]]\nname = \"x\"\npriority = \"high\"\n", 1, "rule \"x\" has no condition (it would match everything)"),
        ("[[rule]]\nname = \"x\"\nkeywords = [\"a\"]\ntags = [\"t\"]\n\n[[rule]]\nname = \"y\"\nregex = \"([\"\ntags = [\"t\"]\n", 8, "regex \"([\" does not compile"),
        ("[[rule]]\nname = \"x\"\nkeyword = [\"a\"]\n", 3, "unknown key \"keyword\""),
        ("[[rule]]\nname = \"x\"\nkeywords = [\"a\"\n", 3, ""),
        ("[[rule]]\nname = \"x\"\nvip = \"yes\"\ntags = [\"v\"]\n", 3, "vip must be true or false"),
    ])
    func badRulesFilesNameTheLine(text: String, line: Int, reason: String) {
        do {
            _ = try TriageRules.parse(text, file: "rules.toml")
            Issue.record("accepted a bad rules file")
        } catch {
            #expect(error.line == line, "\(error)")
            #expect(error.description.hasPrefix("rules.toml:\(line): " + reason), "\(error)")
        }
    }

    /// Regressions of the fuzz findings (tools/fuzz.sh, FuzzText, 2026-12-03): toml++ aborted the process on a
    /// table header whose name starts with a dot, on a `[` or `[[` followed by anything that cannot start a key,
    /// and on `[}` in a list, so a bad rules file could kill `roost run`. Roost reads rules files itself now
    /// (RulesTOML); each of these is one clear error on its line.
    @Test(arguments: [
        ("[.a]\n", 1, "a table header must be [name] or [[name]]"),
        ("[[rule]]\nname = \"x\"\nkeywords = [\"a\"]\n\n  [[ .rule]]\n", 5, "a table header must be [name] or [[name]]"),
        ("[\t.crisis]\n", 1, "a table header must be [name] or [[name]]"),
        ("[\n[\nrule]]\n", 1, "a table header must be [name] or [[name]]"),
        ("# rules\n[ !x]\n", 2, "a table header must be [name] or [[name]]"),
        ("[[\n", 1, "a table header must be [name] or [[name]]"),
        ("[[rule]]\nname = \"a\"\n[\t\u{3000}b]\n", 3, "a table header must be [name] or [[name]]"),
        ("x = \"[\"\n[\n", 2, "a table header must be [name] or [[name]]"),
        ("[[rule]]\nname = \"x\"\ntags = [}outage\"]\n", 3, "expected a value (a string, whole number, true/false or a list), found '}'"),
    ])
    func fuzzFindingsAreErrorsNotAborts(text: String, line: Int, reason: String) {
        Self.expectRefused(text, line: line, reason: reason)
    }

    /// What the rules reader refuses, each on its line: everything TOML forbids that a hand-edited file runs into,
    /// and the TOML a rules file does not use.
    @Test(arguments: [
        ("[[rule]]\nname = \"a\"\nname = \"b\"\n", 3, "\"name\" is already set (line 2)"),
        ("[crisis]\nkeywords = [\"x\"]\n\n[crisis]\n", 4, "[crisis] is defined twice (line 1)"),
        ("rule = 1\n[[rule]]\n", 2, "[[rule]] cannot add to \"rule\", set on line 1"),
        ("[[rule]]\nname = \"a\\q\"\n", 2, "unknown escape \\'q' in a string (use \\\\ for a backslash, or a 'literal string')"),
        ("[[rule]]\nname = \"open\n", 2, "a string is not closed on its line"),
        ("[[rule]]\nname = \"\"\"\nnever closed\n", 2, "the string opened on line 2 is not closed"),
        ("[[rule]]\nmin_followers = 1.5\n", 2, "only whole numbers are used in a rules file"),
        ("[[rule]]\nmin_followers = 007\n", 2, "a number cannot start with 0"),
        ("[[rule]]\nmin_followers = 99999999999999999999\n", 2, "the number is too large"),
        ("[[rule]]\nname = \"a\" \"b\"\n", 2, "expected the end of the line after a value, found '\"'"),
        ("crisis.keywords = [\"x\"]\n", 1, "dotted keys are not used in a rules file"),
        ("[[rule]]\nwhen = { vip = true }\n", 2, "inline tables ({ … }) are not used in a rules file"),
        ("x = " + String(repeating: "[", count: 100), 1, "lists nested more than 8 deep"),
        ("[[rule]]\nkeywords = [\"a\",\n  \"b\"\n  \"c\"]\n", 4, "expected ',' or ']' in the list, found '\"'"),
        ("[[rule]]\nvip = yes\n", 2, "expected a value (a string, whole number, true/false or a list), found 'y'"),
        ("[[rule]]\nvip = truely\n", 2, "expected a value (a string, whole number, true/false or a list)"),
    ])
    func rulesReaderRefusesWithTheLine(text: String, line: Int, reason: String) {
        Self.expectRefused(text, line: line, reason: reason)
    }

    /// `text` is refused with exactly `rules.toml:line: reason`.
    static func expectRefused(_ text: String, line: Int, reason: String, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try TriageRules.parse(text, file: "rules.toml")
            Issue.record("accepted \(text.debugDescription)", sourceLocation: sourceLocation)
        } catch {
            #expect(error.description == "rules.toml:\(line): \(reason)", "\(error)", sourceLocation: sourceLocation)
        }
    }

    /// The TOML a rules file may be written in reads as TOML 1.0 says: escapes, literal strings (handy for
    /// regexes), multi-line strings, lists across lines with comments and a trailing comma, quoted keys, CRLF.
    @Test func rulesReaderReadsTheTOMLItUses() throws {
        let text = """
            [[rule]]\r
            "name" = "Caf\\u00e9 \\"VIP\\"\\tline"  # a comment
            regex = '\\b(refund|charged twice)\\b'
            keywords = [
              "outage",   # first
              'no service',
            ]
            min_followers = 1_000
            verified = true
            tags = ["a"]

            [[ rule ]]
            name = \"\"\"
            Multi \\
               line\"\"\"
            keywords = "down"
            priority = "high"

            [crisis]
            keywords = [\"lawsuit\"]
            spike_tag = "outage"
            spike_count = +25
            """
        let rules = try TriageRules.parse(text, file: "rules.toml")
        #expect(rules.rules.map(\.name) == ["Caf\u{e9} \"VIP\"\tline", "Multi line"])
        #expect(rules.rules.map(\.line) == [1, 12])
        #expect(rules.rules[0].regex == "\\b(refund|charged twice)\\b")
        #expect(rules.rules[0].keywords == ["outage", "no service"])
        #expect(rules.rules[0].minFollowers == 1_000 && rules.rules[0].verified == true)
        #expect(rules.rules[1].keywords == ["down"] && rules.rules[1].priority == .high)
        #expect(rules.crisisKeywords == ["lawsuit"])
        #expect(rules.spike?.tag == "outage" && rules.spike?.count == 25 && rules.spike?.minutes == 60)
    }

    /// The saved crash inputs themselves (Fuzz/regressions/text/rules-*, after FuzzText's selector byte) are
    /// refused with an error on a line of their own instead of aborting.
    @Test func savedFuzzCrashInputsAreRefused() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Fuzz/regressions/text")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("rules-") }.sorted()
        #expect(names.count == 3)
        for name in names {
            let bytes = try Data(contentsOf: folder.appendingPathComponent(name))
            do {
                _ = try TriageRules.parse(String(decoding: bytes.dropFirst(), as: UTF8.self), file: name)
                Issue.record("\(name): accepted")
            } catch {
                #expect(error.line > 1 && error.file == name, "\(name): \(error)")
            }
        }
    }

    /// A `[` starting a line inside a multi-line string or a list, or in a comment, is not a table header, so
    /// valid files still parse (or fail on their own merits).
    @Test func bracketsInsideStringsListsAndCommentsAreNotHeaders() throws {
        let text = """
            # [! a comment
            [[rule]]
            name = \"\"\"
            [! not a header
            \"\"\"
            keywords = [
              "outage",
            ]
            tags = ['[!']
            [ "crisis" ] # quoted
            keywords = ["lawsuit"]
            """
        let rules = try TriageRules.parse(text, file: "rules.toml")
        #expect(rules.rules.count == 1)
        #expect(rules.rules.first?.name == "[! not a header\n")
        // A list of lists is not a header either: it is read, and the schema refuses it (line 3).
        do {
            _ = try TriageRules.parse("[[rule]]\nname = \"a\"\nkeywords = [\n[\n\"x\"]]\n", file: "rules.toml")
            Issue.record("accepted nested keyword arrays")
        } catch {
            #expect(!error.reason.contains("table header"), "\(error)")
        }
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples/rules.toml")
        #expect(try TriageRules.parse(String(contentsOf: example, encoding: .utf8), file: "rules.toml").rules.count == 6)
    }
}

/// The TWCS sample (../shared/data/twcs-sample.csv), checked against computations made here independently.
@Suite(.serialized, .enabled(if: FileManager.default.fileExists(atPath: TWCSSample.path), "TWCS sample absent: \(TWCSSample.path)"))
struct TWCSSampleDeskTests {
    @Test func everyTweetLandsInExactlyOneTicketAndThreadsMatchAnIndependentCount() throws {
        let ana = try TestNode()
        defer { ana.cleanup() }
        let report = try ana.desk(at: t0).importTWCS(url: URL(fileURLWithPath: TWCSSample.path), brandHandles: [], rules: .empty, strict: true)
        let sample = try TWCSSample.load()
        #expect(report.messages == sample.records.count && report.errors.isEmpty)
        #expect(report.tickets == sample.threadCount)
        print("TWCS sample: \(sample.records.count) tweets, \(sample.threadCount) threads (union-find), \(report.tickets) tickets")
        let snapshot = try ana.node.store.desk.deskSnapshot()
        #expect(snapshot.tickets.count == sample.threadCount)
        #expect(snapshot.messages.count == sample.records.count)
        for message in snapshot.messages {
            #expect(message.ticket == "p" + sample.root(of: message.id), "tweet \(message.id)")
        }
        // Re-import changes nothing.
        let hash = try ana.node.store.stateHash()
        let again = try ana.desk(at: t0).importTWCS(url: URL(fileURLWithPath: TWCSSample.path), brandHandles: [], rules: .empty, strict: true)
        #expect(again.messages == 0 && again.duplicates == sample.records.count)
        #expect(try ana.node.store.stateHash() == hash)
        #expect(try ana.node.store.verify().isOK)
    }

    @Test func firstResponseMetricsMatchAnIndependentComputation() throws {
        let ana = try TestNode()
        defer { ana.cleanup() }
        _ = try ana.desk(at: t0).importTWCS(url: URL(fileURLWithPath: TWCSSample.path), brandHandles: [], rules: .empty, strict: true)
        let report = try ana.desk(at: t0).report(.init(until: t0))
        let sample = try TWCSSample.load()
        var firstIn: [String: UInt64] = [:]
        for record in sample.records where record.inbound {
            let root = sample.root(of: record.tweetID)
            firstIn[root] = min(firstIn[root] ?? .max, record.createdAtMillis)
        }
        var firstOut: [String: UInt64] = [:]
        for record in sample.records where !record.inbound {
            let root = sample.root(of: record.tweetID)
            if let start = firstIn[root], record.createdAtMillis >= start {
                firstOut[root] = min(firstOut[root] ?? .max, record.createdAtMillis)
            }
        }
        let minutes = firstOut.map { root, out in Double(out - firstIn[root]!) / 60_000 }.sorted()
        #expect(report.tickets == firstIn.count)
        #expect(report.responded == minutes.count)
        #expect(report.firstResponseMedianMinutes == minutes[Int((0.5 * Double(minutes.count)).rounded(.up)) - 1])
        #expect(report.firstResponseP90Minutes == minutes[Int((0.9 * Double(minutes.count)).rounded(.up)) - 1])
        let outbound = sample.records.filter { !$0.inbound && firstIn[sample.root(of: $0.tweetID)] != nil }.count
        #expect(report.agents.map(\.replies).reduce(0, +) == outbound)
    }
}

/// The sample file, parsed, with threads from a union-find written here (not the importer's Threading).
struct TWCSSample {
    static var path: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/data/twcs-sample.csv").path
    }

    var records: [TWCSRecord]
    private var parent: [String: String]
    private var byID: [String: TWCSRecord] = [:]

    static func load() throws -> TWCSSample {
        var reader = try TWCSReader(contentsOf: URL(fileURLWithPath: path))
        var records: [TWCSRecord] = []
        while let next = reader.next() { records.append(try next.get()) }
        var sample = TWCSSample(records: records, parent: [:])
        sample.byID = Dictionary(uniqueKeysWithValues: records.map { ($0.tweetID, $0) })
        let ids = Set(records.map(\.tweetID))
        for record in records { sample.parent[record.tweetID] = record.tweetID }
        for record in records {
            if let up = record.inResponseToTweetID, ids.contains(up) { sample.union(record.tweetID, up) }
        }
        return sample
    }

    mutating func union(_ a: String, _ b: String) {
        let ra = find(a), rb = find(b)
        if ra != rb { parent[ra] = rb }
    }

    func find(_ id: String) -> String {
        var x = id
        while let up = parent[x], up != x { x = up }
        return x
    }

    var threadCount: Int { Set(records.map { find($0.tweetID) }).count }

    /// The thread's root: the member with no parent inside the file (following in_response_to).
    func root(of id: String) -> String {
        var x = id
        var seen: Set<String> = []
        while let up = byID[x]?.inResponseToTweetID, byID[up] != nil, !seen.contains(up) {
            seen.insert(x)
            x = up
        }
        return x
    }
}

/// X API v2 ingest, on examples/x-sample.jsonl (mentions with includes.users, a brand reply, DM events).
@Suite struct XIngestTests {
    static var sample: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples/x-sample.jsonl")
    }

    @Test func mentionsRepliesAndDMsBecomeLinkedTickets() throws {
        let ana = try TestNode()
        defer { ana.cleanup() }
        let parsed = XPayload.parse(jsonl: try Data(contentsOf: Self.sample))
        #expect(parsed.errors.isEmpty && parsed.skippedEvents == 1)
        var report = IngestReport()
        let rules = try TriageRules.parse("""
            [[rule]]
            name = "executive mentions"
            destination = ["AcmeCEO"]
            priority = "high"
            tags = ["exec"]

            [[rule]]
            name = "influencers"
            min_followers = 10000
            verified = true
            tier = "service"
            """, file: "rules.toml")
        try ana.desk(at: t0).ingestX(parsed.items, brandHandles: ["AcmeCare"], brandIDs: [], rules: rules, report: &report)
        #expect(report.messages == 4 && report.tickets == 3)
        let lucy = try ana.desk(at: t0).customer("@leeds_lucy")
        #expect(lucy.tickets.map(\.key) == ["p1850000000000000001", "d1111-2244994945"])
        #expect(lucy.followers == 312)
        let thread = try ana.desk(at: t0).ticketView("p1850000000000000001")
        #expect(thread.thread.map(\.direction) == [.inbound, .outbound])
        #expect(thread.ticket.firstResponseMillis! - thread.ticket.firstInboundMillis! == 11 * minute + 51_000)
        let mark = try ana.desk(at: t0).ticketView("p1850000000000000003")
        #expect(mark.ticket.priority == .high && mark.tags == ["exec"] && mark.ticket.tier == .service)
        #expect(mark.thread.first?.text == "@AcmeCare @AcmeCEO billing charged me twice for November & nobody answers")
        let dm = try ana.desk(at: t0).ticketView("d1111-2244994945")
        #expect(dm.ticket.channel == "dm" && dm.ticket.customer == "2244994945")
        // Idempotent.
        var again = IngestReport()
        try ana.desk(at: t0).ingestX(parsed.items, brandHandles: ["AcmeCare"], brandIDs: [], rules: rules, report: &again)
        #expect(again.messages == 0 && again.duplicates == 4)
    }

    @Test func cliIngestReportsMalformedLinesWithFileAndLine() throws {
        let cli = try CLI()
        defer { cli.cleanup() }
        try cli.run(["init", "--name", "Ana Lopez", "--initials", "AL"])
        let bad = cli.home.appendingPathComponent("bad.jsonl")
        var text = try String(contentsOf: Self.sample, encoding: .utf8)
        text += "{\"data\":[{\"id\":1850000000000000009,\"text\":\"x\",\"author_id\":\"1\",\"conversation_id\":\"1\",\"created_at\":\"2026-11-20T09:00:00.000Z\"}]}\n"
        try text.write(to: bad, atomically: true, encoding: .utf8)
        let strict = try cli.run(["ingest", "--file", bad.path, "--brand-handles", "AcmeCare", "--strict"])
        #expect(strict.status == 1)
        #expect(strict.stderr == "Error: \(bad.path):line 4: data[0].id is a number; ids must be strings (--strict: nothing ingested)\n")
        let lenient = try cli.run(["ingest", "--file", bad.path, "--brand-handles", "AcmeCare"])
        #expect(lenient.status == 0)
        // Standard error: the progress lines (`ingest: ...`), then the malformed record.
        let errors = lenient.stderr.split(separator: "\n").filter { !$0.hasPrefix("ingest: ") }
        #expect(errors == ["malformed: \(bad.path):line 4: data[0].id is a number; ids must be strings"], "\(lenient.stderr)")
        #expect(lenient.stderr.contains("ingest: 4/4 messages (100%)"))
        #expect(lenient.stdout == "Read 6 records: 4 new messages in 3 new tickets, 0 already stored, 0 filtered out, 1 skipped (not messages), 1 malformed.\n")
        let inbox = try cli.run(["inbox", "--all"])
        #expect(inbox.stdout.contains("p1850000000000000001") && inbox.stdout.contains("@leeds_lucy"))
    }
}
