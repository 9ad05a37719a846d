import Foundation
import RoostCore
import RoostCrypto
import RoostSync
import Testing

/// Builds the format 2 vectors (Protocol/SPEC-format-2.md §2.7) from readable inputs. `FormatV2VectorTests` checks the
/// committed files against this implementation both ways; `ROOST_WRITE_FORMAT2_VECTORS=1` rewrites them.
enum FormatV2Vectors {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Protocol/vectors")

    static let seedA = [UInt8](repeating: 0x01, count: 32)
    static let seedB = [UInt8](repeating: 0x02, count: 32)
    /// 2026-01-01T00:00:00Z in Unix milliseconds.
    static let t0: UInt64 = 1_767_225_600_000
    static let epoch: UInt64 = 0x0102_0304_0506_0708

    static func hlc(_ ms: UInt64, _ logical: UInt16 = 0) -> HLC { HLC(physicalMillis: t0 + ms, logical: logical) }
    static func scope(_ name: String) -> ScopeID { OpCryptoV2.scopeID(name) }

    /// The class of a decoding error, as the vectors name it (`notCanonical`, `tooLarge`, ...).
    static func errorClass(_ error: any Error) -> String {
        if let error = error as? ByteDecodingError {
            switch error {
            case .truncated: return "truncated"
            case .trailingBytes: return "trailingBytes"
            case .tooLarge: return "tooLarge"
            case .invalidUTF8: return "invalidUTF8"
            case .invalidTag: return "invalidTag"
            case .notCanonical: return "notCanonical"
            }
        }
        if let error = error as? RunError {
            switch error {
            case .missingPrev: return "missingPrev"
            case .prevMismatch: return "prevMismatch"
            case .malformedBody: return "malformedBody"
            case .malformedHeader: return "malformedHeader"
            case .badHead: return "badHead"
            case .badSignature: return "badSignature"
            case .badScopes: return "badScopes"
            case .unverifiableScopes: return "unverifiableScopes"
            case .unsealed: return "unsealed"
            }
        }
        return "\(error)"
    }

    // MARK: the sample log

    /// Author A's sample log: scopes g, t/p1, t/p2, c/u1 interleaved, every kind of body.
    static func sampleBodies() -> [(String, OpBody)] {
        let b = try! SigningKey(seed: seedB).authorID
        let ticket = EntityRef(Desk.ticket, "p1")
        return [
            ("insert ticket p1", OpBody.makeInsert(ticket, [Field("brand", .string("AmazonHelp")), Field("channel", .string("public")),
                                                            Field("customer", .string("u1"))])),
            ("insert message m1 of p1", OpBody.makeInsert(EntityRef(Desk.message, "m1"), [
                Field("author", .string("@jo")), Field("created_ms", .int(Int64(t0))), Field("direction", .string("inbound")),
                Field("text", .string("my router is down again")), Field("ticket", .string("p1"))])),
            ("set ticket p1 status (a routing register: the ticket's scope)", .set(entity: ticket, field: "status", value: .string("open"))),
            ("set ticket p1 subject", .set(entity: ticket, field: "subject", value: .string("Router down — twice this week"))),
            ("set customer u1 followers", .set(entity: EntityRef(Desk.customer, "u1"), field: "followers", value: .int(-12_345))),
            ("tag-add ticket p2", .tagAdd(entity: EntityRef(Desk.ticket, "p2"), tag: "billing")),
            ("claim ticket p1", .claim(entity: ticket, action: .claim, holder: b, leaseSeconds: 900, observed: nil)),
            ("tag-remove ticket p2", .tagRemove(entity: EntityRef(Desk.ticket, "p2"), tag: "billing",
                                                observed: [OpRef(author: try! SigningKey(seed: seedA).authorID, epoch: epoch, seq: 6)])),
            ("set team settings (no code: spelled out)", .set(entity: EntityRef("sla-policy", "default"), field: "first_reply_min",
                                                              value: .bytes([0, 1, 2]))),
            ("set member flag", .set(entity: EntityRef(RosterSchema.member, "x"), field: "away", value: .bool(true))),
            ("release ticket p1", .claim(entity: ticket, action: .release, holder: nil, leaseSeconds: 0,
                                         observed: OpRef(author: try! SigningKey(seed: seedA).authorID, epoch: epoch, seq: 7))),
            ("set ticket p1 queue to null", .set(entity: ticket, field: "queue", value: .null)),
        ]
    }

    struct Built {
        var header: OpHeaderV2
        var hash: Bytes32
        var body: [UInt8]
        var decoded: OpBody
        var scopeName: String
    }

    /// Builds a log of `bodies` by `seed`, computing prev and scope prev.
    static func log(seed: [UInt8], bodies: [OpBody], from start: UInt64 = 1, prev initial: Bytes32 = .zero,
                    scopeHeads: [ScopeID: UInt64] = [:]) -> [Built] {
        let author = try! SigningKey(seed: seed).authorID
        var prev = initial
        var heads = scopeHeads
        var out: [Built] = []
        for (offset, body) in bodies.enumerated() {
            let seq = start + UInt64(offset)
            let name = Scope.name(of: body) { $0 == "m1" ? "p1" : nil }
            let id = scope(name)
            let (header, encoded) = OpCryptoV2.makeHeader(author: author, epoch: epoch, seq: seq, prev: prev,
                                                          hlc: hlc(seq * 1000, UInt16(seq % 3)), scope: id,
                                                          scopePrev: heads[id] ?? 0, body: body)
            let hash = OpCryptoV2.opHash(header)
            out.append(Built(header: header, hash: hash, body: encoded, decoded: body, scopeName: name))
            prev = hash
            heads[id] = seq
        }
        return out
    }

    static func seal(_ seed: [UInt8], _ ops: [Built], from: UInt64, to: UInt64) -> (SealV2, [OpCryptoV2.ScopeLeaf]) {
        let range = ops.filter { (from...to).contains($0.header.seq) }
        let leaves = OpCryptoV2.leaves(of: range.map { ($0.header.scope, $0.hash) })
        let head = ops.first { $0.header.seq == to }!.hash
        return (OpCryptoV2.seal(key: try! SigningKey(seed: seed), epoch: epoch, fromSeq: from, seq: to, head: head,
                                scopesRoot: OpCryptoV2.root(leaves)), leaves)
    }

    // MARK: JSON helpers

    static func hex(_ bytes: [UInt8]) -> String { Hex.encode(bytes) }
    static func hex(_ value: Bytes32) -> String { Hex.encode(value.bytes) }

    static func bytes(_ value: Any?) throws -> [UInt8] {
        guard let text = value as? String, let bytes = Hex.decode(text) else { throw Failure("not hex: \(String(describing: value))") }
        return bytes
    }

    static func bytes32(_ value: Any?) throws -> Bytes32 {
        guard let v = Bytes32(try bytes(value)) else { throw Failure("not 32 bytes: \(String(describing: value))") }
        return v
    }

    static func u64(_ value: Any?) throws -> UInt64 {
        guard let text = value as? String, let v = UInt64(text) else { throw Failure("not a decimal u64: \(String(describing: value))") }
        return v
    }

    static func kind(_ value: Any?) throws -> OpKind {
        guard let raw = value as? Int, let kind = OpKind(rawValue: UInt16(clamping: raw)) else { throw Failure("not a kind: \(String(describing: value))") }
        return kind
    }

    static func scopeID(_ value: Any?) throws -> ScopeID {
        guard let id = ScopeID(try bytes(value)) else { throw Failure("not a 16-byte scope id: \(String(describing: value))") }
        return id
    }

    static func string(_ value: Any?) throws -> String {
        guard let text = value as? String else { throw Failure("not a string: \(String(describing: value))") }
        return text
    }

    static func objects(_ value: Any?) throws -> [[String: Any]] {
        guard let list = value as? [[String: Any]] else { throw Failure("not a list of objects") }
        return list
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    static func load(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { throw Failure("\(name) is not an object") }
        return object
    }

    static func write(_ name: String, _ object: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try (data + Data("\n".utf8)).write(to: directory.appendingPathComponent(name))
    }

    // MARK: ops-v2.json

    static func opsFile() throws -> [String: Any] {
        // Varints: values and encodings written by hand from the LEB128 and zigzag definitions (protobuf's examples).
        let varints: [[String: Any]] = [
            ["value": "0", "hex": "00"], ["value": "1", "hex": "01"], ["value": "127", "hex": "7f"], ["value": "128", "hex": "8001"],
            ["value": "300", "hex": "ac02"], ["value": "16384", "hex": "808001"],
            ["value": "9223372036854775807", "hex": "ffffffffffffffff7f"],
            ["value": "18446744073709551615", "hex": "ffffffffffffffffff01"],
        ]
        let zigzag: [[String: Any]] = [
            ["int": "0", "value": "0"], ["int": "-1", "value": "1"], ["int": "1", "value": "2"], ["int": "-2", "value": "3"],
            ["int": "2147483647", "value": "4294967294"], ["int": "-2147483648", "value": "4294967295"],
            ["int": "-9223372036854775808", "value": "18446744073709551615"],
        ]
        let invalidVarints: [[String: Any]] = [
            ["name": "trailing zero group", "hex": "8000", "error": "notCanonical"],
            ["name": "300 with a trailing zero group", "hex": "ac8200", "error": "notCanonical"],
            ["name": "ends inside", "hex": "80", "error": "truncated"],
            ["name": "over 2^64 - 1", "hex": "ffffffffffffffffff02", "error": "tooLarge"],
            ["name": "eleven bytes", "hex": "8080808080808080808001", "error": "tooLarge"],
        ]
        let scopes: [[String: Any]] = ["g", "t/p1", "t/p2", "c/u1", "t/"].map { ["name": $0, "id": hex(scope($0).bytes)] }

        let named = sampleBodies()
        let built = log(seed: seedA, bodies: named.map(\.1))
        let bodies: [[String: Any]] = zip(named, built).map { entry, op in
            ["name": entry.0, "kind": Int(entry.1.kind.rawValue), "v1_hex": hex(entry.1.encoded()), "v2_hex": hex(op.body),
             "scope": op.scopeName]
        }
        let headers: [[String: Any]] = built.map { op in
            let h = op.header
            return ["seq": String(h.seq), "author": hex(h.author.key), "epoch": String(h.epoch), "prev": hex(h.prev),
                    "hlc": String(h.hlc.rawValue), "kind": Int(h.kind.rawValue), "scope": hex(h.scope.bytes),
                    "scope_prev": String(h.scopePrev), "body_v2_hex": hex(op.body), "hashed_hex": hex(h.encoded()),
                    "op_hash": hex(op.hash)]
        }
        var seals: [[String: Any]] = []
        for (from, to) in [(UInt64(1), UInt64(12)), (1, 1), (4, 9)] {
            let (seal, leaves) = seal(seedA, built, from: from, to: to)
            seals.append([
                "name": "seal of ops \(from)...\(to)", "seed": hex(seedA), "from_seq": String(from), "seq": String(to),
                "head": hex(seal.head),
                "leaves": leaves.map { ["scope": hex($0.scope.bytes), "op_hashes": $0.opHashes.map(hex), "leaf_hash": hex(OpCryptoV2.leafHash($0))] },
                "scopes_root": hex(seal.scopesRoot), "signed_hex": hex(seal.signedMessage), "signature": hex(seal.signature),
                "stored_hex": hex(seal.encoded()),
                "paths": leaves.indices.map { index in OpCryptoV2.inclusionPath(leaves, index: index).map(hex) },
            ])
        }
        return ["varints": varints, "zigzag": zigzag, "invalid_varints": invalidVarints, "scopes": scopes, "bodies": bodies,
                "headers": headers, "seals": seals, "invalid": invalidInputs(built)]
    }

    /// Rejected bodies, headers and seals, each with its error class (written by hand from the spec).
    static func invalidInputs(_ built: [Built]) -> [[String: Any]] {
        var out: [[String: Any]] = []
        func add(_ name: String, _ decode: String, kind: OpKind? = nil, _ bytes: [UInt8], _ error: String) {
            var entry: [String: Any] = ["name": name, "decode": decode, "hex": hex(bytes), "error": error]
            if let kind { entry["kind"] = Int(kind.rawValue) }
            out.append(entry)
        }
        let set = built[3].body  // set ticket p1 subject
        add("collection code past the table", "body_v2", kind: .set, [13] + set.dropFirst(), "invalidTag")
        add("ticket spelled out instead of code 1", "body_v2", kind: .set, [0, 6] + Array("ticket".utf8) + set.dropFirst(), "notCanonical")
        add("empty spelled-out collection", "body_v2", kind: .set, [0, 0] + set.dropFirst(), "notCanonical")
        add("key length in a non-shortest varint", "body_v2", kind: .set, [1, 0x82, 0x00] + Array("p1".utf8) + set.dropFirst(4), "notCanonical")
        add("body truncated", "body_v2", kind: .set, Array(set.dropLast()), "truncated")
        add("byte after the body", "body_v2", kind: .set, set + [0], "trailingBytes")
        add("value tag 5", "body_v2", kind: .set, [1, 2] + Array("p1".utf8) + [1] + Array("x".utf8) + [5], "invalidTag")
        add("bool 2", "body_v2", kind: .set, [1, 2] + Array("p1".utf8) + [1] + Array("x".utf8) + [1, 2], "invalidTag")
        add("insert names out of order", "body_v2", kind: .insert,
            [1, 2] + Array("p1".utf8) + [2, 1] + Array("b".utf8) + [0, 1] + Array("a".utf8) + [0], "notCanonical")
        add("insert with 65 fields", "body_v2", kind: .insert, [1, 2] + Array("p1".utf8) + [65], "tooLarge")
        add("tag removal observing nothing", "body_v2", kind: .tagRemove, [1, 2] + Array("p2".utf8) + [1] + Array("t".utf8) + [0], "notCanonical")
        add("release with a lease", "body_v2", kind: .claim, [1, 2] + Array("p1".utf8) + [2, 0, 60, 0], "notCanonical")
        add("claim lease over 7 days", "body_v2", kind: .claim,
            [1, 2] + Array("p1".utf8) + [1, 1] + [UInt8](repeating: 9, count: 32) + [0x81, 0xf5, 0x24, 0], "tooLarge")
        add("string not UTF-8", "body_v2", kind: .tagAdd, [1, 2] + Array("p1".utf8) + [1, 0xff], "invalidUTF8")

        var header = built[1].header.encoded()
        header[0] = UInt8(ascii: "R")
        add("wrong domain tag", "header_v2", header, "invalidTag")
        header = built[1].header.encoded()
        header[99] = 6
        add("kind 6", "header_v2", header, "invalidTag")
        header = built[0].header.encoded()
        header[123] = 1                                                 // the scope prev's low byte: seq 1 names seq 1
        add("scope prev at seq 1 not zero", "header_v2", header, "notCanonical")
        header = built[4].header.encoded()
        header[123] = 5                                                 // seq 5 names itself
        add("scope prev not below the seq", "header_v2", header, "notCanonical")
        add("header one byte short", "header_v2", Array(built[0].header.encoded().dropLast()), "truncated")

        let stored = seal(seedA, built, from: 1, to: 3).0.encoded()
        var w = ByteWriter()
        w.raw(stored[0..<32]); w.varint(epoch); w.varint(4); w.varint(3); w.raw(stored.suffix(128))
        add("seal range starts after its seq", "seal_v2", w.bytes, "notCanonical")
        w = ByteWriter()
        w.raw(stored[0..<32]); w.varint(epoch); w.varint(0); w.varint(3); w.raw(stored.suffix(128))
        add("seal from seq 0", "seal_v2", w.bytes, "invalidTag")
        add("seal without its last signature byte", "seal_v2", Array(stored.dropLast()), "truncated")
        return out
    }

    // MARK: partial.json

    /// Tickets and subscriptions with the held scopes SPEC-partial.md §P.2 gives, written by hand from the rule.
    static func partialFile() -> [String: Any] {
        let tickets: [[String: Any]] = [
            ["key": "p1", "queue": "paris", "customer": "u1", "touched": false],
            ["key": "p2", "queue": "rome", "customer": "u2", "touched": false],
            ["key": "p3", "customer": "u1", "touched": false],  // no queue: in `default`
            ["key": "p4", "queue": "rome", "customer": "u4", "touched": true],  // the node's agent replied here
            ["key": "p5", "queue": "paris", "touched": false],  // insert not held yet: customer unknown
        ]
        func entry(_ name: String, _ queues: [String]?, _ scopes: [String]?) -> [String: Any] {
            var out: [String: Any] = ["name": name, "everything": queues == nil]
            if let queues { out["queues"] = queues }
            if let scopes { out["scopes"] = scopes.sorted().map { ["name": $0, "id": hex(scope($0).bytes)] } }
            return out
        }
        return ["tickets": tickets, "messages": partialMessages(), "invalid_messages": invalidPartialMessages(), "subscriptions": [
            entry("paris only", ["paris"], ["g", "t/p1", "c/u1", "t/p4", "c/u4", "t/p5"]),
            entry("rome only", ["rome"], ["g", "t/p2", "c/u2", "t/p4", "c/u4"]),
            entry("the default queue", ["default"], ["g", "t/p3", "c/u1", "t/p4", "c/u4"]),
            entry("no queue: g and touched tickets", [], ["g", "t/p4", "c/u4"]),
            entry("a queue nobody uses", ["oslo"], ["g", "t/p4", "c/u4"]),
            entry("full node", nil, nil),
        ]]
    }

    /// A hub (seed A) that imported p1 (queue paris, customer u1) and r1 (queue rome), and the batch it sends a fresh
    /// node of seed B subscribed to paris: p1 and u1 whole, with prev, scope prev, head and inclusion paths.
    static func partialScenario() -> (hub: PartialReplica, batch: PartialBatch, bytes: [UInt8]) {
        var hub = PartialReplica(key: try! SigningKey(seed: seedA), epoch: epoch, subscription: .full)
        let paris = try! SigningKey(seed: seedB).authorID
        hub.subscribe(peer: paris, Subscription(queues: ["paris"]))
        func ticket(_ key: String, _ queue: String, _ customer: String, _ text: String) -> [OpBody] {
            [.makeInsert(EntityRef(Desk.customer, customer), [Field("handle", .string("@" + customer))]),
             .makeInsert(EntityRef(Desk.ticket, key), [Field("customer", .string(customer))]),
             .makeInsert(EntityRef(Desk.message, "m-" + key), [Field("text", .string(text)), Field("ticket", .string(key))]),
             .set(entity: EntityRef(Desk.ticket, key), field: "queue", value: .string(queue))]
        }
        try! hub.write(ticket("r1", "rome", "u2", "ciao") + ticket("p1", "paris", "u1", "bonjour"), at: hlc(1000))
        let batch = hub.answer(PartialRequest(vector: [:], want: []), from: paris)
        var dictionary = RunDictionary()
        return (hub, batch, PartialWire.encode(batch, dictionary: &dictionary))
    }

    static func partialMessages() -> [[String: Any]] {
        let scenario = partialScenario()
        return [
            ["name": "subscribe to paris and rome", "type": "subscribe", "queues": ["paris", "rome"], "everything": false,
             "hex": hex(PartialWire.encode(Subscription(queues: ["rome", "paris"])))],
            ["name": "subscribe to everything (a full node)", "type": "subscribe", "queues": [String](), "everything": true,
             "hex": hex(PartialWire.encode(Subscription.full))],
            ["name": "want-scope t/p1 and c/u1", "type": "want-scope", "scopes": ["c/u1", "t/p1"],
             "hex": hex(PartialWire.encode(wantScopes: [scope("t/p1"), scope("c/u1")]))],
            ["name": "have-scope t/p1 and c/u1 (received whole from another hub)", "type": "have-scope", "scopes": ["c/u1", "t/p1"],
             "hex": hex(PartialWire.encode(haveScopes: [scope("t/p1"), scope("c/u1")]))],
            ["name": "partial-batch: a hub's first batch for a node subscribed to paris", "type": "partial-batch",
             "backfill": scenario.batch.backfill.sorted().map { hex($0.bytes) }, "complete": scenario.batch.complete,
             "covered": scenario.batch.covered.map { ["author": hex($0.key.author.key), "epoch": String($0.key.epoch), "seq": String($0.value)] },
             "ops": scenario.batch.runs.flatMap { $0.ops.map { Int($0.seq) } },
             "hex": hex(scenario.bytes)],
        ]
    }

    static func invalidPartialMessages() -> [[String: Any]] {
        let p = Array("paris".utf8), r = Array("rome".utf8)
        var unsorted = ByteWriter(); unsorted.u8(0); unsorted.varint(2); unsorted.varBytes(r); unsorted.varBytes(p)
        var fullWithQueue = ByteWriter(); fullWithQueue.u8(1); fullWithQueue.varint(1); fullWithQueue.varBytes(p)
        var emptyWant = ByteWriter(); emptyWant.varint(0)
        var twice = ByteWriter(); twice.varint(2); twice.scope(scope("g")); twice.scope(scope("g"))
        var zeroSeq = ByteWriter(); zeroSeq.varint(1); zeroSeq.u8(0); zeroSeq.varint(0); zeroSeq.varint(1); zeroSeq.bytes32(try! SigningKey(seed: seedA).authorID.key)
        zeroSeq.varint(1); zeroSeq.varint(0); zeroSeq.varint(0)
        return [
            ["name": "subscribe: queues not sorted", "type": "subscribe", "hex": hex(unsorted.bytes), "error": "notCanonical"],
            ["name": "subscribe: everything and a queue", "type": "subscribe", "hex": hex(fullWithQueue.bytes), "error": "notCanonical"],
            ["name": "want-scope: no scope", "type": "want-scope", "hex": hex(emptyWant.bytes), "error": "notCanonical"],
            ["name": "want-scope: a scope twice", "type": "want-scope", "hex": hex(twice.bytes), "error": "notCanonical"],
            ["name": "have-scope: no scope", "type": "have-scope", "hex": hex(emptyWant.bytes), "error": "notCanonical"],
            ["name": "partial-batch: covered seq 0", "type": "partial-batch", "hex": hex(zeroSeq.bytes), "error": "notCanonical"],
            ["name": "partial-batch: complete with no scope sent whole", "type": "partial-batch", "hex": "0101000000", "error": "notCanonical"],
        ]
    }

    static func facts(_ json: [[String: Any]]) throws -> [TicketScopeFacts] {
        try json.map { TicketScopeFacts(key: try string($0["key"]), queue: $0["queue"] as? String, customer: $0["customer"] as? String,
                                        touched: $0["touched"] as? Bool ?? false) }
    }

    // MARK: runs-v2.json

    /// What a receiver holds: (author, seq, hash, scope) of held ops, of any number of logs (all of epoch ``epoch``).
    struct Held {
        var entries: [(author: AuthorID, seq: UInt64, hash: Bytes32, scope: ScopeID)] = []

        init(_ ops: [Built] = []) {
            entries = ops.map { ($0.header.author, $0.header.seq, $0.hash, $0.header.scope) }
        }

        /// The held ops of one author's log, as run resolution asks for them.
        func log(_ author: AuthorID) -> Log { Log(entries: entries.filter { $0.author == author }) }

        struct Log: RunHeldHashes {
            var entries: [(author: AuthorID, seq: UInt64, hash: Bytes32, scope: ScopeID)]
            func hash(at seq: UInt64) -> Bytes32? { entries.first { $0.seq == seq }?.hash }
            func lastSeq(in scope: ScopeID, before seq: UInt64) -> UInt64? {
                entries.filter { $0.scope == scope && $0.seq < seq }.max { $0.seq < $1.seq }?.seq
            }
        }

        var json: [[String: Any]] {
            entries.map { ["author": hex($0.author.key), "seq": String($0.seq), "op_hash": hex($0.hash), "scope": hex($0.scope.bytes)] }
        }

        init(json: [[String: Any]]) throws {
            entries = try json.map { entry in
                (AuthorID(key: try bytes32(entry["author"])), try u64(entry["seq"]), try bytes32(entry["op_hash"]),
                 ScopeID(try bytes(entry["scope"]))!)
            }
        }
    }

    static func runOp(_ op: Built, prev: Bool = false, scopePrev: Bool = false, erased: Bool = false) -> RunV2.Op {
        RunV2.Op(seq: op.header.seq, prev: prev ? op.header.prev : nil, scopePrev: scopePrev ? op.header.scopePrev : nil,
                 hlc: op.header.hlc, kind: op.header.kind, scope: op.header.scope,
                 payload: erased ? .erased(length: op.header.bodyLength, hash: op.header.bodyHash) : .body(op.body))
    }

    static func runSeal(_ seal: SealV2, head: Bool = false, path: RunV2.Path? = nil) -> RunV2.Seal {
        RunV2.Seal(seq: seal.seq, fromSeq: seal.fromSeq, head: head ? seal.head : nil, scopesRoot: seal.scopesRoot,
                   signature: seal.signature, path: path)
    }

    static func runJSON(_ run: RunV2) -> [String: Any] {
        [
            "author": hex(run.author.key), "epoch": String(run.epoch),
            "ops": run.ops.map { op -> [String: Any] in
                var entry: [String: Any] = ["seq": String(op.seq), "hlc": String(op.hlc.rawValue), "kind": Int(op.kind.rawValue),
                                            "scope": hex(op.scope.bytes)]
                if let prev = op.prev { entry["prev"] = hex(prev) }
                if let scopePrev = op.scopePrev { entry["scope_prev"] = String(scopePrev) }
                switch op.payload {
                case let .body(body): entry["body"] = hex(body)
                case let .erased(length, hash): entry["erased"] = ["body_length": Int(length), "body_hash": hex(hash)]
                }
                return entry
            },
            "seals": run.seals.map { seal -> [String: Any] in
                var entry: [String: Any] = ["seq": String(seal.seq), "from_seq": String(seal.fromSeq),
                                            "scopes_root": hex(seal.scopesRoot), "signature": hex(seal.signature)]
                if let head = seal.head { entry["head"] = hex(head) }
                if let path = seal.path {
                    entry["path"] = ["scope": hex(path.scope.bytes), "leaf_index": path.leafIndex, "leaf_count": path.leafCount,
                                     "hashes": path.hashes.map(hex)]
                }
                return entry
            },
        ]
    }

    static func run(json: [String: Any]) throws -> RunV2 {
        let ops = try (json["ops"] as? [[String: Any]] ?? []).map { entry -> RunV2.Op in
            let payload: RunV2.Op.Payload
            if let erased = entry["erased"] as? [String: Any] {
                payload = .erased(length: UInt32(erased["body_length"] as? Int ?? -1), hash: try bytes32(erased["body_hash"]))
            } else {
                payload = .body(try bytes(entry["body"]))
            }
            return RunV2.Op(seq: try u64(entry["seq"]), prev: try entry["prev"].map(bytes32), scopePrev: try entry["scope_prev"].map(u64),
                            hlc: HLC(rawValue: try u64(entry["hlc"])), kind: OpKind(rawValue: UInt16(entry["kind"] as? Int ?? 0))!,
                            scope: ScopeID(try bytes(entry["scope"]))!, payload: payload)
        }
        let seals = try (json["seals"] as? [[String: Any]] ?? []).map { entry -> RunV2.Seal in
            var path: RunV2.Path?
            if let p = entry["path"] as? [String: Any] {
                path = RunV2.Path(scope: ScopeID(try bytes(p["scope"]))!, leafIndex: p["leaf_index"] as? Int ?? -1,
                                  leafCount: p["leaf_count"] as? Int ?? -1, hashes: try (p["hashes"] as? [Any] ?? []).map(bytes32))
            }
            return RunV2.Seal(seq: try u64(entry["seq"]), fromSeq: try u64(entry["from_seq"]), head: try entry["head"].map(bytes32),
                              scopesRoot: try bytes32(entry["scopes_root"]), signature: try bytes(entry["signature"]), path: path)
        }
        return RunV2(author: AuthorID(key: try bytes32(json["author"])), epoch: try u64(json["epoch"]), ops: ops, seals: seals)
    }

    static func runsFile() throws -> [String: Any] {
        let bodies = sampleBodies().map(\.1)
        let a = log(seed: seedA, bodies: bodies)
        let b = log(seed: seedB, bodies: Array(bodies[0..<3]))
        var sessions: [[String: Any]] = []

        // Session 1, full replication: A's first nine ops, then the rest of A and B's log in a second batch.
        do {
            let (seal9, _) = seal(seedA, a, from: 1, to: 9)
            let (seal12, _) = seal(seedA, a, from: 10, to: 12)
            let (sealB, _) = seal(seedB, b, from: 1, to: 3)
            let first = RunV2(author: a[0].header.author, epoch: epoch, ops: a[0..<9].map { runOp($0) }, seals: [runSeal(seal9)])
            let second = [
                RunV2(author: a[0].header.author, epoch: epoch, ops: a[9..<12].map { runOp($0) }, seals: [runSeal(seal12)]),
                RunV2(author: b[0].header.author, epoch: epoch, ops: b.map { runOp($0) }, seals: [runSeal(sealB)]),
            ]
            sessions.append(try session("full replication: a first sync, then more of A and a new author (dictionaries carry over)",
                                        held: Held(), batches: [[first], second],
                                        heldAfterFirst: [Held(Array(a[0..<9])), Held()]))
        }
        // Session 2, a receiver that holds A's ops 1...5 and gets 6...12, op 8 erased at the sender, a prev and a scope
        // prev (a distance over held ops) sent needlessly.
        do {
            let (seal12, _) = seal(seedA, a, from: 6, to: 12)
            var ops = a[5..<12].map { runOp($0) }
            ops[2] = runOp(a[7], erased: true)
            ops[0] = runOp(a[5], prev: true)
            let named = try #require((3..<7).first { a[5 + $0].header.scopePrev > 0 }, "an op of 9...12 whose scope has an earlier op")
            ops[named] = runOp(a[5 + named], scopePrev: true)
            let run = RunV2(author: a[0].header.author, epoch: epoch, ops: ops, seals: [runSeal(seal12)])
            sessions.append(try session("catching up from op 6, with an erased op and a prev the receiver could recompute",
                                        held: Held(Array(a[0..<5])), batches: [[run]], heldAfterFirst: []))
        }
        // Session 3, a partial receiver of scope t/p1 only: gaps, prev sent after each, one seal with a path.
        do {
            let p1 = scope("t/p1")
            let (sealAll, leaves) = seal(seedA, a, from: 1, to: 12)
            let index = leaves.firstIndex { $0.scope == p1 }!
            let path = RunV2.Path(scope: p1, leafIndex: index, leafCount: leaves.count,
                                  hashes: OpCryptoV2.inclusionPath(leaves, index: index))
            let mine = a.filter { $0.header.scope == p1 }
            let run = RunV2(author: a[0].header.author, epoch: epoch, ops: mine.map { runOp($0, prev: true) },
                            seals: [runSeal(sealAll, head: true, path: path)])
            sessions.append(try session("partial replication: only scope t/p1, ops with gaps, the seal's head and inclusion path sent",
                                        held: Held(), batches: [[run]], heldAfterFirst: []))
        }
        return ["sessions": sessions, "invalid": try invalidRuns(a)]
    }

    /// One session: batches encoded in order through one dictionary; each batch resolved against `held` (then
    /// against `heldAfterFirst[i - 1]` for batch i).
    static func session(_ name: String, held: Held, batches: [[RunV2]], heldAfterFirst: [Held]) throws -> [String: Any] {
        var dictionary = RunDictionary()
        var out: [[String: Any]] = []
        for (index, runs) in batches.enumerated() {
            let receiver = index == 0 ? held : heldAfterFirst[index - 1]
            let encoded = RunV2.encode(runs, dictionary: &dictionary)
            var resolvedRuns: [[String: Any]] = []
            for run in runs {
                let resolved = try run.resolve(held: receiver.log(run.author))
                let sealed = try run.verifySeals(resolved, held: receiver.log(run.author))
                resolvedRuns.append(["sealed": String(sealed), "ops": resolved.map { ["hashed_hex": hex($0.header.encoded()), "op_hash": hex($0.hash)] }])
            }
            out.append(["held": receiver.json, "hex": hex(encoded), "runs": runs.map(runJSON), "resolved": resolvedRuns])
        }
        return ["name": name, "batches": out]
    }

    static func invalidRuns(_ a: [Built]) throws -> [[String: Any]] {
        let (seal3, _) = seal(seedA, a, from: 1, to: 3)
        let author = a[0].header.author
        func entry(_ name: String, _ run: RunV2, held: Held = Held(), _ error: String) -> [String: Any] {
            var dictionary = RunDictionary()
            return ["name": name, "hex": hex(RunV2.encode([run], dictionary: &dictionary)), "held": held.json, "error": error]
        }
        var out: [[String: Any]] = []
        out.append(entry("first op's prev omitted, op before not held", RunV2(author: author, epoch: epoch, ops: [runOp(a[3])]),
                         "missingPrev"))
        out.append(entry("sent prev differs from the held hash", RunV2(author: author, epoch: epoch,
                    ops: [RunV2.Op(seq: 4, prev: a[0].hash, hlc: a[3].header.hlc, kind: a[3].header.kind, scope: a[3].header.scope,
                                   payload: .body(a[3].body))]), held: Held(Array(a[0..<3])), "prevMismatch"))
        var tampered = a[0..<3].map { runOp($0) }
        tampered[1].payload = .body(a[1].body.dropLast() + [UInt8(ascii: "!")])
        out.append(entry("a body changed after sealing", RunV2(author: author, epoch: epoch, ops: tampered, seals: [runSeal(seal3)]),
                         "badSignature"))
        var wrongScope = a[0..<3].map { runOp($0) }
        wrongScope[2].scope = scope("g")
        out.append(entry("an op moved to another scope after sealing", RunV2(author: author, epoch: epoch, ops: wrongScope,
                         seals: [runSeal(seal3)]), "badSignature"))
        var badRoot = runSeal(seal3)
        badRoot.scopesRoot = a[0].hash
        out.append(entry("a scopes root that is not the ops'", RunV2(author: author, epoch: epoch, ops: a[0..<3].map { runOp($0) },
                         seals: [badRoot]), "badSignature"))
        out.append(entry("ops past the seal", RunV2(author: author, epoch: epoch, ops: a[0..<4].map { runOp($0) }, seals: [runSeal(seal3)]),
                         "unsealed"))
        let (seal5, _) = seal(seedA, a, from: 1, to: 5)
        out.append(entry("partial run without a path", RunV2(author: author, epoch: epoch, ops: [runOp(a[4], prev: true)],
                         seals: [runSeal(seal5, head: true)]), "unverifiableScopes"))
        let (sealAll, leaves) = seal(seedA, a, from: 1, to: 12)
        let p1 = scope("t/p1")
        let index = leaves.firstIndex { $0.scope == p1 }!
        let wrongPath = RunV2.Path(scope: p1, leafIndex: (index + 1) % leaves.count, leafCount: leaves.count,
                                   hashes: OpCryptoV2.inclusionPath(leaves, index: index))
        out.append(entry("an inclusion path for the wrong leaf index", RunV2(author: author, epoch: epoch,
                         ops: a.filter { $0.header.scope == p1 }.map { runOp($0, prev: true) },
                         seals: [runSeal(sealAll, head: true, path: wrongPath)]), "badScopes"))
        let later = try #require(a.indices.first { i in a[i].header.scopePrev > 0 && a[i].header.scopePrev > 1 },
                                 "an op whose scope has an earlier op after seq 1")
        var misnamed = a[0...later].map { runOp($0) }
        misnamed[later].scopePrev = a[later].header.scopePrev - 1        // not the run's earlier op of its scope
        out.append(entry("a sent scope prev that does not name the run's earlier op of its scope", RunV2(author: author, epoch: epoch,
                         ops: misnamed), "prevMismatch"))
        // Syntax errors, written by hand.
        out.append(["name": "author reference past the dictionary", "hex": "0102", "held": [], "error": "invalidTag"])
        out.append(["name": "run without ops", "hex": "0100" + hex(author.key) + "0100", "held": [], "error": "notCanonical"])
        var w = ByteWriter()
        w.varint(1); w.varint(0); w.bytes32(author.key); w.varint(1); w.varint(2)
        w.varint(0); w.u8(8)
        out.append(["name": "op flag 8", "hex": hex(w.bytes), "held": [], "error": "invalidTag"])
        w = ByteWriter()
        var d = RunDictionary()
        let two = RunV2.encode([RunV2(author: author, epoch: epoch, ops: [runOp(a[0]), runOp(a[2])])], dictionary: &d)
        w.raw(two)
        out.append(["name": "op after a gap without its prev", "hex": hex(w.bytes), "held": [], "error": "notCanonical"])
        d = RunDictionary()
        let one = RunV2.encode([RunV2(author: author, epoch: epoch, ops: [runOp(a[0])])], dictionary: &d)
        out.append(["name": "batch ends inside a run", "hex": hex(Array(one.dropLast())), "held": [], "error": "truncated"])
        d = RunDictionary()
        var distance = RunV2.encode([RunV2(author: author, epoch: epoch, ops: [runOp(a[0], scopePrev: true)])], dictionary: &d)
        let flags = distance.indices.first { distance[$0] != one[$0] }!   // the op's flags: 4 here, 0 in `one`
        distance[flags + 1] = 1                                         // the scope prev distance of seq 1: 1 reaches seq 0
        out.append(["name": "a scope prev distance reaching below seq 1", "hex": hex(distance), "held": [], "error": "notCanonical"])
        return out
    }
}
