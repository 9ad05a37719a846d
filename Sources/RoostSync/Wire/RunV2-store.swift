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

extension RunV2 {
    /// The highest op seq of each log in `runs`: what their receiver holds once they are applied.
    public static func tops(of runs: [RunV2]) -> VersionVector {
        var tops: [LogID: UInt64] = [:]
        for run in runs {
            guard let last = run.ops.last?.seq else { continue }
            let log = LogID(author: run.author, epoch: run.epoch)
            tops[log] = max(tops[log] ?? 0, last)
        }
        return VersionVector(tops)
    }
}

extension RunError {
    /// The store's refusal reason of the same check (SPEC-sync.md §2b.19): the code a `reject` of a `runs-v2` carries.
    /// `held` is the receiver's seq of the log (named by a `gap`).
    public func rejectReason(held: UInt64) -> RejectReason {
        switch self {
        case let .missingPrev(seq): .gap(have: held, first: seq)
        case .prevMismatch: .prevMismatch
        case let .malformedBody(_, error): .malformedBody(error)
        case let .malformedHeader(_, error): .malformedHeader(error)
        case let .badHead(seq), let .badSignature(seq), let .badScopes(seq), let .unverifiableScopes(seq): .badSeal(seq: seq)
        case let .unsealed(seq): .unsealed(sealed: seq - 1)
        }
    }

    /// The seq the refusal names.
    public var seq: UInt64 {
        switch self {
        case let .missingPrev(seq), let .prevMismatch(seq), let .malformedBody(seq, _), let .malformedHeader(seq, _),
             let .badHead(seq), let .badSignature(seq), let .badScopes(seq), let .unverifiableScopes(seq), let .unsealed(seq):
            seq
        }
    }
}

extension OpStore {
    /// Resolves a peer's format 2 runs against what this store holds and applies them in one transaction
    /// (SPEC-sync.md §2b.19): each run's headers rebuilt and seals checked (``RunV2/resolvedBatch(against:)``), then
    /// ``apply(v2:clock:)``. A run that does not resolve refuses the whole message, naming its op, and applies nothing.
    public func apply(runsV2 runs: [RunV2], clock: any WallClock) throws(StoreError) -> ApplyReport {
        var ops: [OpBatchV2.Op] = []
        var seals: [SealV2] = []
        var logs: Set<LogID> = []
        for run in runs where !run.ops.isEmpty {
            // One run per log: a second would resolve against ops the first has not stored yet.
            guard logs.insert(LogID(author: run.author, epoch: run.epoch)).inserted else {
                throw .rejected(op: OpRef(author: run.author, epoch: run.epoch, seq: run.ops[0].seq), reason: .outOfOrder)
            }
            let resolved: OpBatchV2
            do {
                resolved = try run.resolvedBatch(against: self)
            } catch let error as RunError {
                let held = try versionVector()[LogID(author: run.author, epoch: run.epoch)]
                throw .rejected(op: OpRef(author: run.author, epoch: run.epoch, seq: error.seq), reason: error.rejectReason(held: held))
            } catch let error as StoreError {
                throw error
            } catch {
                throw .corrupt("resolving a format 2 run: \(error)")
            }
            ops += resolved.ops
            seals += resolved.seals
        }
        return try apply(v2: OpBatchV2(ops: ops, seals: seals), clock: clock)
    }
}
