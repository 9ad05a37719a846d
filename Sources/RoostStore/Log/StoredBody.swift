import Foundation
import RoostCore
import GRDB

/// How an op's body is stored: in the body version 2 encoding (Protocol/SPEC-format-2.md §2.3: varint lengths, zigzag
/// varint integers, a one-byte code for the desk's collections), which takes ~30% fewer bytes than the format 1
/// encoding its hash covers (SPEC.md §1.7). Both encode the same ``OpBody`` canonically, so one is re-derived from the
/// other exactly (Protocol/DESIGN-format-2.md F2.0: what is stored is a re-derivable encoding of the hashed form);
/// readers get the format 1 bytes (``OpRow``), which the header's body hash is checked against as before.
enum StoredBody {
    /// The bytes stored for `body`.
    static func encode(_ body: OpBody) -> [UInt8] { body.encodedV2() }

    /// The format 1 bytes of a stored body of an op of `kind` at `ref`, and the body. Throws ``StoreError/corrupt(_:)``
    /// when the stored bytes do not decode.
    static func decode(_ stored: [UInt8], kind: OpKind, at ref: @autoclosure () -> OpRef) throws(StoreError) -> (bytes: [UInt8], body: OpBody) {
        do {
            let body = try OpBody.decodeV2(kind: kind, bytes: stored)
            return (body.encoded(), body)
        } catch {
            throw .corrupt("op \(ref()): body does not decode: \(error)")
        }
    }

    /// The first bytes of every stored body of an op on `collection` (for filtering in SQL without decoding).
    static func prefix(collection: String) -> [UInt8] {
        var w = ByteWriter()
        if let code = OpBody.collectionCodes.firstIndex(of: collection) {
            w.u8(UInt8(code + 1))
        } else {
            w.u8(0)
            w.varString(collection)
        }
        return w.bytes
    }

    /// The first bytes of every stored body of an op on `entity`.
    static func prefix(entity: EntityRef) -> [UInt8] {
        var w = ByteWriter()
        w.raw(prefix(collection: entity.collection))
        w.varString(entity.key)
        return w.bytes
    }
}

extension StoredBody {
    /// Rows re-encoded per step of ``reencodeFormat1Bodies(_:)``.
    static let reencodeChunk = 10_000

    /// Re-encodes every stored format 1 body in the version 2 encoding (the migration that adopts it), in chunks of
    /// rows in key order. A body that does not decode as format 1 is left as it is: reading it then names the op as
    /// corrupt, as verify would have before.
    static func reencodeFormat1Bodies(_ db: Database) throws {
        var after: (Int64, Int64) = (0, 0)
        while true {
            let rows = try Row.fetchAll(db, sql: """
                SELECT log, seq, kind, body FROM op_row WHERE body IS NOT NULL AND (log, seq) > (?, ?) ORDER BY log, seq LIMIT ?
                """, arguments: [after.0, after.1, reencodeChunk])
            guard let last = rows.last else { return }
            after = (last["log"], last["seq"])
            let update = try db.cachedStatement(sql: "UPDATE op_row SET body = ? WHERE log = ? AND seq = ?")
            for row in rows {
                guard let kind = OpKind(rawValue: UInt16(clamping: row["kind"] as Int64)),
                      let body = try? OpBody.decode(kind: kind, bytes: [UInt8](row["body"] as Data))
                else { continue }
                try update.execute(arguments: [Data(encode(body)), row["log"], row["seq"]])
            }
        }
    }
}
