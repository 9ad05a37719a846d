import Foundation
public import GRDB
public import RoostCore
import RoostCrypto
@_spi(StoreInternals) public import RoostStore

// The four scenarios of the benchmark issue, as fixtures that the package-benchmark suite and the
// plain `roost-bench` executable both drive. Every store is a FILE database (WAL, synchronous=NORMAL:
// what `OpStore(path:)` configures) in a scratch directory, never an in-memory one.

/// One agent appending to its own file store.
public final class LocalNode: @unchecked Sendable {
    public let directory: ScratchDirectory
    public let store: OpStore
    public let author: LocalAuthor
    public var workload: Workload
    public let clock = SystemClock()

    public init(label: String, epoch: UInt64 = 1) throws {
        directory = try ScratchDirectory(label)
        store = try OpStore(path: directory.path("node.sqlite"))
        try applyTuning(store.writer)
        author = LocalAuthor(key: SigningKey.generate(), epoch: epoch)
        workload = Workload(prefix: "\(label)-\(UUID().uuidString.prefix(8))", holder: author.id)
    }

    /// Appends `bodies` in one transaction (one seal).
    @discardableResult
    public func append(_ bodies: [OpBody]) throws -> Appended {
        try store.append(bodies, by: author, clock: clock)
    }

    /// Generates and appends `count` ops in batches of `batch`.
    public func fill(_ count: Int, batch: Int, progress: ((Int) -> Void)? = nil) throws {
        var done = 0
        while done < count {
            let n = min(batch, count - done)
            try append(workload.next(n))
            done += n
            progress?(done)
        }
    }
}

/// Applies the opt-in `Tuning` to a writer connection (nothing by default).
func applyTuning(_ writer: any DatabaseWriter) throws {
    guard let mib = Tuning.cacheMiB else { return }
    try writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA cache_size = -\(mib * 1024)") }
}

// MARK: 1. plain GRDB baseline

/// One row of the baseline table: what a plain (non-CRDT, unsigned, unlogged) app would store per op.
public struct PlainRow: Sendable {
    public var collection: String
    public var key: String
    public var field: String
    public var value: Data
    public var hlc: Int64
}

/// The same file-DB settings as `OpStore(path:)` (DatabasePool, so WAL; synchronous=NORMAL) and one
/// table `(collection, key, field, value, hlc)` with a primary key; a cached prepared statement run
/// once per row inside one transaction per batch.
public final class PlainStore: @unchecked Sendable {
    public let directory: ScratchDirectory
    public let pool: DatabasePool
    private var hybrid = HybridClock()
    private let clock = SystemClock()

    public init(label: String = "plain") throws {
        directory = try ScratchDirectory(label)
        var config = Configuration()
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        config.busyMode = .timeout(10)
        pool = try DatabasePool(path: directory.path("plain.sqlite"), configuration: config)
        try applyTuning(pool)
        try pool.write { db in
            try db.execute(sql: """
                CREATE TABLE kv (
                    collection TEXT NOT NULL,
                    key TEXT NOT NULL,
                    field TEXT NOT NULL,
                    value BLOB NOT NULL,
                    hlc INTEGER NOT NULL,
                    PRIMARY KEY (collection, key, field)
                ) WITHOUT ROWID
                """)
        }
    }

    /// The rows for `bodies` (made before timing: the baseline measures the inserts alone).
    public func rows(for bodies: [OpBody]) -> [PlainRow] {
        let wall = clock.nowMillis()
        return bodies.map { body in
            let hlc = Int64(bitPattern: hybrid.tick(wallMillis: wall).rawValue)
            switch body {
            case let .insert(entity, fields):
                return PlainRow(collection: entity.collection, key: entity.key, field: "",
                                value: Data(FieldList.encode(fields)), hlc: hlc)
            case let .set(entity, field, value):
                return PlainRow(collection: entity.collection, key: entity.key, field: field,
                                value: Data(value.encoded), hlc: hlc)
            case let .tagAdd(entity, tag), let .tagRemove(entity, tag, _):
                return PlainRow(collection: entity.collection, key: entity.key, field: "tag:" + tag,
                                value: Data([1]), hlc: hlc)
            case let .claim(entity, action, holder, lease, _):
                var value = [action.rawValue] + (holder?.key.bytes ?? [])
                withUnsafeBytes(of: lease.bigEndian) { value.append(contentsOf: $0) }
                return PlainRow(collection: entity.collection, key: entity.key, field: "claim",
                                value: Data(value), hlc: hlc)
            }
        }
    }

    /// Inserts `rows` in one transaction.
    public func insert(_ rows: [PlainRow]) throws {
        try pool.write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO kv (collection, key, field, value, hlc) VALUES (?, ?, ?, ?, ?)
                """)
            for row in rows {
                try statement.execute(arguments: [row.collection, row.key, row.field, row.value, row.hlc])
            }
        }
    }

    public func count() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM kv") ?? 0 }
    }
}

// MARK: 2. remote batch

/// A sealed batch of `ops` ops from `authors` agents (each appended in transactions of `batch` ops,
/// so one seal per `batch` ops), read back with `batch(after: VersionVector(), limit:)`.
public func makeRemoteBatch(ops: Int = 100_000, authors: Int = 4, batch: Int = 1_000) throws -> OpBatch {
    let directory = try ScratchDirectory("source")
    let store = try OpStore(path: directory.path("source.sqlite"))
    let clock = SystemClock()
    var agents: [(LocalAuthor, Workload)] = (0..<authors).map { index in
        let author = LocalAuthor(key: SigningKey.generate(), epoch: 1)
        return (author, Workload(prefix: "remote\(index)-\(UUID().uuidString.prefix(8))", holder: author.id))
    }
    var done = 0
    var turn = 0
    while done < ops {
        let n = min(batch, ops - done)
        let index = turn % authors
        try store.append(agents[index].1.next(n), by: agents[index].0, clock: clock)
        done += n
        turn += 1
    }
    let result = try store.batch(after: VersionVector(), limit: ops)
    guard result.ops.count == ops else {
        throw StoreError.invalidOperation("source batch holds \(result.ops.count) ops, expected \(ops)")
    }
    return result
}

/// An empty file store to apply a remote batch into.
public final class EmptyNode: @unchecked Sendable {
    public let directory: ScratchDirectory
    public let store: OpStore

    public init(label: String = "sink") throws {
        directory = try ScratchDirectory(label)
        store = try OpStore(path: directory.path("sink.sqlite"))
        try applyTuning(store.writer)
    }
}

// MARK: 4. re-fold

/// A file store holding `ops` ops of `authors` agents, appended round-robin in transactions of
/// `batch` ops (10,000 by default).
public func makeLargeStore(
    ops: Int, authors: Int = 4, batch: Int = 10_000, progress: ((Int) -> Void)? = nil
) throws -> (ScratchDirectory, OpStore) {
    let directory = try ScratchDirectory("refold")
    let store = try OpStore(path: directory.path("large.sqlite"))
    let clock = SystemClock()
    var agents: [(LocalAuthor, Workload)] = (0..<authors).map { index in
        let author = LocalAuthor(key: SigningKey.generate(), epoch: 1)
        return (author, Workload(prefix: "agent\(index)-\(UUID().uuidString.prefix(8))", holder: author.id))
    }
    var done = 0
    var turn = 0
    while done < ops {
        let n = min(batch, ops - done)
        let index = turn % authors
        try store.append(agents[index].1.next(n), by: agents[index].0, clock: clock)
        done += n
        turn += 1
        progress?(done)
    }
    return (directory, store)
}
