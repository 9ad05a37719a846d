public import RoostCore
import RoostCrypto

/// What a receiver holds of one log, as run resolution asks it (Protocol/SPEC-format-2.md §2.6).
public protocol RunHeldHashes {
    /// The hash of the held op at `seq`, if held.
    func hash(at seq: UInt64) -> Bytes32?
    /// The seq of the latest held op of `scope` before `seq`, if any.
    func lastSeq(in scope: ScopeID, before seq: UInt64) -> UInt64?
}

/// Why a run does not resolve or verify. Every case refuses the whole run.
public enum RunError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The first op's prev hash was omitted, but the receiver does not hold the op before it.
    case missingPrev(seq: UInt64)
    /// A sent prev or scope prev differs from the hash or seq the receiver computed or holds.
    case prevMismatch(seq: UInt64)
    /// A body does not decode as a version 2 body of its kind.
    case malformedBody(seq: UInt64, ByteDecodingError)
    /// A header breaks the range rules.
    case malformedHeader(seq: UInt64, ByteDecodingError)
    /// A seal's head is neither sent nor known to the receiver, or differs from the op hash at its seq.
    case badHead(seq: UInt64)
    /// A seal's signature does not verify.
    case badSignature(seq: UInt64)
    /// A seal's scopes root does not match the ops of its range, or its inclusion path does not lead to it.
    case badScopes(seq: UInt64)
    /// The receiver holds neither every op of a seal's range nor a path for one of its scopes.
    case unverifiableScopes(seq: UInt64)
    /// Ops past the newest valid seal.
    case unsealed(seq: UInt64)

    public var description: String {
        switch self {
        case let .missingPrev(seq): "op \(seq): prev hash omitted, and the op before it is not held"
        case let .prevMismatch(seq): "op \(seq): prev hash or scope prev does not match"
        case let .malformedBody(seq, error): "op \(seq): malformed body: \(error)"
        case let .malformedHeader(seq, error): "op \(seq): malformed header: \(error)"
        case let .badHead(seq): "seal \(seq): head unknown or wrong"
        case let .badSignature(seq): "seal \(seq): signature does not verify"
        case let .badScopes(seq): "seal \(seq): scopes root or inclusion path does not verify"
        case let .unverifiableScopes(seq): "seal \(seq): neither the whole range nor an inclusion path"
        case let .unsealed(seq): "op \(seq) is past the newest valid seal"
        }
    }
}

extension RunV2 {
    /// An op of a run with its rebuilt 160-byte header and op hash.
    public struct Resolved: Hashable, Sendable {
        public var header: OpHeaderV2
        public var hash: Bytes32
        /// Nil when the op was sent erased.
        public var body: [UInt8]?
        public var decoded: OpBody?
    }

    /// Rebuilds every header (prev and scope prev recomputed where omitted, body hashes computed) and hashes it. A sent
    /// scope prev is not checked against what the receiver holds here: the store does (and the partial receiver's scope
    /// check); the header commits to it, so a wrong one fails the seal's leaf.
    public func resolve(held: some RunHeldHashes) throws(RunError) -> [Resolved] {
        var out: [Resolved] = []
        out.reserveCapacity(ops.count)
        var lastInScope: [ScopeID: UInt64] = [:]
        for (index, op) in ops.enumerated() {
            let previous = out.last
            let prev: Bytes32
            if let previous, previous.header.seq + 1 == op.seq {
                if let sent = op.prev, sent != previous.hash { throw .prevMismatch(seq: op.seq) }
                prev = previous.hash
            } else if index == 0 {
                let heldPrev = op.seq == 1 ? Bytes32.zero : held.hash(at: op.seq - 1)
                if let sent = op.prev {
                    if let heldPrev, heldPrev != sent { throw .prevMismatch(seq: op.seq) }
                    prev = sent
                } else if let heldPrev {
                    prev = heldPrev
                } else {
                    throw .missingPrev(seq: op.seq)
                }
            } else {
                guard let sent = op.prev else { throw .missingPrev(seq: op.seq) }
                prev = sent
            }
            let scopePrev: UInt64
            if let sent = op.scopePrev {
                if let inRun = lastInScope[op.scope], inRun != sent { throw .prevMismatch(seq: op.seq) }
                scopePrev = sent
            } else {
                scopePrev = lastInScope[op.scope] ?? held.lastSeq(in: op.scope, before: op.seq) ?? 0
            }
            let length: UInt32, bodyHash: Bytes32, body: [UInt8]?, decoded: OpBody?
            switch op.payload {
            case let .body(bytes):
                do {
                    decoded = try OpBody.decodeV2(kind: op.kind, bytes: bytes)
                } catch {
                    throw .malformedBody(seq: op.seq, error)
                }
                length = UInt32(bytes.count)
                bodyHash = OpCrypto.bodyHash(bytes)
                body = bytes
            case let .erased(erasedLength, hash):
                length = erasedLength
                bodyHash = hash
                body = nil
                decoded = nil
            }
            let header = OpHeaderV2(author: author, epoch: epoch, seq: op.seq, prev: prev, hlc: op.hlc, kind: op.kind,
                                    scope: op.scope, scopePrev: scopePrev, bodyLength: length, bodyHash: bodyHash)
            do {
                try header.checkRanges()
            } catch {
                throw .malformedHeader(seq: op.seq, error)
            }
            let hash = OpCryptoV2.opHash(header)
            lastInScope[op.scope] = op.seq
            out.append(Resolved(header: header, hash: hash, body: body, decoded: decoded))
        }
        return out
    }

    /// Checks the run's seals against its resolved ops (Protocol/SPEC-format-2.md §2.5): each head, signature, and
    /// scopes root (recomputed when the run holds the seal's whole range, else through its inclusion path); every
    /// op must be at or before the newest seal. Returns the newest sealed seq.
    @discardableResult
    public func verifySeals(_ resolved: [Resolved], held: some RunHeldHashes) throws(RunError) -> UInt64 {
        var bySeq: [UInt64: Int] = [:]
        for (index, op) in resolved.enumerated() { bySeq[op.header.seq] = index }
        var sealed: UInt64 = 0
        for seal in seals {
            let known = bySeq[seal.seq].map { resolved[$0].hash } ?? held.hash(at: seal.seq)
            guard let head = known ?? seal.head, seal.head == nil || seal.head == head else { throw .badHead(seq: seal.seq) }
            let signed = SealV2(author: author, epoch: epoch, fromSeq: seal.fromSeq, seq: seal.seq, head: head,
                                scopesRoot: seal.scopesRoot, signature: seal.signature)
            guard OpCryptoV2.verify(signed) else { throw .badSignature(seq: seal.seq) }
            let range = resolved.filter { (seal.fromSeq...seal.seq).contains($0.header.seq) }
            if range.count == Int(seal.seq - seal.fromSeq + 1) {
                let leaves = OpCryptoV2.leaves(of: range.map { ($0.header.scope, $0.hash) })
                guard OpCryptoV2.root(leaves) == seal.scopesRoot else { throw .badScopes(seq: seal.seq) }
            } else if let path = seal.path, case let inScope = range.filter({ $0.header.scope == path.scope }), !inScope.isEmpty {
                let leaf = OpCryptoV2.ScopeLeaf(scope: path.scope, opHashes: inScope.map(\.hash))
                guard OpCryptoV2.verifyInclusion(leaf: leaf, index: path.leafIndex, count: path.leafCount, path: path.hashes,
                                                 root: seal.scopesRoot) else { throw .badScopes(seq: seal.seq) }
            } else {
                throw .unverifiableScopes(seq: seal.seq)
            }
            sealed = max(sealed, seal.seq)
        }
        if let last = resolved.last, last.header.seq > sealed { throw .unsealed(seq: last.header.seq) }
        return sealed
    }
}
