public import RoostCore
import RoostCrypto

extension PartialReplica {
    /// Answers `request` from `peer` (SPEC-partial.md §P.4).
    ///
    /// A full replica sends a full peer (one it has no view of) every op past its vector; a partial peer the new ops
    /// of the scopes it holds in this replica's view, plus every op of the scopes it wants or entered in this view
    /// (sent whole), with each first op's `prev`, each scope's first `scope_prev`, and for each scope's newest op the
    /// seal that covers it with its head and inclusion path. A partial replica sends its own log only, to full peers:
    /// it holds no other log whole.
    public mutating func answer(_ request: PartialRequest, from peer: AuthorID) -> PartialBatch {
        var budget = Budget(remaining: SyncLimits.partialBatchOps)
        guard isFull else {
            guard views[peer] == nil, logs[ownLog] != nil else { return PartialBatch(runs: [], backfill: [], covered: [:]) }
            let from = request.vector[ownLog] ?? 0
            let seqs = wholeRanges(ownLog, after: from, budget: &budget)
            guard let end = seqs.last else { return PartialBatch(runs: [], backfill: [], covered: [:]) }
            return PartialBatch(runs: [fullRun(ownLog, seqs: seqs)], backfill: [], covered: [ownLog: end])
        }
        guard var view = views[peer] else {
            var runs: [RunV2] = [], covered: [LogID: UInt64] = [:]
            for log in logs.keys.sorted() where !budget.spent {
                let seqs = wholeRanges(log, after: request.vector[log] ?? 0, budget: &budget)
                guard let end = seqs.last else { continue }
                runs.append(fullRun(log, seqs: seqs))
                covered[log] = end
            }
            return PartialBatch(runs: runs, backfill: [], covered: covered)
        }
        // What the batches the peer has not acknowledged sent whole or once more is sent again: they were lost.
        for lost in view.unacknowledged where lost.number > request.ack {
            view.backfill.formUnion(lost.whole.intersection(view.held.scopes).subtracting(request.have))
            view.provisional.subtract(lost.whole)
            view.leaving.formUnion(lost.leaving.subtracting(view.held.scopes))
        }
        view.unacknowledged = []
        // What the peer got whole from another full peer is not sent whole again.
        view.backfill.subtract(request.have)
        view.provisional.subtract(request.have)
        // Scopes sent whole are *complete* only from a replica that holds every log at least as far as the peer's vector
        // says (the peer's own log aside): otherwise ops of the scope below the peer's vector may be missing here. A
        // replica behind the peer sends what it holds of them once, marked incomplete: the peer holds them and keeps
        // wanting them, so that a ticket entering its queues reaches it during a partition that put its two hubs on
        // different sides; once ahead, the replica sends them again, complete.
        let ahead = request.vector.allSatisfy { log, seq in log.author == peer || (logs[log]?.contiguousTop ?? 0) >= seq }
        let owedWhole = ahead ? request.want.union(view.backfill) : request.want.union(view.backfill).subtracting(view.provisional)
        var perLog: [LogID: Set<UInt64>] = [:], covered: [LogID: UInt64] = [:]
        // Scopes sent whole (listed) or once more (a scope the peer left, not listed: the peer may have let its vector
        // pass the op that moved the ticket out while it did not hold the ticket, then been sent the ticket whole by a
        // full peer that had not seen that op yet). What does not fit waits for the next batch. They go
        // first: until a ticket arrives whole, the peer does not hold it and would pass over its new ops.
        var listed: Set<ScopeID> = [], sentLeaving: Set<ScopeID> = []
        for scope in owedWhole.union(view.leaving).sorted() {
            var seqs: [(LogID, [UInt64])] = []
            var count = 0
            for (log, held) in logs { if let scopeSeqs = held.scopeSeqs[scope] { seqs.append((log, scopeSeqs)); count += scopeSeqs.count } }
            guard budget.take(count) else { continue }
            for (log, scopeSeqs) in seqs { perLog[log, default: []].formUnion(scopeSeqs) }
            if owedWhole.contains(scope) { listed.insert(scope) }
            if view.leaving.contains(scope) { sentLeaving.insert(scope) }
        }
        // New ops of the scopes the peer holds, seal range by seal range, while the budget lasts.
        for log in logs.keys.sorted() where !budget.spent {
            let held = logs[log]!
            let from = request.vector[log] ?? 0
            var end = from
            for kept in held.seals(endingIn: (from + 1)...max(from + 1, held.contiguousTop)) {
                let chosen = (max(from + 1, kept.seal.fromSeq)...kept.seal.seq).filter {
                    view.held.scopes.contains(held.ops[$0]!.header.scope)
                }
                guard budget.take(chosen.count) else { break }
                perLog[log, default: []].formUnion(chosen)
                end = kept.seal.seq
            }
            if end > from { covered[log] = end }
        }
        view.sent += 1
        view.unacknowledged.append((view.sent, listed.intersection(view.backfill), sentLeaving))
        if ahead {
            view.backfill.subtract(listed)
            view.provisional.subtract(listed)
        } else {
            view.provisional.formUnion(listed)
        }
        view.leaving.subtract(sentLeaving)
        views[peer] = view
        let runs = perLog.keys.sorted().filter { !perLog[$0]!.isEmpty }.map { log in partialRun(log, seqs: perLog[log]!.sorted()) }
        return PartialBatch(runs: runs, backfill: listed, covered: covered, number: view.sent, complete: ahead)
    }

    /// How many more ops fit in a batch: the first range always does (so that a batch always makes progress).
    struct Budget {
        var remaining: Int
        var used = 0
        var spent: Bool { remaining <= 0 }
        /// Takes `count` ops if they fit, or if nothing was taken yet.
        mutating func take(_ count: Int) -> Bool {
            guard count <= remaining || used == 0 else { return false }
            remaining -= count
            used += count
            return true
        }
    }

    /// The seqs of whole seal ranges of `log` after `from`, while the budget lasts.
    private func wholeRanges(_ log: LogID, after from: UInt64, budget: inout Budget) -> [UInt64] {
        guard let held = logs[log] else { return [] }
        var end = from
        for kept in held.seals(endingIn: (from + 1)...max(from + 1, held.contiguousTop)) {
            guard budget.take(Int(kept.seal.seq - max(from + 1, kept.seal.fromSeq) + 1)) else { break }
            end = kept.seal.seq
        }
        return end > from ? Array((from + 1)...end) : []
    }

    /// A run of whole seal ranges for a receiver that holds every op before `seqs.first`: prev omitted, every seal
    /// ending in the range, heads omitted (the receiver computes them).
    private func fullRun(_ log: LogID, seqs: [UInt64]) -> RunV2 {
        let held = logs[log]!
        let ops = seqs.map { seq in runOp(held.ops[seq]!, prev: nil, scopePrev: nil) }
        let seals = held.seals(endingIn: seqs.first!...seqs.last!).map { kept in
            RunV2.Seal(seq: kept.seal.seq, fromSeq: kept.seal.fromSeq, scopesRoot: kept.seal.scopesRoot,
                       signature: kept.seal.signature)
        }
        return RunV2(author: log.author, epoch: log.epoch, ops: ops, seals: seals)
    }

    /// A run for a partial receiver: `prev` on every op whose predecessor is not in the run, `scope_prev` on each
    /// scope's first op, and per scope each seal covering some of its ops, with head and the scope's inclusion path.
    private mutating func partialRun(_ log: LogID, seqs: [UInt64]) -> RunV2 {
        var ops: [RunV2.Op] = []
        var covering: [ScopeSeal] = []
        var listed: Set<ScopeSeal> = []
        var seen: Set<ScopeID> = []
        do {   // `held` ends here: the paths below build trees in the log, which must not copy it
            let held = logs[log]!
            for (index, seq) in seqs.enumerated() {
                let op = held.ops[seq]!
                let follows = index > 0 && seqs[index - 1] == seq - 1
                let firstOfScope = seen.insert(op.header.scope).inserted
                ops.append(runOp(op, prev: follows || seq == 1 ? nil : op.header.prev,
                                 scopePrev: firstOfScope ? op.header.scopePrev : nil))
                if let sealSeq = held.seal(covering: seq)?.seal.seq,
                   case let pair = ScopeSeal(scope: op.header.scope, sealSeq: sealSeq), listed.insert(pair).inserted {
                    covering.append(pair)
                }
            }
        }
        var seals: [RunV2.Seal] = []
        for pair in covering {
            let (scope, sealSeq) = (pair.scope, pair.sealSeq)
            guard let kept = logs[log]!.seals[sealSeq], let path = logs[log]!.path(of: scope, in: kept) else { continue }
            seals.append(RunV2.Seal(seq: kept.seal.seq, fromSeq: kept.seal.fromSeq, head: kept.seal.head,
                                    scopesRoot: kept.seal.scopesRoot, signature: kept.seal.signature, path: path))
        }
        return RunV2(author: log.author, epoch: log.epoch, ops: ops, seals: seals)
    }

    /// A scope and a seal covering some of its ops.
    private struct ScopeSeal: Hashable {
        var scope: ScopeID
        var sealSeq: UInt64
    }

    private func runOp(_ op: HeldOpV2, prev: Bytes32?, scopePrev: UInt64?) -> RunV2.Op {
        RunV2.Op(seq: op.header.seq, prev: prev, scopePrev: scopePrev, hlc: op.header.hlc, kind: op.header.kind,
                 scope: op.header.scope,
                 payload: op.body.map { .body($0) } ?? .erased(length: op.header.bodyLength, hash: op.header.bodyHash))
    }
}
