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

    /// Binds a value as GRDB holds it (a REAL as a double).
    mutating func bind(_ value: DatabaseValue) {
        switch value.storage {
        case .null: bindNull()
        case let .int64(i): bind(i)
        case let .double(d): sqlite3_bind_double(statement.sqliteStatement, next(), d)
        case let .string(s): bind(s)
        case let .blob(b): bind([UInt8](b))
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

    /// Reads the first row with `read`; nil when the statement returns none.
    func firstRow<T>(_ read: (FastRow) throws -> T) throws -> T? {
        var result: T? = nil
        try forEachRow { row in
            result = try read(row)
            return false
        }
        return result
    }

    /// Steps through the rows, handing each to `body` to read its columns with the C API (no GRDB `Row`, an
    /// allocation and a boxed value per column, for each row of a hot read) until `body` returns false.
    func forEachRow(_ body: (FastRow) throws -> Bool) throws {
        let handle = statement.sqliteStatement
        defer { sqlite3_reset(handle) }
        while true {
            switch sqlite3_step(handle) {
            case SQLITE_DONE:
                return
            case SQLITE_ROW:
                guard try body(FastRow(handle: handle)) else { return }
            case let code:
                throw DatabaseError(resultCode: ResultCode(rawValue: code),
                                    message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
        }
    }
}

/// The current row of a ``FastStatement``, read by column index; valid only inside ``FastStatement/forEachRow(_:)``.
/// The readers' `name` arguments are for the error only.
struct FastRow {
    fileprivate let handle: OpaquePointer

    /// A non-negative INTEGER column.
    func u64(_ index: Int32, _ name: StaticString) throws(StoreError) -> UInt64 {
        guard sqlite3_column_type(handle, index) == SQLITE_INTEGER else { throw .corrupt("\(name) is not an integer") }
        let value = sqlite3_column_int64(handle, index)
        guard value >= 0 else { throw .corrupt("\(name) is negative") }
        return UInt64(value)
    }

    /// A column's name (for assertions that a `SELECT *` lists the columns a reader expects).
    func name(_ index: Int32) -> String { sqlite3_column_name(handle, index).map { String(cString: $0) } ?? "" }

    /// Whether a column is NULL.
    func isNull(_ index: Int32) -> Bool { sqlite3_column_type(handle, index) == SQLITE_NULL }

    /// An INTEGER column as it is stored.
    func int64(_ index: Int32) -> Int64 { sqlite3_column_int64(handle, index) }

    /// An INTEGER column, nil when it is NULL.
    func optionalInt64(_ index: Int32) -> Int64? { isNull(index) ? nil : sqlite3_column_int64(handle, index) }

    /// A TEXT column, nil when it is NULL.
    func text(_ index: Int32) -> String? {
        guard sqlite3_column_type(handle, index) != SQLITE_NULL, let pointer = sqlite3_column_text(handle, index) else { return nil }
        let count = Int(sqlite3_column_bytes(handle, index))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    /// A column as GRDB would hold it.
    func databaseValue(_ index: Int32) -> DatabaseValue {
        switch sqlite3_column_type(handle, index) {
        case SQLITE_INTEGER: return sqlite3_column_int64(handle, index).databaseValue
        case SQLITE_FLOAT: return sqlite3_column_double(handle, index).databaseValue
        case SQLITE_TEXT: return (text(index) ?? "").databaseValue
        case SQLITE_BLOB: return Data(blob(index) ?? []).databaseValue
        default: return .null
        }
    }

    /// A BLOB column's bytes, nil when it is NULL.
    func blob(_ index: Int32) -> [UInt8]? {
        guard sqlite3_column_type(handle, index) != SQLITE_NULL else { return nil }
        // The pointer first, then the length (https://sqlite.org/c3ref/column_blob.html); an empty blob may be NULL.
        guard let pointer = sqlite3_column_blob(handle, index) else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(handle, index))))
    }

    /// A 32-byte BLOB column.
    func bytes32(_ index: Int32, _ name: StaticString) throws(StoreError) -> Bytes32 {
        // The pointer first, then the length (https://sqlite.org/c3ref/column_blob.html).
        guard let pointer = sqlite3_column_blob(handle, index) else { throw .corrupt("\(name) is NULL") }
        let count = Int(sqlite3_column_bytes(handle, index))
        guard count == 32 else { throw .corrupt("a 32-byte column holds \(count) bytes") }
        return Bytes32(loadingFrom: UnsafeRawBufferPointer(start: pointer, count: 32), at: 0)
    }
}
