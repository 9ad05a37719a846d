import Foundation
import RoostCore
import RoostCrypto
import RoostStore
import RoostSync
import Testing

/// The sync messages' canonical encoding: round trips, and refusal of every malformed input.
@Suite struct SyncMessageTests {
    /// One message of every kind (and both shapes of the optional fields), with real signed ops.
    static func samples() throws -> [SyncMessage] {
        let a = try SyncTestNode(seed: 1, epoch: 7)
        let b = try SyncTestNode(seed: 2, epoch: Limits.maxOrdinal)
        try a.append(3)
        try a.append(1, at: syncBaseMillis + 5)
        try b.append(2)
        try a.store.apply(try b.store.batch(after: VersionVector()), clock: FixedClock(millis: syncBaseMillis))
        let batch = try a.store.batch(after: VersionVector(), limit: 2)
        let vector = try a.vector()
        var erased = batch
        erased.ops[0].body = nil
        return [
            .hello(SyncHello(node: a.id, window: 2, vector: vector)),
            .hello(SyncHello(protocolVersion: 9, node: b.id, window: UInt16(SyncLimits.maxWindow), vector: VersionVector())),
            .have(vector),
            .have(VersionVector()),
            .batch(id: 1, batch),
            .batch(id: UInt64.max, erased),
            .batch(id: 3, OpBatch()),
            .ack(id: 1, applied: 4),
            .ack(id: 2, applied: 0),
            .reject(id: 1, SyncRejection(code: .fork, op: OpRef(author: a.id, epoch: 7, seq: 2), text: "fork")),
            .reject(id: 2, SyncRejection(code: .storeFailure, op: nil, text: "disk full — écrit")),
            .ping(nonce: 0),
            .pong(nonce: .max),
            .join(SyncJoin(inviteKey: a.id.key, signature: [UInt8](repeating: 9, count: 64))),
            .presence(SyncPresence(ticket: "p1193", activity: .viewing)),
            .wantBodies([BodyWant(ref: OpRef(author: a.id, epoch: 7, seq: 2), hash: b.id.key),
                         BodyWant(ref: OpRef(author: b.id, epoch: 1, seq: 1), hash: a.id.key)].sorted { $0.ref < $1.ref }),
            .bodies([HeldBody(ref: OpRef(author: a.id, epoch: 7, seq: 2), body: [1, 2, 3])]),
            .bodies([]),
            .vectorDigest(VectorDigest(of: vector)),
            .vectorDigest(VectorDigest(of: VersionVector())),
            .wantVector,
            .vector(vector),
            .vector(VersionVector()),
            .prune([a.id, b.id].sorted()),
            .graft([b.id]),
            .runs(id: 1, SyncMessage.runsOrder(of: batch)),
            .runs(id: UInt64.max, SyncMessage.runsOrder(of: erased)),
            .runs(id: 3, OpBatch()),
            .runsV2(id: 4, batch: [0]),
            .runsV2(id: 5, batch: try formatTwoBatch()),
        ] + (try partialSamples()) + SyncByeCode.allCases.map { .bye($0) }
    }

    /// A batch v2 of one format 2 log, encoded with a fresh dictionary (what a session's first `runs-v2` carries).
    static func formatTwoBatch() throws -> [UInt8] {
        let c = try SyncTestNode(seed: 3, epoch: 2, format: 2)
        try c.append(bodies: [.set(entity: EntityRef("ticket", "T-1"), field: "status", value: .string("open")),
                              .tagAdd(entity: EntityRef("ticket", "T-2"), tag: "vip")])
        var dictionary = RunDictionary()
        return RunV2.encode(try c.store.batchesV2(after: VersionVector(), limit: 10).map(RunV2.init(fullRangesOf:)), dictionary: &dictionary)
    }

    /// One or more of each message of partial replication (SPEC-partial.md §P.3).
    static func partialSamples() throws -> [SyncMessage] {
        let scopes: Set<ScopeID> = [OpCryptoV2.scopeID("t/p1"), OpCryptoV2.scopeID("c/42")]
        let messages: [SyncMessage] = [
            .subscribe(Subscription(queues: ["paris", "lyon", "default"])), .subscribe(.full),
            .wantScope(scopes), .haveScope([OpCryptoV2.scopeID("t/p2")]), .partialAck(0), .partialAck(300),
        ]
        return messages + [.partialBatch(try partialBatch())]
    }

    /// A `partial-batch` with the same runs, the scopes of its ops sent whole, encoded with a fresh dictionary.
    static func partialBatch() throws -> [UInt8] {
        var fresh = RunDictionary()
        let runs = try RunV2.decode(try formatTwoBatch(), dictionary: &fresh)
        var dictionary = RunDictionary()
        return PartialWire.encode(PartialBatch(runs: runs, backfill: Set(runs.flatMap { $0.ops.map(\.scope) }),
                                               covered: [LogID(author: runs[0].author, epoch: runs[0].epoch): 2], number: 1, complete: true),
                                  dictionary: &dictionary)
    }

    /// A `partial-batch`'s bytes, like a `runs-v2`'s, are the session's to decode (SPEC-partial.md §P.3b).
    static func partialBatchRefusedBySession(_ bytes: [UInt8]) -> Bool {
        guard case let .partialBatch(batch)? = try? SyncMessage.decode(bytes) else { return false }
        var fresh = RunDictionary()
        return (try? PartialWire.decodeBatch(batch, dictionary: &fresh)) == nil
    }

    /// A `runs-v2` carries its batch to the end of the message, which only the session can decode (its dictionaries,
    /// §2b.19): a cut or an extra byte inside the batch passes the message codec and fails there.
    static func refusedBySession(_ bytes: [UInt8]) -> Bool {
        guard case let .runsV2(_, batch)? = try? SyncMessage.decode(bytes) else { return false }
        var fresh = RunDictionary()
        return (try? RunV2.decode(batch, dictionary: &fresh)) == nil
    }

    @Test("every message round-trips, and its encoded length is known in advance")
    func roundTrip() throws {
        let samples = try Self.samples()
        #expect(Set(samples.map(\.tag)) == Set(SyncMessage.Tag.allCases))
        for message in samples {
            let bytes = message.encoded()
            #expect(bytes.first == message.tag.rawValue)
            #expect(bytes.count == message.encodedLength, "\(message.tag)")
            #expect(try SyncMessage.decode(bytes) == message, "\(message.tag)")
        }
    }

    @Test("a message cut at any position is refused")
    func truncatedEverywhere() throws {
        for message in try Self.samples() {
            let bytes = message.encoded()
            for cut in 0..<bytes.count {
                if message.tag == .runsV2 && cut > 9 {
                    #expect(Self.refusedBySession(Array(bytes[..<cut])), "runs-v2 cut at \(cut)")
                    continue
                }
                if message.tag == .partialBatch && cut > 1 {
                    #expect(Self.partialBatchRefusedBySession(Array(bytes[..<cut])), "partial-batch cut at \(cut)")
                    continue
                }
                #expect(throws: ByteDecodingError.self, "\(message.tag) cut at \(cut)") {
                    try SyncMessage.decode(Array(bytes[..<cut]))
                }
            }
        }
    }

    @Test("trailing bytes are refused")
    func trailing() throws {
        for message in try Self.samples() {
            if message.tag == .runsV2 {
                #expect(Self.refusedBySession(message.encoded() + [0]))
                continue
            }
            if message.tag == .partialBatch {
                #expect(Self.partialBatchRefusedBySession(message.encoded() + [0]))
                continue
            }
            #expect(throws: ByteDecodingError.trailingBytes(count: 1)) { try SyncMessage.decode(message.encoded() + [0]) }
        }
    }

    @Test("undefined tags, flags and codes are refused")
    func undefinedValues() throws {
        #expect(throws: ByteDecodingError.invalidTag(field: "message.tag", value: 0)) { try SyncMessage.decode([0]) }
        #expect(throws: ByteDecodingError.invalidTag(field: "message.tag", value: 25)) { try SyncMessage.decode([25]) }
        #expect(throws: ByteDecodingError.invalidTag(field: "bye.code", value: 5)) { try SyncMessage.decode([8, 5]) }

        var reject = ByteWriter()
        reject.u8(5); reject.u64(1); reject.u16(99)
        #expect(throws: ByteDecodingError.invalidTag(field: "reject.code", value: 99)) { try SyncMessage.decode(reject.bytes) }
        var flag = ByteWriter()
        flag.u8(5); flag.u64(1); flag.u16(1); flag.u8(2)
        #expect(throws: ByteDecodingError.invalidTag(field: "reject.hasOp", value: 2)) { try SyncMessage.decode(flag.bytes) }

        // An op whose body flag is 2.
        let batch = try #require(try Self.samples().compactMap { if case let .batch(_, b) = $0, !b.isEmpty { b } else { nil } }.first)
        var w = ByteWriter()
        w.u8(3); w.u64(1); w.u32(1)
        batch.ops[0].header.encode(into: &w)
        w.u8(2)
        #expect(throws: ByteDecodingError.invalidTag(field: "batch.op.hasBody", value: 2)) { try SyncMessage.decode(w.bytes) }

        // Hello windows 0 and over the limit.
        for (window, error) in [(UInt16(0), ByteDecodingError.invalidTag(field: "hello.window", value: 0)),
                                (UInt16(SyncLimits.maxWindow + 1), .tooLarge(field: "hello.window", length: SyncLimits.maxWindow + 1, limit: SyncLimits.maxWindow))] {
            var hello = ByteWriter()
            hello.u8(1); hello.u16(1); hello.raw([UInt8](repeating: 1, count: 32)); hello.u16(window); hello.u32(0)
            #expect(throws: error) { try SyncMessage.decode(hello.bytes) }
        }
    }

    @Test("huge counts and lengths are refused before allocating")
    func hugeCounts() throws {
        // Vector entry counts: over the limit, and within it but longer than the input.
        var have = ByteWriter()
        have.u8(2); have.u32(.max)
        #expect(throws: ByteDecodingError.tooLarge(field: "have.vector", length: Int(UInt32.max), limit: SyncLimits.maxVectorEntries)) {
            try SyncMessage.decode(have.bytes)
        }
        var short = ByteWriter()
        short.u8(2); short.u32(UInt32(SyncLimits.maxVectorEntries))
        #expect(throws: ByteDecodingError.truncated(field: "have.vector")) { try SyncMessage.decode(short.bytes) }

        // Op counts.
        var ops = ByteWriter()
        ops.u8(3); ops.u64(1); ops.u32(UInt32(SyncLimits.maxBatchOps + 1))
        #expect(throws: ByteDecodingError.tooLarge(field: "batch.ops", length: SyncLimits.maxBatchOps + 1, limit: SyncLimits.maxBatchOps)) {
            try SyncMessage.decode(ops.bytes)
        }
        var fewOps = ByteWriter()
        fewOps.u8(3); fewOps.u64(1); fewOps.u32(UInt32(SyncLimits.maxBatchOps)); fewOps.u32(0)
        #expect(throws: ByteDecodingError.truncated(field: "batch.ops")) { try SyncMessage.decode(fewOps.bytes) }

        // Seal counts.
        var seals = ByteWriter()
        seals.u8(3); seals.u64(1); seals.u32(0); seals.u32(.max)
        #expect(throws: ByteDecodingError.tooLarge(field: "batch.seals", length: Int(UInt32.max), limit: SyncLimits.maxBatchSeals)) {
            try SyncMessage.decode(seals.bytes)
        }
        var fewSeals = ByteWriter()
        fewSeals.u8(3); fewSeals.u64(1); fewSeals.u32(0); fewSeals.u32(2); fewSeals.raw([UInt8](repeating: 0, count: 144))
        #expect(throws: ByteDecodingError.truncated(field: "batch.seals")) { try SyncMessage.decode(fewSeals.bytes) }

        // A body length over the body limit.
        let batch = try #require(try Self.samples().compactMap { if case let .batch(_, b) = $0, !b.isEmpty { b } else { nil } }.first)
        var body = ByteWriter()
        body.u8(3); body.u64(1); body.u32(1)
        batch.ops[0].header.encode(into: &body)
        body.u8(1); body.u32(UInt32(Limits.maxBodyBytes + 1))
        #expect(throws: ByteDecodingError.tooLarge(field: "batch.op.body", length: Limits.maxBodyBytes + 1, limit: Limits.maxBodyBytes)) {
            try SyncMessage.decode(body.bytes)
        }

        // Reject text, ack count, and the whole message.
        var text = ByteWriter()
        text.u8(5); text.u64(1); text.u16(1); text.u8(0); text.u32(UInt32(SyncLimits.maxReasonBytes + 1))
        #expect(throws: ByteDecodingError.tooLarge(field: "reject.text", length: SyncLimits.maxReasonBytes + 1, limit: SyncLimits.maxReasonBytes)) {
            try SyncMessage.decode(text.bytes)
        }
        var ack = ByteWriter()
        ack.u8(4); ack.u64(1); ack.u32(UInt32(SyncLimits.maxBatchOps + 1))
        #expect(throws: ByteDecodingError.tooLarge(field: "ack.applied", length: SyncLimits.maxBatchOps + 1, limit: SyncLimits.maxBatchOps)) {
            try SyncMessage.decode(ack.bytes)
        }
        let huge = [UInt8](repeating: 6, count: SyncLimits.maxMessageBytes + 1)
        #expect(throws: ByteDecodingError.tooLarge(field: "message", length: huge.count, limit: SyncLimits.maxMessageBytes)) {
            try SyncMessage.decode(huge)
        }
    }

    @Test("version vectors must be canonical: ascending, unique, non-zero, in range")
    func canonicalVectors() throws {
        let low = LogID(author: AuthorID(key: Bytes32([UInt8](repeating: 1, count: 32))!), epoch: 5)
        let high = LogID(author: AuthorID(key: Bytes32([UInt8](repeating: 2, count: 32))!), epoch: 0)
        func have(_ entries: [(LogID, UInt64)]) -> [UInt8] {
            var w = ByteWriter()
            w.u8(2); w.u32(UInt32(entries.count))
            for (log, seq) in entries { w.bytes32(log.author.key); w.u64(log.epoch); w.u64(seq) }
            return w.bytes
        }
        #expect(try SyncMessage.decode(have([(low, 3), (high, 1)])) == .have(VersionVector([low: 3, high: 1])))
        #expect(throws: ByteDecodingError.self) { try SyncMessage.decode(have([(high, 1), (low, 3)])) }
        #expect(throws: ByteDecodingError.self) { try SyncMessage.decode(have([(low, 1), (low, 3)])) }
        #expect(throws: ByteDecodingError.notCanonical("have.vector has a zero entry")) { try SyncMessage.decode(have([(low, 0)])) }
        #expect(throws: ByteDecodingError.self) { try SyncMessage.decode(have([(low, Limits.maxOrdinal + 1)])) }
        // Zero entries are left out when encoding, so equal holdings encode the same.
        #expect(SyncMessage.have(VersionVector([low: 0, high: 2])).encoded() == SyncMessage.have(VersionVector([high: 2])).encoded())
    }

    @Test("rejections: store errors map to codes, texts are cut at the limit on a scalar boundary")
    func rejections() throws {
        let op = OpRef(author: AuthorID(key: .zero), epoch: 1, seq: 2)
        #expect(SyncRejection(StoreError.rejected(op: op, reason: .fork)).code == .fork)
        #expect(SyncRejection(StoreError.rejected(op: op, reason: .gap(have: 1, first: 3))).op == op)
        #expect(SyncRejection(StoreError.database("locked")).code == .storeFailure)
        #expect(SyncRejection(StoreError.rejected(op: nil, reason: .tooManyOps(count: 2, limit: 1))).op == nil)
        let long = SyncRejection(code: .badSeal, op: nil, text: String(repeating: "é", count: 600))
        #expect(long.text.utf8.count == SyncLimits.maxReasonBytes)
        #expect(try SyncMessage.decode(SyncMessage.reject(id: 1, long).encoded()) == .reject(id: 1, long))
        #expect(SyncRejectCode.gap.isTransient && SyncRejectCode.storeFailure.isTransient && !SyncRejectCode.fork.isTransient)
    }
}
