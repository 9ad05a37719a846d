public import RoostCore
public import RoostStore

/// Format 2 runs: the ops of one log as sync sends them (Protocol/SPEC-format-2.md §2.6). This is the syntax
/// alone: what is omitted on the wire stays nil here and is recomputed by ``RunV2/resolve(held:)``.
public struct RunV2: Hashable, Sendable {
    /// One op of a run.
    public struct Op: Hashable, Sendable {
        /// The body, or (erased at the sender) its length and hash.
        public enum Payload: Hashable, Sendable {
            case body([UInt8])
            case erased(length: UInt32, hash: Bytes32)
        }

        public var seq: UInt64
        /// Sent prev hash; nil when the receiver recomputes it.
        public var prev: Bytes32?
        /// Sent scope prev (the seq of the previous op of the scope, 0 for none); nil when the receiver recomputes it.
        public var scopePrev: UInt64?
        public var hlc: HLC
        public var kind: OpKind
        public var scope: ScopeID
        public var payload: Payload

        /// Creates a run op.
        public init(seq: UInt64, prev: Bytes32? = nil, scopePrev: UInt64? = nil, hlc: HLC, kind: OpKind, scope: ScopeID, payload: Payload) {
            self.seq = seq; self.prev = prev; self.scopePrev = scopePrev; self.hlc = hlc; self.kind = kind
            self.scope = scope; self.payload = payload
        }
    }

    /// An inclusion path for one scope's leaf in a seal's scopes tree: the same value a partial node's store keeps.
    public typealias Path = KeptScopePath

    /// A seal of the run's log as sent: the head may be omitted (the receiver holds or receives the op at `seq`).
    public struct Seal: Hashable, Sendable {
        public var seq: UInt64
        public var fromSeq: UInt64
        public var head: Bytes32?
        public var scopesRoot: Bytes32
        public var signature: [UInt8]
        public var path: Path?
        /// Creates a run seal.
        public init(seq: UInt64, fromSeq: UInt64, head: Bytes32? = nil, scopesRoot: Bytes32, signature: [UInt8], path: Path? = nil) {
            self.seq = seq; self.fromSeq = fromSeq; self.head = head; self.scopesRoot = scopesRoot
            self.signature = signature; self.path = path
        }
    }

    public var author: AuthorID
    public var epoch: UInt64
    public var ops: [Op]
    public var seals: [Seal]

    /// Creates a run.
    public init(author: AuthorID, epoch: UInt64, ops: [Op], seals: [Seal] = []) {
        self.author = author; self.epoch = epoch; self.ops = ops; self.seals = seals
    }
}

/// One direction's session dictionaries of authors and scopes (Protocol/SPEC-format-2.md §2.6). The encoder and the
/// decoder of a direction each keep one and feed it every run in order, so references agree.
public struct RunDictionary: Sendable {
    private var authors = Interned<AuthorID>()
    private var scopes = Interned<ScopeID>()

    /// An empty dictionary (a new session).
    public init() {}

    mutating func write(_ author: AuthorID, into w: inout ByteWriter) {
        authors.write(author, into: &w) { $1.bytes32($0.key) }
    }

    mutating func write(_ scope: ScopeID, into w: inout ByteWriter) {
        scopes.write(scope, into: &w) { $1.scope($0) }
    }

    mutating func readAuthor(_ r: inout ByteReader) throws(ByteDecodingError) -> AuthorID {
        try authors.read(&r, "run.author") { r throws(ByteDecodingError) in AuthorID(key: try r.bytes32("run.author")) }
    }

    mutating func readScope(_ r: inout ByteReader, _ field: String) throws(ByteDecodingError) -> ScopeID {
        try scopes.read(&r, field) { r throws(ByteDecodingError) in try r.scope(field) }
    }

    /// One list: a reference is a varint, `0` for "a new entry follows", `n ≥ 1` for entry `n − 1`.
    private struct Interned<Key: Hashable & Sendable>: Sendable {
        private var keys: [Key] = []
        private var index: [Key: Int] = [:]

        mutating func write(_ key: Key, into w: inout ByteWriter, _ encode: (Key, inout ByteWriter) -> Void) {
            if let known = index[key] {
                w.varint(UInt64(known + 1))
            } else {
                w.varint(0)
                encode(key, &w)
                index[key] = keys.count
                keys.append(key)
            }
        }

        mutating func read(_ r: inout ByteReader, _ field: String,
                           _ decode: (inout ByteReader) throws(ByteDecodingError) -> Key) throws(ByteDecodingError) -> Key {
            let ref = try r.varint(field)
            guard ref == 0 else {
                guard ref <= UInt64(keys.count) else { throw .invalidTag(field: field, value: ref) }
                return keys[Int(ref - 1)]
            }
            let key = try decode(&r)
            guard keys.count < SyncLimits.maxRunDictionaryEntries else {
                throw .tooLarge(field: field, length: keys.count + 1, limit: SyncLimits.maxRunDictionaryEntries)
            }
            guard index[key] == nil else { throw .notCanonical("\(field) sent again after its reference") }
            index[key] = keys.count
            keys.append(key)
            return key
        }
    }
}

extension RunV2 {
    private enum OpFlag {
        static let erased: UInt8 = 1, prev: UInt8 = 2, scopePrev: UInt8 = 4, all: UInt8 = 7
    }

    private enum SealFlag {
        static let head: UInt8 = 1, path: UInt8 = 2, all: UInt8 = 3
    }

    /// Encodes a batch of runs, updating the direction's dictionary.
    public static func encode(_ runs: [RunV2], dictionary: inout RunDictionary) -> [UInt8] {
        var w = ByteWriter(capacity: 64 + runs.reduce(0) { $0 + $1.ops.count * 64 })
        w.varint(UInt64(runs.count))
        for run in runs { run.encode(into: &w, dictionary: &dictionary) }
        return w.bytes
    }

    private func encode(into w: inout ByteWriter, dictionary: inout RunDictionary) {
        dictionary.write(author, into: &w)
        w.varint(epoch)
        w.varint(UInt64(ops.count))
        var previous: (seq: UInt64, hlc: UInt64)?
        for op in ops {
            w.varint(op.seq - (previous.map { $0.seq + 1 } ?? 1))
            var flags: UInt8 = 0
            if case .erased = op.payload { flags |= OpFlag.erased }
            if op.prev != nil { flags |= OpFlag.prev }
            if op.scopePrev != nil { flags |= OpFlag.scopePrev }
            w.u8(flags)
            if let prev = op.prev { w.bytes32(prev) }
            if let scopePrev = op.scopePrev { w.varint(scopePrev == 0 ? 0 : op.seq - scopePrev) }
            if let previous {
                w.varint(Varint.zigzag(Int64(bitPattern: op.hlc.rawValue &- previous.hlc)))
            } else {
                w.varint(op.hlc.rawValue)
            }
            w.u8(UInt8(op.kind.rawValue))
            dictionary.write(op.scope, into: &w)
            switch op.payload {
            case let .body(body): w.varBytes(body)
            case let .erased(length, hash): w.varint(UInt64(length)); w.bytes32(hash)
            }
            previous = (op.seq, op.hlc.rawValue)
        }
        w.varint(UInt64(seals.count))
        for seal in seals {
            w.varint(seal.seq)
            w.varint(seal.fromSeq)
            w.u8((seal.head == nil ? 0 : SealFlag.head) | (seal.path == nil ? 0 : SealFlag.path))
            if let head = seal.head { w.bytes32(head) }
            w.bytes32(seal.scopesRoot)
            w.raw(seal.signature)
            if let path = seal.path {
                dictionary.write(path.scope, into: &w)
                w.varint(UInt64(path.leafIndex))
                w.varint(UInt64(path.leafCount))
                w.varint(UInt64(path.hashes.count))
                for hash in path.hashes { w.bytes32(hash) }
            }
        }
    }

    /// Decodes a batch of runs, updating the direction's dictionary. Syntax and limits only: hashes, chains and
    /// seals are checked after ``resolve(held:)``.
    public static func decode(_ bytes: [UInt8], dictionary: inout RunDictionary) throws(ByteDecodingError) -> [RunV2] {
        try ByteReader.decodeAll(bytes) { r throws(ByteDecodingError) in
            let count = try r.varLength("batch.runs", limit: SyncLimits.maxBatchOps)
            var runs: [RunV2] = []
            var total = 0
            for _ in 0..<count {
                let run = try decodeRun(&r, dictionary: &dictionary, budget: SyncLimits.maxBatchOps - total)
                total += run.ops.count
                runs.append(run)
            }
            return runs
        }
    }

    private static func decodeRun(_ r: inout ByteReader, dictionary: inout RunDictionary, budget: Int) throws(ByteDecodingError) -> RunV2 {
        let author = try dictionary.readAuthor(&r)
        let epoch = try r.ordinal("run.epoch")
        let count = try r.varLength("run.ops", limit: budget)
        if count == 0 { throw .notCanonical("a run without ops") }
        var ops: [Op] = []
        ops.reserveCapacity(count)
        for _ in 0..<count {
            let gap = try r.varint("op.gap")
            let base = ops.last.map { $0.seq + 1 } ?? 1
            guard gap <= Limits.maxOrdinal - base else { throw .tooLarge(field: "op.seq", length: Int.max, limit: Int(Limits.maxOrdinal)) }
            let seq = base + gap
            let flags = try r.u8("op.flags")
            guard flags & ~OpFlag.all == 0 else { throw .invalidTag(field: "op.flags", value: UInt64(flags)) }
            let prev = flags & OpFlag.prev != 0 ? try r.bytes32("op.prev") : nil
            if prev == nil && gap > 0 && !ops.isEmpty { throw .notCanonical("an op after a gap without its prev hash") }
            var scopePrev: UInt64? = nil
            if flags & OpFlag.scopePrev != 0 {
                let distance = try r.varint("op.scopePrev")
                guard distance < seq else { throw .notCanonical("a scope prev distance reaches below seq 1") }
                scopePrev = distance == 0 ? 0 : seq - distance
            }
            let hlc: UInt64
            if let last = ops.last {
                let delta = Varint.unzigzag(try r.varint("op.hlc"))
                let value = Int64(bitPattern: last.hlc.rawValue).addingReportingOverflow(delta)
                guard !value.overflow, value.partialValue >= 0, UInt64(value.partialValue) <= Limits.maxOrdinal else {
                    throw .tooLarge(field: "op.hlc", length: Int.max, limit: Int(Limits.maxOrdinal))
                }
                hlc = UInt64(value.partialValue)
            } else {
                hlc = try r.ordinal("op.hlc")
            }
            let rawKind = try r.u8("op.kind")
            guard let kind = OpKind(rawValue: UInt16(rawKind)) else { throw .invalidTag(field: "op.kind", value: UInt64(rawKind)) }
            let scope = try dictionary.readScope(&r, "op.scope")
            let payload: Op.Payload
            if flags & OpFlag.erased != 0 {
                let length = try r.varLength("op.bodyLength", limit: Limits.maxBodyBytes)
                payload = .erased(length: UInt32(length), hash: try r.bytes32("op.bodyHash"))
            } else {
                payload = .body(try r.varBytes("op.body", limit: Limits.maxBodyBytes))
            }
            ops.append(Op(seq: seq, prev: prev, scopePrev: scopePrev, hlc: HLC(rawValue: hlc), kind: kind, scope: scope, payload: payload))
        }
        let sealCount = try r.varLength("run.seals", limit: count)
        var seals: [Seal] = []
        for _ in 0..<sealCount {
            let seq = try r.ordinal("seal.seq")
            let fromSeq = try r.ordinal("seal.fromSeq")
            try SealV2.checkRange(fromSeq: fromSeq, seq: seq)
            let flags = try r.u8("seal.flags")
            guard flags & ~SealFlag.all == 0 else { throw .invalidTag(field: "seal.flags", value: UInt64(flags)) }
            let head = flags & SealFlag.head != 0 ? try r.bytes32("seal.head") : nil
            let root = try r.bytes32("seal.scopesRoot")
            let signature = try r.raw(64, "seal.signature")
            var path: Path?
            if flags & SealFlag.path != 0 {
                let scope = try dictionary.readScope(&r, "seal.path.scope")
                let index = try r.varint("seal.path.index")
                let leaves = try r.varint("seal.path.count")
                guard leaves >= 1, leaves <= UInt64(UInt32.max), index < leaves else {
                    throw .invalidTag(field: "seal.path.index", value: index)
                }
                let length = try r.varLength("seal.path.length", limit: SyncLimits.maxInclusionPath)
                var hashes: [Bytes32] = []
                for _ in 0..<length { hashes.append(try r.bytes32("seal.path.hash")) }
                path = Path(scope: scope, leafIndex: Int(index), leafCount: Int(leaves), hashes: hashes)
            }
            seals.append(Seal(seq: seq, fromSeq: fromSeq, head: head, scopesRoot: root, signature: signature, path: path))
        }
        return RunV2(author: author, epoch: epoch, ops: ops, seals: seals)
    }
}
