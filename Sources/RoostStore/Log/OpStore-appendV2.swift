import Foundation
import GRDB
public import RoostCore
import RoostCrypto

/// The result of a local append to a format 2 log: the new ops (headers and bodies v2) and their seal, as a batch a
/// peer applies with ``OpStore/apply(v2:clock:)``, and each op's hash.
public struct AppendedV2: Hashable, Sendable {
    /// The new ops and the seal v2 over them.
    public var batch: OpBatchV2
    /// Each new op's hash, in order.
    public var hashes: [Bytes32]
    /// Op bodies the appended erasure ops dropped on this node.
    public var erased = 0
}

extension OpStore {
    /// Appends `bodies` to the local author's format 2 log (Protocol/SPEC-format-2.md §2.2–§2.5) in one transaction,
    /// as ``append(_:by:clock:)`` does a format 1 log: each op gets its scope by §2.2's rule (a message op that is not
    /// its insert takes the ticket of the message's merged insert, or of one inserted earlier in the same append), its
    /// scope prev (the seq of this log's newest op of that scope), its header and hash; the ops are merged and sealed
    /// by one seal v2 over them with its scopes root. The author's `format` must be 2, and the log format 2 or new.
    @discardableResult
    public func append(v2 bodies: [OpBody], by author: LocalAuthor, clock: any WallClock) throws(StoreError) -> AppendedV2 {
        guard author.format == 2 else { throw .invalidOperation("this epoch's log is format \(author.format): append(_:by:)") }
        let checked = try Self.checkedForAppend(bodies)
        var ops: [OpBatchV2.Op] = []
        var hashes: [Bytes32] = []
        var scopes = ScopeRows()
        var lastInScope: [ScopeID: UInt64] = [:]
        var insertedMessages: [String: String] = [:]
        let (seal, erased) = try appendTransaction(checked.map(\.0), by: author, clock: clock) { seq, prev, hlc, body, logRow, db in
            if case let .insert(entity, fields) = body, entity.collection == Desk.message,
               case let .string(ticket)? = fields.first(where: { $0.name == "ticket" })?.value {
                insertedMessages[entity.key] = ticket
            }
            var heldTicket: String? = nil
            if body.entity.collection == Desk.message, insertedMessages[body.entity.key] == nil {
                // The message's merged insert (as `DeskViews.ticket(ofMessage:)` reads it).
                if let data = try Data.fetchOne(db.cachedStatement(sql: "SELECT fields FROM mv_entity WHERE collection = ? AND key = ?"),
                                                arguments: [Desk.message, body.entity.key]) {
                    heldTicket = try FieldList.decode([UInt8](data)).first { $0.name == "ticket" }?.value.stringValue
                }
            }
            let name = Scope.name(of: body) { message in insertedMessages[message] ?? heldTicket }
            let scope = OpCryptoV2.scopeID(name)
            let scopePrev = try lastInScope[scope] ?? Self.lastSeq(logRow: logRow, scope: scope, before: seq, db) ?? 0
            let (header, bytes) = OpCryptoV2.makeHeader(author: author.id, epoch: author.epoch, seq: seq, prev: prev, hlc: hlc,
                                                        scope: scope, scopePrev: scopePrev, body: body)
            let hash = OpCryptoV2.opHash(header)
            try Self.insert(VerifiedOp(header: header, hash: hash, body: bytes, decoded: body), stored: bytes, logRow: logRow,
                            scope: try scopes.row(scope, db), db)
            lastInScope[scope] = seq
            ops.append(OpBatchV2.Op(header: header, body: bytes))
            hashes.append(hash)
            return hash
        } seal: { first, seq, head, logRow, db in
            let range = zip(ops, hashes).map { (scope: $0.header.scope, hash: $1) }
            let seal = OpCryptoV2.seal(key: author.key, epoch: author.epoch, fromSeq: first, seq: seq, head: head,
                                       scopesRoot: OpCryptoV2.root(OpCryptoV2.leaves(of: range)))
            try Self.insert(seal, logRow: logRow, db)
            return seal
        }
        return AppendedV2(batch: OpBatchV2(ops: ops, seals: [seal]), hashes: hashes, erased: erased)
    }
}
