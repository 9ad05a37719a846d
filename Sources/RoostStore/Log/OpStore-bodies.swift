import Foundation
import GRDB
public import RoostCore
import RoostCrypto

/// A body a node lacks: the op's position and its header hash (so a peer answers only for the same op).
public struct BodyWant: Hashable, Sendable {
    public var ref: OpRef
    public var hash: Bytes32
    /// Creates a want.
    public init(ref: OpRef, hash: Bytes32) { self.ref = ref; self.hash = hash }
}

/// A body a peer sent for a wanted op.
public struct HeldBody: Hashable, Sendable {
    public var ref: OpRef
    public var body: [UInt8]
    /// Creates a held body.
    public init(ref: OpRef, body: [UInt8]) { self.ref = ref; self.body = body }
}

/// Fetching a body again (SPEC.md §1.9a, Protocol/SPEC-sync.md `want-bodies`/`bodies`): an op held as a header that
/// no effective erasure names (withheld by a sender, or erased by an erasure a revocation later voided) has no
/// effect, and any peer that holds its body can restore it. The header commits to the body, so nothing is trusted.
extension OpStore {
    /// Up to `limit` held ops without a body that no effective erasure names, oldest position first.
    public func wantedBodies(limit: Int) throws(StoreError) -> [BodyWant] {
        try read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT log.author, log.epoch, b.seq, b.hash FROM op_bodyless b
                JOIN log ON log.id = b.log
                WHERE NOT EXISTS (
                    SELECT 1 FROM erasure_target t
                    JOIN erasure e ON e.author = t.erasure_author AND e.epoch = t.erasure_epoch AND e.seq = t.erasure_seq
                    WHERE t.author = log.author AND t.epoch = log.epoch AND t.seq = b.seq AND t.hash = b.hash
                      AND e.state = 1)
                ORDER BY log.author, log.epoch, b.seq LIMIT ?
                """), arguments: [limit]).map { row in
                BodyWant(ref: OpRef(author: try row.author("author"), epoch: try row.u64("epoch"), seq: try row.u64("seq")),
                         hash: try row.bytes32("hash"))
            }
        }
    }

    /// The bodies this node holds for `wants` (same position, same header hash, body present). An op this node
    /// erased or never held is left out.
    public func heldBodies(_ wants: [BodyWant]) throws(StoreError) -> [HeldBody] {
        try read { db in
            let statement = try db.cachedStatement(sql: "SELECT kind, body FROM op WHERE author = ? AND epoch = ? AND seq = ? AND body IS NOT NULL")
            return try wants.compactMap { want in
                guard let row = try Row.fetchOne(statement, arguments: [want.ref.author.key.data, want.ref.epoch.sql,
                                                                        want.ref.seq.sql]),
                      try Self.opHash(want.ref.log, seq: want.ref.seq, db) == want.hash
                else { return nil }
                let body = try StoredBody.decode([UInt8](row["body"] as Data), kind: try OpRow.kind(row["kind"]), at: want.ref)
                return HeldBody(ref: want.ref, body: body.bytes)
            }
        }
    }

    /// Restores the bodies that match their held headers (length, hash, canonical decoding) of ops still wanted, and
    /// merges those ops as if they had just arrived; others are ignored. Returns how many were restored.
    @discardableResult
    public func restoreBodies(_ bodies: [HeldBody]) throws(StoreError) -> Int {
        guard !bodies.isEmpty else { return 0 }
        let (restored, erased) = try write { db -> (Int, Int) in
            let lookup = try db.cachedStatement(sql: """
                SELECT * FROM op WHERE author = ? AND epoch = ? AND seq = ? AND body IS NULL
                """)
            var dirty = DeskProjection.Dirty()
            var restored = 0
            let format2 = try Self.format2Logs(db)
            for item in bodies {
                let position: StatementArguments = [item.ref.author.key.data, item.ref.epoch.sql, item.ref.seq.sql]
                guard let row = try Row.fetchOne(lookup, arguments: position) else { continue }
                var prevs = PrevHashes()
                let held = try prevs.read(row, db)
                let header = held.header
                // Bodies travel as format 1 bytes; a format 2 header commits to the body v2 they decode to (canonical
                // both ways: SPEC-format-2.md §2.3).
                guard let decoded = try? OpBody.decode(kind: header.kind, bytes: item.body) else { continue }
                let committed = format2.contains(header.ref.log) ? decoded.encodedV2() : item.body
                guard committed.count == Int(header.bodyLength), OpCrypto.bodyHash(committed) == header.bodyHash,
                      try ErasureLedger.effectiveResidue(of: item.ref, hash: held.hash, db: db) == nil
                else { continue }
                try Self.restoreBody(item.ref, body: decoded, db)
                try db.execute(sql: "DELETE FROM op_erasure WHERE author = ? AND epoch = ? AND seq = ?", arguments: position)
                try Materializer.apply(decoded, stamp: Stamp(hlc: header.hlc, ref: header.ref),
                                       log: try Self.logRowID(header.ref.log, db), dirty: &dirty, db: db)
                restored += 1
            }
            if dirty.roster { _ = try Self.enforceRoster(db) }
            if dirty.erasures || dirty.roster { _ = try ErasureLedger.judge(db, dirty: &dirty) }
            try dirty.flush(db)
            if dirty.erased > 0 { try ErasureLedger.compactIndex(db) }
            return (restored, dirty.erased)
        }
        if erased > 0 { scrubAfterErasure() }
        return restored
    }
}
