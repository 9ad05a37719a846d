import Foundation
import GRDB
public import RoostCore

/// Applies one op's effect to the materialized tables, incrementally, using the merge rules of
/// RoostCore. The result depends only on the set of ops applied, never on their order.
enum Materializer {
    /// Merges one op. `log` is the number of the op's log in `log` (``OpStore/logRowID(_:_:)``), which the views
    /// store instead of its author and epoch. Desk rows the op affects are marked in `dirty`; the caller projects them
    /// once per transaction.
    static func apply(_ body: OpBody, stamp: Stamp, log: Int64, dirty: inout DeskProjection.Dirty, db: Database) throws {
        switch body {
        case let .insert(entity, fields):
            if try insert(entity, fields: fields, stamp: stamp, log: log, db: db) {
                if entity.collection == Desk.message {
                    // Our payload won the grow-only set: project it as is, without reading it back.
                    if let touched = try DeskProjection.projectMessage(entity.key, fields: fields,
                                                                        indexesSearch: dirty.indexesSearch, db: db) {
                        dirty.tickets.formUnion(touched)
                    }
                } else if entity.collection == Desk.ticket {
                    dirty.tickets.insert(entity.key)
                } else if entity.collection == Desk.customer {
                    dirty.customers.insert(entity.key)
                }
            }
            if entity.collection == ErasureSchema.collection,
               try ErasureLedger.record(id: entity.key, fields: fields, stamp: stamp, db: db) {
                dirty.erasures = true
            }
        case let .set(entity, field, value):
            if entity.collection == RosterSchema.member, let change = RosterChange(stamp: stamp, body: body) {
                try OpStore.insert(change, db)
                dirty.roster = true
            }
            if try set(entity, field: field, value: value, stamp: stamp, log: log, db: db) {
                if entity.collection == Desk.ticket, DeskProjection.ticketRowFields.contains(field) {
                    dirty.tickets.insert(entity.key)
                } else if entity.collection == Desk.customer, DeskProjection.customerDocumentFields.contains(field) {
                    dirty.customers.insert(entity.key)
                }
            }
        case let .tagAdd(entity, tag):
            // The present tags (`mv_tag`) are a view of adds and removals: nothing else to write.
            var add = try FastStatement(db, """
                INSERT OR IGNORE INTO mv_tag_add (collection, key, tag, log, seq) VALUES (?, ?, ?, ?, ?)
                """)
            add.bind(entity.collection)
            add.bind(entity.key)
            add.bind(tag)
            add.bind(log)
            add.bind(stamp.ref.seq)
            try add.run()
            // A ticket's tags are in its search document.
            if entity.collection == Desk.ticket { dirty.ticketDocuments.insert(entity.key) }
        case let .tagRemove(entity, tag, observed):
            let statement = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO mv_tag_removal (collection, key, tag, add_log, add_seq) VALUES (?, ?, ?, ?, ?)
                """)
            for add in observed {
                // The add's log may hold no op here yet (the removal arrived first): it is numbered all the same.
                try statement.execute(arguments: [entity.collection, entity.key, tag,
                                                  try OpStore.logRowID(add.log, db), add.seq.sql])
            }
            if entity.collection == Desk.ticket { dirty.ticketDocuments.insert(entity.key) }
        case let .claim(entity, action, holder, lease, observed):
            try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO mv_claim (collection, key, author, epoch, seq, hlc, action, holder,
                    lease_seconds, observed_author, observed_epoch, observed_seq)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [
                    entity.collection, entity.key, stamp.ref.author.key.data, stamp.ref.epoch.sql,
                    stamp.ref.seq.sql, stamp.hlc.rawValue.sql, Int64(action.rawValue), holder?.key.data,
                    Int64(lease), observed?.author.key.data, observed?.epoch.sql, observed?.seq.sql,
                ])
            try refreshClaims(entity, db: db)
            if entity.collection == Desk.ticket { dirty.tickets.insert(entity.key) }
        }
    }

    // MARK: grow-only set

    /// `GrowOnlySet` in one statement: the upsert replaces the kept payload only when the incoming stamp
    /// (hlc, author, epoch, seq) is smaller. Row values compare like ``Stamp``: integers numerically,
    /// the author blob byte-wise; the kept stamp's author and epoch are read through `log` only when the HLCs tie.
    /// Returns whether the row changed.
    private static func insert(_ entity: EntityRef, fields: [Field], stamp: Stamp, log: Int64, db: Database) throws -> Bool {
        let statement = """
            INSERT INTO mv_entity (collection, key, fields, hlc, log, seq) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (collection, key) DO UPDATE SET
                fields = excluded.fields, hlc = excluded.hlc, log = excluded.log, seq = excluded.seq
            WHERE excluded.hlc < mv_entity.hlc OR (excluded.hlc = mv_entity.hlc
                AND (?, ?, excluded.seq) < (SELECT author, epoch, mv_entity.seq FROM log WHERE id = mv_entity.log))
            """
        var fast = try FastStatement(db, statement)
        fast.bind(entity.collection)
        fast.bind(entity.key)
        fast.bind(FieldList.encode(fields))
        fast.bind(stamp.hlc.rawValue)
        fast.bind(log)
        fast.bind(stamp.ref.seq)
        fast.bind(stamp.ref.author.key)
        fast.bind(stamp.ref.epoch)
        try fast.run()
        return db.changesCount > 0
    }

    // MARK: last-writer-wins register

    /// `LastWriterWins` in one statement: the upsert replaces the value only when the incoming stamp is
    /// greater, comparing as ``insert(_:fields:stamp:log:db:)`` does. Returns whether the row changed.
    private static func set(_ entity: EntityRef, field: String, value: Value, stamp: Stamp, log: Int64, db: Database) throws -> Bool {
        var fast = try FastStatement(db, """
            INSERT INTO mv_register (collection, key, field, value, hlc, log, seq) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (collection, key, field) DO UPDATE SET
                value = excluded.value, hlc = excluded.hlc, log = excluded.log, seq = excluded.seq
            WHERE excluded.hlc > mv_register.hlc OR (excluded.hlc = mv_register.hlc
                AND (?, ?, excluded.seq) > (SELECT author, epoch, mv_register.seq FROM log WHERE id = mv_register.log))
            """)
        fast.bind(entity.collection)
        fast.bind(entity.key)
        fast.bind(field)
        fast.bind(value.encoded)
        fast.bind(stamp.hlc.rawValue)
        fast.bind(log)
        fast.bind(stamp.ref.seq)
        fast.bind(stamp.ref.author.key)
        fast.bind(stamp.ref.epoch)
        try fast.run()
        return db.changesCount > 0
    }

    // MARK: claims

    /// Re-resolves one item's claim state from all its claim ops (an item has few).
    static func refreshClaims(_ entity: EntityRef, db: Database, recomputing: Bool = false) throws {
        let arguments: StatementArguments = [entity.collection, entity.key]
        var records: [ClaimRecord] = []
        var select = try FastStatement(db, """
            SELECT author, epoch, seq, hlc, action, holder, lease_seconds, observed_author, observed_epoch, observed_seq
            FROM mv_claim WHERE collection = ? AND key = ?
            """)
        select.bind(entity.collection)
        select.bind(entity.key)
        try select.forEachRow { row in
            records.append(try claimRecord(row))
            return true
        }
        // Only leads and admins may reassign: the roster decides, when the node belongs to a team.
        let roster = records.contains { $0.action == .reassign } ? try OpStore.loadRoster(db) : nil
        let resolution = ClaimResolver.resolve(records) { roster?.mayReassign($0) ?? true }
        // An item's first claim: no earlier state or conflicts to clear.
        let first = records.count == 1 && !recomputing
        if !first {
            try db.cachedStatement(sql: "DELETE FROM mv_claim_state WHERE collection = ? AND key = ?")
                .execute(arguments: arguments)
        }
        if let current = resolution.current {
            var insert = try FastStatement(db, """
                INSERT INTO mv_claim_state (collection, key, author, epoch, seq, action, holder, since_hlc, lease_ends_ms)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            insert.bind(entity.collection)
            insert.bind(entity.key)
            insert.bind(current.ref.author.key)
            insert.bind(current.ref.epoch)
            insert.bind(current.ref.seq)
            insert.bind(Int64(current.action.rawValue))
            if let holder = current.holder { insert.bind(holder.key) } else { insert.bindNull() }
            insert.bind(current.stamp.hlc.rawValue)
            insert.bind(current.leaseEndsMillis)
            try insert.run()
        }
        if !first {
            try db.cachedStatement(sql: "DELETE FROM mv_claim_conflict WHERE collection = ? AND key = ?")
                .execute(arguments: arguments)
        }
        guard !resolution.conflicts.isEmpty else { return }
        let insertConflict = try db.cachedStatement(sql: """
            INSERT INTO mv_claim_conflict (collection, key, loser_author, loser_epoch, loser_seq, loser_hlc,
                loser_holder, winner_author, winner_epoch, winner_seq, reason)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for conflict in resolution.conflicts {
            let loser = conflict.loser
            try insertConflict.execute(arguments: [
                entity.collection, entity.key, loser.ref.author.key.data, loser.ref.epoch.sql, loser.ref.seq.sql,
                loser.stamp.hlc.rawValue.sql, loser.holder?.key.data, conflict.winner?.ref.author.key.data,
                conflict.winner?.ref.epoch.sql, conflict.winner?.ref.seq.sql, conflict.reason.rawValue,
            ])
        }
    }

    // MARK: row decoding

    static func ref(_ row: Row) throws -> OpRef {
        OpRef(author: try row.author("author"), epoch: try row.u64("epoch"), seq: try row.u64("seq"))
    }

    static func stamp(_ row: Row) throws -> Stamp {
        Stamp(hlc: HLC(rawValue: try row.u64("hlc")), ref: try ref(row))
    }

    /// ``claimRecord(_:)-(Row)`` for a row of `author, epoch, seq, hlc, action, holder, lease_seconds,
    /// observed_author, observed_epoch, observed_seq` read with the C API.
    static func claimRecord(_ row: FastRow) throws(StoreError) -> ClaimRecord {
        guard let action = ClaimAction(rawValue: UInt8(clamping: row.int64(4))) else {
            throw StoreError.corrupt("mv_claim.action out of range")
        }
        let observed: OpRef? = row.isNull(7) ? nil : OpRef(
            author: AuthorID(key: try row.bytes32(7, "observed_author")), epoch: try row.u64(8, "observed_epoch"),
            seq: try row.u64(9, "observed_seq"))
        let ref = OpRef(author: AuthorID(key: try row.bytes32(0, "author")), epoch: try row.u64(1, "epoch"), seq: try row.u64(2, "seq"))
        return ClaimRecord(
            stamp: Stamp(hlc: HLC(rawValue: try row.u64(3, "hlc")), ref: ref), action: action,
            holder: row.isNull(5) ? nil : AuthorID(key: try row.bytes32(5, "holder")),
            leaseSeconds: UInt32(clamping: row.int64(6)), observed: observed)
    }

    static func claimRecord(_ row: Row) throws -> ClaimRecord {
        guard let action = ClaimAction(rawValue: UInt8(clamping: row["action"] as Int64)) else {
            throw StoreError.corrupt("mv_claim.action out of range")
        }
        let observed: OpRef?
        if let author = try row.optionalBytes32("observed_author") {
            observed = OpRef(author: AuthorID(key: author), epoch: try row.u64("observed_epoch"),
                             seq: try row.u64("observed_seq"))
        } else {
            observed = nil
        }
        return ClaimRecord(
            stamp: try stamp(row), action: action, holder: try row.optionalBytes32("holder").map(AuthorID.init(key:)),
            leaseSeconds: UInt32(clamping: row["lease_seconds"] as Int64), observed: observed)
    }
}

/// The canonical encoding of an insert payload as stored in `mv_entity.fields`:
/// a u32 count, then each field's name and value, sorted by name.
public enum FieldList {
    /// Encodes fields (already in canonical order).
    public static func encode(_ fields: [Field]) -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        w.u32(UInt32(fields.count))
        for field in fields {
            w.string(field.name)
            field.value.encode(into: &w)
        }
        return w.bytes
    }

    /// Decodes fields stored by ``encode(_:)``.
    public static func decode(_ bytes: [UInt8]) throws(ByteDecodingError) -> [Field] {
        try ByteReader.decodeAll(bytes) { r throws(ByteDecodingError) in
            let count = Int(try r.u32("fields.count"))
            if count > Limits.maxInsertFields {
                throw .tooLarge(field: "fields.count", length: count, limit: Limits.maxInsertFields)
            }
            var fields: [Field] = []
            for _ in 0..<count {
                let name = try r.string("fields.name", limit: Limits.maxIdentifierBytes)
                fields.append(Field(name, try Value.decode(from: &r, field: "fields.value")))
            }
            return fields
        }
    }
}
