import Foundation
import Testing
import RoostCore
import RoostCrypto
import RoostStore
@testable import RoostSync

/// Format 2 runs from the wire into a store (DESIGN-format-2.md F2.9, step (a)): encoded with session dictionaries,
/// decoded, resolved against what the store holds (prev, scope prev and heads omitted), seals checked, applied.
@Suite struct RunsIntoStoreTests {
    static let start: UInt64 = 1_767_225_600_000
    static let clock = FixedClock(millis: start + 600_000)

    static func bodies(_ round: Int) -> [OpBody] {
        let ticket = EntityRef("ticket", "t\(round % 4)")
        return [
            .set(entity: ticket, field: "status", value: .string("open-\(round)")),
            .tagAdd(entity: ticket, tag: "tag\(round % 3)"),
            .set(entity: EntityRef("customer", "c\(round % 2)"), field: "name", value: .string("Customer \(round)")),
            .insert(entity: EntityRef("message", "m\(round)"), fields: [Field("body", .string("hi \(round)")), Field("ticket", .string(ticket.key))]),
        ]
    }

    /// A node's own format 2 appends sent from its store to a full peer's (the sender half, `batchesV2(after:)`, and the
    /// receive half, `resolvedBatch(against:)`), a few seal ranges per round by the limit, until the peer is caught up:
    /// the same state, verified. A peer whose vector stands inside a seal range gets the whole range again.
    @Test func aNodesFormat2LogSyncsToAFullPeerAsRuns() throws {
        let key = try SigningKey(seed: [UInt8](repeating: 33, count: 32))
        let author = LocalAuthor(key: key, epoch: 6, format: 2)
        let node = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        let peer = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        var sending = RunDictionary(), receiving = RunDictionary()
        var rounds = 0
        func sync() throws {
            while case let batches = try node.batchesV2(after: peer.versionVector(), limit: 10), !batches.isEmpty {
                rounds += 1
                #expect(batches.allSatisfy { $0.ops.count <= 10 || $0.seals.count == 1 }, "whole ranges within the limit")
                let bytes = RunV2.encode(batches.map(RunV2.init(fullRangesOf:)), dictionary: &sending)
                for run in try RunV2.decode(bytes, dictionary: &receiving) {
                    try peer.apply(v2: run.resolvedBatch(against: peer), clock: Self.clock)
                }
            }
        }
        for round in 0..<6 { try node.append(v2: Self.bodies(round), by: author, clock: FixedClock(millis: Self.start + UInt64(round) * 1_000)) }
        try sync()
        #expect(rounds == 3, "24 ops in ranges of 4, at most 10 ops a round: 2 + 2 + 2 ranges")
        for round in 6..<8 { try node.append(v2: Self.bodies(round), by: author, clock: FixedClock(millis: Self.start + UInt64(round) * 1_000)) }
        try sync()
        #expect(try peer.versionVector()[author.log] == 32)
        #expect(try peer.stateHash() == node.stateHash())
        let report = try peer.verify()
        #expect(report.isOK && report.ops == 32, "\(report.problems)")

        let inside = try node.batchesV2(after: VersionVector([author.log: 6]))
        #expect(inside.map { $0.ops.first?.header.seq } == [5], "seq 6 is in the range 5...8: it is sent from 5")
        let again = try peer.apply(v2: inside[0], clock: Self.clock)
        #expect(again.applied == 0 && again.duplicates == 28, "5...32, all held")
        #expect(try node.batch(after: VersionVector()).ops.isEmpty, "not in format 1 batches")
    }

    /// Two authors' logs sent as runs, one batch of runs per round, through one pair of dictionaries: the store ends
    /// with every writer's hash, and with the state of the same ops appended in format 1.
    @Test func runsResolvedAgainstTheStoreApplyAsTheirFormat1Twins() throws {
        let keys = try [31, 32].map { try SigningKey(seed: [UInt8](repeating: UInt8($0), count: 32)) }
        var writers = keys.map { Format2LogWriter(key: $0, epoch: 5) }
        let twins = try keys.map { _ in try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis) }
        let receiver = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        let reference = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        var sending = RunDictionary(), receiving = RunDictionary()
        var wireBytes = 0
        for round in 0..<5 {
            var runs: [RunV2] = []
            for index in writers.indices {
                let appended = try twins[index].append(Self.bodies(round + index), by: LocalAuthor(key: keys[index], epoch: 5),
                                                       clock: FixedClock(millis: Self.start + UInt64(round) * 1_000))
                let hlcs = appended.headers.map(\.hlc)
                runs.append(RunV2(fullRangesOf: writers[index].batch(Self.bodies(round + index)) { hlcs[$0] }))
            }
            let bytes = RunV2.encode(runs, dictionary: &sending)
            wireBytes += bytes.count
            for run in try RunV2.decode(bytes, dictionary: &receiving) {
                #expect(try receiver.apply(v2: run.resolvedBatch(against: receiver), clock: Self.clock).applied == 4)
            }
        }
        for twin in twins {
            try reference.apply(twin.batch(after: VersionVector()), clock: Self.clock)
        }
        #expect(try receiver.stateHash() == reference.stateHash())
        #expect(try receiver.verify().isOK)
        for writer in writers {
            let held = try receiver.heldBefore(writer.log, firstSeq: writer.seq + 1, scopes: [], seals: [writer.seq])
            #expect(held.prev == writer.prev)
        }
        // 2,275 bytes when written: 10 seals (~100 bytes each), two author keys and eight scope ids once, ~25 per op.
        // Sending the 32-byte prev or scope prev of every op would add 1,280.
        #expect(wireBytes < 3_000, "prev, scope prev and heads are omitted: \(wireBytes) bytes for 40 ops")
    }

    /// A run changed in flight resolves to other hashes, which its seal does not sign; a run that does not follow what
    /// the store holds cannot be resolved. Neither reaches the store.
    @Test func aRunAlteredInFlightIsRefused() throws {
        var writer = Format2LogWriter(key: try SigningKey(seed: [UInt8](repeating: 33, count: 32)), epoch: 1)
        let receiver = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        let first = writer.batch(Self.bodies(0)) { HLC(physicalMillis: Self.start + UInt64($0), logical: 0) }
        let second = writer.batch(Self.bodies(1)) { HLC(physicalMillis: Self.start + 100 + UInt64($0), logical: 0) }
        #expect(try receiver.apply(v2: RunV2(fullRangesOf: first).resolvedBatch(against: receiver), clock: Self.clock).applied == 4)
        var altered = RunV2(fullRangesOf: second)
        altered.ops[1].hlc = HLC(rawValue: altered.ops[1].hlc.rawValue + 1)
        #expect(throws: RunError.badSignature(seq: 8)) { _ = try altered.resolvedBatch(against: receiver) }
        // A run that skips the receiver's head cannot be resolved: its first prev is not held.
        var skipping = RunV2(fullRangesOf: second)
        skipping.ops.removeFirst()
        #expect(throws: RunError.missingPrev(seq: 6)) { _ = try skipping.resolvedBatch(against: receiver) }
        #expect(try receiver.opCount() == 4)
        #expect(try receiver.apply(v2: RunV2(fullRangesOf: second).resolvedBatch(against: receiver), clock: Self.clock).applied == 4)
    }
}
