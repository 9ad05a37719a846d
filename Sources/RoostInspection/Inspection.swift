public import RoostCore
public import RoostStore

/// A node's database opened read-only for `roost-inspect`: the one door the admin tool reads through. It offers
/// the op log as stored (ops, seals, positions, counts, verify), what the admin tool shows of the merged state, the
/// team and erasures, and the read models built on them here (``explain(_:field:)``, ``diff(against:)``,
/// ``registerOverwrites(collection:)``). Nothing in it writes: the store is opened with
/// ``OpStore/init(readOnlyPath:)``, which refuses a database an older Roost wrote instead of misreading it.
public final class Inspection: Sendable {
    /// The read-only store.
    let store: OpStore

    /// Opens the database at `path` read-only.
    public init(readOnlyPath path: String) throws(StoreError) {
        store = try OpStore(readOnlyPath: path)
    }

    /// The merged state (for the read models in this target).
    var state: MergedState { store.state }
    /// The desk's read models (for the read models in this target).
    var desk: DeskViews { store.desk }

    // MARK: the op log as stored

    /// The log this database's node writes, when it belongs to a node.
    public func localLog() throws(StoreError) -> LogID? { try store.localLog() }
    /// Every log held, with head and sealed sequence numbers.
    public func logs() throws(StoreError) -> [LogSummary] { try store.logs() }
    /// The highest contiguous sequence number held per log.
    public func versionVector() throws(StoreError) -> VersionVector { try store.versionVector() }
    /// How many ops are held.
    public func opCount() throws(StoreError) -> Int { try store.opCount() }
    /// Fork evidence held.
    public func forks() throws(StoreError) -> [ForkEvidence] { try store.forks() }
    /// The last timestamp the node issued or observed.
    public func lastHLC() throws(StoreError) -> HLC { try store.lastHLC() }
    /// Ops, logs and unsealed ops per author.
    public func opCountsByAuthor() throws(StoreError) -> [AuthorOpCount] { try store.opCountsByAuthor() }
    /// Stored ops matching `filter`, with their stored hash and body.
    public func storedOps(_ filter: StoredOpFilter = .init()) throws(StoreError) -> [StoredOp] { try store.storedOps(filter) }
    /// The stored ops at `refs` (those held).
    public func storedOps(at refs: some Sequence<OpRef>) throws(StoreError) -> [StoredOp] { try store.storedOps(at: refs) }
    /// Whether each op is covered by a seal that verifies.
    public func sealStatuses(of ops: [StoredOp]) throws(StoreError) -> [OpRef: SealStatus] { try store.sealStatuses(of: ops) }
    /// The stored hash at every position held.
    public func opPositions() throws(StoreError) -> [OpRef: Bytes32] { try store.opPositions() }
    /// Re-checks every chain, seal and signature, and re-folds the merged state to compare it (``OpStore/verify(progress:)``).
    public func verify() throws(StoreError) -> VerifyReport { try store.verify() }

    // MARK: what the admin tool shows of the merged state, the desk, the team and erasures

    /// Claim conflicts recorded on every entity.
    public func claimConflicts() throws(StoreError) -> [ClaimConflictRow] { try store.state.claimConflicts() }
    /// Keys of every ticket inserted, sorted.
    public func ticketKeys() throws(StoreError) -> [String] { try store.desk.ticketKeys() }
    /// A ticket's queue as the desk projection holds it.
    public func queue(ofTicket key: String) throws(StoreError) -> String? { try store.desk.queue(ofTicket: key) }
    /// The team's founder, when the node belongs to a team.
    public func founder() throws(StoreError) -> AuthorID? { try store.team.founder() }
    /// The team's name, when set.
    public func teamName() throws(StoreError) -> String? { try store.team.name() }
    /// A member's display name, when published.
    public func memberName(_ id: AuthorID) throws(StoreError) -> String? { try store.team.memberName(id) }
    /// A member's current role by the roster fold.
    public func memberRole(_ id: AuthorID) throws(StoreError) -> String? { try store.team.memberRole(id) }
    /// Every member the database knows of.
    public func knownMembers() throws(StoreError) -> [AuthorID] { try store.team.knownMembers() }
    /// Every erasure held, oldest first.
    public func erasures() throws(StoreError) -> [ErasureRecord] { try store.erasures.records() }
}
