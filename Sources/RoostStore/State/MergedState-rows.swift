import Foundation
import GRDB
public import RoostCore

extension MergedState {
    /// The materialized rows of one entity in every merged table (and, for a ticket, its `desk_ticket`
    /// row), one line per row, `table: column=value ...` with blobs as hex. Two nodes holding the same
    /// ops on the entity have identical lines.
    public func rows(of entity: EntityRef) throws(StoreError) -> [String] {
        try read { db in
            var lines: [String] = []
            for table in Schema.materializedTables {
                let rows = try Row.fetchAll(db, sql: """
                    SELECT * FROM \(table.source) WHERE collection = ? AND key = ? ORDER BY \(table.orderBy)
                    """, arguments: [entity.collection, entity.key])
                for row in rows { lines.append(Self.line(table.name, row, skipping: ["collection", "key"])) }
            }
            if entity.collection == Desk.ticket {
                for row in try Row.fetchAll(db, sql: "SELECT * FROM desk_ticket WHERE key = ?", arguments: [entity.key]) {
                    lines.append(Self.line("desk_ticket", row, skipping: ["key"]))
                }
            }
            return lines
        }
    }

    private static func line(_ table: String, _ row: Row, skipping: Set<String>) -> String {
        let parts = row.columnNames.filter { !skipping.contains($0) }.map { name -> String in
            let value: DatabaseValue = row[name] ?? .null
            switch value.storage {
            case .null: return "\(name)=null"
            case let .int64(i): return "\(name)=\(i)"
            case let .double(d): return "\(name)=\(d)"
            case let .string(s): return "\(name)=\(s)"
            case let .blob(b): return "\(name)=0x\(Hex.encode([UInt8](b)))"
            }
        }
        return "\(table): " + parts.joined(separator: " ")
    }
}
