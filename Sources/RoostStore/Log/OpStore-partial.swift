import Foundation
import GRDB
public import RoostCore
import RoostCrypto

/// An inclusion path a partial node keeps for one of its scopes in a seal (Protocol/SPEC-partial.md §P.5): with it, the
/// node can show again that its ops of the seal's range are the scope's leaf of the signed scopes root.
public struct KeptScopePath: Hashable, Sendable {
    /// The scope.
    public var scope: ScopeID
    /// The leaf's index among the range's leaves, and their number.
    public var leafIndex: Int
    public var leafCount: Int
    /// Sibling hashes from the leaf up.
    public var hashes: [Bytes32]

    /// Creates a path.
    public init(scope: ScopeID, leafIndex: Int, leafCount: Int, hashes: [Bytes32]) {
        self.scope = scope
        self.leafIndex = leafIndex
        self.leafCount = leafCount
        self.hashes = hashes
    }
}

/// One change to what a partial node holds, as its replica decided it (SPEC-partial.md §P.5: the checks are the
/// replica's, made before the change is written). ``OpStore/applyPartial(_:wanted:clock:)`` writes a list of them in
/// order, in one transaction.
public enum PartialStoreChange: Hashable, Sendable {
    /// An op of a held scope, checked: stored, and merged as any op.
    case hold(StoredOpV2)
    /// A seal over held ops, with the path of one held scope in it when the node was sent one.
    case keep(SealV2, path: KeptScopePath?)
    /// A scope no longer held: its ops in every log but `keeping` (the node's own) are deleted, with what they merged
    /// into (desk rows, search documents, entity state), and the entities they touched are merged again from what is
    /// still held.
    case drop(ScopeID, keeping: LogID)
    /// The §P.4 vector of one log: every op of a held scope up to this seq is held.
    case vector(LogID, UInt64)
}

/// Everything a partial node's store holds for its replica (``OpStore/partialState()``): enough to rebuild it after a
/// restart without asking a peer again.
public struct PartialStoreState: Sendable {
    /// The queues the node subscribes to; nil when the store is not a partial node's.
    public var subscription: [String]?
    /// Every op held by ``PartialStoreChange/hold(_:)``, and the node's own log when its store appended it, by log and
    /// then seq.
    public var ops: [StoredOpV2]
    /// The seals kept, each with the paths kept in it.
    public var seals: [(seal: SealV2, paths: [KeptScopePath])]
    /// The §P.4 vector.
    public var vector: [LogID: UInt64]
    /// The scopes held whose history the node still lacks.
    public var wanted: Set<ScopeID>
}

extension OpStore {
    /// The queues this node subscribes to when it is a partial node (Protocol/SPEC-partial.md), nil for a full node.
    public func partialSubscription() throws(StoreError) -> [String]? {
        try read { db in try Self.partialSubscription(db) }
    }

    static func partialSubscription(_ db: Database) throws -> [String]? {
        guard let text = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'subscription'") else { return nil }
        return text.isEmpty ? [] : text.split(separator: "\n").map(String.init)
    }

    /// Makes this store a partial node's, holding `queues` (names without a line break; at least one). A full store
    /// that already holds other authors' format 2 ops cannot become partial: it would keep ops outside its scopes.
    public func setPartialSubscription(_ queues: [String]) throws(StoreError) {
        guard !queues.isEmpty, queues.allSatisfy({ !$0.isEmpty && !$0.contains("\n") }) else {
            throw .invalidOperation("a subscription names at least one queue, each on one line")
        }
        try write { db in
            if try Self.partialSubscription(db) == nil {
                let local = try Self.boundLocalLog(db)?.0
                for log in try Self.format2Logs(db) where log != local {
                    guard try Self.head(of: log, db) != nil else { continue }
                    throw StoreError.invalidOperation("this store holds whole format 2 logs: it cannot become a partial node's")
                }
            }
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('subscription', ?)",
                           arguments: [queues.joined(separator: "\n")])
        }
    }

    /// Writes a partial replica's changes in order, in one transaction, with the scopes it still wants: held ops are
    /// stored with their hash and the hash before them (their seqs may skip) and merged as any op; kept seals and paths
    /// are stored; dropped scopes are deleted with what they merged into. An op's hash and body are checked against its
    /// header (the store holds nothing its header does not commit to); the rest of §P.5 is the replica's. Nothing is
    /// written when a change is refused.
    @discardableResult
    public func applyPartial(_ changes: [PartialStoreChange], wanted: Set<ScopeID>, clock: any WallClock) throws(StoreError) -> ApplyReport {
        let drift = maxClockDriftMillis
        let wall = clock.nowMillis()
        let cache = rosterCache
        let report: ApplyReport
        do {
            report = try write { db in
                var report = ApplyReport(applied: 0, duplicates: 0)
                var dirty = DeskProjection.Dirty()
                var hybrid = try Self.loadClock(db, drift: drift)
                let clockBefore = hybrid.last
                let checker = HybridClock(maxDriftMillis: drift)
                // As a full merge: erasures this node carries out may name ops held now (asked once; those held in this
                // change are judged at its end).
                let erasing = try ErasureLedger.hasTargets(db)
                var scopes = ScopeRows()
                var logRows = LogRows()
                // Who may write, as a full node's store judges it (SPEC.md §1.11), with the roster changes this change
                // holds: an op the roster does not admit is not stored, and its scope is wanted again (its author's
                // admission may be in a batch still to come).
                // The vector stops before a log's first op not admitted: it is not held.
                let judge = try Self.partialAdmission(changes, cache: cache, db)
                var wantedAgain: Set<ScopeID> = []
                var refusedFrom: [LogID: UInt64] = [:]
                if let judge {
                    for case let .hold(op) in changes
                    where op.header.ref.author != judge.local && judge.roster.admission(of: op.header.ref) != .member {
                        report.notAdmitted.append(op.header.ref)
                        wantedAgain.insert(op.header.scope)
                        refusedFrom[op.header.ref.log] = min(refusedFrom[op.header.ref.log] ?? .max, op.header.seq)
                    }
                }
                let refused = Set(report.notAdmitted)
                for change in changes {
                    switch change {
                    case let .hold(op):
                        if refused.contains(op.header.ref) { continue }
                        let logRow = try logRows.row(op.header.ref.log, db)
                        let verified = try Self.checkedPartial(op, logRow: logRow, db)
                        guard let verified else { report.duplicates += 1; continue }
                        try Self.store(verified, logRow: logRow, scope: try scopes.row(op.header.scope, db), erasing: erasing,
                                       report: &report, dirty: &dirty, db)
                        try Self.keepPartialHash(op, logRow: logRow, db)
                        report.applied += 1
                        report.newLogs.insert(op.header.ref.log)
                        // A clock beyond the drift a full node allows is held (a full peer accepted it) but not followed.
                        if (try? checker.check(op.header.hlc, wallMillis: wall)) != nil { try hybrid.observe(op.header.hlc, wallMillis: wall) }
                    case let .keep(seal, path):
                        let logRow = try logRows.row(LogID(author: seal.author, epoch: seal.epoch), db)
                        try Self.insert(seal, logRow: logRow, db)
                        if let path { try Self.keep(path, seal: seal, logRow: logRow, scope: try scopes.row(path.scope, db), db) }
                    case let .drop(scope, keeping):
                        try Self.dropPartial(scope, keeping: keeping, dirty: &dirty, db)
                    case let .vector(log, seq):
                        let upTo = min(seq, (refusedFrom[log] ?? .max) - 1)
                        guard upTo > 0 else { continue }
                        try db.execute(sql: "INSERT OR REPLACE INTO partial_vector (log, seq) VALUES (?, ?)",
                                       arguments: [try logRows.row(log, db), upTo.sql])
                    }
                }
                try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('partial_wanted', ?)",
                               arguments: [Data(wanted.union(wantedAgain).sorted().flatMap(\.bytes))])
                try Self.finishMerge(&report, dirty: &dirty, clock: hybrid, clockBefore: clockBefore, db)
                // What it holds changed (ops held, dropped, or removed by a revocation; not duplicates, seals or the
                // vector alone): a warehouse mirror of this node makes a full pass (`partialGeneration`).
                if report.applied > 0 || report.removed > 0 || changes.contains(where: { if case .drop = $0 { true } else { false } }) {
                    try db.execute(sql: """
                        INSERT INTO meta (key, value) VALUES ('partial_generation', 1)
                        ON CONFLICT (key) DO UPDATE SET value = value + 1
                        """)
                }
                return report
            }
        } catch {
            rosterCache.forget()
            throw error
        }
        if report.erased > 0 { scrubAfterErasure() }
        return report
    }

    /// The roster a partial change's held ops are judged by (the store's, with the roster changes among them) and the
    /// node's own author (never judged: its ops are pending until admitted); nil in a store of no team.
    private static func partialAdmission(_ changes: [PartialStoreChange], cache: RosterCache, _ db: Database) throws
        -> (roster: RosterState, local: AuthorID?)? {
        guard try loadFounder(db) != nil else { return nil }
        var extra: [RosterChange] = []
        for case let .hold(op) in changes where op.header.kind == .set {
            guard let body = op.body, let decoded = try? OpBody.decodeV2(kind: op.header.kind, bytes: body),
                  let change = RosterChange(stamp: Stamp(hlc: op.header.hlc, ref: op.header.ref), body: decoded) else { continue }
            extra.append(change)
        }
        // The common case (no roster op held) reuses the folded roster, as a full merge does.
        guard let roster = try extra.isEmpty ? cache.roster(db) : loadRoster(db, adding: extra) else { return nil }
        return (roster, try boundLocalLog(db)?.0.author)
    }

    /// An op to hold, checked against its header: nil when its position is held already (with the same hash).
    private static func checkedPartial(_ op: StoredOpV2, logRow: Int64, _ db: Database) throws -> VerifiedOp? {
        let header = op.header
        let ref = header.ref
        guard OpCryptoV2.opHash(header) == op.hash else {
            throw StoreError.invalidOperation("op \(ref): the hash given is not its header's")
        }
        var held = try FastStatement(db, "SELECT hash FROM op_check WHERE log = ? AND seq = ?")
        held.bind(logRow)
        held.bind(header.seq)
        if let hash = try held.firstRow({ try $0.bytes32(0, "hash") }) {
            guard hash == op.hash else { throw StoreError.rejected(op: ref, reason: .fork) }
            return nil
        }
        if try logVersion(logRow: logRow, db) == 1,
           try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM op_row WHERE log = ?)", arguments: [logRow]) == true {
            throw StoreError.rejected(op: ref, reason: .formatMismatch(held: 1, sent: 2))
        }
        try setVersion2(logRow: logRow, db)
        var decoded: OpBody? = nil
        if let body = op.body {
            guard body.count == Int(header.bodyLength), OpCrypto.bodyHash(body) == header.bodyHash else {
                throw StoreError.rejected(op: ref, reason: .bodyHashMismatch)
            }
            do {
                decoded = try OpBody.decodeV2(kind: header.kind, bytes: body)
            } catch {
                throw StoreError.rejected(op: ref, reason: .malformedBody(error))
            }
        }
        return VerifiedOp(header: header, hash: op.hash, body: op.body, decoded: decoded)
    }

    /// Keeps a held op's hash (in `op_check`, as a checkpoint: a partial log's hashes cannot be recomputed forward, its
    /// seqs skip) and the hash before it (`op_prev`).
    private static func keepPartialHash(_ op: StoredOpV2, logRow: Int64, _ db: Database) throws {
        var check = try FastStatement(db, "INSERT OR REPLACE INTO op_check (log, seq, hash) VALUES (?, ?, ?)")
        check.bind(logRow)
        check.bind(op.header.seq)
        check.bind(op.hash)
        try check.run()
        var prev = try FastStatement(db, "INSERT OR REPLACE INTO op_prev (log, seq, prev) VALUES (?, ?, ?)")
        prev.bind(logRow)
        prev.bind(op.header.seq)
        prev.bind(op.header.prev)
        try prev.run()
    }

    private static func keep(_ path: KeptScopePath, seal: SealV2, logRow: Int64, scope: Int64, _ db: Database) throws {
        var insert = try FastStatement(db, """
            INSERT OR REPLACE INTO scope_path (log, seal_seq, scope, leaf_index, leaf_count, hashes) VALUES (?, ?, ?, ?, ?, ?)
            """)
        insert.bind(logRow)
        insert.bind(seal.seq)
        insert.bind(scope)
        insert.bind(Int64(path.leafIndex))
        insert.bind(Int64(path.leafCount))
        insert.bind(path.hashes.flatMap(\.bytes))
        try insert.run()
    }

    /// The seqs of `scope` held in the log numbered `logRow`, newest first: from its `scope_head` back along the scope
    /// prev distances (a partial node holds a prefix of each scope's chain, SPEC-partial.md §P.5).
    private static func heldSeqs(of scopeRow: Int64, logRow: Int64, _ db: Database) throws -> [UInt64] {
        var head = try FastStatement(db, "SELECT seq FROM scope_head WHERE log = ? AND scope = ?")
        head.bind(logRow)
        head.bind(scopeRow)
        guard let newest = try head.firstRow({ try $0.u64(0, "seq") }) else { return [] }
        return try scopeSeqs(logRow: logRow, from: newest, db)
    }

    /// The effect a held op merged with: its body, or the residue of the erasure that names it.
    private static func effect(logRow: Int64, log: LogID, seq: UInt64, _ db: Database) throws -> OpBody? {
        var select = try FastStatement(db, "SELECT kind, body FROM op_row WHERE log = ? AND seq = ?")
        select.bind(logRow)
        select.bind(seq)
        let ref = OpRef(author: log.author, epoch: log.epoch, seq: seq)
        let row = try select.firstRow { row in (kind: try OpRow.kind(row.int64(0)), body: row.blob(1)) }
        guard let row else { return nil }
        if let body = row.body { return try StoredBody.decode(body, kind: row.kind, at: ref).body }
        guard let hash = try opHash(log, seq: seq, db) else { return nil }
        return try ErasureLedger.effectiveResidue(of: ref, hash: hash, db: db)?.residue
    }

    /// Deletes every op of `scope` but those of log `keeping` with the rows derived from them, then merges the entities
    /// they touched again from the ops still held (SPEC-partial.md §P.5, "dropping").
    private static func dropPartial(_ scope: ScopeID, keeping: LogID, dirty: inout DeskProjection.Dirty, _ db: Database) throws {
        guard let scopeRow = try Int64.fetchOne(db, sql: "SELECT id FROM scope WHERE sid = ?", arguments: [Data(scope.bytes)]) else { return }
        let keptRow = try existingLogRow(keeping, db)
        var entities: Set<EntityRef> = []
        var kept: [(log: LogID, logRow: Int64, seq: UInt64)] = []
        let logs = try Row.fetchAll(db, sql: """
            SELECT l.id, l.author, l.epoch FROM scope_head h JOIN log l ON l.id = h.log WHERE h.scope = ?
            """, arguments: [scopeRow])
        for row in logs {
            let logRow: Int64 = row["id"]
            let log = LogID(author: try row.author("author"), epoch: try row.u64("epoch"))
            let seqs = try heldSeqs(of: scopeRow, logRow: logRow, db)
            if logRow == keptRow {
                kept += seqs.reversed().map { (log, logRow, $0) }
                continue
            }
            for seq in seqs {
                if let body = try effect(logRow: logRow, log: log, seq: seq, db) { entities.insert(body.entity) }
                // Its erasure mark first: an op with one cannot be deleted (the schema's trigger).
                try db.execute(sql: "DELETE FROM op_erasure WHERE author = ? AND epoch = ? AND seq = ?",
                               arguments: [log.author.key.data, log.epoch.sql, seq.sql])
                let position: StatementArguments = [logRow, seq.sql]
                for table in ["op_bodyless", "op_check", "op_prev", "op_row"] {
                    try db.execute(sql: "DELETE FROM \(table) WHERE log = ? AND seq = ?", arguments: position)
                }
            }
            try db.execute(sql: "DELETE FROM scope_head WHERE log = ? AND scope = ?", arguments: [logRow, scopeRow])
            // A seal kept for its paths goes with its last one.
            let pathSeals = try Int64.fetchAll(db, sql: "SELECT seal_seq FROM scope_path WHERE log = ? AND scope = ?",
                                               arguments: [logRow, scopeRow])
            try db.execute(sql: "DELETE FROM scope_path WHERE log = ? AND scope = ?", arguments: [logRow, scopeRow])
            for sealSeq in pathSeals {
                try db.execute(sql: """
                    DELETE FROM seal_v2 WHERE log = ?1 AND seq = ?2
                        AND NOT EXISTS (SELECT 1 FROM scope_path WHERE log = ?1 AND seal_seq = ?2)
                    """, arguments: [logRow, sealSeq])
            }
        }
        // The merged state of the entities touched, and the desk and search rows derived from it.
        for entity in entities.sorted(by: { ($0.collection, $0.key) < ($1.collection, $1.key) }) {
            let arguments: StatementArguments = [entity.collection, entity.key]
            for table in ["mv_entity", "mv_register", "mv_tag_add", "mv_tag_removal", "mv_claim", "mv_claim_state", "mv_claim_conflict"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE collection = ? AND key = ?", arguments: arguments)
            }
            switch entity.collection {
            case Desk.message:
                if let ticket = try String.fetchOne(db, sql: "SELECT ticket FROM desk_message WHERE id = ?", arguments: [entity.key]) {
                    try db.execute(sql: "DELETE FROM desk_message WHERE id = ?", arguments: [entity.key])
                    try SearchIndex.indexMessage(entity.key, ticket: ticket, direction: "", author: "", createdMillis: 0, text: nil, db: db)
                    dirty.tickets.insert(ticket)
                }
            case Desk.ticket: dirty.tickets.insert(entity.key)
            case Desk.customer: dirty.customers.insert(entity.key)
            default: break
            }
        }
        // What the node's own log still holds of the scope merges again.
        for (log, logRow, seq) in kept {
            guard let body = try effect(logRow: logRow, log: log, seq: seq, db),
                  let hlc = try Int64.fetchOne(db, sql: "SELECT hlc FROM op_row WHERE log = ? AND seq = ?", arguments: [logRow, seq.sql])
            else { continue }
            try Materializer.apply(body, stamp: Stamp(hlc: HLC(rawValue: UInt64(bitPattern: hlc)), ref: OpRef(author: log.author, epoch: log.epoch, seq: seq)),
                                   log: logRow, dirty: &dirty, db: db)
        }
    }

    /// What this partial node's store holds for its replica (see ``PartialStoreState``), read in one transaction. Each
    /// op's hash is recomputed from its stored header and compared with the kept one.
    public func partialState() throws(StoreError) -> PartialStoreState {
        try read { db in
            var state = PartialStoreState(subscription: try Self.partialSubscription(db), ops: [], seals: [], vector: [:], wanted: [])
            try Self.forEachPartialOp(db) { op, kept in
                guard op.hash == kept else { throw StoreError.corrupt("held op \(op.header.ref) does not match its hash") }
                state.ops.append(op)
            }
            // The node's own log, when its store appended it (``appendLocal(_:by:clock:)``): whole, from its chain.
            var heldLogs = try Self.partialLogRows(db)
            if let (local, format) = try Self.boundLocalLog(db), format == 2, let logRow = try Self.existingLogRow(local, db),
               !heldLogs.contains(logRow), let head = try Self.head(of: local, db) {
                try Self.chainSteps(local, logRow: logRow, from: KnownHash(seq: 0, hash: .zero), through: head.seq, db) { step in
                    guard let v2 = step.v2 else { throw StoreError.corrupt("a format 2 log's op without its scope") }
                    state.ops.append(StoredOpV2(header: v2.header, hash: step.hash, body: v2.body))
                }
                heldLogs.insert(logRow)
            }
            var paths: [Int64: [Int64: [KeptScopePath]]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT p.log, p.seal_seq, s.sid, p.leaf_index, p.leaf_count, p.hashes FROM scope_path p JOIN scope s ON s.id = p.scope
                """) {
                let hashes: Data = row["hashes"]
                let path = KeptScopePath(scope: ScopeID([UInt8](row["sid"] as Data))!, leafIndex: row["leaf_index"], leafCount: row["leaf_count"],
                                         hashes: stride(from: 0, to: hashes.count, by: 32).map { Bytes32(Array(hashes[$0..<$0 + 32]))! })
                paths[row["log"], default: [:]][row["seal_seq"], default: []].append(path)
            }
            for logRow in heldLogs.sorted() {
                guard let log = try Self.logID(row: logRow, db) else { continue }
                for seal in try Self.sealsV2(log, logRow: logRow, endingIn: 0...UInt64(Int64.max), db) {
                    state.seals.append((seal, paths[logRow]?[Int64(seal.seq)] ?? []))
                }
            }
            for row in try Row.fetchAll(db, sql: "SELECT v.seq, l.author, l.epoch FROM partial_vector v JOIN log l ON l.id = v.log") {
                state.vector[LogID(author: try row.author("author"), epoch: try row.u64("epoch"))] = try row.u64("seq")
            }
            if let wanted = try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'partial_wanted'") {
                state.wanted = Set(stride(from: 0, to: wanted.count, by: ScopeID.length).compactMap { ScopeID([UInt8](wanted[$0..<$0 + ScopeID.length])) })
            }
            return state
        }
    }

    /// How many times what this partial node holds changed (held, kept, dropped, or removed ops); 0 before any.
    public func partialGeneration() throws(StoreError) -> UInt64 {
        try read { db in UInt64(clamping: try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'partial_generation'") ?? 0) }
    }

    /// What a partial node holds, in brief (nil for a full node): its queues, the tickets on its desk, and the ops it
    /// holds of other authors' logs, with their number, and the ops of the team's format 1 history (held whole).
    public func partialSummary() throws(StoreError) -> (queues: [String], tickets: Int, ops: Int, logs: Int, historyOps: Int)? {
        try read { db in
            guard let queues = try Self.partialSubscription(db) else { return nil }
            let tickets = try Int.fetchOne(db, sql: "SELECT count(*) FROM desk_ticket") ?? 0
            let held = try Row.fetchOne(db, sql: "SELECT count(*) AS ops, count(DISTINCT log) AS logs FROM op_prev")
            let history = try Int.fetchOne(db, sql: "SELECT count(*) FROM op_row r JOIN log l ON l.id = r.log WHERE l.version IS NOT 2") ?? 0
            return (queues, tickets, held?["ops"] ?? 0, held?["logs"] ?? 0, history)
        }
    }

    /// Each op held by ``PartialStoreChange/hold(_:)`` (of log `logRow`, or of all), by log and seq: its header rebuilt
    /// from its row and the kept hash before it, with its hash recomputed, and the hash kept for it.
    static func forEachPartialOp(_ db: Database, logRow: Int64? = nil, _ each: (StoredOpV2, Bytes32) throws -> Void) throws {
        var rows = try FastStatement(db, """
            SELECT l.author, l.epoch, r.seq, r.hlc, r.kind, b.body_len, b.body_hash, r.body, s.sid, r.scope_gap, p.prev, c.hash
            FROM op_prev p JOIN op_row r ON r.log = p.log AND r.seq = p.seq JOIN log l ON l.id = r.log
            JOIN scope s ON s.id = r.scope JOIN op_check c ON c.log = r.log AND c.seq = r.seq
            LEFT JOIN op_bodyless b ON b.log = r.log AND b.seq = r.seq
            \(logRow == nil ? "" : "WHERE p.log = ?") ORDER BY r.log, r.seq
            """)
        if let logRow { rows.bind(logRow) }
        try rows.forEachRow { row in
            let log = LogID(author: AuthorID(key: try row.bytes32(0, "author")), epoch: try row.u64(1, "epoch"))
            let seq = try row.u64(2, "seq")
            let body = row.isNull(6) ? row.blob(7) : nil
            let bodyHash: Bytes32, bodyLength: UInt32
            if let body {
                (bodyHash, bodyLength) = (OpCrypto.bodyHash(body), UInt32(body.count))
            } else {
                (bodyHash, bodyLength) = (try row.bytes32(6, "body_hash"), UInt32(clamping: row.int64(5)))
            }
            guard let scope = row.blob(8).flatMap({ ScopeID($0) }) else { throw StoreError.corrupt("a scope id is not 16 bytes") }
            let gap = row.isNull(9) ? 0 : try row.u64(9, "scope_gap")
            guard gap < seq else { throw StoreError.corrupt("op \(seq): a scope prev below seq 1") }
            let header = OpHeaderV2(author: log.author, epoch: log.epoch, seq: seq, prev: try row.bytes32(10, "prev"),
                                    hlc: HLC(rawValue: try row.u64(3, "hlc")), kind: try OpRow.kind(row.int64(4)), scope: scope,
                                    scopePrev: gap == 0 ? 0 : seq - gap, bodyLength: bodyLength, bodyHash: bodyHash)
            try each(StoredOpV2(header: header, hash: OpCryptoV2.opHash(header), body: body), try row.bytes32(11, "hash"))
            return true
        }
    }

    /// The logs this store holds in part (a partial node's: ``PartialStoreChange/hold(_:)``), by number.
    static func partialLogRows(_ db: Database) throws -> Set<Int64> {
        Set(try Int64.fetchAll(db, sql: "SELECT DISTINCT log FROM op_prev"))
    }

    /// Verify's checks of a log a partial node holds in part (Protocol/SPEC-partial.md §P.7): each held op's header,
    /// rebuilt from its row and the hash kept before it, hashes to the hash kept for it, and its body decodes; each
    /// scope's held ops are a prefix of its chain (every scope prev is held, in the same scope); every kept seal's
    /// signature verifies, its head is the held op's hash at its seq, and each path kept in it leads from the scope's
    /// leaf (its held ops of the range) to the scopes root; every held op is proved by a kept seal.
    static func checkPartialLog(logRow: Int64, log: LogID, report: inout VerifyReport, _ db: Database) throws {
        var held: [UInt64: StoredOpV2] = [:]
        try forEachPartialOp(db, logRow: logRow) { op, kept in
            let ref = op.header.ref
            if op.hash != kept { report.problems.append("op \(ref): header does not hash to its kept hash (altered)") }
            if let body = op.body, (try? OpBody.decodeV2(kind: op.header.kind, bytes: body)) == nil {
                report.problems.append("op \(ref): body does not decode")
            }
            held[op.header.seq] = op
        }
        for op in held.values.sorted(by: { $0.header.seq < $1.header.seq }) where op.header.scopePrev > 0 {
            if held[op.header.scopePrev]?.header.scope != op.header.scope {
                report.problems.append("op \(op.header.ref): the previous op of its scope is not held (a gap in the scope)")
            }
        }
        var proved: Set<UInt64> = []
        var paths: [UInt64: [KeptScopePath]] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT p.seal_seq, s.sid, p.leaf_index, p.leaf_count, p.hashes FROM scope_path p JOIN scope s ON s.id = p.scope WHERE p.log = ?
            """, arguments: [logRow]) {
            let hashes: Data = row["hashes"]
            guard let scope = ScopeID([UInt8](row["sid"] as Data)) else { continue }
            paths[row["seal_seq"], default: []].append(KeptScopePath(
                scope: scope, leafIndex: row["leaf_index"], leafCount: row["leaf_count"],
                hashes: stride(from: 0, to: hashes.count, by: 32).compactMap { Bytes32(Array(hashes[$0..<min($0 + 32, hashes.count)])) }))
        }
        for seal in try sealsV2(log, logRow: logRow, endingAfter: 0, db) {
            report.seals += 1
            let name = "seal \(log)/\(seal.seq)"
            guard OpCryptoV2.verify(seal) else { report.problems.append("\(name): signature does not verify"); continue }
            if let head = held[seal.seq], head.hash != seal.head {
                report.problems.append("\(name): its head is not the hash of the held op at that seq")
                continue
            }
            let range = (seal.fromSeq...seal.seq).compactMap { held[$0] }
            if range.count == Int(seal.seq - seal.fromSeq + 1) {
                if OpCryptoV2.root(OpCryptoV2.leaves(of: range.map { ($0.header.scope, $0.hash) })) == seal.scopesRoot {
                    proved.formUnion(range.map(\.header.seq))
                } else {
                    report.problems.append("\(name): its scopes root is not that of its range")
                }
                continue
            }
            for path in paths[seal.seq] ?? [] {
                let ops = range.filter { $0.header.scope == path.scope }
                let leaf = OpCryptoV2.ScopeLeaf(scope: path.scope, opHashes: ops.map(\.hash))
                if OpCryptoV2.verifyInclusion(leaf: leaf, index: path.leafIndex, count: path.leafCount, path: path.hashes,
                                              root: seal.scopesRoot) {
                    proved.formUnion(ops.map(\.header.seq))
                } else {
                    report.problems.append("\(name): the path kept for scope \(path.scope) does not lead to its scopes root")
                }
            }
        }
        for seq in held.keys.sorted() where !proved.contains(seq) {
            report.problems.append("op \(OpRef(author: log.author, epoch: log.epoch, seq: seq)): not proved by a kept seal")
        }
    }

    /// The log numbered `row`.
    static func logID(row: Int64, _ db: Database) throws -> LogID? {
        guard let found = try Row.fetchOne(db, sql: "SELECT author, epoch FROM log WHERE id = ?", arguments: [row]) else { return nil }
        return LogID(author: try found.author("author"), epoch: try found.u64("epoch"))
    }
}
