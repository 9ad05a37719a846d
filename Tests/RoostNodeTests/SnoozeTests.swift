import Foundation
import Testing
import RoostCore
import RoostNode
import RoostStore

/// Snooze (issue 15): a ticket leaves open work until a time or until the customer writes again, judged from
/// replicated state, so every node shows the same inbox at the same time.
@Suite(.serialized) struct SnoozeTests {
    static func keys(_ desk: DeskService, _ configure: (inout InboxFilter) -> Void = { _ in }) throws -> [String] {
        var filter = InboxFilter()
        configure(&filter)
        return try desk.inbox(filter).map(\.key).sorted()
    }

    @Test func aSnoozedTicketWakesAtItsTimeOrWhenTheCustomerWritesOnEveryNode() throws {
        let ana = try TestNode(), kenji = try TestNode(name: "Kenji Sato", initials: "KS")
        defer { ana.cleanup(); kenji.cleanup() }
        var report = IngestReport()
        try ana.desk(at: t0).ingest([inbound("m1", ticket: "p1", at: t0 - minute), inbound("m2", ticket: "p2", customer: "c2", at: t0 - minute)],
                                    rules: .empty, report: &report)
        let until = t0 + 60 * minute
        #expect(try ana.desk(at: t0).snooze("p1", untilMillis: until) == "p1")
        try kenji.pull(from: ana)
        for node in [ana, kenji] {
            // Out of open work (and its count) until then, on both nodes; listed with --snoozed and --all.
            #expect(try Self.keys(node.desk(at: t0 + minute)) == ["p2"])
            #expect(try node.desk(at: t0 + minute).inboxCount(InboxFilter()) == 1)
            #expect(try Self.keys(node.desk(at: t0 + minute)) { $0.snoozed = true } == ["p1"])
            #expect(try Self.keys(node.desk(at: t0 + minute)) { $0.all = true } == ["p1", "p2"])
            // Back at its time, with nothing written.
            #expect(try Self.keys(node.desk(at: until)) == ["p1", "p2"])
        }
        // The customer writes again before then: it wakes at once.
        try ana.desk(at: t0 + 5 * minute).ingest([inbound("m3", ticket: "p1", at: t0 + 5 * minute, text: "any news?")],
                                                 rules: .empty, report: &report)
        #expect(try Self.keys(ana.desk(at: t0 + 6 * minute)) == ["p1", "p2"])
        // Snoozed again, then woken by hand.
        try ana.desk(at: t0 + 7 * minute).snooze("p1", untilMillis: until)
        #expect(try Self.keys(ana.desk(at: t0 + 8 * minute)) == ["p2"])
        try ana.desk(at: t0 + 9 * minute).unsnooze("p1")
        #expect(try Self.keys(ana.desk(at: t0 + 10 * minute)) == ["p1", "p2"])
        // Refused: a time in the past, or more than 90 days away.
        #expect(throws: DeskError.self) { try ana.desk(at: t0).snooze("p2", untilMillis: t0 - 1) }
        #expect(throws: DeskError.self) { try ana.desk(at: t0).snooze("p2", untilMillis: t0 + DeskService.maxSnoozeMillis + 1) }
        #expect(try ana.node.store.verify().isOK)
    }

    @Test func routingSkipsSnoozedTickets() throws {
        let ana = try TestNode()
        defer { ana.cleanup() }
        var report = IngestReport()
        try ana.desk(at: t0).ingest([inbound("m1", ticket: "p1", at: t0 - minute), inbound("m2", ticket: "p2", customer: "c2", at: t0 - minute)],
                                    rules: .empty, report: &report)
        try ana.desk(at: t0).setRouting(queue: "default", mode: .leastLoaded)
        try ana.desk(at: t0).snooze("p1", untilMillis: t0 + 60 * minute)
        #expect(try ana.desk(at: t0 + minute).routingView().first?.waiting.map(\.ticket) == ["p2"])
        #expect(try ana.desk(at: t0 + 60 * minute).routingView().first?.waiting.map(\.ticket).sorted() == ["p1", "p2"])
    }

    @Test func roostSnoozeWithExactOutput() async throws {
        let ana = try CLI()
        defer { ana.cleanup() }
        _ = try await ana.runOffPool(["init", "--name", "Ana Lopez", "--initials", "AL"])
        let csv = ExampleTests.root.appendingPathComponent("examples/data/twcs-demo.csv").path
        _ = try await ana.runOffPool(["import-twcs", "--file", csv])
        let rows = try await ana.runOffPool(["inbox", "--json", "--limit", "1"]).stdout
        let key = try #require((try JSONSerialization.jsonObject(with: Data(rows.utf8)) as? [[String: Any]])?.first?["key"] as? String)
        let before = try await ana.runOffPool(["inbox", "--json", "--limit", "500"]).stdout
        #expect(try await ana.runOffPool(["snooze", key, "--until", "2099-01-01T09:30"]).stderr.contains("at most 90 days"))
        let snoozed = try await ana.runOffPool(["snooze", key, "--for", "2h"])
        #expect(snoozed.status == 0 && snoozed.stdout.hasPrefix("Snoozed \(key) until ") && snoozed.stdout.hasSuffix(" UTC\n"))
        let after = try await ana.runOffPool(["inbox", "--json", "--limit", "500"]).stdout
        #expect(!after.contains("\"\(key)\"") && before.contains("\"\(key)\""))
        #expect(try await ana.runOffPool(["inbox", "--snoozed", "--json"]).stdout.contains("\"\(key)\""))
        #expect(try await ana.runOffPool(["snooze", key, "--clear"]).stdout == "Woke \(key)\n")
        let bad = try await ana.runOffPool(["snooze", key, "--for", "soon"])
        #expect(bad.status != 0 && bad.stderr == "Error: --for takes a number and m, h or d, e.g. 4h (got \"soon\")\n")
    }
}
