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
        let store = try OpStore(path: directory + "/source.sqlite")
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
        let replica = try OpStore(path: directory + "/replica.sqlite")
        _ = try replica.apply(source.batch(after: VersionVector(), limit: Int(setupOps)), clock: SystemClock())
        let before = try fileBytes(replica)
        // The batches are read from the source before the clock starts: only the replica's work is timed.
        var batches: [OpBatch] = []
        var seq = setupOps
        while true {
            let batch = try source.batch(after: VersionVector([log: seq]), limit: transactionUpdates)
            guard let last = batch.ops.last else { break }
            seq = last.header.seq
            batches.append(batch)
        }
        var elapsed: UInt64 = 0
        var applied = 0
        for batch in batches {
            let began = nowNanos()
            applied += try replica.apply(batch, clock: SystemClock()).applied
            elapsed += nowNanos() - began
        }
        precondition(applied == lines.count, "applied \(applied) of \(lines.count) updates")
        let same = try replica.stateHash() == source.stateHash()
        precondition(same, "the replica's state differs from the source's")
        return Result(updates: applied, seconds: Double(elapsed) / 1e9, bytes: try fileBytes(replica) - before,
                      peakRSSKiB: peakRSSKiB())
    }

    /// This process's peak resident set size, in KiB.
    public static func peakRSSKiB() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss
    }
}
