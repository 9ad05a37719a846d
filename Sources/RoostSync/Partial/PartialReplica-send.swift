public import RoostCore
import RoostCrypto

extension PartialReplica {
    /// Answers `request` from `peer` (SPEC-partial.md §P.4).
    ///
    /// A full replica sends a full peer (one it has no view of) every op past its vector; a partial peer the new ops
    /// of the scopes it holds in this replica's view, plus every op of the scopes it wants or entered in this view
    /// (sent whole), with each first op's `prev`, each scope's first `scope_prev`, and for each scope's newest op the
    /// seal that covers it with its head and inclusion path. A partial replica sends its own log only, whole, to any
    /// peer: it holds no other log whole. Its runs carry the first op's `prev` and each scope's first `scope_prev`, so
    /// that a partial peer, which holds only some of the ops before them, can check them (SPEC-partial.md §P.4).
    public mutating func answer(_ request: PartialRequest, from peer: AuthorID) -> PartialBatch {
        var budget = PartialBudget(remaining: SyncLimits.partialBatchOps)
        guard isFull else {
            guard views[peer] == nil, logs[ownLog] != nil else { return PartialBatch(runs: [], backfill: [], covered: [:]) }
            let from = request.vector[ownLog] ?? 0
            let seqs = wholeRanges(ownLog, after: from, budget: &budget)
            guard let end = seqs.last else { return PartialBatch(runs: [], backfill: [], covered: [:]) }
            return PartialBatch(runs: [fullRun(ownLog, seqs: seqs, linked: true)], backfill: [], covered: [ownLog: end])
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
        // `logs` moves into the source for the answer (the paths it builds cache trees in the logs) and back.
        var source = HeldLogs(logs: logs)
        logs = [:]
        let batch = view.sending.answer(request, of: peer, holding: view.held.scopes, from: &source)
        logs = source.logs
        views[peer] = view
        return batch
    }

    /// The seqs of whole seal ranges of `log` after `from`, while the budget lasts.
    private func wholeRanges(_ log: LogID, after from: UInt64, budget: inout PartialBudget) -> [UInt64] {
        guard let held = logs[log] else { return [] }
        var end = from
        for kept in held.seals(endingIn: (from + 1)...max(from + 1, held.contiguousTop)) {
            guard budget.take(Int(kept.seal.seq - max(from + 1, kept.seal.fromSeq) + 1)) else { break }
            end = kept.seal.seq
        }
        return end > from ? Array((from + 1)...end) : []
    }

    /// A run of whole seal ranges for a receiver that holds every op before `seqs.first`: prev omitted, every seal
    /// ending in the range, heads omitted (the receiver computes them). `linked`: the first op's prev and each scope's
    /// first scope prev are sent, for a receiver that may hold only some of the ops before them (a partial one).
    private func fullRun(_ log: LogID, seqs: [UInt64], linked: Bool = false) -> RunV2 {
        let held = logs[log]!
        var seen: Set<ScopeID> = []
        let ops = seqs.enumerated().map { index, seq in
            let op = held.ops[seq]!
            guard linked else { return RunV2.Op(op, prev: nil, scopePrev: nil) }
            let first = seen.insert(op.header.scope).inserted
            return RunV2.Op(op, prev: index == 0 && seq > 1 ? op.header.prev : nil, scopePrev: first ? op.header.scopePrev : nil)
        }
        let seals = held.seals(endingIn: seqs.first!...seqs.last!).map { kept in
            RunV2.Seal(seq: kept.seal.seq, fromSeq: kept.seal.fromSeq, scopesRoot: kept.seal.scopesRoot,
                       signature: kept.seal.signature)
        }
        return RunV2(author: log.author, epoch: log.epoch, ops: ops, seals: seals)
    }
}

/// A replica's logs as the source of its answers to partial peers.
struct HeldLogs: PartialSource {
    var logs: [LogID: HeldLog]

    func servedLogs() -> [LogID: UInt64] { logs.mapValues(\.contiguousTop) }
    func seals(_ log: LogID, endingIn range: ClosedRange<UInt64>) -> [SealV2] {
        logs[log]?.seals(endingIn: range).map(\.seal) ?? []
    }
    func seal(_ log: LogID, covering seq: UInt64) -> SealV2? { logs[log]?.seal(covering: seq)?.seal }
    func op(_ log: LogID, at seq: UInt64) -> HeldOpV2? { logs[log]?.ops[seq] }
    func seqs(of scope: ScopeID) -> [LogID: [UInt64]] {
        var out: [LogID: [UInt64]] = [:]
        for (log, held) in logs { if let seqs = held.scopeSeqs[scope] { out[log] = seqs } }
        return out
    }
    mutating func path(of scope: ScopeID, in seal: SealV2, of log: LogID) -> RunV2.Path? {
        guard let kept = logs[log]?.seals[seal.seq] else { return nil }
        return logs[log]!.path(of: scope, in: kept)
    }
}
