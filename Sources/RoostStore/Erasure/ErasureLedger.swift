import Foundation
import GRDB
import RoostCore

/// Replicated erasure (SPEC.md §1.9): erasure ops are recorded as they merge, judged against the roster (their
/// author must have been a lead or an admin just before the op), and, once effective, drop the bodies of the ops
/// they name and materialize those ops' residues instead. An op that arrives later, with its body or without
/// it, is stored without it. Everything here runs inside the transaction that merged the ops.
enum ErasureLedger {
    /// Records an `erasure/<id>` insert (every node records every erasure op, effective or not).
    static func record(id: String, fields: [Field], stamp: Stamp, db: Database) throws -> Bool {
        guard let erasure = Erasure(fields: fields) else { return false }
        let ref = stamp.ref
        try db.execute(sql: """
            INSERT OR IGNORE INTO erasure (author, epoch, seq, hlc, id, reason, customer, targets)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [ref.author.key.data, ref.epoch.sql, ref.seq.sql, stamp.hlc.rawValue.sql, id, erasure.reason,
                             erasure.customer, erasure.targets.count])
        guard db.changesCount > 0 else { return false }
        let statement = try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO erasure_target (author, epoch, seq, hash, kind, residue, erasure_author, erasure_epoch, erasure_seq)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for target in erasure.targets {
            try statement.execute(arguments: [
                target.ref.author.key.data, target.ref.epoch.sql, target.ref.seq.sql, target.hash.data,
                Int64(target.residue.kind.rawValue), Data(target.residue.encoded()),
                ref.author.key.data, ref.epoch.sql, ref.seq.sql,
            ])
        }
        return true
    }

    /// The residue an effective erasure gives the op at `ref` with header hash `hash`, or nil when none names it.
    static func effectiveResidue(of ref: OpRef, hash: Bytes32, db: Database) throws -> (residue: OpBody, erasedHLC: UInt64)? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT t.kind, t.residue, e.hlc FROM erasure_target t
            JOIN erasure e ON e.author = t.erasure_author AND e.epoch = t.erasure_epoch AND e.seq = t.erasure_seq
            WHERE t.author = ? AND t.epoch = ? AND t.seq = ? AND t.hash = ? AND e.state = 1
            ORDER BY e.hlc, e.author, e.epoch, e.seq LIMIT 1
            """), arguments: [ref.author.key.data, ref.epoch.sql, ref.seq.sql, hash.data])
        else { return nil }
        return (try residue(row), try row.u64("hlc"))
    }

    static func residue(_ row: Row) throws -> OpBody {
        guard let kind = OpKind(rawValue: UInt16(clamping: row["kind"] as Int64)) else {
            throw StoreError.corrupt("erasure_target.kind out of range")
        }
        return try OpBody.decode(kind: kind, bytes: [UInt8](row["residue"] as Data))
    }

    /// Whether any erasure names any op (a cheap guard before per-op lookups).
    static func hasTargets(_ db: Database) throws -> Bool {
        try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM erasure_target)")) ?? false
    }

    /// Records an op that an effective erasure names, which the caller has just stored as a header only: the erasure
    /// recorded, the residue merged.
    static func storeErased(_ stamp: Stamp, residue: OpBody, erasedHLC: UInt64,
                            dirty: inout DeskProjection.Dirty, db: Database) throws {
        let ref = stamp.ref
        try db.execute(sql: "INSERT OR IGNORE INTO op_erasure (author, epoch, seq, erased_hlc) VALUES (?, ?, ?, ?)",
                       arguments: [ref.author.key.data, ref.epoch.sql, ref.seq.sql, erasedHLC.sql])
        try mergeResidue(residue, stamp: stamp, dirty: &dirty, db: db)
        dirty.erased += 1
    }

    /// Judges every erasure not yet effective against the roster, and carries out those that became effective.
    /// Returns the refused erasures newly judged so (for the node's log).
    static func judge(_ db: Database, dirty: inout DeskProjection.Dirty) throws -> [OpRef] {
        let rows = try Row.fetchAll(db, sql: "SELECT author, epoch, seq, hlc, state, reason FROM erasure WHERE state != 1")
        guard !rows.isEmpty else { return [] }
        let roster = try OpStore.loadRoster(db)
        var refused: [OpRef] = []
        for row in rows {
            let ref = OpRef(author: try row.author("author"), epoch: try row.u64("epoch"), seq: try row.u64("seq"))
            let stamp = Stamp(hlc: HLC(rawValue: try row.u64("hlc")), ref: ref)
            // Without a team (no founder yet) there is no one to ask: a lone node's own erasures count.
            let allowed = try roster.map { roster in
                try roster.mayErase(at: stamp, reason: row["reason"]) { try onlyMessageInserts(ref, db) }
            } ?? true
            let args: StatementArguments = [ref.author.key.data, ref.epoch.sql, ref.seq.sql]
            if allowed {
                try db.execute(sql: "UPDATE erasure SET state = 1 WHERE author = ? AND epoch = ? AND seq = ?", arguments: args)
                try carryOut(ref, erasedHLC: stamp.hlc.rawValue, dirty: &dirty, db: db)
            } else if (row["state"] as Int64) == 0 {
                try db.execute(sql: "UPDATE erasure SET state = 2 WHERE author = ? AND epoch = ? AND seq = ?", arguments: args)
                refused.append(ref)
            }
        }
        return refused
    }

    /// Whether every target of the erasure at `ref` is an insert on `message/*`.
    private static func onlyMessageInserts(_ ref: OpRef, _ db: Database) throws -> Bool {
        let rows = try Row.fetchAll(db, sql: """
            SELECT kind, residue FROM erasure_target WHERE erasure_author = ? AND erasure_epoch = ? AND erasure_seq = ?
            """, arguments: [ref.author.key.data, ref.epoch.sql, ref.seq.sql])
        return try rows.allSatisfy { row in
            if case let .insert(entity, _) = try residue(row) { return entity.collection == Desk.message }
            return false
        }
    }

    /// Drops the bodies of every held op the erasure at `erasure` names (when its header hash matches) and merges
    /// their residues. Ops not held yet are handled when they arrive.
    private static func carryOut(_ erasure: OpRef, erasedHLC: UInt64, dirty: inout DeskProjection.Dirty, db: Database) throws {
        let targets = try Row.fetchAll(db, sql: """
            SELECT t.author, t.epoch, t.seq, t.hash AS named, t.kind, t.residue, op.hlc, op.body IS NOT NULL AS has_body,
                   op.hash AS kept, op_erasure.seq IS NOT NULL AS erased
            FROM erasure_target t
            JOIN op ON op.author = t.author AND op.epoch = t.epoch AND op.seq = t.seq
            LEFT JOIN op_erasure ON op_erasure.author = t.author AND op_erasure.epoch = t.epoch AND op_erasure.seq = t.seq
            WHERE t.erasure_author = ? AND t.erasure_epoch = ? AND t.erasure_seq = ?
            """, arguments: [erasure.author.key.data, erasure.epoch.sql, erasure.seq.sql])
        for row in targets where !(row["erased"] as Bool) {
            let ref = OpRef(author: try row.author("author"), epoch: try row.u64("epoch"), seq: try row.u64("seq"))
            // Only the op the erasure names with its hash: kept in the row of an op without its body, else recomputed.
            let held = try row.optionalBytes32("kept") ?? OpStore.opHash(ref.log, seq: ref.seq, db)
            guard held == (try row.bytes32("named")) else { continue }
            let args: StatementArguments = [ref.author.key.data, ref.epoch.sql, ref.seq.sql]
            if row["has_body"] as Bool { _ = try OpStore.dropBody(ref, db) }
            try db.execute(sql: "INSERT OR IGNORE INTO op_erasure (author, epoch, seq, erased_hlc) VALUES (?, ?, ?, ?)",
                           arguments: args + [erasedHLC.sql])
            try mergeResidue(try residue(row), stamp: Stamp(hlc: HLC(rawValue: try row.u64("hlc")), ref: ref), dirty: &dirty, db: db)
            dirty.erased += 1
        }
    }

    /// Makes the residue the op's effect: where the op's payload won (entity insert, register set) it is
    /// replaced in place, keeping its stamp; otherwise the residue merges like any op (it is the op's effect
    /// for a node that never held the body).
    static func mergeResidue(_ residue: OpBody, stamp: Stamp, dirty: inout DeskProjection.Dirty, db: Database) throws {
        let log = try OpStore.logRowID(stamp.ref.log, db)
        let position: StatementArguments = [log, stamp.ref.seq.sql]
        switch residue {
        case let .insert(entity, fields):
            try db.execute(sql: """
                UPDATE mv_entity SET fields = ? WHERE collection = ? AND key = ? AND log = ? AND seq = ?
                """, arguments: [Data(FieldList.encode(fields)), entity.collection, entity.key] + position)
            if db.changesCount > 0 {
                if entity.collection == Desk.message {
                    if let touched = try DeskProjection.projectMessage(entity.key, fields: fields,
                                                                            indexesSearch: dirty.indexesSearch, db: db) {
                        dirty.tickets.formUnion(touched)
                    }
                }
            }
            if entity.collection == Desk.customer { try forgetCustomer(entity.key, dirty: &dirty, db: db) }
        case let .set(entity, field, value):
            try db.execute(sql: """
                UPDATE mv_register SET value = ? WHERE collection = ? AND key = ? AND field = ? AND log = ? AND seq = ?
                """, arguments: [Data(value.encoded), entity.collection, entity.key, field] + position)
            if entity.collection == Desk.customer { try forgetCustomer(entity.key, dirty: &dirty, db: db) }
            if entity.collection == Desk.ticket { dirty.tickets.insert(entity.key); dirty.ticketDocuments.insert(entity.key) }
        case .tagAdd, .tagRemove, .claim:
            break
        }
        try Materializer.apply(residue, stamp: stamp, log: log, dirty: &dirty, db: db)
    }

    /// A customer's handle and name leave the search index: handle rows go, their tickets' documents are re-derived.
    private static func forgetCustomer(_ customer: String, dirty: inout DeskProjection.Dirty, db: Database) throws {
        try db.execute(sql: "DELETE FROM search_handle WHERE customer = ?", arguments: [customer])
        dirty.customers.insert(customer)
    }

    /// After erasures in a transaction: merge the full-text index's segments so no erased term stays in a
    /// segment that only a delete marker hides (secure_delete then zeroes the freed pages).
    static func compactIndex(_ db: Database) throws {
        try SearchIndex.drain(db)
        try db.execute(sql: "INSERT INTO search_fts (search_fts) VALUES ('optimize')")
    }
}

/// Throttles scrubs: a node catching up on many erasure batches rebuilds its file once per interval, not per batch.
final class ScrubState: @unchecked Sendable {
    private let lock = NSLock()
    private var lastMillis: UInt64 = 0
    private var pending = false

    /// Whether a scrub may run now (marks it owed otherwise).
    func begin(now: UInt64) -> Bool {
        lock.withLock {
            if now < lastMillis + StoreLimits.scrubIntervalMillis { pending = true; return false }
            pending = false
            lastMillis = now
            return true
        }
    }

    /// Whether a skipped scrub is owed and may run now.
    func owed(now: UInt64) -> Bool { lock.withLock { pending && now >= lastMillis + StoreLimits.scrubIntervalMillis } }
}

extension OpStore {
    /// Removes erased bytes from the files after a transaction that erased bodies: `VACUUM` rebuilds every page
    /// (secure_delete zeroes freed space, but a B-tree rebalance can leave stale copies of a cell in a page's
    /// unallocated area, which a byte scan found in testing), then the WAL is checkpointed and truncated. At most
    /// once per ``StoreLimits/scrubIntervalMillis``; a skipped scrub is owed and ``scrubIfOwed()`` runs it.
    /// An in-memory store has no files and skips it.
    public func scrubAfterErasure() {
        guard hasFiles, scrubState.begin(now: UInt64(Date().timeIntervalSince1970 * 1000)) else { return }
        _ = try? writer.writeWithoutTransaction { db in try db.execute(sql: "VACUUM") }
        truncateWAL()
    }

    /// Runs a scrub that was skipped by the throttle, once its interval has passed (the sync hub calls this as it polls).
    public func scrubIfOwed() {
        if scrubState.owed(now: UInt64(Date().timeIntervalSince1970 * 1000)) { scrubAfterErasure() }
    }

    /// Moves the write-ahead log's pages into the database file and truncates it, so erased bytes do not
    /// outlive the transaction that erased them in `-wal` (secure_delete zeroed them in the pages). Readers
    /// holding an old snapshot can delay it; it retries for about a second and reports whether it finished.
    @discardableResult
    public func truncateWAL() -> Bool {
        for attempt in 0..<20 {
            let done: Bool? = try? writer.writeWithoutTransaction { db in
                guard let row = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)") else { return true }
                return (row[0] as Int64) == 0
            }
            if done != false { return true }
            Thread.sleep(forTimeInterval: 0.05 * Double(attempt + 1) / 4)
        }
        return false
    }
}
