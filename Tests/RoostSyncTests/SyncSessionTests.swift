import Foundation
import RoostCore
import RoostCrypto
import RoostStore
import RoostSync
import Testing

/// The session state machine, event by event, and two or three stores synced through it.
@Suite struct SyncSessionTests {
    typealias Machine = SyncSession.StateMachine
    typealias Action = SyncSession.Action

    static let a = AuthorID(key: Bytes32([UInt8](repeating: 0xA, count: 32))!)
    static let b = AuthorID(key: Bytes32([UInt8](repeating: 0xB, count: 32))!)
    static let c = AuthorID(key: Bytes32([UInt8](repeating: 0xC, count: 32))!)
    static let logA = LogID(author: a, epoch: 1)
    static let logB = LogID(author: b, epoch: 1)
    static let logC = LogID(author: c, epoch: 1)
    static let t0 = syncBaseMillis

    /// A fake batch of `count` ops of `log` from `first` (the machine never looks inside bodies).
    static func fakeBatch(_ log: LogID, from first: UInt64 = 1, count: Int = 1, bodyBytes: Int = 4) -> OpBatch {
        let body = [UInt8](repeating: 7, count: bodyBytes)
        let ops = (0..<count).map { index in
            Op(header: OpHeader(author: log.author, epoch: log.epoch, seq: first + UInt64(index), prev: .zero,
                                hlc: HLC(rawValue: 1), kind: .set, bodyLength: UInt32(bodyBytes), bodyHash: .zero),
               body: body)
        }
        return OpBatch(ops: ops, seals: [])
    }

    /// A machine for node `a`, started, that accepted `b`'s hello carrying `peerVector`.
    static func active(
        local: VersionVector, peerVector: VersionVector = VersionVector(), window: UInt16 = 2,
        configuration: SyncConfiguration = SyncConfiguration(relayDelayMillis: 0)
    ) -> (Machine, [Action]) {
        var machine = Machine(local: a, expectedPeer: b, configuration: configuration, now: t0)
        _ = machine.start(localVector: local)
        let actions = machine.received(.hello(SyncHello(node: b, window: window, vector: peerVector)),
                                       localVector: local, now: t0)
        return (machine, actions)
    }

    static func fetches(_ actions: [Action]) -> [(VersionVector, Int)] {
        actions.compactMap { if case let .fetch(after, limit) = $0 { (after, limit) } else { nil } }
    }

    static func sent(_ actions: [Action]) -> [SyncMessage] {
        actions.compactMap { if case let .send(message) = $0 { message } else { nil } }
    }

    static func closeReason(_ actions: [Action]) -> SyncSession.CloseReason? {
        actions.compactMap { if case let .close(reason) = $0 { reason } else { nil } }.first
    }

    // MARK: handshake

    @Test("start sends hello with the local vector and window; the peer's hello establishes the session")
    func handshake() {
        let local = VersionVector([Self.logA: 3])
        var machine = Machine(local: Self.a, configuration: SyncConfiguration(window: 3), now: Self.t0)
        #expect(machine.start(localVector: local) == [.send(.hello(SyncHello(node: Self.a, window: 3, vector: local)))])
        #expect(machine.start(localVector: local).isEmpty, "start is idempotent")
        #expect(!machine.isActive)
        let peer = VersionVector([Self.logB: 2])
        let actions = machine.received(.hello(SyncHello(node: Self.b, window: 1, vector: peer)), localVector: local, now: Self.t0)
        #expect(actions.first == .established(peer: Self.b, vector: peer))
        #expect(actions.contains(.peerProgress(peer)))
        // The peer lacks logA 1...3: fetch after the peer's vector.
        #expect(Self.fetches(actions).map(\.0) == [peer])
        #expect(machine.isActive && machine.peer == Self.b && machine.peerVector == peer)
    }

    @Test("hellos that end the session: version, self, unexpected node; messages before hello; bye")
    func helloRefusals() {
        let local = VersionVector()
        func afterHello(_ hello: SyncHello, expected: AuthorID? = Self.b) -> [Action] {
            var machine = Machine(local: Self.a, expectedPeer: expected, now: Self.t0)
            _ = machine.start(localVector: local)
            let actions = machine.received(.hello(hello), localVector: local, now: Self.t0)
            #expect(machine.isClosed)
            return actions
        }
        #expect(afterHello(SyncHello(protocolVersion: 0, node: Self.b, window: 2, vector: local))
                == [.send(.bye(.incompatibleVersion)), .close(.incompatibleVersion(0))])
        #expect(afterHello(SyncHello(node: Self.a, window: 2, vector: local), expected: nil)
                == [.send(.bye(.unexpectedPeer)), .close(.selfConnection)])
        #expect(afterHello(SyncHello(node: Self.c, window: 2, vector: local))
                == [.send(.bye(.unexpectedPeer)), .close(.unexpectedPeer(Self.c))])

        var early = Machine(local: Self.a, now: Self.t0)
        _ = early.start(localVector: local)
        #expect(Self.closeReason(early.received(.ping(nonce: 1), localVector: local, now: Self.t0))
                == .protocolViolation("ping received before hello"))
        var unstarted = Machine(local: Self.a, now: Self.t0)
        #expect(Self.closeReason(unstarted.received(.ping(nonce: 1), localVector: local, now: Self.t0)) != nil)

        var byeFirst = Machine(local: Self.a, now: Self.t0)
        _ = byeFirst.start(localVector: local)
        #expect(byeFirst.received(.bye(.normal), localVector: local, now: Self.t0) == [.close(.peerBye(.normal))])
    }

    @Test("protocol violations in an active session close it with bye(protocol-violation)")
    func violations() {
        let local = VersionVector([Self.logA: 1])
        let cases: [(SyncMessage, String)] = [
            (.hello(SyncHello(node: Self.b, window: 2, vector: VersionVector())), "second hello"),
            (.batch(id: 2, OpBatch()), "batch 2 received after batch 0"),
            (.ack(id: 9, applied: 0), "ack of batch 9, which is not in flight"),
            (.reject(id: 9, SyncRejection(code: .fork, op: nil, text: "")), "reject of batch 9, which is not in flight"),
        ]
        for (message, why) in cases {
            var (machine, _) = Self.active(local: local)
            let actions = machine.received(message, localVector: local, now: Self.t0)
            #expect(actions == [.send(.bye(.protocolViolation)), .close(.protocolViolation(why))])
            #expect(machine.isClosed)
            #expect(machine.received(.ping(nonce: 1), localVector: local, now: Self.t0).isEmpty, "closed stays closed")
        }
        var (undecodable, _) = Self.active(local: local)
        let actions = undecodable.receiveFailed(.truncated(field: "x"))
        #expect(actions.first == .send(.bye(.protocolViolation)))
    }

    @Test("the receiver enforces its window and applies, then acks or rejects, each batch")
    func receiving() throws {
        let local = VersionVector()
        var (machine, _) = Self.active(local: local, configuration: SyncConfiguration(window: 2))
        let first = Self.fakeBatch(Self.logB)
        #expect(machine.received(.batch(id: 1, first), localVector: local, now: Self.t0) == [.apply(id: 1, first)])
        let second = Self.fakeBatch(Self.logB, from: 2)
        #expect(machine.received(.batch(id: 2, second), localVector: local, now: Self.t0) == [.apply(id: 2, second)])
        // Applied: ack, and the peer is known to hold what it sent (it is not sent back).
        let ack = machine.batchApplied(id: 1, result: .success(try applyReport(applied: 1)),
                                       localVector: VersionVector([Self.logB: 1]), now: Self.t0)
        #expect(ack.first == .send(.ack(id: 1, applied: 1)))
        #expect(ack.contains(.peerProgress(VersionVector([Self.logB: 1]))))
        #expect(Self.fetches(ack).isEmpty, "nothing echoed back")
        let rejection = SyncRejection(code: .badSeal, op: OpRef(author: Self.b, epoch: 1, seq: 2), text: "bad")
        #expect(machine.batchApplied(id: 2, result: .failure(rejection), localVector: VersionVector([Self.logB: 1]), now: Self.t0)
                == [.send(.reject(id: 2, rejection))])
        #expect(machine.batchApplied(id: 2, result: .failure(rejection), localVector: local, now: Self.t0).isEmpty,
                "a second answer for the same batch is ignored")

        // Three unacknowledged batches with a window of two.
        var (full, _) = Self.active(local: local, configuration: SyncConfiguration(window: 2))
        for id in 1...2 { _ = full.received(.batch(id: UInt64(id), OpBatch()), localVector: local, now: Self.t0) }
        #expect(Self.closeReason(full.received(.batch(id: 3, OpBatch()), localVector: local, now: Self.t0))
                == .protocolViolation("more than 2 batches unacknowledged"))
    }

    // MARK: sending

    @Test("backpressure: at most `window` batches in flight; an ack frees a slot for the next fetch")
    func backpressure() {
        let local = VersionVector([Self.logA: 30])
        var (machine, actions) = Self.active(local: local, window: 2,
                                             configuration: SyncConfiguration(batchOpLimit: 10, window: 4, relayDelayMillis: 0))
        #expect(Self.fetches(actions).map(\.1) == [10])
        // First batch: sent, and the next fetch is asked at once (window 2, the peer's, is smaller than 4).
        actions = machine.batchFetched(Self.fakeBatch(Self.logA, count: 10), localVector: local, now: Self.t0)
        #expect(Self.sent(actions).count == 1)
        #expect(Self.fetches(actions).map(\.0) == [VersionVector([Self.logA: 10])])
        actions = machine.batchFetched(Self.fakeBatch(Self.logA, from: 11, count: 10), localVector: local, now: Self.t0)
        #expect(Self.sent(actions).count == 1)
        #expect(Self.fetches(actions).isEmpty, "window full")
        #expect(machine.batchesInFlight == 2)
        #expect(Self.fetches(machine.localChanged(localVector: local, now: Self.t0)).isEmpty, "still full")
        actions = machine.received(.ack(id: 1, applied: 10), localVector: local, now: Self.t0)
        #expect(actions.contains(.peerProgress(VersionVector([Self.logA: 10]))))
        #expect(Self.fetches(actions).map(\.0) == [VersionVector([Self.logA: 20])])
        #expect(machine.batchFetched(OpBatch(), localVector: local, now: Self.t0).isEmpty, "an empty answer stops fetching")
        #expect(Self.fetches(machine.received(.ack(id: 2, applied: 10), localVector: local, now: Self.t0)).count == 1,
                "an ack wakes a starved sender")
    }

    @Test("a permanent reject blocks the log for the session and rewinds; other logs go on")
    func permanentReject() {
        let local = VersionVector([Self.logA: 2, Self.logC: 2])
        let configuration = SyncConfiguration(idleTimeoutMillis: 300_000, relayDelayMillis: 0)
        var (machine, _) = Self.active(local: local, window: 1, configuration: configuration)
        var actions = machine.batchFetched(
            OpBatch(ops: Self.fakeBatch(Self.logA, count: 2).ops + Self.fakeBatch(Self.logC, count: 2).ops, seals: []),
            localVector: local, now: Self.t0)
        #expect(Self.fetches(actions).isEmpty)
        let rejection = SyncRejection(code: .fork, op: OpRef(author: Self.c, epoch: 1, seq: 1), text: "fork")
        actions = machine.received(.reject(id: 1, rejection), localVector: local, now: Self.t0)
        #expect(actions.contains(.peerRejected(batchID: 1, rejection)))
        #expect(actions.contains(.logBlocked(Self.logC, reason: "refused by the peer: \(rejection)")))
        #expect(machine.blockedLogs == [Self.logC])
        #expect(!machine.isClosed)
        // Rewound to what the peer holds (nothing); logC is excluded from the fetch.
        let fetch = Self.fetches(actions)
        #expect(fetch.count == 1)
        #expect(fetch.first?.0[Self.logA] == 0 && fetch.first?.0[Self.logC] == Limits.maxOrdinal)
        // A later anti-entropy round does not unblock it.
        _ = machine.batchFetched(Self.fakeBatch(Self.logA, count: 2), localVector: local, now: Self.t0)
        _ = machine.received(.ack(id: 2, applied: 2), localVector: local, now: Self.t0)
        actions = machine.tick(localVector: local, now: Self.t0 + configuration.antiEntropyIntervalMillis)
        #expect(Self.sent(actions).contains(.vectorDigest(VectorDigest(of: local))))
        #expect(Self.fetches(actions).isEmpty)
        #expect(machine.blockedLogs == [Self.logC])
    }

    @Test("a transient reject defers the log to the next anti-entropy round; a gap resends at once")
    func transientRejects() {
        let local = VersionVector([Self.logA: 4])
        let configuration = SyncConfiguration(batchOpLimit: 2, antiEntropyIntervalMillis: 30_000, relayDelayMillis: 0)
        var (machine, _) = Self.active(local: local, configuration: configuration)
        _ = machine.batchFetched(Self.fakeBatch(Self.logA, count: 2), localVector: local, now: Self.t0)
        _ = machine.batchFetched(Self.fakeBatch(Self.logA, from: 3, count: 2), localVector: local, now: Self.t0)
        // Batch 1 failed in the peer's store: nothing more of logA until anti-entropy.
        var actions = machine.received(.reject(id: 1, SyncRejection(code: .storeFailure, op: nil, text: "io")),
                                       localVector: local, now: Self.t0)
        #expect(Self.fetches(actions).isEmpty)
        // Batch 2 then no longer follows: a gap (ignored while deferred).
        actions = machine.received(.reject(id: 2, SyncRejection(code: .gap, op: OpRef(author: Self.a, epoch: 1, seq: 3), text: "gap")),
                                   localVector: local, now: Self.t0)
        #expect(Self.fetches(actions).isEmpty && machine.blockedLogs.isEmpty)
        actions = machine.tick(localVector: local, now: Self.t0 + configuration.antiEntropyIntervalMillis)
        #expect(Self.sent(actions).contains(.vectorDigest(VectorDigest(of: local))))
        #expect(Self.fetches(actions).map(\.0) == [VersionVector()], "retried from what the peer holds")

        // A gap alone: resent at once from the confirmed vector.
        var (other, _) = Self.active(local: local, configuration: configuration)
        _ = other.batchFetched(Self.fakeBatch(Self.logA, count: 2), localVector: local, now: Self.t0)
        _ = other.received(.ack(id: 1, applied: 2), localVector: local, now: Self.t0)
        // Batch 2 (3...4) goes out and is refused as a gap: resent from what the peer acknowledged.
        _ = other.batchFetched(Self.fakeBatch(Self.logA, from: 3, count: 2), localVector: local, now: Self.t0)
        actions = other.received(.reject(id: 2, SyncRejection(code: .gap, op: OpRef(author: Self.a, epoch: 1, seq: 3), text: "gap")),
                                 localVector: local, now: Self.t0)
        #expect(Self.fetches(actions).map(\.0) == [VersionVector([Self.logA: 2])])
    }

    @Test("a fetch asked before a rewind is discarded and asked again")
    func staleFetch() {
        let local = VersionVector([Self.logA: 4])
        var (machine, _) = Self.active(local: local, configuration: SyncConfiguration(batchOpLimit: 2, relayDelayMillis: 0))
        var actions = machine.batchFetched(Self.fakeBatch(Self.logA, count: 2), localVector: local, now: Self.t0)
        #expect(Self.fetches(actions).map(\.0) == [VersionVector([Self.logA: 2])])
        // The first batch is refused while the fetch of 3...4 is out.
        actions = machine.received(.reject(id: 1, SyncRejection(code: .gap, op: OpRef(author: Self.a, epoch: 1, seq: 1), text: "")),
                                   localVector: local, now: Self.t0)
        #expect(Self.fetches(actions).isEmpty, "one fetch at a time")
        actions = machine.batchFetched(Self.fakeBatch(Self.logA, from: 3, count: 2), localVector: local, now: Self.t0)
        #expect(Self.sent(actions).isEmpty, "the stale batch is not sent")
        #expect(Self.fetches(actions).map(\.0) == [VersionVector()])
    }

    @Test("an over-large batch halves the fetch limit; a single sealed run too large for a message is blocked")
    func oversized() {
        let local = VersionVector([Self.logA: 300])
        var (machine, actions) = Self.active(local: local, configuration: SyncConfiguration(batchOpLimit: 1024, relayDelayMillis: 0))
        #expect(Self.fetches(actions).map(\.1) == [1024])
        // 300 ops of 256 KiB (one shared buffer) encode to over 64 MiB.
        let huge = Self.fakeBatch(Self.logA, count: 300, bodyBytes: Limits.maxBodyBytes)
        #expect(SyncMessage.encodedLength(ofBatch: huge) > SyncLimits.maxMessageBytes)
        actions = machine.batchFetched(huge, localVector: local, now: Self.t0)
        #expect(Self.fetches(actions).map(\.1) == [150])
        var limit = 150
        while limit > 1 {
            actions = machine.batchFetched(huge, localVector: local, now: Self.t0)
            limit = max(1, min(limit, 300) / 2)
            #expect(Self.fetches(actions).map(\.1) == [limit])
        }
        actions = machine.batchFetched(huge, localVector: local, now: Self.t0)
        #expect(actions.contains { if case .logBlocked(Self.logA, _) = $0 { true } else { false } })
        #expect(machine.blockedLogs == [Self.logA])
    }

    @Test("too-many-ops from the peer halves the fetch limit, down to blocking a run that can never fit")
    func tooManyOps() {
        let local = VersionVector([Self.logA: 8])
        var (machine, _) = Self.active(local: local, configuration: SyncConfiguration(batchOpLimit: 2, relayDelayMillis: 0))
        _ = machine.batchFetched(Self.fakeBatch(Self.logA, count: 8), localVector: local, now: Self.t0)
        let refusal = SyncRejection(code: .tooManyOps, op: nil, text: "too many")
        var actions = machine.received(.reject(id: 1, refusal), localVector: local, now: Self.t0)
        #expect(Self.fetches(actions).map(\.1) == [1])
        _ = machine.batchFetched(Self.fakeBatch(Self.logA, count: 8), localVector: local, now: Self.t0)
        actions = machine.received(.reject(id: 2, refusal), localVector: local, now: Self.t0)
        #expect(machine.blockedLogs == [Self.logA])
        #expect(Self.fetches(actions).isEmpty)
    }

    // MARK: relay, announcements, timers

    @Test("own ops are pushed at once; relayed ops of a pruned author are announced at once and pushed after the relay delay")
    func relayDelay() {
        let configuration = SyncConfiguration(relayDelayMillis: 200)
        var (machine, actions) = Self.active(local: VersionVector(), configuration: configuration)
        #expect(actions.allSatisfy { if case .fetch = $0 { false } else { true } })
        // The peer gets C's ops by another path first (§2b.17).
        _ = machine.received(.prune([Self.c]), localVector: VersionVector(), now: Self.t0 + 5)
        // A batch of C's log arrived from another peer: announce, hold.
        let relayed = VersionVector([Self.logC: 3])
        actions = machine.localChanged(localVector: relayed, now: Self.t0 + 10)
        #expect(Self.sent(actions) == [.have(relayed)])
        #expect(Self.fetches(actions).isEmpty)
        #expect(machine.nextDeadline == Self.t0 + 210)
        #expect(Self.fetches(machine.tick(localVector: relayed, now: Self.t0 + 100)).isEmpty)
        actions = machine.tick(localVector: relayed, now: Self.t0 + 210)
        #expect(Self.fetches(actions).map(\.0) == [VersionVector()])

        // Own ops go at once (and are announced too).
        var (own, _) = Self.active(local: VersionVector(), configuration: configuration)
        let mine = VersionVector([Self.logA: 1])
        actions = own.localChanged(localVector: mine, now: Self.t0 + 10)
        #expect(Self.fetches(actions).count == 1)

        // The peer says it got C's ops elsewhere during the hold: nothing is pushed.
        var (crossed, _) = Self.active(local: VersionVector(), configuration: configuration)
        _ = crossed.received(.prune([Self.c]), localVector: VersionVector(), now: Self.t0 + 5)
        _ = crossed.localChanged(localVector: relayed, now: Self.t0 + 10)
        actions = crossed.received(.have(relayed), localVector: relayed, now: Self.t0 + 50)
        #expect(actions == [.peerProgress(relayed)])
        #expect(Self.fetches(crossed.tick(localVector: relayed, now: Self.t0 + 300)).isEmpty)
        #expect(crossed.peerVector == relayed)
    }

    @Test("what the peer lacks at hello time is not held back, even from other authors")
    func noHoldAtHello() {
        let local = VersionVector([Self.logC: 5])
        let (_, actions) = Self.active(local: local, configuration: SyncConfiguration(relayDelayMillis: 10_000))
        #expect(Self.fetches(actions).count == 1)
    }

    @Test("ping when quiet, pong clears it, idle timeout closes; anti-entropy re-announces the full vector")
    func timers() {
        let configuration = SyncConfiguration(pingIntervalMillis: 1_000, idleTimeoutMillis: 3_000,
                                              antiEntropyIntervalMillis: 5_000, relayDelayMillis: 0)
        let local = VersionVector([Self.logA: 1])
        var (machine, _) = Self.active(local: local, peerVector: local, configuration: configuration)
        #expect(machine.nextDeadline == Self.t0 + 1_000)
        #expect(machine.tick(localVector: local, now: Self.t0 + 999).isEmpty)
        #expect(machine.tick(localVector: local, now: Self.t0 + 1_000) == [.send(.ping(nonce: 1))])
        #expect(machine.tick(localVector: local, now: Self.t0 + 1_500).isEmpty, "one ping outstanding")
        #expect(machine.nextDeadline == Self.t0 + 3_000)
        #expect(machine.received(.pong(nonce: 1), localVector: local, now: Self.t0 + 1_600).isEmpty)
        #expect(machine.received(.ping(nonce: 42), localVector: local, now: Self.t0 + 1_700) == [.send(.pong(nonce: 42))])
        #expect(machine.nextDeadline == Self.t0 + 2_700)
        #expect(machine.tick(localVector: local, now: Self.t0 + 2_700) == [.send(.ping(nonce: 2))])
        #expect(machine.received(.pong(nonce: 2), localVector: local, now: Self.t0 + 2_800).isEmpty)
        // The round also asks the store for bodies to fetch again (§2b.15).
        #expect(machine.tick(localVector: local, now: Self.t0 + 5_000)
                == [.send(.ping(nonce: 3)), .send(.vectorDigest(VectorDigest(of: local))),
                    .readWantedBodies(limit: SyncLimits.maxWantBodies)])
        #expect(machine.tick(localVector: local, now: Self.t0 + 5_799).isEmpty)
        #expect(machine.tick(localVector: local, now: Self.t0 + 5_800)
                == [.send(.bye(.idleTimeout)), .close(.idleTimeout)])
        #expect(machine.isClosed && machine.nextDeadline == nil)

        // No hello within the idle timeout.
        var silent = Machine(local: Self.a, configuration: configuration, now: Self.t0)
        _ = silent.start(localVector: local)
        #expect(silent.nextDeadline == Self.t0 + 3_000)
        #expect(silent.tick(localVector: local, now: Self.t0 + 3_000) == [.send(.bye(.idleTimeout)), .close(.idleTimeout)])
    }

    @Test("shutdown says bye; after closed() every event is ignored")
    func shutdown() {
        var (machine, _) = Self.active(local: VersionVector())
        #expect(machine.shutdown() == [.send(.bye(.normal)), .close(.localShutdown)])
        #expect(machine.shutdown().isEmpty)
        var (other, _) = Self.active(local: VersionVector([Self.logA: 1]))
        other.closed()
        #expect(other.localChanged(localVector: VersionVector([Self.logA: 2]), now: Self.t0).isEmpty)
        #expect(other.batchFetched(Self.fakeBatch(Self.logA), localVector: VersionVector(), now: Self.t0).isEmpty)
        #expect(other.tick(localVector: VersionVector(), now: Self.t0 + 1_000_000).isEmpty)
    }

    // MARK: with stores

    @Test("two stores converge through one session, then stay in sync as either side appends")
    func twoStores() throws {
        let left = try SyncTestNode(seed: 1), right = try SyncTestNode(seed: 2)
        try left.append(5)
        try left.append(3)
        try right.append(4)
        var pair = SyncPair(left, right, configuration: SyncConfiguration(batchOpLimit: 3, window: 2))
        try pair.start()
        #expect(try left.vector() == right.vector())
        #expect(try left.store.stateHash() == right.store.stateHash())
        // Batches were cut at seals: 5 ops then 3, never split.
        let batchSizes = pair.sent(by: 0).compactMap { $0.carriedBatch?.batch.ops.count }
        #expect(batchSizes == [5, 3])
        try right.append(2)
        try pair.localChanged(1)
        #expect(try left.vector() == right.vector())
        #expect(pair.machines.allSatisfy { $0.isActive && $0.batchesInFlight == 0 })
        #expect(try left.store.stateHash() == right.store.stateHash())
    }

    @Test("relay: A–B–C with no A–C session converges, and B does not echo ops back")
    func relay() throws {
        let a = try SyncTestNode(seed: 1), b = try SyncTestNode(seed: 2), c = try SyncTestNode(seed: 3)
        try a.append(2)
        try c.append(3)
        let configuration = SyncConfiguration(relayDelayMillis: 0)
        var ab = SyncPair(a, b, configuration: configuration)
        var bc = SyncPair(b, c, configuration: configuration)
        try ab.start()
        try bc.start()
        try ab.localChanged(1)  // B got C's log: push it to A
        #expect(try a.vector() == c.vector())
        #expect(try a.store.stateHash() == c.store.stateHash())
        try a.append(1)
        try ab.localChanged(0)
        try bc.localChanged(0)
        #expect(try c.vector() == a.vector())
        // B never sent A's ops back to A.
        let echoes = ab.sent(by: 1).compactMap { $0.carriedBatch?.batch }
            .flatMap(\.ops).filter { $0.header.author == a.id }
        #expect(echoes.isEmpty)
    }

    @Test("a log that does not link is refused with its reason, blocked for the session, and the rest still syncs")
    func conflictingLogRefused() throws {
        // One key signs two different histories of one log (a fork): P holds one, Q the other, longer.
        let original = try SyncTestNode(seed: 9), twin = try SyncTestNode(seed: 9)
        try original.append(1, field: "status")
        try twin.append(2, field: "priority")
        let p = try SyncTestNode(seed: 5), q = try SyncTestNode(seed: 6)
        try p.store.apply(try original.store.batch(after: VersionVector()), clock: FixedClock(millis: syncBaseMillis))
        try q.store.apply(try twin.store.batch(after: VersionVector()), clock: FixedClock(millis: syncBaseMillis))
        try q.append(2)
        var pair = SyncPair(q, p)
        try pair.start()
        // Q's batch (the twin's seq 2, which does not follow P's seq 1, and Q's own log) is refused whole;
        // Q blocks the twin's log and sends its own again.
        let rejected = pair.log[0].compactMap { if case let .peerRejected(_, r) = $0 { r } else { nil } }
        #expect(rejected.map(\.code) == [.prevMismatch])
        #expect(rejected.first?.op == OpRef(author: twin.id, epoch: 1, seq: 2))
        #expect(pair.machines[0].blockedLogs == [twin.log])
        #expect(try p.vector()[q.log] == 2)
        #expect(try p.vector()[twin.log] == 1)
        #expect(pair.machines.allSatisfy { $0.isActive })
    }
}

extension SyncSessionTests {
    @Test("a withdrawn peer gets nothing more: no bye, and no frame from any later event, even a fetched batch")
    func withdrawnPeerGetsNothing() {
        let local = VersionVector([Self.logA: 3])
        var (machine, actions) = Self.active(local: local)
        // A fetch is out when the revocation lands.
        #expect(Self.fetches(actions).count == 1)
        #expect(machine.withdraw() == [.close(.admissionWithdrawn)])
        #expect(machine.isClosed)
        #expect(machine.withdraw().isEmpty)
        var later: [Action] = []
        later += machine.batchFetched(Self.fakeBatch(Self.logA, count: 3), localVector: local, now: Self.t0 + 1)
        let grown = VersionVector([Self.logA: 9])
        later += machine.localChanged(localVector: grown, now: Self.t0 + 2)
        later += machine.received(.have(VersionVector()), localVector: grown, now: Self.t0 + 3)
        later += machine.received(.ping(nonce: 1), localVector: grown, now: Self.t0 + 4)
        later += machine.tick(localVector: grown, now: Self.t0 + 10_000_000)
        #expect(Self.sent(later).isEmpty)
        #expect(later.isEmpty)
    }
}

extension SyncSessionTests {
    @Test("a body a node holds as a bare header is asked for at the anti-entropy round and restored from the peer's answer")
    func bodiesAreFetchedAgain() throws {
        let a = try SyncTestNode(seed: 1), b = try SyncTestNode(seed: 2), author = try SyncTestNode(seed: 3)
        let bodies = ["status", "priority", "subject"].map { OpBody.set(entity: EntityRef("ticket", "T-1"), field: $0, value: .int(1)) }
        try author.store.append(bodies, by: author.author, clock: FixedClock(millis: Self.t0))
        let full = try author.store.batch(after: VersionVector())
        var bare = full
        bare.ops[1].body = nil  // a sender that had no body to send and no erasure naming it: withheld
        try a.store.apply(bare, clock: FixedClock(millis: Self.t0))
        try b.store.apply(full, clock: FixedClock(millis: Self.t0))
        #expect(try a.store.wantedBodies(limit: 10).map(\.ref) == [full.ops[1].header.ref])
        #expect(try a.store.stateHash() != b.store.stateHash())

        let configuration = SyncConfiguration(antiEntropyIntervalMillis: 5_000, relayDelayMillis: 0)
        var pair = SyncPair(a, b, configuration: configuration)
        try pair.start()
        #expect(pair.sent(by: 0).allSatisfy { if case .wantBodies = $0 { false } else { true } }, "not before the round")
        pair.now = Self.t0 + configuration.antiEntropyIntervalMillis
        try pair.tick(0)
        let wants = pair.sent(by: 0).compactMap { if case let .wantBodies(wants) = $0 { wants } else { nil } }
        #expect(wants == [[BodyWant(ref: full.ops[1].header.ref, hash: OpCrypto.headerHash(full.ops[1].header))]])
        let answers = pair.sent(by: 1).compactMap { if case let .bodies(bodies) = $0 { bodies } else { nil } }
        #expect(answers == [[HeldBody(ref: full.ops[1].header.ref, body: try #require(full.ops[1].body))]])
        #expect(try a.store.wantedBodies(limit: 10).isEmpty)
        #expect(try a.store.stateHash() == b.store.stateHash())
        #expect(pair.machines.allSatisfy { $0.isActive })
        // Nothing left to want: the next round asks nothing.
        let before = pair.sent(by: 0).count
        pair.now += configuration.antiEntropyIntervalMillis
        try pair.tick(0)
        #expect(pair.sent(by: 0).dropFirst(before).allSatisfy { if case .wantBodies = $0 { false } else { true } })
    }

    @Test("bodies nobody asked for break the protocol")
    func unaskedBodiesAreAViolation() {
        var (machine, _) = Self.active(local: VersionVector())
        let ref = OpRef(author: AuthorID(key: Bytes32([UInt8](repeating: 5, count: 32))!), epoch: 1, seq: 1)
        let actions = machine.received(.bodies([HeldBody(ref: ref, body: [1])]), localVector: VersionVector(), now: Self.t0 + 1)
        #expect(actions.contains(.close(.protocolViolation("bodies without a want-bodies outstanding"))))
        #expect(machine.isClosed)
    }
}
