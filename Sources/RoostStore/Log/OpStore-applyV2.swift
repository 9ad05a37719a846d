import Foundation
import GRDB
public import RoostCore
import RoostCrypto

/// A unit of transfer of format 2 ops (Protocol/SPEC-format-2.md): each op's header as its run resolved it (every
/// field of the 160 hashed bytes, recomputed by the receiver where the run omitted it) with its body v2, and the seals v2
/// of the ops' logs. The store trusts none of it: ``OpStore/apply(v2:clock:)`` checks it all again against what it
/// holds. Sync builds it from runs (`RunV2.resolve`); tests build it directly.
public struct OpBatchV2: Hashable, Sendable {
    /// One format 2 op.
    public struct Op: Hashable, Sendable {
        /// The hashed header.
        public var header: OpHeaderV2
        /// The body v2 encoding, or nil when the sender holds the op erased (SPEC.md §1.9).
        public var body: [UInt8]?
        /// Creates an op.
        public init(header: OpHeaderV2, body: [UInt8]?) { self.header = header; self.body = body }
    }

    /// The ops, each log's contiguous and ascending.
    public var ops: [Op]
    /// Seals covering the ops.
    public var seals: [SealV2]

    /// Creates a batch.
    public init(ops: [Op] = [], seals: [SealV2] = []) { self.ops = ops; self.seals = seals }

    /// The ops grouped by log, logs in the order of their first op.
    var opsByLog: [(log: LogID, ops: [Op])] { OpBatch.grouped(ops) { $0.header.ref.log } }
}

extension OpStore {
    /// Verifies and applies a batch of format 2 ops in one transaction, as ``apply(_:clock:)`` does a format 1 batch:
    /// per log, contiguous seqs that follow what is held, prev links, scope prev links (to the newest op of the same
    /// scope before it, in the batch or held), body hashes and body v2 decoding, HLC drift, seals (signature, head,
    /// and scopes root recomputed from the range's ops, in the batch or held) covering every op, and the roster's
    /// admission. Ops already held are duplicates; a different op at a held position refuses the batch. A log never
    /// mixes formats: format 2 ops of a format 1 log are refused. Merging is the same as format 1's (a body v2 decodes
    /// to the same ``OpBody``). A refused batch applies nothing.
    @discardableResult
    public func apply(v2 batch: OpBatchV2, clock: any WallClock) throws(StoreError) -> ApplyReport {
        try apply(v2: [batch], clock: clock)[0].get()
    }

    /// Several format 2 batches in one transaction, each as ``apply(v2:clock:)`` (see ``apply(_:clock:)``).
    public func apply(v2 batches: [OpBatchV2], clock: any WallClock) throws(StoreError) -> [Result<ApplyReport, StoreError>] {
        let drift = maxClockDriftMillis
        let cache = rosterCache
        return try applyChecked(batches.count, clock: clock) { index, wall, db in
            let batch = batches[index]
            if batch.ops.count > Limits.maxBatchOps {
                return .failure(.rejected(op: nil, reason: .tooManyOps(count: batch.ops.count, limit: Limits.maxBatchOps)))
            }
            do {
                var sealsByLog: [LogID: [SealV2]] = [:]
                for seal in batch.seals { sealsByLog[LogID(author: seal.author, epoch: seal.epoch), default: []].append(seal) }
                let checker = HybridClock(maxDriftMillis: drift)
                let plans = try batch.opsByLog.map { log, ops in
                    try Self.planV2(log: log, ops: ops, seals: sealsByLog[log] ?? [], checker: checker, wall: wall, db)
                }
                try Self.checkAdmission(plans, db, cache: cache)
                return .success(plans)
            } catch let fork as ForkFound {
                // The evidence is all a refused batch writes (SPEC.md §1.11, as for format 1).
                try Self.record(fork, db)
                return .failure(.rejected(op: fork.ref, reason: .fork))
            } catch let refusal as StoreError {
                return .failure(refusal)
            }
        }
    }

    /// The checks of ``apply(v2:clock:)`` for one log (reads only).
    static func planV2(log: LogID, ops: [OpBatchV2.Op], seals: [SealV2], checker: HybridClock, wall: UInt64,
                       _ db: Database) throws -> LogPlan {
        func reject(_ seq: UInt64, _ reason: RejectReason) -> StoreError {
            .rejected(op: OpRef(author: log.author, epoch: log.epoch, seq: seq), reason: reason)
        }
        let first = ops[0].header.seq
        let start = try planStart(log, first: first, version: 2, db)
        let (logRow, head, have) = (start.logRow, start.head, start.head?.seq ?? 0)
        var prevHash = start.prev
        var verified: [VerifiedOp] = []
        verified.reserveCapacity(ops.count)
        var hashes: [UInt64: Bytes32] = [:]
        var scopes: [UInt64: ScopeID] = [:]
        var lastInScope: [ScopeID: UInt64] = [:]
        for (index, op) in ops.enumerated() {
            let header = op.header
            try checkPosition(header, at: first + UInt64(index), prev: prevHash, log: log)
            let expectedScopePrev = try lastInScope[header.scope]
                ?? logRow.flatMap { try lastSeq(logRow: $0, scope: header.scope, before: header.seq, db) } ?? 0
            guard header.scopePrev == expectedScopePrev else { throw reject(header.seq, .scopePrevMismatch) }
            let hash = OpCryptoV2.opHash(header)
            hashes[header.seq] = hash
            scopes[header.seq] = header.scope
            lastInScope[header.scope] = header.seq
            prevHash = hash
            var decoded: OpBody? = nil
            if let body = op.body {
                guard body.count == Int(header.bodyLength), OpCrypto.bodyHash(body) == header.bodyHash else {
                    throw reject(header.seq, .bodyHashMismatch)
                }
                do {
                    decoded = try OpBody.decodeV2(kind: header.kind, bytes: body)
                } catch {
                    throw reject(header.seq, .malformedBody(error))
                }
            }
            guard header.seq > have else { continue }
            do {
                try checker.check(header.hlc, wallMillis: wall)
            } catch {
                throw reject(header.seq, .clock(error))
            }
            verified.append(VerifiedOp(header: header, hash: hash, body: op.body, decoded: decoded))
        }
        let last = ops[ops.count - 1].header.seq

        // Seals: the signature, the head (the hash in the batch or held at its seq) and the scopes root, recomputed from
        // the range's ops (a full node holds or receives every one of them).
        var valid: [SealV2] = []
        for seal in seals {
            let expected = try hashes[seal.seq] ?? (seal.seq <= have ? opHash(log, seq: seal.seq, db) : nil)
            guard seal.fromSeq >= 1, seal.fromSeq <= seal.seq, let expected, expected == seal.head, OpCryptoV2.verify(seal) else {
                throw reject(seal.seq, .badSeal(seq: seal.seq))
            }
            var range: [(scope: ScopeID, hash: Bytes32)] = []
            if let logRow, seal.fromSeq < first {
                range = try heldScopes(log, logRow: logRow, from: seal.fromSeq, through: min(seal.seq, first - 1), db)
            }
            if seal.seq >= first {
                for seq in max(seal.fromSeq, first)...seal.seq {
                    guard let scope = scopes[seq], let hash = hashes[seq] else { break }
                    range.append((scope, hash))
                }
            }
            guard range.count == Int(seal.seq - seal.fromSeq + 1),
                  OpCryptoV2.root(OpCryptoV2.leaves(of: range)) == seal.scopesRoot
            else { throw reject(seal.seq, .badScopes(seq: seal.seq)) }
            valid.append(seal)
        }
        let batchSealed = valid.map(\.seq).max() ?? 0

        // Overlap with what is held: equal hashes are duplicates (the chain makes the last one enough; the first that
        // differs is found in one pass over our hashes, recomputed).
        let overlapEnd = min(have, last)
        if overlapEnd >= first, let logRow, let ours = try opHash(log, seq: overlapEnd, db), ours != hashes[overlapEnd] {
            var forkSeq = overlapEnd
            var held: [UInt64: Bytes32] = [:]
            try chainForward(log, logRow: logRow, from: KnownHash(seq: first - 1, hash: start.prev), through: overlapEnd, db) { seq, _, hash in
                held[seq] = hash
                if hash != hashes[seq] { forkSeq = min(forkSeq, seq) }
            }
            // A second history the author validly sealed is kept as evidence (their headers v2 from the fork to the
            // seal, and the seal): anyone can re-check that the author signed both. Unsealed, it is only refused.
            guard let seal = valid.filter({ $0.seq >= forkSeq && hashes[$0.seq] != nil }).min(by: { $0.seq < $1.seq }) else {
                throw reject(forkSeq, .conflictingUnsealed)
            }
            let theirs = ops[Int(forkSeq - first)...Int(seal.seq - first)].map(\.header)
            throw ForkFound(ref: OpRef(author: log.author, epoch: log.epoch, seq: forkSeq), ours: held[forkSeq] ?? .zero,
                            theirs: .format2(theirs, seal), hlc: HLC(physicalMillis: min(wall, HLC.maxPhysical), logical: 0))
        }
        let sealed = max(head?.sealed ?? 0, batchSealed)
        if last > sealed { throw reject(sealed + 1, .unsealed(sealed: sealed)) }
        return LogPlan(log: log, head: head, new: verified, seals: [], sealed: sealed, duplicates: ops.count - verified.count,
                       version: 2, sealsV2: valid.filter { $0.seq > have })
    }

    /// A log's format (1 or 2), by its number.
    static func logVersion(logRow: Int64, _ db: Database) throws -> Int {
        var select = try FastStatement(db, "SELECT version FROM log WHERE id = ?")
        select.bind(logRow)
        return try select.firstRow { Int($0.int64(0)) } ?? 1
    }

    /// Marks a log as format 2 (when its first op is stored).
    static func setVersion2(logRow: Int64, _ db: Database) throws {
        var update = try FastStatement(db, "UPDATE log SET version = 2 WHERE id = ? AND version != 2")
        update.bind(logRow)
        try update.run()
    }

    /// The seq of the newest held op of `scope` in a format 2 log before `seq`, or nil when there is none: the scope's
    /// newest op (`scope_head`), then back along the scope prev distances while it is not before `seq`.
    static func lastSeq(logRow: Int64, scope: ScopeID, before seq: UInt64, _ db: Database) throws -> UInt64? {
        var select = try FastStatement(db, "SELECT h.seq FROM scope_head h JOIN scope s ON s.id = h.scope WHERE h.log = ? AND s.sid = ?")
        select.bind(logRow)
        select.bind(scope.bytes)
        guard var at = try select.firstRow({ try $0.u64(0, "seq") }) else { return nil }
        while at >= seq {
            var back = try FastStatement(db, "SELECT scope_gap FROM op_row WHERE log = ? AND seq = ?")
            back.bind(logRow)
            back.bind(at)
            let gap = try back.firstRow { row in row.isNull(0) ? UInt64(0) : try row.u64(0, "scope_gap") } ?? 0
            guard gap > 0, gap < at else { return nil }
            at -= gap
        }
        return at
    }

    /// The seqs of one scope in the log numbered `logRow` from its op at `newest` back to its first, newest first: each
    /// row's scope prev distance names the one before (0 or none: the scope's first op in the log).
    static func scopeSeqs(logRow: Int64, from newest: UInt64, _ db: Database) throws -> [UInt64] {
        var out: [UInt64] = []
        var at = newest
        while true {
            out.append(at)
            var back = try FastStatement(db, "SELECT scope_gap FROM op_row WHERE log = ? AND seq = ?")
            back.bind(logRow)
            back.bind(at)
            let gap = try back.firstRow { row in row.isNull(0) ? UInt64(0) : try row.u64(0, "scope_gap") } ?? 0
            guard gap > 0 else { return out }
            guard gap < at else { throw StoreError.corrupt("op \(at): a scope prev below seq 1") }
            at -= gap
        }
    }

    /// The scope and hash of each held op `from...through` of a format 2 log, in order (hashes recomputed forward from
    /// the nearest kept one).
    static func heldScopes(_ log: LogID, logRow: Int64, from: UInt64, through: UInt64, _ db: Database) throws
        -> [(scope: ScopeID, hash: Bytes32)] {
        guard from <= through, let before = try from == 1 ? Bytes32.zero : opHash(log, seq: from - 1, db) else { return [] }
        var out: [(scope: ScopeID, hash: Bytes32)] = []
        try chainForward(log, logRow: logRow, from: KnownHash(seq: from - 1, hash: before), through: through, db) { _, scope, hash in
            guard let scope else { throw StoreError.corrupt("a format 2 op without its scope") }
            out.append((scope, hash))
        }
        return out
    }

    /// Stores a format 2 seal.
    static func insert(_ seal: SealV2, logRow: Int64, _ db: Database) throws {
        var insert = try FastStatement(db, """
            INSERT OR IGNORE INTO seal_v2 (log, seq, from_seq, head, scopes_root, signature) VALUES (?, ?, ?, ?, ?, ?)
            """)
        insert.bind(logRow)
        insert.bind(seal.seq)
        insert.bind(seal.fromSeq)
        insert.bind(seal.head)
        insert.bind(seal.scopesRoot)
        insert.bind(seal.signature)
        try insert.run()
    }
}

/// Scope numbers (`scope.id`) for a stream of ops, given on first use and remembered for the batch.
struct ScopeRows {
    private var rows: [ScopeID: Int64] = [:]

    /// The number of `scope`, given it on first use.
    mutating func row(_ scope: ScopeID, _ db: Database) throws -> Int64 {
        if let row = rows[scope] { return row }
        var select = try FastStatement(db, "SELECT id FROM scope WHERE sid = ?")
        select.bind(scope.bytes)
        let row: Int64
        if let found = try select.firstRow({ $0.int64(0) }) {
            row = found
        } else {
            var insert = try FastStatement(db, "INSERT INTO scope (sid) VALUES (?)")
            insert.bind(scope.bytes)
            try insert.run()
            row = db.lastInsertedRowID
        }
        rows[scope] = row
        return row
    }
}

/// What a store holds of one format 2 log before a run's first op, as run resolution asks it (SPEC-format-2.md §2.6):
/// read once per run (``OpStore/heldBefore(_:firstSeq:scopes:seals:)``), so resolving needs no database access.
public struct HeldBeforeRun: Sendable {
    /// The log.
    public var log: LogID
    /// The run's first seq.
    public var firstSeq: UInt64
    /// The hash of the op at `firstSeq - 1`, when held (zeros at seq 1).
    public var prev: Bytes32?
    /// The seq of the newest held op of each of the run's scopes before `firstSeq`.
    public var lastInScope: [ScopeID: UInt64]
    /// The hashes of held ops at the run's seals' seqs.
    public var sealHeads: [UInt64: Bytes32]

    /// The hash of the held op at `seq`, if the context has it.
    public func hash(at seq: UInt64) -> Bytes32? {
        if seq + 1 == firstSeq { return prev }
        return sealHeads[seq]
    }

    /// The seq of the newest held op of `scope` before `seq` (asked for the run's ops, at or after `firstSeq`, whose
    /// scope has no earlier op in the run: the newest held op before the run).
    public func lastSeq(in scope: ScopeID, before seq: UInt64) -> UInt64? {
        seq >= firstSeq ? lastInScope[scope] : nil
    }
}

extension OpStore {
    /// What this store holds of format 2 `log` before a run starting at `firstSeq` that names `scopes` and has seals at
    /// `seals` (read in one transaction).
    public func heldBefore(_ log: LogID, firstSeq: UInt64, scopes: Set<ScopeID>, seals: [UInt64]) throws(StoreError) -> HeldBeforeRun {
        try read { db in
            var context = HeldBeforeRun(log: log, firstSeq: firstSeq, prev: firstSeq <= 1 ? .zero : nil, lastInScope: [:], sealHeads: [:])
            guard let logRow = try Self.existingLogRow(log, db) else { return context }
            if firstSeq > 1 { context.prev = try Self.opHash(log, seq: firstSeq - 1, db) }
            for scope in scopes {
                context.lastInScope[scope] = try Self.lastSeq(logRow: logRow, scope: scope, before: firstSeq, db)
            }
            for seq in seals { context.sealHeads[seq] = try Self.opHash(log, seq: seq, db) }
            return context
        }
    }
}
