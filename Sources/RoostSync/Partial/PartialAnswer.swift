public import RoostCore
import RoostCrypto

/// What a full node answers partial peers from (SPEC-partial.md §P.4): its format 2 logs, whole. A
/// ``PartialReplica`` holds them in memory; a store reads them in one read transaction (``StorePartialServer``).
/// ``PartialSendState/answer(_:holding:from:)`` is the one implementation of the answer over either.
protocol PartialSource {
    associatedtype Failure: Error
    /// The format 2 logs held and, for each, the highest seq up to which every op is held.
    mutating func servedLogs() throws(Failure) -> [LogID: UInt64]
    /// The seals of `log` whose last seq is in `range`, in order.
    mutating func seals(_ log: LogID, endingIn range: ClosedRange<UInt64>) throws(Failure) -> [SealV2]
    /// The seal of `log` whose range holds `seq`, if held.
    mutating func seal(_ log: LogID, covering seq: UInt64) throws(Failure) -> SealV2?
    /// The op of `log` at `seq`, if held.
    mutating func op(_ log: LogID, at seq: UInt64) throws(Failure) -> HeldOpV2?
    /// Every held seq of `scope`, per log, ascending.
    mutating func seqs(of scope: ScopeID) throws(Failure) -> [LogID: [UInt64]]
    /// The inclusion path of `scope` in the scopes tree of `seal` of `log`; nil when the scope has no op in its range.
    mutating func path(of scope: ScopeID, in seal: SealV2, of log: LogID) throws(Failure) -> RunV2.Path?
}

/// What a full node keeps of what it sent one partial peer (SPEC-partial.md §P.4), beside the scopes it computes the
/// peer holds: the scopes to send whole or one last time, and the batches the peer has not acknowledged.
struct PartialSendState: Sendable {
    /// Scopes the peer entered in this view since the last batch: sent whole.
    var backfill: Set<ScopeID> = []
    /// Scopes of `backfill` (or wanted) already sent whole while this replica was behind the peer's vector: not sent
    /// again until it is ahead, when they are sent complete.
    var provisional: Set<ScopeID> = []
    /// Scopes the peer left in this view since the last batch: their new ops are sent once more, so that the
    /// peer sees the op that moved the ticket out.
    var leaving: Set<ScopeID> = []
    /// Batches sent to this peer, and what each sent whole or once more, until the peer acknowledges them.
    var sent: UInt64 = 0
    var unacknowledged: [(number: UInt64, whole: Set<ScopeID>, leaving: Set<ScopeID>)] = []
    /// Scopes sent whole, with the batch that sent them and, per log, the newest op of theirs it carried: once the peer
    /// acknowledged that batch, those ops are not sent again as new ops of a held scope (a peer far behind would
    /// otherwise get each of them twice: whole, then again as its vector passes them).
    var sentWhole: [ScopeID: (batch: UInt64, through: [LogID: UInt64])] = [:]

    /// Records scopes the peer entered and left in this view.
    mutating func enter(_ entered: [ScopeID], leave left: [ScopeID]) {
        for scope in entered { backfill.insert(scope); leaving.remove(scope); provisional.remove(scope) }
        for scope in left { leaving.insert(scope); backfill.remove(scope); provisional.remove(scope) }
    }

    /// Answers `request` from partial peer `peer`, which holds `held` in this view: the scopes it wants or entered, sent
    /// whole, then the new ops of the scopes it holds, seal range by seal range, within ``SyncLimits/partialBatchOps``.
    mutating func answer<Source: PartialSource>(_ request: PartialRequest, of peer: AuthorID, holding held: Set<ScopeID>,
                                                from source: inout Source) throws(Source.Failure) -> PartialBatch {
        var budget = PartialBudget(remaining: SyncLimits.partialBatchOps)
        let logs = try source.servedLogs()
        // What the batches the peer has not acknowledged sent whole or once more is sent again: they were lost.
        for lost in unacknowledged where lost.number > request.ack {
            backfill.formUnion(lost.whole.intersection(held).subtracting(request.have))
            provisional.subtract(lost.whole)
            leaving.formUnion(lost.leaving.subtracting(held))
        }
        unacknowledged = []
        // A whole send the peer did not acknowledge was lost; one its vector passed, or of a scope it no longer holds
        // here, spares nothing more.
        sentWhole = sentWhole.filter { scope, whole in
            whole.batch <= request.ack && held.contains(scope)
                && whole.through.contains { log, seq in (request.vector[log] ?? 0) < seq }
        }
        // What the peer got whole from another full peer is not sent whole again.
        backfill.subtract(request.have)
        provisional.subtract(request.have)
        // Scopes sent whole are *complete* only from a replica that holds every log at least as far as the peer's vector
        // says (the peer's own log aside): otherwise ops of the scope below the peer's vector may be missing here. A
        // replica behind the peer sends what it holds of them once, marked incomplete: the peer holds them and keeps
        // wanting them, so that a ticket entering its queues reaches it during a partition that put its two hubs on
        // different sides; once ahead, the replica sends them again, complete.
        let ahead = request.vector.allSatisfy { log, seq in log.author == peer || (logs[log] ?? 0) >= seq }
        let owedWhole = ahead ? request.want.union(backfill) : request.want.union(backfill).subtracting(provisional)
        var perLog: [LogID: Set<UInt64>] = [:], covered: [LogID: UInt64] = [:]
        // Scopes sent whole (listed) or once more (a scope the peer left, not listed: the peer may have let its vector
        // pass the op that moved the ticket out while it did not hold the ticket, then been sent the ticket whole by a
        // full peer that had not seen that op yet). What does not fit waits for the next batch. They go
        // first: until a ticket arrives whole, the peer does not hold it and would pass over its new ops.
        var listed: Set<ScopeID> = [], sentLeaving: Set<ScopeID> = []
        for scope in owedWhole.union(leaving).sorted() {
            let seqs = try source.seqs(of: scope)
            guard budget.take(seqs.values.reduce(0) { $0 + $1.count }) else { continue }
            for (log, scopeSeqs) in seqs { perLog[log, default: []].formUnion(scopeSeqs) }
            if owedWhole.contains(scope) {
                listed.insert(scope)
                sentWhole[scope] = (sent + 1, seqs.compactMapValues(\.last))
            }
            if leaving.contains(scope) { sentLeaving.insert(scope) }
        }
        // New ops of the scopes the peer holds, seal range by seal range, while the budget lasts.
        for (log, top) in logs.sorted(by: { $0.key < $1.key }) where !budget.spent {
            let from = request.vector[log] ?? 0
            var end = from
            for seal in try source.seals(log, endingIn: (from + 1)...max(from + 1, top)) {
                var chosen: [UInt64] = []
                for seq in max(from + 1, seal.fromSeq)...seal.seq {
                    guard let op = try source.op(log, at: seq), held.contains(op.header.scope) else { continue }
                    if let whole = sentWhole[op.header.scope], whole.batch <= sent, seq <= whole.through[log] ?? 0 { continue }
                    chosen.append(seq)
                }
                guard budget.take(chosen.count) else { break }
                perLog[log, default: []].formUnion(chosen)
                end = seal.seq
            }
            if end > from { covered[log] = end }
        }
        sent += 1
        unacknowledged.append((sent, listed.intersection(backfill), sentLeaving))
        if ahead {
            backfill.subtract(listed)
            provisional.subtract(listed)
        } else {
            provisional.formUnion(listed)
        }
        leaving.subtract(sentLeaving)
        var runs: [RunV2] = []
        for log in perLog.keys.sorted() where !perLog[log]!.isEmpty {
            runs.append(try Self.partialRun(log, seqs: perLog[log]!.sorted(), from: &source))
        }
        return PartialBatch(runs: runs, backfill: listed, covered: covered, number: sent, complete: ahead)
    }

    /// A run for a partial receiver: `prev` on every op whose predecessor is not in the run, `scope_prev` on each
    /// scope's first op, and per scope each seal covering some of its ops, with head and the scope's inclusion path.
    static func partialRun<Source: PartialSource>(_ log: LogID, seqs: [UInt64],
                                                  from source: inout Source) throws(Source.Failure) -> RunV2 {
        var ops: [RunV2.Op] = []
        var covering: [(scope: ScopeID, seal: SealV2)] = []
        var listed: Set<ScopeSeal> = []
        var seen: Set<ScopeID> = []
        for (index, seq) in seqs.enumerated() {
            guard let op = try source.op(log, at: seq) else { continue }
            let follows = index > 0 && seqs[index - 1] == seq - 1
            let firstOfScope = seen.insert(op.header.scope).inserted
            ops.append(RunV2.Op(op, prev: follows || seq == 1 ? nil : op.header.prev,
                                scopePrev: firstOfScope ? op.header.scopePrev : nil))
            if let seal = try source.seal(log, covering: seq),
               listed.insert(ScopeSeal(scope: op.header.scope, sealSeq: seal.seq)).inserted {
                covering.append((op.header.scope, seal))
            }
        }
        var seals: [RunV2.Seal] = []
        for (scope, seal) in covering {
            guard let path = try source.path(of: scope, in: seal, of: log) else { continue }
            seals.append(RunV2.Seal(seq: seal.seq, fromSeq: seal.fromSeq, head: seal.head, scopesRoot: seal.scopesRoot,
                                    signature: seal.signature, path: path))
        }
        return RunV2(author: log.author, epoch: log.epoch, ops: ops, seals: seals)
    }

    /// A scope and a seal covering some of its ops.
    private struct ScopeSeal: Hashable {
        var scope: ScopeID
        var sealSeq: UInt64
    }
}

/// How many more ops fit in a batch: the first range always does (so that a batch always makes progress).
struct PartialBudget {
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

extension RunV2.Op {
    /// `op` as a run carries it: its body, or its length and hash when it is held without it.
    init(_ op: HeldOpV2, prev: Bytes32?, scopePrev: UInt64?) {
        self.init(seq: op.header.seq, prev: prev, scopePrev: scopePrev, hlc: op.header.hlc, kind: op.header.kind,
                  scope: op.header.scope,
                  payload: op.body.map { .body($0) } ?? .erased(length: op.header.bodyLength, hash: op.header.bodyHash))
    }
}
