public import RoostCore
public import RoostCrypto
public import RoostStore

/// A partial node (Protocol/SPEC-partial.md) whose holdings survive a restart: its ``PartialReplica`` decides what to
/// hold and checks it (§P.5), and every change it makes is written to the node's ``OpStore`` in one transaction before
/// the next message is handled (``OpStore/applyPartial(_:wanted:clock:)``), where it merges into the desk, search
/// and reports as any op does. Reopened on the same store, it rebuilds the same replica (``PartialReplica/init(key:epoch:founder:restoring:)``).
///
/// The replica keeps the held ops in memory too: a partial node holds only its queues' share of the team's log
/// (SPEC-partial.md §P.7), so this costs what its share costs.
public struct PartialStoreNode: Sendable {
    /// The replica: what the node holds, its requests and checks.
    public private(set) var replica: PartialReplica
    /// The node's store.
    public let store: OpStore
    private let key: SigningKey
    private let epoch: UInt64
    private let founder: AuthorID?
    /// Each format 1 log's newest seq the store holds (the team's history, held whole: SPEC-partial.md §P.3c).
    public private(set) var historyTops: [LogID: UInt64] = [:]
    /// What the store's judgement of who may write took away from what the replica held.
    public private(set) var counters = Counters()

    /// Ops the store would not hold by the roster (SPEC-partial.md §P.6, "Who may write").
    public struct Counters: Hashable, Sendable {
        /// Ops held by the replica whose author the roster does not admit: not stored, their scopes wanted again.
        public var notAdmitted = 0
        /// Ops removed after a revocation merged (past the member's cut).
        public var removed = 0
    }

    /// Opens the partial node of `store`: rebuilt from it when it is a partial node's already, else made partial with
    /// `queues` (which then must not be empty). `founder` is pinned in the store when it has none yet. A store that is a partial node's keeps its own subscription; change it
    /// with ``resubscribe(_:clock:)``.
    public init(key: SigningKey, epoch: UInt64, founder: AuthorID?, store: OpStore, queues: Set<String> = []) throws(PartialNodeError) {
        self.key = key
        self.epoch = epoch
        self.founder = founder
        self.store = store
        do {
            if try store.partialSubscription() == nil {
                try store.setPartialSubscription(queues.sorted())
            }
            // The replica and the store judge erasures by the same roster, rooted at the same founder.
            let pinned = try store.team.founder()
            if let founder, pinned == nil {
                try store.team.setFounder(founder)
            } else if pinned != founder {
                throw PartialNodeError.founderMismatch
            }
            replica = try PartialReplica(key: key, epoch: epoch, founder: founder, restoring: try store.partialState())
            historyTops = try Self.learnHistory(into: &replica, from: store)
        } catch let error as StoreError {
            throw .store(error)
        } catch let error as PartialError {
            throw .replica(error)
        } catch let error as PartialNodeError {
            throw error
        } catch {
            throw .store(.database("\(error)"))
        }
        replica.startJournal()
    }

    /// The request to send full peer `peer`: the replica's, with the store's entries for the format 1 logs it holds
    /// whole (§P.3c).
    public func request(to peer: AuthorID) -> PartialRequest {
        var request = replica.request(to: peer)
        for (log, top) in historyTops where request.vector[log] == nil { request.vector[log] = top }
        return request
    }

    /// Stores the format 1 history `batch` carries as a full node would (chains, seals, roster), then checks and holds
    /// what it carries of format 2 (``PartialReplica/receive(_:from:fromFull:)``) and writes what changed. A history
    /// batch the store refuses is not held (the next request asks for it again); the format 2 part is still taken.
    public mutating func receive(_ batch: PartialBatch, from sender: AuthorID, fromFull: Bool, clock: any WallClock) throws(PartialNodeError) {
        var failure: PartialNodeError?
        if fromFull && !batch.history.isEmpty {
            do throws(StoreError) {
                for result in try store.apply(batch.history, clock: clock) {
                    if case let .failure(error) = result, failure == nil { failure = .store(error) }
                }
                historyTops.merge(try Self.learnHistory(into: &replica, from: store, after: historyTops)) { max($0, $1) }
            } catch {
                failure = .store(error)
            }
        }
        replica.receive(batch, from: sender, fromFull: fromFull)
        try persist(clock)
        if let failure { throw failure }
    }

    /// Writes `bodies` as one transaction of this node's log (``PartialReplica/write(_:at:)``) and stores it.
    @discardableResult
    public mutating func write(_ bodies: [OpBody], at hlc: HLC, clock: any WallClock) throws(PartialNodeError) -> ClosedRange<UInt64> {
        let range: ClosedRange<UInt64>
        do {
            range = try replica.write(bodies, at: hlc)
        } catch {
            throw .replica(error)
        }
        try persist(clock)
        return range
    }

    /// Appends `bodies` to this node's own log through its store (as every desk write does) and takes them into the
    /// replica.
    @discardableResult
    public mutating func appendLocal(_ bodies: [OpBody], by author: LocalAuthor, clock: any WallClock) throws(PartialNodeError) -> LocalAppend {
        let appended: LocalAppend
        do {
            appended = try store.appendLocal(bodies, by: author, clock: clock)
        } catch {
            throw .store(error)
        }
        try adoptLocalAppends(clock: clock)
        return appended
    }

    /// Takes into the replica what the store appended to this node's own log since the replica last looked (desk
    /// services write through the store): call it before answering or asking a peer.
    public mutating func adoptLocalAppends(clock: any WallClock) throws(PartialNodeError) {
        let own = replica.ownLog
        let top = replica.ownTop
        let appended: (ops: [StoredOpV2], seals: [SealV2])
        do {
            appended = try store.readFormat2 { reader in
                guard let sealed = try reader.logs()[own], sealed > top else { return ([], []) }
                return (try reader.ops(own, from: top + 1, through: sealed), try reader.seals(own, endingIn: (top + 1)...sealed))
            }
        } catch {
            throw .store(error)
        }
        guard !appended.ops.isEmpty else { return }
        do {
            try replica.adoptOwn(appended.ops, seals: appended.seals)
        } catch {
            throw .replica(error)
        }
        try persist(clock)
    }

    /// Answers full peer `peer`'s request for this node's own log.
    public mutating func answer(_ request: PartialRequest, from peer: AuthorID) -> PartialBatch {
        replica.answer(request, from: peer)
    }

    /// Changes the subscription: the tickets of dropped queues this node did not touch are dropped from the store at once.
    public mutating func resubscribe(_ queues: Set<String>, clock: any WallClock) throws(PartialNodeError) {
        do {
            try store.setPartialSubscription(queues.sorted())
        } catch {
            throw .store(error)
        }
        replica.resubscribe(Subscription(queues: queues))
        try persist(clock)
    }

    /// Writes the replica's journal. When the store refuses it, the replica is rebuilt from the store, so that both
    /// hold the same again (what the message brought is asked for again in the next request).
    private mutating func persist(_ clock: any WallClock) throws(PartialNodeError) {
        let changes = replica.takeJournal()
        do {
            let report = try store.applyPartial(changes, wanted: replica.wanted, clock: clock)
            // The store judged who may write (SPEC-partial.md §P.6): what it did not take, or removed after a
            // revocation, the replica must not hold either.
            if !report.notAdmitted.isEmpty || report.removed > 0 {
                counters.notAdmitted += report.notAdmitted.count
                counters.removed += report.removed
                try rebuild()
            }
        } catch let error as StoreError {
            try? rebuild()
            throw .store(error)
        } catch let error as PartialNodeError {
            throw error
        } catch {
            throw .store(.database("\(error)"))
        }
    }

    /// Teaches `replica` the store's format 1 history past `after` (all of it: a node reopened, which wants nothing
    /// again), a chunk at a time; returns the format 1 logs' tops.
    private static func learnHistory(into replica: inout PartialReplica, from store: OpStore,
                                     after: [LogID: UInt64]? = nil) throws(StoreError) -> [LogID: UInt64] {
        try store.forEachFormat1Op(after: after ?? [:]) { ops in replica.learnHistory(ops, restoring: after == nil) }
    }

    /// Rebuilds the replica from the store (``PartialReplica/init(key:epoch:founder:restoring:)`` and the format 1
    /// history), so that both hold the same again.
    private mutating func rebuild() throws(PartialNodeError) {
        do {
            var rebuilt = try PartialReplica(key: key, epoch: epoch, founder: founder, restoring: try store.partialState())
            historyTops = try Self.learnHistory(into: &rebuilt, from: store)
            replica = rebuilt
            replica.startJournal()
        } catch let error as StoreError {
            throw .store(error)
        } catch let error as PartialError {
            throw .replica(error)
        } catch {
            throw .store(.database("\(error)"))
        }
    }
}

/// Why a partial node could not open or write its store.
public enum PartialNodeError: Error, Equatable, Sendable {
    /// The store refused or failed.
    case store(StoreError)
    /// The replica refused (a write in a scope it does not hold, or a store it cannot be rebuilt from).
    case replica(PartialError)
    /// The store's team has another founder than the one the node was opened with (they would judge erasures apart).
    case founderMismatch
}
