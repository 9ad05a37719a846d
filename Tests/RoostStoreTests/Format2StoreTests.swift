import Foundation
import GRDB
import Testing
import RoostCore
import RoostCrypto
@_spi(StoreInternals) @testable import RoostStore

/// Format 2 logs in the store (Protocol/DESIGN-format-2.md F2.9, step (a)): applied with every check of format 1 plus
/// the scope links and scopes roots, merged exactly as format 1, verified, refused whole.
@Suite struct Format2StoreTests {
    static let clock = FixedClock(millis: baseMillis + 600_000)

    /// Tickets, tags, a customer, a message and a team setting: every scope kind, and scopes touched again.
    static func bodies(_ round: Int) -> [OpBody] {
        let ticket = EntityRef("ticket", "t\(round % 3)")
        return [
            .set(entity: ticket, field: "status", value: .string("open-\(round)")),
            .tagAdd(entity: ticket, tag: "billing"),
            .set(entity: EntityRef("customer", "c\(round % 2)"), field: "name", value: .string("Customer \(round)")),
            .insert(entity: EntityRef("message", "m\(round)"), fields: [
                Field("body", .string("hello \(round)")), Field("ticket", .string(ticket.key)),
            ]),
            .set(entity: EntityRef("message", "m\(round)"), field: "outbox", value: .string("queued")),
            .set(entity: EntityRef("team", "settings"), field: "greeting", value: .string("hi \(round)")),
        ]
    }

    static func hlc(_ round: Int, _ index: Int) -> HLC {
        HLC(physicalMillis: baseMillis + UInt64(round) * 1_000 + UInt64(index), logical: 0)
    }

    /// The store error `body` throws, or nil.
    static func error(_ body: () throws(StoreError) -> Void) -> StoreError? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }

    static func emptyStore() throws -> OpStore { try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis) }

    /// The same bodies, stamps and positions as a format 1 log (appended) and as a format 2 log (applied): one state.
    @Test func aFormat2LogMergesAsItsFormat1Twin() throws {
        let ana = try TestAuthor(seed: 21)
        var writer = Format2LogWriter(key: ana.local.key, epoch: ana.local.epoch)
        let v2 = try Self.emptyStore()
        for round in 0..<4 {
            let appended = try ana.append(Self.bodies(round), at: baseMillis + UInt64(round) * 1_000)
            let hlcs = appended.headers.map(\.hlc)
            let report = try v2.apply(v2: writer.batch(Self.bodies(round)) { hlcs[$0] }, clock: Self.clock)
            #expect(report.applied == 6 && report.duplicates == 0)
        }
        #expect(try v2.stateHash() == ana.store.stateHash(), "a body v2 merges as its format 1 twin")
        #expect(try v2.versionVector()[writer.log] == 24)
        let verified = try v2.verify()
        #expect(verified.isOK, "\(verified.problems)")
        #expect(verified.logs == 1 && verified.seals == 4 && verified.ops == 24)
        // Every hash is the writer's, read back from the store; the log is format 2.
        let log = writer.log, last = writer.seq
        let (hashes, logs, scopes) = try v2.read { db in
            (try (1...last).map { try OpStore.opHash(log, seq: $0, db) }, try OpStore.format2Logs(db),
             try Int.fetchOne(db, sql: "SELECT count(DISTINCT scope) FROM op_row"))
        }
        #expect(hashes == (1...last).map { writer.hashes[$0] })
        #expect(logs == [log])
        #expect(scopes == 6, "t/t0 t/t1 t/t2 (the messages and their outbox writes too), c/c0 c/c1, g")
    }

    /// A node's own format 2 append (`append(v2:by:clock:)`) makes exactly the ops and seal SPEC-format-2.md says —
    /// the writer's, op for op: scopes (an outbox write on an earlier append's message takes that message's ticket),
    /// scope prevs across appends, one seal v2 per append —, a replica applies them, and the state is the format 1
    /// twin's. A log never mixes formats, and format 1 batches do not carry format 2 logs.
    @Test func aNodesFormat2AppendIsWhatAReplicaApplies() throws {
        let key = try SigningKey(seed: [UInt8](repeating: 29, count: 32))
        let author = LocalAuthor(key: key, epoch: 4, format: 2)
        let node = try Self.emptyStore(), replica = try Self.emptyStore(), twin = try Self.emptyStore()
        var writer = Format2LogWriter(key: key, epoch: 4)
        for round in 0..<4 {
            var bodies = Self.bodies(round)
            if round > 0 { bodies.append(.set(entity: EntityRef("message", "m\(round - 1)"), field: "outbox", value: .string("sent"))) }
            let clock = FixedClock(millis: baseMillis + UInt64(round) * 1_000)
            let appended = try node.append(v2: bodies, by: author, clock: clock)
            try twin.append(bodies, by: LocalAuthor(key: key, epoch: 4), clock: clock)
            let written = writer.batch(bodies) { appended.batch.ops[$0].header.hlc }
            #expect(appended.batch == written, "round \(round): the ops and seal the spec gives")
            #expect(appended.hashes == written.ops.map { OpCryptoV2.opHash($0.header) })
            if round == 1 {
                #expect(appended.batch.ops.last!.header.scope == OpCryptoV2.scopeID("t/t0"), "m0's outbox write is in m0's ticket")
                #expect(appended.batch.ops[0].header.scopePrev == 0, "t1 is new")
            }
            if round == 2 { #expect(appended.batch.ops[2].header.scopePrev == 3, "c0's previous op is round 0's, at seq 3") }
            #expect(try replica.apply(v2: appended.batch, clock: Self.clock).applied == bodies.count)
        }
        #expect(try node.stateHash() == twin.stateHash() && replica.stateHash() == node.stateHash())
        for store in [node, replica] {
            let report = try store.verify()
            #expect(report.isOK && report.ops == 27 && report.seals == 4, "\(report.problems)")
        }
        #expect(try node.batch(after: VersionVector()).ops.isEmpty, "format 2 logs are not sent in format 1 batches")

        let mixed = Self.error { () throws(StoreError) in
            _ = try node.append(Self.bodies(9), by: LocalAuthor(key: key, epoch: 4), clock: FixedClock(millis: baseMillis + 9_000))
        }
        let wrongCall = Self.error { () throws(StoreError) in
            _ = try node.append(Self.bodies(9), by: author, clock: FixedClock(millis: baseMillis + 9_000))
        }
        for (error, text) in [(mixed, "never mixes formats"), (wrongCall, "append(v2:)")] {
            guard case let .invalidOperation(message)? = error else { Issue.record("\(String(describing: error))"); continue }
            #expect(message.contains(text), "\(message)")
        }
        #expect(try node.opCount() == 27)
    }

    /// The readers above the log (dashboard cache, mirror, web events) see format 2 ops too: `ops(after:upTo:limit:)`
    /// and `heldOps(after:limit:)` read a format 1 log and a format 2 log to the vector, bodies decoded from either
    /// encoding (before, they read format 1 batches only and stopped, so a format 2 log's ops were never seen).
    @Test func theReadersAboveTheLogSeeFormat2Ops() throws {
        let store = try Self.emptyStore()
        let v2 = LocalAuthor(key: try SigningKey(seed: [UInt8](repeating: 31, count: 32)), epoch: 4, format: 2)
        let v1 = LocalAuthor(key: try SigningKey(seed: [UInt8](repeating: 32, count: 32)), epoch: 5)
        let writer = try Self.emptyStore()
        for round in 0..<3 {
            let clock = FixedClock(millis: baseMillis + UInt64(round) * 1_000)
            try store.apply(v2: try writer.append(v2: Self.bodies(round), by: v2, clock: clock).batch, clock: Self.clock)
        }
        try store.append(Self.bodies(7), by: v1, clock: FixedClock(millis: baseMillis + 5_000))
        let current = try store.versionVector()
        let all = try #require(try store.ops(after: VersionVector(), upTo: current, limit: 100))
        let count = try store.opCount()
        #expect(all.count == count)
        #expect(all.filter { $0.ref.log == v2.log }.map(\.ref.seq) == Array(1...UInt64(3 * Self.bodies(0).count)))
        #expect(all.allSatisfy { $0.body != nil })
        #expect(all.first { $0.ref.log == v2.log }?.body == Self.bodies(0).first)
        #expect(try store.ops(after: VersionVector(), upTo: current, limit: all.count - 1) == nil)
        var known = current
        known[v2.log] = UInt64(Self.bodies(0).count)
        #expect(try store.ops(after: known, upTo: current, limit: 100)?.map(\.ref) == all.filter { $0.ref.log == v2.log }.dropFirst(Self.bodies(0).count).map(\.ref))
        // Stepping: the format 1 log first, then the format 2 log's ops past the position (a seal range read whole).
        var position = VersionVector(), steps: [[HeldOp]] = []
        while true {
            let ops = try store.heldOps(after: position, limit: 4)
            if ops.isEmpty { break }
            for op in ops { position[op.ref.log] = max(position[op.ref.log], op.ref.seq) }
            steps.append(ops)
        }
        #expect(position == current)
        #expect(steps.flatMap { $0 }.map(\.ref) == all.map(\.ref))
        #expect(steps.first?.allSatisfy { $0.ref.log == v1.log } == true)
    }

    /// Same key and epoch on two devices, both writing format 2: the second signed history is refused (`fork`) and kept as
    /// evidence in its own format — their headers v2 to their seal v2 — as format 1 does (before, a format 2 fork was only
    /// refused as `conflictingUnsealed`, and nothing was kept).
    @Test func aSecondSignedFormat2HistoryIsKeptAsForkEvidence() throws {
        let author = LocalAuthor(key: try SigningKey(seed: [UInt8](repeating: 61, count: 32)), epoch: 3, format: 2)
        let device = try Self.emptyStore(), clone = try Self.emptyStore(), replica = try Self.emptyStore()
        let ticket = EntityRef("ticket", "t1")
        let mine = try device.append(v2: [.tagAdd(entity: ticket, tag: "a")], by: author, clock: FixedClock(millis: baseMillis))
        let other = try clone.append(v2: [.tagAdd(entity: ticket, tag: "b"), .tagAdd(entity: ticket, tag: "c")], by: author,
                                     clock: FixedClock(millis: baseMillis + 1))
        try replica.apply(v2: mine.batch, clock: Self.clock)
        let hash = try replica.stateHash()
        let fork = StoreError.rejected(op: OpRef(author: author.id, epoch: 3, seq: 1), reason: .fork)
        #expect(throws: fork) { try replica.apply(v2: other.batch, clock: Self.clock) }
        #expect(try replica.stateHash() == hash && replica.state.tags(of: ticket) == ["a"])
        let forks = try replica.forks()
        #expect(forks.count == 1)
        let evidence = try #require(forks.first)
        #expect(evidence.format == 2 && evidence.theirs.isEmpty && evidence.seal == nil)
        #expect(evidence.theirsV2 == other.batch.ops.map(\.header) && evidence.sealV2 == other.batch.seals[0])
        #expect(evidence.ours == mine.hashes[0])
        // Anyone can re-check it: the seal verifies, and their headers chain to its head.
        let seal = try #require(evidence.sealV2)
        #expect(OpCryptoV2.verify(seal))
        #expect(OpCryptoV2.opHash(evidence.theirsV2.last!) == seal.head)
        #expect(zip(evidence.theirsV2, evidence.theirsV2.dropFirst()).allSatisfy { OpCryptoV2.opHash($0) == $1.prev })
        let report = try replica.verify()
        #expect(report.forks == 1 && report.problems.contains { $0.contains("fork evidence") })

        // Without a valid seal the other history is only refused; no second record.
        #expect(throws: StoreError.rejected(op: OpRef(author: author.id, epoch: 3, seq: 1), reason: .conflictingUnsealed)) {
            try replica.apply(v2: OpBatchV2(ops: other.batch.ops, seals: []), clock: Self.clock)
        }
        #expect(try replica.forks().count == 1)
    }

    @Test func aDuplicateOrOverlappingFormat2BatchAddsOnlyWhatIsNew() throws {
        var writer = Format2LogWriter(key: try SigningKey(seed: [UInt8](repeating: 22, count: 32)), epoch: 3)
        let store = try Self.emptyStore()
        let first = writer.batch(Self.bodies(0)) { Self.hlc(0, $0) }
        let second = writer.batch(Self.bodies(1)) { Self.hlc(1, $0) }
        #expect(try store.apply(v2: first, clock: Self.clock).applied == 6)
        let again = try store.apply(v2: first, clock: Self.clock)
        #expect(again.applied == 0 && again.duplicates == 6)
        let both = OpBatchV2(ops: first.ops + second.ops, seals: first.seals + second.seals)
        let overlap = try store.apply(v2: both, clock: Self.clock)
        #expect(overlap.applied == 6 && overlap.duplicates == 6)
        #expect(try store.verify().isOK)
    }

    /// Each broken link or seal refuses the batch whole, and nothing of it is stored.
    @Test func aBrokenFormat2BatchIsRefusedWhole() throws {
        let key = try SigningKey(seed: [UInt8](repeating: 23, count: 32))
        var writer = Format2LogWriter(key: key, epoch: 1)
        let good = writer.batch(Self.bodies(0)) { Self.hlc(0, $0) }
        func refusal(_ batch: OpBatchV2) throws -> RejectReason? {
            let store = try Self.emptyStore()
            do {
                try store.apply(v2: batch, clock: Self.clock)
                return nil
            } catch let StoreError.rejected(_, reason) {
                #expect(try store.opCount() == 0, "a refused batch stores nothing")
                return reason
            }
        }
        #expect(try refusal(good) == nil)

        // Op 2 (the tag on t0) with a zero scope prev, although op 1 is in its scope (and op 3 linked to it).
        var relinked = good
        relinked.ops[1].header.scopePrev = .zero
        relinked.ops[2].header.prev = OpCryptoV2.opHash(relinked.ops[1].header)
        #expect(try refusal(relinked) == .scopePrevMismatch)

        // A body changed after hashing.
        var altered = good
        altered.ops[2].body = OpBody.set(entity: EntityRef("customer", "c0"), field: "name", value: .string("Mallory")).encodedV2()
        #expect(try refusal(altered) == .bodyHashMismatch)

        // A seal that signs the right head but another scopes root.
        var rooted = good
        let seal = good.seals[0]
        rooted.seals = [OpCryptoV2.seal(key: key, epoch: 1, fromSeq: 1, seq: seal.seq, head: seal.head, scopesRoot: seal.head)]
        #expect(try refusal(rooted) == .badScopes(seq: 6))

        // No seal.
        #expect(try refusal(OpBatchV2(ops: good.ops)) == .unsealed(sealed: 0))

        // A seal over 4...6 only: ops 1...3 are covered through the chain, as in format 1.
        var partial = Format2LogWriter(key: key, epoch: 1)
        let ops = (0..<6).map { partial.op(Self.bodies(0)[$0], hlc: Self.hlc(0, $0)) }
        let tail = ops[3...].map { (scope: $0.header.scope, hash: OpCryptoV2.opHash($0.header)) }
        let late = OpCryptoV2.seal(key: key, epoch: 1, fromSeq: 4, seq: 6, head: partial.prev,
                                   scopesRoot: OpCryptoV2.root(OpCryptoV2.leaves(of: tail)))
        #expect(try refusal(OpBatchV2(ops: ops, seals: [late])) == nil)
    }

    /// A log never mixes formats: format 1 ops for a format 2 log and format 2 ops for a format 1 log are refused.
    @Test func aLogNeverMixesFormats() throws {
        let ana = try TestAuthor(seed: 24)
        try ana.append(Self.bodies(0), at: baseMillis)
        let segments = try ana.segments()
        var writer = Format2LogWriter(key: ana.local.key, epoch: ana.local.epoch)
        let v2 = writer.batch(Self.bodies(1)) { Self.hlc(1, $0) }

        let holdsV1 = try Self.emptyStore()
        try holdsV1.apply(segments[0], clock: Self.clock)
        let first = OpRef(author: ana.id, epoch: ana.local.epoch, seq: 1)
        #expect(Self.error { () throws(StoreError) in _ = try holdsV1.apply(v2: v2, clock: Self.clock) }
                == .rejected(op: first, reason: .formatMismatch(held: 1, sent: 2)))
        let holdsV2 = try Self.emptyStore()
        try holdsV2.apply(v2: v2, clock: Self.clock)
        #expect(Self.error { () throws(StoreError) in _ = try holdsV2.apply(segments[0], clock: Self.clock) }
                == .rejected(op: first, reason: .formatMismatch(held: 2, sent: 1)))
        #expect(try holdsV1.opCount() == 6 && holdsV2.opCount() == 6)
        // The schema keeps scoped rows to format 2 logs, even for a writer that skips the checks.
        let refused = #expect(throws: DatabaseError.self) {
            try holdsV1.writer.write { db in
                try db.execute(sql: "INSERT INTO scope (sid) VALUES (zeroblob(16))")
                try db.execute(sql: "INSERT INTO op_row (log, seq, hlc, kind, body, scope) SELECT id, 7, 1, 2, x'00', 1 FROM log")
            }
        }
        #expect(refused?.message == "a scoped op belongs to a format 2 log")
        #expect(try holdsV1.opCount() == 6)
    }

    /// An erasure naming ops of a format 2 log drops their bodies and keeps what their format 2 headers commit to
    /// (the body v2's length and hash), so verify still rebuilds their hashes; the erased text is gone.
    @Test func erasedFormat2OpsKeepTheirFormat2BodyHash() throws {
        var writer = Format2LogWriter(key: try SigningKey(seed: [UInt8](repeating: 26, count: 32)), epoch: 1)
        let store = try Self.emptyStore()
        try store.apply(v2: writer.batch(ErasureTests.customerBodies()) { Self.hlc(0, $0) }, clock: Self.clock)
        let targets = try store.erasures.targets(customer: "u1")
        #expect(targets.count == 4, "customer insert, name, two messages")
        // A lone node (no team yet): its own erasure counts.
        let eraser = LocalAuthor(key: try SigningKey(seed: [UInt8](repeating: 27, count: 32)), epoch: 1)
        let appended = try store.append([Erasure(reason: "GDPR", customer: "u1", targets: targets).body(id: "0123456789abcdef0123456789abcdef")],
                                        by: eraser, clock: Self.clock)
        #expect(appended.erased == 4)
        let report = try store.verify()
        #expect(report.isOK, "\(report.problems)")
        #expect(report.erasedBodies == 4)
        #expect(try ErasureTests.search(store, "Quokkaberry").isEmpty)
        #expect(try ErasureTests.texts(store).allSatisfy { !$0.contains(ErasureTests.secret) })
    }

    /// A batch overlapping what is held: an op already held has its scope prev checked too, found by walking its scope
    /// back from the scope's newest op (`scope_head`, past it here) along the stored distances; the same walk gives a
    /// run starting before the scope's newest op its scope prev.
    @Test func anOverlapFindsAHeldOpsScopePrevBehindItsScopesNewestOp() throws {
        var writer = Format2LogWriter(key: try SigningKey(seed: [UInt8](repeating: 28, count: 32)), epoch: 1)
        let a = EntityRef("ticket", "a"), b = EntityRef("ticket", "b")
        func set(_ entity: EntityRef, _ value: String, _ index: Int) -> OpBatchV2.Op {
            writer.op(.set(entity: entity, field: "status", value: .string(value)), hlc: Self.hlc(0, index))
        }
        let o1 = set(a, "new", 1), o2 = set(b, "new", 2)
        let s2 = writer.seal()
        let o3 = set(a, "open", 3), o4 = set(a, "pending", 4)
        let s4 = writer.seal()
        let o5 = set(a, "solved", 5)
        let s5 = writer.seal()
        #expect([o1, o2, o3, o4, o5].map(\.header.scopePrev) == [0, 0, 1, 3, 4])
        let store = try Self.emptyStore()
        try store.apply(v2: OpBatchV2(ops: [o1, o2], seals: [s2]), clock: Self.clock)
        try store.apply(v2: OpBatchV2(ops: [o3, o4], seals: [s4]), clock: Self.clock)
        let report = try store.apply(v2: OpBatchV2(ops: [o2, o3, o4, o5], seals: [s2, s4, s5]), clock: Self.clock)
        #expect(report.applied == 1 && report.duplicateLogs.isEmpty)
        var wrong = o3
        wrong.header.scopePrev = 0
        #expect(Self.error { () throws(StoreError) in _ = try store.apply(v2: OpBatchV2(ops: [o2, wrong], seals: [s2]), clock: Self.clock) }
                == .rejected(op: wrong.header.ref, reason: .scopePrevMismatch))
        let held = try store.heldBefore(writer.log, firstSeq: 3, scopes: [o3.header.scope], seals: [])
        #expect(held.lastSeq(in: o3.header.scope, before: 3) == 1)
        #expect(try store.verify().isOK)
    }

    /// A format 2 op that arrived without its body and that no erasure names is wanted (SPEC.md §1.9a); a peer's answer,
    /// in format 1 bytes as `bodies` carries it, restores it: the header commits to the body v2 those bytes decode to.
    @Test func aWithheldFormat2BodyIsFetchedAgain() throws {
        var writer = Format2LogWriter(key: try SigningKey(seed: [UInt8](repeating: 30, count: 32)), epoch: 1)
        let full = writer.batch(Self.bodies(0)) { Self.hlc(0, $0) }
        var withheld = full
        withheld.ops[3].body = nil                                      // the message's insert
        let source = try Self.emptyStore(), node = try Self.emptyStore()
        try source.apply(v2: full, clock: Self.clock)
        #expect(try node.apply(v2: withheld, clock: Self.clock).withheld == 1)
        let wants = try node.wantedBodies(limit: 10)
        #expect(wants == [BodyWant(ref: full.ops[3].header.ref, hash: writer.hashes[4]!)])
        let bodies = try source.heldBodies(wants)
        #expect(bodies.count == 1)
        var forged = bodies[0]
        forged.body = OpBody.insert(entity: EntityRef("message", "m0"), fields: [Field("body", .string("forged"))]).encoded()
        #expect(try node.restoreBodies([forged]) == 0, "a body its header does not commit to")
        #expect(try node.restoreBodies(bodies) == 1)
        #expect(try node.stateHash() == source.stateHash())
        #expect(try node.wantedBodies(limit: 10).isEmpty)
        let report = try node.verify()
        #expect(report.isOK, "\(report.problems)")
    }

    /// The inspection readers (`roost-inspect`'s ops, diff and seal status) show a format 2 op's own hash and prev and
    /// check its seal v2, where they showed the format 1 shape's hash and every format 2 op unsealed.
    @Test func inspectionReadersShowFormat2HashesAndSeals() throws {
        var writer = Format2LogWriter(key: try SigningKey(seed: [UInt8](repeating: 31, count: 32)), epoch: 5)
        let store = try Self.emptyStore()
        for round in 0..<2 { try store.apply(v2: writer.batch(Self.bodies(round)) { Self.hlc(round, $0) }, clock: Self.clock) }
        let log = writer.log
        func ref(_ seq: UInt64) -> OpRef { OpRef(author: log.author, epoch: log.epoch, seq: seq) }
        let positions = try store.opPositions()
        #expect(positions == Dictionary(uniqueKeysWithValues: (1...writer.seq).map { (ref($0), writer.hashes[$0]!) }))
        let ops = try store.storedOps()
        #expect(ops.count == 12)
        for op in ops {
            #expect(op.hash == writer.hashes[op.ref.seq], "op \(op.ref.seq)")
            #expect(op.header.prev == (op.ref.seq == 1 ? .zero : writer.hashes[op.ref.seq - 1]!), "op \(op.ref.seq)")
            #expect(op.decoded != nil)
        }
        #expect(try store.storedOps(at: [ref(8)]).map(\.hash) == [writer.hashes[8]!])
        let statuses = try store.sealStatuses(of: ops)
        #expect(statuses[ref(3)] == .sealed(at: 6) && statuses[ref(12)] == .sealed(at: 12))
        try store.write { db in try db.execute(sql: "UPDATE seal_v2 SET signature = zeroblob(64) WHERE seq = 12") }
        let forged = try store.sealStatuses(of: try store.storedOps())
        #expect(forged[ref(7)] == .badSeal(at: 12) && forged[ref(6)] == .sealed(at: 6))
    }

    /// Verify rebuilds each format 2 header from its row and names an altered op, a broken seal and an uncovered tail.
    @Test func verifyNamesWhatWasAlteredInAFormat2Log() throws {
        var writer = Format2LogWriter(key: try SigningKey(seed: [UInt8](repeating: 25, count: 32)), epoch: 2)
        let store = try Self.emptyStore()
        for round in 0..<3 { try store.apply(v2: writer.batch(Self.bodies(round)) { Self.hlc(round, $0) }, clock: Self.clock) }
        #expect(try store.verify().isOK)

        try store.write { db in try db.execute(sql: "UPDATE op_row SET hlc = hlc + 1 WHERE seq = 8") }
        // As in format 1, an altered op shows at the next hash kept along its chain: here the seal over 7...12.
        let altered = try store.verify().problems
        #expect(altered.contains { $0.contains("/12: its head is not the hash of the op at that seq") }, "\(altered)")
        #expect(!altered.contains { $0.contains("/6: its head") }, "ops 1...6 are before the altered op: \(altered)")
        try store.write { db in try db.execute(sql: "UPDATE op_row SET hlc = hlc - 1 WHERE seq = 8") }
        #expect(try store.verify().isOK)

        try store.write { db in try db.execute(sql: "DELETE FROM seal_v2 WHERE seq = 18") }
        #expect(try store.verify().problems.contains { $0.contains("ops after seq 12 are not covered by a valid seal") })
        try store.write { db in try db.execute(sql: "UPDATE seal_v2 SET scopes_root = head WHERE seq = 12") }
        let resigned = try store.verify().problems
        #expect(resigned.contains { $0.contains("/12: signature does not verify") }, "the root is signed: \(resigned)")
        #expect(resigned.contains { $0.contains("ops after seq 6 are not covered by a valid seal") })

        // `scope_head` (the next op's scope prev) must name each scope's newest op.
        try store.write { db in try db.execute(sql: "UPDATE scope_head SET seq = seq - 1 WHERE seq = 18") }
        #expect(try store.verify().problems.contains { $0.contains("1 scopes' newest op is not the one `scope_head` names") })
        try store.write { db in try db.execute(sql: "UPDATE scope_head SET seq = seq + 1 WHERE seq = 17") }

        // Op 3 (customer c0) moved into op 1's scope (ticket t0): the stored scope prev distances no longer follow the
        // scopes, and op 3's hash changes, so seal 6's head is not reached.
        try store.write { db in try db.execute(sql: "UPDATE op_row SET scope = (SELECT scope FROM op_row WHERE seq = 1) WHERE seq = 3") }
        let moved = try store.verify().problems
        #expect(moved.contains { $0.contains("/3: its row's scope prev is not the previous op of its scope") }, "\(moved)")
        #expect(moved.contains { $0.contains("/6: its head is not the hash of the op at that seq") }, "\(moved)")
    }
}
