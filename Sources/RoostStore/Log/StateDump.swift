import Foundation
public import GRDB
public import RoostCore
import RoostCrypto

/// The canonical dump of the materialized state: every materialized table in a fixed order, rows in
/// primary-key order, each SQLite value encoded as a tag byte (0 NULL, 1 INTEGER, 2 REAL, 3 TEXT, 4 BLOB)
/// and its big-endian or length-prefixed bytes. Its BLAKE2b-256 is the state hash: two replicas have
/// byte-identical materialized state exactly when their state hashes match.
/// A table the state dump or verify's comparison walks: its name, the columns that order its rows, and what its rows
/// are read from — the table itself, or a query that gives its state columns back (``Schema/logKeyedViewsSQL(suffix:)``).
struct StateTable: Sendable {
    var name: String
    var orderBy: String
    /// A `FROM` operand: the table's name, or a parenthesized `SELECT` with the state's columns in order.
    var source: String
    /// False for a view derived from other tables (`mv_tag`): a re-fold has nothing to clear in it.
    var stored: Bool

    init(_ name: String, _ orderBy: String, source: String? = nil, stored: Bool = true) {
        self.name = name
        self.orderBy = orderBy
        self.source = source ?? name
        self.stored = stored
    }

    /// Every row of the table as the state has it, in order.
    var selectAll: String { "SELECT * FROM \(source) ORDER BY \(orderBy)" }
}

enum StateDump {
    static func encode(_ value: DatabaseValue, into w: inout ByteWriter) {
        switch value.storage {
        case .null: w.u8(0)
        case let .int64(i): w.u8(1); w.i64(i)
        case let .double(d): w.u8(2); w.u64(d.bitPattern)
        case let .string(s): w.u8(3); w.string(s)
        case let .blob(b): w.u8(4); w.lengthPrefixed([UInt8](b))
        }
    }

    static func hash(_ db: Database) throws -> Bytes32 {
        var hasher = Blake2bHasher()
        for table in Schema.materializedTables {
            hasher.update(tableBytes(table.name))
            let rows = try Row.fetchCursor(db, sql: table.selectAll)
            while let row = try rows.next() { hasher.update(rowBytes(row)) }
        }
        return Bytes32(hasher.finalize())!
    }

    /// What the dump holds before a table's rows: its name.
    static func tableBytes(_ name: String) -> [UInt8] {
        var w = ByteWriter()
        w.string(name)
        return w.bytes
    }

    /// What the dump holds for one row: its values in column order.
    static func rowBytes(_ row: Row) -> [UInt8] {
        var w = ByteWriter(capacity: 128)
        for value in row.databaseValues { encode(value, into: &w) }
        return w.bytes
    }

    /// Describes a row by its ordering columns, for error messages (ids only, never payloads).
    static func describe(_ row: Row, table: StateTable) -> String {
        let keys = table.orderBy.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let parts = keys.map { key -> String in
            let value: DatabaseValue = row[key] ?? .null
            switch value.storage {
            case .null: return "\(key)=null"
            case let .int64(i): return "\(key)=\(i)"
            case let .double(d): return "\(key)=\(d)"
            case let .string(s): return "\(key)=\(s)"
            case let .blob(b):
                if let id = AuthorID(bytes: [UInt8](b)) { return "\(key)=\(id.short)" }
                return "\(key)=0x\(Hex.encode([UInt8](b).prefix(8)))"
            }
        }
        return "\(table.name)(\(parts.joined(separator: ", ")))"
    }
}

extension OpStore {
    /// BLAKE2b-256 of the canonical dump of the materialized state.
    public func stateHash() throws(StoreError) -> Bytes32 {
        try read { db in try StateDump.hash(db) }
    }

    /// The canonical dump, table by table, including the desk's derived tables (tests compare replicas with it).
    public func stateDump() throws(StoreError) -> [String: [[DatabaseValue]]] {
        try read { db in
            var dump: [String: [[DatabaseValue]]] = [:]
            for table in Schema.comparedTables {
                dump[table.name] = try Row.fetchAll(db, sql: table.selectAll)
                    .map { Array($0.databaseValues) }
            }
            return dump
        }
    }
}
