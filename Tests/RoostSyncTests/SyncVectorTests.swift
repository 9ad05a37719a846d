import Foundation
import RoostCore
import RoostCrypto
import RoostStore
import RoostSync
import Testing

// Checks Protocol/vectors/sync.json (Protocol/SPEC-sync.md §2b.10) both ways: each message built from its
// readable fields encodes to its hex, and its hex decodes to that message; each invalid input is refused
// with its error. To regenerate after a deliberate format change, run
//   ROOST_WRITE_SYNC_VECTORS=1 swift test --filter SyncVectorTests
// and review the diff.

@Suite struct SyncVectorTests {
    static let url = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Protocol/vectors/sync.json")

    @Test("sync.json: every message both ways, every invalid input refused with its error")
    func vectors() throws {
        if ProcessInfo.processInfo.environment["ROOST_WRITE_SYNC_VECTORS"] != nil {
            try Self.write()
        }
        let data = try Data(contentsOf: Self.url)
        let file = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let messages = try #require(file["messages"] as? [[String: Any]])
        var tags = Set<String>()
        for entry in messages {
            let name = try #require(entry["name"] as? String)
            let hex = try #require(entry["hex"] as? String)
            let bytes = try #require(Hex.decode(hex))
            let message = try Self.message(from: entry)
            tags.insert(try #require(entry["type"] as? String))
            #expect(Hex.encode(message.encoded()) == hex, "\(name): fields encode to the hex")
            #expect(try SyncMessage.decode(bytes) == message, "\(name): hex decodes to the fields")
            if case let .join(join) = message, let fields = entry["fields"] as? [String: Any] {
                // The signature is over exactly the bytes §2b.9 names, by the key the seed makes.
                let signed = Array("roost-join-v1".utf8) + join.inviteKey.bytes + (try Self.bytes(fields["joiner"]))
                    + (try Self.bytes(fields["member"]))
                #expect(Ed25519.verify(signature: join.signature, message: signed, publicKey: join.inviteKey.bytes), "\(name)")
                #expect(try SigningKey(seed: try Self.bytes(fields["invite_seed"])).publicKey == join.inviteKey.bytes)
            }
        }
        #expect(tags == Set(SyncMessage.Tag.allCases.map { "\($0)" }), "every message type has a vector")
        try Self.checkRunsV2Sequence(messages)
        try Self.checkPartialBatches(messages)

        let invalid = try #require(file["invalid"] as? [[String: Any]])
        #expect(invalid.count >= 10)
        for entry in invalid {
            let name = try #require(entry["name"] as? String)
            let bytes = try Self.bytes(entry["hex"])
            let expected = try #require(entry["error"] as? String)
            do {
                let message = try SyncMessage.decode(bytes)
                Issue.record("\(name): decoded to \(message), expected \(expected)")
            } catch {
                #expect(Self.describe(error) == expected, "\(name)")
            }
        }
    }

    // MARK: reading fields

    static func message(from entry: [String: Any]) throws -> SyncMessage {
        let fields = try #require(entry["fields"] as? [String: Any])
        switch try #require(entry["type"] as? String) {
        case "hello":
            return .hello(SyncHello(
                protocolVersion: UInt16(try int(fields["protocol_version"])), node: try author(fields["node"]),
                window: UInt16(try int(fields["window"])), vector: try vector(fields["vector"])))
        case "have":
            return .have(try vector(fields["vector"]))
        case "batch":
            let ops = try #require(fields["ops"] as? [[String: Any]]).map { op in
                Op(header: try OpHeader.decode(try bytes(op["header_hex"])),
                   body: op["body_hex"] is NSNull ? nil : try bytes(op["body_hex"]))
            }
            let seals = try #require(fields["seals"] as? [String]).map { try Seal.decode(try bytes($0)) }
            return .batch(id: try u64(fields["id"]), OpBatch(ops: ops, seals: seals))
        case "runs":
            guard case let .batch(id, batch) = try message(from: ["type": "batch", "fields": fields]) else {
                throw VectorError(description: "runs fields do not read as a batch")
            }
            return .runs(id: id, batch)
        case "runsV2":
            return .runsV2(id: try u64(fields["id"]), batch: try bytes(fields["batch_hex"]))
        case "subscribe":
            let everything = try #require(fields["everything"] as? Bool)
            let queues = try #require(fields["queues"] as? [String])
            return .subscribe(everything ? .full : Subscription(queues: Set(queues)))
        case "wantScope":
            return .wantScope(Set(try scopes(fields["scopes"])))
        case "haveScope":
            return .haveScope(Set(try scopes(fields["scopes"])))
        case "partialAck":
            return .partialAck(try u64(fields["number"]))
        case "partialBatch":
            return .partialBatch(try bytes(fields["batch_hex"]))
        case "ack":
            return .ack(id: try u64(fields["id"]), applied: Int(try int(fields["applied"])))
        case "reject":
            let code = try #require(SyncRejectCode(rawValue: UInt16(try int(fields["code"]))))
            #expect(fields["code_name"] as? String == code.description)
            var op: OpRef?
            if let ref = fields["op"] as? [String: Any] {
                op = OpRef(author: try author(ref["author"]), epoch: try u64(ref["epoch"]), seq: try u64(ref["seq"]))
            }
            return .reject(id: try u64(fields["id"]),
                           SyncRejection(code: code, op: op, text: try #require(fields["text"] as? String)))
        case "ping":
            return .ping(nonce: try u64(fields["nonce"]))
        case "pong":
            return .pong(nonce: try u64(fields["nonce"]))
        case "bye":
            let code = try #require(SyncByeCode(rawValue: UInt8(try int(fields["code"]))))
            #expect(fields["code_name"] as? String == code.description)
            return .bye(code)
        case "presence":
            let activity = try #require(SyncPresence.Activity(rawValue: UInt8(try int(fields["activity"]))))
            return .presence(SyncPresence(ticket: try #require(fields["ticket"] as? String), activity: activity))
        case "join":
            return .join(SyncJoin(inviteKey: try #require(Bytes32(try bytes(fields["invite_key"]))),
                                  signature: try bytes(fields["signature"])))
        case "wantBodies":
            return .wantBodies(try #require(fields["wants"] as? [[String: Any]]).map { want in
                BodyWant(ref: OpRef(author: try author(want["author"]), epoch: try u64(want["epoch"]), seq: try u64(want["seq"])),
                         hash: try #require(Bytes32(try bytes(want["hash"]))))
            })
        case "bodies":
            return .bodies(try #require(fields["bodies"] as? [[String: Any]]).map { item in
                HeldBody(ref: OpRef(author: try author(item["author"]), epoch: try u64(item["epoch"]), seq: try u64(item["seq"])),
                         body: try bytes(item["body"]))
            })
        case "vectorDigest":
            let digest = VectorDigest(count: UInt32(try int(fields["count"])), digest: try bytes(fields["digest"]))
            // The digest is of the vector given beside it (§2b.16).
            #expect(VectorDigest(of: try vector(fields["vector"])) == digest)
            return .vectorDigest(digest)
        case "wantVector":
            return .wantVector
        case "vector":
            return .vector(try vector(fields["vector"]))
        case "prune":
            return .prune(try #require(fields["authors"] as? [String]).map(author))
        case "graft":
            return .graft(try #require(fields["authors"] as? [String]).map(author))
        case let other:
            throw VectorError(description: "unknown message type \(other)")
        }
    }

    struct VectorError: Error, CustomStringConvertible { var description: String }

    /// The `runs-v2` messages are one direction of one session, in order (§2b.19): decoded with one dictionary each
    /// lists the runs its fields name, and those runs encoded with one dictionary give its bytes again.
    static func checkRunsV2Sequence(_ messages: [[String: Any]]) throws {
        var decoder = RunDictionary(), encoder = RunDictionary()
        var count = 0
        for entry in messages where entry["type"] as? String == "runsV2" {
            let fields = try #require(entry["fields"] as? [String: Any])
            let batch = try bytes(fields["batch_hex"])
            let runs = try RunV2.decode(batch, dictionary: &decoder)
            #expect(runs.map(summary) == (fields["runs"] as? [[String: String]]), "\(entry["name"] ?? "runs-v2"): its runs")
            #expect(RunV2.encode(runs, dictionary: &encoder) == batch, "\(entry["name"] ?? "runs-v2"): re-encoded")
            count += 1
        }
        #expect(count >= 2, "a runs-v2 that uses the dictionary entries of the one before it")
    }

    static func scopes(_ value: Any?) throws -> [ScopeID] {
        try #require(value as? [String]).map { try #require(ScopeID(try bytes($0))) }
    }

    /// A `partial-batch`'s bytes (SPEC-partial.md §P.3b) decode, with a fresh dictionary, to what its fields say, and
    /// encode back to them.
    static func checkPartialBatches(_ messages: [[String: Any]]) throws {
        var count = 0
        for entry in messages where entry["type"] as? String == "partialBatch" {
            let fields = try #require(entry["fields"] as? [String: Any])
            let bytes = try bytes(fields["batch_hex"])
            var decoder = RunDictionary(), encoder = RunDictionary()
            let batch = try PartialWire.decodeBatch(bytes, dictionary: &decoder)
            let name = entry["name"] as? String ?? "partial-batch"
            #expect(batch.number == (try u64(fields["number"])) && batch.complete == (fields["complete"] as? Bool), "\(name)")
            #expect(batch.backfill == Set(try scopes(fields["whole"])), "\(name): whole scopes")
            #expect(json(VersionVector(batch.covered)) as NSArray == (fields["covered"] as? NSArray), "\(name): covered")
            #expect(batch.runs.map(summary) == (fields["runs"] as? [[String: String]]), "\(name): its runs")
            #expect(PartialWire.encode(batch, dictionary: &encoder) == bytes, "\(name): re-encoded")
            count += 1
        }
        #expect(count >= 1, "a partial-batch")
    }

    static func summary(_ run: RunV2) -> [String: String] {
        ["author": run.author.key.hex, "epoch": "\(run.epoch)", "seqs": run.ops.map { "\($0.seq)" }.joined(separator: ","),
         "scopes": run.ops.map { Hex.encode($0.scope.bytes) }.joined(separator: ","), "seals": run.seals.map { "\($0.fromSeq)-\($0.seq)" }.joined(separator: ",")]
    }

    static func bytes(_ value: Any?) throws -> [UInt8] {
        guard let text = value as? String, let bytes = Hex.decode(text) else {
            throw VectorError(description: "not hex: \(String(describing: value))")
        }
        return bytes
    }

    static func author(_ value: Any?) throws -> AuthorID {
        try #require(AuthorID(bytes: try bytes(value)))
    }

    /// 64-bit integers are decimal strings.
    static func u64(_ value: Any?) throws -> UInt64 {
        guard let text = value as? String, let number = UInt64(text) else {
            throw VectorError(description: "not a decimal u64 string: \(String(describing: value))")
        }
        return number
    }

    static func int(_ value: Any?) throws -> Int {
        try #require(value as? Int)
    }

    static func vector(_ value: Any?) throws -> VersionVector {
        var result = VersionVector()
        for entry in try #require(value as? [[String: Any]]) {
            result[LogID(author: try author(entry["author"]), epoch: try u64(entry["epoch"]))] = try u64(entry["seq"])
        }
        return result
    }

    static func describe(_ error: any Error) -> String {
        guard let error = error as? ByteDecodingError else { return "\(error)" }
        switch error {
        case let .truncated(field): return "truncated(\(field))"
        case let .trailingBytes(count): return "trailingBytes(\(count))"
        case let .tooLarge(field, length, limit): return "tooLarge(\(field), \(length), \(limit))"
        case let .invalidUTF8(field): return "invalidUTF8(\(field))"
        case let .invalidTag(field, value): return "invalidTag(\(field), \(value))"
        case let .notCanonical(reason): return "notCanonical(\(reason))"
        }
    }

    // MARK: writing

    static func write() throws {
        let a = try SyncTestNode(seed: 1, epoch: 0x0123_4567_89AB_CDEF)
        let b = try SyncTestNode(seed: 2, epoch: 1)
        try a.append(2, at: syncBaseMillis)
        try b.append(1, at: syncBaseMillis + 1)
        try a.store.apply(try b.store.batch(after: VersionVector()), clock: FixedClock(millis: syncBaseMillis + 2))
        let vector = try a.vector()
        let batch = try a.store.batch(after: VersionVector())
        var erased = try b.store.batch(after: VersionVector())
        erased.ops[0].body = nil

        var messages: [[String: Any]] = []
        func add(_ name: String, _ message: SyncMessage, _ fields: [String: Any]) throws {
            let entry: [String: Any] = ["name": name, "type": "\(message.tag)", "fields": fields,
                                        "hex": Hex.encode(message.encoded())]
            // What is written must read back as the same message.
            #expect(try Self.message(from: entry) == message, "\(name)")
            messages.append(entry)
        }
        try add("hello with two logs", .hello(SyncHello(protocolVersion: 2, node: a.id, window: 2, vector: vector)), [
            "protocol_version": 2, "node": a.id.key.hex, "window": 2, "vector": json(vector)])
        try add("hello from an empty node, version 1", .hello(SyncHello(protocolVersion: 1, node: b.id, window: 64,
                                                                            vector: VersionVector())), [
            "protocol_version": 1, "node": b.id.key.hex, "window": 64, "vector": [Any]()])
        try add("have, partial", .have(VersionVector([b.log: 1])), ["vector": json(VersionVector([b.log: 1]))])
        try add("batch of two logs with their seals", .batch(id: 1, batch), [
            "id": "1", "ops": batch.ops.map(json), "seals": batch.seals.map { Hex.encode($0.encoded()) }])
        try add("batch with an erased body", .batch(id: 2, erased), [
            "id": "2", "ops": erased.ops.map(json), "seals": erased.seals.map { Hex.encode($0.encoded()) }])
        try add("empty batch", .batch(id: UInt64.max, OpBatch()), ["id": "\(UInt64.max)", "ops": [Any](), "seals": [Any]()])
        try add("ack", .ack(id: 1, applied: 3), ["id": "1", "applied": 3])
        let forkRef = OpRef(author: a.id, epoch: a.log.epoch, seq: 2)
        try add("reject naming an op", .reject(id: 1, SyncRejection(code: .fork, op: forkRef, text: "fork: a different op")), [
            "id": "1", "code": 12, "code_name": "fork", "text": "fork: a different op",
            "op": ["author": a.id.key.hex, "epoch": "\(a.log.epoch)", "seq": "2"]])
        try add("reject of a whole batch", .reject(id: 7, SyncRejection(code: .storeFailure, op: nil, text: "disk full")), [
            "id": "7", "code": 100, "code_name": "store-failure", "text": "disk full", "op": NSNull()])
        try add("ping", .ping(nonce: 0x0102_0304_0506_0708), ["nonce": "\(0x0102_0304_0506_0708 as UInt64)"])
        try add("pong", .pong(nonce: 1), ["nonce": "1"])
        for code in SyncByeCode.allCases {
            try add("bye \(code)", .bye(code), ["code": Int(code.rawValue), "code_name": code.description])
        }

        // A join: the invite key (seed 07...) signs "roost-join-v1" || invite key || joiner || member.
        let inviteKey = try SigningKey(seed: [UInt8](repeating: 7, count: 32))
        let invitePublic = try #require(Bytes32(inviteKey.publicKey))
        let joinSignature = inviteKey.sign(SyncJoin.signedMessage(inviteKey: invitePublic, joiner: b.id, member: a.id))
        try add("join of node 2 to node 1", .join(SyncJoin(inviteKey: invitePublic, signature: joinSignature)), [
            "invite_key": invitePublic.hex, "invite_seed": String(repeating: "07", count: 32), "joiner": b.id.key.hex,
            "member": a.id.key.hex, "signature": Hex.encode(joinSignature)])

        try add("presence: replying on a ticket", .presence(SyncPresence(ticket: "p1850000000000000001", activity: .replying)),
                ["ticket": "p1850000000000000001", "activity": 2])
        try add("presence: gone", .presence(SyncPresence(ticket: "d1111-2244994945", activity: .gone)),
                ["ticket": "d1111-2244994945", "activity": 0])

        // Fetching bodies again (§2b.15): b's op 1, asked for by its position and header hash, and its body.
        let wanted = try b.store.batch(after: VersionVector()).ops[0]
        let want = BodyWant(ref: wanted.header.ref, hash: OpCrypto.headerHash(wanted.header))
        func position(_ ref: OpRef) -> [String: Any] { ["author": ref.author.key.hex, "epoch": "\(ref.epoch)", "seq": "\(ref.seq)"] }
        try add("want-bodies of one op", .wantBodies([want]), ["wants": [position(want.ref).merging(["hash": want.hash.hex]) { a, _ in a }]])
        let body = try #require(wanted.body)
        try add("bodies: the one asked for", .bodies([HeldBody(ref: want.ref, body: body)]),
                ["bodies": [position(want.ref).merging(["body": Hex.encode(body)]) { a, _ in a }]])
        try add("bodies: none held", .bodies([]), ["bodies": [Any]()])

        // Vector digests (§2b.16, version 2).
        let digest = VectorDigest(of: vector)
        try add("vector-digest of the two-log vector", .vectorDigest(digest),
                ["count": Int(digest.count), "digest": Hex.encode(digest.digest), "vector": json(vector)])
        let none = VectorDigest(of: VersionVector())
        try add("vector-digest of an empty vector", .vectorDigest(none),
                ["count": 0, "digest": Hex.encode(none.digest), "vector": [Any]()])
        try add("want-vector", .wantVector, [:])
        try add("vector (sets what the receiver believes the sender holds)", .vector(vector), ["vector": json(vector)])

        // Relay steering (§2b.17, version 2).
        let both = [a.id, b.id].sorted()
        try add("prune two authors", .prune(both), ["authors": both.map(\.key.hex)])
        try add("graft one author", .graft([b.id]), ["authors": [b.id.key.hex]])

        // Batches as runs (§2b.18, version 3): the fields are the batch the runs decode to (grouped by log).
        func addRuns(_ name: String, id: UInt64, _ batch: OpBatch) throws {
            let grouped = OpBatch(ops: SyncMessage.runsOrder(of: batch).ops, seals: batch.seals)
            try add(name, .runs(id: id, grouped), [
                "id": "\(id)", "ops": grouped.ops.map(json), "seals": grouped.seals.map { Hex.encode($0.encoded()) }])
        }
        try addRuns("runs of two logs with their seals", id: 1, batch)
        try addRuns("runs with an erased body", id: 2, erased)
        var disagreeing = OpBatch(ops: batch.ops.filter { $0.header.author == a.id })
        disagreeing.ops[0].header.bodyHash = try #require(Bytes32([UInt8](repeating: 0xAB, count: 32)))
        try addRuns("runs with a header that disagrees with its body (explicit fields, then an explicit prev)", id: 3, disagreeing)
        var gap = OpBatch(ops: batch.ops.filter { $0.header.author == a.id })
        gap.ops[1].header.seq = 4
        try addRuns("runs of a log with a gap", id: 4, gap)
        try addRuns("empty runs", id: UInt64.max, OpBatch())

        // Format 2 logs as runs-v2 (§2b.19, version 4): two messages of one session, the second naming its author and a
        // scope by the entries the first added to the dictionary.
        let v2 = LocalAuthor(key: try SigningKey(seed: [UInt8](repeating: 0x24, count: 32)), epoch: 2, format: 2)
        let v2Store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        try v2Store.append(v2: [.set(entity: EntityRef("ticket", "T-1"), field: "status", value: .string("open")),
                                .tagAdd(entity: EntityRef("ticket", "T-2"), tag: "billing")],
                           by: v2, clock: FixedClock(millis: syncBaseMillis))
        let firstRuns = try v2Store.batchesV2(after: VersionVector(), limit: 100).map(RunV2.init(fullRangesOf:))
        try v2Store.append(v2: [.set(entity: EntityRef("ticket", "T-1"), field: "status", value: .string("pending"))],
                           by: v2, clock: FixedClock(millis: syncBaseMillis + 1))
        let secondRuns = try v2Store.batchesV2(after: VersionVector([v2.log: 2]), limit: 100).map(RunV2.init(fullRangesOf:))
        var outbound = RunDictionary()
        for (index, runs) in [firstRuns, secondRuns].enumerated() {
            let bytes = RunV2.encode(runs, dictionary: &outbound)
            try add(index == 0 ? "runs-v2, its author and scopes new to the session's dictionary"
                               : "runs-v2 after it, naming its author and a scope by dictionary entry",
                    .runsV2(id: UInt64(index + 1), batch: bytes),
                    ["id": "\(index + 1)", "batch_hex": Hex.encode(bytes), "runs": runs.map(summary)])
        }

        // Partial replication's messages (SPEC-partial.md §P.3, §P.3b; version 4).
        let paris = OpCryptoV2.scopeID(Scope.ticket("p1")), lyon = OpCryptoV2.scopeID(Scope.ticket("p2"))
        try add("subscribe: two queues", .subscribe(Subscription(queues: ["paris", "lyon"])),
                ["everything": false, "queues": ["lyon", "paris"]])
        try add("subscribe: everything", .subscribe(.full), ["everything": true, "queues": [String]()])
        try add("want-scope of two tickets", .wantScope([paris, lyon]), ["scopes": [paris, lyon].sorted().map { Hex.encode($0.bytes) }])
        try add("have-scope of one ticket", .haveScope([lyon]), ["scopes": [Hex.encode(lyon.bytes)]])
        try add("partial-ack", .partialAck(3), ["number": "3"])
        let partial = PartialBatch(runs: firstRuns, backfill: Set(firstRuns.flatMap { $0.ops.map(\.scope) }),
                                   covered: [v2.log: 2], number: 1, complete: true)
        var partialDictionary = RunDictionary()
        let partialBytes = PartialWire.encode(partial, dictionary: &partialDictionary)
        try add("partial-batch: two ticket scopes whole, covered to seq 2", .partialBatch(partialBytes), [
            "batch_hex": Hex.encode(partialBytes), "number": "1", "complete": true,
            "whole": partial.backfill.sorted().map { Hex.encode($0.bytes) }, "covered": json(VersionVector(partial.covered)),
            "runs": firstRuns.map(summary)])

        let header = Hex.encode(batch.ops[0].header.encoded())
        let author1 = String(repeating: "01", count: 32), author2 = String(repeating: "02", count: 32)
        let zero = String(repeating: "00", count: 32), emptyHash = OpCrypto.bodyHash([]).hex
        /// A run's head: author, epoch 0, first seq (a varint's hex), prev, op count (below 128).
        func run(_ author: String, seq: String, ops: Int, prev: String? = nil) -> String {
            author + "00" + seq + (prev ?? zero) + String(format: "%02x", ops)
        }
        let invalid: [(String, String)] = [
            ("empty input", ""),
            ("vector-digest with a short digest", "0f" + "00000001" + String(repeating: "ab", count: 15)),
            ("vector-digest with a count over the limit", "0f" + "00010001" + String(repeating: "ab", count: 16)),
            ("want-vector with a trailing byte", "10" + "00"),
            ("prune naming no author", "12" + "00000000"),
            ("graft with authors out of order", "13" + "00000002" + author2 + author1),
            ("prune with a count longer than the input", "12" + "00000002" + author1),
            ("vector with a zero entry", "11" + "00000001" + author1 + "0000000000000000" + "0000000000000000"),
            ("undefined tag", "ff"),
            ("want-bodies naming no op", "0b" + "00000000"),
            ("want-bodies over the limit", "0b" + "00000401"),
            ("want-bodies out of order", "0b" + "00000002" + author2 + "0000000000000000" + "0000000000000001" + author1
                + author1 + "0000000000000000" + "0000000000000001" + author1),
            ("bodies with a body over the limit", "0c" + "00000001" + author1 + "0000000000000000" + "0000000000000001" + "00040001"),
            ("presence with an undefined activity", "0a" + "03" + "00000001" + "70"),
            ("presence with a ticket over the limit", "0a" + "01" + "00000101"),
            ("truncated join", "09" + author1),
            ("trailing byte after a ping", "06" + "0000000000000001" + "00"),
            ("truncated ping", "06" + "00000000"),
            ("bye with an undefined code", "0805"),
            ("hello with window 0", "01" + "0001" + author1 + "0000" + "00000000"),
            ("hello with a window over the limit", "01" + "0001" + author1 + "0041" + "00000000"),
            ("have with a count over the limit", "02" + "ffffffff"),
            ("have with a count longer than the input", "02" + "00000002" + author1 + "0000000000000001" + "0000000000000001"),
            ("have with entries out of order", "02" + "00000002" + author2 + "0000000000000000" + "0000000000000001"
                + author1 + "0000000000000000" + "0000000000000001"),
            ("have with a zero entry", "02" + "00000001" + author1 + "0000000000000000" + "0000000000000000"),
            ("batch with an op count over the limit", "03" + "0000000000000001" + "000186a1"),
            ("batch with an op count longer than the input", "03" + "0000000000000001" + "00000002" + header + "00" + "00000000"),
            ("batch op with body flag 2", "03" + "0000000000000001" + "00000001" + header + "02"),
            ("batch op with a body over the limit", "03" + "0000000000000001" + "00000001" + header + "01" + "00040001"),
            ("batch with a seal count over the limit", "03" + "0000000000000001" + "00000000" + "ffffffff"),
            ("runs op with flag 8", "17" + "0000000000000001" + "01" + run(author1, seq: "01", ops: 1) + "08" + "05" + "02" + "00"),
            ("runs whose first op has an explicit prev", "17" + "0000000000000001" + "01" + run(author1, seq: "01", ops: 1)
                + "03" + "05" + "02" + author2 + "00"),
            ("runs with an empty run", "17" + "0000000000000001" + "01" + run(author1, seq: "01", ops: 0) + "00" + "00000000"),
            ("runs with a run count longer than the input", "17" + "0000000000000001" + "02" + run(author1, seq: "01", ops: 1)
                + "01" + "05" + "02" + "00" + "00"),
            ("runs with an op count over the limit", "17" + "0000000000000001" + "01" + author1 + "00" + "01" + zero + "a18d06" + "0000000000000000"),
            ("runs with an HLC below zero", "17" + "0000000000000001" + "01" + run(author1, seq: "01", ops: 2)
                + "01" + "05" + "02" + "00" + "01" + "0d" + "02" + "00" + "00"),
            ("runs with explicit body fields equal to the body's", "17" + "0000000000000001" + "01" + run(author1, seq: "01", ops: 1)
                + "05" + "05" + "02" + "00" + emptyHash + "00" + "00"),
            ("runs with explicit body fields on an erased op", "17" + "0000000000000001" + "01" + run(author1, seq: "01", ops: 1)
                + "04" + "05" + "02" + "00" + emptyHash + "00"),
            ("runs op with an undefined kind", "17" + "0000000000000001" + "01" + run(author1, seq: "01", ops: 1) + "01" + "05" + "63" + "00"),
            ("runs continuing the run before it", "17" + "0000000000000001" + "02" + run(author1, seq: "01", ops: 1)
                + "01" + "05" + "02" + "00" + run(author1, seq: "02", ops: 1, prev: author2) + "01" + "06" + "02" + "00" + "00"),
            ("runs of a log separated by another log's", "17" + "0000000000000001" + "03"
                + run(author1, seq: "01", ops: 1) + "01" + "05" + "02" + "00"
                + run(author2, seq: "01", ops: 1) + "01" + "05" + "02" + "00"
                + run(author1, seq: "05", ops: 1, prev: author2) + "01" + "06" + "02" + "00" + "00"),
            ("runs with a non-zero prev at seq 1", "17" + "0000000000000001" + "01" + run(author1, seq: "01", ops: 1, prev: author2)
                + "01" + "05" + "02" + "00" + "00"),
            ("runs with a seal count longer than the input", "17" + "0000000000000001" + "00" + "01"),
            ("runs with a trailing byte", "17" + "0000000000000001" + "00" + "00" + "00"),
            ("runs-v2 without its batch", "18" + "0000000000000001"),
            ("runs-v2 with a short id", "18" + "000000"),
            ("subscribe with queues out of order", "0d" + "00" + "02" + "05" + Hex.encode(Array("paris".utf8)) + "04" + Hex.encode(Array("lyon".utf8))),
            ("subscribe to everything naming a queue", "0d" + "01" + "01" + "04" + Hex.encode(Array("lyon".utf8))),
            ("want-scope of no scope", "0e" + "00"),
            ("partial-batch without its bytes", "14"),
            ("partial-ack with a trailing byte", "15" + "03" + "00"),
            ("ack with a count over the limit", "04" + "0000000000000001" + "000186a1"),
            ("reject with an undefined code", "05" + "0000000000000001" + "0063"),
            ("reject with op flag 2", "05" + "0000000000000001" + "0001" + "02"),
            ("reject with a text over the limit", "05" + "0000000000000001" + "0001" + "00" + "00000401"),
            ("reject with invalid UTF-8", "05" + "0000000000000001" + "0001" + "00" + "00000001" + "ff"),
        ]
        var invalidEntries: [[String: Any]] = []
        for (name, hex) in invalid {
            let bytes = try #require(Hex.decode(hex))
            let error: String
            do {
                _ = try SyncMessage.decode(bytes)
                throw VectorError(description: "invalid vector \(name) decodes")
            } catch let decoding as ByteDecodingError {
                error = describe(decoding)
            }
            invalidEntries.append(["name": name, "hex": hex, "error": error])
        }
        let document: [String: Any] = [
            "description": """
                Sync messages (Protocol/SPEC-sync.md). Each message: its type, readable fields and canonical \
                encoding (hex). 64-bit integers are decimal strings; bytes are lower-case hex. Batch ops are \
                given as their 127-byte header and body (null when erased); seals as their 144 bytes. Vectors \
                list (author, epoch, seq) entries. Invalid inputs name the decoding error they produce \
                (the ByteDecodingError case, its field, and for tooLarge the length and limit).
                """,
            "messages": messages,
            "invalid": invalidEntries,
        ]
        let data = try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try (data + Data("\n".utf8)).write(to: url)
    }

    static func json(_ vector: VersionVector) -> [[String: Any]] {
        vector.entries.filter { $0.value > 0 }.sorted { $0.key < $1.key }.map { log, seq in
            ["author": log.author.key.hex, "epoch": "\(log.epoch)", "seq": "\(seq)"]
        }
    }

    static func json(_ op: Op) -> [String: Any] {
        ["header_hex": Hex.encode(op.header.encoded()), "body_hex": op.body.map { Hex.encode($0) } ?? NSNull(),
         "author": op.header.author.key.hex, "seq": "\(op.header.seq)"]
    }
}
