import Foundation
import GRDB
import RoostCore

/// Admission: the roster enforced on the op log. The founder (meta `team_founder`, pinned by `team create` or the
/// invite), the roster ops (`roster_change`), and their enforcement on the op log.
///
/// Without a founder the node belongs to no team yet and every validly signed op is accepted. With one,
/// a remote op is accepted only when ``RosterState/admission(of:)`` says `member`; a roster op that
/// revokes someone (or voids an admission) removes the ops it cuts off and rebuilds the merged state,
/// so every node ends with the same ops whatever order they arrived in.
extension OpStore {
    /// A value that changes whenever the roster may have changed (`meta.roster_version`): a node compares
    /// it to the last one it saw to learn, with one cheap read, that admissions must be re-checked.
    public func rosterVersion() throws(StoreError) -> Int64 {
        try read { db in try OpStore.rosterVersion(db) }
    }

    static func loadFounder(_ db: Database) throws -> AuthorID? {
        guard let data = try Data.fetchOne(db.cachedStatement(sql: "SELECT value FROM meta WHERE key = 'team_founder'"))
        else { return nil }
        return AuthorID(key: try Bytes32(data: data))
    }

    static func loadRoster(_ db: Database, adding extra: [RosterChange] = []) throws -> RosterState? {
        guard let founder = try loadFounder(db) else { return nil }
        return RosterState(founder: founder, changes: try loadChanges(db) + extra)
    }

    static func loadChanges(_ db: Database) throws -> [RosterChange] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM roster_change")).compactMap { row in
            let stamp = try Materializer.stamp(row)
            let member = AuthorID(key: try row.bytes32("member"))
            let field: String = row["field"]
            let value: String = row["value"]
            let body = OpBody.set(entity: EntityRef(RosterSchema.member, member.text), field: field, value: .string(value))
            return RosterChange(stamp: stamp, body: body)
        }
    }

    static func insert(_ change: RosterChange, _ db: Database) throws {
        let (field, value): (String, String) = switch change.change {
        case let .role(role): (RosterSchema.role, role.rawValue)
        case let .revoke(cut): (RosterSchema.revoked, cut.description)
        }
        try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO roster_change (author, epoch, seq, hlc, member, field, value) VALUES (?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [
                change.stamp.ref.author.key.data, change.stamp.ref.epoch.sql, change.stamp.ref.seq.sql,
                change.stamp.hlc.rawValue.sql, change.member.key.data, field, value,
            ])
        if db.changesCount > 0 { try bumpRosterVersion(db) }
    }

    /// Marks the roster as changed: a fresh random `meta.roster_version`, so a cache never mistakes a
    /// later state for one it folded in a transaction that rolled back.
    static func bumpRosterVersion(_ db: Database) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('roster_version', ?)",
                       arguments: [Int64.random(in: Int64.min...Int64.max)])
    }

    static func rosterVersion(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM meta WHERE key = 'roster_version'")) ?? 0
    }

    /// Refills `roster_change` from the op log (the migration that adds the table).
    static func rebuildRosterChanges(_ db: Database) throws {
        try bumpRosterVersion(db)
        try db.execute(sql: "DELETE FROM roster_change")
        let kind = Int64(OpKind.set.rawValue)
        let rows = try Row.fetchCursor(db, sql: "SELECT * FROM op WHERE kind = ? AND body IS NOT NULL ORDER BY author, epoch, seq",
                                       arguments: [kind])
        var prevs = PrevHashes()
        while let row = try rows.next() {
            let op = try prevs.read(row, db)
            let header = op.header
            guard let body = op.body, let decoded = try? OpBody.decode(kind: header.kind, bytes: body),
                  let change = RosterChange(stamp: Stamp(hlc: header.hlc, ref: header.ref), body: decoded)
            else { continue }
            try insert(change, db)
        }
    }

    // MARK: checks at apply time

    /// Refuses the first new op of `plans` the roster (with the batch's own roster ops) does not admit.
    static func checkAdmission(_ plans: [LogPlan], _ db: Database, cache: RosterCache? = nil) throws {
        guard try loadFounder(db) != nil else { return }
        var extra: [RosterChange] = []
        for plan in plans {
            for op in plan.new {
                if let decoded = op.decoded, let change = RosterChange(stamp: op.stamp, body: decoded) {
                    extra.append(change)
                }
            }
        }
        // The common case (no roster op in the batch) reuses the folded roster.
        let folded = extra.isEmpty && cache != nil ? try cache!.roster(db) : try loadRoster(db, adding: extra)
        guard let roster = folded else { return }
        for plan in plans {
            for op in plan.new {
                switch roster.admission(of: op.ref) {
                case .member: continue
                case .notMember: throw StoreError.rejected(op: op.ref, reason: .notMember)
                case .revoked: throw StoreError.rejected(op: op.ref, reason: .revoked)
                }
            }
        }
    }

    // MARK: enforcement after roster changes

    /// Brings the log in line with the roster after roster ops merged: removes every op the roster does
    /// not admit (a revoked member's ops past its cut, all ops of an author whose admission was voided),
    /// then rebuilds the merged state if anything was removed, or else re-resolves the claims that a role
    /// change may decide differently. Returns the number of ops removed.
    @discardableResult
    static func enforceRoster(_ db: Database) throws -> Int {
        var removed = 0
        // Removing ops can remove roster ops, which can void more: repeat until stable.
        while let roster = try loadRoster(db) {
            let purged = try purge(notAdmittedBy: roster, db)
            if purged == 0 { break }
            removed += purged
            try rebuildRosterChanges(db)
        }
        if removed > 0 {
            try rebuildMaterialized(db)
        } else {
            try refreshReassignedClaims(db)
        }
        return removed
    }

    private static func purge(notAdmittedBy roster: RosterState, _ db: Database) throws -> Int {
        var removed = 0
        // The node's own log is never cut here: before its admission arrives its ops are pending, not
        // invalid; after a revocation it keeps its history (peers refuse what lies past the cut).
        let local = try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'local_author'")
        // Every log with a head, and a partial node's held logs (their seqs skip: no head is kept; the newest held op
        // stands for it, SPEC-partial.md §P.6).
        let heads = try Row.fetchAll(db, sql: """
            SELECT author, epoch, seq, 0 AS partial FROM log_head
            UNION ALL
            SELECT l.author, l.epoch, max(p.seq), 1 FROM op_prev p JOIN log l ON l.id = p.log
            WHERE NOT EXISTS (SELECT 1 FROM log_head h WHERE h.author = l.author AND h.epoch = l.epoch) GROUP BY p.log
            """)
        for row in heads {
            let log = LogID(author: try row.author("author"), epoch: try row.u64("epoch"))
            if log.author.key.data == local { continue }
            let head = try row.u64("seq")
            let partial: Bool = row["partial"]
            let keep: UInt64
            switch roster.admission(of: OpRef(author: log.author, epoch: log.epoch, seq: 1)) {
            case .notMember:
                keep = 0
            case .revoked, .member:
                if roster.admission(of: OpRef(author: log.author, epoch: log.epoch, seq: head)) == .member { continue }
                keep = roster.members[log.author]?.revocation?.cut.kept[log.epoch] ?? 0
            }
            let args: StatementArguments = [log.author.key.data, log.epoch.sql, keep.sql]
            try db.execute(sql: "DELETE FROM seal WHERE author = ? AND epoch = ? AND seq > ?", arguments: args)
            try db.execute(sql: "DELETE FROM op_erasure WHERE author = ? AND epoch = ? AND seq > ?", arguments: args)
            // Erasure ops past the cut are void: their records go with them, so the ops they named count again
            // (their bodies, when dropped here, are fetched again from peers: OpStore-bodies.swift). So do their marks
            // on the ops they erased, unless another effective erasure names the op: an erasure judged after this
            // (in the same batch, say) must find those ops unerased and merge its residue (simulation seed 24524).
            try db.execute(sql: """
                DELETE FROM op_erasure WHERE EXISTS (
                    SELECT 1 FROM erasure_target t
                    WHERE t.erasure_author = ?1 AND t.erasure_epoch = ?2 AND t.erasure_seq > ?3
                      AND t.author = op_erasure.author AND t.epoch = op_erasure.epoch AND t.seq = op_erasure.seq)
                AND NOT EXISTS (
                    SELECT 1 FROM erasure_target t
                    JOIN erasure e ON e.author = t.erasure_author AND e.epoch = t.erasure_epoch AND e.seq = t.erasure_seq
                    WHERE t.author = op_erasure.author AND t.epoch = op_erasure.epoch AND t.seq = op_erasure.seq
                      AND e.state = 1 AND NOT (t.erasure_author = ?1 AND t.erasure_epoch = ?2 AND t.erasure_seq > ?3))
                """, arguments: args)
            try db.execute(sql: "DELETE FROM erasure_target WHERE erasure_author = ? AND erasure_epoch = ? AND erasure_seq > ?",
                           arguments: args)
            try db.execute(sql: "DELETE FROM erasure WHERE author = ? AND epoch = ? AND seq > ?", arguments: args)
            try db.execute(sql: "DELETE FROM op_row WHERE log = (SELECT id FROM log WHERE author = ? AND epoch = ?) AND seq > ?",
                           arguments: args)
            removed += db.changesCount
            try db.execute(sql: "DELETE FROM op_check WHERE log = (SELECT id FROM log WHERE author = ? AND epoch = ?) AND seq > ?",
                           arguments: args)
            try db.execute(sql: "DELETE FROM seal_v2 WHERE log = (SELECT id FROM log WHERE author = ? AND epoch = ?) AND seq > ?",
                           arguments: args)
            // A partial node's kept hashes before its held ops, and the paths of the seals gone (OpStore-partial.swift).
            try db.execute(sql: "DELETE FROM op_prev WHERE log = (SELECT id FROM log WHERE author = ? AND epoch = ?) AND seq > ?",
                           arguments: args)
            try db.execute(sql: "DELETE FROM scope_path WHERE log = (SELECT id FROM log WHERE author = ? AND epoch = ?) AND seal_seq > ?",
                           arguments: args)
            // Each scope's newest op, once the ops past the cut are gone.
            try db.execute(sql: "DELETE FROM scope_head WHERE log = (SELECT id FROM log WHERE author = ? AND epoch = ?) AND seq > ?",
                           arguments: args)
            try db.execute(sql: """
                INSERT OR REPLACE INTO scope_head (log, scope, seq)
                    SELECT log, scope, max(seq) FROM op_row
                    WHERE log = (SELECT id FROM log WHERE author = ? AND epoch = ?) AND scope IS NOT NULL GROUP BY scope
                """, arguments: [log.author.key.data, log.epoch.sql])
            if partial {
                continue
            } else if keep == 0 {
                try db.execute(sql: "DELETE FROM log_head WHERE author = ? AND epoch = ?", arguments: [log.author.key.data, log.epoch.sql])
            } else if let hash = try opHash(log, seq: keep, db) {
                let sealed = try Int64.fetchOne(db, sql: """
                    SELECT max(seq) FROM (SELECT seq FROM seal WHERE author = ?1 AND epoch = ?2
                        UNION ALL SELECT s.seq FROM seal_v2 s JOIN log l ON l.id = s.log WHERE l.author = ?1 AND l.epoch = ?2)
                    """, arguments: [log.author.key.data, log.epoch.sql]) ?? 0
                try setHead(log, seq: keep, hash: hash, sealed: UInt64(sealed), db)
            }
        }
        return removed
    }

    /// Empties the merged tables and merges every op again (after ops were removed).
    static func rebuildMaterialized(_ db: Database) throws {
        for table in Schema.comparedTables where table.stored && table.name != "roster_change" {
            try db.execute(sql: "DELETE FROM \(table.name)")
        }
        try db.execute(sql: "DELETE FROM search_doc; DELETE FROM search_handle")
        var dirty = DeskProjection.Dirty()
        let rows = try Row.fetchCursor(db, sql: "SELECT * FROM op WHERE body IS NOT NULL ORDER BY author, epoch, seq")
        var prevs = PrevHashes()
        var logRows = LogRows()
        while let row = try rows.next() {
            let op = try prevs.read(row, db)
            let header = op.header
            let decoded = try OpBody.decode(kind: header.kind, bytes: op.body ?? [])
            try Materializer.apply(decoded, stamp: Stamp(hlc: header.hlc, ref: header.ref),
                                   log: try logRows.row(header.ref.log, db), dirty: &dirty, db: db)
        }
        // Erased ops count by their residue (SPEC.md §1.9).
        let erased = try Row.fetchAll(db, sql: "SELECT author, epoch, seq, hlc, hash FROM op WHERE body IS NULL")
        for row in erased {
            let ref = OpRef(author: try row.author("author"), epoch: try row.u64("epoch"), seq: try row.u64("seq"))
            guard let named = try ErasureLedger.effectiveResidue(of: ref, hash: try row.bytes32("hash"), db: db) else { continue }
            try Materializer.apply(named.residue, stamp: Stamp(hlc: HLC(rawValue: try row.u64("hlc")), ref: ref),
                                   log: try logRows.row(ref.log, db), dirty: &dirty, db: db)
        }
        try refreshReassignedClaims(db, dirty: &dirty)
        try dirty.flush(db)
    }

    /// Re-resolves every item with a reassign in its claim chain (whether it is permitted depends on
    /// roles, which roster ops arriving later can change).
    static func refreshReassignedClaims(_ db: Database, indexesSearch: Bool = true) throws {
        var dirty = DeskProjection.Dirty(indexesSearch: indexesSearch)
        try refreshReassignedClaims(db, dirty: &dirty)
        try dirty.flush(db)
    }

    static func refreshReassignedClaims(_ db: Database, dirty: inout DeskProjection.Dirty) throws {
        let items = try Row.fetchAll(db, sql: "SELECT DISTINCT collection, key FROM mv_claim WHERE action = ?",
                                     arguments: [Int64(ClaimAction.reassign.rawValue)])
        for row in items {
            let entity = EntityRef(row["collection"] as String, row["key"] as String)
            try Materializer.refreshClaims(entity, db: db, recomputing: true)
            if entity.collection == Desk.ticket { dirty.tickets.insert(entity.key) }
        }
    }
}

/// One store's folded roster, reused between transactions while `meta.roster_version` and the founder are
/// unchanged (the fold reads every roster op; batches rarely carry one).
final class RosterCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entry: (version: Int64, founder: AuthorID, roster: RosterState)?

    /// The roster as `db` sees it (nil without a team).
    func roster(_ db: Database) throws -> RosterState? {
        guard let founder = try OpStore.loadFounder(db) else { return nil }
        let version = try OpStore.rosterVersion(db)
        if let cached = lock.withLock({ entry }), cached.version == version, cached.founder == founder { return cached.roster }
        let roster = RosterState(founder: founder, changes: try OpStore.loadChanges(db))
        lock.withLock { entry = (version, founder, roster) }
        return roster
    }

    /// Drops the cached roster: a transaction or savepoint that may have changed it was rolled back, and the
    /// roster version it cached under may come back with other changes.
    func forget() {
        lock.withLock { entry = nil }
    }
}
