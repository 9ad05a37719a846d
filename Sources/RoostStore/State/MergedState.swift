import Foundation
import GRDB
public import RoostCore

/// Reads of the merged state: what the CRDT rules made of every held op (SPEC.md §2).
extension MergedState {
    /// The current value of a register, or nil when never written.
    public func register(_ entity: EntityRef, _ field: String) throws(StoreError) -> Value? {
        try read { db in
            guard let data = try Data.fetchOne(db, sql: """
                SELECT value FROM mv_register WHERE collection = ? AND key = ? AND field = ?
                """, arguments: [entity.collection, entity.key, field]) else { return nil }
            return try Value.decode([UInt8](data))
        }
    }

    /// The tags present on an entity, sorted.
    public func tags(of entity: EntityRef) throws(StoreError) -> [String] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT tag FROM mv_tag WHERE collection = ? AND key = ? ORDER BY tag",
                                arguments: [entity.collection, entity.key])
        }
    }

    /// The payload of an inserted entity, or nil when not inserted.
    public func entity(_ entity: EntityRef) throws(StoreError) -> [Field]? {
        try read { db in
            guard let data = try Data.fetchOne(db, sql: "SELECT fields FROM mv_entity WHERE collection = ? AND key = ?",
                                               arguments: [entity.collection, entity.key]) else { return nil }
            return try FieldList.decode([UInt8](data))
        }
    }

    /// The resolved claim state of an item: the current claim-chain op, or nil if never claimed.
    public func claim(on entity: EntityRef) throws(StoreError) -> ClaimStatus? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM mv_claim_state WHERE collection = ? AND key = ?",
                                             arguments: [entity.collection, entity.key]) else { return nil }
            guard let action = ClaimAction(rawValue: UInt8(clamping: row["action"] as Int64)) else {
                throw StoreError.corrupt("mv_claim_state.action out of range")
            }
            return ClaimStatus(
                current: try Materializer.ref(row), action: action,
                holder: try row.optionalBytes32("holder").map(AuthorID.init(key:)),
                since: HLC(rawValue: try row.u64("since_hlc")), leaseEndsMillis: try row.u64("lease_ends_ms"))
        }
    }

    /// Claim conflicts recorded on an entity (all entities when nil).
    public func claimConflicts(on entity: EntityRef? = nil) throws(StoreError) -> [ClaimConflictRow] {
        try read { db in
            let sql = "SELECT * FROM mv_claim_conflict"
                + (entity == nil ? "" : " WHERE collection = ? AND key = ?")
                + " ORDER BY collection, key, loser_hlc, loser_author, loser_epoch, loser_seq"
            let arguments: StatementArguments = entity.map { [$0.collection, $0.key] } ?? []
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                let winner: OpRef? = try row.optionalBytes32("winner_author").map { key in
                    OpRef(author: AuthorID(key: key), epoch: try row.u64("winner_epoch"), seq: try row.u64("winner_seq"))
                }
                return ClaimConflictRow(
                    entity: EntityRef(row["collection"], row["key"]),
                    loser: OpRef(author: try row.author("loser_author"), epoch: try row.u64("loser_epoch"),
                                 seq: try row.u64("loser_seq")),
                    loserHolder: try row.optionalBytes32("loser_holder").map(AuthorID.init(key:)),
                    winner: winner, reason: ClaimConflictReason(rawValue: row["reason"]) ?? .concurrent)
            }
        }
    }

    /// Every register of an entity, sorted by field name.
    public func registers(of entity: EntityRef) throws(StoreError) -> [(String, Value)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT field, value FROM mv_register WHERE collection = ? AND key = ? ORDER BY field",
                             arguments: [entity.collection, entity.key])
                .map { row in (row["field"] as String, try Value.decode([UInt8](row["value"] as Data))) }
        }
    }

    /// The adds of `tag` on `entity` this node holds and has not seen removed: what a removal observes.
    public func observedTagAdds(_ entity: EntityRef, tag: String) throws(StoreError) -> [OpRef] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT l.author, l.epoch, a.seq FROM mv_tag_add a JOIN log l ON l.id = a.log
                WHERE a.collection = ? AND a.key = ? AND a.tag = ?
                AND NOT EXISTS (SELECT 1 FROM mv_tag_removal r WHERE r.collection = a.collection AND r.key = a.key
                    AND r.tag = a.tag AND r.add_log = a.log AND r.add_seq = a.seq)
                """, arguments: [entity.collection, entity.key, tag]).map(Materializer.ref).sorted()
        }
    }

    /// The insert whose payload an entity keeps (the earliest, ``GrowOnlySet``), or nil when not inserted.
    public func insertRef(of entity: EntityRef) throws(StoreError) -> OpRef? {
        try read { db in
            try Row.fetchOne(db, sql: """
                SELECT l.author, l.epoch, e.seq FROM mv_entity e JOIN log l ON l.id = e.log WHERE e.collection = ? AND e.key = ?
                """, arguments: [entity.collection, entity.key]).map(Materializer.ref)
        }
    }

    /// Which of `entities` have been inserted, in one read (an import asks this for every message, ticket and
    /// customer it reads: one read each cost a fifth of the TWCS import).
    public func existing(_ entities: some Collection<EntityRef>) throws(StoreError) -> Set<EntityRef> {
        let byCollection = Dictionary(grouping: entities, by: \.collection)
        return try read { db in
            var found = Set<EntityRef>()
            for (collection, refs) in byCollection {
                try KeyChunks.forEach(Array(Set(refs.map(\.key)))) { chunk, marks in
                    for key in try String.fetchAll(db, sql: "SELECT key FROM mv_entity WHERE collection = ? AND key IN (\(marks))",
                                                   arguments: StatementArguments([collection] + chunk)) {
                        found.insert(EntityRef(collection, key))
                    }
                }
            }
            return found
        }
    }

    /// Whether an entity has been inserted.
    public func exists(_ entity: EntityRef) throws(StoreError) -> Bool {
        try read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM mv_entity WHERE collection = ? AND key = ?)",
                              arguments: [entity.collection, entity.key]) ?? false
        }
    }

    /// A register's current value with the stamp of the write that won (its author is the stamp's).
    public func registerWithStamp(_ entity: EntityRef, _ field: String) throws(StoreError) -> (value: Value, stamp: Stamp)? {
        try read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT r.value, r.hlc, l.author, l.epoch, r.seq FROM mv_register r JOIN log l ON l.id = r.log
                WHERE r.collection = ? AND r.key = ? AND r.field = ?
                """, arguments: [entity.collection, entity.key, field])
            else { return nil }
            return (try Value.decode([UInt8](row["value"] as Data)), try Materializer.stamp(row))
        }
    }
}

/// The materialized claim state of one item.
public struct ClaimStatus: Hashable, Sendable {
    /// The current claim-chain op.
    public var current: OpRef
    /// What it did.
    public var action: ClaimAction
    /// Who holds the item (nil after a release).
    public var holder: AuthorID?
    /// When the current claim was made.
    public var since: HLC
    /// When its lease ends (Unix ms).
    public var leaseEndsMillis: UInt64
}

/// One recorded claim conflict.
public struct ClaimConflictRow: Hashable, Sendable {
    /// The item.
    public var entity: EntityRef
    /// The losing op.
    public var loser: OpRef
    /// Whom the losing op would have made holder.
    public var loserHolder: AuthorID?
    /// The op that won instead.
    public var winner: OpRef?
    /// Why it lost.
    public var reason: ClaimConflictReason
}
