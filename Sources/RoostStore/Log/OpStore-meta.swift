import Foundation
import GRDB
public import RoostCore

extension OpStore {
    /// The identity this database belongs to: the local author and its current log epoch.
    /// Written once by `roost init`; nil in a database that belongs to no node (a scratch store).
    public func localLog() throws(StoreError) -> LogID? {
        try read { db in
            guard let author = try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'local_author'"),
                  let epoch = try Int64.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'local_epoch'")
            else { return nil }
            return LogID(author: AuthorID(key: try Bytes32(data: author)), epoch: UInt64(epoch))
        }
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
        try read { db in
            if let format = try Int.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'local_format'") { return format }
            return 1
        }
    }

    /// Appends to the local author's log in the author's format (``LocalAuthor/format``): ``append(_:by:clock:)`` for
    /// format 1, ``append(v2:by:clock:)`` for format 2.
    @discardableResult
    public func appendLocal(_ bodies: [OpBody], by author: LocalAuthor, clock: any WallClock) throws(StoreError) -> LocalAppend {
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
