public import RoostCore

/// Hashing, scope trees and seals of format 2 (Protocol/SPEC-format-2.md §2.2, §2.4, §2.5).
public enum OpCryptoV2 {
    /// A scope's id: BLAKE2b-128 of its name.
    public static func scopeID(_ name: String) -> ScopeID {
        var hasher = Blake2bHasher(outputLength: ScopeID.length)
        hasher.update(Array(name.utf8))
        return ScopeID(hasher.finalize())!
    }

    /// The op hash: BLAKE2b-256 of the 160-byte hashed header.
    public static func opHash(_ header: OpHeaderV2) -> Bytes32 {
        Bytes32(Blake2b.hash256(header.encoded()))!
    }

    /// Builds the version 2 header of `body` at a log position, with the body's version 2 encoding.
    public static func makeHeader(author: AuthorID, epoch: UInt64, seq: UInt64, prev: Bytes32, hlc: HLC, scope: ScopeID,
                                  scopePrev: UInt64, body: OpBody) -> (header: OpHeaderV2, body: [UInt8]) {
        let encoded = body.encodedV2()
        let header = OpHeaderV2(author: author, epoch: epoch, seq: seq, prev: prev, hlc: hlc, kind: body.kind, scope: scope,
                                scopePrev: scopePrev, bodyLength: UInt32(encoded.count), bodyHash: OpCrypto.bodyHash(encoded))
        return (header, encoded)
    }

    // MARK: scopes tree (RFC 9162 §2.1 shape, BLAKE2b-256, domain-separated leaves and nodes)

    /// One leaf of a seal's scopes tree: a scope and the hashes of every op of that scope in the sealed range, in seq
    /// order (so a node holding only that scope sees that none of its ops of the range is missing).
    public struct ScopeLeaf: Hashable, Sendable {
        /// The scope.
        public var scope: ScopeID
        /// The hashes of the range's ops in it, in seq order (at least one).
        public var opHashes: [Bytes32]
        /// Creates a leaf.
        public init(scope: ScopeID, opHashes: [Bytes32]) { self.scope = scope; self.opHashes = opHashes }
    }

    /// `BLAKE2b-256(0x00 ‖ scope ‖ op hash × m)`.
    public static func leafHash(_ leaf: ScopeLeaf) -> Bytes32 {
        var bytes: [UInt8] = [0]
        bytes.reserveCapacity(17 + 32 * leaf.opHashes.count)
        bytes += leaf.scope.bytes
        for hash in leaf.opHashes { hash.append(to: &bytes) }
        return Bytes32(Blake2b.hash256(bytes))!
    }

    /// `BLAKE2b-256(0x01 ‖ left ‖ right)`.
    public static func nodeHash(_ left: Bytes32, _ right: Bytes32) -> Bytes32 {
        var bytes: [UInt8] = [1]
        bytes.reserveCapacity(65)
        left.append(to: &bytes)
        right.append(to: &bytes)
        return Bytes32(Blake2b.hash256(bytes))!
    }

    /// The leaves of the ops `(scope, hash)` of one sealed range, in log order: each scope's op hashes in that order,
    /// leaves sorted by scope.
    public static func leaves(of ops: [(scope: ScopeID, hash: Bytes32)]) -> [ScopeLeaf] {
        var byScope: [ScopeID: [Bytes32]] = [:]
        for op in ops { byScope[op.scope, default: []].append(op.hash) }
        return byScope.map { ScopeLeaf(scope: $0.key, opHashes: $0.value) }.sorted { $0.scope < $1.scope }
    }

    /// The root over sorted leaves (at least one).
    public static func root(_ leaves: [ScopeLeaf]) -> Bytes32 {
        precondition(!leaves.isEmpty, "a scopes tree has at least one leaf")
        return root(leaves.map(leafHash)[...])
    }

    private static func root(_ hashes: ArraySlice<Bytes32>) -> Bytes32 {
        if hashes.count == 1 { return hashes[hashes.startIndex] }
        let k = split(hashes.count)
        return nodeHash(root(hashes.prefix(k)), root(hashes.dropFirst(k)))
    }

    /// The largest power of two smaller than `n` (n ≥ 2).
    private static func split(_ n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    /// The inclusion path of leaf `index` (RFC 9162 §2.1.3.1): sibling hashes from the leaf up.
    public static func inclusionPath(_ leaves: [ScopeLeaf], index: Int) -> [Bytes32] {
        precondition(leaves.indices.contains(index))
        return path(leaves.map(leafHash)[...], index: index)
    }

    private static func path(_ hashes: ArraySlice<Bytes32>, index: Int) -> [Bytes32] {
        if hashes.count == 1 { return [] }
        let k = split(hashes.count)
        if index < k { return path(hashes.prefix(k), index: index) + [root(hashes.dropFirst(k))] }
        return path(hashes.dropFirst(k), index: index - k) + [root(hashes.prefix(k))]
    }

    /// Checks an inclusion path (RFC 9162 §2.1.3.2): true when `leaf`, at `index` of `count` leaves, leads to `root`.
    public static func verifyInclusion(leaf: ScopeLeaf, index: Int, count: Int, path: [Bytes32], root: Bytes32) -> Bool {
        guard index >= 0, index < count else { return false }
        var fn = UInt64(index), sn = UInt64(count - 1)
        var r = leafHash(leaf)
        for p in path {
            if sn == 0 { return false }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 { fn >>= 1; sn >>= 1 }
                }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && r == root
    }

    // MARK: seals

    /// Signs the head of a log and the scopes of the ops `fromSeq...seq`.
    public static func seal(key: SigningKey, epoch: UInt64, fromSeq: UInt64, seq: UInt64, head: Bytes32, scopesRoot: Bytes32) -> SealV2 {
        let author = key.authorID
        let message = SealV2.signedMessage(author: author, epoch: epoch, fromSeq: fromSeq, seq: seq, head: head, scopesRoot: scopesRoot)
        return SealV2(author: author, epoch: epoch, fromSeq: fromSeq, seq: seq, head: head, scopesRoot: scopesRoot,
                      signature: key.sign(message))
    }

    /// True when the seal's signature is its author's over its signed message.
    public static func verify(_ seal: SealV2) -> Bool {
        seal.signature.count == 64
            && Ed25519.verify(signature: seal.signature, message: seal.signedMessage, publicKey: seal.author.key.bytes)
    }
}
