import Foundation
import GRDB
public import RoostCore
import RoostCrypto

extension OpStore {
    /// Verifies and applies a remote batch in one transaction.
    ///
    /// Checks, per log: contiguous ascending seqs that follow what we hold, prev-hash links, body
    /// hashes and canonical bodies, HLC drift, and seals that cover every op (one signature check per
    /// seal, however many ops it covers). Ops we already hold are skipped (idempotent on
    /// (author, epoch, seq)). A different op at a position we hold is fork evidence: if validly sealed
    /// it is stored in `fork_evidence`, and the batch is refused either way. A refused batch applies
    /// nothing.
    @discardableResult
    public func apply(_ batch: OpBatch, clock: any WallClock) throws(StoreError) -> ApplyReport {
        try apply([batch], clock: clock)[0].get()
    }

    /// Applies several remote batches in one transaction (group commit), each as ``apply(_:clock:)`` would, in order
    /// (a batch may depend on the ones before it, as when they come one after another from one peer). Every check
    /// that may refuse a batch runs before the batch writes anything (``check(_:wall:drift:cache:_:)``), so a refused
    /// batch leaves nothing behind and the others are not affected, without a savepoint per batch: a savepoint
    /// makes SQLite copy every page it first touches into a sub-journal file, which was ~10% of a remote apply
    /// (Benchmarks/README.md, "Where the time goes, 2026-12-05"). One commit instead of one per batch: the pages
    /// every batch touches (heads, clock, views) are written to the WAL once. Throws when the transaction itself
    /// fails, or when merging a batch that passed its checks fails (the database, not the batch, is at fault), and
    /// then nothing of any batch is applied.
    public func apply(_ batches: [OpBatch], clock: any WallClock) throws(StoreError) -> [Result<ApplyReport, StoreError>] {
        let drift = maxClockDriftMillis
        let cache = rosterCache
        return try applyChecked(batches.count, clock: clock) { index, wall, db in
            try Self.check(batches[index], wall: wall, drift: drift, cache: cache, db)
        }
    }

    /// The transaction of ``apply(_:clock:)`` for `count` batches, each checked by `check` (which writes nothing but a
    /// fork's evidence) and then merged; shared by format 1 and format 2 batches (OpStore-applyV2.swift).
    func applyChecked(
        _ count: Int, clock: any WallClock,
        check: (Int, UInt64, Database) throws -> Result<[LogPlan], StoreError>
    ) throws(StoreError) -> [Result<ApplyReport, StoreError>] {
        let drift = maxClockDriftMillis
        let wall = clock.nowMillis()
        let results: [Result<ApplyReport, StoreError>]
        do {
            results = try write { db in
                try (0..<count).map { index -> Result<ApplyReport, StoreError> in
                    switch try check(index, wall, db) {
                    case let .failure(refusal): return .failure(refusal)
                    case let .success(plans): return .success(try Self.merge(plans, wall: wall, drift: drift, db))
                    }
                }
            }
        } catch {
            // The roster the batches may have changed is undone with them.
            rosterCache.forget()
            throw error
        }
        if results.contains(where: { (try? $0.get())?.erased ?? 0 > 0 }) { scrubAfterErasure() }
        return results
    }

    /// Everything that may refuse a batch, before it writes anything: its size, the chains, bodies, clocks and seals
    /// of its logs (``plan(_:wall:drift:_:)``) and the roster's admission of its authors. A fork is a refusal whose
    /// evidence is written (and kept: it is all the batch writes). Errors of the database itself are thrown.
    private static func check(
        _ batch: OpBatch, wall: UInt64, drift: UInt64, cache: RosterCache, _ db: Database
    ) throws -> Result<[LogPlan], StoreError> {
        if batch.ops.count > Limits.maxBatchOps {
            return .failure(.rejected(op: nil, reason: .tooManyOps(count: batch.ops.count, limit: Limits.maxBatchOps)))
        }
        do {
            let plans = try Self.plan(batch, wall: wall, drift: drift, db)
            try Self.checkAdmission(plans, db, cache: cache)
            return .success(plans)
        } catch let fork as ForkFound {
            try Self.record(fork, db)
            return .failure(.rejected(op: fork.ref, reason: .fork))
        } catch let refusal as StoreError {
            return .failure(refusal)
        }
    }

    /// Writes a checked batch: its ops, seals and heads, their merge, the desk's projection, and the clock.
    private static func merge(_ plans: [LogPlan], wall: UInt64, drift: UInt64, _ db: Database) throws -> ApplyReport {
        var hybrid = try Self.loadClock(db, drift: drift)
        let clockBefore = hybrid.last
        var report = ApplyReport(applied: 0, duplicates: 0)
        var dirty = DeskProjection.Dirty()
        // Erasures this node already carries out name ops that may arrive now (checked per op only if any exist).
        let erasing = try ErasureLedger.hasTargets(db)
        for plan in plans {
            report.duplicates += plan.duplicates
            if !plan.new.isEmpty {
                report.newLogs.insert(plan.log)
            } else if plan.duplicates > 0 {
                report.duplicateLogs.insert(plan.log)
            }
            let logRow = plan.new.isEmpty ? 0 : try Self.logRowID(plan.log, db)
            if plan.version == 2, !plan.new.isEmpty { try Self.setVersion2(logRow: logRow, db) }
            var scopes = ScopeRows()
            for op in plan.new {
                let scope = try op.scope.map { try scopes.row($0, db) }
                try Self.store(op, logRow: logRow, scope: scope, erasing: erasing, report: &report, dirty: &dirty, db)
                // Checked by the plan with the same wall time and drift: cannot fail here.
                try hybrid.observe(op.hlc, wallMillis: wall)
            }
            for seal in plan.seals { try Self.insert(seal, db) }
            for seal in plan.sealsV2 { try Self.insert(seal, logRow: logRow, db) }
            if let last = plan.new.last {
                try Self.setHead(plan.log, seq: last.ref.seq, hash: last.hash, sealed: plan.sealed, db)
                report.applied += plan.new.count
            } else if let head = plan.head, plan.sealed > head.sealed {
                try Self.setHead(plan.log, seq: head.seq, hash: head.hash, sealed: plan.sealed, db)
            }
        }
        try Self.finishMerge(&report, dirty: &dirty, clock: hybrid, clockBefore: clockBefore, db)
        return report
    }

    /// What every merge ends with, once its ops are stored: the roster enforced and erasures judged when they changed,
    /// the desk rows marked dirty projected, the search index compacted after an erasure, and the clock saved when it
    /// moved.
    static func finishMerge(_ report: inout ApplyReport, dirty: inout DeskProjection.Dirty, clock: HybridClock, clockBefore: HLC,
                            _ db: Database) throws {
        if dirty.roster { report.removed += try Self.enforceRoster(db) }
        if dirty.erasures || dirty.roster { report.refusedErasures = try ErasureLedger.judge(db, dirty: &dirty) }
        report.erased = dirty.erased
        try dirty.flush(db)
        // After the flush: re-derived ticket documents delete their old text too.
        if report.erased > 0 { try ErasureLedger.compactIndex(db) }
        // A batch of duplicates (a relayed op that came by another path first) writes no page.
        if clock.last != clockBefore { try Self.saveClock(clock, db) }
    }

    /// Stores one checked op and merges its effect: erased (an effective erasure names it: it is stored without its
    /// body and merged as the erasure's residue), whole, or withheld (stored as a header; an erasure naming it gives it
    /// its effect when it arrives).
    static func store(_ op: VerifiedOp, logRow: Int64, scope: Int64?, erasing: Bool, report: inout ApplyReport,
                      dirty: inout DeskProjection.Dirty, _ db: Database) throws {
        if erasing, let named = try ErasureLedger.effectiveResidue(of: op.ref, hash: op.hash, db: db) {
            try Self.insert(op, stored: nil, logRow: logRow, scope: scope, db)
            try ErasureLedger.storeErased(op.stamp, residue: named.residue, erasedHLC: named.erasedHLC, dirty: &dirty, db: db)
            report.withheld += op.body == nil ? 1 : 0
        } else if op.body != nil, let decoded = op.decoded {
            try Self.insert(op, stored: StoredBody.encode(decoded), logRow: logRow, scope: scope, db)
            try Materializer.apply(decoded, stamp: op.stamp, log: logRow, dirty: &dirty, db: db)
        } else {
            try Self.insert(op, stored: nil, logRow: logRow, scope: scope, db)
            report.withheld += 1
        }
    }

    // MARK: planning (reads only)

    /// An op whose checks passed, of either format: what merging it needs.
    struct VerifiedOp {
        var ref: OpRef
        var hlc: HLC
        var kind: OpKind
        /// The length and hash of the body as its header commits to them (format 1 bytes, or body v2).
        var bodyLength: UInt32
        var bodyHash: Bytes32
        var hash: Bytes32
        /// Nil when the sender sent the header alone (it erased the body).
        var body: [UInt8]?
        var decoded: OpBody?
        /// The op's scope and scope prev (format 2 only).
        var scope: ScopeID?
        var scopePrev: UInt64 = 0

        var stamp: Stamp { Stamp(hlc: hlc, ref: ref) }

        init(header: OpHeader, hash: Bytes32, body: [UInt8]?, decoded: OpBody?) {
            self.ref = header.ref; self.hlc = header.hlc; self.kind = header.kind
            self.bodyLength = header.bodyLength; self.bodyHash = header.bodyHash
            self.hash = hash; self.body = body; self.decoded = decoded; self.scope = nil
        }

        init(header: OpHeaderV2, hash: Bytes32, body: [UInt8]?, decoded: OpBody?) {
            self.ref = header.ref; self.hlc = header.hlc; self.kind = header.kind
            self.bodyLength = header.bodyLength; self.bodyHash = header.bodyHash
            self.hash = hash; self.body = body; self.decoded = decoded; self.scope = header.scope
            self.scopePrev = header.scopePrev
        }
    }

    struct LogPlan {
        var log: LogID
        var head: Head?
        var new: [VerifiedOp]
        var seals: [Seal]
        var sealed: UInt64
        var duplicates: Int
        /// The log's format (SPEC-format-2.md §2.4: a log never mixes them), and its format 2 seals.
        var version = 1
        var sealsV2: [SealV2] = []
    }

    struct ForkFound: Error {
        /// The other history, from the contested position to the author's seal over it, in the log's format.
        enum Theirs {
            case format1([OpHeader], Seal)
            case format2([OpHeaderV2], SealV2)
        }
        var ref: OpRef
        var ours: Bytes32
        var theirs: Theirs
        var hlc: HLC
    }

    private static func plan(_ batch: OpBatch, wall: UInt64, drift: UInt64, _ db: Database) throws -> [LogPlan] {
        var sealsByLog: [LogID: [Seal]] = [:]
        for seal in batch.seals { sealsByLog[seal.log, default: []].append(seal) }
        let checker = HybridClock(maxDriftMillis: drift)
        return try batch.opsByLog.map { log, ops throws in
            try plan(log: log, ops: ops, seals: sealsByLog[log] ?? [], checker: checker, wall: wall, db)
        }
    }

    private static func plan(
        log: LogID, ops: [Op], seals: [Seal], checker: HybridClock, wall: UInt64, _ db: Database
    ) throws -> LogPlan {
        let first = ops[0].header.seq
        func reject(_ seq: UInt64, _ reason: RejectReason) -> StoreError {
            .rejected(op: OpRef(author: log.author, epoch: log.epoch, seq: seq), reason: reason)
        }
        let start = try planStart(log, first: first, version: 1, db)
        let (head, have) = (start.head, start.head?.seq ?? 0)
        var prevHash = start.prev
        var verified: [VerifiedOp] = []
        verified.reserveCapacity(ops.count)
        var hashes: [UInt64: Bytes32] = [:]
        for (index, op) in ops.enumerated() {
            let header = op.header
            try checkPosition(header, at: first + UInt64(index), prev: prevHash, log: log)
            let hash = OpCrypto.headerHash(header)
            hashes[header.seq] = hash
            prevHash = hash
            guard let body = op.body else {
                // Sent without its body (erased at the sender): a position we hold is still compared by hash
                // below; a new one is stored withheld, and takes effect from the erasure that names it
                // (which may come later, in this batch or another: SPEC.md §1.9).
                if header.seq > have {
                    do {
                        try checker.check(header.hlc, wallMillis: wall)
                    } catch {
                        throw reject(header.seq, .clock(error))
                    }
                    verified.append(VerifiedOp(header: header, hash: hash, body: nil, decoded: nil))
                }
                continue
            }
            guard body.count == Int(header.bodyLength), OpCrypto.bodyHash(body) == header.bodyHash else {
                throw reject(header.seq, .bodyHashMismatch)
            }
            let decoded: OpBody
            do {
                decoded = try OpBody.decode(kind: header.kind, bytes: body)
            } catch {
                throw reject(header.seq, .malformedBody(error))
            }
            do {
                try checker.check(header.hlc, wallMillis: wall)
            } catch {
                throw reject(header.seq, .clock(error))
            }
            verified.append(VerifiedOp(header: header, hash: hash, body: body, decoded: decoded))
        }
        let last = ops[ops.count - 1].header.seq

        // Seals: each must sign the hash we computed (or hold) at its seq.
        var validSeals: [Seal] = []
        for seal in seals {
            let expected = try hashes[seal.seq] ?? (seal.seq <= have ? opHash(log, seq: seal.seq, db) : nil)
            guard let expected, expected == seal.head, OpCrypto.verify(seal) else {
                throw reject(seal.seq, .badSeal(seq: seal.seq))
            }
            validSeals.append(seal)
        }
        let batchSealed = validSeals.map(\.seq).max() ?? 0

        // Overlap with what we hold: equal hashes are duplicates; the chain links make a single
        // comparison at the end of the overlap decide, and a scan find the first differing position.
        let overlapEnd = min(have, last)
        if overlapEnd >= first, let ours = try opHash(log, seq: overlapEnd, db), ours != hashes[overlapEnd] {
            // Our hashes over the overlap, recomputed in one pass (they are not stored: OpStore-hashes.swift).
            var held: [UInt64: Bytes32] = [:]
            if let logRow = try existingLogRow(log, db) {
                let start = first == 1 ? KnownHash(seq: 0, hash: .zero)
                    : KnownHash(seq: first - 1, hash: try opHash(log, seq: first - 1, db) ?? .zero)
                try chainForward(log, logRow: logRow, from: start, through: overlapEnd, db) { seq, hash in held[seq] = hash }
            }
            var forkSeq = first
            while forkSeq < overlapEnd, held[forkSeq] == hashes[forkSeq] { forkSeq += 1 }
            let ref = OpRef(author: log.author, epoch: log.epoch, seq: forkSeq)
            guard let seal = validSeals.filter({ $0.seq >= forkSeq && hashes[$0.seq] != nil }).min(by: { $0.seq < $1.seq })
            else { throw StoreError.rejected(op: ref, reason: .conflictingUnsealed) }
            let theirs = ops[Int(forkSeq - first)...Int(seal.seq - first)].map(\.header)
            throw ForkFound(
                ref: ref, ours: held[forkSeq] ?? .zero, theirs: .format1(theirs, seal),
                hlc: HLC(physicalMillis: min(wall, HLC.maxPhysical), logical: 0))
        }

        let sealed = max(head?.sealed ?? 0, batchSealed)
        if last > sealed { throw reject(sealed + 1, .unsealed(sealed: sealed)) }
        let new = verified.filter { $0.ref.seq > have }
        let newSeals = validSeals.filter { $0.seq > have }
        return LogPlan(log: log, head: head, new: new, seals: newSeals, sealed: sealed,
                       duplicates: ops.count - new.count)
    }

    /// The checks of an op's place in its log, either format: the seq expected at its index, the header's ranges (ops
    /// built in memory skip the decoder that checks them), and its link to the op before.
    static func checkPosition(_ header: some ChainedHeader, at seq: UInt64, prev: Bytes32, log: LogID) throws {
        func reject(_ reason: RejectReason) -> StoreError {
            .rejected(op: OpRef(author: log.author, epoch: log.epoch, seq: header.seq), reason: reason)
        }
        guard header.seq == seq else { throw reject(.outOfOrder) }
        do {
            try header.checkRanges()
        } catch {
            throw reject(.malformedHeader(error))
        }
        guard header.prev == prev else { throw reject(.prevMismatch) }
    }

    /// Where a log's ops in a batch start: the log's number and head (if held), and the hash the first op must link
    /// to. Refuses a first op past what is held (`gap`) and ops of the other format (a log never mixes them).
    static func planStart(_ log: LogID, first: UInt64, version: Int, _ db: Database) throws
        -> (logRow: Int64?, head: Head?, prev: Bytes32) {
        let reject = { (reason: RejectReason) in StoreError.rejected(op: OpRef(author: log.author, epoch: log.epoch, seq: first), reason: reason) }
        let head = try head(of: log, db)
        let have = head?.seq ?? 0
        let logRow = try existingLogRow(log, db)
        if have > 0, let logRow, case let held = try logVersion(logRow: logRow, db), held != version {
            throw reject(.formatMismatch(held: held, sent: version))
        }
        if first == 1 { return (logRow, head, .zero) }
        guard first - 1 <= have, let prev = try opHash(log, seq: first - 1, db) else { throw reject(.gap(have: have, first: first)) }
        return (logRow, head, prev)
    }

    static func record(_ fork: ForkFound, _ db: Database) throws {
        let (format, headers, seal): (Int, [UInt8], [UInt8])
        switch fork.theirs {
        case let .format1(theirs, sealed): (format, headers, seal) = (1, theirs.flatMap { $0.encoded() }, sealed.encoded())
        case let .format2(theirs, sealed): (format, headers, seal) = (2, theirs.flatMap { $0.encoded() }, sealed.encoded())
        }
        try db.execute(sql: """
            INSERT OR IGNORE INTO fork_evidence (author, epoch, seq, our_hash, their_headers, their_seal, detected_hlc, format)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [
                fork.ref.author.key.data, fork.ref.epoch.sql, fork.ref.seq.sql, fork.ours.data,
                Data(headers), Data(seal), fork.hlc.rawValue.sql, format,
            ])
    }
}

/// What ``OpStore/checkPosition(_:at:prev:log:)`` reads of a header of either format.
protocol ChainedHeader {
    var seq: UInt64 { get }
    var prev: Bytes32 { get }
    func checkRanges() throws(ByteDecodingError)
}

extension OpHeader: ChainedHeader {}
extension OpHeaderV2: ChainedHeader {}
