import Foundation
import RoostCore
import RoostCrypto
import RoostStore
@testable import RoostSync
import Testing

/// Batches as runs (Protocol/SPEC-sync.md §2b.18): every batch, well-formed or not, decodes to the same ops grouped
/// by log, a receiver applies or refuses it exactly as the batch, and version 3 sessions send it.
@Suite struct RunsEncodingTests {
    /// Three authors' logs on one store (a: 2 transactions, b: 1, c: 3), as one batch in the store's order.
    static func mixedBatch() throws -> OpBatch {
        let a = try SyncTestNode(seed: 1, epoch: 3)
        let b = try SyncTestNode(seed: 2, epoch: 1)
        let c = try SyncTestNode(seed: 3, epoch: Limits.maxOrdinal)
        try a.append(4, at: syncBaseMillis)
        try b.append(3, at: syncBaseMillis + 1)
        try c.append(2, at: syncBaseMillis + 2, field: "priority")
        try a.append(2, at: syncBaseMillis + 70_000)
        try c.append(1, at: syncBaseMillis + 3)
        try c.append(3, at: syncBaseMillis + 90_000, field: "subject")
        for other in [b, c] { try a.store.apply(try other.store.batch(after: VersionVector()), clock: FixedClock(millis: syncBaseMillis + 100_000)) }
        return try a.store.batch(after: VersionVector())
    }

    /// The seed of a seeded test: `ROOST_RUNS_SEED` when set, else the time; printed so a failure can be replayed.
    static func seed(_ test: String) -> UInt64 {
        let seed = UInt64(ProcessInfo.processInfo.environment["ROOST_RUNS_SEED"] ?? "") ?? UInt64(Date().timeIntervalSince1970)
        print("RunsEncodingTests.\(test) seed \(seed) (ROOST_RUNS_SEED=\(seed) repeats it)")
        return seed
    }

    /// A variant of `batch`: its logs interleaved at random (each log's ops kept in order), and with probability
    /// `damage` per op one of: the body dropped (erased), a changed body hash, a changed prev, a seq skipped, an
    /// earlier HLC, a changed body.
    static func variant(of batch: OpBatch, damage: Double, using rng: inout SplitMix64) -> OpBatch {
        var byLog: [LogID: [Op]] = [:]
        var order: [LogID] = []
        for op in batch.ops {
            if byLog[op.header.ref.log] == nil { order.append(op.header.ref.log) }
            byLog[op.header.ref.log, default: []].append(op)
        }
        var ops: [Op] = []
        while !order.isEmpty {
            let index = Int(rng.next() % UInt64(order.count))
            var queue = byLog[order[index]]!
            var op = queue.removeFirst()
            if Double(rng.next() % 1_000) / 1_000 < damage {
                switch rng.next() % 6 {
                case 0: op.body = nil
                case 1: op.header.bodyHash = OpCrypto.bodyHash([UInt8(rng.next() & 0xff)])
                case 2: op.header.prev = OpCrypto.bodyHash([UInt8(rng.next() & 0xff), 1])
                case 3: op.header.seq += 1 + rng.next() % 3
                case 4: op.header.hlc = HLC(rawValue: op.header.hlc.rawValue - min(op.header.hlc.rawValue, rng.next() % 1_000_000))
                default: op.body = (op.body ?? []) + [0x55]
                }
            }
            ops.append(op)
            if queue.isEmpty { order.remove(at: index) } else { byLog[order[index]] = queue }
        }
        return OpBatch(ops: ops, seals: rng.next() % 4 == 0 ? [] : batch.seals)
    }

    @Test("any batch, damaged or not, decodes from runs as its ops grouped by log, within the sender's bound (seeded)")
    func roundTrip() throws {
        let seed = Self.seed("roundTrip")
        var rng = SplitMix64(seed: seed)
        let batch = try Self.mixedBatch()
        for round in 0..<300 {
            let sent = Self.variant(of: batch, damage: [0, 0.05, 0.5][round % 3], using: &rng)
            let message = SyncMessage.runs(id: UInt64(round + 1), sent)
            let bytes = message.encoded()
            #expect(bytes.count <= SyncMessage.encodedLengthBound(ofRuns: sent), "seed \(seed) round \(round)")
            // A header that breaks §1.6's rules (a prev at seq 1) makes both encodings undecodable, with one error.
            let asBatch = Result { () throws(ByteDecodingError) in try SyncMessage.decode(SyncMessage.batch(id: 1, sent).encoded()) }
            let asRuns = Result { () throws(ByteDecodingError) in try SyncMessage.decode(bytes) }
            switch (asBatch, asRuns) {
            case (.success, .success(let decoded)):
                #expect(decoded == .runs(id: UInt64(round + 1), SyncMessage.runsOrder(of: sent)), "seed \(seed) round \(round)")
            case let (.failure(x), .failure(y)):
                #expect(x == y, "seed \(seed) round \(round)")
            default:
                Issue.record("seed \(seed) round \(round): as a batch \(asBatch), as runs \(asRuns)")
            }
            // Grouping changes no log's order, and the ops are the same.
            #expect(Set(SyncMessage.runsOrder(of: sent).ops) == Set(sent.ops))
        }
    }

    @Test("runs of an undamaged bulk batch take under 80 bytes per op against 160 or more as a batch")
    func size() throws {
        let node = try SyncTestNode(seed: 9)
        for n in 0..<10 { try node.append(100, at: syncBaseMillis + UInt64(n) * 1_000) }
        let batch = try node.store.batch(after: VersionVector(), limit: 1_000)
        #expect(batch.ops.count == 1_000)
        let runs = SyncMessage.runs(id: 1, batch).encoded().count
        let plain = SyncMessage.batch(id: 1, batch).encoded().count
        #expect(runs * 2 < plain, "runs \(runs) bytes, batch \(plain) bytes")
        // Per op: flags, an HLC delta, kind, body length and the body; the run head and the seals amortized.
        let bodies = batch.ops.reduce(0) { $0 + $1.body!.count }
        #expect(runs - bodies < 1_000 * 6 + 10 * 144 + 100, "runs \(runs) bytes for \(bodies) bytes of bodies")
    }

    @Test("a receiver applies or refuses the runs of a batch exactly as the batch (same error, same state; seeded)")
    func sameApply() throws {
        let seed = Self.seed("sameApply")
        var rng = SplitMix64(seed: seed)
        let batch = try Self.mixedBatch()
        var refused = 0
        for round in 0..<40 {
            let sent = Self.variant(of: batch, damage: [0, 0.02, 0.2][round % 3], using: &rng)
            guard case .batch = (try? SyncMessage.decode(SyncMessage.batch(id: 1, sent).encoded())) else { continue }
            guard case let .runs(_, received) = try SyncMessage.decode(SyncMessage.runs(id: 1, sent).encoded()) else {
                Issue.record("not runs"); return
            }
            let asBatch = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
            let asRuns = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
            let clock = FixedClock(millis: syncBaseMillis + 100_000)
            let one = Result { () throws(StoreError) in try asBatch.apply(sent, clock: clock) }
            let two = Result { () throws(StoreError) in try asRuns.apply(received, clock: clock) }
            switch (one, two) {
            case let (.success(x), .success(y)):
                #expect(x.applied == y.applied && x.withheld == y.withheld, "seed \(seed) round \(round)")
            case let (.failure(x), .failure(y)):
                refused += 1
                #expect("\(x)" == "\(y)", "seed \(seed) round \(round)")
            default:
                Issue.record("seed \(seed) round \(round): batch \(one), runs \(two)")
            }
            #expect(try asBatch.stateHash() == asRuns.stateHash(), "seed \(seed) round \(round)")
            #expect(try asBatch.versionVector() == asRuns.versionVector(), "seed \(seed) round \(round)")
        }
        #expect(refused > 0, "the damaged variants must include refused ones (seed \(seed))")
    }

    @Test("version 3 sessions send runs; with a version 2 peer batches; runs in a version 2 session end it")
    func sessions() throws {
        let a = try SyncTestNode(seed: 1), b = try SyncTestNode(seed: 2)
        try a.append(5)
        try b.append(3, at: syncBaseMillis + 1)
        var pair = SyncPair(a, b)
        try pair.start()
        #expect(try a.vector() == b.vector())
        #expect(pair.sent(by: 0).contains { $0.tag == .runs } && pair.sent(by: 1).contains { $0.tag == .runs })
        #expect(!pair.sent(by: 0).contains { $0.tag == .batch })

        let c = try SyncTestNode(seed: 3), d = try SyncTestNode(seed: 4)
        try c.append(2)
        var older = SyncPair(c, d)
        older.machines[1] = SyncSession.StateMachine(local: d.id, expectedPeer: c.id, configuration: .init(), helloVersion: 2,
                                                     now: syncBaseMillis)
        try older.start()
        #expect(try c.vector() == d.vector())
        #expect(older.sent(by: 0).contains { $0.tag == .batch } && !older.sent(by: 0).contains { $0.tag == .runs })

        var machine = SyncSession.StateMachine(local: c.id, expectedPeer: d.id, configuration: .init(), helloVersion: 2,
                                               now: syncBaseMillis)
        _ = machine.start(localVector: VersionVector())
        _ = machine.received(.hello(SyncHello(node: d.id, window: 2, vector: VersionVector())), localVector: VersionVector(),
                             now: syncBaseMillis)
        #expect(machine.sessionVersion == 2)
        let actions = machine.received(.runs(id: 1, try c.store.batch(after: VersionVector())), localVector: VersionVector(),
                                       now: syncBaseMillis)
        #expect(SyncSessionTests.closeReason(actions) == .protocolViolation("runs in a version 2 session"))
    }
}
