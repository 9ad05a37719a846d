import Foundation
import GRDB
import Testing
import RoostCore
import RoostCrypto
@_spi(StoreInternals) @testable import RoostStore

@Suite struct OpStoreTests {
    static let ticket = EntityRef("ticket", "1")
    static let clock = FixedClock(millis: baseMillis + 60_000)

    func sampleBodies(_ n: Int) -> [OpBody] {
        (0..<n).map { .set(entity: EntityRef("ticket", String($0 % 5)), field: "status", value: .string("s\($0)")) }
    }

    /// One `batch(after:limit:)` stops at a seal within its limit, short of the store's vector; `ops(after:upTo:limit:)`
    /// reads on to the vector (the dashboard cache and the warehouse mirror took one batch for all the new ops and
    /// skipped the rest when a batch stopped short).
    @Test func opsUpToAVectorReadPastOneBatchAndRefuseMoreThanTheLimit() throws {
        let ana = try TestAuthor(seed: 1)
        for _ in 0..<3 { try ana.append(sampleBodies(4), at: baseMillis) }
        let current = try ana.store.versionVector()
        #expect(try ana.store.batch(after: VersionVector(), limit: 11).ops.count == 8, "one batch stops at the seal of op 8")
        let all = try #require(try ana.store.ops(after: VersionVector(), upTo: current, limit: 12))
        #expect(all.map(\.ref.seq) == Array(1...12))
        #expect(try ana.store.ops(after: VersionVector(), upTo: current, limit: 11) == nil)
        var known = VersionVector()
        known[ana.local.log] = 4
        #expect(try ana.store.ops(after: known, upTo: current, limit: 8)?.map(\.ref.seq) == Array(5...12))
        #expect(try ana.store.ops(after: current, upTo: current, limit: 8) == [])
    }

    @Test func appendChainsOpsAndSealsOncePerTransaction() throws {
        let ana = try TestAuthor(seed: 1)
        let first = try ana.append(sampleBodies(3), at: baseMillis)
        #expect(first.headers.map(\.seq) == [1, 2, 3])
        #expect(first.headers[0].prev == .zero)
        #expect(first.headers[1].prev == OpCrypto.headerHash(first.headers[0]))
        #expect(first.seal.seq == 3 && first.seal.head == OpCrypto.headerHash(first.headers[2]))
        #expect(OpCrypto.verify(first.seal))
        let second = try ana.append(sampleBodies(1), at: baseMillis)
        #expect(second.headers[0].seq == 4)
        #expect(second.headers[0].hlc > first.headers[2].hlc)
        #expect(try ana.store.versionVector()[ana.local.log] == 4)
        #expect(try ana.store.verify().seals == 2)
    }

    @Test func localAppendRefusesInvalidOpsBeforeWriting() throws {
        let ana = try TestAuthor(seed: 1)
        let longKey = String(repeating: "k", count: Limits.maxIdentifierBytes + 1)
        #expect(throws: StoreError.self) {
            try ana.append([.tagAdd(entity: Self.ticket, tag: "ok"), .tagAdd(entity: EntityRef("ticket", longKey), tag: "x")],
                           at: baseMillis)
        }
        #expect(try ana.store.opCount() == 0)
    }

    @Test func applyIsIdempotent() throws {
        let ana = try TestAuthor(seed: 1)
        try ana.append(sampleBodies(5), at: baseMillis)
        let replica = try TestAuthor(seed: 9).store
        let batch = try ana.store.batch(after: VersionVector())
        #expect(try replica.apply(batch, clock: Self.clock) == report(5, 0, new: [LogID(author: ana.id, epoch: 1)]))
        let hash = try replica.stateHash()
        #expect(try replica.apply(batch, clock: Self.clock) == report(0, 5, held: [LogID(author: ana.id, epoch: 1)]))
        #expect(try replica.stateHash() == hash)
        #expect(try replica.stateHash() == ana.store.stateHash())
    }

    /// Applies `batch` to a replica holding `before` and expects `reason`, with nothing applied.
    func expectRejected(_ batch: OpBatch, reason: RejectReason, before: OpBatch? = nil, clock: FixedClock = clock) throws {
        let replica = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        if let before { try replica.apply(before, clock: clock) }
        let count = try replica.opCount()
        let hash = try replica.stateHash()
        do {
            try replica.apply(batch, clock: clock)
            Issue.record("batch was accepted; expected \(reason)")
        } catch let StoreError.rejected(_, got) {
            #expect(got == reason)
        }
        #expect(try replica.opCount() == count)
        #expect(try replica.stateHash() == hash)
    }

    @Test func aBadOpRejectsTheWholeBatchAcrossLogs() throws {
        let ana = try TestAuthor(seed: 1), kenji = try TestAuthor(seed: 2)
        try ana.append(sampleBodies(3), at: baseMillis)
        try kenji.append(sampleBodies(3), at: baseMillis)
        let good = try ana.store.batch(after: VersionVector())
        var bad = try kenji.store.batch(after: VersionVector())
        bad.ops[2].body![0] ^= 1
        try expectRejected(OpBatch(ops: good.ops + bad.ops, seals: good.seals + bad.seals), reason: .bodyHashMismatch)
    }

    @Test func rejectsEveryKindOfBadBatch() throws {
        let ana = try TestAuthor(seed: 1)
        try ana.append(sampleBodies(2), at: baseMillis)
        try ana.append(sampleBodies(2), at: baseMillis)
        let segments = try ana.segments()
        let all = try ana.store.batch(after: VersionVector())

        try expectRejected(segments[1], reason: .gap(have: 0, first: 3))
        try expectRejected(OpBatch(ops: all.ops, seals: []), reason: .unsealed(sealed: 0))
        try expectRejected(OpBatch(ops: [all.ops[0], all.ops[2]], seals: all.seals), reason: .outOfOrder)

        var badSeal = all
        badSeal.seals[0].signature[5] ^= 1
        try expectRejected(badSeal, reason: .badSeal(seq: 4))

        // A new op without its body is stored withheld (its erasure may follow, SPEC.md §1.9); verify reports it.
        var missing = all
        missing.ops[1].body = nil
        let withheld = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        #expect(try withheld.apply(missing, clock: FixedClock(millis: baseMillis)).withheld == 1)
        #expect(try withheld.verify().problems.contains { $0.contains("withheld") })

        var relinked = all
        relinked.ops[1].header.prev = Bytes32([UInt8](repeating: 7, count: 32))!
        try expectRejected(relinked, reason: .prevMismatch)

        // Seal made by another key over the right head.
        let mallory = try SigningKey(seed: [UInt8](repeating: 66, count: 32))
        var forged = all
        forged.seals[0].signature = mallory.sign(forged.seals[0].signedMessage)
        try expectRejected(forged, reason: .badSeal(seq: 4))

        let tooEarly = FixedClock(millis: baseMillis - Limits.defaultMaxClockDriftMillis - 1)
        let futureHLC = all.ops[0].header.hlc
        try expectRejected(all, reason: .clock(.tooFarInFuture(remote: futureHLC, localWallMillis: tooEarly.millis,
                                                                maxDriftMillis: Limits.defaultMaxClockDriftMillis)),
                           clock: tooEarly)

        let op = all.ops[0]
        try expectRejected(OpBatch(ops: Array(repeating: op, count: Limits.maxBatchOps + 1), seals: []),
                           reason: .tooManyOps(count: Limits.maxBatchOps + 1, limit: Limits.maxBatchOps))
    }

    @Test func malformedBodyWithMatchingHashIsRejected() throws {
        let ana = try TestAuthor(seed: 1)
        try ana.append(sampleBodies(1), at: baseMillis)
        var batch = try ana.store.batch(after: VersionVector())
        // A body that hashes right but does not decode: re-sign a header over garbage.
        let garbage: [UInt8] = [0, 0, 0, 1]
        var header = batch.ops[0].header
        header.bodyLength = UInt32(garbage.count)
        header.bodyHash = OpCrypto.bodyHash(garbage)
        batch.ops[0] = Op(header: header, body: garbage)
        batch.seals = [OpCrypto.seal(key: ana.local.key, epoch: 1, seq: 1, head: OpCrypto.headerHash(header))]
        try expectRejected(batch, reason: .malformedBody(.truncated(field: "entity.collection")))
    }

    @Test func aSecondSignedHistoryIsKeptAsForkEvidence() throws {
        // Same key and epoch on two devices: both write seq 1.
        let ana = try TestAuthor(seed: 1), anaClone = try TestAuthor(seed: 1)
        try ana.append([.tagAdd(entity: Self.ticket, tag: "a")], at: baseMillis)
        try anaClone.append([.tagAdd(entity: Self.ticket, tag: "b")], at: baseMillis)
        let replica = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        try replica.apply(try ana.store.batch(after: VersionVector()), clock: Self.clock)
        let hash = try replica.stateHash()
        let other = try anaClone.store.batch(after: VersionVector())
        #expect(throws: StoreError.rejected(op: OpRef(author: ana.id, epoch: 1, seq: 1), reason: .fork)) {
            try replica.apply(other, clock: Self.clock)
        }
        #expect(try replica.stateHash() == hash)
        #expect(try replica.state.tags(of: Self.ticket) == ["a"])
        let forks = try replica.forks()
        #expect(forks.count == 1)
        #expect(forks.first?.theirs == other.ops.map(\.header))
        #expect(forks.first?.seal.map { OpCrypto.verify($0) } == true && forks.first?.format == 1)
        let report = try replica.verify()
        #expect(!report.isOK)
        #expect(report.problems.contains { $0.contains("fork evidence") })

        // Without a valid seal the conflicting op is only refused, not kept as evidence.
        try expectRejected(OpBatch(ops: other.ops, seals: []), reason: .conflictingUnsealed,
                           before: try ana.store.batch(after: VersionVector()))
    }

    @Test func overlappingBatchAppliesOnlyTheNewOps() throws {
        let ana = try TestAuthor(seed: 1)
        try ana.append(sampleBodies(2), at: baseMillis)
        try ana.append(sampleBodies(3), at: baseMillis)
        let segments = try ana.segments()
        let replica = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        try replica.apply(segments[0], clock: Self.clock)
        let both = OpBatch(ops: segments[0].ops + segments[1].ops, seals: segments[0].seals + segments[1].seals)
        #expect(try replica.apply(both, clock: Self.clock) == report(3, 2, new: [LogID(author: ana.id, epoch: 1)]))
    }

    /// Group commit: batches applied in one transaction act one by one. A refused batch (bad body, a fork) applies
    /// nothing, the fork's evidence is kept, a later batch that continues an earlier one of the group applies, and
    /// the store ends as if the good batches had been applied alone, in order.
    @Test func batchesAppliedTogetherSucceedOrFailEachOnItsOwn() throws {
        let ana = try TestAuthor(seed: 1), kenji = try TestAuthor(seed: 2), anaClone = try TestAuthor(seed: 1)
        try ana.append(sampleBodies(2), at: baseMillis)
        try ana.append(sampleBodies(3), at: baseMillis)
        try kenji.append(sampleBodies(3), at: baseMillis)
        try anaClone.append([.tagAdd(entity: Self.ticket, tag: "clone")], at: baseMillis)
        let segments = try ana.segments()
        var bad = try kenji.store.batch(after: VersionVector())
        bad.ops[1].body![0] ^= 1
        let fork = try anaClone.store.batch(after: VersionVector())

        let grouped = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        let results = try grouped.apply([segments[0], bad, fork, segments[1], try kenji.store.batch(after: VersionVector())],
                                        clock: Self.clock)
        #expect(results.count == 5)
        #expect(try results[0].get() == report(2, 0, new: [LogID(author: ana.id, epoch: 1)]))
        #expect(throws: StoreError.rejected(op: OpRef(author: kenji.id, epoch: 1, seq: 2), reason: .bodyHashMismatch)) {
            try results[1].get()
        }
        #expect(throws: StoreError.rejected(op: OpRef(author: ana.id, epoch: 1, seq: 1), reason: .fork)) {
            try results[2].get()
        }
        // Continues segment 0, applied earlier in the same transaction.
        #expect(try results[3].get() == report(3, 0, new: [LogID(author: ana.id, epoch: 1)]))
        #expect(try results[4].get() == report(3, 0, new: [LogID(author: kenji.id, epoch: 1)]))
        #expect(try grouped.forks().count == 1)

        let alone = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        for batch in [segments[0], segments[1], try kenji.store.batch(after: VersionVector())] {
            try alone.apply(batch, clock: Self.clock)
        }
        #expect(try grouped.stateHash() == alone.stateHash())
        #expect(try grouped.versionVector() == alone.versionVector())
        #expect(try grouped.opCount() == 8)
    }

    @Test func batchesAreCutAtSealBoundaries() throws {
        let ana = try TestAuthor(seed: 1)
        for _ in 0..<4 { try ana.append(sampleBodies(3), at: baseMillis) }
        let small = try ana.store.batch(after: VersionVector(), limit: 7)
        #expect(small.ops.count == 6)
        #expect(small.seals.map(\.seq) == [6])
        let tiny = try ana.store.batch(after: VersionVector(), limit: 1)
        #expect(tiny.ops.count == 3)
        var vector = VersionVector()
        vector[ana.local.log] = 12
        #expect(try ana.store.batch(after: vector).isEmpty)
    }

    @Test func erasedBodiesKeepTheChainVerifiable() throws {
        let ana = try TestAuthor(seed: 1)
        let appended = try ana.append(sampleBodies(3), at: baseMillis)
        #expect(try ana.store.eraseBody(of: appended.headers[1].ref, clock: Self.clock))
        #expect(try !ana.store.eraseBody(of: appended.headers[1].ref, clock: Self.clock))
        let report = try ana.store.verify()
        #expect(report.isOK, "\(report.problems)")
        #expect(report.erasedBodies == 1)
        #expect(report.refoldStateHash == nil)
    }
}

/// `verify` must catch a flipped byte anywhere in a stored op, header or body, and a forged seal.
@Suite struct VerifyTamperTests {
    func makeStore() throws -> (OpStore, TestAuthor) {
        let ana = try TestAuthor(seed: 1), kenji = try TestAuthor(seed: 2)
        try ana.append([.makeInsert(EntityRef("message", "m1"), [Field("text", .string("hello"))]),
                        .set(entity: EntityRef("ticket", "1"), field: "status", value: .string("open"))], at: baseMillis)
        try kenji.append([.tagAdd(entity: EntityRef("ticket", "1"), tag: "billing"),
                          .claim(entity: EntityRef("ticket", "1"), action: .claim, holder: kenji.id, leaseSeconds: 600,
                                 observed: nil)], at: baseMillis)
        let store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        try store.apply(try ana.store.batch(after: VersionVector()), clock: FixedClock(millis: baseMillis))
        try store.apply(try kenji.store.batch(after: VersionVector()), clock: FixedClock(millis: baseMillis))
        #expect(try store.verify().isOK)
        // A large log is re-folded into a temporary file instead of memory (StoreLimits.refoldInMemoryOps).
        #expect(try store.verify(progress: nil, refoldInMemoryOps: 0).isOK)
        return (store, ana)
    }

    func tamper(_ sql: String, expect fragment: String) throws {
        let (store, _) = try makeStore()
        // Every op's hash by (log row, seq): an op dropped to its header keeps its hash in the row.
        let positions = try store.opPositions()
        var hashes: [String: Data] = [:]
        try store.writer.read { db in
            for row in try Row.fetchAll(db, sql: "SELECT id, author, epoch FROM log") {
                for (ref, hash) in positions where ref.author.key.data == row["author"] as Data && ref.epoch.sql == row["epoch"] as Int64 {
                    hashes["\(row["id"] as Int64)/\(ref.seq)"] = hash.data
                }
            }
        }
        let known = hashes
        try store.writer.write { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            // For dropping a body as an erasure does (the row then keeps its body's hash and its hash).
            // (Over the format 1 bytes the header commits to; the row stores the version 2 encoding: StoredBody.)
            db.add(function: DatabaseFunction("body_hash", argumentCount: 2, pure: true) { values in
                guard let raw = Int64.fromDatabaseValue(values[0]), let kind = OpKind(rawValue: UInt16(clamping: raw)),
                      let stored = Data.fromDatabaseValue(values[1]),
                      let body = try? StoredBody.decode([UInt8](stored), kind: kind, at: OpRef(author: AuthorID(key: .zero), epoch: 0, seq: 0))
                else { return nil }
                return OpCrypto.bodyHash(body.bytes).data
            })
            db.add(function: DatabaseFunction("body_len", argumentCount: 2, pure: true) { values in
                guard let raw = Int64.fromDatabaseValue(values[0]), let kind = OpKind(rawValue: UInt16(clamping: raw)),
                      let stored = Data.fromDatabaseValue(values[1]),
                      let body = try? StoredBody.decode([UInt8](stored), kind: kind, at: OpRef(author: AuthorID(key: .zero), epoch: 0, seq: 0))
                else { return nil }
                return body.bytes.count
            })
            db.add(function: DatabaseFunction("op_hash", argumentCount: 2, pure: true) { values in
                known["\(Int64.fromDatabaseValue(values[0]) ?? 0)/\(Int64.fromDatabaseValue(values[1]) ?? 0)"]
            })
            try db.execute(sql: sql)
        }
        let report = try store.verify()
        #expect(!report.isOK, "tamper \(sql) went unnoticed")
        let onFile = try store.verify(progress: nil, refoldInMemoryOps: 0)
        #expect(onFile == report, "the re-fold in a temporary file finds what the in-memory one finds")
        #expect(report.problems.first?.contains(fragment) == true, "\(sql): \(report.problems)")
    }

    @Test(arguments: [
        // An op's hash is not stored (OpStore-hashes.swift): a changed op shows where the recomputed chain next meets a
        // kept hash, here the seal at seq 2.
        ("UPDATE op_row SET body = CAST(substr(body, 1, 8) || x'5a' || substr(body, 10) AS BLOB) WHERE seq = 1",
         "/2: the chain does not reach the head its seal signs (an op at or before it was altered)"),
        ("UPDATE op_row SET hlc = hlc + 1 WHERE seq = 2", "altered"),
        // Bodies are stored in the version 2 encoding, read by the op's kind: another kind does not decode them.
        ("UPDATE op_row SET kind = 3 WHERE seq = 2", "/2: body does not decode"),
        // An op held without its body keeps its hash: a wrong one is named at the op.
        ("""
         CREATE TEMP TABLE dropped AS SELECT log, seq, body_len(kind, body) AS n, body_hash(kind, body) AS h FROM op_row WHERE seq = 1;
         UPDATE op_row SET body = NULL WHERE seq = 1;
         INSERT INTO op_bodyless SELECT log, seq, n, h, zeroblob(32) FROM dropped;
         """, "/1: header does not hash to its stored hash"),
        ("""
         CREATE TEMP TABLE dropped AS SELECT log, seq, body_len(kind, body) AS n, body_hash(kind, body) AS h FROM op_row WHERE seq = 2;
         UPDATE op_row SET body = NULL WHERE seq = 2;
         INSERT INTO op_bodyless SELECT log, seq, n, h, op_hash(log, seq) FROM dropped;
         """, "body missing"),
        ("UPDATE seal SET signature = zeroblob(64)", "signature does not verify"),
        ("DELETE FROM seal", "not covered by a valid seal"),
        ("UPDATE mv_register SET value = x'03000000046f70656e21'", "mv_register(collection=ticket, key=1, field=status): column value differs"),
        // The present tags are a view of the adds and removals (`mv_tag`): a deleted add is named in its table.
        ("DELETE FROM mv_tag_add", "mv_tag_add(collection=ticket, key=1, tag=billing, author="),
        ("UPDATE mv_claim_state SET holder = NULL", "mv_claim_state(collection=ticket, key=1): column holder differs"),
    ])
    func verifyNamesTheTampering(sql: String, fragment: String) throws {
        try tamper(sql, expect: fragment)
    }

    /// The schema keeps the stored body length and hashes (`op_bodyless`) to the ops held without their body, so no
    /// reader meets an op with both its body and a stored hash.
    @Test func storedHashesBelongOnlyToOpsHeldWithoutTheirBody() throws {
        let (store, _) = try makeStore()
        try store.writer.write { db in
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "INSERT INTO op_bodyless SELECT log, seq, 1, zeroblob(32), zeroblob(32) FROM op_row WHERE seq = 1")
            }
            try db.execute(sql: """
                CREATE TEMP TABLE dropped AS SELECT log, seq, body FROM op_row WHERE seq = 1;
                UPDATE op_row SET body = NULL WHERE seq = 1;
                INSERT INTO op_bodyless SELECT log, seq, 1, zeroblob(32), zeroblob(32) FROM dropped;
                """)
            #expect(throws: DatabaseError.self) {
                try db.execute(sql: "UPDATE op_row SET body = (SELECT body FROM dropped) WHERE seq = 1")
            }
            // Deleted with its op.
            try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
            let before = try Int.fetchOne(db, sql: "SELECT count(*) FROM op_bodyless")
            try db.execute(sql: "DROP TRIGGER op_row_keeps_its_seal; DELETE FROM op_row WHERE seq = 1")
            #expect((before ?? 0) > 0)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM op_bodyless") == 0)
        }
    }

    @Test func forgedSealOverATamperedChainIsCaught() throws {
        let (store, _) = try makeStore()
        let mallory = try SigningKey(seed: [UInt8](repeating: 66, count: 32))
        try store.writer.write { db in
            let row = try Row.fetchOne(db, sql: "SELECT author, epoch, seq, head FROM seal LIMIT 1")!
            let author = AuthorID(bytes: [UInt8](row["author"] as Data))!
            let seal = Seal(author: author, epoch: UInt64(row["epoch"] as Int64), seq: UInt64(row["seq"] as Int64),
                            head: Bytes32([UInt8](row["head"] as Data))!, signature: [])
            try db.execute(sql: "UPDATE seal SET signature = ? WHERE author = ?",
                           arguments: [Data(mallory.sign(seal.signedMessage)), row["author"] as Data])
        }
        let report = try store.verify()
        #expect(report.problems.first?.contains("signature does not verify") == true)
    }
}

/// The re-fold compares the desk's rows (``Schema/derivedTables``) but not the search index, which it does not derive
/// (it writes no search documents and goes without the inbox's indexes, for speed): a changed desk row is a
/// problem, a changed search document is not (`roost reindex` re-derives the index).
@Suite struct VerifyDeskRowTests {
    func deskStore() throws -> OpStore {
        let ana = try TestAuthor(seed: 1)
        try ana.append([
            .makeInsert(EntityRef("ticket", "t1"), [Field("channel", .string("public")), Field("customer", .string("c1")),
                                                   Field("brand", .string("acme"))]),
            .makeInsert(EntityRef("message", "m1"), [
                Field("text", .string("my router is broken")), Field("ticket", .string("t1")),
                Field("direction", .string("inbound")), Field("author", .string("c1")), Field("created_ms", .int(Int64(baseMillis))),
            ]),
            .set(entity: EntityRef("ticket", "t1"), field: "priority", value: .string("high")),
        ], at: baseMillis)
        let store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        try store.apply(try ana.store.batch(after: VersionVector()), clock: FixedClock(millis: baseMillis))
        return store
    }

    @Test(arguments: [50_000, 0])
    func aChangedDeskRowIsAProblemAChangedSearchDocumentIsNot(refoldInMemoryOps: Int) throws {
        let store = try deskStore()
        let clean = try store.verify(progress: nil, refoldInMemoryOps: refoldInMemoryOps)
        #expect(clean.isOK)
        // The comparing walk hashes both states as StateDump does on its own.
        #expect(clean.stateHash == (try store.stateHash()) && clean.refoldStateHash == clean.stateHash)
        try store.writer.write { db in
            try db.execute(sql: "UPDATE search_doc SET body = 'nothing to see' WHERE doc = 'm1'")
            #expect(db.changesCount == 1)
        }
        #expect(try store.verify(progress: nil, refoldInMemoryOps: refoldInMemoryOps).isOK)
        try store.writer.write { db in
            try db.execute(sql: "UPDATE desk_ticket SET priority = 'low', priority_rank = 3 WHERE key = 't1'")
            #expect(db.changesCount == 1)
        }
        let report = try store.verify(progress: nil, refoldInMemoryOps: refoldInMemoryOps)
        #expect(report.problems.first?.contains("desk_ticket(key=t1): column priority differs") == true, "\(report.problems)")
        // A desk row is not part of the state hash: both hashes are still the merged state's.
        #expect(report.stateHash == clean.stateHash && report.refoldStateHash == clean.stateHash)
    }
}

/// Regressions found while writing the specification.
@Suite struct SpecReviewRegressions {
    /// An op we already hold, re-sent without its body (erased at the sender), is a duplicate, not an error.
    @Test func heldOpResentWithoutBodyIsADuplicate() throws {
        let ana = try TestAuthor(seed: 1)
        try ana.append([.tagAdd(entity: EntityRef("ticket", "1"), tag: "a")], at: baseMillis)
        let replica = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        let batch = try ana.store.batch(after: VersionVector())
        try replica.apply(batch, clock: FixedClock(millis: baseMillis))
        var erased = batch
        erased.ops[0].body = nil
        #expect(try replica.apply(erased, clock: FixedClock(millis: baseMillis)) == report(0, 1, held: [LogID(author: ana.id, epoch: 1)]))
        // A peer lacking the op stores it withheld: no effect until an erasure names it.
        let fresh = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        let report = try fresh.apply(erased, clock: FixedClock(millis: baseMillis))
        #expect(report.applied == batch.ops.count && report.withheld == 1)
        #expect(try fresh.stateHash() != replica.stateHash())
    }

    /// A header built in memory with an epoch at or above 2^63 is a clear rejection, not a SQLite error.
    @Test func outOfRangeHeaderIsRejected() throws {
        let ana = try TestAuthor(seed: 1)
        try ana.append([.tagAdd(entity: EntityRef("ticket", "1"), tag: "a")], at: baseMillis)
        var batch = try ana.store.batch(after: VersionVector())
        batch.ops[0].header.epoch = UInt64(1) << 63
        let replica = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        do {
            try replica.apply(batch, clock: FixedClock(millis: baseMillis))
            Issue.record("accepted an epoch of 2^63")
        } catch let StoreError.rejected(_, reason) {
            guard case .malformedHeader = reason else { Issue.record("got \(reason)"); return }
        }
    }

    /// The clock never issues a timestamp the wire format refuses.
    @Test func clockClampsBelowTheWireBound() throws {
        var clock = HybridClock()
        let t = clock.tick(wallMillis: UInt64.max)
        #expect(t.rawValue <= Limits.maxOrdinal)
        #expect(throws: Never.self) {
            _ = try OpHeader.decode(OpHeader(author: AuthorID(key: .zero), epoch: 1, seq: 1, prev: .zero, hlc: t,
                                             kind: .set, bodyLength: 0, bodyHash: .zero).encoded())
        }
    }

    @Test func sealDecodingAppliesTheOrdinalBound() {
        var bytes = Seal(author: AuthorID(key: .zero), epoch: UInt64(1) << 63, seq: 1, head: .zero,
                         signature: [UInt8](repeating: 0, count: 64)).encoded()
        #expect(throws: ByteDecodingError.tooLarge(field: "seal.epoch", length: Int.max, limit: Int(Limits.maxOrdinal))) {
            try Seal.decode(bytes)
        }
        bytes[32] = 0
        #expect(throws: Never.self) { try Seal.decode(bytes) }
    }
}

/// The inbox must walk its index in order, not sort every open ticket (regression: 108 ms on 100k tickets).
@Suite struct InboxPlanTests {
    @Test func defaultInboxUsesTheOrderedPartialIndex() throws {
        let store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        let details = try store.writer.read { db in
            try Row.fetchAll(db, sql: """
                EXPLAIN QUERY PLAN SELECT t.* FROM desk_ticket t WHERE t.status IN ('new', 'open', 'pending', 'on-hold')
                ORDER BY t.priority_rank, t.first_inbound_ms IS NULL, t.first_inbound_ms, t.key LIMIT 50
                """).map { $0["detail"] as String }
        }
        #expect(details.contains { $0.contains("desk_ticket_open") }, "\(details)")
    }

    /// Overdue next replies are counted from a range of the awaiting index, not by reading every open ticket.
    @Test func nextReplyBreachesSeekTheAwaitingIndex() throws {
        let store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        let details = try store.writer.read { db in
            try Row.fetchAll(db, sql: """
                EXPLAIN QUERY PLAN SELECT count(*) FROM (SELECT 1 FROM desk_ticket WHERE status IN ('new', 'open', 'pending', 'on-hold') AND
                (desk_ticket.first_response_ms IS NOT NULL AND desk_ticket.status IN ('new', 'open') AND desk_ticket.last_inbound_ms = desk_ticket.last_message_ms
                 AND desk_ticket.last_inbound_ms >= 5 AND desk_ticket.last_inbound_ms + 60000 < 10) LIMIT 100)
                """).map { $0["detail"] as String }
        }
        #expect(details.contains { $0.contains("desk_ticket_awaiting") }, "\(details)")
    }
}

/// Large ops: a sealed run must fit one sync message, batches are cut by bytes as well as by count.
extension OpStoreTests {
    /// An insert of four 60,000-character fields (about 240 KB, as `roost op insert` makes them).
    static func largeInsert(_ key: String) -> OpBody {
        let text = String(repeating: "x", count: 60_000)
        return .insert(entity: EntityRef("note", key), fields: ["a", "b", "c", "d"].map { Field($0, .string(text)) })
    }

    @Test func anAppendOverTheRunLimitIsRefusedWithOneClearErrorAndWritesNothing() throws {
        let ana = try TestAuthor(seed: 1)
        let count = Limits.maxRunBytes / 240_000 + 1
        let error = #expect(throws: StoreError.self) {
            try ana.append((0..<count).map { Self.largeInsert("n\($0)") }, at: baseMillis)
        }
        #expect("\(error.map { "\($0)" } ?? "")".contains("maxRunBytes"), "the error names the limit")
        #expect("\(error.map { "\($0)" } ?? "")".contains("\(Limits.maxRunBytes)"))
        #expect(try ana.store.opCount() == 0)
        // A large op alone is fine (it is far within the limit).
        try ana.append([Self.largeInsert("m")], at: baseMillis)
        #expect(try ana.store.opCount() == 1)
    }

    @Test func batchesAreCutByBytesAtSealBoundaries() throws {
        let ana = try TestAuthor(seed: 1)
        for n in 0..<10 { try ana.append([Self.largeInsert("n\(n)")], at: baseMillis) }
        let run = Seal.encodedLength + Limits.runBytes(ofOpWithBody: Self.largeInsert("n0").encoded().count)
        let three = try ana.store.batch(after: VersionVector(), maxBytes: 3 * run + run / 2)
        // One log: the batch carries the seal of its last run, which covers the runs before it.
        #expect(three.ops.count == 3)
        #expect(three.seals.map(\.seq) == [3])
        let replica = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        #expect(try replica.apply(three, clock: Self.clock).applied == 3)
        // One run always goes, even over the budget (a run is never split).
        let one = try ana.store.batch(after: VersionVector(), maxBytes: 10)
        #expect(one.ops.count == 1)
        #expect(try ana.store.batch(after: VersionVector()).ops.count == 10)
    }
}

/// An apply report with its counts and which logs brought new ops (`new`) or only ops already held (`held`).
func report(_ applied: Int, _ duplicates: Int, new: Set<LogID> = [], held: Set<LogID> = []) -> ApplyReport {
    var report = ApplyReport(applied: applied, duplicates: duplicates)
    report.newLogs = new
    report.duplicateLogs = held
    return report
}

/// An op's hash is not stored (OpStore-hashes.swift): it is recomputed forward from the nearest kept hash — a
/// checkpoint every `StoreLimits.opCheckInterval` ops, a seal's head, an op held without its body, the log's head.
@Suite struct OpHashTests {
    /// Ana's log of `count` ops in transactions of `perSeal` (a seal each), in a store of its own.
    func log(count: Int, perSeal: Int) throws -> (TestAuthor, [OpRef: Bytes32]) {
        let ana = try TestAuthor(seed: 1)
        for start in stride(from: 0, to: count, by: perSeal) {
            try ana.append((start..<min(count, start + perSeal)).map {
                .set(entity: EntityRef("ticket", "t\($0 % 13)"), field: "status", value: .string("s\($0)"))
            }, at: baseMillis)
        }
        let batch = try ana.store.batch(after: VersionVector())
        #expect(batch.ops.count == count)
        return (ana, Dictionary(uniqueKeysWithValues: batch.ops.map { ($0.header.ref, OpCrypto.headerHash($0.header)) }))
    }

    @Test func everyHashIsRecomputedFromTheNearestKeptOne() throws {
        let count = Int(StoreLimits.opCheckInterval) * 2 + 40
        let (ana, hashes) = try log(count: count, perSeal: 100)
        let log = ana.local.log
        // An op held without its body keeps its hash; the hashes after it are recomputed from it.
        #expect(try ana.store.eraseBody(of: OpRef(author: ana.id, epoch: ana.local.epoch, seq: 150), clock: FixedClock(millis: baseMillis)))
        let (checks, kept, recomputed, past, zero) = try ana.store.writer.read { db -> (Int?, Int?, [OpRef: Bytes32], Bytes32?, Bytes32?) in
            var recomputed: [OpRef: Bytes32] = [:]
            for seq in 1...UInt64(count) {
                recomputed[OpRef(author: ana.id, epoch: ana.local.epoch, seq: seq)] = try OpStore.opHash(log, seq: seq, db)
            }
            return (try Int.fetchOne(db, sql: "SELECT count(*) FROM op_check"),
                    try Int.fetchOne(db, sql: "SELECT count(*) FROM op_bodyless"), recomputed,
                    try OpStore.opHash(log, seq: UInt64(count) + 1, db), try OpStore.opHash(log, seq: 0, db))
        }
        #expect(checks == 2)
        #expect(kept == 1)
        #expect(recomputed == hashes)
        #expect(past == nil && zero == nil)
        #expect(try ana.store.opPositions() == hashes)
    }

    @Test func anOpAlteredBeforeACheckpointIsNamedThere() throws {
        // One transaction, so one seal at the end: the first kept hash after op 10 is the checkpoint at 256.
        let (ana, _) = try log(count: Int(StoreLimits.opCheckInterval) + 20, perSeal: 1_000)
        try ana.store.writer.write { db in
            try db.execute(sql: "UPDATE op_row SET hlc = hlc + 1 WHERE seq = 10")
        }
        let report = try ana.store.verify()
        #expect(report.problems.first?.hasSuffix(
            "/\(StoreLimits.opCheckInterval): the chain does not reach the hash kept at this seq (an op at or before it was altered)") == true,
                "\(report.problems)")
    }

    @Test func aChangedCheckpointIsNamed() throws {
        let (ana, _) = try log(count: Int(StoreLimits.opCheckInterval) + 20, perSeal: 1_000)
        try ana.store.writer.write { db in try db.execute(sql: "UPDATE op_check SET hash = zeroblob(32)") }
        let report = try ana.store.verify()
        #expect(report.problems.first?.hasSuffix("/\(StoreLimits.opCheckInterval): the chain does not reach the hash kept at this seq (an op at or before it was altered)") == true,
                "\(report.problems)")
    }
}
