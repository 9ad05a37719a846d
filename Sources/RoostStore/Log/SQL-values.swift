import Foundation
import GRDB
import RoostCore

// Conversions between Roost's values and SQLite's. Epoch, seq and HLC stay below 2^63
// (see Limits.maxOrdinal), so they are stored as plain INTEGERs and order the same as in Swift.

extension Bytes32 {
    var data: Data { withUnsafeBytes { Data($0) } }

    init(data: Data) throws(StoreError) {
        guard let value = Bytes32(data) else { throw .corrupt("a 32-byte column holds \(data.count) bytes") }
        self = value
    }
}

extension UInt64 {
    var sql: Int64 { Int64(bitPattern: self) }
}

/// Keys for `IN (…)` lookups, in chunks of at most ``StoreLimits/keysPerLookup`` (under SQLite's limit on bound
/// variables), each handed over with its `?, ?, …` placeholders.
enum KeyChunks {
    static func forEach<Key>(_ keys: [Key], _ body: (_ chunk: [Key], _ marks: String) throws -> Void) rethrows {
        for start in stride(from: 0, to: keys.count, by: StoreLimits.keysPerLookup) {
            let chunk = Array(keys[start..<min(keys.count, start + StoreLimits.keysPerLookup)])
            try body(chunk, Array(repeating: "?", count: chunk.count).joined(separator: ", "))
        }
    }
}

extension Row {
    func bytes32(_ column: String) throws(StoreError) -> Bytes32 {
        guard let data: Data = self[column] else { throw .corrupt("\(column) is NULL") }
        return try Bytes32(data: data)
    }

    func optionalBytes32(_ column: String) throws(StoreError) -> Bytes32? {
        guard let data: Data = self[column] else { return nil }
        return try Bytes32(data: data)
    }

    func u64(_ column: String) throws(StoreError) -> UInt64 {
        guard let value: Int64 = self[column], value >= 0 else { throw .corrupt("\(column) is NULL or negative") }
        return UInt64(value)
    }

    func author(_ column: String) throws(StoreError) -> AuthorID { AuthorID(key: try bytes32(column)) }

    // By position, for hot paths whose queries list their columns (a lookup by name compares names
    // case-insensitively, per column and row); `name` is for the error only.

    func bytes32(at index: Int, _ name: StaticString) throws(StoreError) -> Bytes32 {
        guard let data: Data = self[index] else { throw .corrupt("\(name) is NULL") }
        return try Bytes32(data: data)
    }

    func u64(at index: Int, _ name: StaticString) throws(StoreError) -> UInt64 {
        guard let value: Int64 = self[index], value >= 0 else { throw .corrupt("\(name) is NULL or negative") }
        return UInt64(value)
    }
}

/// Runs GRDB work, turning its untyped errors into ``StoreError`` without statement arguments.
func mapDatabaseErrors<T>(_ work: () throws -> T) throws(StoreError) -> T {
    do {
        return try work()
    } catch let error as StoreError {
        throw error
    } catch let error as DatabaseError where error.resultCode == .SQLITE_FULL {
        throw .diskFull
    } catch let error as DatabaseError {
        throw .database("\(error.resultCode): \(error.message ?? "no message")")
    } catch {
        throw .database(String(describing: type(of: error)))
    }
}

extension TicketStatus {
    /// The open-work statuses as an SQL list, written the same way in every query and in the partial indexes'
    /// `WHERE` (SQLite uses a partial index only when the query repeats its condition).
    static let openWorkSQL = "(" + openWork.map { "'\($0.rawValue)'" }.joined(separator: ", ") + ")"
}
