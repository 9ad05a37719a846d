import Foundation
import RoostCore
import RoostCrypto
import RoostSync
import Testing

// Checks Protocol/vectors/ops-v2.json and runs-v2.json (Protocol/SPEC-format-2.md §2.7) both ways: readable values
// encode to the bytes, the bytes decode to the values, hashes and signatures recompute. To regenerate after a
// deliberate format change, run
//   ROOST_WRITE_FORMAT2_VECTORS=1 swift test --filter FormatV2VectorTests
// and review the diff.

@Suite(.serialized) struct FormatV2VectorTests {
    typealias V = FormatV2Vectors

    init() throws {
        if ProcessInfo.processInfo.environment["ROOST_WRITE_FORMAT2_VECTORS"] == "1" {
            try V.write("ops-v2.json", try V.opsFile())
            try V.write("runs-v2.json", try V.runsFile())
            try V.write("partial.json", V.partialFile())
        }
    }

    static func decodeVarint(_ bytes: [UInt8]) throws -> UInt64 {
        try ByteReader.decodeAll(bytes) { r throws(ByteDecodingError) in try r.varint("v") }
    }

    @Test("ops-v2.json: varints and zigzag both ways, non-canonical varints refused")
    func varints() throws {
        let file = try V.load("ops-v2.json")
        let varints = try #require(file["varints"] as? [[String: Any]])
        #expect(varints.count >= 6)
        for entry in varints {
            let value = try V.u64(entry["value"]), bytes = try V.bytes(entry["hex"])
            var w = ByteWriter()
            w.varint(value)
            #expect(w.bytes == bytes, "\(value) encodes")
            #expect(try Self.decodeVarint(bytes) == value, "\(V.hex(bytes)) decodes")
            #expect(Varint.length(value) == bytes.count)
        }
        for entry in try #require(file["zigzag"] as? [[String: Any]]) {
            let int = try #require(Int64(try V.string(entry["int"]))), value = try V.u64(entry["value"])
            #expect(Varint.zigzag(int) == value && Varint.unzigzag(value) == int, "zigzag \(int)")
        }
        for entry in try #require(file["invalid_varints"] as? [[String: Any]]) {
            let bytes = try V.bytes(entry["hex"])
            #expect(throws: (any Error).self) { try Self.decodeVarint(bytes) }
            do {
                _ = try Self.decodeVarint(bytes)
            } catch {
                #expect(V.errorClass(error) == entry["error"] as? String, "\(entry["name"] ?? "")")
            }
        }
    }

    @Test("ops-v2.json: scope ids, bodies v2 against their format 1 twins, and each body's scope")
    func bodies() throws {
        let file = try V.load("ops-v2.json")
        for entry in try #require(file["scopes"] as? [[String: Any]]) {
            let name = try V.string(entry["name"])
            #expect(OpCryptoV2.scopeID(name).bytes == (try V.bytes(entry["id"])), "scope \(name)")
        }
        let bodies = try #require(file["bodies"] as? [[String: Any]])
        #expect(Set(try bodies.map { try V.kind($0["kind"]) }) == Set(OpKind.allCases))
        var codes = Set<UInt8>()
        for entry in bodies {
            let name = try V.string(entry["name"])
            let kind = try V.kind(entry["kind"])
            let body = try OpBody.decode(kind: kind, bytes: try V.bytes(entry["v1_hex"]))
            let v2 = try V.bytes(entry["v2_hex"])
            #expect(body.encodedV2() == v2, "\(name): the value encodes to v2_hex")
            #expect(try OpBody.decodeV2(kind: kind, bytes: v2) == body, "\(name): v2_hex decodes to the value")
            #expect(Scope.name(of: body) { $0 == "m1" ? "p1" : nil } == entry["scope"] as? String, "\(name): scope")
            #expect(v2.count < body.encoded().count, "\(name): v2 is shorter than v1")
            codes.insert(v2[0])
        }
        #expect(codes.contains(0) && codes.count >= 4, "named collections and a spelled-out one")
    }

    @Test("ops-v2.json: hashed headers both ways, op hashes, and the chains they form")
    func headers() throws {
        let file = try V.load("ops-v2.json")
        let headers = try #require(file["headers"] as? [[String: Any]])
        #expect(headers.count >= 10)
        var previous = Bytes32.zero
        var lastInScope: [ScopeID: UInt64] = [:]
        for entry in headers {
            let body = try V.bytes(entry["body_v2_hex"])
            let header = OpHeaderV2(
                author: AuthorID(key: try V.bytes32(entry["author"])), epoch: try V.u64(entry["epoch"]), seq: try V.u64(entry["seq"]),
                prev: try V.bytes32(entry["prev"]), hlc: HLC(rawValue: try V.u64(entry["hlc"])),
                kind: try V.kind(entry["kind"]),
                scope: try V.scopeID(entry["scope"]), scopePrev: try V.u64(entry["scope_prev"]),
                bodyLength: UInt32(body.count), bodyHash: OpCrypto.bodyHash(body))
            let hashed = try V.bytes(entry["hashed_hex"])
            #expect(hashed.count == OpHeaderV2.encodedLength)
            #expect(header.encoded() == hashed, "seq \(header.seq): fields encode to hashed_hex")
            #expect(try OpHeaderV2.decode(hashed) == header, "seq \(header.seq): hashed_hex decodes to the fields")
            let hash = OpCryptoV2.opHash(header)
            #expect(hash == (try V.bytes32(entry["op_hash"])), "seq \(header.seq): op hash")
            #expect(header.prev == previous, "seq \(header.seq): prev is the previous op's hash")
            #expect(header.scopePrev == (lastInScope[header.scope] ?? 0), "seq \(header.seq): scope prev is the previous op of its scope, by seq")
            previous = hash
            lastInScope[header.scope] = header.seq
        }
    }

    @Test("ops-v2.json: seals v2, their scopes trees, signatures and inclusion paths")
    func seals() throws {
        let file = try V.load("ops-v2.json")
        let headers = try #require(file["headers"] as? [[String: Any]])
        let ops = try headers.map { (seq: try V.u64($0["seq"]), scope: try V.scopeID($0["scope"]),
                                     hash: try V.bytes32($0["op_hash"])) }
        let seals = try #require(file["seals"] as? [[String: Any]])
        #expect(seals.count >= 3)
        for entry in seals {
            let name = try V.string(entry["name"])
            let key = try SigningKey(seed: try V.bytes(entry["seed"]))
            let from = try V.u64(entry["from_seq"]), seq = try V.u64(entry["seq"])
            let leaves = try (try V.objects(entry["leaves"])).map { leaf in
                let value = OpCryptoV2.ScopeLeaf(scope: try V.scopeID(leaf["scope"]),
                                                 opHashes: try (leaf["op_hashes"] as? [Any] ?? []).map { try V.bytes32($0) })
                #expect(OpCryptoV2.leafHash(value) == (try V.bytes32(leaf["leaf_hash"])), "\(name): leaf hash")
                return value
            }
            #expect(OpCryptoV2.leaves(of: ops.filter { (from...seq).contains($0.seq) }.map { ($0.scope, $0.hash) }) == leaves,
                    "\(name): the leaves are every op of each scope in the range, sorted by scope")
            let root = OpCryptoV2.root(leaves)
            #expect(root == (try V.bytes32(entry["scopes_root"])), "\(name): scopes root")
            let head = try V.bytes32(entry["head"])
            #expect(head == ops.first { $0.seq == seq }?.hash)
            let seal = OpCryptoV2.seal(key: key, epoch: V.epoch, fromSeq: from, seq: seq, head: head, scopesRoot: root)
            #expect(seal.signedMessage == (try V.bytes(entry["signed_hex"])), "\(name): signed message")
            #expect(seal.signature == (try V.bytes(entry["signature"])), "\(name): deterministic signature")
            #expect(OpCryptoV2.verify(seal))
            var forged = seal
            forged.scopesRoot = head
            #expect(!OpCryptoV2.verify(forged), "\(name): the signature covers the scopes root")
            let stored = try V.bytes(entry["stored_hex"])
            let decodedSeal = try SealV2.decode(stored)
            #expect(seal.encoded() == stored && decodedSeal == seal, "\(name): stored form both ways")
            let paths = try #require(entry["paths"] as? [[Any]])
            #expect(paths.count == leaves.count)
            for (index, path) in paths.enumerated() {
                let hashes = try path.map(V.bytes32)
                #expect(OpCryptoV2.inclusionPath(leaves, index: index) == hashes, "\(name): path \(index)")
                #expect(OpCryptoV2.verifyInclusion(leaf: leaves[index], index: index, count: leaves.count, path: hashes, root: root))
                if leaves.count > 1 {
                    let other = (index + 1) % leaves.count
                    #expect(!OpCryptoV2.verifyInclusion(leaf: leaves[index], index: other, count: leaves.count, path: hashes, root: root),
                            "\(name): path \(index) does not prove index \(other)")
                }
            }
        }
    }

    @Test("ops-v2.json: every invalid body, header and seal refused with its error class")
    func invalid() throws {
        let file = try V.load("ops-v2.json")
        let invalid = try #require(file["invalid"] as? [[String: Any]])
        #expect(invalid.count >= 15)
        for entry in invalid {
            let name = try V.string(entry["name"])
            let bytes = try V.bytes(entry["hex"])
            let expected = try #require(entry["error"] as? String)
            do {
                switch entry["decode"] as? String {
                case "body_v2":
                    let kind = try V.kind(entry["kind"])
                    _ = try OpBody.decodeV2(kind: kind, bytes: bytes)
                case "header_v2": _ = try OpHeaderV2.decode(bytes)
                case "seal_v2": _ = try SealV2.decode(bytes)
                default: Issue.record("\(name): unknown decoder")
                }
                Issue.record("\(name): decoded, expected \(expected)")
            } catch {
                #expect(V.errorClass(error) == expected, "\(name): \(error)")
            }
        }
    }

    @Test("runs-v2.json: batches both ways through one session's dictionaries, resolved to the same headers and hashes")
    func runs() throws {
        let file = try V.load("runs-v2.json")
        let sessions = try #require(file["sessions"] as? [[String: Any]])
        #expect(sessions.count >= 3)
        var sawErased = false, sawPath = false, sawReference = false
        for session in sessions {
            let name = try #require(session["name"] as? String)
            var decoder = RunDictionary(), encoder = RunDictionary()
            for batch in try #require(session["batches"] as? [[String: Any]]) {
                let bytes = try V.bytes(batch["hex"])
                let runs = try (try V.objects(batch["runs"])).map(V.run(json:))
                #expect(RunV2.encode(runs, dictionary: &encoder) == bytes, "\(name): runs encode to the hex")
                #expect(try RunV2.decode(bytes, dictionary: &decoder) == runs, "\(name): the hex decodes to the runs")
                let held = try V.Held(json: try V.objects(batch["held"]))
                let expected = try #require(batch["resolved"] as? [[String: Any]])
                #expect(expected.count == runs.count)
                for (run, want) in zip(runs, expected) {
                    let resolved = try run.resolve(held: held.log(run.author))
                    let ops = try #require(want["ops"] as? [[String: Any]])
                    #expect(resolved.map { V.hex($0.header.encoded()) } == ops.map { $0["hashed_hex"] as? String ?? "" }, "\(name)")
                    #expect(resolved.map { V.hex($0.hash) } == ops.map { $0["op_hash"] as? String ?? "" }, "\(name)")
                    let sealed = try run.verifySeals(resolved, held: held.log(run.author))
                    #expect(sealed == (try V.u64(want["sealed"])), "\(name): sealed")
                    sawErased = sawErased || resolved.contains { $0.body == nil }
                    sawPath = sawPath || run.seals.contains { $0.path != nil }
                }
                sawReference = sawReference || runs.count > 1
            }
        }
        #expect(sawErased && sawPath && sawReference, "the sessions cover erased ops, inclusion paths and dictionary references")
    }

    @Test("runs-v2.json: every invalid run refused, by the decoder or by resolution, with its error class")
    func invalidRuns() throws {
        let file = try V.load("runs-v2.json")
        let invalid = try #require(file["invalid"] as? [[String: Any]])
        #expect(invalid.count >= 10)
        for entry in invalid {
            let name = try V.string(entry["name"])
            let expected = try #require(entry["error"] as? String)
            let held = try V.Held(json: try V.objects(entry["held"]))
            var dictionary = RunDictionary()
            do {
                for run in try RunV2.decode(try V.bytes(entry["hex"]), dictionary: &dictionary) {
                    let resolved = try run.resolve(held: held.log(run.author))
                    try run.verifySeals(resolved, held: held.log(run.author))
                }
                Issue.record("\(name): accepted, expected \(expected)")
            } catch {
                #expect(V.errorClass(error) == expected, "\(name): \(error)")
            }
        }
    }

    @Test("partial.json: subscribe, want-scope, have-scope and partial-batch both ways; the batch verifies and gives the node p1 and u1")
    func partialMessages() throws {
        let file = try V.load("partial.json")
        let messages = try V.objects(file["messages"])
        #expect(messages.count == 5)
        for entry in messages {
            let name = try V.string(entry["name"]), bytes = try V.bytes(entry["hex"])
            switch try V.string(entry["type"]) {
            case "subscribe":
                let queues = try #require(entry["queues"] as? [String]), everything = try #require(entry["everything"] as? Bool)
                let value = everything ? Subscription.full : Subscription(queues: Set(queues))
                #expect(PartialWire.encode(value) == bytes, "\(name): encodes")
                #expect(try PartialWire.decodeSubscription(bytes) == value, "\(name): decodes")
            case "want-scope":
                let scopes = Set(try #require(entry["scopes"] as? [String]).map(V.scope))
                #expect(PartialWire.encode(wantScopes: scopes) == bytes, "\(name): encodes")
                #expect(try PartialWire.decodeWantScopes(bytes) == scopes, "\(name): decodes")
            case "have-scope":
                let scopes = Set(try #require(entry["scopes"] as? [String]).map(V.scope))
                #expect(PartialWire.encode(haveScopes: scopes) == bytes, "\(name): encodes")
                #expect(try PartialWire.decodeHaveScopes(bytes) == scopes, "\(name): decodes")
            default:
                var decoder = RunDictionary()
                let batch = try PartialWire.decodeBatch(bytes, dictionary: &decoder)
                var encoder = RunDictionary()
                #expect(PartialWire.encode(batch, dictionary: &encoder) == bytes, "\(name): re-encodes to the same bytes")
                #expect(batch.backfill.sorted().map { V.hex($0.bytes) } == entry["backfill"] as? [String])
                #expect(batch.complete == entry["complete"] as? Bool && batch.complete, "\(name): a fresh node's hub is ahead of it")
                #expect(batch.runs.flatMap { $0.ops.map { Int($0.seq) } } == entry["ops"] as? [Int])
                #expect(V.partialScenario().bytes == bytes, "\(name): the implementation sends these bytes")
                var node = PartialReplica(key: try SigningKey(seed: V.seedB), subscription: Subscription(queues: ["paris"]))
                node.receive(batch, from: try SigningKey(seed: V.seedA).authorID, fromFull: true)
                #expect(node.heldTickets == ["p1"] && node.heldOps.count == 4, "\(name): the node holds p1's three ops and u1")
                #expect(node.counters == PartialCounters(), "\(name): \(node.counters)")
            }
        }
        for entry in try V.objects(file["invalid_messages"]) {
            let name = try V.string(entry["name"]), bytes = try V.bytes(entry["hex"]), expected = try V.string(entry["error"])
            do {
                var dictionary = RunDictionary()
                switch try V.string(entry["type"]) {
                case "subscribe": _ = try PartialWire.decodeSubscription(bytes)
                case "want-scope": _ = try PartialWire.decodeWantScopes(bytes)
                case "have-scope": _ = try PartialWire.decodeHaveScopes(bytes)
                default: _ = try PartialWire.decodeBatch(bytes, dictionary: &dictionary)
                }
                Issue.record("\(name): accepted, expected \(expected)")
            } catch {
                #expect(V.errorClass(error) == expected, "\(name): \(error)")
            }
        }
    }

    @Test("partial.json: the scopes each subscription holds (SPEC-partial.md §P.2), and their ids")
    func partialScopes() throws {
        let file = try V.load("partial.json")
        let tickets = try V.facts(try V.objects(file["tickets"]))
        let subscriptions = try V.objects(file["subscriptions"])
        #expect(subscriptions.count >= 5)
        for entry in subscriptions {
            let name = try V.string(entry["name"])
            let subscription = entry["everything"] as? Bool == true
                ? Subscription.full : Subscription(queues: Set(try (entry["queues"] as? [String]).unwrap(name)))
            guard let expected = entry["scopes"] as? [[String: Any]] else {
                #expect(subscription.scopes(tickets) == nil, "\(name): a full node holds every scope")
                continue
            }
            #expect(subscription.scopes(tickets) == Set(try expected.map { try V.string($0["name"]) }), "\(name)")
            for scope in expected {
                #expect(OpCryptoV2.scopeID(try V.string(scope["name"])) == (try V.scopeID(scope["id"])), "\(name)")
            }
        }
    }
}

extension Optional {
    func unwrap(_ what: String) throws -> Wrapped {
        guard let self else { throw FormatV2Vectors.Failure("\(what): missing") }
        return self
    }
}
