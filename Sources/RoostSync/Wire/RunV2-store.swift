public import RoostCore
import RoostCrypto
public import RoostStore

extension HeldBeforeRun: RunHeldHashes {}

extension RunV2 {
    /// A run of whole seal ranges for a receiver that holds every op before the first (SPEC-partial.md §P.4, "a full
    /// node to a full peer"): prev, scope prev and heads omitted, the receiver recomputes them.
    public init(fullRangesOf batch: OpBatchV2) {
        let first = batch.ops[0].header
        self.init(author: first.author, epoch: first.epoch, ops: batch.ops.map { op in
            RunV2.Op(seq: op.header.seq, hlc: op.header.hlc, kind: op.header.kind, scope: op.header.scope,
                     payload: op.body.map { .body($0) } ?? .erased(length: op.header.bodyLength, hash: op.header.bodyHash))
        }, seals: batch.seals.map { seal in
            RunV2.Seal(seq: seal.seq, fromSeq: seal.fromSeq, scopesRoot: seal.scopesRoot, signature: seal.signature)
        })
    }

    /// Resolves this run against what `store` holds of its log and checks its seals (SPEC-format-2.md §2.6), giving the
    /// format 2 batch the store applies (``OpStore/apply(v2:clock:)``, which checks it all again against the store).
    public func resolvedBatch(against store: OpStore) throws -> OpBatchV2 {
        guard let first = ops.first else { return OpBatchV2() }
        let held = try store.heldBefore(LogID(author: author, epoch: epoch), firstSeq: first.seq, scopes: Set(ops.map(\.scope)),
                                        seals: seals.map(\.seq))
        let resolved = try resolve(held: held)
        try verifySeals(resolved, held: held)
        var hashes: [UInt64: Bytes32] = [:]
        for op in resolved { hashes[op.header.seq] = op.hash }
        let sealed = try seals.map { seal throws(RunError) in
            guard let head = hashes[seal.seq] ?? held.hash(at: seal.seq) ?? seal.head else { throw RunError.badHead(seq: seal.seq) }
            return SealV2(author: author, epoch: epoch, fromSeq: seal.fromSeq, seq: seal.seq, head: head,
                          scopesRoot: seal.scopesRoot, signature: seal.signature)
        }
        return OpBatchV2(ops: resolved.map { OpBatchV2.Op(header: $0.header, body: $0.body) }, seals: sealed)
    }
}
