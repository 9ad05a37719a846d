import Foundation
import GRDB
public import RoostCore

/// The team as this store holds it: the founder (meta `team_founder`), the roster folded from the roster ops, and
/// what members published about themselves (name, address). Enforcing the roster on the op log is the log's job
/// (``OpStore`` admission, Log/OpStore-admission.swift).
extension TeamRoster {
    /// The team's founder, when this node belongs to a team.
    public func founder() throws(StoreError) -> AuthorID? {
        try read { db in try OpStore.loadFounder(db) }
    }

    /// Pins the team's founder. Refuses to change a founder already pinned.
    public func setFounder(_ founder: AuthorID) throws(StoreError) {
        try write { db in
            if let pinned = try OpStore.loadFounder(db) {
                guard pinned == founder else { throw StoreError.invalidOperation("this node already belongs to another team") }
                return
            }
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('team_founder', ?)", arguments: [founder.key.data])
            try OpStore.bumpRosterVersion(db)
            // Ops merged before the node joined may come from authors the roster does not admit.
            try OpStore.enforceRoster(db)
        }
    }

    /// The roster folded from every roster op held (nil without a team).
    public func roster() throws(StoreError) -> RosterState? {
        try read { db in try store.rosterCache.roster(db) }
    }

    /// A member's current role by the roster fold (agent, lead, admin, gateway); nil without a team, or
    /// when the member is not (or no longer) admitted.
    public func memberRole(_ id: AuthorID) throws(StoreError) -> String? {
        try roster()?.currentRole(of: id)?.rawValue
    }

    /// A member's display name from their profile insert (`name`, else `initials`), when published.
    public func memberName(_ id: AuthorID) throws(StoreError) -> String? {
        let fields = try store.state.entity(EntityRef("member", id.text))
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
    public func name() throws(StoreError) -> String? {
        try store.state.register(EntityRef("team", "info"), "name")?.stringValue
    }

    /// Peer exchange: each member's own published address (`member/<id>.address`), counted only when the
    /// winning write is the member's own (anyone else's write hides it rather than redirecting peers).
    public func memberAddresses() throws(StoreError) -> [AuthorID: String] {
        try selfPublished("address").compactMapValues(\.stringValue)
    }

    /// The sync protocol version each member's node says it speaks (`member/<id>.protocol`, written by the member's
    /// own node when it starts): the team's `log_format` 2 waits for every member at version 4 (DESIGN-format-2.md F2.9).
    public func memberProtocols() throws(StoreError) -> [AuthorID: Int] {
        try selfPublished("protocol").compactMapValues { if case let .int(version) = $0 { Int(clamping: version) } else { nil } }
    }

    /// `member/<id>.<field>` of every member, counted only when the member itself wrote the winning value.
    private func selfPublished(_ field: String) throws(StoreError) -> [AuthorID: Value] {
        try read { db in
            var result: [AuthorID: Value] = [:]
            let rows = try Row.fetchAll(db, sql: """
                SELECT r.key, r.value, l.author FROM mv_register r JOIN log l ON l.id = r.log
                WHERE r.collection = ? AND r.field = ?
                """, arguments: [RosterSchema.member, field])
            for row in rows {
                guard let member = try? AuthorID(text: row["key"] as String),
                      try row.bytes32("author") == member.key,
                      let value = try? Value.decode([UInt8](row["value"] as Data))
                else { continue }
                result[member] = value
            }
            return result
        }
    }
}
