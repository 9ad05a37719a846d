import Foundation
import GRDB
import RoostCore
import RoostCrypto
@_spi(StoreInternals) import RoostStore

/// Roost's side of `tools/bench-peers.sh` (issue 12, point 3): the same updates to tickets that the script gives
/// pycrdt (Yrs), loro and plain sqlite3, read from its workload file, through Roost's own store: every op signed
/// (one seal per transaction), hash-chained, merged and persisted in WAL mode with synchronous=NORMAL.
///
/// Workload lines (tab-separated): `s <ticket> <field> <value>` sets a field, `t <ticket> <tag>` adds a tag.
public enum PeersBench {
    /// One phase's figures, printed as a `PEERS` line the script reads.
    public struct Result: Sendable {
        public var updates: Int
        public var seconds: Double
        public var bytes: Int
        public var peakRSSKiB: Int
    }

    /// Updates per transaction (and per seal), as in the other engines' runs.
    public static let transactionUpdates = 1_000

    static func tickets(in lines: [[Substring]]) -> Set<Substring> { Set(lines.map { $0[1] }) }

    /// A phase's database must not exist yet: a source or replica left by an earlier run holds another key's log,
    /// which the remote phases would read as well (and the local phase's bytes would include).
    struct LeftOver: Error, CustomStringConvertible {
        var path: String
        var description: String { "\(path) exists: run the phases in an empty --peers-dir (tools/bench-peers.py does)" }
    }

    /// Opens a new store at `path`, refusing one that exists.
    static func freshStore(_ path: String) throws -> OpStore {
        guard !FileManager.default.fileExists(atPath: path) else { throw LeftOver(path: path) }
        return try OpStore(path: path)
    }

    /// The fields a set writes and the tags an add names, as in tools/bench-peers.py.
    static let fields = ["status", "priority", "assignee", "subject"]
    static let tags = (0..<16).map { "tag\($0)" }

    /// Issue 12's workload made in process, for the package-benchmark suite: the shape of tools/bench-peers.py's
    /// (`updates` updates to `tickets` tickets, 80% sets of one of four fields to a 30-character string, 20% adds of
    /// one of 16 tags, keys from a fixed-seed generator), not its bytes: the generator is SplitMix64, not Python's.
    public static func makeWorkload(updates: Int, tickets: Int = 10_000, seed: UInt64 = 12) -> [[Substring]] {
        var rng = SplitMix64(seed: seed)   // RoostCore's
        return (0..<updates).map { _ in
            let k = Substring(String(Int.random(in: 0..<tickets, using: &rng)))
            if Int.random(in: 0..<10, using: &rng) < 8 {
                let value = String(rng.next() >> 4, radix: 16) + String(rng.next() >> 4, radix: 16)
                return ["s", k, Substring(fields.randomElement(using: &rng)!), Substring(value.prefix(30))]
            }
            return ["t", k, Substring(tags.randomElement(using: &rng)!)]
        }
    }

    static func body(_ line: [Substring]) -> OpBody {
        let entity = EntityRef(Desk.ticket, "k" + line[1])
        if line[0] == "t" { return .tagAdd(entity: entity, tag: String(line[2])) }
        return .set(entity: entity, field: String(line[2]), value: .string(String(line[3])))
    }

    static func read(_ workload: String) throws -> [[Substring]] {
        try String(contentsOfFile: workload, encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
    }

    /// Bytes of the database file once the WAL is checkpointed into it.
    static func fileBytes(_ store: OpStore) throws -> Int {
        try store.writer.writeWithoutTransaction { db in
            _ = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            let size = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0
            return pages * size
        }
    }

    /// The ops of `log` after `seq`, as the sealed batches a peer sends (one per transaction).
    static func sealedBatches(_ source: OpStore, log: LogID, after seq: UInt64) throws -> [OpBatch] {
        var batches: [OpBatch] = []
        var seq = seq
        while true {
            let batch = try source.batch(after: VersionVector([log: seq]), limit: transactionUpdates)
            guard let last = batch.ops.last else { return batches }
            seq = last.header.seq
            batches.append(batch)
        }
    }

    /// Bytes of the database as its connections see it (pages in the WAL included), without a checkpoint.
    static func logicalBytes(_ store: OpStore) throws -> Int {
        try store.writer.read { db in
            try (Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0) * (Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0)
        }
    }

    /// The tickets exist before the updates (a help desk updates tickets it holds): inserted untimed, and their
    /// bytes are not counted.
    static func setUp(_ store: OpStore, tickets: Set<Substring>, author: LocalAuthor) throws {
        let inserts = tickets.sorted().map { OpBody.makeInsert(EntityRef(Desk.ticket, "k" + $0), [Field("customer", .string("c" + $0))]) }
        for start in stride(from: 0, to: inserts.count, by: transactionUpdates) {
            _ = try store.append(Array(inserts[start..<min(start + transactionUpdates, inserts.count)]), by: author,
                                 clock: SystemClock())
        }
    }

    /// Local phase: the node's agent makes every update, `transactionUpdates` per transaction, into `directory`.
    public static func local(workload: String, directory: String) throws -> Result {
        let lines = try read(workload)
        let store = try freshStore(directory + "/source.sqlite")
        let key = SigningKey.generate()
        try Data(key.seed).write(to: URL(fileURLWithPath: directory + "/source.key"))
        let author = LocalAuthor(key: key, epoch: 1)
        try setUp(store, tickets: tickets(in: lines), author: author)
        let before = try fileBytes(store)
        let bodies = lines.map(body)
        var elapsed: UInt64 = 0
        for start in stride(from: 0, to: bodies.count, by: transactionUpdates) {
            let chunk = Array(bodies[start..<min(start + transactionUpdates, bodies.count)])
            let began = nowNanos()
            _ = try store.append(chunk, by: author, clock: SystemClock())
            elapsed += nowNanos() - began
        }
        return Result(updates: bodies.count, seconds: Double(elapsed) / 1e9, bytes: try fileBytes(store) - before,
                      peakRSSKiB: peakRSSKiB())
    }

    /// Remote phase: a fresh replica applies the local phase's log as the sealed batches a peer sends (one per
    /// transaction, every signature and chain verified), into its own file.
    public static func remote(workload: String, directory: String) throws -> Result {
        let lines = try read(workload)
        let source = try OpStore(path: directory + "/source.sqlite")
        let seed = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/source.key")))
        let log = LogID(author: try SigningKey(seed: seed).authorID, epoch: 1)
        let setupOps = UInt64(tickets(in: lines).count)
        let replica = try freshStore(directory + "/replica.sqlite")
        _ = try replica.apply(source.batch(after: VersionVector(), limit: Int(setupOps)), clock: SystemClock())
        // The batches are read from the source before the clock starts: only the replica's work is timed.
        let batches = try sealedBatches(source, log: log, after: setupOps)
        return try timedApply(batches, into: replica, source: source, updates: lines.count) { batch in
            try replica.apply(batch, clock: SystemClock())
        }
    }

    /// Applies `batches` to `replica` one at a time, timing only the applies; then checks that every update was
    /// applied and that the replica's state is the source's. Bytes are the replica's growth over the applies.
    static func timedApply<Batch>(_ batches: some Sequence<Batch>, into replica: OpStore, source: OpStore, updates: Int,
                                  apply: (Batch) throws -> ApplyReport) throws -> Result {
        let before = try fileBytes(replica)
        var elapsed: UInt64 = 0
        var applied = 0
        for batch in batches {
            let began = nowNanos()
            applied += try apply(batch).applied
            elapsed += nowNanos() - began
        }
        precondition(applied == updates, "applied \(applied) of \(updates) updates")
        let same = try replica.stateHash() == source.stateHash()
        precondition(same, "the replica's state differs from the source's")
        return Result(updates: applied, seconds: Double(elapsed) / 1e9, bytes: try fileBytes(replica) - before,
                      peakRSSKiB: peakRSSKiB())
    }

    /// Remote phase in format 2 (DESIGN-format-2.md F2.9, step (a)): the local phase's log written again as a format 2
    /// log (same key, bodies, stamps and transactions: each op with its scope and scope prev, each transaction sealed
    /// with its scopes root), applied to a fresh replica as sealed format 2 batches, every link, body and seal checked.
    /// The conversion runs before the clock starts; the replica's state must equal the source's.
    public static func remoteV2(workload: String, directory: String) throws -> Result {
        let lines = try read(workload)
        let source = try OpStore(path: directory + "/source.sqlite")
        let key = try SigningKey(seed: [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/source.key"))))
        let log = LogID(author: key.authorID, epoch: 1)
        let setupOps = tickets(in: lines).count
        var writer = Format2LogWriter(key: key, epoch: 1)
        let batches = try sealedBatches(source, log: log, after: 0).map { batch in
            let bodies = try batch.ops.map { op in try OpBody.decode(kind: op.header.kind, bytes: op.body ?? []) }
            return writer.batch(bodies) { batch.ops[$0].header.hlc }
        }
        let replica = try freshStore(directory + "/replica-v2.sqlite")
        var setUp = 0, index = 0
        while setUp < setupOps {
            setUp += try replica.apply(v2: batches[index], clock: SystemClock()).applied
            index += 1
        }
        return try timedApply(batches[index...], into: replica, source: source, updates: lines.count) { batch in
            try replica.apply(v2: batch, clock: SystemClock())
        }
    }

    /// This process's peak resident set size, in KiB.
    public static func peakRSSKiB() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss
    }
}

/// Issue 12's workload, local phase, one transaction at a time (package-benchmark, benchmark 5a): a file store that
/// holds the workload's tickets (inserted untimed), and its updates, appended `PeersBench.transactionUpdates` per call.
public final class PeersLocalRun: @unchecked Sendable {
    public let directory: ScratchDirectory
    public let store: OpStore
    let author: LocalAuthor
    let bodies: [OpBody]
    let baseBytes: Int
    /// Updates appended so far.
    public private(set) var appended = 0

    public init(updates: Int) throws {
        let lines = PeersBench.makeWorkload(updates: updates)
        directory = try ScratchDirectory("peers-local")
        store = try OpStore(path: directory.path("source.sqlite"))
        author = LocalAuthor(key: SigningKey.generate(), epoch: 1)
        try PeersBench.setUp(store, tickets: PeersBench.tickets(in: lines), author: author)
        baseBytes = try PeersBench.logicalBytes(store)
        bodies = lines.map(PeersBench.body)
    }

    /// The next transaction's updates (empty once all are appended); made before the clock starts.
    public func nextTransaction() -> [OpBody] {
        Array(bodies[min(appended, bodies.count)..<min(appended + PeersBench.transactionUpdates, bodies.count)])
    }

    /// Appends `chunk` (from ``nextTransaction()``) as one transaction with its seal.
    public func append(_ chunk: [OpBody]) throws {
        _ = try store.append(chunk, by: author, clock: SystemClock())
        appended += chunk.count
    }

    /// Database bytes per update appended so far (the store's pages, the WAL's included, minus the tickets').
    public func bytesPerUpdate() throws -> Double {
        Double(try PeersBench.logicalBytes(store) - baseBytes) / Double(max(1, appended))
    }
}

/// Issue 12's workload, remote phase, one sealed batch at a time (package-benchmark, benchmark 5b): a replica that
/// holds the tickets applies the local phase's batches (one per transaction, read from the source before timing).
public final class PeersRemoteRun: @unchecked Sendable {
    public let directory: ScratchDirectory
    public let replica: OpStore
    let batches: [OpBatch]
    let baseBytes: Int
    /// Batches applied so far, and their updates.
    public private(set) var next = 0, applied = 0

    public init(updates: Int) throws {
        let source = try PeersLocalRun(updates: updates)
        while true {
            let chunk = source.nextTransaction()
            if chunk.isEmpty { break }
            try source.append(chunk)
        }
        let setupOps = try source.store.versionVector()[source.author.log] - UInt64(updates)
        directory = source.directory
        replica = try OpStore(path: directory.path("replica.sqlite"))
        _ = try replica.apply(source.store.batch(after: VersionVector(), limit: Int(setupOps)), clock: SystemClock())
        baseBytes = try PeersBench.logicalBytes(replica)
        batches = try PeersBench.sealedBatches(source.store, log: source.author.log, after: setupOps)
    }

    /// How many batches the workload makes.
    public var batchCount: Int { batches.count }

    /// Applies the next batch, verified and persisted; returns its updates (0 once all are applied).
    public func applyNext() throws -> Int {
        guard next < batches.count else { return 0 }
        let count = try replica.apply(batches[next], clock: SystemClock()).applied
        next += 1
        applied += count
        return count
    }

    /// Database bytes per update applied so far.
    public func bytesPerUpdate() throws -> Double {
        Double(try PeersBench.logicalBytes(replica) - baseBytes) / Double(max(1, applied))
    }
}
