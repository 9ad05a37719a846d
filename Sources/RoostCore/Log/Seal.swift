/// The author's Ed25519 signature over the head of its log at `seq`.
///
/// One valid seal vouches for every op up to `seq` through the hash chain. The signed message is
/// ``signedMessage`` (93 bytes): the ASCII domain tag `roost-seal-v1`, then author, epoch, seq and head hash.
/// Encoding (144 bytes): author (32), epoch (8), seq (8), head hash (32), signature (64).
public struct Seal: Hashable, Sendable {
    /// Encoded length in bytes.
    public static let encodedLength = 144
    /// Domain-separation prefix of the signed message.
    public static let domain = Array("roost-seal-v1".utf8)

    /// The sealing author.
    public var author: AuthorID
    /// The sealed log's epoch.
    public var epoch: UInt64
    /// The sealed position.
    public var seq: UInt64
    /// Hash of the header at `seq`.
    public var head: Bytes32
    /// Ed25519 signature (64 bytes) over ``signedMessage``.
    public var signature: [UInt8]

    /// Creates a seal.
    public init(author: AuthorID, epoch: UInt64, seq: UInt64, head: Bytes32, signature: [UInt8]) {
        self.author = author; self.epoch = epoch; self.seq = seq; self.head = head; self.signature = signature
    }

    /// The log this seal covers.
    public var log: LogID { LogID(author: author, epoch: epoch) }

    /// The bytes the author signs.
    public static func signedMessage(author: AuthorID, epoch: UInt64, seq: UInt64, head: Bytes32) -> [UInt8] {
        var w = ByteWriter(capacity: 93)
        w.raw(domain)
        w.bytes32(author.key)
        w.u64(epoch)
        w.u64(seq)
        w.bytes32(head)
        return w.bytes
    }

    /// The bytes this seal's signature covers.
    public var signedMessage: [UInt8] { Self.signedMessage(author: author, epoch: epoch, seq: seq, head: head) }

    /// The canonical 144-byte encoding.
    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: Self.encodedLength)
        w.bytes32(author.key)
        w.u64(epoch)
        w.u64(seq)
        w.bytes32(head)
        w.raw(signature)
        return w.bytes
    }

    /// Decodes exactly one seal.
    public static func decode(_ bytes: [UInt8]) throws(ByteDecodingError) -> Seal {
        guard bytes.count == encodedLength else {
            if bytes.count < encodedLength { throw .truncated(field: "seal") }
            throw .trailingBytes(count: bytes.count - encodedLength)
        }
        return try ByteReader.decodeAll(bytes) { r throws(ByteDecodingError) in
            let author = AuthorID(key: try r.bytes32("seal.author"))
            let epoch = try r.u64("seal.epoch")
            let seq = try r.u64("seal.seq")
            guard seq >= 1 else { throw ByteDecodingError.invalidTag(field: "seal.seq", value: 0) }
            for (name, value) in [("seal.epoch", epoch), ("seal.seq", seq)] where value > Limits.maxOrdinal {
                throw ByteDecodingError.tooLarge(field: name, length: Int(clamping: value), limit: Int(Limits.maxOrdinal))
            }
            let head = try r.bytes32("seal.head")
            _ = try r.bytes32("seal.signature[0..<32]")
            _ = try r.bytes32("seal.signature[32..<64]")
            return Seal(author: author, epoch: epoch, seq: seq, head: head, signature: Array(bytes[80..<144]))
        }
    }
}
