import Foundation
import GRDB
import GRDBSQLite
import RoostCore

/// Runs a cached GRDB statement with values bound through SQLite's C API.
///
/// Why: GRDB's `StatementArguments` box every value as an existential and copy blobs into `Data`; on the
/// op log's hottest statements (one op row and one merge upsert per op) that was a third of the time per op.
/// The connection, transaction and statement cache stay GRDB's; errors become `DatabaseError`s with
/// SQLite's message and no argument values.
struct FastStatement {
    private let statement: Statement
    private let db: Database
    private var index: Int32 = 0

    /// SQLite copies the bytes during the bind call.
    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    init(_ db: Database, _ sql: String) throws {
        self.db = db
        statement = try db.cachedStatement(sql: sql)
        sqlite3_reset(statement.sqliteStatement)
    }

    private mutating func next() -> Int32 {
        index += 1
        return index
    }

    mutating func bind(_ value: Int64) { sqlite3_bind_int64(statement.sqliteStatement, next(), value) }
    mutating func bind(_ value: UInt64) { bind(Int64(bitPattern: value)) }
    mutating func bind(_ value: String) { sqlite3_bind_text(statement.sqliteStatement, next(), value, -1, Self.transient) }
    mutating func bindNull() { sqlite3_bind_null(statement.sqliteStatement, next()) }

    mutating func bind(_ value: Bytes32) {
        let position = next()
        _ = value.withUnsafeBytes { sqlite3_bind_blob(statement.sqliteStatement, position, $0.baseAddress, 32, Self.transient) }
    }

    mutating func bind(_ bytes: [UInt8]) {
        let position = next()
        _ = bytes.withUnsafeBytes {
            // A non-nil pointer even for an empty blob, so SQLite stores x'' and not NULL.
            sqlite3_bind_blob(statement.sqliteStatement, position, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32($0.count), Self.transient)
        }
    }

    /// Steps to completion; returns the first column of the first row as a Bool, when a row came back.
    @discardableResult
    func run() throws -> Bool? {
        let handle = statement.sqliteStatement
        defer { sqlite3_reset(handle) }
        var first: Bool? = nil
        while true {
            switch sqlite3_step(handle) {
            case SQLITE_DONE:
                return first
            case SQLITE_ROW:
                if first == nil { first = sqlite3_column_int64(handle, 0) != 0 }
            case let code:
                throw DatabaseError(resultCode: ResultCode(rawValue: code),
                                    message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
        }
    }
}
