import Foundation
import GRDB
import RoostCore
import RoostCrypto
import RoostStore
import Testing

// Checks this implementation against the language-neutral vectors in Protocol/vectors/*.json
// (see Protocol/SPEC.md, Part 1). The vectors are committed; this suite only reads them, and a missing
// file fails it. To regenerate them (after a deliberate format change), run
//   ROOST_WRITE_VECTORS=1 swift test --filter VectorGenerator
// and review the diff: the generator checks every hand-written expectation before writing.

@Suite struct VectorTests {
    // MARK: files

    @Test("every vector file is present")
    func filesPresent() throws {
        for name in VectorKit.files {
            let url = VectorKit.directory.appendingPathComponent(name)
            #expect(FileManager.default.fileExists(atPath: url.path), "missing \(url.path)")
        }
    }

    // MARK: ids.json

    @Test("ids.json: seeds give the public keys, keys give the text form and back")
    func ids() throws {
        let file = try VectorKit.load("ids.json")
        let keys = try file["keys"].array()
        #expect(keys.count >= 4)
        for entry in keys {
            let key = try entry["public_key"].bytes()
            let text = try entry["text"].string()
            if let seed = entry.optional("seed") {
                #expect(try SigningKey(seed: seed.bytes()).publicKey == key, "seed of \(text)")
            }
            #expect(NodeIDText.encode(key) == text)
            #expect(try NodeIDText.decode(text) == key)
            #expect(try AuthorID(text: text).key.bytes == key)
            #expect(try NodeIDText.decode(text.lowercased().replacingOccurrences(of: "-", with: "")) == key)
            #expect(VectorKit.luhnCheckedText(key) == text, "independent base32 + Luhn mod 32")
        }
        for entry in try file["equivalent_text"].array() {
            #expect(try NodeIDText.decode(entry["text"].string()) == entry["public_key"].bytes())
        }
        let invalid = try file["invalid_text"].array()
        #expect(invalid.count >= 4)
        for entry in invalid {
            let text = try entry["text"].string()
            let expected = try entry["error"].string()
            do {
                let key = try NodeIDText.decode(text)
                Issue.record("\(text) decoded to \(Hex.encode(key)), expected \(expected)")
            } catch {
                switch error {
                case let .wrongLength(count):
                    let want = Int(try entry["count"].int())
                    #expect(expected == "wrongLength" && count == want, "\(text)")
                case let .invalidCharacter(character):
                    let want = try entry["character"].string()
                    #expect(expected == "invalidCharacter" && String(character) == want, "\(text)")
                case let .checkFailed(group):
                    let want = Int(try entry["group"].int())
                    #expect(expected == "checkFailed" && group == want, "\(text)")
                }
            }
        }
    }

    // MARK: ops.json

    @Test("ops.json: bodies, headers and hashes in both directions; chains link")
    func ops() throws {
        let file = try VectorKit.load("ops.json")
        let chains = try file["chains"].array()
        var count = 0
        var kinds = Set<String>()
        var valueTypes = Set<String>()
        var actions = Set<String>()
        for chain in chains {
            let key = try SigningKey(seed: chain["seed"].bytes())
            let author = try chain["author"].authorID()
            #expect(key.authorID == author)
            #expect(author.text == (try chain["author_text"].string()))
            let epoch = try chain["epoch"].u64()
            var prev = Bytes32.zero
            for (index, entry) in try chain["ops"].array().enumerated() {
                count += 1
                let context = "\(author.short) op \(index + 1)"
                let body = try VectorKit.body(from: entry["body"])
                kinds.insert(body.kind.description)
                VectorKit.collectTags(body, values: &valueTypes, actions: &actions)
                let bodyBytes = try entry["body_hex"].bytes()
                // Body: encode(fields) == hex, decode(hex) == fields, hash and length.
                #expect(body.encoded() == bodyBytes, "\(context): body encoding")
                #expect(try OpBody.decode(kind: body.kind, bytes: bodyBytes) == body, "\(context): body decoding")
                #expect(OpCrypto.bodyHash(bodyBytes) == (try entry["body_hash"].bytes32()), "\(context): body hash")
                #expect(bodyBytes.count == Int(try entry["body_len"].int()), "\(context): body length")
                #expect(try entry["kind"].string() == body.kind.description)
                #expect(try entry["kind_code"].int() == Int64(body.kind.rawValue))
                // Header: fields -> bytes and bytes -> fields.
                let seq = try entry["seq"].u64()
                #expect(seq == UInt64(index + 1), "\(context): seqs run from 1")
                #expect(try entry["prev"].bytes32() == prev, "\(context): prev links to the previous op's hash")
                let header = OpHeader(
                    author: author, epoch: epoch, seq: seq, prev: prev, hlc: try VectorKit.hlc(from: entry["hlc"]),
                    kind: body.kind, bodyLength: UInt32(bodyBytes.count), bodyHash: OpCrypto.bodyHash(bodyBytes))
                let headerBytes = try entry["header_hex"].bytes()
                #expect(headerBytes.count == OpHeader.encodedLength)
                #expect(header.encoded() == headerBytes, "\(context): header encoding")
                #expect(try OpHeader.decode(headerBytes) == header, "\(context): header decoding")
                let made = OpCrypto.makeHeader(author: author, epoch: epoch, seq: seq, prev: prev, hlc: header.hlc, body: body)
                #expect(made.header == header && made.body == bodyBytes, "\(context): makeHeader")
                let hash = try entry["hash"].bytes32()
                #expect(OpCrypto.headerHash(header) == hash, "\(context): op hash")
                #expect(Bytes32(Blake2b.hash256(headerBytes)) == hash, "\(context): op hash is BLAKE2b-256 of the header")
                prev = hash
            }
        }
        #expect(count >= 8)
        #expect(kinds == Set(OpKind.allCases.map(\.description)), "every body kind")
        #expect(valueTypes == ["null", "bool", "int", "string", "bytes"], "every value tag")
        #expect(actions == Set(ClaimAction.allCases.map(\.description)), "every claim action")
        #expect(chains.contains { (try? $0["ops"].array().count) ?? 0 >= 3 }, "a chain of at least 3 ops")
    }

    @Test("ops.json: seals encode, decode, verify, and fail with any flipped bit")
    func seals() throws {
        let file = try VectorKit.load("ops.json")
        for chain in try file["chains"].array() {
            let key = try SigningKey(seed: chain["seed"].bytes())
            let author = try chain["author"].authorID()
            let epoch = try chain["epoch"].u64()
            let ops = try chain["ops"].array()
            let entry = try chain["seal"]
            let seq = try entry["seq"].u64()
            let head = try entry["head"].bytes32()
            #expect(seq == UInt64(ops.count), "the seal covers the chain's last op")
            #expect(head == (try ops[ops.count - 1]["hash"].bytes32()))
            let message = Seal.signedMessage(author: author, epoch: epoch, seq: seq, head: head)
            #expect(message == (try entry["signed_message_hex"].bytes()))
            #expect(message.count == 93)
            let signature = try entry["signature"].bytes()
            let seal = Seal(author: author, epoch: epoch, seq: seq, head: head, signature: signature)
            let sealBytes = try entry["seal_hex"].bytes()
            #expect(seal.encoded() == sealBytes)
            #expect(try Seal.decode(sealBytes) == seal)
            #expect(OpCrypto.seal(key: key, epoch: epoch, seq: seq, head: head) == seal, "Ed25519 is deterministic")
            #expect(OpCrypto.verify(seal))
            // Any flipped bit of the signed fields or the signature breaks the seal.
            for bit in [0, 7, 8 * 32, 8 * 40 + 3, 8 * 48 + 1, 8 * 79 + 7, 8 * 80, 8 * 111 + 5, 8 * 143 + 7] {
                var bytes = sealBytes
                bytes[bit / 8] ^= 1 << UInt8(bit % 8)
                if let flipped = try? Seal.decode(bytes) {
                    #expect(!OpCrypto.verify(flipped), "bit \(bit) flipped still verifies")
                }
            }
        }
    }

    // MARK: invalid.json

    @Test("invalid.json: every byte string is rejected with the named error")
    func invalid() throws {
        let file = try VectorKit.load("invalid.json")
        let cases = try file["cases"].array()
        #expect(cases.count >= 20)
        for entry in cases {
            let name = try entry["name"].string()
            let bytes = try entry["hex"].bytes()
            let expected = try entry["error"].string()
            let error: ByteDecodingError
            do {
                switch try entry["decode"].string() {
                case "header": _ = try OpHeader.decode(bytes)
                case "body": _ = try OpBody.decode(kind: try VectorKit.kind(entry["kind"].string()), bytes: bytes)
                case "seal": _ = try Seal.decode(bytes)
                case "value": _ = try Value.decode(bytes)
                case let other: throw VectorKit.Failure("unknown decoder \(other)")
                }
                Issue.record("\(name): decoded, expected \(expected)")
                continue
            } catch let e as ByteDecodingError {
                error = e
            }
            let (caseName, field) = VectorKit.describe(error)
            #expect(caseName == expected, "\(name): got \(error)")
            if let want = entry.optional("field") {
                #expect(field == (try want.string()), "\(name): got \(error)")
            }
            if let want = entry.optional("count") {
                #expect(error == .trailingBytes(count: Int(try want.int())), "\(name): got \(error)")
            }
        }
    }

    // MARK: merge.json

    @Test("merge.json: every case gives the expected state in several delivery orders")
    func merge() throws {
        let file = try VectorKit.load("merge.json")
        let authors = try VectorKit.authors(file["authors"])
        let wall = try file["wall_ms"].u64()
        let cases = try file["cases"].array()
        #expect(cases.count >= 10)
        for entry in cases {
            let name = try entry["name"].string()
            let ops = try VectorKit.buildCase(entry["ops"], authors: authors)
            let expect = try entry["expect"]
            let orders = VectorKit.deliveryOrders(ops, count: 4)
            var hashes = Set<Bytes32>()
            for (number, order) in orders.enumerated() {
                let store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
                for index in order {
                    try store.apply(VectorKit.batch(ops, [index], authors: authors), clock: FixedClock(millis: wall))
                }
                try VectorKit.checkMerge(expect, store: store, ops: ops, authors: authors, label: "\(name), order \(number)")
                hashes.insert(try store.stateHash())
            }
            // All at once, then again: idempotent.
            let store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
            let all = VectorKit.batch(ops, Array(ops.indices), authors: authors)
            let first = try store.apply(all, clock: FixedClock(millis: wall))
            #expect(first.applied == ops.count && first.duplicates == 0, "\(name): one batch")
            let again = try store.apply(all, clock: FixedClock(millis: wall))
            #expect(again.applied == 0 && again.duplicates == ops.count, "\(name): re-delivery is idempotent")
            try VectorKit.checkMerge(expect, store: store, ops: ops, authors: authors, label: "\(name), one batch")
            hashes.insert(try store.stateHash())
            #expect(hashes == [try expect["state_hash"].bytes32()], "\(name): state hash")
        }
    }

    // MARK: receive.json

    @Test("receive.json: a receiver's batch checks, in order, all or nothing")
    func receive() throws {
        let file = try VectorKit.load("receive.json")
        let authors = try VectorKit.authors(file["authors"])
        let drift = try file["max_drift_ms"].u64()
        let wall = try file["wall_ms"].u64()
        var pool: [String: Op] = [:]
        for entry in try file["ops"].array() {
            let header = try OpHeader.decode(entry["header_hex"].bytes())
            let body = try entry.optional("body_hex").map { try $0.bytes() }
            #expect(OpCrypto.headerHash(header) == (try entry["hash"].bytes32()))
            pool[try entry["name"].string()] = Op(header: header, body: body)
        }
        var seals: [String: Seal] = [:]
        for entry in try file["seals"].array() {
            seals[try entry["name"].string()] = try Seal.decode(entry["seal_hex"].bytes())
        }
        func batch(_ json: VectorKit.JSON) throws -> OpBatch {
            OpBatch(
                ops: try json["ops"].array().map { name in
                    guard let op = pool[try name.string()] else { throw VectorKit.Failure("no op \(try name.string())") }
                    return op
                },
                seals: try json["seals"].array().map { name in
                    guard let seal = seals[try name.string()] else { throw VectorKit.Failure("no seal \(try name.string())") }
                    return seal
                })
        }
        let cases = try file["cases"].array()
        #expect(cases.count >= 15)
        for entry in cases {
            let name = try entry["name"].string()
            let store = try OpStore(inMemoryWithMaxClockDriftMillis: drift)
            for setup in try entry["setup"].array() {
                try store.apply(batch(setup), clock: FixedClock(millis: wall))
            }
            let countBefore = try store.opCount()
            let stateBefore = try store.stateHash()
            let expect = try entry["expect"]
            do {
                let report = try store.apply(batch(entry["batch"]), clock: FixedClock(millis: wall))
                #expect(try expect["result"].string() == "ok", "\(name): accepted \(report)")
                #expect(report.applied == Int(try expect["applied"].int()), "\(name)")
                #expect(report.duplicates == Int(try expect["duplicates"].int()), "\(name)")
                #expect(try store.opCount() == countBefore + report.applied)
            } catch let StoreError.rejected(op, reason) {
                #expect(try expect["result"].string() == "rejected", "\(name): rejected \(reason)")
                let (reasonName, detail) = VectorKit.describe(reason)
                #expect(reasonName == (try expect["reason"].string()), "\(name): got \(reason)")
                if let want = expect.optional("detail") {
                    #expect(detail == (try want.string()), "\(name): got \(reason)")
                }
                let at = try expect["op"]
                let want = OpRef(author: authors[Int(try at["author"].int())].id, epoch: try at["epoch"].u64(), seq: try at["seq"].u64())
                #expect(op == want, "\(name): rejected at \(String(describing: op))")
                #expect(try store.opCount() == countBefore, "\(name): a refused batch applies nothing")
                #expect(try store.stateHash() == stateBefore, "\(name): a refused batch applies nothing")
            }
            #expect(try store.forks().count == Int(try expect["fork_evidence"].int()), "\(name): fork evidence")
        }
    }

    // MARK: state.json

    @Test("state.json: the canonical state dump and state hash of the ops.json chains")
    func state() throws {
        let ops = try VectorKit.load("ops.json")
        let file = try VectorKit.load("state.json")
        let store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        try VectorKit.applyChains(ops, to: store, wall: try file["wall_ms"].u64())
        let dump = try store.stateDump()
        var all: [UInt8] = []
        let tables = try file["tables"].array()
        #expect(tables.count == 8)
        for table in tables {
            let name = try table["name"].string()
            let rows = try #require(dump[name], "table \(name)")
            let ours = rows.map { VectorKit.JSON.array($0.map(VectorKit.dumpValue)).compact() }
            let theirs = try table["rows"].array().map { try VectorKit.JSON.array($0.array().map(VectorKit.dumpValue(from:))).compact() }
            #expect(ours == theirs, "\(name): rows")
            let bytes = VectorKit.dumpBytes(table: name, rows: rows)
            #expect(bytes == (try table["bytes_hex"].bytes()), "\(name): dump bytes")
            all += bytes
        }
        let hash = try file["state_hash"].bytes32()
        #expect(Bytes32(Blake2b.hash256(all)) == hash, "state hash is BLAKE2b-256 of the concatenated dump")
        #expect(try store.stateHash() == hash)
    }
}

// MARK: - Shared model (also used by VectorGenerator)

/// Everything the vector tests and the generator share: an order-preserving JSON value, the readable
/// forms of values, bodies and refs, and the helpers that build and deliver ops.
enum VectorKit {
    static let files = ["ids.json", "ops.json", "invalid.json", "merge.json", "receive.json", "state.json", "roster.json"]

    /// `Protocol/vectors` of this package, found from this file's path.
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // RoostStoreTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root
        .appendingPathComponent("Protocol", isDirectory: true)
        .appendingPathComponent("vectors", isDirectory: true)

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Reads one vector file; fails (never skips) when it is missing.
    static func load(_ name: String) throws -> JSON {
        let url = directory.appendingPathComponent(name)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw Failure("vector file \(url.path) is missing (it is committed with the package)")
        }
        return try JSONDecoder().decode(JSON.self, from: data)
    }

    // MARK: JSON

    /// A JSON value that keeps the order of object members, so generated files read well and diff stably.
    /// Integers only (64-bit values travel as decimal strings).
    enum JSON: Sendable, Decodable {
        case null
        case bool(Bool)
        case int(Int64)
        case string(String)
        case array([JSON])
        case object([(String, JSON)])

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if c.decodeNil() {
                self = .null
            } else if let b = try? c.decode(Bool.self) {
                self = .bool(b)
            } else if let i = try? c.decode(Int64.self) {
                self = .int(i)
            } else if let s = try? c.decode(String.self) {
                self = .string(s)
            } else if let a = try? c.decode([JSON].self) {
                self = .array(a)
            } else {
                self = .object(try c.decode([String: JSON].self).sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
            }
        }

        subscript(_ key: String) -> JSON {
            get throws {
                guard case let .object(members) = self else { throw Failure("not an object, looking for \"\(key)\"") }
                guard let value = members.first(where: { $0.0 == key })?.1 else { throw Failure("missing \"\(key)\"") }
                return value
            }
        }

        /// The member, or nil when it is absent or null.
        func optional(_ key: String) -> JSON? {
            guard case let .object(members) = self, let value = members.first(where: { $0.0 == key })?.1 else { return nil }
            if case .null = value { return nil }
            return value
        }

        func string() throws -> String {
            guard case let .string(s) = self else { throw Failure("expected a string, got \(compact())") }
            return s
        }
        func int() throws -> Int64 {
            guard case let .int(i) = self else { throw Failure("expected an integer, got \(compact())") }
            return i
        }
        func bool() throws -> Bool {
            guard case let .bool(b) = self else { throw Failure("expected a boolean, got \(compact())") }
            return b
        }
        func array() throws -> [JSON] {
            guard case let .array(a) = self else { throw Failure("expected an array, got \(compact())") }
            return a
        }
        /// A u64 written as a decimal string.
        func u64() throws -> UInt64 {
            guard let v = UInt64(try string()) else { throw Failure("expected a decimal u64, got \(compact())") }
            return v
        }
        /// An i64 written as a decimal string.
        func i64() throws -> Int64 {
            guard let v = Int64(try string()) else { throw Failure("expected a decimal i64, got \(compact())") }
            return v
        }
        /// Bytes written as hexadecimal.
        func bytes() throws -> [UInt8] {
            guard let v = Hex.decode(try string()) else { throw Failure("expected hex, got \(compact())") }
            return v
        }
        func bytes32() throws -> Bytes32 {
            guard let v = Bytes32(try bytes()) else { throw Failure("expected 32 bytes of hex, got \(compact())") }
            return v
        }
        func authorID() throws -> AuthorID { AuthorID(key: try bytes32()) }

        /// Pretty-printed, short arrays and objects on one line, with a final newline.
        func rendered() -> String { render(indent: 0) + "\n" }

        private func render(indent: Int) -> String {
            let inline = compact()
            guard indent + inline.count > 100 else { return inline }
            let pad = String(repeating: " ", count: indent + 2)
            let end = String(repeating: " ", count: indent)
            switch self {
            case let .array(items) where !items.isEmpty:
                return "[\n" + items.map { pad + $0.render(indent: indent + 2) }.joined(separator: ",\n") + "\n" + end + "]"
            case let .object(members) where !members.isEmpty:
                return "{\n" + members.map { pad + Self.quote($0.0) + ": " + $0.1.render(indent: indent + 2) }
                    .joined(separator: ",\n") + "\n" + end + "}"
            default:
                return inline
            }
        }

        func compact() -> String {
            switch self {
            case .null: "null"
            case let .bool(b): b ? "true" : "false"
            case let .int(i): String(i)
            case let .string(s): Self.quote(s)
            case let .array(items): "[" + items.map { $0.compact() }.joined(separator: ", ") + "]"
            case let .object(members): "{" + members.map { Self.quote($0.0) + ": " + $0.1.compact() }.joined(separator: ", ") + "}"
            }
        }

        static func quote(_ s: String) -> String {
            var out = "\""
            for scalar in s.unicodeScalars {
                switch scalar {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\t": out += "\\t"
                case _ where scalar.value < 0x20 || scalar.value == 0x7f:
                    out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                        + String(scalar.value, radix: 16)
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out + "\""
        }
    }

    static func dec(_ v: UInt64) -> JSON { .string(String(v)) }
    static func hex(_ b: some Sequence<UInt8>) -> JSON { .string(Hex.encode(b)) }
    static func hex(_ b: Bytes32) -> JSON { .string(b.hex) }

    // MARK: readable forms

    /// Resolves the shortcuts merge.json uses: an author as an index, an observed op as `{"op": i}`.
    struct Context {
        var authors: [AuthorID] = []
        var refs: [OpRef] = []
    }

    static func kind(_ name: String) throws -> OpKind {
        guard let kind = OpKind.allCases.first(where: { $0.description == name }) else { throw Failure("unknown kind \(name)") }
        return kind
    }

    static func action(_ name: String) throws -> ClaimAction {
        guard let a = ClaimAction.allCases.first(where: { $0.description == name }) else { throw Failure("unknown action \(name)") }
        return a
    }

    static func hlc(_ h: HLC) -> JSON {
        .object([("raw", dec(h.rawValue)), ("physical_ms", .int(Int64(h.physicalMillis))), ("logical", .int(Int64(h.logical)))])
    }

    static func hlc(from j: JSON) throws -> HLC {
        let h = HLC(physicalMillis: UInt64(try j["physical_ms"].int()), logical: UInt16(try j["logical"].int()))
        if let raw = j.optional("raw"), try raw.u64() != h.rawValue { throw Failure("hlc raw does not match its parts") }
        return h
    }

    static func value(_ v: Value) -> JSON {
        switch v {
        case .null: .object([("type", "null")])
        case let .bool(b): .object([("type", "bool"), ("value", .bool(b))])
        case let .int(i): .object([("type", "int"), ("value", .string(String(i)))])
        case let .string(s): .object([("type", "string"), ("value", .string(s))])
        case let .bytes(b): .object([("type", "bytes"), ("hex", hex(b))])
        }
    }

    static func value(from j: JSON) throws -> Value {
        switch try j["type"].string() {
        case "null": .null
        case "bool": .bool(try j["value"].bool())
        case "int": .int(try j["value"].i64())
        case "string": .string(try j["value"].string())
        case "bytes": .bytes(try j["hex"].bytes())
        case let other: throw Failure("unknown value type \(other)")
        }
    }

    static func entity(_ e: EntityRef) -> JSON { .object([("collection", .string(e.collection)), ("key", .string(e.key))]) }

    static func entity(from j: JSON) throws -> EntityRef { EntityRef(try j["collection"].string(), try j["key"].string()) }

    static func opRef(_ r: OpRef) -> JSON { .object([("author", hex(r.author.key)), ("epoch", dec(r.epoch)), ("seq", dec(r.seq))]) }

    static func opRef(from j: JSON, _ context: Context) throws -> OpRef {
        if let index = j.optional("op") {
            let i = Int(try index.int())
            guard context.refs.indices.contains(i) else { throw Failure("no op \(i) in this case") }
            return context.refs[i]
        }
        return OpRef(author: try author(from: j["author"], context), epoch: try j["epoch"].u64(), seq: try j["seq"].u64())
    }

    static func author(from j: JSON, _ context: Context) throws -> AuthorID {
        if case let .int(i) = j {
            guard context.authors.indices.contains(Int(i)) else { throw Failure("no author \(i)") }
            return context.authors[Int(i)]
        }
        return try j.authorID()
    }

    static func body(_ b: OpBody) -> JSON {
        var members: [(String, JSON)] = [("kind", .string(b.kind.description)), ("entity", entity(b.entity))]
        switch b {
        case let .insert(_, fields):
            members.append(("fields", .array(fields.map { .object([("name", .string($0.name)), ("value", value($0.value))]) })))
        case let .set(_, field, v):
            members += [("field", .string(field)), ("value", value(v))]
        case let .tagAdd(_, tag):
            members.append(("tag", .string(tag)))
        case let .tagRemove(_, tag, observed):
            members += [("tag", .string(tag)), ("observed", .array(observed.map(opRef)))]
        case let .claim(_, action, holder, lease, observed):
            members += [
                ("action", .string(action.description)), ("holder", holder.map { hex($0.key) } ?? .null),
                ("lease_seconds", .int(Int64(lease))), ("observed", observed.map(opRef) ?? .null),
            ]
        }
        return .object(members)
    }

    static func body(from j: JSON, _ context: Context = Context()) throws -> OpBody {
        let e = try entity(from: j["entity"])
        switch try kind(j["kind"].string()) {
        case .insert:
            return .insert(entity: e, fields: try j["fields"].array().map { Field(try $0["name"].string(), try value(from: $0["value"])) })
        case .set:
            return .set(entity: e, field: try j["field"].string(), value: try value(from: j["value"]))
        case .tagAdd:
            return .tagAdd(entity: e, tag: try j["tag"].string())
        case .tagRemove:
            return .tagRemove(entity: e, tag: try j["tag"].string(), observed: try j["observed"].array().map { try opRef(from: $0, context) })
        case .claim:
            return .claim(
                entity: e, action: try action(j["action"].string()),
                holder: try j.optional("holder").map { try author(from: $0, context) },
                leaseSeconds: UInt32(try j["lease_seconds"].int()),
                observed: try j.optional("observed").map { try opRef(from: $0, context) })
        }
    }

    static func collectTags(_ body: OpBody, values: inout Set<String>, actions: inout Set<String>) {
        func name(_ v: Value) -> String {
            switch v {
            case .null: "null"
            case .bool: "bool"
            case .int: "int"
            case .string: "string"
            case .bytes: "bytes"
            }
        }
        switch body {
        case let .insert(_, fields): for f in fields { values.insert(name(f.value)) }
        case let .set(_, _, v): values.insert(name(v))
        case let .claim(_, action, _, _, _): actions.insert(action.description)
        default: break
        }
    }

    // MARK: error names

    /// The case name of a decoding error and the field it names (if any).
    static func describe(_ error: ByteDecodingError) -> (String, String?) {
        switch error {
        case let .truncated(field): ("truncated", field)
        case .trailingBytes: ("trailingBytes", nil)
        case let .tooLarge(field, _, _): ("tooLarge", field)
        case let .invalidUTF8(field): ("invalidUTF8", field)
        case let .invalidTag(field, _): ("invalidTag", field)
        case .notCanonical: ("notCanonical", nil)
        }
    }

    /// The case name of a reject reason and its details as text.
    static func describe(_ reason: RejectReason) -> (String, String) {
        switch reason {
        case let .tooManyOps(count, limit): ("tooManyOps", "count=\(count) limit=\(limit)")
        case .outOfOrder: ("outOfOrder", "")
        case let .gap(have, first): ("gap", "have=\(have) first=\(first)")
        case .prevMismatch: ("prevMismatch", "")
        case .bodyHashMismatch: ("bodyHashMismatch", "")
        case .bodyMissing: ("bodyMissing", "")
        case let .malformedHeader(error): ("malformedHeader", describe(error).0)
        case let .malformedBody(error): ("malformedBody", describe(error).0)
        case let .badSeal(seq): ("badSeal", "seq=\(seq)")
        case let .unsealed(sealed): ("unsealed", "sealed=\(sealed)")
        case .clock: ("clock", "tooFarInFuture")
        case .fork: ("fork", "")
        case .conflictingUnsealed: ("conflictingUnsealed", "")
        case .notMember: ("notMember", "")
        case .revoked: ("revoked", "")
        case let .formatMismatch(held, sent): ("formatMismatch", "held=\(held) sent=\(sent)")
        case .scopePrevMismatch: ("scopePrevMismatch", "")
        case let .badScopes(seq): ("badScopes", "seq=\(seq)")
        }
    }

    // MARK: node ids, independently

    /// RFC 4648 base32 of the key, four groups of 13 each followed by its Luhn mod 32 check character
    /// (factor 2 on the rightmost character), in blocks of 7: an independent re-implementation.
    static func luhnCheckedText(_ key: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var bits = key.flatMap { byte in (0..<8).reversed().map { (byte >> UInt8($0)) & 1 } }
        bits += [UInt8](repeating: 0, count: (5 - bits.count % 5) % 5)
        let values = stride(from: 0, to: bits.count, by: 5).map { i in bits[i..<i + 5].reduce(0) { $0 << 1 | Int($1) } }
        var chars: [Character] = []
        for group in 0..<4 {
            let payload = Array(values[group * 13..<group * 13 + 13])
            chars += payload.map { alphabet[$0] }
            chars.append(alphabet[luhn32(payload)])
        }
        return stride(from: 0, to: 56, by: 7).map { String(chars[$0..<$0 + 7]) }.joined(separator: "-")
    }

    static func luhn32(_ payload: [Int]) -> Int {
        var factor = 2
        var sum = 0
        for v in payload.reversed() {
            let product = factor * v
            sum += product / 32 + product % 32
            factor = 3 - factor
        }
        return (32 - sum % 32) % 32
    }

    // MARK: building and delivering ops

    struct Author {
        var key: SigningKey
        var epoch: UInt64
        var id: AuthorID { key.authorID }
    }

    static func authors(_ j: JSON) throws -> [Author] {
        try j.array().map { entry in
            let author = Author(key: try SigningKey(seed: entry["seed"].bytes()), epoch: try entry["epoch"].u64())
            guard author.id == (try entry["public_key"].authorID()) else { throw Failure("seed does not give public_key") }
            return author
        }
    }

    struct BuiltOp {
        var author: Int
        var header: OpHeader
        var body: [UInt8]
        var hash: Bytes32
        var op: Op { Op(header: header, body: body) }
    }

    /// Builds a merge case's ops: seqs count from 1 per author in listed order, prev links follow.
    static func buildCase(_ list: JSON, authors: [Author]) throws -> [BuiltOp] {
        let entries = try list.array()
        var seqs = [Int: UInt64]()
        var refs: [OpRef] = []
        for entry in entries {
            let a = Int(try entry["author"].int())
            guard authors.indices.contains(a) else { throw Failure("no author \(a)") }
            seqs[a, default: 0] += 1
            refs.append(OpRef(author: authors[a].id, epoch: authors[a].epoch, seq: seqs[a]!))
        }
        let context = Context(authors: authors.map(\.id), refs: refs)
        var prevs = [Int: Bytes32]()
        var built: [BuiltOp] = []
        for (index, entry) in entries.enumerated() {
            let a = Int(try entry["author"].int())
            let decoded = try Self.body(from: entry["body"], context)
            let (header, bytes) = OpCrypto.makeHeader(
                author: authors[a].id, epoch: authors[a].epoch, seq: refs[index].seq, prev: prevs[a] ?? .zero,
                hlc: try hlc(from: entry["hlc"]), body: decoded)
            let hash = OpCrypto.headerHash(header)
            prevs[a] = hash
            built.append(BuiltOp(author: a, header: header, body: bytes, hash: hash))
        }
        return built
    }

    /// A batch of the given ops (in that order) with a seal over the last op of each log in it.
    static func batch(_ ops: [BuiltOp], _ indices: [Int], authors: [Author]) -> OpBatch {
        var last: [Int: Int] = [:]
        for i in indices { last[ops[i].author] = i }
        let seals = last.keys.sorted().map { a in
            let op = ops[last[a]!]
            return OpCrypto.seal(key: authors[a].key, epoch: authors[a].epoch, seq: op.header.seq, head: op.hash)
        }
        return OpBatch(ops: indices.map { ops[$0].op }, seals: seals)
    }

    /// Delivery orders that keep each author's order: as listed, log by log from the last author, and
    /// seeded random interleavings.
    static func deliveryOrders(_ ops: [BuiltOp], count: Int) -> [[Int]] {
        var orders = [Array(ops.indices)]
        let authors = Set(ops.map(\.author)).sorted(by: >)
        orders.append(authors.flatMap { a in ops.indices.filter { ops[$0].author == a } })
        var state: UInt64 = 0x5EED_0F_0DE5
        for _ in 0..<max(0, count - 2) {
            var queues = authors.map { a in ops.indices.filter { ops[$0].author == a } }
            var order: [Int] = []
            while queues.contains(where: { !$0.isEmpty }) {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let nonEmpty = queues.indices.filter { !queues[$0].isEmpty }
                let pick = nonEmpty[Int((state >> 33) % UInt64(nonEmpty.count))]
                order.append(queues[pick].removeFirst())
            }
            orders.append(order)
        }
        return orders
    }

    /// Checks a store against a merge case's `expect` member.
    static func checkMerge(_ expect: JSON, store: OpStore, ops: [BuiltOp], authors: [Author], label: String) throws {
        let dump = try store.stateDump()
        for entry in try expect.optional("registers")?.array() ?? [] {
            let e = try entity(from: entry["entity"])
            let field = try entry["field"].string()
            #expect(try store.state.register(e, field) == value(from: entry["value"]), "\(label): register \(e).\(field)")
            let winner = ops[Int(try entry["winner"].int())].header.ref
            let row = dump["mv_register"]?.first { row in
                String.fromDatabaseValue(row[0]) == e.collection && String.fromDatabaseValue(row[1]) == e.key
                    && String.fromDatabaseValue(row[2]) == field
            }
            #expect(row.map { Array($0[5...7]) } == refValues(winner), "\(label): register \(e).\(field) winner")
        }
        for entry in try expect.optional("entities")?.array() ?? [] {
            let e = try entity(from: entry["entity"])
            let fields = try entry["fields"].array().map { Field(try $0["name"].string(), try value(from: $0["value"])) }
            #expect(try store.state.entity(e) == fields, "\(label): entity \(e)")
            let winner = ops[Int(try entry["winner"].int())].header.ref
            let row = dump["mv_entity"]?.first { row in
                String.fromDatabaseValue(row[0]) == e.collection && String.fromDatabaseValue(row[1]) == e.key
            }
            #expect(row.map { Array($0[4...6]) } == refValues(winner), "\(label): entity \(e) winner")
        }
        for entry in try expect.optional("tags")?.array() ?? [] {
            let e = try entity(from: entry["entity"])
            #expect(try store.state.tags(of: e) == entry["tags"].array().map { try $0.string() }, "\(label): tags of \(e)")
        }
        for entry in try expect.optional("claims")?.array() ?? [] {
            let e = try entity(from: entry["entity"])
            let status = try store.state.claim(on: e)
            if let current = entry.optional("current") {
                let s = try #require(status, "\(label): \(e) has no claim state")
                let op = ops[Int(try current.int())]
                #expect(s.current == op.header.ref, "\(label): current claim of \(e)")
                #expect(s.since == op.header.hlc)
                #expect(s.action == (try action(entry["action"].string())), "\(label): action")
                let holder = try entry.optional("holder").map { authors[Int(try $0.int())].id }
                #expect(s.holder == holder, "\(label): holder of \(e)")
                #expect(s.leaseEndsMillis == (try entry["lease_ends_ms"].u64()), "\(label): lease end")
            } else {
                #expect(status == nil, "\(label): \(e) should have no claim state")
            }
            let conflicts = try store.state.claimConflicts(on: e).map { "\($0.loser) \($0.winner.map(String.init(describing:)) ?? "-") \($0.reason.rawValue)" }
            let expected = try entry["conflicts"].array().map { c in
                let loser = ops[Int(try c["loser"].int())].header.ref
                let winner = try c.optional("winner").map { ops[Int(try $0.int())].header.ref }
                return "\(loser) \(winner.map(String.init(describing:)) ?? "-") \(try c["reason"].string())"
            }
            #expect(conflicts.sorted() == expected.sorted(), "\(label): conflicts on \(e)")
        }
    }

    static func refValues(_ ref: OpRef) -> [DatabaseValue] {
        [Data(ref.author.key.bytes).databaseValue, Int64(ref.epoch).databaseValue, Int64(ref.seq).databaseValue]
    }

    /// Applies every chain of ops.json to `store`, one sealed batch per chain.
    static func applyChains(_ file: JSON, to store: OpStore, wall: UInt64) throws {
        for chain in try file["chains"].array() {
            var ops: [Op] = []
            for entry in try chain["ops"].array() {
                ops.append(Op(header: try OpHeader.decode(entry["header_hex"].bytes()), body: try entry["body_hex"].bytes()))
            }
            let seal = try Seal.decode(chain["seal"]["seal_hex"].bytes())
            try store.apply(OpBatch(ops: ops, seals: [seal]), clock: FixedClock(millis: wall))
        }
    }

    // MARK: state dump

    /// One SQLite value of the dump in readable form: null, {"int": "n"}, {"text": "s"}, {"blob": "hex"}.
    static func dumpValue(_ v: DatabaseValue) -> JSON {
        switch v.storage {
        case .null: .null
        case let .int64(i): .object([("int", .string(String(i)))])
        case let .double(d): .object([("real", .string(String(d)))])
        case let .string(s): .object([("text", .string(s))])
        case let .blob(b): .object([("blob", hex([UInt8](b)))])
        }
    }

    static func dumpValue(from j: JSON) throws -> JSON {
        if case .null = j { return .null }
        if let i = j.optional("int") { return .object([("int", .string(String(try i.i64())))]) }
        if let s = j.optional("text") { return .object([("text", .string(try s.string()))]) }
        if let b = j.optional("blob") { return .object([("blob", hex(try b.bytes()))]) }
        throw Failure("unknown dump value \(j.compact())")
    }

    /// The dump bytes of one table, re-implemented from the specification: u32 length + name, then
    /// every value of every row as a tag byte and its bytes.
    static func dumpBytes(table: String, rows: [[DatabaseValue]]) -> [UInt8] {
        var w = ByteWriter()
        w.string(table)
        for row in rows {
            for v in row {
                switch v.storage {
                case .null: w.u8(0)
                case let .int64(i): w.u8(1); w.i64(i)
                case let .double(d): w.u8(2); w.u64(d.bitPattern)
                case let .string(s): w.u8(3); w.string(s)
                case let .blob(b): w.u8(4); w.lengthPrefixed([UInt8](b))
                }
            }
        }
        return w.bytes
    }
}

extension VectorKit.JSON: ExpressibleByStringLiteral {
    init(stringLiteral value: String) { self = .string(value) }
}

extension VectorKit.JSON: CustomStringConvertible {
    var description: String { compact() }
}
