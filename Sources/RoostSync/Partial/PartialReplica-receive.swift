public import RoostCore
import RoostCrypto
import RoostStore

extension PartialReplica {
    /// Checks and holds what `batch` carries (SPEC-partial.md §P.5). A full replica checks each run as a full node
    /// does (chain, every seal's head, signature and scopes root) and holds it when it extends what it holds without a
    /// gap. A partial replica checks, per scope of each run that it holds or that the batch offers whole: the scope
    /// chain (the first op links to the last it holds of that scope and log, or to zero), and that the scope's newest
    /// op is the leaf of its scope in a signed seal (inclusion path, or the whole range in the run). A run that does
    /// not resolve is refused whole; a scope with a gap is refused and wanted again; nothing half-checked is held.
    ///
    /// `fromFull` says whether the sender holds every log whole: only then does `covered` advance the vector. The
    /// batch's number is acknowledged to `sender` in the next request to it.
    public mutating func receive(_ batch: PartialBatch, from sender: AuthorID, fromFull: Bool) {
        if batch.number > 0 { lastBatch[sender] = batch.number }
        var changes = Changes()
        var refusedLogs: Set<LogID> = []
        for run in batch.runs {
            let log = LogID(author: run.author, epoch: run.epoch)
            if log == ownLog { continue }
            let refused = counters.refusedRuns
            if isFull { receiveWhole(run, log: log, changes: &changes) } else { receivePart(run, log: log, offered: batch.backfill, changes: &changes) }
            if counters.refusedRuns > refused { refusedLogs.insert(log) }
        }
        carryOutErasures(&changes)
        if fromFull {
            if batch.complete { wanted.subtract(batch.backfill) }
            for (log, seq) in batch.covered where log != ownLog && !isFull && seq > vector[log] ?? 0 {
                vector[log] = seq
                note(.vector(log, seq))
            }
        } else if !isFull {
            // A partial sender sends its own log whole (§P.4): its entry for that log covers every scope, ours included.
            for (log, seq) in batch.covered where log.author == sender && !refusedLogs.contains(log) && seq > vector[log] ?? 0 {
                vector[log] = seq
                note(.vector(log, seq))
            }
        }
        if isFull { for log in batch.runs.map({ LogID(author: $0.author, epoch: $0.epoch) }) { vector[log] = logs[log]?.contiguousTop } }
        settle(changes, offered: isFull ? [] : batch.backfill)
        guard fromFull && !isFull else { return }
        // Scopes sent whole but incomplete (the sender was behind this node's vector) are held and still wanted.
        if !batch.complete { for scope in batch.backfill.sorted() where mine.scopes.contains(scope) { wanted.insert(scope) } }
        noteWholeReceipts(batch.complete ? batch.backfill : [], from: sender)
    }

    /// Records the scopes `sender` sent whole that are held, for `have-scope` to the other full peers, and that
    /// `sender` has answered every receipt so far; forgets receipts every peer has answered since.
    private mutating func noteWholeReceipts(_ scopes: Set<ScopeID>, from sender: AuthorID) {
        heardAt[sender] = receiptCount
        for scope in scopes.sorted() where mine.scopes.contains(scope) {
            receiptCount += 1
            wholeReceipts.append((receiptCount, scope, sender))
        }
        let answered = heardAt.values.min() ?? 0
        if let keep = wholeReceipts.firstIndex(where: { $0.number > answered }) {
            if keep > 0 { wholeReceipts.removeFirst(keep) }
        } else {
            wholeReceipts.removeAll()
        }
        if wholeReceipts.count > SyncLimits.partialWholeReceipts {
            wholeReceipts.removeFirst(wholeReceipts.count - SyncLimits.partialWholeReceipts)
        }
    }

    private mutating func receiveWhole(_ run: RunV2, log: LogID, changes: inout Changes) {
        // Moved out of the dictionary and back, so that holding it is not a copy of every op of the log.
        var updated = logs.removeValue(forKey: log) ?? HeldLog()
        defer { logs[log] = updated }
        guard let first = run.ops.first, first.seq <= updated.contiguousTop + 1,
              zip(run.ops, run.ops.dropFirst()).allSatisfy({ $0.seq + 1 == $1.seq }) else {
            counters.refusedRuns += 1
            return
        }
        let resolved: [RunV2.Resolved]
        do {
            resolved = try run.resolve(held: updated)
            try run.verifySeals(resolved, held: updated)
        } catch {
            counters.refusedRuns += 1
            return
        }
        for op in resolved where updated.hash(at: op.header.seq) != nil && updated.hash(at: op.header.seq) != op.hash {
            counters.refusedRuns += 1   // a fork: same position, another op (SPEC.md §1.11 keeps the evidence)
            return
        }
        for op in resolved {
            let (kept, effect) = holding(op)
            if updated.insert(kept) { absorb(effect, into: &changes) } else { counters.duplicates += 1 }
        }
        for seal in run.seals {
            let head = seal.head ?? updated.hash(at: seal.seq)!
            updated.keep(SealV2(author: log.author, epoch: log.epoch, fromSeq: seal.fromSeq, seq: seal.seq, head: head,
                                scopesRoot: seal.scopesRoot, signature: seal.signature), path: nil)
        }
    }

    private mutating func receivePart(_ run: RunV2, log: LogID, offered: Set<ScopeID>, changes: inout Changes) {
        // Checked and updated in place (moved out and back: no copy of the log). The checks of one scope read only
        // that scope's ops and seqs of this run, which the other scopes' inserts do not touch.
        var updated = logs.removeValue(forKey: log) ?? HeldLog()
        defer { logs[log] = updated }
        let resolved: [RunV2.Resolved]
        do {
            resolved = try run.resolve(held: updated)
        } catch {
            counters.refusedRuns += 1
            return
        }
        var byScope: [ScopeID: [RunV2.Resolved]] = [:]
        for op in resolved { byScope[op.header.scope, default: []].append(op) }
        var checked: [UInt64: SealCheck] = [:]
        let index = RunIndex(resolved)
        for (scope, ops) in byScope.sorted(by: { $0.key < $1.key }) {
            let isHeld = mine.scopes.contains(scope)
            guard isHeld || offered.contains(scope) else {
                // A move into this node's queues of a ticket it does not hold: a full peer thinks it holds the ticket,
                // so this node's facts were stale when it dropped it (a queue unsubscribed before the move arrived).
                // The scope is wanted whole; once its history is here, settling decides whether it stays.
                if ops.contains(where: { movesIntoMyQueues($0.decoded) }) { wanted.insert(scope) }
                continue
            }
            // 1. The scope chain: the first op names the last held op of the scope before it (0 for none), every later
            // op the one before it.
            var expected = updated.lastSeq(in: scope, before: ops[0].header.seq) ?? 0
            var linked = true
            for op in ops {
                if let known = updated.hash(at: op.header.seq), known != op.hash { linked = false; break }
                if op.header.scopePrev != expected { linked = false; break }
                expected = op.header.seq
            }
            guard linked else {
                counters.scopeGaps += 1
                if isHeld { wanted.insert(scope) }
                continue
            }
            // 2. Every seal range with new ops of the scope: those ops (with any held in the range) are its leaf of the
            // scope in a signed seal.
            var proofs: [(seal: SealV2, path: RunV2.Path?)] = []
            var unproven = false
            var cursor = 0
            while cursor < ops.count {
                if updated.hash(at: ops[cursor].header.seq) != nil { cursor += 1; continue }
                guard let proof = provingSeal(for: ops, at: cursor, scope: scope, in: run, index: index, held: updated,
                                              checked: &checked) else {
                    unproven = true
                    break
                }
                proofs.append((proof.seal, proof.path))
                while cursor < ops.count && ops[cursor].header.seq <= proof.seal.seq { cursor += 1 }
            }
            guard !unproven else {
                counters.unprovenScopes += 1
                continue
            }
            for proof in proofs {
                updated.keep(proof.seal, path: proof.path)
                note(.keep(proof.seal, path: proof.path))
            }
            for op in ops {
                let (kept, effect) = holding(op)
                if updated.insert(kept) {
                    note(.hold(StoredOpV2(header: kept.header, hash: kept.hash, body: kept.body)))
                    absorb(effect, into: &changes)
                } else {
                    counters.duplicates += 1
                }
            }
        }
    }

    /// Whether `body` sets a ticket's `queue` to one of this node's queues.
    private func movesIntoMyQueues(_ body: OpBody?) -> Bool {
        guard case let .set(entity, "queue", value)? = body, entity.collection == Desk.ticket else { return false }
        if case let .string(queue) = value { return mine.subscription.queues.contains(queue) }
        return value == .null && mine.subscription.queues.contains(RoutingRules.defaultQueue)
    }

    /// The seal of `run` that proves the ops of `scope` in its range, `ops[at]` among them: its head is the op hash at
    /// its seq (sent, in the run, or held), its signature verifies, and the scope's leaf — the hashes of the scope's ops
    /// of the range, from the run and held — is in its recomputed leaves (when the run holds the whole range) or reached
    /// by the inclusion path of the scope.
    private func provingSeal(for ops: [RunV2.Resolved], at position: Int, scope: ScopeID, in run: RunV2, index: RunIndex,
                             held: HeldLog, checked: inout [UInt64: SealCheck]) -> (seal: SealV2, path: RunV2.Path?)? {
        let seq = ops[position].header.seq
        for entry in run.seals where entry.fromSeq <= seq && seq <= entry.seq {
            var inRange: [UInt64: Bytes32] = [:]
            for op in ops where (entry.fromSeq...entry.seq).contains(op.header.seq) { inRange[op.header.seq] = op.hash }
            for heldSeq in held.seqs(of: scope, in: entry.fromSeq...entry.seq) where inRange[heldSeq] == nil {
                inRange[heldSeq] = held.hash(at: heldSeq)
            }
            let leaf = OpCryptoV2.ScopeLeaf(scope: scope, opHashes: inRange.sorted { $0.key < $1.key }.map(\.value))
            let check: SealCheck
            if let known = checked[entry.seq] {
                check = known
            } else {
                check = SealCheck(entry, run: run, index: index, held: held)
                checked[entry.seq] = check
            }
            guard let seal = check.seal else { continue }
            if let leaves = check.leaves {
                // Proved by the run's whole range: the path is kept all the same, so that the node can show it later
                // (verify, an auditor) without the range's other ops.
                if leaves.contains(leaf), let index = check.ordered.firstIndex(where: { $0.scope == scope }) {
                    return (seal, RunV2.Path(scope: scope, leafIndex: index, leafCount: check.ordered.count,
                                             hashes: OpCryptoV2.inclusionPath(check.ordered, index: index)))
                }
            } else if let path = entry.path, path.scope == scope,
                      OpCryptoV2.verifyInclusion(leaf: leaf, index: path.leafIndex, count: path.leafCount, path: path.hashes,
                                                 root: entry.scopesRoot) {
                return (seal, path)
            }
        }
        return nil
    }

    /// The resolved ops of one run by seq.
    struct RunIndex {
        var resolved: [RunV2.Resolved]
        var bySeq: [UInt64: Int]
        init(_ resolved: [RunV2.Resolved]) {
            self.resolved = resolved
            bySeq = Dictionary(uniqueKeysWithValues: resolved.enumerated().map { ($1.header.seq, $0) })
        }
        func hash(at seq: UInt64) -> Bytes32? { bySeq[seq].map { resolved[$0].hash } }
    }

    /// One seal of a run, checked once: its signature over the head it must have, and, when the run holds its whole
    /// range, the leaves of its scopes tree (recomputed, and matching its root).
    struct SealCheck {
        /// The seal, when its head is known and its signature verifies.
        var seal: SealV2?
        /// The recomputed leaves, when the run holds the whole range and they lead to the root, and in order.
        var leaves: Set<OpCryptoV2.ScopeLeaf>?
        var ordered: [OpCryptoV2.ScopeLeaf] = []

        init(_ entry: RunV2.Seal, run: RunV2, index: RunIndex, held: HeldLog) {
            guard let head = index.hash(at: entry.seq) ?? held.hash(at: entry.seq) ?? entry.head,
                  entry.head == nil || entry.head == head else { return }
            let seal = SealV2(author: run.author, epoch: run.epoch, fromSeq: entry.fromSeq, seq: entry.seq, head: head,
                              scopesRoot: entry.scopesRoot, signature: entry.signature)
            guard OpCryptoV2.verify(seal) else { return }
            self.seal = seal
            var range: [(scope: ScopeID, hash: Bytes32)] = []
            for seq in entry.fromSeq...entry.seq {
                guard let at = index.bySeq[seq] else { return }
                range.append((index.resolved[at].header.scope, index.resolved[at].hash))
            }
            let leaves = OpCryptoV2.leaves(of: range)
            if OpCryptoV2.root(leaves) == entry.scopesRoot {
                self.leaves = Set(leaves)
                ordered = leaves
            } else {
                self.seal = nil
            }
        }
    }
}
