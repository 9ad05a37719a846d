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
        guard isFull else {
            guard views[peer] == nil, let own = logs[ownLog] else { return PartialBatch(runs: [], backfill: [], covered: [:]) }
            let from = request.vector[ownLog] ?? 0
            guard own.sealedTop > from else { return PartialBatch(runs: [], backfill: [], covered: [:]) }
            let seqs = Array((from + 1)...own.sealedTop)
            return PartialBatch(runs: [fullRun(ownLog, seqs: seqs)], backfill: [], covered: [ownLog: own.sealedTop])
        }
        guard var view = views[peer] else {
            var runs: [RunV2] = [], covered: [LogID: UInt64] = [:]
            for log in logs.keys.sorted() {
                let top = logs[log]!.contiguousTop, from = request.vector[log] ?? 0
                guard let sealed = logs[log]!.seals(endingIn: (from + 1)...max(from + 1, top)).last?.seal.seq,
                      sealed > from else { continue }
                runs.append(fullRun(log, seqs: Array((from + 1)...sealed)))
                covered[log] = sealed
            }
            return PartialBatch(runs: runs, backfill: [], covered: covered)
        }
        // What the batches the peer has not acknowledged sent whole or once more is sent again: they were lost.
        for lost in view.unacknowledged where lost.number > request.ack {
            view.backfill.formUnion(lost.whole.intersection(view.held.scopes))
            view.leaving.formUnion(lost.leaving.subtracting(view.held.scopes))
        }
        view.unacknowledged = []
        // A scope is sent *whole* only by a replica that holds every log at least as far as the peer's vector says
        // (the peer's own log aside): otherwise ops of the scope below the peer's vector may be missing here, and the
        // peer would stop wanting a scope it does not have. A replica behind the peer sends what it has, unlisted, and
        // keeps what it owes for a later round.
        let ahead = request.vector.allSatisfy { log, seq in log.author == peer || (logs[log]?.contiguousTop ?? 0) >= seq }
        let whole = ahead ? request.want.union(view.backfill) : []
        // A scope the peer left in this view is sent whole once more (not offered): the peer may have let its vector
        // pass the op that moved the ticket out while it did not hold the ticket, and then been sent the ticket whole
        // by a full peer that had not seen that op yet.
        let resend = whole.union(request.want).union(view.leaving)
        let sendable = view.held.scopes
        view.sent += 1
        view.unacknowledged.append((view.sent, ahead ? view.backfill : [], view.leaving))
        if ahead { view.backfill = [] }
        view.leaving = []
        views[peer] = view
        var runs: [RunV2] = [], covered: [LogID: UInt64] = [:]
        for log in logs.keys.sorted() {
            let held = logs[log]!
            let from = request.vector[log] ?? 0
            let top = held.seals(endingIn: (from + 1)...max(from + 1, held.contiguousTop)).last?.seal.seq ?? from
            var seqs: [UInt64] = []
            if top > from {
                for seq in (from + 1)...top where sendable.contains(held.ops[seq]!.header.scope) { seqs.append(seq) }
                covered[log] = top
            }
            var extra: [UInt64] = []
            for scope in resend.sorted() { if let scopeSeqs = held.scopeSeqs[scope] { extra += scopeSeqs.filter { $0 <= max(top, from) } } }
            if !extra.isEmpty { seqs = Array(Set(seqs).union(extra)).sorted() }
            if !seqs.isEmpty { runs.append(partialRun(log, seqs: seqs)) }
        }
        return PartialBatch(runs: runs, backfill: whole, covered: covered, number: views[peer]!.sent)
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
    /// scope's first op, and per scope the seal covering its newest op, with head and inclusion path.
    private mutating func partialRun(_ log: LogID, seqs: [UInt64]) -> RunV2 {
        var ops: [RunV2.Op] = []
        var newest: [ScopeID: UInt64] = [:]
        var seen: Set<ScopeID> = []
        let held = logs[log]!
        for (index, seq) in seqs.enumerated() {
            let op = held.ops[seq]!
            let follows = index > 0 && seqs[index - 1] == seq - 1
            let firstOfScope = seen.insert(op.header.scope).inserted
            ops.append(runOp(op, prev: follows || seq == 1 ? nil : op.header.prev,
                             scopePrev: firstOfScope ? op.header.scopePrev : nil))
            newest[op.header.scope] = seq
        }
        var seals: [RunV2.Seal] = []
        for (scope, seq) in newest.sorted(by: { $0.value < $1.value }) {
            guard let kept = logs[log]!.seal(covering: seq), let path = logs[log]!.path(of: scope, in: kept) else { continue }
            seals.append(RunV2.Seal(seq: kept.seal.seq, fromSeq: kept.seal.fromSeq, head: kept.seal.head,
                                    scopesRoot: kept.seal.scopesRoot, signature: kept.seal.signature, path: path))
        }
        return RunV2(author: log.author, epoch: log.epoch, ops: ops, seals: seals)
    }

    private func runOp(_ op: HeldOpV2, prev: Bytes32?, scopePrev: Bytes32?) -> RunV2.Op {
        RunV2.Op(seq: op.header.seq, prev: prev, scopePrev: scopePrev, hlc: op.header.hlc, kind: op.header.kind,
                 scope: op.header.scope,
                 payload: op.body.map { .body($0) } ?? .erased(length: op.header.bodyLength, hash: op.header.bodyHash))
    }
}
