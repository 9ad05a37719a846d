import Testing
import RoostCore
import RoostCrypto
import RoostStore
@testable import RoostSync

/// Protocol version 4 (SPEC-sync.md §2b.19): format 2 logs travel as `runs-v2`, decoded by the session with its
/// dictionaries; a version 3 peer is never sent one.
@Suite struct RunsV2SessionTests {
    /// Ticket work in both formats' shapes: sets, tags, a message on a ticket (its own scope rule, §2.2).
    static func bodies(_ round: Int) -> [OpBody] {
        [.set(entity: EntityRef("ticket", "T-\(round % 3)"), field: "status", value: .string("open-\(round)")),
         .tagAdd(entity: EntityRef("ticket", "T-\(round % 2)"), tag: "r\(round)"),
         .insert(entity: EntityRef("message", "m\(round)"),
                 fields: [Field("text", .string("hello \(round)")), Field("ticket", .string("T-\(round % 3)"))])]
    }

    static func runsV2(_ messages: [SyncMessage]) -> [[UInt8]] {
        messages.compactMap { if case let .runsV2(_, bytes) = $0 { bytes } else { nil } }
    }

    @Test func aVersion4SessionCarriesAFormat2LogAsRunsV2() throws {
        let ana = try SyncTestNode(seed: 41, epoch: 3, format: 2)
        let ben = try SyncTestNode(seed: 42, epoch: 4)
        for round in 0..<3 { try ana.append(bodies: Self.bodies(round), at: syncBaseMillis + UInt64(round)) }
        try ben.append(bodies: Self.bodies(9))
        var pair = SyncPair(ana, ben)
        try pair.start()
        #expect(pair.machines[0].sessionVersion == 4)
        #expect(try ben.vector()[ana.log] == 9)
        #expect(try ana.vector()[ben.log] == 3)
        // More appends go out on the same session: the second message names Ana's author by its dictionary entry.
        try ana.append(bodies: Self.bodies(3), at: syncBaseMillis + 10)
        try pair.localChanged(0)
        let sent = Self.runsV2(pair.sent(by: 0))
        #expect(sent.count == 2)
        #expect(try ben.vector()[ana.log] == 12)
        // Decoded with a fresh dictionary the second message fails: its author is a reference into the first's.
        var fresh = RunDictionary()
        #expect(throws: ByteDecodingError.self) { _ = try RunV2.decode(sent[1], dictionary: &fresh) }
        var carried = RunDictionary()
        _ = try RunV2.decode(sent[0], dictionary: &carried)
        #expect(try RunV2.decode(sent[1], dictionary: &carried).first?.author == ana.id)
        // Ben's format 1 log went the other way as `runs`, and nothing else of Ana's went as a format 1 batch.
        #expect(pair.sent(by: 1).contains { if case .runs = $0 { true } else { false } })
        #expect(!pair.sent(by: 0).contains { $0.carriedBatch.map { !$0.batch.isEmpty } ?? false })
        #expect(try ana.store.stateHash() == ben.store.stateHash())
        for node in [ana, ben] { #expect(try node.store.verify().problems == []) }
    }

    @Test func aVersion3PeerIsNeverSentAFormat2Log() throws {
        let ana = try SyncTestNode(seed: 43, epoch: 3, format: 2)
        let ben = try SyncTestNode(seed: 44, epoch: 4)
        try ana.append(bodies: Self.bodies(0))
        try ben.append(bodies: Self.bodies(1))
        var pair = SyncPair(ana, ben, versions: (SyncLimits.protocolVersion, 3))
        try pair.start()
        #expect(pair.machines[0].sessionVersion == 3)
        #expect(!pair.machines[0].carriesFormat2)
        // Ben converges on the format 1 log; Ana's format 2 log stays at Ana, with no refusal and no violation.
        #expect(try ana.vector()[ben.log] == 3)
        #expect(try ben.vector()[ana.log] == 0)
        #expect(Self.runsV2(pair.sent(by: 0)).isEmpty)
        for side in 0...1 {
            #expect(!pair.log[side].contains { if case .peerRejected = $0 { true } else { false } })
            #expect(!pair.log[side].contains { if case .close = $0 { true } else { false } })
        }
    }

    /// SPEC-sync.md §2b.19: a session below version 4 never names a format 2 log after the hellos (`have`, `vector`,
    /// digests), so the version 3 peer does not look behind on a log it cannot hold; a peer known to speak version 3
    /// is not told of it in the hello either.
    @Test func aVersion3PeerIsNotToldOfAFormat2Log() throws {
        let ana = try SyncTestNode(seed: 47, epoch: 3, format: 2)
        let ben = try SyncTestNode(seed: 48, epoch: 4)
        let cat = try SyncTestNode(seed: 49, epoch: 5)
        try ana.append(bodies: Self.bodies(0))
        try cat.append(bodies: Self.bodies(1))
        // Ana holds a format 1 log too (Cat's), which Ben is sent.
        var relay = SyncPair(cat, ana)
        try relay.start()
        #expect(try ana.vector()[cat.log] == 3)

        // First contact: Ana does not know Ben's version yet, so her hello names her format 2 log.
        let rounds = SyncConfiguration(antiEntropyIntervalMillis: 5_000)
        var pair = SyncPair(ana, ben, configuration: rounds, versions: (SyncLimits.protocolVersion, 3))
        try pair.start()
        #expect(pair.machines[0].sessionVersion == 3)
        #expect(try ben.vector()[cat.log] == 3)
        let helloVector = pair.sent(by: 0).compactMap { if case let .hello(hello) = $0 { hello.vector } else { nil } }.first
        #expect(helloVector?[ana.log] == 3)
        // Ana writes more of her format 2 log, and rounds of anti-entropy go by.
        try ana.append(bodies: Self.bodies(2), at: syncBaseMillis + 1)
        try pair.localChanged(0)
        for round in 1...3 {
            pair.now = syncBaseMillis + UInt64(round) * rounds.antiEntropyIntervalMillis
            try pair.tick(0)
            try pair.tick(1)
        }
        // After the hello, nothing Ana sent names her format 2 log; Ben's belief of Ana lost it at the first round (his
        // digest of it did not match, he asked, her vector left it out), and the later rounds are digests alone.
        let afterHello = pair.sent(by: 0).dropFirst()
        for message in afterHello {
            switch message {
            case let .have(vector), let .vector(vector): #expect(vector[ana.log] == 0, "\(message.tag) names the format 2 log")
            default: break
            }
        }
        #expect(afterHello.contains { if case .vector = $0 { true } else { false } })
        let beliefs = pair.log[1].compactMap { if case let .peerProgress(vector) = $0 { vector } else { nil } }
        #expect(beliefs.last?[ana.log] == 0)
        #expect(beliefs.last?[cat.log] == 3)
        let wants = pair.sent(by: 1).filter { if case .wantVector = $0 { true } else { false } }
        #expect(wants.count == 1, "rounds after the first exchange matching digests")
        #expect(try ben.vector()[ana.log] == 0)

        // Next session: Ana knows Ben speaks version 3, and her hello leaves the log out too.
        var again = SyncPair(ana, ben, versions: (3, 3))
        try again.start()
        let second = again.sent(by: 0).compactMap { if case let .hello(hello) = $0 { hello.vector } else { nil } }.first
        #expect(second?[ana.log] == 0)
        #expect(second?[cat.log] == 3)
        // A version 4 peer is told of it, and gets it.
        let dan = try SyncTestNode(seed: 50, epoch: 6)
        var full = SyncPair(ana, dan)
        try full.start()
        #expect(try dan.vector()[ana.log] == 6)
    }

    @Test func runsV2InAVersion3SessionIsAProtocolViolation() throws {
        var machine = try Self.activeMachine(version: 3)
        let actions = machine.received(.runsV2(id: 1, batch: [0]), localVector: VersionVector(), now: syncBaseMillis)
        #expect(actions.contains { if case .close(.protocolViolation) = $0 { true } else { false } })
    }

    @Test func aRunsV2ThatFailsToDecodeEndsTheSession() throws {
        var machine = try Self.activeMachine(version: 4)
        // One run whose author is reference 5 of an empty dictionary.
        let actions = machine.received(.runsV2(id: 1, batch: [1, 5]), localVector: VersionVector(), now: syncBaseMillis)
        #expect(actions.contains { if case .close(.protocolViolation) = $0 { true } else { false } })
        #expect(!actions.contains { if case .applyRunsV2 = $0 { true } else { false } })
    }

    @Test func aRunsV2ThatDoesNotResolveIsRefusedAndNothingIsApplied() throws {
        let ana = try SyncTestNode(seed: 45, epoch: 3, format: 2)
        let ben = try SyncTestNode(seed: 46, epoch: 4)
        try ana.append(bodies: Self.bodies(0))
        try ana.append(bodies: Self.bodies(1), at: syncBaseMillis + 1)
        let before = try ben.store.stateHash()
        // The second seal range alone: its first op's prev is omitted, and Ben does not hold the op before it.
        let batches = try ana.store.batchesV2(after: VersionVector([ana.log: 3]), limit: 100)
        let run = RunV2(fullRangesOf: batches[0])
        #expect(throws: StoreError.rejected(op: OpRef(author: ana.id, epoch: 3, seq: 4), reason: .gap(have: 0, first: 4))) {
            try ben.store.apply(runsV2: [run], clock: FixedClock(millis: syncBaseMillis))
        }
        // A body changed in transit: the seal's scopes root and signature no longer hold.
        var tampered = RunV2(fullRangesOf: try ana.store.batchesV2(after: VersionVector(), limit: 100)[0])
        tampered.ops[0].hlc = HLC(rawValue: tampered.ops[0].hlc.rawValue + 1)
        do {
            _ = try ben.store.apply(runsV2: [tampered], clock: FixedClock(millis: syncBaseMillis))
            Issue.record("a tampered run was applied")
        } catch let StoreError.rejected(_, reason) {
            #expect(SyncRejection.code(for: reason) == .badSeal)
        }
        // Two runs of one log in one message.
        let whole = RunV2(fullRangesOf: try ana.store.batchesV2(after: VersionVector(), limit: 3)[0])
        #expect(throws: StoreError.rejected(op: OpRef(author: ana.id, epoch: 3, seq: 4), reason: .outOfOrder)) {
            try ben.store.apply(runsV2: [whole, run], clock: FixedClock(millis: syncBaseMillis))
        }
        #expect(try ben.vector()[ana.log] == 0)
        #expect(try ben.store.stateHash() == before)
    }

    /// Wire bytes of a whole log sent over a session: `runs-v2` against `runs` for the same ops (10,000 updates of 1,000
    /// tickets, 100 per transaction). Deterministic bytes, not time: 27.8 B/op against 39.9 when written (2026-12-07).
    @Test func aFormat2LogTakesFewerWireBytesThanItsFormat1Twin() throws {
        var perOp: [Int: Double] = [:]
        for format in [1, 2] {
            let ana = try SyncTestNode(seed: 71, epoch: 3, format: format)
            let ben = try SyncTestNode(seed: 72, epoch: 4)
            var random = SplitMix64(seed: 20_261_207)
            for round in 0..<100 {
                let bodies: [OpBody] = (0..<100).map { index in
                    let ticket = EntityRef("ticket", "T-\(UInt64.random(in: 0..<1_000, using: &random))")
                    switch index % 4 {
                    case 0: return .set(entity: ticket, field: "status", value: .string(["open", "pending", "resolved"][index % 3]))
                    case 1: return .tagAdd(entity: ticket, tag: "tag\(index % 7)")
                    case 2: return .set(entity: ticket, field: "priority", value: .string("high"))
                    default: return .set(entity: ticket, field: "queue", value: .string("q\(index % 40)"))
                    }
                }
                try ana.append(bodies: bodies, at: syncBaseMillis + UInt64(round) * 1_000)
            }
            var pair = SyncPair(ana, ben, configuration: SyncConfiguration(batchOpLimit: 1_024))
            try pair.start()
            #expect(try ben.vector()[ana.log] == 10_000)
            #expect(try ben.store.stateHash() == ana.store.stateHash())
            let bytes = pair.sent(by: 0).filter(\.isBatch).reduce(0) { $0 + $1.encoded().count }
            perOp[format] = Double(bytes) / 10_000
        }
        print("RunsV2SessionTests: wire bytes per op, format 1 as runs \(perOp[1]!), format 2 as runs-v2 \(perOp[2]!)")
        #expect(perOp[2]! < perOp[1]!)
    }

    /// A machine past its hello exchange at `version`.
    /// SPEC-partial.md §P.3b: partial replication's messages belong to partial sessions; in a full session they are
    /// protocol violations (below version 4 too), but for a `subscribe` to everything.
    @Test func partialMessagesEndAFullSession() throws {
        let scope = OpCryptoV2.scopeID(Scope.ticket("p1"))
        for message: SyncMessage in [.subscribe(Subscription(queues: ["paris"])), .wantScope([scope]), .haveScope([scope]),
                                     .partialAck(1), .partialBatch([0, 0, 0, 0, 0])] {
            for version: UInt16 in [3, 4] {
                var machine = try Self.activeMachine(version: version)
                let actions = machine.received(message, localVector: VersionVector(), now: syncBaseMillis)
                #expect(actions.contains { if case .close(.protocolViolation) = $0 { true } else { false } }, "\(message.tag) at \(version)")
            }
        }
        var machine = try Self.activeMachine(version: 4)
        #expect(machine.received(.subscribe(.full), localVector: VersionVector(), now: syncBaseMillis).isEmpty)
        #expect(machine.isActive)
        // Before the hello, a partial node's subscribe is kept, and its session refused at the hello by a node that
        // does not serve partial nodes (PartialSessionTests runs the sessions of one that does).
        var fresh = SyncSession.StateMachine(local: try SyncTestNode(seed: 47).id, now: syncBaseMillis)
        _ = fresh.start(localVector: VersionVector())
        #expect(fresh.received(.subscribe(Subscription(queues: ["paris"])), localVector: VersionVector(), now: syncBaseMillis).isEmpty)
        let actions = fresh.received(.hello(SyncHello(node: try SyncTestNode(seed: 48).id, window: 2, vector: VersionVector())),
                                     localVector: VersionVector(), now: syncBaseMillis)
        #expect(actions.contains { $0 == .close(.protocolViolation("this node does not serve partial nodes")) })
    }

    static func activeMachine(version: UInt16) throws -> SyncSession.StateMachine {
        let ana = try SyncTestNode(seed: 47), ben = try SyncTestNode(seed: 48)
        var machine = SyncSession.StateMachine(local: ana.id, expectedPeer: ben.id, now: syncBaseMillis)
        _ = machine.start(localVector: VersionVector())
        _ = machine.received(.hello(SyncHello(protocolVersion: version, node: ben.id, window: 2, vector: VersionVector())),
                             localVector: VersionVector(), now: syncBaseMillis)
        #expect(machine.sessionVersion == version)
        return machine
    }
}
