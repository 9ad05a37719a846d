import Foundation
import RoostCore
import RoostCrypto
import RoostStore
import Testing

/// Writes Protocol/vectors/*.json. Runs only when asked:
///
///     ROOST_WRITE_VECTORS=1 swift test --filter VectorGenerator
///
/// Expectations (merge winners, claim holders and conflicts, reject reasons, decoding errors) are written
/// here by hand from the specification; the generator checks each one against this implementation before
/// writing, and `VectorTests` checks the files on every run.
@Suite struct VectorGenerator {
    static let enabled = ProcessInfo.processInfo.environment["ROOST_WRITE_VECTORS"] == "1"

    @Test("write the protocol vectors", .enabled(if: enabled))
    func writeVectors() throws {
        try FileManager.default.createDirectory(at: VectorKit.directory, withIntermediateDirectories: true)
        try write("ids.json", try Self.ids())
        let ops = try Self.ops()
        try write("ops.json", ops)
        try write("invalid.json", try Self.invalid(ops))
        try write("merge.json", try Self.merge())
        try write("receive.json", try Self.receive())
        try write("state.json", try Self.state(ops))
    }

    private func write(_ name: String, _ json: VectorKit.JSON) throws {
        let url = VectorKit.directory.appendingPathComponent(name)
        try Data(json.rendered().utf8).write(to: url)
        // What was written must read back as the same document.
        #expect(try VectorKit.load(name).compact() == Self.sortedMembers(json).compact(), "\(name) round-trips")
    }

    /// The same document with object members sorted by key (the order the reader returns).
    static func sortedMembers(_ json: VectorKit.JSON) -> VectorKit.JSON {
        switch json {
        case let .array(items): .array(items.map(sortedMembers))
        case let .object(members): .object(members.sorted { $0.0 < $1.0 }.map { ($0.0, sortedMembers($0.1)) })
        default: json
        }
    }

    typealias J = VectorKit.JSON

    // MARK: keys

    static let seedA = [UInt8](repeating: 0x01, count: 32)
    static let seedB = [UInt8](repeating: 0x02, count: 32)
    static let seedC = [UInt8](repeating: 0x03, count: 32)
    /// RFC 8032, section 7.1, test 1.
    static let seedRFC = Hex.decode("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")!

    /// 2026-01-01T00:00:00Z in Unix milliseconds.
    static let t0: UInt64 = 1_767_225_600_000

    // MARK: ids.json

    static func ids() throws -> J {
        var keys: [J] = []
        for (name, seed) in [("A", seedA), ("B", seedB), ("C", seedC), ("RFC 8032 test 1", seedRFC)] {
            let key = try SigningKey(seed: seed).publicKey
            keys.append(.object([("name", .string(name)), ("seed", VectorKit.hex(seed)), ("public_key", VectorKit.hex(key)),
                                 ("text", .string(NodeIDText.encode(key)))]))
        }
        for (name, key) in [("bytes 00..1f", Array(UInt8(0)..<32)), ("all zero", [UInt8](repeating: 0, count: 32)),
                            ("all ff", [UInt8](repeating: 0xff, count: 32))] {
            keys.append(.object([("name", .string(name)), ("public_key", VectorKit.hex(key)), ("text", .string(NodeIDText.encode(key)))]))
        }
        let a = try SigningKey(seed: seedA).publicKey
        let textA = NodeIDText.encode(a)
        let equivalent: [J] = [
            textA.lowercased(), textA.replacingOccurrences(of: "-", with: ""),
            textA.replacingOccurrences(of: "-", with: " "), String(textA.prefix(20)).lowercased() + textA.dropFirst(20),
        ].map { .object([("text", .string($0)), ("public_key", VectorKit.hex(a))]) }

        var invalid: [J] = []
        func add(_ text: String, _ why: String, _ error: NodeIDTextError) throws {
            var members: [(String, J)] = [("text", .string(text)), ("why", .string(why))]
            switch error {
            case let .wrongLength(n): members += [("error", "wrongLength"), ("count", .int(Int64(n)))]
            case let .invalidCharacter(c): members += [("error", "invalidCharacter"), ("character", .string(String(c)))]
            case let .checkFailed(g): members += [("error", "checkFailed"), ("group", .int(Int64(g)))]
            }
            #expect(throws: error, "\(text)") { try NodeIDText.decode(text) }
            invalid.append(.object(members))
        }
        var chars = Array(textA)
        func replaced(_ index: Int, _ c: Character) -> String { var x = chars; x[index] = c; return String(x) }
        // Block 3 (index 16..22) is in check group 2.
        try add(replaced(17, chars[17] == "A" ? "B" : "A"), "one character of block 3 mistyped", .checkFailed(group: 2))
        try add(replaced(0, chars[0] == "Q" ? "R" : "Q"), "first character mistyped", .checkFailed(group: 1))
        try add(replaced(62, chars[62] == "A" ? "B" : "A"), "the last check character mistyped", .checkFailed(group: 4))
        try add(String(textA.dropLast()), "55 characters", .wrongLength(55))
        try add(textA + "A", "57 characters", .wrongLength(57))
        try add("", "empty", .wrongLength(0))
        try add(replaced(3, "1"), "1 is not in the alphabet", .invalidCharacter("1"))
        try add(replaced(3, "0"), "0 is not in the alphabet", .invalidCharacter("0"))
        try add(replaced(3, "_"), "_ is not a separator", .invalidCharacter("_"))
        // Not canonical: the 52nd base32 character carries one bit, so its low four bits must be zero.
        // Change it from A to B in the all-zero key and recompute group 4's check character: every check
        // passes, but the text encodes no key.
        let zeros = NodeIDText.encode([UInt8](repeating: 0, count: 32))
        chars = Array(zeros.replacingOccurrences(of: "-", with: ""))
        chars[54] = "B"
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        let group4 = chars[42..<55].map { alphabet.firstIndex(of: $0)! }
        chars[55] = alphabet[VectorKit.luhn32(group4)]
        let nonCanonical = stride(from: 0, to: 56, by: 7).map { String(chars[$0..<$0 + 7]) }.joined(separator: "-")
        try add(nonCanonical, "checks pass but the last payload character has non-zero padding bits", .checkFailed(group: 4))

        return .object([
            ("description", .string(
                "Author ids: Ed25519 public keys from 32-byte seeds (RFC 8032 key generation) and their text form "
                    + "(SPEC.md, 'Author ids'). Decoding ignores case, '-' and ' '.")),
            ("keys", .array(keys)),
            ("equivalent_text", .array(equivalent)),
            ("invalid_text", .array(invalid)),
        ])
    }

    // MARK: ops.json

    struct ChainSpec {
        var name: String
        var seed: [UInt8]
        var epoch: UInt64
        var ops: [(hlc: HLC, body: OpBody)] = []
    }

    static func ref(_ seed: [UInt8], _ epoch: UInt64, _ seq: UInt64) throws -> OpRef {
        OpRef(author: try SigningKey(seed: seed).authorID, epoch: epoch, seq: seq)
    }

    static func chainSpecs() throws -> [ChainSpec] {
        let epochA: UInt64 = 0x0123_4567_89ab_cdef
        let epochB: UInt64 = 1
        let epochC: UInt64 = Limits.maxOrdinal
        let a = try SigningKey(seed: seedA).authorID
        let b = try SigningKey(seed: seedB).authorID
        let c = try SigningKey(seed: seedC).authorID
        let message = EntityRef("message", "tw:1843")
        let t1 = EntityRef("ticket", "T-1")
        let t2 = EntityRef("ticket", "T-2")
        func at(_ ms: UInt64, _ logical: UInt16 = 0) -> HLC { HLC(physicalMillis: t0 + ms, logical: logical) }
        var specA = ChainSpec(name: "A", seed: seedA, epoch: epochA)
        var specB = ChainSpec(name: "B", seed: seedB, epoch: epochB)
        var specC = ChainSpec(name: "C", seed: seedC, epoch: epochC)
        specA.ops = [
            (at(0), .insert(entity: message, fields: [
                Field("archived", .bool(false)), Field("attachment", .bytes([0x00, 0xff, 0x10, 0x80])),
                Field("deleted_at", .null), Field("score", .int(-2)), Field("text", .string("héllo ✓ 🐦")),
                Field("verified", .bool(true)),
            ])),
            (at(0, 1), .set(entity: t1, field: "status", value: .string("open"))),
            (at(0, 2), .tagAdd(entity: t1, tag: "urgent")),
            (at(1000), .tagRemove(entity: t1, tag: "urgent",
                                  observed: [try ref(seedA, epochA, 3), try ref(seedB, epochB, 1)].sorted())),
            (at(2000), .claim(entity: t1, action: .claim, holder: a, leaseSeconds: 3600, observed: nil)),
            (at(3000), .claim(entity: t1, action: .handoff, holder: b, leaseSeconds: 3600, observed: try ref(seedA, epochA, 5))),
        ]
        specB.ops = [
            (at(500), .tagAdd(entity: t1, tag: "urgent")),
            (at(600), .set(entity: t1, field: "snoozed_until", value: .null)),
            (at(2500), .claim(entity: t2, action: .claim, holder: b, leaseSeconds: 600, observed: nil)),
            (at(4000), .claim(entity: t1, action: .release, holder: nil, leaseSeconds: 0, observed: try ref(seedA, epochA, 6))),
        ]
        specC.ops = [
            (at(5000), .claim(entity: t2, action: .takeover, holder: c, leaseSeconds: 600, observed: try ref(seedB, epochB, 3))),
            (at(5000, 7), .claim(entity: t2, action: .reassign, holder: a, leaseSeconds: 900, observed: try ref(seedB, epochB, 3))),
            (at(6000), .tagAdd(entity: t2, tag: "vip")),
        ]
        return [specA, specB, specC]
    }

    static func ops() throws -> J {
        var chains: [J] = []
        for spec in try chainSpecs() {
            let key = try SigningKey(seed: spec.seed)
            var prev = Bytes32.zero
            var entries: [J] = []
            for (index, op) in spec.ops.enumerated() {
                let (header, body) = OpCrypto.makeHeader(
                    author: key.authorID, epoch: spec.epoch, seq: UInt64(index + 1), prev: prev, hlc: op.hlc, body: op.body)
                let hash = OpCrypto.headerHash(header)
                entries.append(.object([
                    ("seq", VectorKit.dec(header.seq)), ("prev", VectorKit.hex(prev)), ("hlc", VectorKit.hlc(header.hlc)),
                    ("kind", .string(header.kind.description)), ("kind_code", .int(Int64(header.kind.rawValue))),
                    ("body", VectorKit.body(op.body)), ("body_hex", VectorKit.hex(body)), ("body_len", .int(Int64(body.count))),
                    ("body_hash", VectorKit.hex(header.bodyHash)), ("header_hex", VectorKit.hex(header.encoded())),
                    ("hash", VectorKit.hex(hash)),
                ]))
                prev = hash
            }
            let seal = OpCrypto.seal(key: key, epoch: spec.epoch, seq: UInt64(spec.ops.count), head: prev)
            chains.append(.object([
                ("name", .string(spec.name)), ("seed", VectorKit.hex(spec.seed)), ("author", VectorKit.hex(key.authorID.key)),
                ("author_text", .string(key.authorID.text)), ("epoch", VectorKit.dec(spec.epoch)), ("ops", .array(entries)),
                ("seal", .object([
                    ("seq", VectorKit.dec(seal.seq)), ("head", VectorKit.hex(seal.head)),
                    ("signed_message_hex", VectorKit.hex(seal.signedMessage)), ("signature", VectorKit.hex(seal.signature)),
                    ("seal_hex", VectorKit.hex(seal.encoded())),
                ])),
            ]))
        }
        return .object([
            ("description", .string(
                "Three logs (chains) of valid ops. Per op: the header fields, the body in readable form, body_hex "
                    + "(canonical body encoding), body_hash = BLAKE2b-256(body), header_hex (127 bytes), hash = "
                    + "BLAKE2b-256(header). Each chain ends with the author's seal over its last op. 64-bit integers "
                    + "are decimal strings; bytes are lower-case hex.")),
            ("chains", .array(chains)),
        ])
    }

    // MARK: invalid.json

    static func invalid(_ ops: J) throws -> J {
        let chainA = try ops["chains"].array()[0]
        let opsA = try chainA["ops"].array()
        let header1 = try opsA[0]["header_hex"].bytes()
        let header2 = try opsA[1]["header_hex"].bytes()
        let seal = try chainA["seal"]["seal_hex"].bytes()
        var cases: [J] = []

        func add(_ name: String, _ decode: String, kind: OpKind? = nil, _ bytes: [UInt8], _ expected: ByteDecodingError) {
            var members: [(String, J)] = [("name", .string(name)), ("decode", .string(decode))]
            if let kind { members.append(("kind", .string(kind.description))) }
            members.append(("hex", VectorKit.hex(bytes)))
            let (caseName, field) = VectorKit.describe(expected)
            members.append(("error", .string(caseName)))
            if let field { members.append(("field", .string(field))) }
            if case let .trailingBytes(count) = expected { members.append(("count", .int(Int64(count)))) }
            // The decoder must fail exactly so.
            var got: ByteDecodingError?
            do {
                switch decode {
                case "header": _ = try OpHeader.decode(bytes)
                case "body": _ = try OpBody.decode(kind: kind!, bytes: bytes)
                case "seal": _ = try Seal.decode(bytes)
                default: _ = try Value.decode(bytes)
                }
            } catch { got = error }
            if let got, VectorKit.describe(got) == VectorKit.describe(expected) {
                if case .trailingBytes = expected { #expect(got == expected, "\(name)") }
            } else {
                Issue.record("\(name): expected \(expected), got \(got.map(String.init(describing:)) ?? "success")")
            }
            cases.append(.object(members))
        }
        func patched(_ bytes: [UInt8], at offset: Int, _ replacement: [UInt8]) -> [UInt8] {
            var out = bytes
            out.replaceSubrange(offset..<offset + replacement.count, with: replacement)
            return out
        }
        func be64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }
        func be32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.bigEndian, Array.init) }

        // Headers (op A2 unless noted).
        add("header: empty", "header", [], .truncated(field: "header.version"))
        add("header: 126 bytes", "header", Array(header2.prefix(126)), .truncated(field: "header.bodyHash"))
        add("header: 128 bytes", "header", header2 + [0], .trailingBytes(count: 1))
        add("header: version 0", "header", patched(header2, at: 0, [0]), .invalidTag(field: "header.version", value: 0))
        add("header: version 2", "header", patched(header2, at: 0, [2]), .invalidTag(field: "header.version", value: 2))
        add("header: seq 0", "header", patched(header2, at: 41, be64(0)), .invalidTag(field: "header.seq", value: 0))
        add("header: kind 0", "header", patched(header2, at: 89, [0, 0]), .invalidTag(field: "header.kind", value: 0))
        add("header: kind 6", "header", patched(header2, at: 89, [0, 6]), .invalidTag(field: "header.kind", value: 6))
        add("header: kind 0x0102", "header", patched(header2, at: 89, [1, 2]), .invalidTag(field: "header.kind", value: 258))
        add("header: body length 262145", "header", patched(header2, at: 91, be32(262_145)),
            .tooLarge(field: "body", length: 262_145, limit: Limits.maxBodyBytes))
        add("header: epoch 2^63", "header", patched(header2, at: 33, be64(1 << 63)),
            .tooLarge(field: "header.epoch", length: Int.max, limit: Int(Limits.maxOrdinal)))
        add("header: seq 2^63", "header", patched(header2, at: 41, be64(1 << 63)),
            .tooLarge(field: "header.seq", length: Int.max, limit: Int(Limits.maxOrdinal)))
        add("header: hlc 2^63", "header", patched(header2, at: 81, be64(1 << 63)),
            .tooLarge(field: "header.hlc", length: Int.max, limit: Int(Limits.maxOrdinal)))
        add("header: seq 1 with a non-zero prev (op A1, prev[31] = 1)", "header", patched(header1, at: 80, [1]),
            .notCanonical("the first op of a log has a zero prev hash"))

        // Bodies, built by hand.
        func w(_ build: (inout ByteWriter) -> Void) -> [UInt8] { var x = ByteWriter(); build(&x); return x.bytes }
        func entity(_ x: inout ByteWriter, _ collection: String = "ticket", _ key: String = "T-1") {
            x.string(collection); x.string(key)
        }
        let refA = try ref(seedA, 1, 3)
        let refB = try ref(seedB, 1, 1)
        let lo = min(refA, refB), hi = max(refA, refB)

        add("body: empty", "body", kind: .set, [], .truncated(field: "entity.collection"))
        add("body: empty collection name", "body", kind: .tagAdd, w { entity(&$0, "", "T-1"); $0.string("x") },
            .notCanonical("empty collection name"))
        add("body: collection length prefix 513", "body", kind: .tagAdd, w { $0.u32(513) },
            .tooLarge(field: "entity.collection", length: 513, limit: 512))
        add("body: key is not UTF-8 (0xff)", "body", kind: .tagAdd, w { $0.string("ticket"); $0.lengthPrefixed([0xff]); $0.string("x") },
            .invalidUTF8(field: "entity.key"))
        add("body: key ends inside its length prefix", "body", kind: .tagAdd, w { $0.string("ticket"); $0.u8(0); $0.u8(0) },
            .truncated(field: "entity.key"))
        add("insert: fields not sorted (b before a)", "body", kind: .insert,
            w { entity(&$0); $0.u32(2); $0.string("b"); $0.u8(0); $0.string("a"); $0.u8(0) },
            .notCanonical("insert fields not strictly sorted by name"))
        add("insert: duplicate field name", "body", kind: .insert,
            w { entity(&$0); $0.u32(2); $0.string("a"); $0.u8(0); $0.string("a"); $0.u8(0) },
            .notCanonical("insert fields not strictly sorted by name"))
        add("insert: field names compare as bytes (\"a\" 0x61 before \"B\" 0x42 is unsorted)", "body", kind: .insert,
            w { entity(&$0); $0.u32(2); $0.string("a"); $0.u8(0); $0.string("B"); $0.u8(0) },
            .notCanonical("insert fields not strictly sorted by name"))
        add("insert: 65 fields", "body", kind: .insert, w { entity(&$0); $0.u32(65) },
            .tooLarge(field: "insert.count", length: 65, limit: 64))
        add("insert: count says 2, one field present", "body", kind: .insert, w { entity(&$0); $0.u32(2); $0.string("a"); $0.u8(0) },
            .truncated(field: "insert.field"))
        add("set: field name length prefix 513", "body", kind: .set, w { entity(&$0); $0.u32(513) },
            .tooLarge(field: "set.field", length: 513, limit: 512))
        add("set: bool byte 2", "body", kind: .set, w { entity(&$0); $0.string("done"); $0.u8(1); $0.u8(2) },
            .invalidTag(field: "set.value", value: 2))
        add("set: value tag 5", "body", kind: .set, w { entity(&$0); $0.string("x"); $0.u8(5) },
            .invalidTag(field: "set.value.tag", value: 5))
        add("set: int value cut short (7 of 8 bytes)", "body", kind: .set,
            w { entity(&$0); $0.string("n"); $0.u8(2); $0.raw([0, 0, 0, 0, 0, 0, 1]) }, .truncated(field: "set.value"))
        add("set: string value length prefix 65537", "body", kind: .set, w { entity(&$0); $0.string("note"); $0.u8(3); $0.u32(65_537) },
            .tooLarge(field: "set.value", length: 65_537, limit: 65_536))
        add("set: bytes value length prefix 65537", "body", kind: .set, w { entity(&$0); $0.string("blob"); $0.u8(4); $0.u32(65_537) },
            .tooLarge(field: "set.value", length: 65_537, limit: 65_536))
        add("set: one trailing byte", "body", kind: .set, w { entity(&$0); $0.string("status"); $0.u8(0); $0.u8(0) },
            .trailingBytes(count: 1))
        add("set body decoded as tag-add (kind from the header decides the layout)", "body", kind: .tagAdd,
            w { entity(&$0); $0.string("status"); $0.u8(0) }, .trailingBytes(count: 1))
        add("tag-add: tag length prefix 513", "body", kind: .tagAdd, w { entity(&$0); $0.u32(513) },
            .tooLarge(field: "tag", length: 513, limit: 512))
        add("tag-remove: empty observed list", "body", kind: .tagRemove, w { entity(&$0); $0.string("urgent"); $0.u32(0) },
            .notCanonical("tag removal observes no add"))
        add("tag-remove: observed not sorted", "body", kind: .tagRemove,
            w { entity(&$0); $0.string("urgent"); $0.u32(2); $0.opRef(hi); $0.opRef(lo) },
            .notCanonical("observed adds not strictly sorted"))
        add("tag-remove: observed duplicated", "body", kind: .tagRemove,
            w { entity(&$0); $0.string("urgent"); $0.u32(2); $0.opRef(lo); $0.opRef(lo) },
            .notCanonical("observed adds not strictly sorted"))
        add("tag-remove: observed seq 0", "body", kind: .tagRemove,
            w { entity(&$0); $0.string("urgent"); $0.u32(1); $0.bytes32(lo.author.key); $0.u64(1); $0.u64(0) },
            .invalidTag(field: "tagRemove.observed.seq", value: 0))
        add("tag-remove: observed epoch 2^63", "body", kind: .tagRemove,
            w { entity(&$0); $0.string("urgent"); $0.u32(1); $0.bytes32(lo.author.key); $0.u64(1 << 63); $0.u64(1) },
            .tooLarge(field: "tagRemove.observed", length: Int.max, limit: Int(Limits.maxOrdinal)))
        add("tag-remove: 1025 observed", "body", kind: .tagRemove, w { entity(&$0); $0.string("urgent"); $0.u32(1025) },
            .tooLarge(field: "tagRemove.count", length: 1025, limit: 1024))
        let holder = try SigningKey(seed: seedA).authorID
        func claim(_ x: inout ByteWriter, action: UInt8, holderFlag: UInt8, lease: UInt32, observedFlag: UInt8) {
            entity(&x)
            x.u8(action)
            x.u8(holderFlag)
            if holderFlag == 1 { x.bytes32(holder.key) }
            x.u32(lease)
            x.u8(observedFlag)
            if observedFlag == 1 { x.opRef(lo) }
        }
        add("claim: action 0", "body", kind: .claim, w { claim(&$0, action: 0, holderFlag: 1, lease: 60, observedFlag: 0) },
            .invalidTag(field: "claim.action", value: 0))
        add("claim: action 6", "body", kind: .claim, w { claim(&$0, action: 6, holderFlag: 1, lease: 60, observedFlag: 0) },
            .invalidTag(field: "claim.action", value: 6))
        add("claim: holder flag 2", "body", kind: .claim, w { claim(&$0, action: 1, holderFlag: 2, lease: 60, observedFlag: 0) },
            .invalidTag(field: "claim.holder.flag", value: 2))
        add("claim: observed flag 2", "body", kind: .claim, w { claim(&$0, action: 1, holderFlag: 1, lease: 60, observedFlag: 2) },
            .invalidTag(field: "claim.observed.flag", value: 2))
        add("claim: lease 604801 s (7 days + 1 s)", "body", kind: .claim,
            w { claim(&$0, action: 1, holderFlag: 1, lease: 604_801, observedFlag: 0) },
            .tooLarge(field: "claim.lease", length: 604_801, limit: 604_800))
        add("claim: release with a holder", "body", kind: .claim, w { claim(&$0, action: 2, holderFlag: 1, lease: 0, observedFlag: 1) },
            .notCanonical("a release has no holder, every other claim action has one"))
        add("claim: release with a lease", "body", kind: .claim, w { claim(&$0, action: 2, holderFlag: 0, lease: 60, observedFlag: 1) },
            .notCanonical("a release carries no lease"))
        add("claim: claim without a holder", "body", kind: .claim, w { claim(&$0, action: 1, holderFlag: 0, lease: 60, observedFlag: 0) },
            .notCanonical("a release has no holder, every other claim action has one"))
        add("claim: handoff without a holder", "body", kind: .claim, w { claim(&$0, action: 3, holderFlag: 0, lease: 60, observedFlag: 1) },
            .notCanonical("a release has no holder, every other claim action has one"))
        add("claim: trailing byte", "body", kind: .claim,
            w { claim(&$0, action: 1, holderFlag: 1, lease: 60, observedFlag: 0); $0.u8(0) }, .trailingBytes(count: 1))

        // Seals (chain A's seal).
        add("seal: 143 bytes", "seal", Array(seal.prefix(143)), .truncated(field: "seal"))
        add("seal: 145 bytes", "seal", seal + [0], .trailingBytes(count: 1))
        add("seal: seq 0", "seal", patched(seal, at: 40, be64(0)), .invalidTag(field: "seal.seq", value: 0))

        // Values on their own (as stored in registers).
        add("value: empty", "value", [], .truncated(field: "value.tag"))
        add("value: tag 5", "value", [5], .invalidTag(field: "value.tag", value: 5))
        add("value: bool byte 2", "value", [1, 2], .invalidTag(field: "value", value: 2))
        add("value: int of 7 bytes", "value", [2, 0, 0, 0, 0, 0, 0, 1], .truncated(field: "value"))
        add("value: string with an overlong encoding (C0 AF)", "value", [3, 0, 0, 0, 2, 0xc0, 0xaf], .invalidUTF8(field: "value"))
        add("value: string with a UTF-16 surrogate (ED A0 80)", "value", [3, 0, 0, 0, 3, 0xed, 0xa0, 0x80], .invalidUTF8(field: "value"))
        add("value: string length says 3, 2 bytes follow", "value", [3, 0, 0, 0, 3, 0x61, 0x62], .truncated(field: "value"))
        add("value: null then a trailing byte", "value", [0, 0], .trailingBytes(count: 1))

        return .object([
            ("description", .string(
                "Byte strings a decoder must reject. 'decode' names what is decoded (header: 127-byte op header; "
                    + "body: a body of 'kind'; seal: 144-byte seal; value: a Value alone); 'error' is the ByteDecodingError "
                    + "case, 'field' the field it names in this implementation (informative), 'count' the number of "
                    + "trailing bytes.")),
            ("cases", .array(cases)),
        ])
    }

    // MARK: merge.json

    /// One op of a merge case: author index, HLC (ms after t0, logical) and the body in readable form.
    struct M {
        var author: Int
        var ms: UInt64
        var logical: UInt16 = 0
        var body: J
    }

    static let mergeEpoch: UInt64 = 1

    static func mergeAuthors() throws -> [VectorKit.Author] {
        try [seedA, seedB, seedC].map { VectorKit.Author(key: try SigningKey(seed: $0), epoch: mergeEpoch) }
    }

    static func entityJ(_ collection: String, _ key: String) -> J { VectorKit.entity(EntityRef(collection, key)) }
    static func setJ(_ e: J, _ field: String, _ v: Value) -> J {
        .object([("kind", "set"), ("entity", e), ("field", .string(field)), ("value", VectorKit.value(v))])
    }
    static func insertJ(_ e: J, _ fields: [Field]) -> J {
        VectorKit.body(.makeInsert(try! VectorKit.entity(from: e), fields))
    }
    static func addJ(_ e: J, _ tag: String) -> J { .object([("kind", "tag-add"), ("entity", e), ("tag", .string(tag))]) }
    /// `observed` holds op indices of the case; the generator writes them in canonical (sorted) order.
    static func removeJ(_ e: J, _ tag: String, _ observed: [Int]) -> J {
        .object([("kind", "tag-remove"), ("entity", e), ("tag", .string(tag)),
                 ("observed", .array(observed.map { .object([("op", .int(Int64($0)))]) }))])
    }
    static func claimJ(_ e: J, _ action: ClaimAction, holder: Int?, lease: UInt32, observed: J?) -> J {
        .object([("kind", "claim"), ("entity", e), ("action", .string(action.description)),
                 ("holder", holder.map { .int(Int64($0)) } ?? .null), ("lease_seconds", .int(Int64(lease))),
                 ("observed", observed ?? .null)])
    }
    static func op(_ i: Int) -> J { .object([("op", .int(Int64(i)))]) }

    struct MergeCase {
        var name: String
        var description: String
        var ops: [M]
        var expect: [(String, J)]
    }

    static func registerJ(_ e: J, _ field: String, _ v: Value, winner: Int) -> J {
        .object([("entity", e), ("field", .string(field)), ("value", VectorKit.value(v)), ("winner", .int(Int64(winner)))])
    }
    static func entityExpectJ(_ e: J, _ fields: [Field], winner: Int) -> J {
        .object([("entity", e), ("fields", .array(fields.map { .object([("name", .string($0.name)), ("value", VectorKit.value($0.value))]) })),
                 ("winner", .int(Int64(winner)))])
    }
    static func tagsJ(_ e: J, _ tags: [String]) -> J { .object([("entity", e), ("tags", .array(tags.map { .string($0) }))]) }
    static func conflictJ(_ loser: Int, _ winner: Int?, _ reason: ClaimConflictReason) -> J {
        .object([("loser", .int(Int64(loser))), ("winner", winner.map { .int(Int64($0)) } ?? .null), ("reason", .string(reason.rawValue))])
    }
    /// Expected claim state: `current` op index (nil: never claimed), its action, holder author index, lease end.
    static func claimStateJ(_ e: J, current: Int?, _ action: ClaimAction? = nil, holder: Int? = nil, leaseEnds: UInt64? = nil,
                            conflicts: [J] = []) -> J {
        var members: [(String, J)] = [("entity", e)]
        if let current {
            members += [("current", .int(Int64(current))), ("action", .string(action!.description)),
                        ("holder", holder.map { .int(Int64($0)) } ?? .null), ("lease_ends_ms", VectorKit.dec(leaseEnds!))]
        } else {
            members.append(("current", .null))
        }
        members.append(("conflicts", .array(conflicts)))
        return .object(members)
    }

    static func mergeCases() -> [MergeCase] {
        let (A, B, C) = (0, 1, 2)
        let ticket = entityJ("ticket", "1")
        let message = entityJ("message", "tw:1")
        let lease: UInt32 = 600
        let leaseMs = UInt64(lease) * 1000
        var cases: [MergeCase] = []

        // Last writer wins.
        cases.append(MergeCase(
            name: "lww-later-hlc-wins", description: "Three writes of one register: the greatest HLC wins, whatever the delivery order.",
            ops: [M(author: A, ms: 1000, body: setJ(ticket, "status", .string("open"))),
                  M(author: B, ms: 2000, body: setJ(ticket, "status", .string("pending"))),
                  M(author: C, ms: 1500, body: setJ(ticket, "status", .string("closed")))],
            expect: [("registers", .array([registerJ(ticket, "status", .string("pending"), winner: 1)]))]))
        cases.append(MergeCase(
            name: "lww-hlc-tie-larger-author-wins",
            description: "Equal HLCs: the byte-wise larger author key wins (A 8a88... > B 8139...).",
            ops: [M(author: A, ms: 1000, body: setJ(ticket, "priority", .int(1))),
                  M(author: B, ms: 1000, body: setJ(ticket, "priority", .int(2)))],
            expect: [("registers", .array([registerJ(ticket, "priority", .int(1), winner: 0)]))]))
        cases.append(MergeCase(
            name: "lww-logical-counter-orders-within-a-millisecond",
            description: "Same wall millisecond: the larger logical counter wins before authors are compared (C ed49... > B).",
            ops: [M(author: C, ms: 1000, body: setJ(ticket, "status", .string("by C"))),
                  M(author: B, ms: 1000, logical: 1, body: setJ(ticket, "status", .string("by B")))],
            expect: [("registers", .array([registerJ(ticket, "status", .string("by B"), winner: 1)]))]))
        cases.append(MergeCase(
            name: "lww-null-is-a-write",
            description: "Writing null clears a register; an older write delivered later does not bring a value back.",
            ops: [M(author: A, ms: 1000, body: setJ(ticket, "note", .string("call back"))),
                  M(author: B, ms: 2000, body: setJ(ticket, "note", .null)),
                  M(author: C, ms: 500, body: setJ(ticket, "note", .string("stale")))],
            expect: [("registers", .array([registerJ(ticket, "note", .null, winner: 1)]))]))
        cases.append(MergeCase(
            name: "lww-fields-are-independent",
            description: "Each (entity, field) is its own register; all value types.",
            ops: [M(author: A, ms: 1000, body: setJ(ticket, "flag", .bool(true))),
                  M(author: B, ms: 1000, body: setJ(ticket, "blob", .bytes([0xde, 0xad]))),
                  M(author: A, ms: 3000, body: setJ(ticket, "count", .int(-7))),
                  M(author: C, ms: 2000, body: setJ(ticket, "flag", .bool(false)))],
            expect: [("registers", .array([
                registerJ(ticket, "blob", .bytes([0xde, 0xad]), winner: 1), registerJ(ticket, "count", .int(-7), winner: 2),
                registerJ(ticket, "flag", .bool(false), winner: 3),
            ]))]))

        // Grow-only set.
        cases.append(MergeCase(
            name: "grow-only-first-writer-payload",
            description: "Two inserts of one external id: one entity, with the payload of the smallest (HLC, author, epoch, seq).",
            ops: [M(author: A, ms: 2000, body: insertJ(message, [Field("text", .string("from A")), Field("via", .string("api"))])),
                  M(author: B, ms: 1000, body: insertJ(message, [Field("text", .string("from B"))]))],
            expect: [("entities", .array([entityExpectJ(message, [Field("text", .string("from B"))], winner: 1)]))]))
        cases.append(MergeCase(
            name: "grow-only-hlc-tie-smaller-author",
            description: "Equal HLCs: the payload of the byte-wise smaller author (B 8139... < A 8a88...) is kept.",
            ops: [M(author: A, ms: 1000, body: insertJ(message, [Field("text", .string("A"))])),
                  M(author: B, ms: 1000, body: insertJ(message, [Field("text", .string("B"))]))],
            expect: [("entities", .array([entityExpectJ(message, [Field("text", .string("B"))], winner: 1)]))]))

        // Add-wins OR-set.
        cases.append(MergeCase(
            name: "or-set-add-wins",
            description: "B removes the add it observed (A's); C's concurrent add was not observed, so the tag stays.",
            ops: [M(author: A, ms: 1000, body: addJ(ticket, "urgent")),
                  M(author: B, ms: 2000, body: removeJ(ticket, "urgent", [0])),
                  M(author: C, ms: 1500, body: addJ(ticket, "urgent"))],
            expect: [("tags", .array([tagsJ(ticket, ["urgent"])]))]))
        cases.append(MergeCase(
            name: "or-set-observed-remove",
            description: "A removal that observed every add of the tag removes it; other tags are untouched.",
            ops: [M(author: A, ms: 1000, body: addJ(ticket, "vip")),
                  M(author: A, ms: 1001, body: addJ(ticket, "billing")),
                  M(author: B, ms: 1200, body: addJ(ticket, "vip")),
                  M(author: C, ms: 2000, body: removeJ(ticket, "vip", [0, 2]))],
            expect: [("tags", .array([tagsJ(ticket, ["billing"])]))]))
        cases.append(MergeCase(
            name: "or-set-re-add-after-remove",
            description: "An add made after a removal is not observed by it: the tag is present again.",
            ops: [M(author: A, ms: 1000, body: addJ(ticket, "urgent")),
                  M(author: B, ms: 2000, body: removeJ(ticket, "urgent", [0])),
                  M(author: A, ms: 3000, body: addJ(ticket, "urgent"))],
            expect: [("tags", .array([tagsJ(ticket, ["urgent"])]))]))
        cases.append(MergeCase(
            name: "or-set-remove-before-add-arrives",
            description: "A removal may name an add the receiver does not hold yet; once the add arrives it is removed.",
            ops: [M(author: A, ms: 1000, body: addJ(ticket, "spam")),
                  M(author: B, ms: 2000, body: removeJ(ticket, "spam", [0]))],
            expect: [("tags", .array([tagsJ(ticket, [])]))]))

        // Claims.
        cases.append(MergeCase(
            name: "claim-concurrent-first-claims-earliest-wins",
            description: "Two claims that observed nothing: the smaller stamp (earlier HLC) wins; the other is a concurrent conflict.",
            ops: [M(author: A, ms: 2000, body: claimJ(ticket, .claim, holder: A, lease: lease, observed: nil)),
                  M(author: B, ms: 1000, body: claimJ(ticket, .claim, holder: B, lease: lease, observed: nil))],
            expect: [("claims", .array([claimStateJ(ticket, current: 1, .claim, holder: B, leaseEnds: t0 + 1000 + leaseMs,
                                                    conflicts: [conflictJ(0, 1, .concurrent)])]))]))
        cases.append(MergeCase(
            name: "claim-concurrent-hlc-tie-smaller-author-wins",
            description: "Two first claims with equal HLCs: the byte-wise smaller author (B) wins.",
            ops: [M(author: A, ms: 1000, body: claimJ(ticket, .claim, holder: A, lease: lease, observed: nil)),
                  M(author: B, ms: 1000, body: claimJ(ticket, .claim, holder: B, lease: lease, observed: nil))],
            expect: [("claims", .array([claimStateJ(ticket, current: 1, .claim, holder: B, leaseEnds: t0 + 1000 + leaseMs,
                                                    conflicts: [conflictJ(0, 1, .concurrent)])]))]))
        cases.append(MergeCase(
            name: "claim-handoff-by-holder",
            description: "The holder hands the item to B.",
            ops: [M(author: A, ms: 1000, body: claimJ(ticket, .claim, holder: A, lease: lease, observed: nil)),
                  M(author: A, ms: 2000, body: claimJ(ticket, .handoff, holder: B, lease: lease, observed: op(0)))],
            expect: [("claims", .array([claimStateJ(ticket, current: 1, .handoff, holder: B, leaseEnds: t0 + 2000 + leaseMs)]))]))
        cases.append(MergeCase(
            name: "claim-handoff-by-non-holder-not-permitted",
            description: "C is not the holder and the lease has not expired: its hand-off loses; A keeps the item.",
            ops: [M(author: A, ms: 1000, body: claimJ(ticket, .claim, holder: A, lease: lease, observed: nil)),
                  M(author: C, ms: 2000, body: claimJ(ticket, .handoff, holder: C, lease: lease, observed: op(0)))],
            expect: [("claims", .array([claimStateJ(ticket, current: 0, .claim, holder: A, leaseEnds: t0 + 1000 + leaseMs,
                                                    conflicts: [conflictJ(1, 0, .notPermitted)])]))]))
        cases.append(MergeCase(
            name: "claim-release-leaves-no-holder",
            description: "After a release the current claim-chain op is the release: no holder, lease end = its HLC time.",
            ops: [M(author: A, ms: 1000, body: claimJ(ticket, .claim, holder: A, lease: lease, observed: nil)),
                  M(author: A, ms: 2000, body: claimJ(ticket, .release, holder: nil, lease: 0, observed: op(0)))],
            expect: [("claims", .array([claimStateJ(ticket, current: 1, .release, holder: nil, leaseEnds: t0 + 2000)]))]))
        cases.append(MergeCase(
            name: "claim-release-then-claim",
            description: "A releases; B claims, observing the release.",
            ops: [M(author: A, ms: 1000, body: claimJ(ticket, .claim, holder: A, lease: lease, observed: nil)),
                  M(author: A, ms: 2000, body: claimJ(ticket, .release, holder: nil, lease: 0, observed: op(0))),
                  M(author: B, ms: 3000, body: claimJ(ticket, .claim, holder: B, lease: lease, observed: op(1)))],
            expect: [("claims", .array([claimStateJ(ticket, current: 2, .claim, holder: B, leaseEnds: t0 + 3000 + leaseMs)]))]))
        cases.append(MergeCase(
            name: "claim-on-held-item-not-permitted",
            description: "B claims an item A holds (observing A's claim): not permitted.",
            ops: [M(author: A, ms: 1000, body: claimJ(ticket, .claim, holder: A, lease: lease, observed: nil)),
                  M(author: B, ms: 2000, body: claimJ(ticket, .claim, holder: B, lease: lease, observed: op(0)))],
            expect: [("claims", .array([claimStateJ(ticket, current: 0, .claim, holder: A, leaseEnds: t0 + 1000 + leaseMs,
                                                    conflicts: [conflictJ(1, 0, .notPermitted)])]))]))
        cases.append(MergeCase(
            name: "claim-renewal-by-holder",
            description: "The holder claims again, observing its own claim: the lease is renewed from the new HLC.",
            ops: [M(author: A, ms: 1000, body: claimJ(ticket, .claim, holder: A, lease: lease, observed: nil)),
                  M(author: A, ms: 500_000, body: claimJ(ticket, .claim, holder: A, lease: lease, observed: op(0)))],
            expect: [("claims", .array([claimStateJ(ticket, current: 1, .claim, holder: A, leaseEnds: t0 + 500_000 + leaseMs)]))]))
        cases.append(MergeCase(
            name: "claim-takeover-before-lease-end-not-permitted",
            description: "Take-over 1 ms before the observed lease ends (HLC ms < claim ms + lease × 1000): not permitted.",
            ops: [M(author: A, ms: 1000, body: claimJ(ticket, .claim, holder: A, lease: lease, observed: nil)),
                  M(author: B, ms: 1000 + leaseMs - 1, body: claimJ(ticket, .takeover, holder: B, lease: lease, observed: op(0)))],
            expect: [("claims", .array([claimStateJ(ticket, current: 0, .claim, holder: A, leaseEnds: t0 + 1000 + leaseMs,
                                                    conflicts: [conflictJ(1, 0, .notPermitted)])]))]))
        cases.append(MergeCase(
            name: "claim-takeover-at-lease-end-accepted",
            description: "Take-over exactly when the observed lease ends (HLC ms = claim ms + lease × 1000): expired, accepted.",
            ops: [M(author: A, ms: 1000, body: claimJ(ticket, .claim, holder: A, lease: lease, observed: nil)),
                  M(author: B, ms: 1000 + leaseMs, body: claimJ(ticket, .takeover, holder: B, lease: lease, observed: op(0)))],
            expect: [("claims", .array([claimStateJ(ticket, current: 1, .takeover, holder: B, leaseEnds: t0 + 1000 + 2 * leaseMs)]))]))
        cases.append(MergeCase(
            name: "claim-takeover-of-released-item",
            description: "A take-over observing a release is permitted (the observed op has no holder).",
            ops: [M(author: A, ms: 1000, body: claimJ(ticket, .claim, holder: A, lease: lease, observed: nil)),
                  M(author: A, ms: 2000, body: claimJ(ticket, .release, holder: nil, lease: 0, observed: op(0))),
                  M(author: B, ms: 3000, body: claimJ(ticket, .takeover, holder: B, lease: lease, observed: op(1)))],
            expect: [("claims", .array([claimStateJ(ticket, current: 2, .takeover, holder: B, leaseEnds: t0 + 3000 + leaseMs)]))]))
        cases.append(MergeCase(
            name: "claim-for-another-member-not-permitted",
            description: "A first claim naming someone other than its author is not permitted (assigning is a reassign).",
            ops: [M(author: A, ms: 1000, body: claimJ(ticket, .claim, holder: B, lease: lease, observed: nil))],
            expect: [("claims", .array([claimStateJ(ticket, current: nil,
                                                    conflicts: [conflictJ(0, nil, .notPermitted)])]))]))
        cases.append(MergeCase(
            name: "claim-takeover-for-another-member-not-permitted",
            description: "A take-over after the lease ended that names someone other than its author is not permitted.",
            ops: [M(author: A, ms: 1000, body: claimJ(ticket, .claim, holder: A, lease: lease, observed: nil)),
                  M(author: B, ms: 1000 + leaseMs, body: claimJ(ticket, .takeover, holder: C, lease: lease, observed: op(0)))],
            expect: [("claims", .array([claimStateJ(ticket, current: 0, .claim, holder: A, leaseEnds: t0 + 1000 + leaseMs,
                                                    conflicts: [conflictJ(1, 0, .notPermitted)])]))]))
        cases.append(MergeCase(
            name: "claim-reassign-always-permitted",
            description: "Reassign is permitted on any observed claim (the roster, not the merge rule, checks that the author is a lead).",
            ops: [M(author: A, ms: 1000, body: claimJ(ticket, .claim, holder: A, lease: lease, observed: nil)),
                  M(author: C, ms: 2000, body: claimJ(ticket, .reassign, holder: B, lease: lease, observed: op(0)))],
            expect: [("claims", .array([claimStateJ(ticket, current: 1, .reassign, holder: B, leaseEnds: t0 + 2000 + leaseMs)]))]))
        cases.append(MergeCase(
            name: "claim-reassign-first",
            description: "Reassign is also permitted as the first claim-chain op of an item.",
            ops: [M(author: C, ms: 1000, body: claimJ(ticket, .reassign, holder: A, lease: lease, observed: nil))],
            expect: [("claims", .array([claimStateJ(ticket, current: 0, .reassign, holder: A, leaseEnds: t0 + 1000 + leaseMs)]))]))
        cases.append(MergeCase(
            name: "claim-release-and-handoff-by-non-holder-after-expiry",
            description: "Once the observed lease expired anyone may release or hand off; the earlier of the two (C's release) wins, B's hand-off is concurrent.",
            ops: [M(author: A, ms: 1000, body: claimJ(ticket, .claim, holder: A, lease: lease, observed: nil)),
                  M(author: B, ms: 1000 + leaseMs + 5, body: claimJ(ticket, .handoff, holder: B, lease: lease, observed: op(0))),
                  M(author: C, ms: 1000 + leaseMs, body: claimJ(ticket, .release, holder: nil, lease: 0, observed: op(0)))],
            expect: [("claims", .array([claimStateJ(ticket, current: 2, .release, holder: nil, leaseEnds: t0 + 1000 + leaseMs,
                                                    conflicts: [conflictJ(1, 2, .concurrent)])]))]))
        cases.append(MergeCase(
            name: "claim-release-of-released-not-permitted",
            description: "Releasing or handing off an item that has no holder is not permitted, even by its last holder.",
            ops: [M(author: A, ms: 1000, body: claimJ(ticket, .claim, holder: A, lease: lease, observed: nil)),
                  M(author: A, ms: 2000, body: claimJ(ticket, .release, holder: nil, lease: 0, observed: op(0))),
                  M(author: A, ms: 3000, body: claimJ(ticket, .release, holder: nil, lease: 0, observed: op(1))),
                  M(author: A, ms: 4000, body: claimJ(ticket, .handoff, holder: B, lease: lease, observed: op(1)))],
            expect: [("claims", .array([claimStateJ(ticket, current: 1, .release, holder: nil, leaseEnds: t0 + 2000, conflicts: [
                conflictJ(2, 1, .notPermitted), conflictJ(3, 1, .notPermitted),
            ])]))]))
        cases.append(MergeCase(
            name: "claim-losing-branch",
            description: "B's first claim loses to A's earlier one; B's hand-off to C and C's renewal observed the loser, so they lose as a branch.",
            ops: [M(author: A, ms: 1000, body: claimJ(ticket, .claim, holder: A, lease: lease, observed: nil)),
                  M(author: B, ms: 2000, body: claimJ(ticket, .claim, holder: B, lease: lease, observed: nil)),
                  M(author: B, ms: 3000, body: claimJ(ticket, .handoff, holder: C, lease: lease, observed: op(1))),
                  M(author: C, ms: 4000, body: claimJ(ticket, .claim, holder: C, lease: lease, observed: op(2)))],
            expect: [("claims", .array([claimStateJ(ticket, current: 0, .claim, holder: A, leaseEnds: t0 + 1000 + leaseMs, conflicts: [
                conflictJ(1, 0, .concurrent), conflictJ(2, 0, .losingBranch), conflictJ(3, 0, .losingBranch),
            ])]))]))
        cases.append(MergeCase(
            name: "claim-earliest-permitted-successor-wins",
            description: "Three successors of A's claim: C's earlier take-over and claim are not permitted; A's later hand-off is, and wins.",
            ops: [M(author: A, ms: 1000, body: claimJ(ticket, .claim, holder: A, lease: lease, observed: nil)),
                  M(author: C, ms: 2000, body: claimJ(ticket, .takeover, holder: C, lease: lease, observed: op(0))),
                  M(author: C, ms: 2500, body: claimJ(ticket, .claim, holder: C, lease: lease, observed: op(0))),
                  M(author: A, ms: 3000, body: claimJ(ticket, .handoff, holder: B, lease: lease, observed: op(0)))],
            expect: [("claims", .array([claimStateJ(ticket, current: 3, .handoff, holder: B, leaseEnds: t0 + 3000 + leaseMs, conflicts: [
                conflictJ(1, 3, .notPermitted), conflictJ(2, 3, .notPermitted),
            ])]))]))
        cases.append(MergeCase(
            name: "claim-first-op-must-be-claim-or-reassign",
            description: "With nothing observed only claim and reassign are permitted: a first take-over and a first release lose, and the item stays unclaimed.",
            ops: [M(author: A, ms: 1000, body: claimJ(ticket, .takeover, holder: A, lease: lease, observed: nil)),
                  M(author: B, ms: 2000, body: claimJ(ticket, .release, holder: nil, lease: 0, observed: nil))],
            expect: [("claims", .array([claimStateJ(ticket, current: nil, conflicts: [
                conflictJ(0, nil, .notPermitted), conflictJ(1, nil, .notPermitted),
            ])]))]))
        cases.append(MergeCase(
            name: "claim-observing-unknown-op-waits",
            description: "A claim naming an op the receiver does not hold is left out of the tree (no conflict) until that op arrives.",
            ops: [M(author: A, ms: 1000, body: claimJ(ticket, .claim, holder: A, lease: lease, observed: nil)),
                  M(author: B, ms: 2000, body: claimJ(ticket, .claim, holder: B, lease: lease,
                                                      observed: .object([("author", .int(Int64(A))), ("epoch", VectorKit.dec(mergeEpoch)), ("seq", "9")])))],
            expect: [("claims", .array([claimStateJ(ticket, current: 0, .claim, holder: A, leaseEnds: t0 + 1000 + leaseMs)]))]))
        return cases
    }

    static func merge() throws -> J {
        let authors = try mergeAuthors()
        let wall = t0 + 10_000_000
        var out: [J] = []
        for spec in mergeCases() {
            // Refs of this case's ops, to write tag-removal lists in canonical order.
            var seqs = [Int: UInt64]()
            let refs = spec.ops.map { m -> OpRef in
                seqs[m.author, default: 0] += 1
                return OpRef(author: authors[m.author].id, epoch: mergeEpoch, seq: seqs[m.author]!)
            }
            let opsJ: [J] = spec.ops.map { m in
                var body = m.body
                if case let .object(members) = body, let observed = members.first(where: { $0.0 == "observed" })?.1,
                   case let .array(items) = observed {
                    let sorted = items.sorted { x, y in
                        refs[Int((try? x["op"].int()) ?? 0)] < refs[Int((try? y["op"].int()) ?? 0)]
                    }
                    body = .object(members.map { $0.0 == "observed" ? ($0.0, .array(sorted)) : $0 })
                }
                return .object([("author", .int(Int64(m.author))),
                                ("hlc", .object([("physical_ms", .int(Int64(t0 + m.ms))), ("logical", .int(Int64(m.logical)))])),
                                ("body", body)])
            }
            let ops = try VectorKit.buildCase(.array(opsJ), authors: authors)
            let store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
            try store.apply(VectorKit.batch(ops, Array(ops.indices), authors: authors), clock: FixedClock(millis: wall))
            var expect = J.object(spec.expect)
            try VectorKit.checkMerge(expect, store: store, ops: ops, authors: authors, label: spec.name)
            expect = .object(spec.expect + [("state_hash", VectorKit.hex(try store.stateHash()))])
            out.append(.object([("name", .string(spec.name)), ("description", .string(spec.description)),
                                ("ops", .array(opsJ)), ("expect", expect)]))
        }
        return .object([
            ("description", .string(
                "Merge cases. Each op: author (index into 'authors'; that author's single log, epoch given), hlc, body. "
                    + "Seqs count from 1 per author in listed order and prev links follow, so every op is fully determined. "
                    + "Shortcuts in bodies: a holder or ref author may be an author index; an observed op may be {\"op\": i} "
                    + "(the i-th op of the case). Deliver each author's ops in order (any interleaving, any batching, "
                    + "duplicates allowed); the result must be 'expect' every time. Winners and conflicts name op indices; "
                    + "holders name author indices; state_hash is the state hash (SPEC.md, 'State dump and state hash') "
                    + "after all ops. 'wall_ms' is the receiver's wall clock.")),
            ("authors", .array(authors.enumerated().map { i, a in
                .object([("name", .string(["A", "B", "C"][i])), ("seed", VectorKit.hex([seedA, seedB, seedC][i])),
                         ("public_key", VectorKit.hex(a.id.key)), ("epoch", VectorKit.dec(a.epoch))])
            })),
            ("wall_ms", VectorKit.dec(wall)),
            ("cases", .array(out)),
        ])
    }

    // MARK: receive.json

    static func receive() throws -> J {
        let epoch: UInt64 = 7
        let keyA = try SigningKey(seed: seedA)
        let keyB = try SigningKey(seed: seedB)
        let drift = Limits.defaultMaxClockDriftMillis
        let wall = t0 + 60_000
        let ticket = EntityRef("ticket", "T-9")
        var ops: [J] = []
        var seals: [J] = []
        var hashes: [String: Bytes32] = [:]

        @discardableResult
        func op(_ name: String, _ key: SigningKey, seq: UInt64, prev: String?, prevHash: Bytes32? = nil, ms: UInt64,
                _ body: OpBody, bodyOverride: [UInt8]?? = .none, rawBody: [UInt8]? = nil, why: String) -> Bytes32 {
            let header: OpHeader
            let bodyBytes: [UInt8]
            let prevValue = prevHash ?? prev.map { hashes[$0]! } ?? .zero
            if let rawBody {
                header = OpHeader(author: key.authorID, epoch: epoch, seq: seq, prev: prevValue, hlc: HLC(physicalMillis: ms, logical: 0),
                                  kind: body.kind, bodyLength: UInt32(rawBody.count), bodyHash: OpCrypto.bodyHash(rawBody))
                bodyBytes = rawBody
            } else {
                let made = OpCrypto.makeHeader(author: key.authorID, epoch: epoch, seq: seq, prev: prevValue,
                                               hlc: HLC(physicalMillis: ms, logical: 0), body: body)
                header = made.header
                bodyBytes = made.body
            }
            let hash = OpCrypto.headerHash(header)
            hashes[name] = hash
            let sent: [UInt8]? = bodyOverride ?? bodyBytes
            ops.append(.object([("name", .string(name)), ("why", .string(why)), ("header_hex", VectorKit.hex(header.encoded())),
                                ("body_hex", sent.map { VectorKit.hex($0) } ?? .null), ("hash", VectorKit.hex(hash))]))
            return hash
        }
        func seal(_ name: String, _ key: SigningKey, seq: UInt64, over: String, flip: Bool = false) {
            var s = OpCrypto.seal(key: key, epoch: epoch, seq: seq, head: hashes[over]!)
            if flip { s.signature[5] ^= 0x01 }
            seals.append(.object([("name", .string(name)), ("seal_hex", VectorKit.hex(s.encoded()))]))
        }

        let a1 = OpBody.insert(entity: EntityRef("customer", "c-1"), fields: [Field("name", .string("Ada"))])
        let a2 = OpBody.set(entity: ticket, field: "status", value: .string("open"))
        let a3 = OpBody.tagAdd(entity: ticket, tag: "billing")
        let a4 = OpBody.set(entity: ticket, field: "status", value: .string("pending"))
        op("A1", keyA, seq: 1, prev: nil, ms: t0 + 1000, a1, why: "valid")
        op("A2", keyA, seq: 2, prev: "A1", ms: t0 + 2000, a2, why: "valid")
        op("A3", keyA, seq: 3, prev: "A2", ms: t0 + 3000, a3, why: "valid")
        op("A4", keyA, seq: 4, prev: "A3", ms: t0 + 4000, a4, why: "valid")
        op("A2-fork", keyA, seq: 2, prev: "A1", ms: t0 + 2000, .set(entity: ticket, field: "status", value: .string("closed")),
           why: "a second, different op at A's seq 2")
        op("A3-fork", keyA, seq: 3, prev: "A2-fork", ms: t0 + 3000, .tagAdd(entity: ticket, tag: "fork"), why: "follows A2-fork")
        op("A2-no-body", keyA, seq: 2, prev: "A1", ms: t0 + 2000, a2, bodyOverride: .some(nil), why: "A2 sent without its body")
        op("A2-bad-prev-no-body", keyA, seq: 2, prev: nil, prevHash: Bytes32([UInt8](repeating: 0x11, count: 32))!, ms: t0 + 2000, a2,
           bodyOverride: .some(nil), why: "prev is not A1's hash, and no body: the prev check comes first")
        var flipped = a2.encoded()
        flipped[flipped.count - 1] ^= 0x01
        op("A2-bad-body", keyA, seq: 2, prev: "A1", ms: t0 + 2000, a2, bodyOverride: .some(flipped),
           why: "A2's header with one body bit flipped")
        op("A2-malformed", keyA, seq: 2, prev: "A1", ms: t0 + 2000, a2, rawBody: a2.encoded() + [0],
           why: "header hashes a body with a trailing byte: hash matches, decoding fails")
        op("A2-future", keyA, seq: 2, prev: "A1", ms: wall + drift + 1, a2, why: "HLC 1 ms beyond wall + max drift")
        op("A2-edge", keyA, seq: 2, prev: "A1", ms: wall + drift, a2, why: "HLC exactly wall + max drift")
        op("A2-future-bad-body", keyA, seq: 2, prev: "A1", ms: wall + drift + 1, a2, bodyOverride: .some(flipped),
           why: "too far in the future and a bad body: the body check comes first")
        op("B1", keyB, seq: 1, prev: nil, ms: t0 + 1500, .insert(entity: EntityRef("customer", "c-2"), fields: []), why: "valid, B's log")

        seal("sA1", keyA, seq: 1, over: "A1")
        seal("sA2", keyA, seq: 2, over: "A2")
        seal("sA3", keyA, seq: 3, over: "A3")
        seal("sA4", keyA, seq: 4, over: "A4")
        seal("sA2-bad", keyA, seq: 2, over: "A2", flip: true)
        seal("sA2-fork", keyA, seq: 2, over: "A2-fork")
        seal("sA3-fork", keyA, seq: 3, over: "A3-fork")
        seal("sA2-malformed", keyA, seq: 2, over: "A2-malformed")
        seal("sA2-future", keyA, seq: 2, over: "A2-future")
        seal("sA2-edge", keyA, seq: 2, over: "A2-edge")
        seal("sB1", keyB, seq: 1, over: "B1")

        func batch(_ ops: [String], _ seals: [String]) -> J {
            .object([("ops", .array(ops.map { .string($0) })), ("seals", .array(seals.map { .string($0) }))])
        }
        func ok(_ applied: Int, _ duplicates: Int, forks: Int = 0) -> J {
            .object([("result", "ok"), ("applied", .int(Int64(applied))), ("duplicates", .int(Int64(duplicates))),
                     ("fork_evidence", .int(Int64(forks)))])
        }
        func rejected(_ reason: String, _ detail: String = "", author: Int = 0, seq: UInt64, forks: Int = 0) -> J {
            .object([("result", "rejected"), ("reason", .string(reason)), ("detail", .string(detail)),
                     ("op", .object([("author", .int(Int64(author))), ("epoch", VectorKit.dec(epoch)), ("seq", VectorKit.dec(seq))])),
                     ("fork_evidence", .int(Int64(forks)))])
        }
        var cases: [J] = []
        func add(_ name: String, _ why: String, setup: [J] = [], _ batch: J, _ expect: J) {
            cases.append(.object([("name", .string(name)), ("why", .string(why)), ("setup", .array(setup)), ("batch", batch),
                                  ("expect", expect)]))
        }
        let held12 = batch(["A1", "A2"], ["sA2"])
        add("sealed-run", "A fresh log, three ops and a seal on the last.", batch(["A1", "A2", "A3"], ["sA3"]), ok(3, 0))
        add("two-seals", "Seals at 2 and 4; one signature check each.", batch(["A1", "A2", "A3", "A4"], ["sA2", "sA4"]), ok(4, 0))
        add("duplicates-idempotent", "Re-delivery of held ops changes nothing.", setup: [batch(["A1", "A2", "A3"], ["sA3"])],
            batch(["A1", "A2", "A3"], ["sA3"]), ok(0, 3))
        add("overlap-then-new", "Held ops are skipped, the rest applied.", setup: [held12], batch(["A1", "A2", "A3", "A4"], ["sA4"]), ok(2, 2))
        add("continue-from-head", "The first op's prev is the hash the receiver holds at seq - 1.", setup: [held12],
            batch(["A3", "A4"], ["sA4"]), ok(2, 0))
        add("held-seal-covers-resent-op", "No seal in the batch, but the receiver already holds a seal at or beyond the last op.",
            setup: [held12], batch(["A1"], []), ok(0, 1))
        add("two-logs", "Ops of two logs in one batch, each with its seal.", batch(["B1", "A1"], ["sA1", "sB1"]), ok(2, 0))
        add("gap-on-empty", "The receiver holds nothing of A's log; the batch starts at seq 2.", batch(["A2", "A3"], ["sA3"]),
            rejected("gap", "have=0 first=2", seq: 2))
        add("gap-after-head", "The receiver holds up to 1; the batch starts at 3.", setup: [batch(["A1"], ["sA1"])],
            batch(["A3", "A4"], ["sA4"]), rejected("gap", "have=1 first=3", seq: 3))
        add("out-of-order", "Seqs of one log must ascend without holes.", batch(["A1", "A3", "A2"], ["sA3"]),
            rejected("outOfOrder", seq: 3))
        add("prev-before-body", "Wrong prev and no body: the prev check runs first.", batch(["A1", "A2-bad-prev-no-body"], ["sA2"]),
            rejected("prevMismatch", seq: 2))
        add("body-withheld", "A new op may travel without its body (its sender erased it): stored as a header, withheld until an erasure names it (SPEC.md §1.9).",
            batch(["A1", "A2-no-body"], ["sA2"]), ok(2, 0))
        add("body-hash-mismatch", "The body does not hash to the header's body hash.", batch(["A1", "A2-bad-body"], ["sA2"]),
            rejected("bodyHashMismatch", seq: 2))
        add("body-before-clock", "A bad body and a future HLC: the body check runs first.",
            batch(["A1", "A2-future-bad-body"], ["sA2-future"]), rejected("bodyHashMismatch", seq: 2))
        add("malformed-body", "The body matches its hash but is not canonical.", batch(["A1", "A2-malformed"], ["sA2-malformed"]),
            rejected("malformedBody", "trailingBytes", seq: 2))
        add("clock-drift", "HLC wall time more than max_drift_ms ahead of the receiver's wall clock.",
            batch(["A1", "A2-future"], ["sA2-future"]), rejected("clock", "tooFarInFuture", seq: 2))
        add("clock-drift-edge", "HLC wall time exactly max_drift_ms ahead is accepted.", batch(["A1", "A2-edge"], ["sA2-edge"]), ok(2, 0))
        add("bad-seal", "One flipped signature bit.", batch(["A1", "A2"], ["sA2-bad"]), rejected("badSeal", "seq=2", seq: 2))
        add("seal-beyond-batch", "A seal at a seq neither in the batch nor held cannot be checked: refused.",
            batch(["A1", "A2"], ["sA3"]), rejected("badSeal", "seq=3", seq: 3))
        add("unsealed-tail", "Ops after the last valid seal.", batch(["A1", "A2", "A3"], ["sA2"]),
            rejected("unsealed", "sealed=2", seq: 3))
        add("no-seal", "No seal at all for a new log.", batch(["A1"], []), rejected("unsealed", "sealed=0", seq: 1))
        add("fork-sealed", "A different op at a held position, validly sealed: fork evidence is stored and the batch refused.",
            setup: [held12], batch(["A1", "A2-fork"], ["sA2-fork"]), rejected("fork", seq: 2, forks: 1))
        add("fork-first-difference", "The fork is reported at the first differing seq, sealed by a later seal.",
            setup: [batch(["A1", "A2", "A3"], ["sA3"])], batch(["A2-fork", "A3-fork"], ["sA3-fork"]), rejected("fork", seq: 2, forks: 1))
        add("conflicting-unsealed", "A different op at a held position without a valid seal covering it: refused, no evidence.",
            setup: [held12], batch(["A1", "A2-fork"], []), rejected("conflictingUnsealed", seq: 2))
        add("conflicting-seal-before-fork", "The only seal covers seq 1, before the difference: still no evidence.",
            setup: [held12], batch(["A1", "A2-fork"], ["sA1"]), rejected("conflictingUnsealed", seq: 2))
        add("all-or-nothing", "B's valid op is not applied when A's part of the same batch is refused.",
            batch(["B1", "A2", "A3"], ["sB1", "sA3"]), rejected("gap", "have=0 first=2", seq: 2))

        return .object([
            ("description", .string(
                "Receiver checks (SPEC.md, 'Receiving a batch'). Each case starts from an empty store, applies the "
                    + "'setup' batches (all accepted), then the 'batch'. Ops and seals are named in the pools below. "
                    + "A rejected batch changes nothing except that fork evidence may be stored. 'op' is the position "
                    + "the rejection names (author index, epoch, seq); 'detail' is informative.")),
            ("authors", .array([
                .object([("name", "A"), ("seed", VectorKit.hex(seedA)), ("public_key", VectorKit.hex(keyA.authorID.key)),
                         ("epoch", VectorKit.dec(epoch))]),
                .object([("name", "B"), ("seed", VectorKit.hex(seedB)), ("public_key", VectorKit.hex(keyB.authorID.key)),
                         ("epoch", VectorKit.dec(epoch))]),
            ])),
            ("max_drift_ms", VectorKit.dec(drift)),
            ("wall_ms", VectorKit.dec(wall)),
            ("ops", .array(ops)),
            ("seals", .array(seals)),
            ("cases", .array(cases)),
        ])
    }

    // MARK: state.json

    static let columns: [String: [String]] = [
        "mv_entity": ["collection", "key", "fields", "hlc", "author", "epoch", "seq"],
        "mv_register": ["collection", "key", "field", "value", "hlc", "author", "epoch", "seq"],
        "mv_tag_add": ["collection", "key", "tag", "author", "epoch", "seq"],
        "mv_tag_removal": ["collection", "key", "tag", "add_author", "add_epoch", "add_seq"],
        "mv_tag": ["collection", "key", "tag"],
        "mv_claim": ["collection", "key", "author", "epoch", "seq", "hlc", "action", "holder", "lease_seconds",
                     "observed_author", "observed_epoch", "observed_seq"],
        "mv_claim_state": ["collection", "key", "author", "epoch", "seq", "action", "holder", "since_hlc", "lease_ends_ms"],
        "mv_claim_conflict": ["collection", "key", "loser_author", "loser_epoch", "loser_seq", "loser_hlc", "loser_holder",
                              "winner_author", "winner_epoch", "winner_seq", "reason"],
    ]
    static let tableOrder = ["mv_entity", "mv_register", "mv_tag_add", "mv_tag_removal", "mv_tag", "mv_claim", "mv_claim_state",
                             "mv_claim_conflict"]

    static func state(_ ops: J) throws -> J {
        let wall = t0 + 60_000
        let store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        try VectorKit.applyChains(ops, to: store, wall: wall)
        let dump = try store.stateDump().filter { tableOrder.contains($0.key) }  // the desk tables are not hashed
        #expect(Set(dump.keys) == Set(tableOrder))
        var tables: [J] = []
        for name in tableOrder {
            let rows = dump[name] ?? []
            #expect(rows.allSatisfy { $0.count == columns[name]!.count }, "\(name) columns")
            tables.append(.object([
                ("name", .string(name)), ("columns", .array(columns[name]!.map { .string($0) })),
                ("rows", .array(rows.map { .array($0.map(VectorKit.dumpValue)) })),
                ("bytes_hex", VectorKit.hex(VectorKit.dumpBytes(table: name, rows: rows))),
            ]))
        }
        // The hand-checked outcome of the ops.json chains.
        let t1 = EntityRef("ticket", "T-1"), t2 = EntityRef("ticket", "T-2")
        let a = try SigningKey(seed: seedA).authorID
        #expect(try store.state.tags(of: t1) == [])
        #expect(try store.state.tags(of: t2) == ["vip"])
        #expect(try store.state.claim(on: t1)?.action == .release)
        #expect(try store.state.claim(on: t1)?.holder == nil)
        #expect(try store.state.claim(on: t2)?.holder == a)
        #expect(try store.state.claimConflicts(on: t2).map(\.reason) == [.notPermitted])
        #expect(try store.state.register(t1, "status") == .string("open"))
        #expect(try store.state.register(t1, "snoozed_until") == .null)
        return .object([
            ("description", .string(
                "The materialized state after applying every chain of ops.json (each as one batch with its seal), "
                    + "as the canonical state dump: tables in this order, rows in primary-key order, values typed "
                    + "(null, int, text, blob). bytes_hex is each table's part of the dump; state_hash is BLAKE2b-256 "
                    + "of the concatenation of all bytes_hex in order.")),
            ("wall_ms", VectorKit.dec(wall)),
            ("tables", .array(tables)),
            ("state_hash", VectorKit.hex(try store.stateHash())),
        ])
    }
}
