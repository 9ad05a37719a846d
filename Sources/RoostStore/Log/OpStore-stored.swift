import Foundation
import GRDB
public import RoostCore
import RoostCrypto

/// Read-only queries for admin tools (`roost-inspect`): stored ops with their seal status, positions,
/// and per-author counts. None of them writes; all work on a store opened with ``OpStore/init(readOnlyPath:)``.

/// Whether an op is covered by a seal, as far as this node's store can tell.
public enum SealStatus: Hashable, Sendable, CustomStringConvertible {
    /// Covered by the seal at `seq`, whose signature verifies over the op at that seq.
    case sealed(at: UInt64)
    /// Covered by the seal at `seq`, but that seal does not verify (forged or altered).
    case badSeal(at: UInt64)
    /// No stored seal at or after this op.
    case unsealed

    public var description: String {
        switch self {
        case let .sealed(seq): "sealed@\(seq)"
        case let .badSeal(seq): "BAD-SEAL@\(seq)"
        case .unsealed: "unsealed"
        }
    }
}

/// One stored op: header, stored hash, body (nil once erased) and whether the erasure was recorded.
public struct StoredOp: Hashable, Sendable {
    /// The header as stored.
    public var header: OpHeader
    /// The hash stored with it.
    public var hash: Bytes32
    /// The body bytes; nil when erased (or missing).
    public var body: [UInt8]?
    /// True when the body was erased on purpose (redaction).
    public var erased: Bool
    /// The seq of the first stored seal at or after this op, if any.
    public var coveringSeal: UInt64?

    /// The op's position.
    public var ref: OpRef { header.ref }
    /// The op's merge-order stamp.
    public var stamp: Stamp { Stamp(hlc: header.hlc, ref: header.ref) }
    /// The decoded body, when present, matching its hash, and valid.
    public var decoded: OpBody? {
        guard let body, body.count == Int(header.bodyLength), OpCrypto.bodyHash(body) == header.bodyHash else { return nil }
        return try? OpBody.decode(kind: header.kind, bytes: body)
    }
}

/// Which ops ``OpStore/storedOps(_:)`` returns.
public struct StoredOpFilter: Sendable {
    /// Only ops by this author.
    public var author: AuthorID?
    /// Only ops whose HLC wall time is at or after this (Unix ms).
    public var sinceMillis: UInt64?
    /// Only ops of this kind.
    public var kind: OpKind?
    /// Only ops whose body starts with this entity's encoding (an op about that entity).
    public var entity: EntityRef?

    /// Creates a filter; nil fields match everything.
    public init(author: AuthorID? = nil, sinceMillis: UInt64? = nil, kind: OpKind? = nil, entity: EntityRef? = nil) {
        self.author = author; self.sinceMillis = sinceMillis; self.kind = kind; self.entity = entity
    }
}

/// Ops by one author, and how many of them are not yet covered by a seal.
public struct AuthorOpCount: Hashable, Sendable {
    /// The author.
    public var author: AuthorID
    /// Logs (epochs) held of this author.
    public var logs: Int
    /// Ops stored.
    public var ops: Int
    /// Ops after the highest sealed seq of their log.
    public var unsealed: Int
}

extension OpStore {
    /// Stored ops matching `filter`, in merge order (HLC, author, epoch, seq).
    public func storedOps(_ filter: StoredOpFilter = .init()) throws(StoreError) -> [StoredOp] {
        var clauses: [String] = []
        var arguments: StatementArguments = []
        if let author = filter.author {
            clauses.append("op.author = ?")
            arguments += [author.key.data]
        }
        if let since = filter.sinceMillis {
            clauses.append("op.hlc >= ?")
            arguments += [HLC(physicalMillis: min(since, HLC.maxPhysical), logical: 0).rawValue.sql]
        }
        if let kind = filter.kind {
            clauses.append("op.kind = ?")
            arguments += [Int64(kind.rawValue)]
        }
        if let entity = filter.entity {
            let prefix = StoredBody.prefix(entity: entity)
            clauses.append("substr(op.body, 1, \(prefix.count)) = ?")
            arguments += [Data(prefix)]
        }
        let sql = """
            SELECT op.*, op_erasure.seq IS NOT NULL AS erased,
                coalesce((SELECT min(seal.seq) FROM seal WHERE seal.author = op.author AND seal.epoch = op.epoch
                    AND seal.seq >= op.seq), \(Self.coveringSealV2SQL)) AS covering_seal
            FROM op LEFT JOIN op_erasure USING (author, epoch, seq)
            \(clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND "))
            ORDER BY op.author, op.epoch, op.seq
            """
        // Read in log order, so each op's `prev` is the row before or recomputed from the last one of its log read
        // (PrevHashes): one pass over each log, however sparse the filter. Then sorted into merge order.
        let found: [StoredOp] = try read { db in
            var prevs = PrevHashes()
            let ops = try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                let op = try prevs.read(row, db)
                let covering: Int64? = row["covering_seal"]
                return StoredOp(header: op.header, hash: op.hash, body: op.body, erased: row["erased"] as Bool,
                                coveringSeal: covering.map { UInt64(bitPattern: $0) })
            }
            return try Self.withFormat2Hashes(ops, db)
        }
        return found.sorted { $0.stamp < $1.stamp }
    }

    /// The seal status of each op in `ops`: its covering seal is checked (signature, and head equal to the
    /// stored hash of the op at the seal's seq; a seal v2 for a format 2 log). The chain between the op and the seal is
    /// `verify`'s job.
    public func sealStatuses(of ops: [StoredOp]) throws(StoreError) -> [OpRef: SealStatus] {
        var checked: [OpRef: Bool] = [:]
        var result: [OpRef: SealStatus] = [:]
        for op in ops {
            guard let at = op.coveringSeal else {
                result[op.ref] = .unsealed
                continue
            }
            let sealRef = OpRef(author: op.ref.author, epoch: op.ref.epoch, seq: at)
            let ok: Bool
            if let known = checked[sealRef] {
                ok = known
            } else {
                ok = try read { db in
                    if let row = try Row.fetchOne(db, sql: "SELECT * FROM seal WHERE author = ? AND epoch = ? AND seq = ?",
                                                  arguments: [sealRef.author.key.data, sealRef.epoch.sql, sealRef.seq.sql]) {
                        let seal = try Self.seal(from: row)
                        return try Self.recomputedHash(sealRef, db) == seal.head && OpCrypto.verify(seal)
                    }
                    guard let row = try Row.fetchOne(db, sql: """
                        SELECT s.from_seq, s.head, s.scopes_root, s.signature FROM seal_v2 s JOIN log l ON l.id = s.log
                        WHERE l.author = ? AND l.epoch = ? AND s.seq = ?
                        """, arguments: [sealRef.author.key.data, sealRef.epoch.sql, sealRef.seq.sql]) else { return false }
                    let seal = SealV2(author: sealRef.author, epoch: sealRef.epoch, fromSeq: try row.u64("from_seq"), seq: sealRef.seq,
                                      head: try row.bytes32("head"), scopesRoot: try row.bytes32("scopes_root"),
                                      signature: [UInt8](row["signature"] as Data))
                    return try Self.recomputedHash(sealRef, db) == seal.head && OpCryptoV2.verify(seal)
                }
                checked[sealRef] = ok
            }
            result[op.ref] = ok ? .sealed(at: at) : .badSeal(at: at)
        }
        return result
    }

    /// Every op position held, with its stored hash (for comparing two nodes).
    public func opPositions() throws(StoreError) -> [OpRef: Bytes32] {
        try read { db in
            var positions: [OpRef: Bytes32] = [:]
            var prevs = PrevHashes()
            let rows = try Row.fetchCursor(db, sql: "SELECT * FROM op ORDER BY author, epoch, seq")
            while let row = try rows.next() {
                let op = try prevs.read(row, db)
                positions[op.header.ref] = op.hash
            }
            // A format 2 log's hashes are its format 2 headers' (the `op` rows above give format 1's shape).
            for log in try Self.format2Logs(db) {
                for (seq, hash) in try Self.format2Hashes(log, through: Limits.maxOrdinal, db) {
                    positions[OpRef(author: log.author, epoch: log.epoch, seq: seq)] = hash
                }
            }
            return positions
        }
    }

    /// Stored ops at the given positions (positions not held are skipped), in merge order.
    public func storedOps(at refs: some Sequence<OpRef>) throws(StoreError) -> [StoredOp] {
        let wanted = Array(refs)
        let found: [StoredOp] = try read { db in
            var found: [StoredOp] = []
            for ref in wanted {
                guard let row = try Row.fetchOne(db, sql: """
                    SELECT op.*, op_erasure.seq IS NOT NULL AS erased,
                        coalesce((SELECT min(seal.seq) FROM seal WHERE seal.author = op.author AND seal.epoch = op.epoch
                            AND seal.seq >= op.seq), \(Self.coveringSealV2SQL)) AS covering_seal
                    FROM op LEFT JOIN op_erasure USING (author, epoch, seq)
                    WHERE op.author = ? AND op.epoch = ? AND op.seq = ?
                    """, arguments: [ref.author.key.data, ref.epoch.sql, ref.seq.sql]) else { continue }
                var prevs = PrevHashes()
                let op = try prevs.read(row, db)
                let covering: Int64? = row["covering_seal"]
                found.append(StoredOp(header: op.header, hash: op.hash, body: op.body, erased: row["erased"] as Bool,
                                      coveringSeal: covering.map { UInt64(bitPattern: $0) }))
            }
            return try Self.withFormat2Hashes(found, db)
        }
        return found.sorted { $0.stamp < $1.stamp }
    }

    /// The seq of the seal v2 covering the `op` row of a stored-ops query (NULL in a format 1 log).
    static let coveringSealV2SQL = """
        (SELECT min(s.seq) FROM seal_v2 s JOIN log l ON l.id = s.log WHERE l.author = op.author AND l.epoch = op.epoch
            AND s.seq >= op.seq)
        """

    /// Each hash of a format 2 log through `last`, recomputed along the chain (SPEC-format-2.md §2.4).
    static func format2Hashes(_ log: LogID, through last: UInt64, _ db: Database) throws -> [UInt64: Bytes32] {
        guard let logRow = try existingLogRow(log, db) else { return [:] }
        var hashes: [UInt64: Bytes32] = [:]
        try chainForward(log, logRow: logRow, from: KnownHash(seq: 0, hash: .zero), through: last, db) { seq, _, hash in
            hashes[seq] = hash
        }
        return hashes
    }

    /// `ops` with the hash and prev of their format 2 headers where their log is format 2 (an inspection reader shows
    /// a format 2 op's real hash; its body fields are those of the format 1 bytes it decodes to, as `body` is).
    static func withFormat2Hashes(_ ops: [StoredOp], _ db: Database) throws -> [StoredOp] {
        let format2 = try format2Logs(db)
        guard !format2.isEmpty else { return ops }
        var last: [LogID: UInt64] = [:]
        for op in ops where format2.contains(op.ref.log) { last[op.ref.log] = max(last[op.ref.log] ?? 0, op.ref.seq) }
        var hashes: [LogID: [UInt64: Bytes32]] = [:]
        for (log, seq) in last { hashes[log] = try format2Hashes(log, through: seq, db) }
        return ops.map { op in
            guard let chain = hashes[op.ref.log], let hash = chain[op.ref.seq] else { return op }
            var shown = op
            shown.hash = hash
            shown.header.prev = op.ref.seq == 1 ? .zero : chain[op.ref.seq - 1] ?? op.header.prev
            return shown
        }
    }

    /// Ops stored per author, with unsealed counts, sorted by author.
    public func opCountsByAuthor() throws(StoreError) -> [AuthorOpCount] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT h.author, count(*) AS logs, sum(h.seq - h.sealed_seq) AS unsealed,
                    (SELECT count(*) FROM op WHERE op.author = h.author) AS ops
                FROM log_head h GROUP BY h.author ORDER BY h.author
                """).map { row in
                AuthorOpCount(author: try row.author("author"), logs: row["logs"], ops: row["ops"], unsealed: row["unsealed"])
            }
        }
    }
}
