import Foundation
import GRDB
public import RoostCore

/// A register write that lost to a write by another member: what `roost-inspect conflicts` calls an
/// overwrite. Ops carry no causal context, so whether the winner's author had seen the loser is unknown.
public struct RegisterOverwrite: Hashable, Sendable {
    /// The entity.
    public var entity: EntityRef
    /// The register.
    public var field: String
    /// The write that lost.
    public var loser: Stamp
    /// Its value.
    public var loserValue: Value
    /// The write in force.
    public var winner: Stamp
    /// Its value.
    public var winnerValue: Value
}

extension OpStore {
    /// The materialized rows of one entity in every merged table (and, for a ticket, its `desk_ticket`
    /// row), one line per row, `table: column=value ...` with blobs as hex. Two nodes holding the same
    /// ops on the entity have identical lines.
    public func entityStateLines(_ entity: EntityRef) throws(StoreError) -> [String] {
        try read { db in
            var lines: [String] = []
            for table in Schema.materializedTables {
                let rows = try Row.fetchAll(db, sql: """
                    SELECT * FROM \(table.name) WHERE collection = ? AND key = ? ORDER BY \(table.orderBy)
                    """, arguments: [entity.collection, entity.key])
                for row in rows { lines.append(Self.line(table.name, row, skipping: ["collection", "key"])) }
            }
            if entity.collection == Desk.ticket {
                for row in try Row.fetchAll(db, sql: "SELECT * FROM desk_ticket WHERE key = ?", arguments: [entity.key]) {
                    lines.append(Self.line("desk_ticket", row, skipping: ["key"]))
                }
            }
            return lines
        }
    }

    private static func line(_ table: String, _ row: Row, skipping: Set<String>) -> String {
        let parts = row.columnNames.filter { !skipping.contains($0) }.map { name -> String in
            let value: DatabaseValue = row[name] ?? .null
            switch value.storage {
            case .null: return "\(name)=null"
            case let .int64(i): return "\(name)=\(i)"
            case let .double(d): return "\(name)=\(d)"
            case let .string(s): return "\(name)=\(s)"
            case let .blob(b): return "\(name)=0x\(Hex.encode([UInt8](b)))"
            }
        }
        return "\(table): " + parts.joined(separator: " ")
    }

    /// Keys of every ticket inserted, sorted.
    public func ticketKeys() throws(StoreError) -> [String] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT key FROM mv_entity WHERE collection = ? ORDER BY key", arguments: [Desk.ticket])
        }
    }

    /// The ticket a message belongs to, from its merged insert payload.
    public func ticket(ofMessage id: String) throws(StoreError) -> String? {
        try entity(EntityRef(Desk.message, id))?.first { $0.name == "ticket" }?.value.stringValue
    }

    /// A ticket's queue as the desk projection holds it.
    public func queue(ofTicket key: String) throws(StoreError) -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT queue FROM desk_ticket WHERE key = ?", arguments: [key]) }
    }

    /// A member's current role by the roster fold (agent, lead, admin, gateway); nil without a team, or
    /// when the member is not (or no longer) admitted.
    public func memberRole(_ id: AuthorID) throws(StoreError) -> String? {
        try roster()?.currentRole(of: id)?.rawValue
    }

    /// A member's display name from their profile insert (`name`, else `initials`), when published.
    public func memberName(_ id: AuthorID) throws(StoreError) -> String? {
        let fields = try entity(EntityRef("member", id.text))
        return fields?.first { $0.name == "name" }?.value.stringValue ?? fields?.first { $0.name == "initials" }?.value.stringValue
    }

    /// Every member the store knows of: a `member/<node id>` profile insert or register.
    public func knownMembers() throws(StoreError) -> [AuthorID] {
        let keys = try read { db in
            try String.fetchAll(db, sql: """
                SELECT key FROM mv_entity WHERE collection = 'member' UNION SELECT key FROM mv_register WHERE collection = 'member'
                """)
        }
        return keys.compactMap { try? AuthorID(text: $0) }.sorted()
    }

    /// The team's name (register `name` of `team/info`), when set.
    public func teamName() throws(StoreError) -> String? {
        try register(EntityRef("team", "info"), "name")?.stringValue
    }

    /// Register writes on `collection` entities that lost to a write by another author, sorted by the
    /// winner's stamp. Recomputed from the op log with ``LastWriterWins``.
    public func registerOverwrites(collection: String = Desk.ticket) throws(StoreError) -> [RegisterOverwrite] {
        var groups: [EntityRef: [String: [(Stamp, Value)]]] = [:]
        for op in try storedOps(StoredOpFilter(kind: .set)) {
            guard case let .set(entity, field, value)? = op.decoded, entity.collection == collection else { continue }
            groups[entity, default: [:]][field, default: []].append((op.stamp, value))
        }
        var result: [RegisterOverwrite] = []
        for (entity, fields) in groups {
            for (field, writes) in fields {
                guard let top = writes.max(by: { $0.0 < $1.0 }) else { continue }
                for write in writes where write.0 != top.0 && write.0.ref.author != top.0.ref.author {
                    result.append(RegisterOverwrite(entity: entity, field: field, loser: write.0, loserValue: write.1,
                                                    winner: top.0, winnerValue: top.1))
                }
            }
        }
        return result.sorted { ($0.entity, $0.field, $0.loser) < ($1.entity, $1.field, $1.loser) }
    }
}

extension OpStore {
    /// Outbound replies by outbox state (register `outbox` of `message/*`).
    public func outboxCounts() throws(StoreError) -> [OutboxState: Int] {
        try read { db in
            var counts: [OutboxState: Int] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT value, count(*) AS n FROM mv_register WHERE collection = ? AND field = 'outbox' GROUP BY value
                """, arguments: [Desk.message]) {
                if let state = try Value.decode([UInt8](row["value"] as Data)).stringValue.flatMap(OutboxState.init(rawValue:)) {
                    counts[state, default: 0] += row["n"] as Int
                }
            }
            return counts
        }
    }

    /// The earliest HLC among the ops this node holds that a peer holding `vector` lacks (nil: it lacks none):
    /// how far back its view of the team is.
    public func oldestMissingHLC(for vector: VersionVector) throws(StoreError) -> HLC? {
        try read { db in
            var oldest: HLC?
            for row in try Row.fetchAll(db, sql: "SELECT author, epoch, sealed_seq FROM log_head") {
                let log = LogID(author: try row.author("author"), epoch: try row.u64("epoch"))
                guard try row.u64("sealed_seq") > vector[log] else { continue }
                if let raw = try Int64.fetchOne(db, sql: "SELECT hlc FROM op WHERE author = ? AND epoch = ? AND seq = ?",
                                                arguments: [log.author.key.data, log.epoch.sql, (vector[log] + 1).sql]) {
                    let hlc = HLC(rawValue: UInt64(bitPattern: raw))
                    oldest = min(oldest ?? hlc, hlc)
                }
            }
            return oldest
        }
    }
}
