import Foundation
public import RoostCore
public import RoostStore

/// The node's own state as front-ends show it: `roost status`, the web app's sync panel and `roost verify` read these
/// instead of reaching into the store, and get one typed error (``NodeError``).
extension Node {
    /// Runs a store read, its failure as ``NodeError/store(_:)``.
    func read<T>(_ work: () throws(StoreError) -> T) throws(NodeError) -> T {
        do { return try work() } catch { throw .store(error) }
    }

    /// Every log held: its author, epoch, highest sequence number and highest sealed one.
    public func logs() throws(NodeError) -> [LogSummary] { try read { () throws(StoreError) in try store.logs() } }

    /// How many ops are stored.
    public func opCount() throws(NodeError) -> Int { try read { () throws(StoreError) in try store.opCount() } }

    /// How many logs hold fork evidence (two signed ops at one position).
    public func forkCount() throws(NodeError) -> Int { try read { () throws(StoreError) in try store.forks().count } }

    /// The highest contiguous sequence number held per log.
    public func versionVector() throws(NodeError) -> VersionVector { try read { () throws(StoreError) in try store.versionVector() } }

    /// The ops held beyond `vector`, of logs of both formats, for live views that describe what just arrived; nil when
    /// there are more than `limit`.
    public func ops(after vector: VersionVector, limit: Int) throws(NodeError) -> [HeldOp]? {
        try read { () throws(StoreError) in try store.ops(after: vector, upTo: try store.versionVector(), limit: limit) }
    }

    /// Claims that lost a race, on one entity or everywhere.
    public func claimConflicts(on entity: EntityRef? = nil) throws(NodeError) -> [ClaimConflictRow] {
        try read { () throws(StoreError) in try store.state.claimConflicts(on: entity) }
    }

    /// The HLC of a stored op, when held.
    public func timestamp(of ref: OpRef) throws(NodeError) -> HLC? { try read { () throws(StoreError) in try store.desk.timestamp(of: ref) } }

    /// Identity, logs, counts and hashes: what `roost status` prints.
    public func status() throws(NodeError) -> NodeStatus {
        let logs = try logs()
        // The epoch and format bound now: a team's `log_format` moves a node to format 2 in a new epoch (OpStore.appendLocal).
        let own = try read { () throws(StoreError) in (try store.localLog() ?? author.log, try store.localLogFormat()) }
        return NodeStatus(
            home: home.url.path, name: config.name, initials: config.initials, nodeId: id.text,
            epoch: String(own.0.epoch, radix: 16), logFormat: own.1, seq: logs.first { $0.log == own.0 }?.seq ?? 0,
            ops: try opCount(),
            logs: logs.map {
                NodeStatus.Log(author: $0.log.author.text, epoch: String($0.log.epoch, radix: 16), seq: $0.seq, sealed: $0.sealed,
                               local: $0.log.author == id)
            },
            forks: try forkCount(), lastHLC: try read { () throws(StoreError) in try store.lastHLC() }.utcText,
            stateHash: try read { () throws(StoreError) in try store.stateHash() }.hex,
            databaseBytes: NodeHome.databaseBytes(atPath: home.databasePath),
            partial: try read { () throws(StoreError) in try store.partialSummary() }.map {
                NodeStatus.Partial(queues: $0.queues, tickets: $0.tickets, ops: $0.ops, logs: $0.logs, historyOps: $0.historyOps)
            })
    }

    /// Re-folds the whole log and checks every chain, seal and body hash (``OpStore/verify(progress:)``);
    /// `progress` gets the ops re-folded so far.
    public func verify(progress: (@Sendable (Int) -> Void)? = nil) throws(NodeError) -> VerifyReport {
        try read { () throws(StoreError) in try store.verify(progress: progress) }
    }

    /// One entity's merged state: its insert fields, registers, tags and claim (`roost op show`).
    public func entityState(_ ref: EntityRef) throws(NodeError) -> EntityState {
        try read { () throws(StoreError) in
            EntityState(
                entity: ref.description,
                inserted: try store.state.entity(ref).map { Dictionary(uniqueKeysWithValues: $0.map { ($0.name, $0.value.description) }) },
                fields: Dictionary(uniqueKeysWithValues: try store.state.registers(of: ref).map { ($0.0, $0.1.description) }),
                tags: try store.state.tags(of: ref), holder: try store.state.claim(on: ref)?.holder?.text,
                conflicts: try store.state.claimConflicts(on: ref).count)
        }
    }
}

extension NodeHome {
    /// The size of a node database and its write-ahead log, in bytes (0 for a file that is not there).
    public static func databaseBytes(atPath path: String) -> Int64 {
        func size(_ path: String) -> Int64 { (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0 }
        return size(path) + size(path + "-wal")
    }
}

/// What `roost status` shows (and prints as JSON).
public struct NodeStatus: Encodable, Sendable {
    /// One log held.
    public struct Log: Encodable, Sendable {
        public var author: String
        public var epoch: String
        public var seq: UInt64
        public var sealed: UInt64
        /// Whether it is this node's own current log.
        public var local: Bool
    }

    public var home: String
    public var name: String
    public var initials: String
    public var nodeId: String
    public var epoch: String
    /// The op format this node's own log is written in: 1, or 2 (`roost init --log-format 2`).
    public var logFormat: Int
    /// This node's own log's highest sequence number.
    public var seq: UInt64
    public var ops: Int
    public var logs: [Log]
    public var forks: Int
    /// The latest HLC stored, as ``RoostCore/HLC/utcText``.
    public var lastHLC: String
    public var stateHash: String
    /// The database and its write-ahead log, in bytes.
    public var databaseBytes: Int64
    /// What a partial node holds (`roost init --queues`, Protocol/SPEC-partial.md); nil on a full node.
    public var partial: Partial?

    /// A partial node's holdings: everything the node's figures cover.
    public struct Partial: Encodable, Sendable {
        /// The subscribed queues.
        public var queues: [String]
        /// Tickets held: the queues' and the ones this node's agent worked on.
        public var tickets: Int
        /// Ops held of other authors' logs (each log's ops of the held scopes only), and how many logs.
        public var ops: Int
        public var logs: Int
        /// Ops of the team's format 1 history, held whole (SPEC-partial.md §P.3c).
        public var historyOps: Int
    }
}

/// One entity's merged state, as `roost op show` prints it.
public struct EntityState: Encodable, Sendable, Equatable {
    public var entity: String
    /// The insert's fields, when the entity was inserted.
    public var inserted: [String: String]?
    /// Registers (last writer wins).
    public var fields: [String: String]
    public var tags: [String]
    /// The claim holder's node id.
    public var holder: String?
    /// How many claims on it lost a race.
    public var conflicts: Int

    /// Whether any op about it is held.
    public var isEmpty: Bool { inserted == nil && fields.isEmpty && tags.isEmpty && holder == nil }
}

/// What `verify` found, as both `roost verify` and `roost-inspect verify` print it in JSON.
public struct VerifySummary: Encodable, Sendable {
    public var ok: Bool
    public var logs: Int
    public var ops: Int
    public var seals: Int
    public var erasedBodies: Int
    /// Erased bodies by the node id of the member whose erasure dropped them.
    public var erasedBy: [String: Int]
    public var forks: Int
    public var stateHash: String
    public var refoldStateHash: String?
    /// The admin tool's reading of the roster's authority over the ops held (absent from `roost verify`).
    public var rosterAuthority: String?
    public var problems: [String]
    public var notes: [String]

    public init(_ report: VerifyReport, rosterAuthority: String? = nil) {
        ok = report.isOK
        logs = report.logs
        ops = report.ops
        seals = report.seals
        erasedBodies = report.erasedBodies
        erasedBy = Dictionary(uniqueKeysWithValues: report.erasedBy.map { ($0.key.text, $0.value) })
        forks = report.forks
        stateHash = report.stateHash.hex
        refoldStateHash = report.refoldStateHash?.hex
        self.rosterAuthority = rosterAuthority
        problems = report.problems
        notes = report.notes
    }
}
