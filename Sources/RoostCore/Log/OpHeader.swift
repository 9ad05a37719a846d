/// The signed-over part of an operation. Its canonical encoding is 127 bytes:
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 1 | format version, `1` |
/// | 1 | 32 | author (Ed25519 public key) |
/// | 33 | 8 | log epoch, big-endian |
/// | 41 | 8 | seq, big-endian, from 1 |
/// | 49 | 32 | prev: hash of the previous header in this log (zeros for seq 1) |
/// | 81 | 8 | HLC timestamp, big-endian |
/// | 89 | 2 | kind, big-endian |
/// | 91 | 4 | body length, big-endian |
/// | 95 | 32 | body hash: BLAKE2b-256 of the body encoding |
///
/// The op's hash is BLAKE2b-256 of these 127 bytes. The body is stored apart, so it can be erased
/// (redaction) while the header still links the chain.
public struct OpHeader: Hashable, Sendable {
    /// The only format version this build reads and writes.
    public static let formatVersion: UInt8 = 1
    /// Encoded length in bytes.
    public static let encodedLength = 127

    /// The author's public key.
    public var author: AuthorID
    /// The author's log epoch.
    public var epoch: UInt64
    /// Position in the log, from 1.
    public var seq: UInt64
    /// Hash of the previous header, or ``Bytes32/zero`` at seq 1.
    public var prev: Bytes32
    /// When the op was made, by the author's hybrid clock.
    public var hlc: HLC
    /// What the body is.
    public var kind: OpKind
    /// Length of the body encoding.
    public var bodyLength: UInt32
    /// BLAKE2b-256 of the body encoding.
    public var bodyHash: Bytes32

    /// Creates a header.
    public init(
        author: AuthorID, epoch: UInt64, seq: UInt64, prev: Bytes32, hlc: HLC, kind: OpKind,
        bodyLength: UInt32, bodyHash: Bytes32
    ) {
        self.author = author; self.epoch = epoch; self.seq = seq; self.prev = prev
        self.hlc = hlc; self.kind = kind; self.bodyLength = bodyLength; self.bodyHash = bodyHash
    }

    /// This op's position.
    public var ref: OpRef { OpRef(author: author, epoch: epoch, seq: seq) }

    /// The canonical 127-byte encoding.
    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: Self.encodedLength)
        encode(into: &w)
        return w.bytes
    }

    /// Appends the canonical encoding.
    public func encode(into w: inout ByteWriter) {
        w.u8(Self.formatVersion)
        w.bytes32(author.key)
        w.u64(epoch)
        w.u64(seq)
        w.bytes32(prev)
        w.u64(hlc.rawValue)
        w.u16(kind.rawValue)
        w.u32(bodyLength)
        w.bytes32(bodyHash)
    }

    /// Decodes exactly one header.
    public static func decode(_ bytes: [UInt8]) throws(ByteDecodingError) -> OpHeader {
        try ByteReader.decodeAll(bytes) { r throws(ByteDecodingError) in try decode(from: &r) }
    }

    /// Reads one header.
    public static func decode(from r: inout ByteReader) throws(ByteDecodingError) -> OpHeader {
        let version = try r.u8("header.version")
        guard version == formatVersion else { throw .invalidTag(field: "header.version", value: UInt64(version)) }
        let author = AuthorID(key: try r.bytes32("header.author"))
        let epoch = try r.u64("header.epoch")
        let seq = try r.u64("header.seq")
        guard seq >= 1 else { throw .invalidTag(field: "header.seq", value: 0) }
        let prev = try r.bytes32("header.prev")
        let hlc = HLC(rawValue: try r.u64("header.hlc"))
        let rawKind = try r.u16("header.kind")
        guard let kind = OpKind(rawValue: rawKind) else { throw .invalidTag(field: "header.kind", value: UInt64(rawKind)) }
        let bodyLength = try r.u32("header.bodyLength")
        guard bodyLength <= Limits.maxBodyBytes else {
            throw .tooLarge(field: "body", length: Int(bodyLength), limit: Limits.maxBodyBytes)
        }
        let bodyHash = try r.bytes32("header.bodyHash")
        let header = OpHeader(
            author: author, epoch: epoch, seq: seq, prev: prev, hlc: hlc, kind: kind,
            bodyLength: bodyLength, bodyHash: bodyHash)
        try header.checkRanges()
        return header
    }

    /// The decoder's range rules, for headers built in memory: epoch, seq and HLC at most
    /// ``Limits/maxOrdinal``, seq from 1, a zero prev at seq 1, the body length within its limit.
    public func checkRanges() throws(ByteDecodingError) {
        guard seq >= 1 else { throw .invalidTag(field: "header.seq", value: 0) }
        guard bodyLength <= Limits.maxBodyBytes else {
            throw .tooLarge(field: "body", length: Int(bodyLength), limit: Limits.maxBodyBytes)
        }
        if epoch > Limits.maxOrdinal {
            throw .tooLarge(field: "header.epoch", length: Int(clamping: epoch), limit: Int(Limits.maxOrdinal))
        }
        if seq > Limits.maxOrdinal {
            throw .tooLarge(field: "header.seq", length: Int(clamping: seq), limit: Int(Limits.maxOrdinal))
        }
        if hlc.rawValue > Limits.maxOrdinal {
            throw .tooLarge(field: "header.hlc", length: Int(clamping: hlc.rawValue), limit: Int(Limits.maxOrdinal))
        }
        if seq == 1 && prev != .zero { throw .notCanonical("the first op of a log has a zero prev hash") }
    }
}

/// An operation as it travels and is stored: the header, its hash, and the body (nil once erased).
public struct Op: Hashable, Sendable {
    /// The header.
    public var header: OpHeader
    /// The body encoding, or nil when the body was erased.
    public var body: [UInt8]?

    /// Creates an op.
    public init(header: OpHeader, body: [UInt8]?) {
        self.header = header
        self.body = body
    }
}
