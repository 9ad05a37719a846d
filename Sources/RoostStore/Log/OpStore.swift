import Foundation
public import GRDB
public import RoostCore
import RoostCrypto

/// A one-time upgrade ``OpStore/init(path:maxClockDriftMillis:willUpgrade:)`` is about to run: the op table of a
/// database an older Roost wrote is rebuilt in the compact layout (migration `v14-compact-op`), then the file vacuumed.
public struct StoreUpgrade: Sendable, Equatable {
    /// Ops the rebuild rewrites (the sum of the held logs' heads).
    public var ops: Int
}

/// A node's SQLite database, and its op log: append, apply, batch, verify, bodies held or wanted. Each other job
/// reads through a view of its own (Views/StoreView.swift): ``state`` (the merged state), ``desk``, ``search``,
/// ``outbox``, ``team`` and ``erasures``. Writes are serialized by GRDB; the CLI and a running daemon may open the same
/// file (WAL).
public final class OpStore: Sendable {
    /// The GRDB connection (a pool for files, a queue in memory). Not public API: every other layer goes through the
    /// store's methods (issue 19). Tests reach it with `@testable import`, the release-built benchmarks (another
    /// package) with `@_spi(StoreInternals) import RoostStore`.
    @_spi(StoreInternals) public let writer: any DatabaseWriter
    /// How far in the future a remote op's HLC may be (ms).
    public let maxClockDriftMillis: UInt64
    /// The folded roster, reused while `meta.roster_version` does not change.
    let rosterCache = RosterCache()
    /// When erased bytes were last scrubbed from the files, and whether a scrub is owed.
    let scrubState = ScrubState()
    /// Whether the database lives in files (an in-memory store has no bytes to scrub after an erasure).
    let hasFiles: Bool
    /// Whether this store's one connection is the only one that can ever reach the database (in memory, or the
    /// private scratch file): reads then need no isolation beyond the queue's serial order.
    let soleConnection: Bool

    /// Opens (creating and migrating when needed) the database at `path`. `willUpgrade` is told, before it starts, of
    /// a migration that rebuilds the op table of a database an older Roost wrote (once; 10–18 s for 1,000,000 ops), so
    /// a front-end can say why the first command after an upgrade is slow.
    public init(path: String, maxClockDriftMillis: UInt64 = Limits.defaultMaxClockDriftMillis,
                willUpgrade: ((StoreUpgrade) -> Void)? = nil) throws(StoreError) {
        var config = Configuration()
        config.prepareDatabase { db in
            // WAL with NORMAL sync: a crash of the process loses nothing committed; readers never block.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // A remote batch of 100,000 ops touches more pages than the default 2 MiB cache holds.
            try db.execute(sql: "PRAGMA cache_size = -\(StoreLimits.pageCacheKiB)")
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(StoreLimits.walAutocheckpointPages)")
            // Deleted content is overwritten with zeros, so an erased body leaves no bytes in free space
            // (SPEC.md §1.9; the WAL is truncated after an erasure).
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        config.busyMode = .timeout(10)
        writer = try mapDatabaseErrors { try DatabasePool(path: path, configuration: config) }
        self.maxClockDriftMillis = maxClockDriftMillis
        hasFiles = true
        soleConnection = false
        try migrate(willUpgrade: willUpgrade)
    }

    /// Opens a database read-only (inspection of a copied file, or of a running node's). A database an older Roost
    /// wrote, which opening it read-only cannot upgrade, is refused: its tables are not the ones the readers expect.
    public init(readOnlyPath path: String) throws(StoreError) {
        var config = Configuration()
        config.readonly = true
        let queue = try mapDatabaseErrors { try DatabaseQueue(path: path, configuration: config) }
        guard try mapDatabaseErrors({ try queue.read { db in try Schema.migrator.hasCompletedMigrations(db) } }) else {
            throw .invalidOperation("""
                this database was written by an older version of Roost: open its home once with `roost` (for example \
                `roost status`), which upgrades it, before reading it read-only
                """)
        }
        writer = queue
        maxClockDriftMillis = Limits.defaultMaxClockDriftMillis
        hasFiles = true
        soleConnection = false
    }

    /// A private in-memory store (tests, simulations, re-folds). It starts as a copy of one migrated empty
    /// database made once per process (SQLite's backup API), which is ~20× cheaper than running every migration
    /// again; the migrator then only confirms that nothing is left to run.
    public init(inMemoryWithMaxClockDriftMillis drift: UInt64 = Limits.defaultMaxClockDriftMillis) throws(StoreError) {
        let queue = try mapDatabaseErrors { try DatabaseQueue() }
        try mapDatabaseErrors { try Self.migratedTemplate.get().backup(to: queue) }
        writer = queue
        maxClockDriftMillis = drift
        hasFiles = false
        soleConnection = true
        try migrate()
    }

    /// The empty database every in-memory store is copied from, migrated once per process.
    private static let migratedTemplate: Result<DatabaseQueue, any Error> = Result {
        let template = try DatabaseQueue()
        try Schema.migrator.migrate(template)
        return template
    }

    /// A private scratch store (the re-fold of ``verify(progress:)``): an on-disk temporary database that SQLite
    /// unlinks as it opens it and so removes when it closes, even after `kill -9`, with the store's bounded page
    /// cache, so re-folding millions of ops does not hold the whole state in memory. Not durable: nothing is synced.
    init(scratchWithMaxClockDriftMillis drift: UInt64) throws(StoreError) {
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA cache_size = -\(StoreLimits.pageCacheKiB)")
            try db.execute(sql: "PRAGMA synchronous = OFF")
            try db.execute(sql: "PRAGMA journal_mode = MEMORY")
        }
        // An empty path is SQLite's private temporary database (https://sqlite.org/inmemorydb.html#temp_db).
        writer = try mapDatabaseErrors { try DatabaseQueue(path: "", configuration: config) }
        maxClockDriftMillis = drift
        hasFiles = true
        soleConnection = true
        try migrate()
    }

    /// Makes a fresh store the target of verify's re-fold: the indexes that only serve the desk's readers (the
    /// inbox orders, the next-reply alert, messages by author) are dropped, since the re-fold writes desk rows but
    /// never reads them through those, and what it compares are the tables (``Schema/comparedTables``), not their
    /// indexes. The re-fold does not write the search index either (`DeskProjection.Dirty(indexesSearch: false)`).
    func prepareForRefold() throws(StoreError) {
        try write { db in
            for index in Schema.readerOnlyIndexes { try db.execute(sql: "DROP INDEX IF EXISTS \(index)") }
        }
    }

    private func migrate(willUpgrade: ((StoreUpgrade) -> Void)? = nil) throws(StoreError) {
        try mapDatabaseErrors {
            // A home from before v14-compact-op has its op table rebuilt: its old pages (zeroed: secure_delete) are
            // then given back to the file system once, instead of staying in the file as free pages.
            // So does one whose op table v15 rebuilds (every hash stored, format 1 bodies), or v18 (hash columns in every row).
            let rebuildsOps = try writer.read { db in
                try (db.tableExists("op") && !db.tableExists("op_row")) || (db.tableExists("op_row") && !db.tableExists("op_check"))
                    || (db.tableExists("op_row") && db.columns(in: "op_row").contains { $0.name == "body_len" })
            }
            if rebuildsOps, let willUpgrade {
                let ops = try writer.read { db in try Int.fetchOne(db, sql: "SELECT coalesce(sum(seq), 0) FROM log_head") ?? 0 }
                willUpgrade(StoreUpgrade(ops: ops))
            }
            try Schema.migrator.migrate(writer)
            if try writer.read({ db in try Schema.hasRederivations(db) }) { try writer.write { db in try Schema.rederive(db) } }
            if rebuildsOps && hasFiles { try writer.writeWithoutTransaction { db in try db.execute(sql: "VACUUM") } }
        }
    }

    /// One write transaction; the full-text index takes the transaction's queued changes before it commits.
    func write<T>(_ work: (Database) throws -> T) throws(StoreError) -> T {
        try mapDatabaseErrors {
            try writer.write { db in
                let result = try work(db)
                try SearchIndex.drain(db)
                return result
            }
        }
    }

    /// One read. On a file store it runs in a read-only snapshot (a reader connection of the pool). A store
    /// whose queue is its database's only connection reads straight on the queue: GRDB's `DatabaseQueue.read`
    /// marks the connection read-only with `PRAGMA query_only`, and SQLite expires every prepared statement when
    /// a flag pragma changes, so each read made every cached statement compile again (40% of the simulation's
    /// time went to SQLite's parser); the queue's serial order already isolates the read.
    func read<T>(_ work: (Database) throws -> T) throws(StoreError) -> T {
        if soleConnection, let queue = writer as? DatabaseQueue {
            return try mapDatabaseErrors { try queue.unsafeRead(work) }
        }
        return try mapDatabaseErrors { try writer.read(work) }
    }

    // MARK: clock

    static func loadClock(_ db: Database, drift: UInt64) throws -> HybridClock {
        let raw = try Int64.fetchOne(db.cachedStatement(sql: "SELECT value FROM meta WHERE key = 'hlc'")) ?? 0
        return HybridClock(last: HLC(rawValue: UInt64(raw)), maxDriftMillis: drift)
    }

    static func saveClock(_ clock: HybridClock, _ db: Database) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES ('hlc', ?)")
            .execute(arguments: [clock.last.rawValue.sql])
    }

    /// The last timestamp this node issued or observed.
    public func lastHLC() throws(StoreError) -> HLC {
        try read { db in try Self.loadClock(db, drift: maxClockDriftMillis).last }
    }

    // MARK: local append

    /// Appends `bodies` to the local author's log in one transaction, merges them into the
    /// materialized state, and seals the new head. All or nothing. A format 2 author appends with
    /// ``append(v2:by:clock:)``.
    @discardableResult
    public func append(_ bodies: [OpBody], by author: LocalAuthor, clock: any WallClock) throws(StoreError) -> Appended {
        guard author.format == 1 else { throw .invalidOperation("this epoch's log is format \(author.format): append(v2:)") }
        let encoded = try Self.checkedForAppend(bodies)
        var headers: [OpHeader] = []
        headers.reserveCapacity(encoded.count)
        let (seal, erased) = try appendTransaction(encoded.map(\.0), by: author, clock: clock) { seq, prev, hlc, body, logRow, db in
            let bytes = encoded[headers.count].1
            let header = OpHeader(author: author.id, epoch: author.epoch, seq: seq, prev: prev, hlc: hlc, kind: body.kind,
                                  bodyLength: UInt32(bytes.count), bodyHash: OpCrypto.bodyHash(bytes))
            let hash = OpCrypto.headerHash(header)
            try Self.insert(header, hash: hash, stored: StoredBody.encode(body), logRow: logRow, db)
            headers.append(header)
            return hash
        } seal: { _, seq, head, _, db in
            let seal = OpCrypto.seal(key: author.key, epoch: author.epoch, seq: seq, head: head)
            try Self.insert(seal, db)
            return seal
        }
        return Appended(headers: headers, seal: seal, erased: erased)
    }

    /// Each body with its format 1 encoding, refused (before the database is touched) when a peer would refuse it or
    /// when together they are over what one sealed run may carry.
    static func checkedForAppend(_ bodies: [OpBody]) throws(StoreError) -> [(OpBody, [UInt8])] {
        guard !bodies.isEmpty else { throw .invalidOperation("nothing to append") }
        var encoded: [(OpBody, [UInt8])] = []
        encoded.reserveCapacity(bodies.count)
        for body in bodies {
            let bytes = body.encoded()
            do {
                let decoded = try OpBody.decode(kind: body.kind, bytes: bytes)
                guard decoded == body else { throw ByteDecodingError.notCanonical("body does not round-trip") }
                // Format 2 stores and hashes the body v2 encoding: it must give the same value back too.
                guard try OpBody.decodeV2(kind: body.kind, bytes: body.encodedV2()) == body else {
                    throw ByteDecodingError.notCanonical("body v2 does not round-trip")
                }
            } catch {
                throw .invalidOperation("invalid \(body.kind) op on \(body.entity.collection): \(error)")
            }
            encoded.append((body, bytes))
        }
        // Format 1's run bytes bound format 2's too (a body v2 is never longer, a run v2 op header shorter).
        let runBytes = encoded.reduce(Seal.encodedLength) { $0 + Limits.runBytes(ofOpWithBody: $1.1.count) }
        guard runBytes <= Limits.maxRunBytes else {
            throw .invalidOperation("""
                these \(encoded.count) ops take \(runBytes) bytes together, over the \(Limits.maxRunBytes)-byte limit of \
                one sealed run (maxRunBytes: what one sync message can always carry); append them in smaller groups
                """)
        }
        return encoded
    }

    /// The transaction of a local append in either format: the revocation check, each op's HLC, row (by `op`, which
    /// returns its hash) and merge, the roster and erasure consequences, the seal (by `seal`, given the first and last
    /// seq and the head), the log's head and the clock. Returns the seal and the bodies the appended erasures dropped.
    func appendTransaction<SealValue>(
        _ bodies: [OpBody], by author: LocalAuthor, clock: any WallClock,
        op: (_ seq: UInt64, _ prev: Bytes32, _ hlc: HLC, _ body: OpBody, _ logRow: Int64, _ db: Database) throws -> Bytes32,
        seal: (_ first: UInt64, _ seq: UInt64, _ head: Bytes32, _ logRow: Int64, _ db: Database) throws -> SealValue
    ) throws(StoreError) -> (SealValue, erased: Int) {
        let drift = maxClockDriftMillis
        let appended = try write { db in
            var hybrid = try Self.loadClock(db, drift: drift)
            let head = try Self.head(of: author.log, db)
            var seq = head?.seq ?? 0
            if let roster = try rosterCache.roster(db), roster.admission(of: OpRef(author: author.id, epoch: author.epoch, seq: seq + 1)) == .revoked {
                throw StoreError.invalidOperation("this node was revoked from the team; its new ops would be refused by every member")
            }
            let logRow = try Self.logRowID(author.log, db)
            let version = try Self.logVersion(logRow: logRow, db)
            if head == nil, author.format == 2 {
                try Self.setVersion2(logRow: logRow, db)
            } else if version != author.format {
                throw StoreError.invalidOperation("this epoch's log is format \(version), not \(author.format): a log never mixes formats")
            }
            var prev = head?.hash ?? .zero
            let first = seq + 1
            let wall = clock.nowMillis()
            var dirty = DeskProjection.Dirty()
            for body in bodies {
                seq += 1
                let hlc = hybrid.tick(wallMillis: wall)
                prev = try op(seq, prev, hlc, body, logRow, db)
                try Materializer.apply(body, stamp: Stamp(hlc: hlc, ref: OpRef(author: author.id, epoch: author.epoch, seq: seq)),
                                       log: logRow, dirty: &dirty, db: db)
            }
            if dirty.roster { try Self.enforceRoster(db) }
            if dirty.erasures || dirty.roster { _ = try ErasureLedger.judge(db, dirty: &dirty) }
            let erased = dirty.erased
            try dirty.flush(db)
            // After the flush: re-derived ticket documents delete their old text too.
            if erased > 0 { try ErasureLedger.compactIndex(db) }
            let sealed = try seal(first, seq, prev, logRow, db)
            try Self.setHead(author.log, seq: seq, hash: prev, sealed: seq, db)
            try Self.saveClock(hybrid, db)
            return (sealed, erased)
        }
        if appended.1 > 0 { scrubAfterErasure() }
        return (appended.0, appended.1)
    }

    // MARK: rows

    struct Head {
        var seq: UInt64
        var hash: Bytes32
        var sealed: UInt64
    }

    static func head(of log: LogID, _ db: Database) throws -> Head? {
        guard let row = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT seq, hash, sealed_seq FROM log_head WHERE author = ? AND epoch = ?"),
            arguments: [log.author.key.data, log.epoch.sql])
        else { return nil }
        return Head(seq: try row.u64("seq"), hash: try row.bytes32("hash"), sealed: try row.u64("sealed_seq"))
    }

    static func setHead(_ log: LogID, seq: UInt64, hash: Bytes32, sealed: UInt64, _ db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO log_head (author, epoch, seq, hash, sealed_seq) VALUES (?, ?, ?, ?, ?)
            """).execute(arguments: [log.author.key.data, log.epoch.sql, seq.sql, hash.data, sealed.sql])
    }

    /// The number `log` stores for a log (``Schema/opStorageSQL``), given it on first use.
    static func logRowID(_ log: LogID, _ db: Database) throws -> Int64 {
        let arguments: StatementArguments = [log.author.key.data, log.epoch.sql]
        if let id = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM log WHERE author = ? AND epoch = ?"),
                                       arguments: arguments) {
            return id
        }
        try db.cachedStatement(sql: "INSERT INTO log (author, epoch) VALUES (?, ?)").execute(arguments: arguments)
        return db.lastInsertedRowID
    }

    /// Log numbers for a stream of ops (``logRowID(_:_:)``), remembering the last one: re-folds read ops in log order.
    struct LogRows {
        private var last: (log: LogID, row: Int64)?

        /// The number of `log`, given it on first use.
        mutating func row(_ log: LogID, _ db: Database) throws -> Int64 {
            if let last, last.log == log { return last.row }
            let row = try OpStore.logRowID(log, db)
            last = (log, row)
            return row
        }
    }

    /// Stores an op of the log numbered `logRow` (``logRowID(_:_:)``; ``OpRow`` says which header fields are
    /// recomputed instead of stored): `stored` is the body as ``StoredBody`` stores it, nil for an op held without its
    /// body; `hash` is stored only with such an op, and in `op_check` for every ``StoreLimits/opCheckInterval``-th op.
    static func insert(_ header: OpHeader, hash: Bytes32, stored: [UInt8]?, logRow: Int64, _ db: Database) throws {
        try insert(VerifiedOp(header: header, hash: hash, body: nil, decoded: nil), stored: stored, logRow: logRow, scope: nil, db)
    }

    /// Stores a checked op of either format: its row (format 2: with its scope's number and its scope prev as a distance,
    /// and the scope's newest op in `scope_head`), what an op without its body keeps, and its hash in `op_check` when it
    /// is a checkpoint.
    static func insert(_ op: VerifiedOp, stored: [UInt8]?, logRow: Int64, scope: Int64?, _ db: Database) throws {
        var statement = try FastStatement(db, "INSERT INTO op_row (log, seq, hlc, kind, body, scope, scope_gap) VALUES (?, ?, ?, ?, ?, ?, ?)")
        statement.bind(logRow)
        statement.bind(op.ref.seq)
        statement.bind(op.hlc.rawValue)
        statement.bind(Int64(op.kind.rawValue))
        if let stored { statement.bind(stored) } else { statement.bindNull() }
        if let scope { statement.bind(scope) } else { statement.bindNull() }
        if scope != nil, op.scopePrev > 0 { statement.bind(op.ref.seq - op.scopePrev) } else { statement.bindNull() }
        try statement.run()
        if let scope {
            var head = try FastStatement(db, """
                INSERT INTO scope_head (log, scope, seq) VALUES (?1, ?2, ?3)
                ON CONFLICT (log, scope) DO UPDATE SET seq = excluded.seq WHERE excluded.seq > scope_head.seq
                """)
            head.bind(logRow)
            head.bind(scope)
            head.bind(op.ref.seq)
            try head.run()
        }
        if stored == nil {
            try insertBodyless(logRow: logRow, seq: op.ref.seq, bodyLength: Int(op.bodyLength), bodyHash: op.bodyHash,
                               hash: op.hash, db)
        }
        if op.ref.seq % StoreLimits.opCheckInterval == 0 {
            var check = try FastStatement(db, "INSERT OR REPLACE INTO op_check (log, seq, hash) VALUES (?, ?, ?)")
            check.bind(logRow)
            check.bind(op.ref.seq)
            check.bind(op.hash)
            try check.run()
        }
    }

    /// Keeps what cannot be recomputed of an op held without its body (its row in `op_bodyless`).
    private static func insertBodyless(logRow: Int64, seq: UInt64, bodyLength: Int, bodyHash: Bytes32, hash: Bytes32,
                                       _ db: Database) throws {
        var statement = try FastStatement(db, "INSERT INTO op_bodyless (log, seq, body_len, body_hash, hash) VALUES (?, ?, ?, ?, ?)")
        statement.bind(logRow)
        statement.bind(seq)
        statement.bind(Int64(bodyLength))
        statement.bind(bodyHash)
        statement.bind(hash)
        try statement.run()
    }

    /// Drops the body of a held op, keeping its body length, body hash and hash in `op_bodyless` (the header commits
    /// to the body, and none of them can be recomputed without it). False when the op is not held or has no body.
    static func dropBody(_ ref: OpRef, _ db: Database) throws -> Bool {
        let position: StatementArguments = [ref.author.key.data, ref.epoch.sql, ref.seq.sql]
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT kind, body FROM op WHERE author = ? AND epoch = ? AND seq = ? AND body IS NOT NULL
            """), arguments: position),
              let hash = try opHash(ref.log, seq: ref.seq, db)
        else { return false }
        let logRow = try logRowID(ref.log, db)
        // The bytes the header's body hash covers: format 1's, re-derived from the stored body v2, or the stored body
        // itself in a format 2 log.
        let stored = [UInt8](row["body"] as Data)
        let body = try logVersion(logRow: logRow, db) == 2
            ? stored : StoredBody.decode(stored, kind: try OpRow.kind(row["kind"]), at: ref).bytes
        try db.cachedStatement(sql: "UPDATE op_row SET body = NULL WHERE log = ? AND seq = ?").execute(arguments: [logRow, ref.seq.sql])
        try insertBodyless(logRow: logRow, seq: ref.seq, bodyLength: body.count, bodyHash: OpCrypto.bodyHash(body), hash: hash, db)
        return true
    }

    /// Stores a body fetched again for an op held without one (its hash already checked against the header).
    static func restoreBody(_ ref: OpRef, body: OpBody, _ db: Database) throws {
        let logRow = try logRowID(ref.log, db)
        try db.cachedStatement(sql: "DELETE FROM op_bodyless WHERE log = ? AND seq = ?").execute(arguments: [logRow, ref.seq.sql])
        try db.cachedStatement(sql: "UPDATE op_row SET body = ? WHERE log = ? AND seq = ?")
            .execute(arguments: [Data(StoredBody.encode(body)), logRow, ref.seq.sql])
    }

    static func insert(_ seal: Seal, _ db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO seal (author, epoch, seq, head, signature) VALUES (?, ?, ?, ?, ?)
            """).execute(arguments: [seal.author.key.data, seal.epoch.sql, seal.seq.sql, seal.head.data,
                                     Data(seal.signature)])
    }

    /// ``seal(from:)`` for a row read with the C API (``FastStatement/forEachRow(_:)``), same columns.
    static func seal(from row: FastRow) throws -> Seal {
        assert((0..<5).map { row.name(Int32($0)) } == ["author", "epoch", "seq", "head", "signature"], "seal columns out of order")
        return Seal(author: AuthorID(key: try row.bytes32(0, "author")), epoch: try row.u64(1, "epoch"), seq: try row.u64(2, "seq"),
             head: try row.bytes32(3, "head"), signature: row.blob(4) ?? [])
    }

    /// Reads a row whose first five columns are the seal table's, in table order (`SELECT *`, `SELECT seal.*`).
    static func seal(from row: Row) throws -> Seal {
        assert(Array(row.columnNames.prefix(5)) == ["author", "epoch", "seq", "head", "signature"], "seal columns out of order")
        let signature: Data = row[4]
        return Seal(author: AuthorID(key: try row.bytes32(at: 0, "author")), epoch: try row.u64(at: 1, "epoch"),
                    seq: try row.u64(at: 2, "seq"), head: try row.bytes32(at: 3, "head"), signature: [UInt8](signature))
    }

    // MARK: redaction

    /// Erases the body of one op (customer-data redaction). The header stays, so the chain and
    /// seals still verify. Returns false when the op is unknown or already erased.
    @discardableResult
    public func eraseBody(of ref: OpRef, clock: any WallClock) throws(StoreError) -> Bool {
        let drift = maxClockDriftMillis
        return try write { db in
            let args: StatementArguments = [ref.author.key.data, ref.epoch.sql, ref.seq.sql]
            guard try Self.dropBody(ref, db) else { return false }
            try SearchIndex.forgetErased(author: ref.author.key.data, epoch: ref.epoch.sql, seq: ref.seq.sql, db: db)
            var hybrid = try Self.loadClock(db, drift: drift)
            let at = hybrid.tick(wallMillis: clock.nowMillis())
            try db.execute(
                sql: "INSERT INTO op_erasure (author, epoch, seq, erased_hlc) VALUES (?, ?, ?, ?)",
                arguments: args + [at.rawValue.sql])
            try Self.saveClock(hybrid, db)
            return true
        }
    }
}
