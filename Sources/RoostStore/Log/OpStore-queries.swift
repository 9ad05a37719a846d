import Foundation
import GRDB
public import RoostCore

/// Summary of one log held by this node.
public struct LogSummary: Hashable, Sendable {
    /// The log.
    public var log: LogID
    /// Highest seq held.
    public var seq: UInt64
    /// Highest sealed seq held.
    public var sealed: UInt64
    /// Hash of the head op.
    public var head: Bytes32
}

/// Evidence that an author signed two different ops at one position.
public struct ForkEvidence: Hashable, Sendable {
    /// The contested position.
    public var ref: OpRef
    /// The hash of the op we hold there.
    public var ours: Bytes32
    /// The log's op format: 1, or 2 (Protocol/SPEC-format-2.md).
    public var format: Int
    /// Their headers from the position up to their seal (a format 1 log).
    public var theirs: [OpHeader]
    /// The author's seal over their version (a format 1 log).
    public var seal: Seal?
    /// Their headers v2 from the position up to their seal (a format 2 log).
    public var theirsV2: [OpHeaderV2]
    /// The author's seal v2 over their version (a format 2 log).
    public var sealV2: SealV2?
}

extension OpStore {
    /// Every log this node holds.
    public func logs() throws(StoreError) -> [LogSummary] {
        try read { db in try Self.logSummaries(db) }
    }

    static let logSummarySQL = "SELECT author, epoch, seq, sealed_seq, hash FROM log_head ORDER BY author, epoch"

    /// Every row of ``logSummarySQL``, read with SQLite's C API: this runs after every applied group and every local
    /// append (the hub's ``versionVector()``) and for every batch read, and decoding one GRDB `Row` per log was
    /// two thirds of it (Benchmarks/README.md, "Where the time goes, 2026-12-05").
    static func logSummaries(_ db: Database) throws -> [LogSummary] {
        var logs: [LogSummary] = []
        try FastStatement(db, logSummarySQL).forEachRow { row in
            logs.append(LogSummary(log: LogID(author: AuthorID(key: try row.bytes32(0, "author")), epoch: try row.u64(1, "epoch")),
                                   seq: try row.u64(2, "seq"), sealed: try row.u64(3, "sealed_seq"), head: try row.bytes32(4, "hash")))
            return true
        }
        return logs
    }

    /// The highest sealed seq of every log held.
    public func versionVector() throws(StoreError) -> VersionVector {
        VersionVector(Dictionary(uniqueKeysWithValues: try logs().map { ($0.log, $0.sealed) }))
    }

    /// The format 2 logs held (SPEC-format-2.md §2.4: a log's format is fixed by its first op).
    public func format2Logs() throws(StoreError) -> Set<LogID> {
        try read { db in try Self.format2Logs(db) }
    }

    /// Number of ops stored.
    public func opCount() throws(StoreError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM op_row") ?? 0 }
    }

    /// Fork evidence recorded so far.
    public func forks() throws(StoreError) -> [ForkEvidence] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM fork_evidence ORDER BY author, epoch, seq").map { row in
                let headers: Data = row["their_headers"]
                let sealBytes: Data = row["their_seal"]
                let format: Int = row["format"]
                let bytes = [UInt8](headers)
                let length = format == 2 ? OpHeaderV2.encodedLength : OpHeader.encodedLength
                let chunks = stride(from: 0, to: bytes.count - bytes.count % length, by: length).map { Array(bytes[$0..<$0 + length]) }
                var evidence = ForkEvidence(
                    ref: OpRef(author: try row.author("author"), epoch: try row.u64("epoch"), seq: try row.u64("seq")),
                    ours: try row.bytes32("our_hash"), format: format, theirs: [], seal: nil, theirsV2: [], sealV2: nil)
                if format == 2 {
                    evidence.theirsV2 = try chunks.map { chunk throws(ByteDecodingError) in try OpHeaderV2.decode(chunk) }
                    evidence.sealV2 = try SealV2.decode([UInt8](sealBytes))
                } else {
                    evidence.theirs = try chunks.map { chunk throws(ByteDecodingError) in try OpHeader.decode(chunk) }
                    evidence.seal = try Seal.decode([UInt8](sealBytes))
                }
                return evidence
            }
        }
    }

    /// The ops a peer holding `vector` lacks, at most about `limit` ops and `maxBytes` bytes as a sync
    /// `batch` encodes them (``Limits/runBytes(ofOpWithBody:)`` per op, plus each seal), cut at seal
    /// boundaries so every op is covered by a seal in the batch (a single sealed run longer than `limit`
    /// or larger than `maxBytes` is sent whole, when it is the first of the batch).
    public func batch(after vector: VersionVector, limit: Int = Limits.maxBatchOps,
                      maxBytes: Int = Int.max) throws(StoreError) -> OpBatch {
        try read { db in
            var batch = OpBatch()
            // What the batch takes encoded (its sync message framing left out): whole sealed runs are
            // added while they fit `maxBytes`; the first run always goes (a run is never split).
            var bytes = 0
            for summary in try logsNeeding(vector, db) {
                let remaining = limit - batch.ops.count
                guard remaining > 0 else { break }
                let from = vector[summary.log]
                let log = summary.log
                let logArgs: StatementArguments = [log.author.key.data, log.epoch.sql]
                // The latest seal within budget, or else the first seal past it.
                let within = try Row.fetchOne(db.cachedStatement(sql: """
                    SELECT * FROM seal WHERE author = ? AND epoch = ? AND seq > ? AND seq <= ? ORDER BY seq DESC LIMIT 1
                    """), arguments: logArgs + [from.sql, (from + UInt64(remaining)).sql])
                let beyond = try within ?? Row.fetchOne(db.cachedStatement(sql: """
                    SELECT * FROM seal WHERE author = ? AND epoch = ? AND seq > ? ORDER BY seq LIMIT 1
                    """), arguments: logArgs + [from.sql])
                guard let sealRow = beyond else { continue }
                let last = try Self.seal(from: sealRow)
                // Every seal up to it, and the ops (read with SQLite's C API: a GRDB `Row` per op and per seal was
                // half of this read, which runs for every batch sent to every peer): the run boundaries where the
                // batch may be cut by bytes.
                func bindRange(_ statement: inout FastStatement) {
                    statement.bind(log.author.key)
                    statement.bind(log.epoch)
                    statement.bind(from)
                    statement.bind(last.seq)
                }
                var seals: [Seal] = []
                var sealRows = try FastStatement(db, "SELECT * FROM seal WHERE author = ? AND epoch = ? AND seq > ? AND seq <= ? ORDER BY seq")
                bindRange(&sealRows)
                try sealRows.forEachRow { row in
                    seals.append(try Self.seal(from: row))
                    return true
                }
                var opRows = try FastStatement(db, "SELECT * FROM op WHERE author = ? AND epoch = ? AND seq > ? AND seq <= ? ORDER BY seq")
                bindRange(&opRows)
                var ops: [Op] = []
                var prevs = PrevHashes()
                var opsBytes = 0
                // The last run boundary that fits: ops taken, their bytes, its seal.
                var cut: (count: Int, bytes: Int, seal: Seal)?
                var nextSeal = 0
                var full = false
                try opRows.forEachRow { row in
                    let op = try prevs.read(row, db)
                    opsBytes += Limits.runBytes(ofOpWithBody: op.body?.count)
                    ops.append(Op(header: op.header, body: op.body))
                    guard nextSeal < seals.count, seals[nextSeal].seq == ops.last!.header.ref.seq else { return true }
                    let seal = seals[nextSeal]
                    nextSeal += 1
                    let total = bytes + opsBytes + Seal.encodedLength
                    // The first run of the batch always goes (a run is never split).
                    if total > maxBytes && !(batch.ops.isEmpty && cut == nil) { full = true; return false }
                    cut = (ops.count, opsBytes + Seal.encodedLength, seal)
                    return true
                }
                guard let cut else { break }
                bytes += cut.bytes
                batch.ops += ops.prefix(cut.count)
                batch.seals.append(cut.seal)
                if full { break }
            }
            return batch
        }
    }

    /// Logs the peer lacks ops of, those of the roster's authority first (the founder, then admins in the
    /// order they were admitted), so a receiver learns who is a member before it meets their ops.
    private func logsNeeding(_ vector: VersionVector, _ db: Database) throws -> [LogSummary] {
        // Format 2 logs do not travel in format 1 batches (their headers are not format 1's): sending them is step (b)
        // of DESIGN-format-2.md F2.9, not built yet.
        let format2 = try Self.format2Logs(db)
        let logs = try Self.logSummaries(db).filter { $0.sealed > vector[$0.log] && !format2.contains($0.log) }
        guard logs.count > 1, let roster = try rosterCache.roster(db) else { return logs }
        func rank(_ author: AuthorID) -> (Int, Stamp?) {
            if author == roster.founder { return (0, nil) }
            guard let member = roster.members[author] else { return (3, nil) }
            if member.roles.contains(where: { $0.role == .admin }) { return (1, member.admitted) }
            return (2, nil)
        }
        return logs.enumerated().sorted { a, b in
            let (ra, rb) = (rank(a.element.log.author), rank(b.element.log.author))
            if ra.0 != rb.0 { return ra.0 < rb.0 }
            if let sa = ra.1, let sb = rb.1, sa != sb { return sa < sb }
            return a.offset < b.offset
        }.map { $0.element }
    }
}

extension OpStore {
    /// The HLC time (ms) of each author's newest op held, over all their epochs: what availability judges a
    /// silent node by (``AvailabilityRules``).
    public func lastOpMillisByAuthor() throws(StoreError) -> [AuthorID: UInt64] {
        try read { db in
            var latest: [AuthorID: UInt64] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT h.author, o.hlc FROM log_head h JOIN op o ON o.author = h.author AND o.epoch = h.epoch AND o.seq = h.seq
                """) {
                let author = try row.author("author")
                let millis = HLC(rawValue: try row.u64("hlc")).physicalMillis
                latest[author] = max(latest[author] ?? 0, millis)
            }
            return latest
        }
    }

    /// The ops after `known` up to `current` (the store's vector read earlier), of logs of both formats, or nil when
    /// there are more than `limit`. One read (``heldOps(after:limit:)``) cuts at seal boundaries and at its limit across
    /// logs, so it may stop short of `current`: this reads on until every log reaches it.
    public func ops(after known: VersionVector, upTo current: VersionVector, limit: Int) throws(StoreError) -> [HeldOp]? {
        var position = known, ops: [HeldOp] = []
        while current.entries.contains(where: { $0.value > position[$0.key] }) {
            let next = try heldOps(after: position, limit: limit + 1 - ops.count)
            guard !next.isEmpty else { break }
            for op in next { position[op.ref.log] = max(position[op.ref.log], op.ref.seq) }
            ops += next
            if ops.count > limit { return nil }
        }
        return ops
    }

    /// The next ops held beyond `position`, about `limit` of them, whole seal ranges: format 1 logs' while any is beyond
    /// it, then format 2 logs'. Empty when nothing is beyond `position`.
    public func heldOps(after position: VersionVector, limit: Int) throws(StoreError) -> [HeldOp] {
        let batch = try batch(after: position, limit: limit)
        if !batch.ops.isEmpty { return batch.ops.map(HeldOp.init) }
        return try batchesV2(after: position, limit: limit).flatMap { batch in
            batch.ops.filter { $0.header.seq > position[$0.header.ref.log] }.map(HeldOp.init)
        }
    }

    /// The earliest HLC among the ops this node holds that a peer holding `vector` lacks (nil: it lacks none):
    /// how far back its view of the team is.
    public func oldestMissingHLC(for vector: VersionVector) throws(StoreError) -> HLC? {
        try read { db in
            var oldest: HLC?
            for row in try Row.fetchAll(db, sql: "SELECT author, epoch, sealed_seq FROM log_head") {
                let log = LogID(author: try row.author("author"), epoch: try row.u64("epoch"))
                guard try row.u64("sealed_seq") > vector[log] else { continue }
                if let raw = try Int64.fetchOne(db, sql: "SELECT hlc FROM op WHERE author = ? AND epoch = ? AND seq = ?",
                                                arguments: [log.author.key.data, log.epoch.sql, (vector[log] + 1).sql]) {
                    let hlc = HLC(rawValue: UInt64(bitPattern: raw))
                    oldest = min(oldest ?? hlc, hlc)
                }
            }
            return oldest
        }
    }
}
