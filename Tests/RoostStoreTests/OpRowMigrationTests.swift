import Foundation
import GRDB
import RoostCore
import RoostCrypto
@_spi(StoreInternals) @testable import RoostStore
import Synchronization
import Testing

/// `v14-compact-op`: a home whose op table still stores `prev`, every `body_hash`, every hash and the author key per op
/// is rebuilt on open into `log`, `op_row`, `op_check` and the `op` view (OpRow.swift), and reads back the same ops,
/// hashes, seals and state.
@Suite struct OpRowMigrationTests {
    /// How `oldHome` spoils kenji's op 2.
    enum Spoil { case none, wrongPrev, alteredHLC }

    /// A home with two authors' logs (several seals each) and one erased body, its op table put back in the layout
    /// from before v14. `wrongPrev` stores, at one op, a `prev` that is not the previous op's hash and the hash of that
    /// header (a wrong copy: the old verify reported it as a prev mismatch); `alteredHLC` changes the op's time and
    /// stores the hash of the changed header (an altered op, its copies made to agree).
    func oldHome(_ spoil: Spoil) throws -> (path: String, batch: OpBatch, state: Bytes32, cleanup: () -> Void) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("roost-v14-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("node.sqlite").path
        let ana = try TestAuthor(seed: 1), kenji = try TestAuthor(seed: 2)
        for round in 0..<3 {
            try ana.append([.makeInsert(EntityRef("message", "m\(round)"), [Field("text", .string("hello \(round)"))]),
                            .set(entity: EntityRef("ticket", "\(round)"), field: "status", value: .string("open"))],
                           at: baseMillis + UInt64(round))
            try kenji.append([.tagAdd(entity: EntityRef("ticket", "\(round)"), tag: "billing")], at: baseMillis + UInt64(round))
        }
        let store = try OpStore(path: path)
        try store.apply(try ana.store.batch(after: VersionVector()), clock: FixedClock(millis: baseMillis))
        try store.apply(try kenji.store.batch(after: VersionVector()), clock: FixedClock(millis: baseMillis))
        #expect(try store.eraseBody(of: OpRef(author: ana.id, epoch: 1, seq: 3), clock: FixedClock(millis: baseMillis)))
        let batch = try store.batch(after: VersionVector())
        #expect(batch.ops.count == 9 && batch.ops.filter { $0.body == nil }.count == 1)
        let state = try store.stateHash()
        try store.writer.writeWithoutTransaction { db in
            try db.execute(sql: """
                PRAGMA foreign_keys = OFF;
                CREATE TABLE op_old (
                    author BLOB NOT NULL CHECK (length(author) = 32),
                    epoch INTEGER NOT NULL CHECK (epoch >= 0),
                    seq INTEGER NOT NULL CHECK (seq >= 1),
                    prev BLOB NOT NULL CHECK (length(prev) = 32),
                    hlc INTEGER NOT NULL CHECK (hlc >= 0),
                    kind INTEGER NOT NULL CHECK (kind BETWEEN 1 AND 65535),
                    body_len INTEGER NOT NULL CHECK (body_len >= 0),
                    body_hash BLOB NOT NULL CHECK (length(body_hash) = 32),
                    hash BLOB NOT NULL CHECK (length(hash) = 32),
                    body BLOB CHECK (body IS NULL OR length(body) = body_len),
                    PRIMARY KEY (author, epoch, seq)
                ) WITHOUT ROWID;
                """)
            for op in batch.ops {
                var h = op.header
                if h.author == kenji.id && h.seq == 2 {
                    switch spoil {
                    case .none: break
                    case .wrongPrev: h.prev = .zero
                    case .alteredHLC: h.hlc = HLC(rawValue: h.hlc.rawValue + 1)
                    }
                }
                try db.execute(sql: "INSERT INTO op_old VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", arguments: [
                    h.author.key.data, h.epoch.sql, h.seq.sql, h.prev.data, h.hlc.rawValue.sql, Int64(h.kind.rawValue),
                    Int64(h.bodyLength), h.bodyHash.data, OpCrypto.headerHash(h).data, op.body.map { Data($0) }])
            }
            // The views as they were then too (author keys; v16 numbers their logs after v14 has made `log`).
            try db.execute(sql: ViewsMigrationTests.revertSQL)
            try db.execute(sql: """
                DROP TRIGGER seal_needs_its_op;
                DROP TRIGGER op_erasure_needs_its_op;
                DROP TRIGGER op_row_keeps_its_seal;
                DROP VIEW op;
                DROP TABLE op_bodyless;
                DROP TABLE op_row;
                DROP TABLE op_check;
                DROP TABLE log;
                DROP TABLE seal_v2;
                DROP TABLE scope;
                ALTER TABLE op_old RENAME TO op;
                CREATE INDEX op_bodyless ON op (author, epoch, seq) WHERE body IS NULL;
                DELETE FROM grdb_migrations WHERE identifier IN ('v14-compact-op', 'v15-compact-op-2', 'v16-views-log-numbers', 'v18-op-bodyless',
                    'v19-format-2-logs');
                PRAGMA foreign_keys = ON;
                """)
        }
        return (path, batch, state, { try? FileManager.default.removeItem(at: directory) })
    }

    @Test func anOldHomeReadsBackTheSameOpsAfterTheRebuild() throws {
        let old = try oldHome(.none)
        defer { old.cleanup() }
        let columns = try DatabaseQueue(path: old.path).read { db in try db.columns(in: "op").map(\.name) }
        #expect(columns.contains("prev"), "the home is in the old layout before it is opened")
        // Read-only (roost-inspect) cannot upgrade it, so it refuses it rather than misreading its rows.
        #expect(throws: StoreError.self) { _ = try OpStore(readOnlyPath: old.path) }

        // The front-end is told once, before the rebuild starts, how many ops it rewrites (roost says so on stderr).
        let told = Mutex<[StoreUpgrade]>([])
        let store = try OpStore(path: old.path) { upgrade in told.withLock { $0.append(upgrade) } }
        #expect(told.withLock { $0 } == [StoreUpgrade(ops: 9)])
        _ = try OpStore(path: old.path) { upgrade in told.withLock { $0.append(upgrade) } }
        #expect(told.withLock { $0 }.count == 1, "an upgraded home is not upgraded again")
        let migrated = try store.writer.read { db in try db.columns(in: "op").map(\.name) }
        #expect(migrated == OpRow.columns)
        let logs = try store.writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM log") }
        #expect(logs == 2)
        // The old table's pages went back to the file system (VACUUM after the rebuild).
        #expect(try store.writer.read { db in try Int.fetchOne(db, sql: "PRAGMA freelist_count") } == 0)
        #expect(try store.batch(after: VersionVector()) == old.batch)
        #expect(try store.stateHash() == old.state)
        let report = try store.verify()
        #expect(report.isOK, "\(report.problems)")
        #expect(report.erasedBodies == 1)
        // A held body's hash is not stored any more; the erased op keeps its own.
        let storedBodyHashes = try store.writer.read { db in try Int.fetchOne(db, sql: "SELECT count(body_hash) FROM op") }
        #expect(storedBodyHashes == 1)
    }

    @Test func aWrongCopyOfAHashInAnOldHomeIsDroppedByTheRebuild() throws {
        // Only ops held without a body keep their hash (and every `StoreLimits.opCheckInterval`-th): the wrong copy
        // goes, and what remains is the chain the seals sign.
        let old = try oldHome(.wrongPrev)
        defer { old.cleanup() }
        let store = try OpStore(path: old.path)
        let report = try store.verify()
        #expect(report.isOK, "\(report.problems)")
        #expect(try store.batch(after: VersionVector()) == old.batch)
    }

    @Test func anAlteredOpInAnOldHomeStillFailsVerifyAfterTheRebuild() throws {
        let old = try oldHome(.alteredHLC)
        defer { old.cleanup() }
        let store = try OpStore(path: old.path)
        let report = try store.verify()
        #expect(!report.isOK)
        // Named at the first seal after it (the store keeps the seals of the batch it applied).
        #expect(report.problems.first?.hasSuffix(": the chain does not reach the head its seal signs (an op at or before it was altered)") == true,
                "\(report.problems)")
    }

    @Test func aHomeThatStoresEveryHashKeepsOnlyTheCheckpointsAfterV15() throws {
        // A home as v14 first left it (every op's hash in `op_row`), with a log longer than one checkpoint interval.
        let ana = try TestAuthor(seed: 1)
        let count = Int(StoreLimits.opCheckInterval) + 10
        try ana.append((0..<count).map { .set(entity: EntityRef("ticket", "t\($0 % 7)"), field: "status", value: .string("s\($0)")) },
                       at: baseMillis)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("roost-v15-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("node.sqlite").path
        let batch = try ana.store.batch(after: VersionVector())
        let store = try OpStore(path: path)
        try store.apply(batch, clock: FixedClock(millis: baseMillis))
        let positions = try store.opPositions()
        let bodies = Dictionary(uniqueKeysWithValues: batch.ops.map { ($0.header.ref, $0.body.map { Data($0) }) })
        try store.writer.writeWithoutTransaction { db in
            try db.execute(sql: """
                PRAGMA foreign_keys = OFF;
                CREATE TABLE op_row_v14 (
                    log INTEGER NOT NULL REFERENCES log (id), seq INTEGER NOT NULL CHECK (seq >= 1),
                    hlc INTEGER NOT NULL, kind INTEGER NOT NULL, body_len INTEGER NOT NULL, body_hash BLOB,
                    hash BLOB NOT NULL CHECK (length(hash) = 32), body BLOB, PRIMARY KEY (log, seq)) WITHOUT ROWID;
                """)
            for row in try Row.fetchAll(db, sql: "SELECT op.*, log.id AS log FROM op JOIN log ON log.author = op.author AND log.epoch = op.epoch") {
                let ref = OpRef(author: AuthorID(key: try Bytes32(data: row["author"] as Data)), epoch: UInt64(row["epoch"] as Int64),
                                seq: UInt64(row["seq"] as Int64))
                try db.execute(sql: "INSERT INTO op_row_v14 VALUES (?, ?, ?, ?, ?, ?, ?, ?)", arguments: [
                    row["log"], row["seq"], row["hlc"], row["kind"], bodies[ref]!!.count, row["body_hash"], positions[ref]!.data,
                    bodies[ref]!])
            }
            try db.execute(sql: """
                DROP TRIGGER seal_needs_its_op;
                DROP TRIGGER op_erasure_needs_its_op;
                DROP VIEW op;
                DROP TABLE op_bodyless;
                DROP TABLE op_row;
                DROP TABLE op_check;
                ALTER TABLE op_row_v14 RENAME TO op_row;
                \(Schema.opViewV15SQL)
                DELETE FROM grdb_migrations WHERE identifier IN ('v15-compact-op-2', 'v18-op-bodyless');
                PRAGMA foreign_keys = ON;
                """)
        }
        let reopened = try OpStore(path: path)
        let kept = try reopened.writer.read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM op_bodyless"), try Int.fetchOne(db, sql: "SELECT count(*) FROM op_check"))
        }
        #expect(kept.0 == 0, "no op held with its body keeps its hash")
        #expect(kept.1 == 1, "one checkpoint: op \(StoreLimits.opCheckInterval)")
        // Bodies are stored in the version 2 encoding, and read back as the format 1 bytes their hashes cover.
        let stored = try reopened.writer.read { db in try [UInt8](Data.fetchOne(db, sql: "SELECT body FROM op_row WHERE seq = 1")!) }
        #expect(stored == StoredBody.encode(try OpBody.decode(kind: .set, bytes: batch.ops[0].body!)))
        #expect(stored.count < batch.ops[0].body!.count)
        #expect(try reopened.opPositions() == positions)
        #expect(try reopened.batch(after: VersionVector()) == batch)
        let report = try reopened.verify()
        #expect(report.isOK, "\(report.problems)")
    }
}
