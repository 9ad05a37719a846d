import Foundation
import GRDB
public import RoostCore

/// One erasure as `roost-inspect erasures` and `roost verify` list it (no customer text: ids only).
public struct ErasureRecord: Hashable, Sendable {
    /// The erasure op.
    public var ref: OpRef
    /// Its HLC.
    public var hlc: HLC
    /// The `erasure/<id>` key.
    public var id: String
    /// Its reason.
    public var reason: String
    /// The customer it names (user id), if any.
    public var customer: String?
    /// Ops it names.
    public var targets: Int
    /// Ops it names whose bodies this node dropped.
    public var erased: Int
    /// `effective`, `pending` or `refused` (its author was not a lead or an admin).
    public var state: String
}

extension ErasureViews {
    /// Every erasure this node holds (or those naming `customer`, a user id), oldest first.
    public func records(ofCustomer customer: String? = nil) throws(StoreError) -> [ErasureRecord] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT e.*, (SELECT count(*) FROM erasure_target t JOIN op_erasure x
                    ON x.author = t.author AND x.epoch = t.epoch AND x.seq = t.seq
                    WHERE t.erasure_author = e.author AND t.erasure_epoch = e.epoch AND t.erasure_seq = e.seq
                    AND e.state = 1) AS erased
                FROM erasure e \(customer == nil ? "" : "WHERE e.customer = ?") ORDER BY e.hlc, e.author, e.epoch, e.seq
                """, arguments: StatementArguments(customer.map { [$0] } ?? [])).map { row in
                ErasureRecord(
                    ref: OpRef(author: try row.author("author"), epoch: try row.u64("epoch"), seq: try row.u64("seq")),
                    hlc: HLC(rawValue: try row.u64("hlc")), id: row["id"], reason: row["reason"], customer: row["customer"],
                    targets: row["targets"], erased: row["erased"],
                    state: ["pending", "effective", "refused"][Int(clamping: row["state"] as Int64)])
            }
        }
    }

    /// The ops an erasure of `customer` (user id) names: every op on `customer/<id>`, and every insert of a
    /// message in the customer's tickets (theirs, the team's replies and notes, which quote them) or written by
    /// them elsewhere, each with its residue. Ops already without a body are left out. One scan of the log.
    public func targets(customer: String) throws(StoreError) -> [Erasure.Target] {
        try read { db in
            var entities: Set<EntityRef> = [EntityRef(Desk.customer, customer)]
            for id in try String.fetchAll(db, sql: """
                SELECT id FROM desk_message WHERE ticket IN (SELECT key FROM desk_ticket WHERE customer = ?)
                    OR (direction = 'inbound' AND author = ?)
                """, arguments: [customer, customer]) {
                entities.insert(EntityRef(Desk.message, id))
            }
            return try ErasureViews.erasureTargets(of: entities, db)
        }
    }

    /// The ops a retention erasure names: every message insert of tickets resolved or closed before `cutoffMillis`
    /// (the wall time of the op that set the status; for a conversation the brand's answer ended, its last
    /// message), in `queue` (nil: any queue), whose body is still held. Ticket keys come back too.
    public func retentionTargets(cutoffMillis: UInt64, queue: String?) throws(StoreError) -> (tickets: [String], targets: [Erasure.Target]) {
        try read { db in
            let tickets = try String.fetchAll(db, sql: """
                SELECT key FROM desk_ticket WHERE status IN ('resolved', 'closed') AND coalesce(status_set_ms, last_message_ms) < ?
                    AND (? IS NULL OR queue = ?) ORDER BY key
                """, arguments: [Int64(clamping: cutoffMillis), queue, queue])
            var entities: Set<EntityRef> = []
            try KeyChunks.forEach(tickets) { chunk, marks in
                for id in try String.fetchAll(db, sql: "SELECT id FROM desk_message WHERE ticket IN (\(marks))",
                                              arguments: StatementArguments(chunk)) {
                    entities.insert(EntityRef(Desk.message, id))
                }
            }
            guard !entities.isEmpty else { return ([], []) }
            let targets = try ErasureViews.erasureTargets(of: entities, db)
            return (tickets, targets)
        }
    }

    /// Every held body on `entities` (messages and customers only), with its residue: one scan of the log.
    static func erasureTargets(of entities: Set<EntityRef>, _ db: Database) throws -> [Erasure.Target] {
        var targets: [Erasure.Target] = []
        // Only message and customer bodies can hold the customer's text: skip the rest without decoding.
        let prefixes = [Desk.message, Desk.customer].map { Data(StoredBody.prefix(collection: $0)) }
        let rows = try Row.fetchCursor(db, sql: """
            SELECT author, epoch, seq, kind, body FROM op
            WHERE body IS NOT NULL AND (substr(body, 1, ?) = ? OR substr(body, 1, ?) = ?)
            """, arguments: [prefixes[0].count, prefixes[0], prefixes[1].count, prefixes[1]])
        while let row = try rows.next() {
            guard let kind = OpKind(rawValue: UInt16(clamping: row["kind"] as Int64)) else { continue }
            let body = try OpBody.decodeV2(kind: kind, bytes: [UInt8](row["body"] as Data))
            guard entities.contains(body.entity) else { continue }
            let ref = OpRef(author: try row.author("author"), epoch: try row.u64("epoch"), seq: try row.u64("seq"))
            // The hash is not stored for an op held with its body: recomputed (OpStore-hashes.swift).
            guard let hash = try OpStore.opHash(ref.log, seq: ref.seq, db) else { continue }
            targets.append(Erasure.Target(ref: ref, hash: hash, residue: Redaction.residue(of: body)))
        }
        return targets
    }

    /// The held bodies of the given messages (a deleted tweet's message), with their residues.
    public func targets(messages ids: Set<String>) throws(StoreError) -> [Erasure.Target] {
        try read { db in try ErasureViews.erasureTargets(of: Set(ids.map { EntityRef(Desk.message, $0) }), db) }
    }

    /// Public customer messages (tweets, so their ids are X tweet ids) created at or after `sinceMillis`, newest
    /// first, whose text this node still holds: what the gateway asks X about to learn of deleted tweets.
    public func recentInboundTweetIDs(sinceMillis: UInt64, limit: Int) throws(StoreError) -> [String] {
        try read { db in
            try String.fetchAll(db, sql: """
                SELECT m.id FROM desk_message m
                JOIN mv_entity e ON e.collection = 'message' AND e.key = m.id JOIN log l ON l.id = e.log
                LEFT JOIN op_erasure x ON x.author = l.author AND x.epoch = l.epoch AND x.seq = e.seq
                WHERE m.direction = 'inbound' AND m.dm = 0 AND m.created_ms >= ? AND x.seq IS NULL
                ORDER BY m.created_ms DESC, m.id DESC LIMIT ?
                """, arguments: [Int64(clamping: sinceMillis), limit]).filter { !$0.isEmpty && $0.utf8.allSatisfy { (0x30...0x39).contains($0) } }
        }
    }
}
