import Foundation
import Testing
import RoostCore
import RoostCrypto
import RoostStore
@testable import RoostSync
import RoostTestSupport

/// The hub applies the batches that wait while its store is busy in one transaction (group commit), in arrival
/// order, and tells each session its own batch's outcome.
@Suite struct GroupCommitTests {
    /// An `OpStore` that records how many batches each grouped apply carried.
    final class RecordingReplica: SyncReplica, @unchecked Sendable {
        let store: OpStore
        private let lock = NSLock()
        private var groups: [Int] = []
        var groupSizes: [Int] { lock.withLock { groups } }

        init() throws { store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis) }

        func versionVector() throws(StoreError) -> VersionVector { try store.versionVector() }
        func format2Logs() throws(StoreError) -> Set<LogID> { try store.format2Logs() }
        func batch(after vector: VersionVector, limit: Int, maxBytes: Int) throws(StoreError) -> OpBatch {
            try store.batch(after: vector, limit: limit, maxBytes: maxBytes)
        }
        func apply(_ batch: OpBatch, clock: any WallClock) throws(StoreError) -> ApplyReport {
            try store.apply(batch, clock: clock)
        }
        func batchesV2(after vector: VersionVector, limit: Int) throws(StoreError) -> [OpBatchV2] {
            try store.batchesV2(after: vector, limit: limit)
        }
        func apply(runsV2 runs: [RunV2], clock: any WallClock) throws(StoreError) -> ApplyReport {
            try store.apply(runsV2: runs, clock: clock)
        }
        func apply(_ batches: [OpBatch], clock: any WallClock) throws(StoreError) -> [Result<ApplyReport, StoreError>] {
            lock.withLock { groups.append(batches.count) }
            return try store.apply(batches, clock: clock)
        }
        func rosterVersion() throws(StoreError) -> Int64 { try store.rosterVersion() }
        func scrubIfOwed() { store.scrubIfOwed() }
        func wantedBodies(limit: Int) throws(StoreError) -> [BodyWant] { try store.wantedBodies(limit: limit) }
        func heldBodies(_ wants: [BodyWant]) throws(StoreError) -> [HeldBody] { try store.heldBodies(wants) }
        func restoreBodies(_ bodies: [HeldBody]) throws(StoreError) -> Int { try store.restoreBodies(bodies) }
    }

    final class Outcomes: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [(Int, Result<ApplyReport, SyncRejection>, VersionVector)] = []
        func add(_ index: Int, _ result: Result<ApplyReport, SyncRejection>, _ vector: VersionVector) {
            lock.withLock { items.append((index, result, vector)) }
        }
        var all: [(Int, Result<ApplyReport, SyncRejection>, VersionVector)] { lock.withLock { items } }
    }

    @Test func batchesThatWaitForTheStoreAreAppliedInOneTransactionInOrder() async throws {
        let ana = LocalAuthor(key: try SigningKey(seed: [UInt8](repeating: 31, count: 32)), epoch: 1)
        let source = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        let clock = FixedClock(millis: 1_767_225_600_000)
        var batches: [OpBatch] = []
        var vector = VersionVector()
        for round in 0..<4 {
            try source.append([.tagAdd(entity: EntityRef("ticket", "t\(round)"), tag: "r\(round)")], by: ana, clock: clock)
            let batch = try source.batch(after: vector, limit: 100, maxBytes: .max)
            batches.append(batch)
            vector = try source.versionVector()
        }
        // The third batch is tampered with: refused alone; the fourth then has a gap and is refused too.
        batches[2].ops[0].body![0] ^= 1

        let replica = try RecordingReplica()
        let hub = try PeeringHub(store: replica, local: ana.id, clock: clock)
        // Hold the store queue, as a long apply would, while four sessions' batches arrive.
        let gate = DispatchSemaphore(value: 0)
        hub.storeQueue.async { gate.wait() }
        let outcomes = Outcomes()
        for (index, batch) in batches.enumerated() {
            hub.enqueueApply(batch) { result, vector in outcomes.add(index, result, vector) }
        }
        gate.signal()
        #expect(await eventually(seconds: 10) { outcomes.all.count == 4 })

        #expect(replica.groupSizes == [4])
        let all = outcomes.all
        #expect(all.map(\.0) == [0, 1, 2, 3])
        #expect(try all[0].1.get().applied == 1)
        #expect(try all[1].1.get().applied == 1)
        #expect(throws: SyncRejection.self) { try all[2].1.get() }
        #expect(throws: SyncRejection.self) { try all[3].1.get() }
        // Every session is told the vector after the whole group.
        #expect(all.allSatisfy { $0.2[ana.log] == 2 })
        #expect(hub.localVector[ana.log] == 2)

        // Alone (nothing waiting), a batch is a group of one.
        let fixed = try source.batch(after: batches[1].seals.last.map { seal in
            var v = VersionVector(); v[ana.log] = seal.seq; return v } ?? VersionVector(), limit: 100, maxBytes: .max)
        hub.enqueueApply(fixed) { result, vector in outcomes.add(4, result, vector) }
        #expect(await eventually(seconds: 10) { outcomes.all.count == 5 })
        #expect(replica.groupSizes == [4, 1])
        #expect(try outcomes.all[4].1.get().applied == 2)
        #expect(hub.localVector[ana.log] == 4)
    }
}
