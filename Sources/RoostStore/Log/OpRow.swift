import Foundation
import GRDB
import RoostCore
import RoostCrypto

/// An op as the `op` view shows it (Schema.opStorageSQL: `op_row` joined with `log`): its header without the three
/// fields that are recomputed on reading (Protocol/DESIGN-format-2.md F2.3, applied to format 1 ops):
/// - `prev` is the hash of the op before it in its log, or zeros at seq 1 (a node holds every log it holds from its
///   first op: ops are applied in order and a revocation's cut removes a suffix, never a prefix);
/// - `body_len` is the length of the body's format 1 bytes, `body_hash` their BLAKE2b-256, and the op's own hash that
///   of its header: all three are stored only for an op held without its body (erased or withheld), in `op_bodyless`,
///   which the schema keeps to those ops (``OpStore/opHash(_:seq:after:_:)`` says where else a hash is kept).
/// With the author key stored once per log (`log`, Schema.opStorageSQL), the op table took 129 bytes per op on issue
/// 12's workload instead of 239 (Benchmarks/README.md, "Bytes per op, 2026-12-05"); without the hash, 33 fewer.
struct OpRow {
    var header: OpHeader
    /// The op's header hash, recomputed from the header.
    var hash: Bytes32
    /// The hash kept in the row (an op held without its body only): verify compares it with ``hash``.
    var storedHash: Bytes32?
    var body: [UInt8]?

    /// The op table's columns in table order: the readers take the first nine by position, so a row from
    /// `SELECT *` or `SELECT op.*` (or these columns listed first) decodes without a lookup by name.
    static let columns = ["author", "epoch", "seq", "hlc", "kind", "body_len", "body_hash", "hash", "body"]

    /// Reads a row whose first nine columns are the op table's, with `prev` given.
    init(row: Row, prev: Bytes32) throws {
        assert(Array(row.columnNames.prefix(9)) == Self.columns, "op columns out of order")
        let body: Data? = row[8]
        let storedBodyHash: Data? = row[6]
        let kind = try Self.kind(row[4] as Int64)
        let (author, epoch, seq) = (AuthorID(key: try row.bytes32(at: 0, "author")), try row.u64(at: 1, "epoch"), try row.u64(at: 2, "seq"))
        self.body = try body.map { try StoredBody.decode([UInt8]($0), kind: kind, at: OpRef(author: author, epoch: epoch, seq: seq)).bytes }
        let storedHash: Data? = row[7]
        self.storedHash = try storedHash.map { try Bytes32(data: $0) }
        self.header = OpHeader(
            author: author, epoch: epoch, seq: seq, prev: prev, hlc: HLC(rawValue: try row.u64(at: 3, "hlc")),
            kind: kind, bodyLength: Self.bodyLength(stored: row[5] as Int64?, body: self.body),
            bodyHash: try Self.bodyHash(stored: storedBodyHash.map { try Bytes32(data: $0) }, body: self.body))
        self.hash = OpCrypto.headerHash(header)
    }

    /// ``init(row:prev:)`` for a row read with the C API (``FastStatement/forEachRow(_:)``), same columns.
    init(row: FastRow, prev: Bytes32) throws {
        assert((0..<9).map { row.name(Int32($0)) } == Self.columns, "op columns out of order")
        let kind = try Self.kind(row.int64(4))
        let (author, epoch, seq) = (AuthorID(key: try row.bytes32(0, "author")), try row.u64(1, "epoch"), try row.u64(2, "seq"))
        self.body = try row.blob(8).map { try StoredBody.decode($0, kind: kind, at: OpRef(author: author, epoch: epoch, seq: seq)).bytes }
        self.storedHash = row.isNull(7) ? nil : try row.bytes32(7, "hash")
        let stored = row.isNull(6) ? nil : try row.bytes32(6, "body_hash")
        self.header = OpHeader(
            author: author, epoch: epoch, seq: seq,
            prev: prev, hlc: HLC(rawValue: try row.u64(3, "hlc")), kind: kind,
            bodyLength: Self.bodyLength(stored: row.isNull(5) ? nil : row.int64(5), body: self.body),
            bodyHash: try Self.bodyHash(stored: stored, body: self.body))
        self.hash = OpCrypto.headerHash(header)
    }

    /// The position columns of a row (the first three), for finding its `prev` before decoding it.
    static func log(of row: Row) throws -> (LogID, UInt64) {
        (LogID(author: AuthorID(key: try row.bytes32(at: 0, "author")), epoch: try row.u64(at: 1, "epoch")),
         try row.u64(at: 2, "seq"))
    }

    /// ``log(of:)`` for a row read with the C API.
    static func log(of row: FastRow) throws -> (LogID, UInt64) {
        (LogID(author: AuthorID(key: try row.bytes32(0, "author")), epoch: try row.u64(1, "epoch")), try row.u64(2, "seq"))
    }

    static func kind(_ raw: Int64) throws -> OpKind {
        let rawKind = UInt16(clamping: raw)
        guard let kind = OpKind(rawValue: rawKind) else { throw StoreError.corrupt("unknown op kind \(rawKind)") }
        return kind
    }

    private static func bodyLength(stored: Int64?, body: [UInt8]?) -> UInt32 {
        if let stored { return UInt32(clamping: stored) }
        return UInt32(clamping: body?.count ?? 0)
    }

    private static func bodyHash(stored: Bytes32?, body: [UInt8]?) throws -> Bytes32 {
        if let stored { return stored }
        guard let body else { throw StoreError.corrupt("an op row has neither its body nor its body hash") }
        return OpCrypto.bodyHash(body)
    }
}

/// Rebuilds `prev` for op rows read one after another: the previous row's hash when it is the op just before, else
/// the hash of the op before it recomputed (``OpStore/opHash(_:seq:after:_:)``, from the last row of the same log read
/// when that is nearer than every kept hash, so a sparse walk in log order costs one read of the log), zeros at seq 1.
struct PrevHashes {
    private var last: (log: LogID, seq: UInt64, hash: Bytes32)?
    private let lookUpGaps: Bool

    /// With `lookUpGaps` false (verify's walk in log order), an op whose predecessor is not the row read just before
    /// gets zeros, and the walk reports the gap, instead of a lookup.
    init(lookUpGaps: Bool = true) { self.lookUpGaps = lookUpGaps }

    /// `prev` of the op at `seq` of `log`.
    private func prev(of log: LogID, seq: UInt64, _ db: Database) throws -> Bytes32 {
        if seq == 1 { return .zero }
        if let last, last.seq == seq - 1, last.log == log { return last.hash }
        guard lookUpGaps else { return .zero }
        let known = last.flatMap { $0.log == log && $0.seq < seq ? OpStore.KnownHash(seq: $0.seq, hash: $0.hash) : nil }
        guard let hash = try OpStore.opHash(log, seq: seq - 1, after: known, db) else {
            throw StoreError.corrupt("op \(OpRef(author: log.author, epoch: log.epoch, seq: seq)): the op before it is not held")
        }
        return hash
    }

    /// Reads one row (GRDB) and remembers its hash for the next.
    mutating func read(_ row: Row, _ db: Database) throws -> OpRow {
        let (log, seq) = try OpRow.log(of: row)
        let op = try OpRow(row: row, prev: try prev(of: log, seq: seq, db))
        last = (log, seq, op.hash)
        return op
    }

    /// Reads one row (C API) and remembers its hash for the next.
    mutating func read(_ row: FastRow, _ db: Database) throws -> OpRow {
        let (log, seq) = try OpRow.log(of: row)
        let op = try OpRow(row: row, prev: try prev(of: log, seq: seq, db))
        last = (log, seq, op.hash)
        return op
    }
}
