import Foundation
import GRDB
import RoostCore
@_spi(StoreInternals) @testable import RoostStore
import Testing

/// `v16-views-log-numbers` and `v17-derived-tags`: a home whose views store each stamp's author key, and its present
/// tags in a table, is rebuilt on open with log numbers and the `mv_tag` view, and keeps its state (the state hash
/// joins the keys back), including a removal naming an add of a log it holds no op of.
@Suite struct ViewsMigrationTests {
    /// The views as they were before v16 and v17, filled from the current ones (`log` keeps only the logs that hold
    /// ops, as before v16 nothing else numbered a log).
    static let revertSQL = """
        CREATE TABLE mv_tag_old (collection TEXT NOT NULL, key TEXT NOT NULL, tag TEXT NOT NULL,
            PRIMARY KEY (collection, key, tag)) WITHOUT ROWID;
        INSERT INTO mv_tag_old SELECT * FROM mv_tag;
        DROP VIEW mv_tag; ALTER TABLE mv_tag_old RENAME TO mv_tag;
        CREATE TABLE mv_entity_old (collection TEXT NOT NULL, key TEXT NOT NULL, fields BLOB NOT NULL, hlc INTEGER NOT NULL,
            author BLOB NOT NULL, epoch INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (collection, key)) WITHOUT ROWID;
        INSERT INTO mv_entity_old SELECT e.collection, e.key, e.fields, e.hlc, l.author, l.epoch, e.seq
            FROM mv_entity e JOIN log l ON l.id = e.log;
        CREATE TABLE mv_register_old (collection TEXT NOT NULL, key TEXT NOT NULL, field TEXT NOT NULL, value BLOB NOT NULL,
            hlc INTEGER NOT NULL, author BLOB NOT NULL, epoch INTEGER NOT NULL, seq INTEGER NOT NULL,
            PRIMARY KEY (collection, key, field)) WITHOUT ROWID;
        INSERT INTO mv_register_old SELECT r.collection, r.key, r.field, r.value, r.hlc, l.author, l.epoch, r.seq
            FROM mv_register r JOIN log l ON l.id = r.log;
        CREATE TABLE mv_tag_add_old (collection TEXT NOT NULL, key TEXT NOT NULL, tag TEXT NOT NULL, author BLOB NOT NULL,
            epoch INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (collection, key, tag, author, epoch, seq)) WITHOUT ROWID;
        INSERT INTO mv_tag_add_old SELECT a.collection, a.key, a.tag, l.author, l.epoch, a.seq
            FROM mv_tag_add a JOIN log l ON l.id = a.log;
        CREATE TABLE mv_tag_removal_old (collection TEXT NOT NULL, key TEXT NOT NULL, tag TEXT NOT NULL,
            add_author BLOB NOT NULL, add_epoch INTEGER NOT NULL, add_seq INTEGER NOT NULL,
            PRIMARY KEY (collection, key, tag, add_author, add_epoch, add_seq)) WITHOUT ROWID;
        INSERT INTO mv_tag_removal_old SELECT r.collection, r.key, r.tag, l.author, l.epoch, r.add_seq
            FROM mv_tag_removal r JOIN log l ON l.id = r.add_log;
        DROP TABLE mv_entity; ALTER TABLE mv_entity_old RENAME TO mv_entity;
        DROP TABLE mv_register; ALTER TABLE mv_register_old RENAME TO mv_register;
        DROP TABLE mv_tag_add; ALTER TABLE mv_tag_add_old RENAME TO mv_tag_add;
        DROP TABLE mv_tag_removal; ALTER TABLE mv_tag_removal_old RENAME TO mv_tag_removal;
        DELETE FROM log WHERE id NOT IN (SELECT log FROM op_row) AND id NOT IN (SELECT log FROM op_check);
        DELETE FROM grdb_migrations WHERE identifier IN ('v16-views-log-numbers', 'v17-derived-tags');
        """

    @Test func aHomeWithAuthorKeyedViewsKeepsItsStateAndMergesOnAfterTheRebuild() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("roost-v16-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("node.sqlite").path
        let ana = try TestAuthor(seed: 1), kenji = try TestAuthor(seed: 2), carol = try TestAuthor(seed: 3)
        let ticket = EntityRef("ticket", "7")
        // The same register written at the same HLC by two authors: the tie goes to the greater key, whatever order
        // the logs were numbered in.
        try ana.append([.makeInsert(ticket, [Field("subject", .string("late order"))]),
                        .set(entity: ticket, field: "status", value: .string("open"))], at: baseMillis)
        try kenji.append([.set(entity: ticket, field: "status", value: .string("pending"))], at: baseMillis)
        // carol's add reaches kenji, whose removal names it; the home gets kenji's removal but never carol's add.
        try carol.append([.tagAdd(entity: ticket, tag: "billing")], at: baseMillis + 1)
        try kenji.store.apply(try carol.store.batch(after: VersionVector()), clock: FixedClock(millis: baseMillis + 1))
        let observed = try kenji.store.state.observedTagAdds(ticket, tag: "billing")
        #expect(observed.map(\.author) == [carol.id])
        try kenji.append([.tagAdd(entity: ticket, tag: "vip"),
                          .tagRemove(entity: ticket, tag: "billing", observed: observed)], at: baseMillis + 2)
        let kenjiOwn = try kenji.segments()

        let state: Bytes32
        let dump: [String: [[DatabaseValue]]]
        do {
            let store = try OpStore(path: path)
            for batch in kenjiOwn { try store.apply(batch, clock: FixedClock(millis: baseMillis + 2)) }
            try store.apply(try ana.store.batch(after: VersionVector()), clock: FixedClock(millis: baseMillis + 2))
            state = try store.stateHash()
            dump = try store.stateDump()
            // kenji's log, ana's, and carol's (named by the removal only).
            #expect(try store.writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM log") } == 3)
            try store.writer.writeWithoutTransaction { db in try db.execute(sql: Self.revertSQL) }
            let columns = try store.writer.read { db in try db.columns(in: "mv_register").map(\.name) }
            #expect(columns.contains("author"), "the home is in the old layout before it is reopened")
            #expect(try store.writer.read { db in try String.fetchOne(db, sql: "SELECT type FROM sqlite_master WHERE name = 'mv_tag'") } == "table")
            #expect(try store.writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM log") } == 2)
        }

        let store = try OpStore(path: path)
        let columns = try store.writer.read { db in try db.columns(in: "mv_tag_removal").map(\.name) }
        #expect(columns == ["collection", "key", "tag", "add_log", "add_seq"])
        #expect(try store.writer.read { db in try String.fetchOne(db, sql: "SELECT type FROM sqlite_master WHERE name = 'mv_tag'") } == "view")
        #expect(try store.stateHash() == state)
        #expect(try store.stateDump() == dump)
        let report = try store.verify()
        #expect(report.isOK, "\(report.problems)")
        #expect(try store.state.register(ticket, "status") == .string(ana.id < kenji.id ? "pending" : "open"))
        #expect(try store.state.tags(of: ticket) == ["vip"])

        // Merging on: carol's add arrives already removed; the result is a fresh replica's that got every op directly.
        try store.apply(try carol.store.batch(after: VersionVector()), clock: FixedClock(millis: baseMillis + 3))
        let fresh = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        try fresh.apply(try carol.store.batch(after: VersionVector()), clock: FixedClock(millis: baseMillis + 3))
        try fresh.apply(try ana.store.batch(after: VersionVector()), clock: FixedClock(millis: baseMillis + 3))
        for batch in kenjiOwn { try fresh.apply(batch, clock: FixedClock(millis: baseMillis + 3)) }
        #expect(try store.stateHash() == fresh.stateHash())
        #expect(try store.state.tags(of: ticket) == ["vip"])
    }

    /// A home from before the search index and snoozing (v4, v10) with the views before v16: those migrations'
    /// derivations run after every migration, with today's readers (``Schema/Rederivation``), and give what a home that
    /// always had them holds.
    @Test func aHomeFromBeforeSearchAndSnoozeDerivesThemAfterTheLastMigration() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("roost-v4-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("node.sqlite").path
        let ana = try TestAuthor(seed: 1)
        try ana.append(ErasureTests.customerBodies() + [
            .set(entity: EntityRef(Desk.ticket, "p2"), field: "snooze_until", value: .int(Int64(baseMillis + 86_400_000))),
        ], at: baseMillis)
        let documents = "SELECT doc, ticket, kind, body FROM search_doc ORDER BY doc"
        let before: (snoozed: [Row], documents: [Row])
        do {
            let store = try OpStore(path: path)
            try store.apply(try ana.store.batch(after: VersionVector()), clock: FixedClock(millis: baseMillis))
            before = try store.writer.read { db in
                (try Row.fetchAll(db, sql: "SELECT * FROM desk_snooze"), try Row.fetchAll(db, sql: documents))
            }
            #expect(before.snoozed.count == 1 && before.documents.count >= 3)
            try store.writer.writeWithoutTransaction { db in
                try db.execute(sql: Self.revertSQL)
                try db.execute(sql: """
                    DROP TRIGGER IF EXISTS search_doc_insert; DROP TRIGGER IF EXISTS search_doc_delete;
                    DROP TRIGGER IF EXISTS search_doc_update;
                    DROP TABLE search_fts; DROP TABLE search_doc; DROP TABLE search_handle; DROP TABLE search_queue;
                    DROP TABLE desk_snooze;
                    DELETE FROM grdb_migrations WHERE identifier IN
                        ('v4-search', 'v6-search-handles', 'v9-search-authors', 'v10-snooze', 'v12-search-queue');
                    """)
            }
        }
        let store = try OpStore(path: path)
        let after = try store.writer.read { db in
            (try Row.fetchAll(db, sql: "SELECT * FROM desk_snooze"), try Row.fetchAll(db, sql: documents),
             try Int.fetchOne(db, sql: "SELECT count(*) FROM meta WHERE key LIKE 'rederive:%'"),
             try Int.fetchOne(db, sql: "SELECT count(*) FROM search_fts WHERE search_fts MATCH 'marmalade'"))
        }
        #expect(after.0 == before.snoozed)
        #expect(after.1 == before.documents)
        #expect(after.2 == 0, "every rederivation asked for was done")
        #expect(after.3 == 1)
        let report = try store.verify()
        #expect(report.isOK, "\(report.problems)")
    }
}
