/// The hashed header of a format 2 op (Protocol/SPEC-format-2.md §2.4): 160 bytes, the ASCII tag `roost-op-v2`,
/// then author, epoch, seq, prev, HLC, kind (one byte), scope id, scope prev (a seq), body length and body hash.
///
/// These bytes are hashed (the op hash), not stored or sent: storage and runs keep only what cannot be recomputed.
public struct OpHeaderV2: Hashable, Sendable {
    /// The domain tag the hashed form starts with.
    public static let domain = Array("roost-op-v2".utf8)
    /// Length of the hashed form.
    public static let encodedLength = 160

    /// The author's public key.
    public var author: AuthorID
    /// The author's log epoch.
    public var epoch: UInt64
    /// Position in the log, from 1.
    public var seq: UInt64
    /// Hash of the previous op of this log, or zero at seq 1.
    public var prev: Bytes32
    /// When the op was made.
    public var hlc: HLC
    /// What the body is.
    public var kind: OpKind
    /// The op's scope.
    public var scope: ScopeID
    /// Seq of the author's previous op in the same scope in this log, or 0 when there is none (always below `seq`).
    public var scopePrev: UInt64
    /// Length of the body v2 encoding.
    public var bodyLength: UInt32
    /// BLAKE2b-256 of the body v2 encoding.
    public var bodyHash: Bytes32

    /// Creates a header.
    public init(author: AuthorID, epoch: UInt64, seq: UInt64, prev: Bytes32, hlc: HLC, kind: OpKind,
                scope: ScopeID, scopePrev: UInt64, bodyLength: UInt32, bodyHash: Bytes32) {
        self.author = author; self.epoch = epoch; self.seq = seq; self.prev = prev; self.hlc = hlc; self.kind = kind
        self.scope = scope; self.scopePrev = scopePrev; self.bodyLength = bodyLength; self.bodyHash = bodyHash
    }

    /// This op's position.
    public var ref: OpRef { OpRef(author: author, epoch: epoch, seq: seq) }

    /// The 160 bytes that are hashed.
    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: Self.encodedLength)
        w.raw(Self.domain)
        w.bytes32(author.key)
        w.u64(epoch)
        w.u64(seq)
        w.bytes32(prev)
        w.u64(hlc.rawValue)
        w.u8(UInt8(kind.rawValue))
        w.scope(scope)
        w.u64(scopePrev)
        w.u32(bodyLength)
        w.bytes32(bodyHash)
        return w.bytes
    }

    /// Decodes exactly one hashed header, with the range rules of ``checkRanges()``.
    public static func decode(_ bytes: [UInt8]) throws(ByteDecodingError) -> OpHeaderV2 {
        try ByteReader.decodeAll(bytes) { r throws(ByteDecodingError) in
            guard try r.raw(domain.count, "header.domain") == domain else {
                throw ByteDecodingError.invalidTag(field: "header.domain", value: 0)
            }
            let author = AuthorID(key: try r.bytes32("header.author"))
            let epoch = try r.u64("header.epoch")
            let seq = try r.u64("header.seq")
            let prev = try r.bytes32("header.prev")
            let hlc = HLC(rawValue: try r.u64("header.hlc"))
            let rawKind = try r.u8("header.kind")
            guard let kind = OpKind(rawValue: UInt16(rawKind)) else {
                throw ByteDecodingError.invalidTag(field: "header.kind", value: UInt64(rawKind))
            }
            let header = OpHeaderV2(
                author: author, epoch: epoch, seq: seq, prev: prev, hlc: hlc, kind: kind, scope: try r.scope("header.scope"),
                scopePrev: try r.u64("header.scopePrev"), bodyLength: try r.u32("header.bodyLength"),
                bodyHash: try r.bytes32("header.bodyHash"))
            try header.checkRanges()
            return header
        }
    }

    /// SPEC.md §1.6's range rules (seq from 1, ordinals at most ``Limits/maxOrdinal``, the body within its limit,
    /// a zero prev at seq 1) and a scope prev below the seq (so 0 at seq 1).
    public func checkRanges() throws(ByteDecodingError) {
        guard seq >= 1 else { throw .invalidTag(field: "header.seq", value: 0) }
        guard bodyLength <= Limits.maxBodyBytes else {
            throw .tooLarge(field: "body", length: Int(bodyLength), limit: Limits.maxBodyBytes)
        }
        for (name, value) in [("header.epoch", epoch), ("header.seq", seq), ("header.hlc", hlc.rawValue)] where value > Limits.maxOrdinal {
            throw .tooLarge(field: name, length: Int(clamping: value), limit: Int(Limits.maxOrdinal))
        }
        if seq == 1 && prev != .zero { throw .notCanonical("the first op of a log has a zero prev hash") }
        if scopePrev >= seq { throw .notCanonical("a scope prev is below the op's seq") }
    }
}

/// A format 2 seal (Protocol/SPEC-format-2.md §2.5): the author's signature over the head of its log at `seq`
/// and the root of the tree of scopes touched by the ops `fromSeq...seq`.
public struct SealV2: Hashable, Sendable {
    /// Domain tag of the signed message.
    public static let domain = Array("roost-seal-v2".utf8)
    /// Length of the signed message.
    public static let signedLength = 133

    /// The sealing author.
    public var author: AuthorID
    /// The sealed log's epoch.
    public var epoch: UInt64
    /// The first op whose scope the tree covers.
    public var fromSeq: UInt64
    /// The sealed position.
    public var seq: UInt64
    /// The op hash at `seq`.
    public var head: Bytes32
    /// The scopes tree's root.
    public var scopesRoot: Bytes32
    /// Ed25519 signature (64 bytes) over ``signedMessage``.
    public var signature: [UInt8]

    /// Creates a seal.
    public init(author: AuthorID, epoch: UInt64, fromSeq: UInt64, seq: UInt64, head: Bytes32, scopesRoot: Bytes32, signature: [UInt8]) {
        self.author = author; self.epoch = epoch; self.fromSeq = fromSeq; self.seq = seq; self.head = head
        self.scopesRoot = scopesRoot; self.signature = signature
    }

    /// The bytes the author signs.
    public static func signedMessage(author: AuthorID, epoch: UInt64, fromSeq: UInt64, seq: UInt64,
                                     head: Bytes32, scopesRoot: Bytes32) -> [UInt8] {
        var w = ByteWriter(capacity: signedLength)
        w.raw(domain)
        w.bytes32(author.key)
        w.u64(epoch)
        w.u64(fromSeq)
        w.u64(seq)
        w.bytes32(head)
        w.bytes32(scopesRoot)
        return w.bytes
    }

    /// The bytes this seal's signature covers.
    public var signedMessage: [UInt8] {
        Self.signedMessage(author: author, epoch: epoch, fromSeq: fromSeq, seq: seq, head: head, scopesRoot: scopesRoot)
    }

    /// The stored form: author, varint epoch, from seq and seq, head, scopes root, signature.
    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 176)
        w.bytes32(author.key)
        w.varint(epoch)
        w.varint(fromSeq)
        w.varint(seq)
        w.bytes32(head)
        w.bytes32(scopesRoot)
        w.raw(signature)
        return w.bytes
    }

    /// Decodes exactly one stored seal.
    public static func decode(_ bytes: [UInt8]) throws(ByteDecodingError) -> SealV2 {
        try ByteReader.decodeAll(bytes) { r throws(ByteDecodingError) in
            let author = AuthorID(key: try r.bytes32("seal.author"))
            let epoch = try r.ordinal("seal.epoch")
            let fromSeq = try r.ordinal("seal.fromSeq")
            let seq = try r.ordinal("seal.seq")
            try checkRange(fromSeq: fromSeq, seq: seq)
            return SealV2(author: author, epoch: epoch, fromSeq: fromSeq, seq: seq, head: try r.bytes32("seal.head"),
                          scopesRoot: try r.bytes32("seal.scopesRoot"), signature: try r.raw(64, "seal.signature"))
        }
    }

    /// `1 ≤ fromSeq ≤ seq`.
    public static func checkRange(fromSeq: UInt64, seq: UInt64) throws(ByteDecodingError) {
        guard fromSeq >= 1 else { throw .invalidTag(field: "seal.fromSeq", value: 0) }
        guard fromSeq <= seq else { throw .notCanonical("a seal's range starts after its seq") }
    }
}
