import Foundation
import GRDB
import Testing
import RoostCore
import RoostNode
@_spi(StoreInternals) import RoostStore

/// Waiting states (issue 15): pending waits on the customer and on-hold on someone else; both stay open work, pause
/// the reply clocks, are not routed, and open again when the customer writes, on every node alike.
@Suite(.serialized) struct WaitingStatesTests {
    static func row(_ desk: DeskService, _ key: String) throws -> InboxRow {
        var filter = InboxFilter(); filter.all = true
        return try #require(try desk.inbox(filter).first { $0.key == key })
    }

    @Test func pendingAndOnHoldPauseClocksAndReopenWhenTheCustomerWrites() throws {
        let ana = try TestNode(), kenji = try TestNode(name: "Kenji Sato", initials: "KS")
        defer { ana.cleanup(); kenji.cleanup() }
        var report = IngestReport()
        try ana.desk(at: t0).ingest([inbound("m1", ticket: "p1", at: t0)], rules: .empty, report: &report)
        _ = try ana.desk(at: t0 + 5 * minute).reply("p1", text: "Can you DM us your account number?")
        #expect(try Self.row(ana.desk(at: t0 + 6 * minute), "p1").status == .pending)
        // The customer answers: open again (reopened), with a next-reply clock from their message.
        try ana.desk(at: t0 + 10 * minute).ingest([inbound("m2", ticket: "p1", at: t0 + 10 * minute, text: "sent it")], rules: .empty, report: &report)
        let reopened = try Self.row(ana.desk(at: t0 + 11 * minute), "p1")
        #expect(reopened.status == .open && reopened.reopened && reopened.nextReplyDueMillis == t0 + 70 * minute)
        // On hold while the billing team looks: open work still, but the clock pauses and routing leaves it.
        try ana.desk(at: t0).setRouting(queue: "default", mode: .leastLoaded)
        try ana.desk(at: t0 + 15 * minute).setStatus("p1", .onHold)
        try kenji.pull(from: ana)
        var breaching = InboxFilter(); breaching.breaching = true
        var onHold = InboxFilter(); onHold.status = .onHold
        for node in [ana, kenji] {
            let later = node.desk(at: t0 + 200 * minute)
            let held = try Self.row(later, "p1")
            #expect(held.status == .onHold && held.nextReplyDueMillis == nil && !held.breaching && held.slaWarning == nil)
            #expect(try later.inbox(InboxFilter()).map(\.key) == ["p1"], "on hold is open work")
            #expect(try later.inbox(onHold).map(\.key) == ["p1"])
            #expect(try later.inboxCount(breaching) == 0)
            #expect(try node.node.store.desk.deskQueueCounts(holder: node.node.id, sla: later.slaTargets(), now: t0 + 200 * minute, cap: 99).breaching == 0)
            #expect(try later.routingView().first?.waiting.isEmpty == true, "routing leaves it alone")
        }
        // The customer writes again: open, and the clock runs from their oldest unanswered message.
        try ana.desk(at: t0 + 20 * minute).ingest([inbound("m3", ticket: "p1", at: t0 + 20 * minute, text: "any news?")], rules: .empty, report: &report)
        try kenji.pull(from: ana)
        for node in [ana, kenji] {
            let open = try Self.row(node.desk(at: t0 + 200 * minute), "p1")
            #expect(open.status == .open && open.reopened && open.nextReplyDueMillis == t0 + 70 * minute && open.breaching)
        }
        #expect(try ana.node.store.verify().isOK)
        // Resolving goes through resolve.
        #expect(throws: DeskError.self) { try ana.desk(at: t0 + 30 * minute).setStatus("p1", .resolved) }
    }

    @Test func aHomeFromBeforeOnHoldIsRebuiltOnOpenAndKeepsItsTickets() throws {
        let ana = try TestNode()
        defer { ana.cleanup() }
        var report = IngestReport()
        try ana.desk(at: t0).ingest([inbound("m1", ticket: "p1", at: t0), inbound("m2", ticket: "p2", customer: "c2", at: t0)], rules: .empty, report: &report)
        let path = ana.node.home.url.appendingPathComponent("node.sqlite").path
        let before = try ana.node.store.writer.read { db in try Row.fetchAll(db, sql: "SELECT * FROM desk_ticket ORDER BY key") }
        // Back to v10's table: the old status vocabulary, v11 not applied.
        try ana.node.store.writer.writeWithoutTransaction { db in
            try db.execute(sql: """
                CREATE TABLE desk_ticket_old AS SELECT * FROM desk_ticket;
                DROP TABLE desk_ticket;
                CREATE TABLE desk_ticket (key TEXT PRIMARY KEY NOT NULL, channel TEXT NOT NULL, brand TEXT NOT NULL, customer TEXT NOT NULL,
                    status TEXT NOT NULL CHECK (status IN ('new', 'open', 'pending', 'resolved', 'closed')), reopened INTEGER NOT NULL,
                    priority TEXT NOT NULL, priority_rank INTEGER NOT NULL, tier TEXT NOT NULL, queue TEXT, resolution TEXT, holder BLOB,
                    lease_ends_ms INTEGER, first_inbound_ms INTEGER, last_inbound_ms INTEGER, first_response_ms INTEGER,
                    last_message_ms INTEGER, status_set_ms INTEGER, status_by BLOB, messages INTEGER NOT NULL, lang TEXT, sentiment INTEGER
                ) WITHOUT ROWID;
                INSERT INTO desk_ticket SELECT * FROM desk_ticket_old;
                DROP TABLE desk_ticket_old;
                DELETE FROM grdb_migrations WHERE identifier = 'v11-on-hold';
                """)
            #expect(throws: (any Error).self) { try db.execute(sql: "UPDATE desk_ticket SET status = 'on-hold' WHERE key = 'p1'") }
        }
        let reopened = try OpStore(path: path)
        let after = try reopened.writer.read { db in try Row.fetchAll(db, sql: "SELECT * FROM desk_ticket ORDER BY key") }
        #expect(after == before)
        let indexes = try reopened.writer.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'desk_ticket' AND sql IS NOT NULL ORDER BY name")
        }
        #expect(indexes == ["desk_ticket_awaiting", "desk_ticket_customer", "desk_ticket_holder", "desk_ticket_open", "desk_ticket_order", "desk_ticket_queue", "desk_ticket_tier"])
        try reopened.writer.write { db in try db.execute(sql: "UPDATE desk_ticket SET status = 'on-hold' WHERE key = 'p1'") }
        #expect(try reopened.verify().isOK == false, "the hand-written row differs from the projection, and verify says so")
    }
}
