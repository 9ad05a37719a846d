public import RoostCore
import RoostCrypto
public import RoostStore

/// One format 2 op a replica holds: its rebuilt hashed header, its hash, and its body (Protocol/SPEC-partial.md).
public struct HeldOpV2: Hashable, Sendable {
    /// The 160-byte hashed header.
    public var header: OpHeaderV2
    /// The op hash.
    public var hash: Bytes32
    /// The body v2 encoding; nil when the op was erased before it reached this replica (its header still links the
    /// chains, SPEC-partial.md §P.6).
    public var body: [UInt8]?
    /// The decoded body, nil with the body.
    public var decoded: OpBody?

    /// Bytes this op counts for in SPEC-partial.md §P.7's measure of what a node stores: hashed header and body.
    public var size: Int { OpHeaderV2.encodedLength + (body?.count ?? 0) }
}

extension HeldOpV2 {
    /// A stored op as a replica holds it, its body decoded.
    init(_ op: StoredOpV2) throws(PartialError) {
        var decoded: OpBody? = nil
        if let body = op.body {
            do { decoded = try OpBody.decodeV2(kind: op.header.kind, bytes: body) } catch { throw .restoredOpUnreadable(op.header.ref) }
        }
        self.init(header: op.header, hash: op.hash, body: op.body, decoded: decoded)
    }
}

/// A seal as a replica keeps it: the signed seal, and the inclusion paths it was sent for scopes the replica holds
/// (a full replica holds every op of the range and recomputes paths, so it keeps none).
public struct KeptSeal: Hashable, Sendable {
    /// The seal, head included.
    public var seal: SealV2
    /// Paths received, by scope.
    public var paths: [ScopeID: RunV2.Path]
}

/// What a replica holds of one log: ops by seq, each scope's held seqs in order, and seals by their last seq.
///
/// Invariant on a partial replica (SPEC-partial.md §P.5): for each scope the held ops of this log are a prefix of the
/// scope's chain, from the op whose scope prev is 0, each naming the one before by seq.
struct HeldLog: Sendable, RunHeldHashes {
    private(set) var ops: [UInt64: HeldOpV2] = [:]
    private(set) var scopeSeqs: [ScopeID: [UInt64]] = [:]
    private(set) var seals: [UInt64: KeptSeal] = [:]
    /// The seqs of `seals`, ascending.
    private(set) var sealSeqs: [UInt64] = []
    /// The seals holding a path of each scope.
    private var sealsWithPath: [ScopeID: [UInt64]] = [:]
    /// Scopes trees of seals, built when a full replica first needs a path in them.
    private var trees: [UInt64: ScopesTree] = [:]
    /// The highest seq up to which every op is held (full replicas only grow it).
    private(set) var contiguousTop: UInt64 = 0

    func hash(at seq: UInt64) -> Bytes32? { ops[seq]?.hash }

    func lastSeq(in scope: ScopeID, before seq: UInt64) -> UInt64? {
        guard let seqs = scopeSeqs[scope] else { return nil }
        let index = seqs.firstIndex(notBelow: seq)
        return index == 0 ? nil : seqs[index - 1]
    }

    /// The held seqs of `scope` within `range`, ascending.
    func seqs(of scope: ScopeID, in range: ClosedRange<UInt64>) -> [UInt64] {
        guard let seqs = scopeSeqs[scope] else { return [] }
        var out: [UInt64] = []
        var index = seqs.firstIndex(notBelow: range.lowerBound)
        while index < seqs.count && seqs[index] <= range.upperBound { out.append(seqs[index]); index += 1 }
        return out
    }

    /// Adds an op; false when its seq is already held.
    @discardableResult
    mutating func insert(_ op: HeldOpV2) -> Bool {
        let seq = op.header.seq
        guard ops[seq] == nil else { return false }
        ops[seq] = op
        let scope = op.header.scope
        if let last = scopeSeqs[scope]?.last, last > seq {
            let index = scopeSeqs[scope]!.firstIndex(notBelow: seq)
            scopeSeqs[scope]!.insert(seq, at: index)
        } else {
            scopeSeqs[scope, default: []].append(seq)
        }
        while ops[contiguousTop + 1] != nil { contiguousTop += 1 }
        return true
    }

    /// Drops the body of the op at `seq` (SPEC.md §1.9): its header, hash and place in the chains stay.
    mutating func erase(_ seq: UInt64) {
        ops[seq]?.body = nil
        ops[seq]?.decoded = nil
    }

    /// Keeps a seal, adding `path` to the paths already kept for it.
    mutating func keep(_ seal: SealV2, path: RunV2.Path?) {
        if seals[seal.seq] == nil {
            seals[seal.seq] = KeptSeal(seal: seal, paths: [:])
            if let last = sealSeqs.last, last > seal.seq {
                sealSeqs.insert(seal.seq, at: sealSeqs.firstIndex(notBelow: seal.seq))
            } else {
                sealSeqs.append(seal.seq)
            }
        }
        if let path, seals[seal.seq]!.paths.updateValue(path, forKey: path.scope) == nil {
            sealsWithPath[path.scope, default: []].append(seal.seq)
        }
    }

    /// The seal whose range holds `seq`, if kept.
    func seal(covering seq: UInt64) -> KeptSeal? {
        let index = sealSeqs.firstIndex(notBelow: seq)
        guard index < sealSeqs.count, let kept = seals[sealSeqs[index]], kept.seal.fromSeq <= seq else { return nil }
        return kept
    }

    /// The seals whose last seq is in `range`, in order.
    func seals(endingIn range: ClosedRange<UInt64>) -> [KeptSeal] {
        var out: [KeptSeal] = []
        var index = sealSeqs.firstIndex(notBelow: range.lowerBound)
        while index < sealSeqs.count, sealSeqs[index] <= range.upperBound {
            out.append(seals[sealSeqs[index]]!)
            index += 1
        }
        return out
    }

    /// The inclusion path of `scope` in `seal`'s scopes tree, computed from the held ops of its range (a full
    /// replica), or the one kept with it (a partial replica); nil when neither is possible.
    mutating func path(of scope: ScopeID, in kept: KeptSeal) -> RunV2.Path? {
        if let path = kept.paths[scope] { return path }
        let seal = kept.seal
        if trees[seal.seq] == nil {
            var range: [(scope: ScopeID, hash: Bytes32)] = []
            for seq in seal.fromSeq...seal.seq {
                guard let op = ops[seq] else { return nil }
                range.append((op.header.scope, op.hash))
            }
            trees[seal.seq] = ScopesTree(OpCryptoV2.leaves(of: range))
        }
        guard let index = trees[seal.seq]!.index(of: scope) else { return nil }
        return RunV2.Path(scope: scope, leafIndex: index, leafCount: trees[seal.seq]!.count,
                          hashes: trees[seal.seq]!.path(index))
    }

    /// Drops every op of `scope` and the paths kept for it; a seal kept only for its paths goes with its last path.
    /// Returns the ops dropped.
    mutating func drop(_ scope: ScopeID) -> [HeldOpV2] {
        guard let seqs = scopeSeqs.removeValue(forKey: scope) else { return [] }
        var dropped: [HeldOpV2] = []
        dropped.reserveCapacity(seqs.count)
        for seq in seqs { if let op = ops.removeValue(forKey: seq) { dropped.append(op) } }
        if let first = seqs.first, first <= contiguousTop { contiguousTop = first - 1 }
        for seq in sealsWithPath.removeValue(forKey: scope) ?? [] where seals[seq] != nil {
            seals[seq]!.paths[scope] = nil
            if seals[seq]!.paths.isEmpty {
                seals[seq] = nil
                trees[seq] = nil
                sealSeqs.remove(at: sealSeqs.firstIndex(notBelow: seq))
            }
        }
        return dropped
    }
}

/// A seal's scopes tree (SPEC-format-2.md §2.5, RFC 9162 §2.1 shape) with its subtree roots memoized, so that the
/// path of each of its n leaves costs O(log n) once the tree is built: the same hashes as ``OpCryptoV2/inclusionPath(_:index:)``.
struct ScopesTree: Sendable {
    private let scopes: [ScopeID: Int]
    private let leafHashes: [Bytes32]
    private var roots: [Int: Bytes32] = [:]

    init(_ leaves: [OpCryptoV2.ScopeLeaf]) {
        scopes = Dictionary(uniqueKeysWithValues: leaves.enumerated().map { ($1.scope, $0) })
        leafHashes = leaves.map(OpCryptoV2.leafHash)
    }

    var count: Int { leafHashes.count }
    func index(of scope: ScopeID) -> Int? { scopes[scope] }

    /// Sibling hashes from leaf `index` up.
    mutating func path(_ index: Int) -> [Bytes32] {
        var out: [Bytes32] = []
        path(0, leafHashes.count, index, &out)
        return out
    }

    private mutating func path(_ low: Int, _ high: Int, _ index: Int, _ out: inout [Bytes32]) {
        guard high - low > 1 else { return }
        let k = Self.split(high - low)
        if index < low + k {
            path(low, low + k, index, &out)
            out.append(root(low + k, high))
        } else {
            path(low + k, high, index, &out)
            out.append(root(low, low + k))
        }
    }

    private mutating func root(_ low: Int, _ high: Int) -> Bytes32 {
        if high - low == 1 { return leafHashes[low] }
        let key = low << 32 | high
        if let known = roots[key] { return known }
        let k = Self.split(high - low)
        let value = OpCryptoV2.nodeHash(root(low, low + k), root(low + k, high))
        roots[key] = value
        return value
    }

    /// The largest power of two smaller than `n` (n ≥ 2).
    private static func split(_ n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }
}

extension Array where Element == UInt64 {
    /// The index of the first element not below `value` in an ascending array (its count when there is none).
    func firstIndex(notBelow value: UInt64) -> Int {
        var low = 0, high = count
        while low < high {
            let mid = (low + high) / 2
            if self[mid] < value { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
