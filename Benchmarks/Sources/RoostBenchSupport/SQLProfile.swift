import Foundation
public import GRDB

/// Collects SQLite's own per-statement timings (`sqlite3_trace_v2` with SQLITE_TRACE_PROFILE, via
/// GRDB's `Database.trace(options: .profile)`) on one writer connection, grouped by statement text.
/// Used by `roost-bench --only sql-profile` to split wall time into "inside SQLite" and "outside".
public final class SQLProfile: @unchecked Sendable {
    public struct Entry: Sendable {
        public var sql: String
        public var count: Int
        public var nanos: UInt64
    }

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]

    public init() {}

    /// Starts collecting on `writer`'s writer connection.
    public func attach(to writer: any DatabaseWriter) {
        writer.writeWithoutTransaction { db in
            db.trace(options: .profile) { [self] event in
                guard case let .profile(statement, duration) = event else { return }
                let sql = statement.sql
                let nanos = UInt64(max(0, duration * 1e9))
                lock.withLock {
                    entries[sql, default: Entry(sql: sql, count: 0, nanos: 0)].count += 1
                    entries[sql, default: Entry(sql: sql, count: 0, nanos: 0)].nanos += nanos
                }
            }
        }
    }

    /// Stops collecting on `writer`.
    public func detach(from writer: any DatabaseWriter) {
        writer.writeWithoutTransaction { db in db.trace(options: .profile, nil) }
    }

    public func reset() { lock.withLock { entries.removeAll() } }

    /// Entries, most expensive first.
    public var sorted: [Entry] { lock.withLock { entries.values.sorted { $0.nanos > $1.nanos } } }
}
