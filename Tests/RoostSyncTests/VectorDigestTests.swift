import Foundation
import Testing
import RoostCore
import RoostStore
@testable import RoostSync

/// Vector digests (Protocol/SPEC-sync.md §2b.16): an idle anti-entropy round costs 21 bytes whatever the roster
/// size; a belief that differs is repaired by a whole vector that sets it, also downwards after a cut.
@Suite struct VectorDigestTests {
    typealias Machine = SyncSession.StateMachine
    typealias T = SyncSessionTests

    static let configuration = SyncConfiguration(antiEntropyIntervalMillis: 5_000, relayDelayMillis: 0)

    static func author(_ n: Int) -> AuthorID {
        var bytes = [UInt8](repeating: 0, count: 32)
        bytes[0] = UInt8(n >> 8)
        bytes[1] = UInt8(n & 0xff)
        bytes[31] = 1
        return AuthorID(key: Bytes32(bytes)!)
    }

    /// A session of `a` with `b` after the hellos, `a` holding `local` and `b` announcing `peer`.
    static func active(local: VersionVector, peer: VersionVector, peerVersion: UInt16 = SyncLimits.protocolVersion,
                       helloVersion: UInt16 = SyncLimits.protocolVersion) -> Machine {
        var machine = Machine(local: T.a, expectedPeer: T.b, configuration: configuration, helloVersion: helloVersion,
                              now: T.t0)
        _ = machine.start(localVector: local)
        _ = machine.received(.hello(SyncHello(protocolVersion: peerVersion, node: T.b, window: 2, vector: peer)),
                             localVector: local, now: T.t0)
        return machine
    }

    @Test func anIdleRoundSendsTwentyOneBytesAndAMatchingDigestAsksNothing() {
        // 3,000 members: the whole vector would be 144,005 bytes.
        var entries: [LogID: UInt64] = [:]
        for n in 0..<3_000 { entries[LogID(author: Self.author(n), epoch: 1)] = UInt64(n + 1) }
        let vector = VersionVector(entries)
        #expect(SyncMessage.have(vector).encodedLength == 1 + 4 + 48 * 3_000)

        var a = Self.active(local: vector, peer: vector)
        var b = Machine(local: T.b, expectedPeer: T.a, configuration: Self.configuration, now: T.t0)
        _ = b.start(localVector: vector)
        _ = b.received(.hello(SyncHello(node: T.a, window: 2, vector: vector)), localVector: vector, now: T.t0)

        let round = T.sent(a.tick(localVector: vector, now: T.t0 + 5_000))
        let digests = round.filter { if case .vectorDigest = $0 { true } else { false } }
        #expect(digests.count == 1)
        #expect(digests[0].encoded().count == 21)
        #expect(!round.contains { if case .have = $0 { true } else { false } }, "no whole vector")
        // b believes a holds exactly this: nothing asked, nothing fetched.
        let answer = b.received(digests[0], localVector: vector, now: T.t0 + 5_001)
        #expect(T.sent(answer).isEmpty)
        #expect(T.fetches(answer).isEmpty)
    }

    @Test func aDigestThatDiffersAsksOnceForTheVectorWhichSetsTheBeliefEvenDownwards() throws {
        let c = LogID(author: T.c, epoch: 1)
        let local = VersionVector([T.logA: 2, c: 7])
        // The peer said it holds c up to 7; then a revocation's cut left it 3 (and it never held a's log).
        var machine = Self.active(local: local, peer: VersionVector([T.logA: 2, T.logB: 5, c: 7]))
        #expect(machine.peerVector == VersionVector([T.logA: 2, T.logB: 5, c: 7]))
        let cut = VersionVector([T.logB: 5, c: 3])

        let first = machine.received(.vectorDigest(VectorDigest(of: cut)), localVector: local, now: T.t0 + 1)
        #expect(T.sent(first) == [.wantVector])
        #expect(T.fetches(first).isEmpty)
        let second = machine.received(.vectorDigest(VectorDigest(of: cut)), localVector: local, now: T.t0 + 2)
        #expect(T.sent(second).isEmpty, "one want-vector outstanding at a time")

        let set = machine.received(.vector(cut), localVector: local, now: T.t0 + 3)
        #expect(machine.peerVector == cut, "set, not raised")
        #expect(set.contains(.peerProgress(cut)))
        // Sending resumes from what the peer now holds: a's log from the start, c's after 3.
        let fetch = try #require(T.fetches(set).first)
        #expect(fetch.0[T.logA] == 0 && fetch.0[c] == 3)

        // Now the belief matches the peer's digest: nothing is asked.
        let later = machine.received(.vectorDigest(VectorDigest(of: cut)), localVector: local, now: T.t0 + 4)
        #expect(!T.sent(later).contains(.wantVector))
    }

    @Test func aWantVectorIsAnsweredWithTheWholeVectorOnlyForADigestSent() {
        let local = VersionVector([T.logA: 4])
        var machine = Self.active(local: local, peer: VersionVector())
        #expect(T.closeReason(machine.received(.wantVector, localVector: local, now: T.t0 + 1))
                == .protocolViolation("want-vector without a vector-digest to answer"))

        var asked = Self.active(local: local, peer: VersionVector())
        _ = asked.tick(localVector: local, now: T.t0 + 5_000)
        let grown = VersionVector([T.logA: 6])
        #expect(T.sent(asked.received(.wantVector, localVector: grown, now: T.t0 + 5_001)) == [.vector(grown)])
        #expect(T.closeReason(asked.received(.wantVector, localVector: grown, now: T.t0 + 5_002)) != nil,
                "one answer per digest")

        var unasked = Self.active(local: local, peer: VersionVector())
        #expect(T.closeReason(unasked.received(.vector(local), localVector: local, now: T.t0 + 1))
                == .protocolViolation("vector without a want-vector"))
    }

    @Test func aSessionRunsAtTheLowerVersionAndVersionOneSendsTheWholeVector() {
        let local = VersionVector([T.logA: 1])
        var old = Self.active(local: local, peer: VersionVector(), peerVersion: 1)
        #expect(old.sessionVersion == 1 && old.peerVersion == 1)
        #expect(T.sent(old.tick(localVector: local, now: T.t0 + 5_000)).contains(.have(local)))
        #expect(T.closeReason(old.received(.vectorDigest(VectorDigest(of: local)), localVector: local, now: T.t0 + 5_001))
                == .protocolViolation("vectorDigest in a version 1 session"))

        // A hello to a peer known to speak 1 says 1; the peer's hello still tells its own highest version.
        var toOld = Machine(local: T.a, expectedPeer: T.b, configuration: Self.configuration, helloVersion: 1, now: T.t0)
        #expect(toOld.start(localVector: local) == [.send(.hello(SyncHello(protocolVersion: 1, node: T.a, window: 2,
                                                                            vector: local)))])
        _ = toOld.received(.hello(SyncHello(protocolVersion: 2, node: T.b, window: 2, vector: VersionVector())),
                           localVector: local, now: T.t0)
        #expect(toOld.sessionVersion == 1 && toOld.peerVersion == 2)

        // A newer peer is met at our version.
        let newer = Self.active(local: local, peer: VersionVector(), peerVersion: SyncLimits.protocolVersion + 1)
        #expect(newer.sessionVersion == SyncLimits.protocolVersion)
    }

    @Test func aHubRemembersPeersThatSpeakAnOlderVersion() throws {
        let store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        let hub = try PeeringHub(store: store, local: T.a, clock: ManualClock(T.t0))
        #expect(hub.helloVersion(for: T.b) == SyncLimits.protocolVersion)
        hub.heardVersion(1, from: T.b)
        #expect(hub.helloVersion(for: T.b) == 1)
        #expect(hub.helloVersion(for: T.c) == SyncLimits.protocolVersion)
        hub.heardVersion(2, from: T.b)
        #expect(hub.helloVersion(for: T.b) == 2)
        hub.heardVersion(SyncLimits.protocolVersion, from: T.b)
        #expect(hub.helloVersion(for: T.b) == SyncLimits.protocolVersion, "upgraded")
    }
}
