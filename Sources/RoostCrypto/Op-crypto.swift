public import RoostCore

/// Hashing and sealing of Roost ops (Protocol/SPEC.md, "Hashes and seals").
public enum OpCrypto {
    /// BLAKE2b-256 of a body encoding.
    public static func bodyHash(_ body: [UInt8]) -> Bytes32 {
        digest(body)
    }

    /// The op hash: BLAKE2b-256 of the 127-byte header encoding.
    public static func headerHash(_ header: OpHeader) -> Bytes32 {
        digest(header.encoded())
    }

    /// Builds the header for `body` at the given log position.
    public static func makeHeader(
        author: AuthorID, epoch: UInt64, seq: UInt64, prev: Bytes32, hlc: HLC, body: OpBody
    ) -> (header: OpHeader, body: [UInt8]) {
        let encoded = body.encoded()
        let header = OpHeader(
            author: author, epoch: epoch, seq: seq, prev: prev, hlc: hlc, kind: body.kind,
            bodyLength: UInt32(encoded.count), bodyHash: bodyHash(encoded))
        return (header, encoded)
    }

    /// Signs the head of a log.
    public static func seal(key: SigningKey, epoch: UInt64, seq: UInt64, head: Bytes32) -> Seal {
        let author = AuthorID(bytes: key.publicKey)!
        let message = Seal.signedMessage(author: author, epoch: epoch, seq: seq, head: head)
        return Seal(author: author, epoch: epoch, seq: seq, head: head, signature: key.sign(message))
    }

    /// True when the seal's signature is the author's over its signed message.
    public static func verify(_ seal: Seal) -> Bool {
        Ed25519.verify(signature: seal.signature, message: seal.signedMessage, publicKey: seal.author.key.bytes)
    }

    private static func digest(_ bytes: [UInt8]) -> Bytes32 {
        withUnsafeTemporaryAllocation(byteCount: 32, alignment: 8) { out in
            bytes.withUnsafeBytes { Blake2b.hash256(into: out, $0) }
            return Bytes32(loadingFrom: UnsafeRawBufferPointer(out), at: 0)
        }
    }
}

extension SigningKey {
    /// This key's author id.
    public var authorID: AuthorID { AuthorID(bytes: publicKey)! }
}
