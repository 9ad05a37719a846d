import Foundation
import GRDB
public import RoostCore
import RoostCrypto

extension OpStore {
    /// The identity this database belongs to: the local author and its current log epoch.
    /// Bound by `roost init`, moved to a new epoch when the team asks for format 2 (``currentLocalAuthor(_:)``); nil in a
    /// database that belongs to no node (a scratch store).
    public func localLog() throws(StoreError) -> LogID? {
        try read { db in try Self.boundLocalLog(db)?.0 }
    }

    /// Binds this database to a node's identity and epoch, whose log is written in op format `format` (1, or 2:
    /// Protocol/SPEC-format-2.md; fixed for the epoch). Refuses to rebind a bound database.
    public func bindLocalLog(_ log: LogID, format: Int = 1) throws(StoreError) {
        guard log.epoch <= Limits.maxOrdinal else { throw .invalidOperation("epoch out of range") }
        guard format == 1 || format == 2 else { throw .invalidOperation("op formats are 1 and 2") }
        try write { db in
            let bound = try Int.fetchOne(db, sql: "SELECT count(*) FROM meta WHERE key IN ('local_author', 'local_epoch')") ?? 0
            guard bound == 0 else { throw StoreError.invalidOperation("this database already belongs to a node") }
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('local_author', ?), ('local_epoch', ?)",
                           arguments: [log.author.key.data, log.epoch.sql])
            if format == 2 { try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('local_format', 2)") }
        }
    }

    /// The op format of the local epoch's log, as it was bound (``bindLocalLog(_:format:)``): 1 or 2.
    public func localLogFormat() throws(StoreError) -> Int {
        try read { db in try Self.boundLocalLog(db)?.1 ?? 1 }
    }

    /// The `team/settings` register an admin sets to 2 to move the team's nodes to op format 2 (DESIGN-format-2.md
    /// F2.9 point 1).
    public static let logFormatSetting = "log_format"

    /// The op format the team asks its nodes to write: 2 when the winning write of `team/settings` `log_format` says 2
    /// and its author was an admin when writing it (as every setting is judged); 1 otherwise, and without a team.
    public func teamLogFormat() throws(StoreError) -> Int {
        try read { db in try teamLogFormat(db) }
    }

    func teamLogFormat(_ db: Database) throws -> Int {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT r.value, r.hlc, l.author, l.epoch, r.seq FROM mv_register r JOIN log l ON l.id = r.log
            WHERE r.collection = 'team' AND r.key = 'settings' AND r.field = ?
            """, arguments: [Self.logFormatSetting]),
              case .int(2) = try Value.decode([UInt8](row["value"] as Data)),
              let roster = try rosterCache.roster(db)
        else { return 1 }
        let stamp = try Materializer.stamp(row)
        return roster.role(of: stamp.ref.author, before: stamp) == .admin ? 2 : 1
    }

    /// The author local appends are made as: `author`'s key with the epoch and format bound to this database. When
    /// that log is format 1 and the team asks for format 2 (``teamLogFormat()``), a new epoch in format 2 is bound
    /// first — a log's format is fixed by its first op, so a node changes format only in a new epoch, and never back.
    /// A database bound to no node (a scratch store) appends as `author` says.
    public func currentLocalAuthor(_ author: LocalAuthor) throws(StoreError) -> LocalAuthor {
        let (bound, asked) = try read { db in (try Self.boundLocalLog(db), try teamLogFormat(db)) }
        guard let (log, format) = bound else { return author }
        guard log.author == author.id else { throw .invalidOperation("this database belongs to another node") }
        if format == 2 || asked == 1 { return LocalAuthor(key: author.key, epoch: log.epoch, format: format) }
        return try write { db in
            // Checked again in the write: another process of this node may have switched first.
            guard let (log, format) = try Self.boundLocalLog(db) else { return author }
            let asked = try teamLogFormat(db)
            if format == 2 || asked == 1 { return LocalAuthor(key: author.key, epoch: log.epoch, format: format) }
            var epoch: UInt64
            repeat {
                epoch = SecureRandom.uint64() & Limits.maxOrdinal
            } while try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM log WHERE author = ? AND epoch = ?)",
                                      arguments: [log.author.key.data, epoch.sql]) ?? true
            try db.execute(sql: "UPDATE meta SET value = ? WHERE key = 'local_epoch'", arguments: [epoch.sql])
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('local_format', 2)")
            return LocalAuthor(key: author.key, epoch: epoch, format: 2)
        }
    }

    /// The local log and its format as bound in `meta`; nil in a database bound to no node.
    static func boundLocalLog(_ db: Database) throws -> (LogID, Int)? {
        guard let author = try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'local_author'"),
              let epoch = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'local_epoch'")
        else { return nil }
        let format = try Int.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'local_format'") ?? 1
        return (LogID(author: AuthorID(key: try Bytes32(data: author)), epoch: UInt64(epoch)), format)
    }

    /// Appends to the local log: as ``currentLocalAuthor(_:)`` says (the bound epoch and format, switched to format 2 in
    /// a new epoch when the team asks), ``append(_:by:clock:)`` for format 1, ``append(v2:by:clock:)`` for format 2.
    @discardableResult
    public func appendLocal(_ bodies: [OpBody], by author: LocalAuthor, clock: any WallClock) throws(StoreError) -> LocalAppend {
        let author = try currentLocalAuthor(author)
        if author.format == 2 {
            let appended = try append(v2: bodies, by: author, clock: clock)
            return LocalAppend(ops: zip(appended.batch.ops, bodies).map { op, body in
                HeldOp(ref: op.header.ref, hlc: op.header.hlc, kind: op.header.kind, body: body)
            }, erased: appended.erased)
        }
        let appended = try append(bodies, by: author, clock: clock)
        return LocalAppend(ops: zip(appended.headers, bodies).map { header, body in
            HeldOp(ref: header.ref, hlc: header.hlc, kind: header.kind, body: body)
        }, erased: appended.erased)
    }
}

/// What a local append wrote, whichever format the log is in.
public struct LocalAppend: Hashable, Sendable {
    /// The new ops, in order.
    public var ops: [HeldOp]
    /// Op bodies the appended erasure ops dropped on this node.
    public var erased: Int
    /// The new ops' positions, in order.
    public var refs: [OpRef] { ops.map(\.ref) }

    /// Creates a result.
    public init(ops: [HeldOp], erased: Int) {
        self.ops = ops
        self.erased = erased
    }
}
