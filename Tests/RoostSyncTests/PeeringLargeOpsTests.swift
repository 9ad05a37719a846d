import Foundation
import NIOPosix
import RoostTestSupport
import Testing
import RoostCore
import RoostCrypto
import RoostStore
@testable import RoostSync

/// Ops whose total is far over one frame sync to a new peer: batches are read with a byte budget that
/// a frame carries (issue 16: 90 ops of ~240 KB wedged a peer at "connected, behind").
@Suite(.serialized) struct PeeringLargeOpsTests {
    static func largeInsert(_ key: String) -> OpBody {
        let text = String(repeating: "x", count: 60_000)
        return .insert(entity: EntityRef("note", key), fields: ["a", "b", "c", "d"].map { Field($0, .string(text)) })
    }

    @Test func ninetyOpsOfQuarterMegabyteSyncToANewPeer() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let key = NetworkKey.generate()
        let a = try TCPNode(seed: 1, networkKey: key, group: group)
        let b = try TCPNode(seed: 2, networkKey: key, group: group)
        // About 21 MB of appends: done on a thread of their own, not on the test runner's (2-thread)
        // cooperative pool, which the TCP tests running beside this one need for their dials and waits.
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            Thread.detachNewThread {
                done.resume(with: Result { for n in 0..<90 { try a.append([Self.largeInsert("n\(n)")]) } })
            }
        }
        let total = try a.store.batch(after: VersionVector(), limit: Limits.maxBatchOps)
        #expect(SyncMessage.encodedLength(ofBatch: total) > WireLimits.maxFramePayloadBytes, "the test must exceed one frame")
        // Every message the sender builds fits a frame.
        let sentSizes = SentSizes()
        a.hub.observeSent { _, message in
            // Batches by their exact encoded length (no second encoding of 16 MiB on the event loop).
            // (`runs` by the bound its sender checked, which is at least its length.)
            if case let .runs(_, batch) = message { sentSizes.add(SyncMessage.encodedLengthBound(ofRuns: batch)) }
            if case let .batch(_, batch) = message { sentSizes.add(SyncMessage.encodedLength(ofBatch: batch)) }
        }
        let port = try await a.listen()
        try b.dial(a, port: port)
        #expect(try await eventually { try b.store.versionVector() == a.store.versionVector() })
        #expect(try b.store.opCount() == 90)
        #expect(sentSizes.max <= WireLimits.maxFramePayloadBytes)
        #expect(sentSizes.max > 0)
        await a.service.shutdown()
        await b.service.shutdown()
        try await group.shutdownGracefully()
    }

    @Test func syncLimitsAgreeWithTheFrame() {
        #expect(SyncLimits.maxMessageBytes == WireLimits.maxFramePayloadBytes)
        #expect(Limits.maxRunBytes + SyncLimits.maxMessageBytes - SyncLimits.maxBatchReadBytes < SyncLimits.maxMessageBytes)
        // The largest single op and its seal fit a run.
        #expect(Limits.runBytes(ofOpWithBody: Limits.maxBodyBytes) + Seal.encodedLength <= Limits.maxRunBytes)
    }
}

final class SentSizes: @unchecked Sendable {
    private let lock = NSLock()
    private var largest = 0
    func add(_ size: Int) { lock.withLock { largest = Swift.max(largest, size) } }
    var max: Int { lock.withLock { largest } }
}

/// A clock tests move by hand.
final class ManualClock: WallClock, @unchecked Sendable {
    private let lock = NSLock()
    private var millis: UInt64
    init(_ millis: UInt64) { self.millis = millis }
    func nowMillis() -> UInt64 { lock.withLock { millis } }
    func advance(_ delta: UInt64) { lock.withLock { millis += delta } }
}

extension PeeringLargeOpsTests {
    @Test func aConnectedPeerBehindWithNoProgressIsReportedStalledOnceUntilItMoves() throws {
        let store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        let author = LocalAuthor(key: try SigningKey(seed: [UInt8](repeating: 5, count: 32)), epoch: 5)
        for n in 0..<3 { try store.append([.tagAdd(entity: EntityRef("ticket", "t\(n)"), tag: "x")], by: author, clock: FixedClock(millis: syncBaseMillis)) }
        let clock = ManualClock(syncBaseMillis)
        let hub = try PeeringHub(store: store, local: author.id, clock: clock)
        let peer = AuthorID(key: Bytes32([UInt8](repeating: 0xB, count: 32))!)
        hub.connected(peer, address: nil)
        hub.heard(from: peer, vector: VersionVector([author.log: 1]))
        clock.advance(SyncLimits.stallAfterMillis - 1)
        #expect(hub.checkStalls().isEmpty)
        #expect(hub.peerStatuses.first?.state == "behind")
        clock.advance(1)
        #expect(hub.checkStalls() == [peer])
        #expect(hub.peerStatuses.first?.state == "stalled")
        #expect(hub.peerStatuses.first?.stalledSinceMillis == syncBaseMillis)
        #expect(hub.checkStalls().isEmpty, "reported once")
        #expect(hub.telemetry.counters.stalls == 1)
        // Progress clears it; in sync is never a stall.
        hub.heard(from: peer, vector: VersionVector([author.log: 3]))
        #expect(hub.peerStatuses.first?.state == "in-sync")
        clock.advance(10 * SyncLimits.stallAfterMillis)
        #expect(hub.checkStalls().isEmpty)
        #expect(hub.telemetry.counters.stalls == 1)
    }
}

extension PeeringLargeOpsTests {
    /// SPEC-sync.md §2b.19: a peer whose hello said version 3 cannot hold a format 2 log, so it is not judged behind
    /// on one (fails before: `behind`, then a stall warning every few minutes for as long as it ran).
    @Test func aVersion3PeerIsNotBehindOnAFormat2LogItCannotHold() throws {
        let store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        let one = LocalAuthor(key: try SigningKey(seed: [UInt8](repeating: 6, count: 32)), epoch: 6)
        let two = LocalAuthor(key: try SigningKey(seed: [UInt8](repeating: 7, count: 32)), epoch: 7, format: 2)
        try store.append([.tagAdd(entity: EntityRef("ticket", "t1"), tag: "x")], by: one, clock: FixedClock(millis: syncBaseMillis))
        try store.append(v2: [.tagAdd(entity: EntityRef("ticket", "t2"), tag: "y")], by: two, clock: FixedClock(millis: syncBaseMillis))
        let clock = ManualClock(syncBaseMillis)
        let hub = try PeeringHub(store: store, local: one.id, clock: clock)
        let old = AuthorID(key: Bytes32([UInt8](repeating: 0xC, count: 32))!)
        let new = AuthorID(key: Bytes32([UInt8](repeating: 0xD, count: 32))!)
        for peer in [old, new] {
            hub.connected(peer, address: nil)
            hub.heard(from: peer, vector: VersionVector([one.log: 1]))
        }
        hub.heardVersion(3, from: old)
        hub.heardVersion(SyncLimits.protocolVersion, from: new)
        clock.advance(SyncLimits.stallAfterMillis)
        #expect(hub.checkStalls() == [new], "the version 4 peer lacks the format 2 log; the version 3 one cannot hold it")
        let states = Dictionary(uniqueKeysWithValues: hub.peerStatuses.map { ($0.node, $0.state) })
        #expect(states[old.text] == "in-sync")
        #expect(states[new.text] == "stalled")
    }
}
