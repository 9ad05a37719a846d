import Foundation
import GRDB
public import RoostCore
import RoostCrypto

/// The outcome of ``OpStore/verify(progress:)``.
public struct VerifyReport: Hashable, Sendable {
    /// Logs checked.
    public var logs = 0
    /// Ops checked.
    public var ops = 0
    /// Seals checked (one signature each).
    public var seals = 0
    /// Ops whose body was erased on purpose.
    public var erasedBodies = 0
    /// Erased bodies by the member whose erasure dropped them (replicated erasures only).
    public var erasedBy: [AuthorID: Int] = [:]
    /// Fork evidence records.
    public var forks = 0
    /// State hash of the materialized tables.
    public var stateHash = Bytes32.zero
    /// State hash of the re-fold from scratch (nil when it could not run).
    public var refoldStateHash: Bytes32?
    /// Everything found wrong, first problem first. Empty means the store verifies.
    public var problems: [String] = []
    /// Remarks that are not problems.
    public var notes: [String] = []

    /// True when nothing is wrong.
    public var isOK: Bool { problems.isEmpty }
}

extension OpStore {
    /// Ops read per step of the re-fold.
    static let verifyChunk = 10_000

    /// Checks every chain, seal and body hash, re-folds the whole log into a scratch database, and
    /// compares it with the materialized tables row by row and by state hash.
    public func verify(progress: (@Sendable (Int) -> Void)? = nil) throws(StoreError) -> VerifyReport {
        try verify(progress: progress, refoldInMemoryOps: StoreLimits.refoldInMemoryOps)
    }

    /// ``verify(progress:)`` with the in-memory re-fold's limit given (tests take the file path with 0).
    func verify(progress: (@Sendable (Int) -> Void)?, refoldInMemoryOps: Int) throws(StoreError) -> VerifyReport {
        var report = VerifyReport()
        let scratch = try opCount() > refoldInMemoryOps
            ? OpStore(scratchWithMaxClockDriftMillis: maxClockDriftMillis)
            : OpStore(inMemoryWithMaxClockDriftMillis: maxClockDriftMillis)
        try scratch.prepareForRefold()
        // The re-fold judges reassigns by the same roster.
        if let founder = try team.founder() { try scratch.team.setFounder(founder) }
        var cursorKey: (Data, Int64, Int64)? = nil
        var chain = ChainWalker()
        var prevs = PrevHashes(lookUpGaps: false)
        var erasedOps: [(OpHeader, Bytes32)] = []
        // Two cores: this thread reads the log and checks its chains while another merges the previous chunk into
        // the scratch store (at most two chunks in flight; the merge order is the read order).
        let refold = RefoldWorker(scratch: scratch)
        // Format 2 logs are walked by their own checks (OpStore-verifyV2.swift); their ops still go to the re-fold here.
        let format2 = try read { db in try Self.format2Logs(db) }
        do {
            while true {
                var unreadable: [String] = []
                var lastRead: (Data, Int64, Int64)? = nil
                let chunk: [(OpRow, KeptHashes, Bool)] = try read { db in
                    // Each op with the hashes kept at its position (OpStore-hashes.swift): its row's (an op without
                    // its body), its checkpoint's and its seal's head; the walker compares them with the chain it
                    // recomputes.
                    let sql = """
                        SELECT op.*, op_erasure.seq IS NOT NULL AS erased, seal.head AS seal_head,
                            (SELECT c.hash FROM op_check c JOIN log ON log.id = c.log
                             WHERE log.author = op.author AND log.epoch = op.epoch AND c.seq = op.seq) AS check_hash
                        FROM op LEFT JOIN op_erasure USING (author, epoch, seq) LEFT JOIN seal USING (author, epoch, seq)
                        \(cursorKey == nil ? "" : "WHERE (op.author, op.epoch, op.seq) > (?, ?, ?)")
                        ORDER BY op.author, op.epoch, op.seq LIMIT \(Self.verifyChunk)
                        """
                    let arguments: StatementArguments = cursorKey.map { [$0.0, $0.1, $0.2] } ?? []
                    return try Row.fetchAll(db, sql: sql, arguments: arguments).compactMap { row in
                        // `prev`: the recomputed hash of the row before (zeros after a gap, which the walker reports).
                        // A row whose stored body does not decode is named, and its log's chain breaks there.
                        let position = try OpRow.log(of: row)
                        lastRead = (position.0.author.key.data, position.0.epoch.sql, position.1.sql)
                        let op: OpRow
                        do {
                            op = try prevs.read(row, db)
                        } catch let StoreError.corrupt(message) {
                            let ref = OpRef(author: position.0.author, epoch: position.0.epoch, seq: position.1)
                            unreadable.append(message.hasPrefix("op ") ? message : "op \(ref): \(message)")
                            return nil
                        }
                        let kept = KeptHashes(row: op.storedHash, check: try row.optionalBytes32("check_hash"),
                                              seal: try row.optionalBytes32("seal_head"))
                        return (op, kept, row["erased"] as Bool)
                    }
                }
                report.problems += unreadable
                guard let lastRead else { break }
                cursorKey = lastRead
                var decoded: [(OpBody, Stamp)] = []
                for (op, kept, erased) in chunk {
                    report.ops += 1
                    let header = op.header
                    if !format2.isEmpty, format2.contains(header.ref.log) {
                        // `op.body` is the body's format 1 bytes (OpRow): decoded for the re-fold; the chain is not format 1's.
                        if let body = op.body {
                            if let decodedBody = try? OpBody.decode(kind: header.kind, bytes: body) {
                                decoded.append((decodedBody, Stamp(hlc: header.hlc, ref: header.ref)))
                            }
                        } else if erased {
                            report.erasedBodies += 1
                            // An op held without its body keeps its hash (`op_bodyless`).
                            if let hash = kept.row ?? kept.check { erasedOps.append((header, hash)) }
                        } else {
                            report.problems.append("op \(header.ref): body missing (withheld: no effective erasure names it)")
                        }
                        continue
                    }
                    if let body = op.body {
                        if let decodedBody = chain.check(header: header, hash: op.hash, kept: kept, body: body, into: &report) {
                            decoded.append((decodedBody, Stamp(hlc: header.hlc, ref: header.ref)))
                        }
                    } else {
                        chain.check(header: header, hash: op.hash, kept: kept, missingBodyErased: erased, into: &report)
                        if erased { erasedOps.append((header, op.hash)) }
                    }
                }
                guard refold.submit(decoded) else { break }
                progress?(report.ops)
            }
        } catch {
            _ = try? refold.finish()
            throw error
        }
        try refold.finish()
        chain.finish()
        // Roster ops merged in log order above: re-judge the reassigns once the whole roster is in.
        try scratch.write { db in try Self.refreshReassignedClaims(db, indexesSearch: false) }
        let walkedV2 = try read { db in try Self.checkFormat2Logs(report: &report, db) }
        try read { db in try checkHeadsAndSeals(chain: chain, format2: format2, report: &report, db) }
        try read { db in try checkRosterAuthority(report: &report, db) }
        report.logs = chain.logs.count + walkedV2.count

        // Replicated erasures give every erased op its residue (SPEC.md §1.9), so the re-fold can merge it;
        // a body erased locally (`eraseBody`) has none, and then the state cannot be compared.
        let residues: [(OpBody, Stamp)]? = try read { db in
            var found: [(OpBody, Stamp)] = []
            for (header, hash) in erasedOps {
                guard let named = try ErasureLedger.effectiveResidue(of: header.ref, hash: hash, db: db) else { return nil }
                found.append((named.residue, Stamp(hlc: header.hlc, ref: header.ref)))
            }
            return found
        }
        for record in try erasures.records() where record.erased > 0 { report.erasedBy[record.ref.author, default: 0] += record.erased }
        if !report.erasedBy.isEmpty {
            let named = try read { db in
                try report.erasedBy.sorted { $0.key < $1.key }.map { author, count in
                    let name = try DeskProjection.entityFields(EntityRef(RosterSchema.member, author.text), db: db)?["name"]?.stringValue
                    return "\(count) by \(name.map { "\($0) (\(author.short))" } ?? author.short)"
                }
            }
            report.notes.append("erased bodies (replicated erasures): " + named.joined(separator: ", "))
        }
        if let residues, !residues.isEmpty {
            try scratch.write { db in
                var dirty = DeskProjection.Dirty(indexesSearch: false)
                var logRows = LogRows()
                for (body, stamp) in residues {
                    try Materializer.apply(body, stamp: stamp, log: try logRows.row(stamp.ref.log, db), dirty: &dirty, db: db)
                }
                try Self.refreshReassignedClaims(db, dirty: &dirty)
                try dirty.flush(db)
            }
        }
        if residues == nil {
            report.stateHash = try stateHash()
            report.notes.append("\(report.erasedBodies) erased bodies, some erased on this node only: the re-fold cannot "
                                + "re-derive their effects, so the materialized state was not compared")
        } else {
            let (difference, mine, refold) = try compareState(with: scratch)
            report.stateHash = mine
            report.refoldStateHash = refold
            if difference != nil || report.refoldStateHash != report.stateHash {
                report.problems.append("materialized state differs from the re-fold: "
                                       + (difference ?? "state hashes differ"))
            }
        }
        return report
    }

    private func checkHeadsAndSeals(chain: ChainWalker, format2: Set<LogID>, report: inout VerifyReport, _ db: Database) throws {
        var maxSeal: [LogID: UInt64] = [:]
        let seals = try Row.fetchCursor(db, sql: "SELECT * FROM seal ORDER BY author, epoch, seq")
        while let row = try seals.next() {
            let seal = try Self.seal(from: row)
            report.seals += 1
            // The walk compared every seal's head at a held op with the chain (and named those that differ); a seal
            // past the chain has no op.
            let ref = OpRef(author: seal.log.author, epoch: seal.log.epoch, seq: seal.seq)
            if chain.badSeals.contains(ref) {
                continue
            } else if seal.seq > chain.logs[seal.log]?.seq ?? 0 {
                report.problems.append("seal \(seal.log)/\(seal.seq): its head is not the hash of the op at that seq")
            } else if !OpCrypto.verify(seal) {
                report.problems.append("seal \(seal.log)/\(seal.seq): signature does not verify")
            } else {
                maxSeal[seal.log] = max(maxSeal[seal.log] ?? 0, seal.seq)
            }
        }
        let heads = try Row.fetchAll(db, sql: "SELECT * FROM log_head")
        var headed = Set<LogID>()
        for row in heads {
            let log = LogID(author: try row.author("author"), epoch: try row.u64("epoch"))
            headed.insert(log)
            // Format 2 heads are checked with their logs (checkFormat2Logs).
            if format2.contains(log) { continue }
            let seq = try row.u64("seq")
            guard let walked = chain.logs[log] else {
                report.problems.append("log \(log): has a head but no ops")
                continue
            }
            if walked.seq != seq {
                report.problems.append("log \(log): head says seq \(seq) but the chain ends at \(walked.seq)")
            } else if try walked.hash != row.bytes32("hash") {
                report.problems.append("log \(log): the chain does not end at its head's hash (an op was altered)")
            }
            let sealed = maxSeal[log] ?? 0
            if sealed < walked.seq {
                report.problems.append("log \(log): ops after seq \(sealed) are not covered by a valid seal")
            }
        }
        for log in chain.logs.keys.sorted() where !headed.contains(log) {
            report.problems.append("log \(log): ops without a head row")
        }
        report.forks = try Int.fetchOne(db, sql: "SELECT count(*) FROM fork_evidence") ?? 0
        if report.forks > 0 {
            report.problems.append("\(report.forks) fork evidence record(s): an author signed two histories")
        }
    }

    /// Every op held must be admitted by the roster (the node's own log excepted: before its admission
    /// its ops are pending).
    private func checkRosterAuthority(report: inout VerifyReport, _ db: Database) throws {
        guard let roster = try Self.loadRoster(db) else {
            report.notes.append("no team: roster authority not checked")
            return
        }
        let local = try Data.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'local_author'")
        for row in try Row.fetchAll(db, sql: "SELECT author, epoch, seq FROM log_head ORDER BY author, epoch") {
            let log = LogID(author: try row.author("author"), epoch: try row.u64("epoch"))
            if log.author.key.data == local { continue }
            let head = OpRef(author: log.author, epoch: log.epoch, seq: try row.u64("seq"))
            switch roster.admission(of: OpRef(author: log.author, epoch: log.epoch, seq: 1)) {
            case .notMember:
                report.problems.append("log \(log): its author is not a member of the team (no admin admitted it)")
            case .revoked:
                report.problems.append("log \(log): every op is past its author's revocation cut")
            case .member where roster.admission(of: head) != .member:
                report.problems.append("log \(log): ops after the revocation cut are held (up to seq \(head.seq))")
            case .member:
                continue
            }
        }
    }

    /// Names the first row where this store's materialized tables and `other`'s differ. Walks both tables in
    /// key order side by side, a row at a time, so memory stays flat whatever the size of the state.
    func firstDifference(from other: OpStore) throws(StoreError) -> String? {
        try compareState(with: other).difference
    }

    /// ``firstDifference(from:)`` and both state hashes, from one walk of both stores when they do not differ: the
    /// walk feeds each materialized row to its store's hash as ``StateDump/hash(_:)`` does (same tables, order and
    /// bytes). When they differ, the hashes are computed by ``stateHash()`` (a store that fails verify is the rare case).
    func compareState(with other: OpStore) throws(StoreError) -> (difference: String?, mine: Bytes32, other: Bytes32) {
        let hashed = Set(Schema.materializedTables.map(\.name))
        let walked: (String?, Bytes32, Bytes32) = try read { dbMine in
            try other.read { dbRefold in
                var hashMine = Blake2bHasher(), hashRefold = Blake2bHasher()
                for table in Schema.comparedTables {
                    let hashes = hashed.contains(table.name)
                    if hashes {
                        hashMine.update(StateDump.tableBytes(table.name))
                        hashRefold.update(StateDump.tableBytes(table.name))
                    }
                    let sql = table.selectAll
                    let mineRows = try Row.fetchCursor(dbMine, sql: sql)
                    let refoldRows = try Row.fetchCursor(dbRefold, sql: sql)
                    while true {
                        // Cursor rows are reused by the next step: copied to outlive it.
                        let mine = try mineRows.next()?.copy()
                        let refold = try refoldRows.next()?.copy()
                        if let difference = Self.difference(mine, refold, table: table) { return (difference, .zero, .zero) }
                        guard let mine, let refold else { break }
                        if hashes {
                            hashMine.update(StateDump.rowBytes(mine))
                            hashRefold.update(StateDump.rowBytes(refold))
                        }
                    }
                }
                return (nil, Bytes32(hashMine.finalize())!, Bytes32(hashRefold.finalize())!)
            }
        }
        guard let difference = walked.0 else { return (nil, walked.1, walked.2) }
        return (difference, try stateHash(), try other.stateHash())
    }

    /// How two rows at the same position of a table's ordered walk differ (ids only, never payloads), or nil.
    private static func difference(_ mine: Row?, _ refold: Row?, table: StateTable) -> String? {
        switch (mine, refold) {
        case let (mine?, refold?) where mine != refold:
            let keyMine = StateDump.describe(mine, table: table)
            let keyRefold = StateDump.describe(refold, table: table)
            if keyMine == keyRefold {
                let column = mine.columnNames.first { mine[$0] as DatabaseValue != refold[$0] as DatabaseValue }
                return "\(keyMine): column \(column ?? "?") differs"
            }
            return keyMine < keyRefold
                ? "\(keyMine) is not produced by the re-fold"
                : "\(keyRefold) is missing from the materialized table"
        case let (mine?, nil):
            return "\(StateDump.describe(mine, table: table)) is not produced by the re-fold"
        case let (nil, refold?):
            return "\(StateDump.describe(refold, table: table)) is missing from the materialized table"
        default:
            return nil
        }
    }
}

/// The hashes a store keeps at an op's position (OpStore-hashes.swift): in its row (an op held without its body),
/// in `op_check`, and as the head of a seal at it.
struct KeptHashes {
    var row: Bytes32?
    var check: Bytes32?
    var seal: Bytes32?
}

/// Walks ops in (author, epoch, seq) order checking seq contiguity, prev links, that the recomputed chain meets every
/// hash kept along it, and that bodies decode. An altered op changes its hash and every later one of its log, so the
/// next kept hash (a checkpoint at most ``StoreLimits/opCheckInterval`` ops on, a seal, or the log's head, which
/// ``OpStore`` compares after the walk) no longer matches.
struct ChainWalker {
    struct Position {
        var seq: UInt64
        var hash: Bytes32
    }

    private(set) var logs: [LogID: Position] = [:]
    /// Seals whose head is not the recomputed hash of the op at their seq.
    private(set) var badSeals: Set<OpRef> = []
    private var current: LogID?
    private var expected = Position(seq: 0, hash: .zero)

    mutating func check(header: OpHeader, hash: Bytes32, kept: KeptHashes, body: [UInt8], into report: inout VerifyReport) -> OpBody? {
        // A held body's hash is not stored: `header.bodyHash` was computed from this body (OpRow), so a changed body
        // changes the op's hash, which the next kept hash reports.
        checkLinks(header: header, hash: hash, kept: kept, into: &report)
        do {
            return try OpBody.decode(kind: header.kind, bytes: body)
        } catch {
            report.problems.append("op \(header.ref): body does not decode: \(error)")
            return nil
        }
    }

    mutating func check(header: OpHeader, hash: Bytes32, kept: KeptHashes, missingBodyErased erased: Bool,
                        into report: inout VerifyReport) {
        checkLinks(header: header, hash: hash, kept: kept, into: &report)
        if erased {
            report.erasedBodies += 1
        } else {
            report.problems.append("op \(header.ref): body missing (withheld: no effective erasure names it)")
        }
    }

    private mutating func checkLinks(header: OpHeader, hash: Bytes32, kept: KeptHashes, into report: inout VerifyReport) {
        let log = header.ref.log
        if log != current {
            finish()
            current = log
            expected = Position(seq: 0, hash: .zero)
        }
        if header.seq != expected.seq + 1 {
            report.problems.append("op \(header.ref): seq gap, expected \(expected.seq + 1)")
        }
        if header.prev != expected.hash {
            report.problems.append("op \(header.ref): prev hash does not match the previous op")
        }
        if let stored = kept.row, stored != hash {
            report.problems.append("op \(header.ref): header does not hash to its stored hash (altered)")
        }
        if let check = kept.check, check != hash {
            report.problems.append("op \(header.ref): the chain does not reach the hash kept at this seq (an op at or "
                                   + "before it was altered)")
        }
        if let head = kept.seal, head != hash {
            badSeals.insert(header.ref)
            report.problems.append("op \(header.ref): the chain does not reach the head its seal signs (an op at or "
                                   + "before it was altered)")
        }
        expected = Position(seq: header.seq, hash: hash)
    }

    mutating func finish() {
        if let current { logs[current] = expected }
    }
}

/// Merges chunks of verify's re-fold into the scratch store on a thread of its own, in the order submitted, with at
/// most two chunks waiting (so memory stays at three chunks whatever the log's size).
private final class RefoldWorker: @unchecked Sendable {
    private let scratch: OpStore
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var queue: [[(OpBody, Stamp)]] = []
    private var closed = false
    private var running = true
    private var failure: StoreError?

    static let maxWaiting = 2

    init(scratch: OpStore) {
        self.scratch = scratch
        let thread = Thread { [self] in run() }
        thread.name = "roost-refold"
        thread.start()
    }

    /// Queues a chunk, waiting while two are queued; false when the worker has failed (``finish()`` throws it).
    func submit(_ chunk: [(OpBody, Stamp)]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= Self.maxWaiting && failure == nil { condition.wait() }
        guard failure == nil else { return false }
        queue.append(chunk)
        condition.broadcast()
        return true
    }

    /// Waits until every queued chunk is merged; throws the worker's error, if any.
    func finish() throws(StoreError) {
        condition.lock()
        closed = true
        condition.broadcast()
        while running { condition.wait() }
        let failure = self.failure
        condition.unlock()
        if let failure { throw failure }
    }

    private func run() {
        var logRows = OpStore.LogRows()
        while true {
            condition.lock()
            while queue.isEmpty && !closed { condition.wait() }
            if queue.isEmpty {
                running = false
                condition.broadcast()
                condition.unlock()
                return
            }
            let chunk = queue.removeFirst()
            condition.broadcast()
            condition.unlock()
            do {
                try scratch.write { db in
                    var dirty = DeskProjection.Dirty(indexesSearch: false)
                    for (body, stamp) in chunk {
                        try Materializer.apply(body, stamp: stamp, log: try logRows.row(stamp.ref.log, db), dirty: &dirty, db: db)
                    }
                    try dirty.flush(db)
                }
            } catch {
                condition.lock()
                failure = error
                queue.removeAll()
                closed = true
                condition.broadcast()
                condition.unlock()
            }
        }
    }
}
