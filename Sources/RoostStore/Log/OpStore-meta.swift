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

    /// Binds this database to a node's identity and epoch. Refuses to rebind a bound database.
    public func bindLocalLog(_ log: LogID) throws(StoreError) {
        guard log.epoch <= Limits.maxOrdinal else { throw .invalidOperation("epoch out of range") }
        try write { db in
            let bound = try Int.fetchOne(db, sql: "SELECT count(*) FROM meta WHERE key IN ('local_author', 'local_epoch')") ?? 0
            guard bound == 0 else { throw StoreError.invalidOperation("this database already belongs to a node") }
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('local_author', ?), ('local_epoch', ?)",
                           arguments: [log.author.key.data, log.epoch.sql])
        }
    }
}
