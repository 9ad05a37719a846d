import Foundation
import Testing
import RoostCore
import RoostNode
import RoostStore
import RoostTwitter

/// Imported history (answered conversations, old unanswered ones) and the inbox's paging and sorts.
@Suite(.serialized) struct InboxImportTests {
    static let header = "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"

    static func csv(_ rows: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("roost-inbox-\(UUID().uuidString).csv")
        try Data((header + rows).utf8).write(to: url)
        return url
    }

    @Test func answeredConversationsImportAsResolvedAndALaterCustomerMessageReopens() throws {
        let ana = try TestNode()
        defer { ana.cleanup() }
        // 10: answered (the brand's reply is last). 20: the customer wrote after the answer. 30: never answered.
        let file = try Self.csv("""
            10,501,True,Tue Oct 31 10:00:00 +0000 2017,@AcmeCare my router is dead,11,
            11,AcmeCare,False,Tue Oct 31 10:20:00 +0000 2017,@501 DM us please ^JS,,10.0
            20,502,True,Tue Oct 31 11:00:00 +0000 2017,@AcmeCare no signal,21,
            21,AcmeCare,False,Tue Oct 31 11:05:00 +0000 2017,@502 restart it ^JS,22,20.0
            22,502,True,Tue Oct 31 11:30:00 +0000 2017,@AcmeCare still nothing,,21.0
            30,503,True,Tue Oct 31 12:00:00 +0000 2017,@AcmeCare hello?,,

            """)
        defer { try? FileManager.default.removeItem(at: file) }
        let desk = ana.desk(at: t0)
        _ = try desk.importTWCS(url: file, brandHandles: [], rules: .empty, strict: true)
        var all = InboxFilter()
        all.all = true
        let rows = Dictionary(uniqueKeysWithValues: try desk.inbox(all).map { ($0.key, $0) })
        #expect(rows["p10"]?.status == .resolved && rows["p10"]?.reopened == false)
        #expect(rows["p20"]?.status == .open && rows["p20"]?.reopened == true)
        #expect(rows["p30"]?.status == .new)
        #expect(try desk.inbox(InboxFilter()).map(\.key).sorted() == ["p20", "p30"])
        var resolved = InboxFilter()
        resolved.status = .resolved
        #expect(try desk.inbox(resolved).map(\.key) == ["p10"])
        // No op was written for "answered": nobody is credited with the resolution.
        #expect(try ana.node.store.desk.deskSnapshot().tickets.first { $0.key == "p10" }?.statusBy == nil)
        // The customer writes again after the answer: open again, in the inbox.
        var report = IngestReport()
        try desk.ingest([inbound("12", ticket: "p10", customer: "501", at: t0 - 60 * minute, text: "@AcmeCare it died again")],
                        rules: .empty, report: &report)
        let reopened = try #require(try desk.inbox(InboxFilter()).first { $0.key == "p10" })
        #expect(reopened.status == .open && reopened.reopened)
        #expect(reopened.snippet == "@AcmeCare it died again")
        #expect(try ana.node.store.verify().isOK)
    }

    @Test func decadeOldUnansweredTicketsAreHistoryNotBreaching() throws {
        let ana = try TestNode()
        defer { ana.cleanup() }
        let file = try Self.csv("""
            30,503,True,Tue Oct 31 12:00:00 +0000 2017,@AcmeCare hello?,,

            """)
        defer { try? FileManager.default.removeItem(at: file) }
        _ = try ana.desk(at: t0).importTWCS(url: file, brandHandles: [], rules: .empty, strict: true)
        var report = IngestReport()
        try ana.desk(at: t0).ingest([inbound("f1", ticket: "pF", customer: "c9", at: t0 - 90 * minute)], rules: .empty, report: &report)
        let desk = ana.desk(at: t0)
        let rows = Dictionary(uniqueKeysWithValues: try desk.inbox(InboxFilter()).map { ($0.key, $0) })
        #expect(rows["p30"]?.history == true && rows["p30"]?.breaching == false)
        #expect(rows["pF"]?.history == false && rows["pF"]?.breaching == true)
        var breaching = InboxFilter()
        breaching.breaching = true
        #expect(try desk.inbox(breaching).map(\.key) == ["pF"])
        #expect(try desk.inboxCount(breaching) == 1)
        let counts = try ana.node.store.desk.deskQueueCounts(holder: ana.node.id, sla: try desk.slaTargets(), now: t0, cap: 999)
        #expect(counts.breaching == 1 && counts.open == 2)
        // Six days after its due time a ticket still breaches; eight days after, it is history.
        let due = t0 - 90 * minute + 60 * minute
        #expect(try ana.desk(at: due + 6 * 86_400_000).inbox(breaching).map(\.key) == ["pF"])
        #expect(try ana.desk(at: due + 8 * 86_400_000).inbox(breaching).isEmpty)
    }

    /// The demo sample at its own "today" (2026-11-30 12:00 UTC).
    static let demoNow: UInt64 = 1_796_040_000_000

    @Test func theDemoSamplePagesAndSortsWithoutGapsOrRepeats() throws {
        let ana = try TestNode()
        defer { ana.cleanup() }
        let file = ExampleTests.root.appendingPathComponent("examples/data/twcs-demo.csv")
        let desk = ana.desk(at: Self.demoNow)
        _ = try desk.importTWCS(url: file, brandHandles: [], rules: .empty, strict: true)

        // Independently: follow in_response_to to each thread's root; open work = last tweet by the customer.
        var reader = try TWCSReader(contentsOf: file)
        var records: [TWCSRecord] = []
        while let next = reader.next() { records.append(try next.get()) }
        let parent = Dictionary(uniqueKeysWithValues: records.map { ($0.tweetID, $0.inResponseToTweetID) })
        func root(_ id: String) -> String { parent[id].flatMap { $0 }.map(root) ?? id }
        var last: [String: TWCSRecord] = [:]
        for record in records {
            let r = root(record.tweetID)
            if let seen = last[r], seen.createdAtMillis > record.createdAtMillis { continue }
            last[r] = record
        }
        let expectedOpen = Set(last.filter { $0.value.inbound }.map { "p" + $0.key })
        var open = InboxFilter()
        open.limit = 10_000
        let everything = try desk.inbox(open)
        #expect(Set(everything.map(\.key)) == expectedOpen)
        #expect(try desk.inboxCount(open) == expectedOpen.count)
        print("demo sample: \(records.count) tweets, \(last.count) threads, \(expectedOpen.count) open")

        for sort in InboxSort.allCases {
            var filter = InboxFilter()
            filter.sort = sort
            filter.limit = 10_000
            let whole = try desk.inbox(filter).map(\.key)
            var paged: [String] = []
            filter.limit = 7
            while true {
                filter.offset = paged.count
                let page = try desk.inbox(filter).map(\.key)
                if page.isEmpty { break }
                paged += page
            }
            #expect(paged == whole, "sort \(sort): pages of 7 differ from one page")
        }
        var newest = InboxFilter()
        newest.sort = .newest
        newest.limit = 10_000
        let byNewest = try desk.inbox(newest).compactMap(\.lastInboundMillis)
        #expect(byNewest == byNewest.sorted(by: >))
        var due = InboxFilter()
        due.sort = .due
        due.limit = 10_000
        let dues = try desk.inbox(due).prefix { $0.firstResponseMillis == nil && $0.history != true }.compactMap(\.dueMillis)
        #expect(!dues.isEmpty && dues == dues.sorted())

        // Rows carry the brand, the latest customer text (entities decoded, markup left as text) and history.
        let hostile = try #require(everything.first { $0.snippet?.contains("<script>") == true })
        #expect(hostile.brand == "AcmeCare")
        #expect(hostile.snippet == "@AcmeCare <script>alert('pwned')</script> <b>bold</b> & \"quotes\" is my router fixed yet?")
        let old = try #require(everything.first { $0.snippet == "@AcmeCare is the broadband down in Leeds? nothing since lunch" })
        #expect(old.history == true && old.breaching == false)
        #expect(everything.allSatisfy { ($0.snippet?.count ?? 0) <= DeskLimits.snippetCharacters })
    }

    @Test func theCLIPagesWithOffsetAndSorts() throws {
        let cli = try CLI()
        defer { cli.cleanup() }
        #expect(try cli.run(["init", "--name", "Ana Lopez", "--initials", "AL"]).status == 0)
        let file = ExampleTests.root.appendingPathComponent("examples/data/twcs-demo.csv").path
        #expect(try cli.run(["import-twcs", "--file", file]).status == 0)
        let all = try cli.run(["inbox", "--all", "--json", "--limit", "500"])
        let total = all.stdout.components(separatedBy: "\"key\" :").count - 1
        #expect(total > 10)
        let page = try cli.run(["inbox", "--all", "--sort", "newest", "--limit", "5", "--offset", "5"])
        #expect(page.status == 0, "\(page.stderr)")
        #expect(page.stdout.hasSuffix("Rows 6-10 of \(total); next page: --offset 10.\n"), "\(page.stdout)")
        let bad = try cli.run(["inbox", "--sort", "sideways"])
        #expect(bad.status != 0 && bad.stderr.contains("sideways"))
    }
}
