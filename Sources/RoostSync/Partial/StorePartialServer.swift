public import RoostCore
import RoostCrypto
public import RoostStore

/// A full node's answers to one partial peer from its store (SPEC-partial.md §P.4): the scopes the peer holds in this
/// node's view, recomputed from the store at each request (the tickets of its queues, those it wrote in, their
/// customers, and `g`), and what this node sent it. Kept by the node across the peer's sessions, as a
/// ``PartialReplica`` keeps its views: a new server (the node restarted) owes the peer every held scope whole, but
/// cannot know which tickets moved out since an earlier server last answered (the restart gap: the peer learns it
/// from the next op of the ticket, or from another full peer).
///
/// The answer is ``PartialReplica``'s (``PartialSendState/answer(_:of:holding:from:)``) over the store's format 2 logs,
/// read in one transaction; the view is the same set ``PartialReplica`` keeps incrementally, computed whole from the
/// desk (`desk_ticket.queue`, `desk_ticket.customer`) and the peer's scope heads.
public struct StorePartialServer: Sendable {
    /// The partial peer.
    public let peer: AuthorID
    /// Its subscription (`subscribe`).
    public private(set) var subscription: Subscription
    /// The scopes the peer holds in this view, as of the last request.
    public private(set) var held: Set<ScopeID> = [HeldSet.global]
    var sending = PartialSendState()
    /// Names of the scopes the peer wrote in, learned from its ops.
    private var names: [ScopeID: String] = [:]
    /// The tickets the peer held at the last request, with their customers, and those it had written in.
    private var tickets: [String: String?] = [:]
    private var touched: Set<String> = []
    /// Each format 2 log's sealed top at the last request (nil before the first).
    private var seenTops: [LogID: UInt64]?

    /// A server for `peer`, subscribed to `subscription` (never ``Subscription/full``: a full peer gets full batches),
    /// its view computed from `store` now: every scope the peer holds in it is owed whole.
    public init(peer: AuthorID, subscription: Subscription, store: OpStore) throws(StoreError) {
        precondition(!subscription.everything, "a full peer is not served partially")
        self.peer = peer
        self.subscription = subscription
        try refresh(store)
    }

    /// Takes the peer's new subscription (`subscribe`): what moved before is settled under the old one, then the
    /// scopes the peer enters are owed whole and those it leaves once more.
    public mutating func subscribe(_ subscription: Subscription, store: OpStore) throws(StoreError) {
        precondition(!subscription.everything, "a full peer is not served partially")
        try refresh(store)
        self.subscription = subscription
        try refresh(store)
    }

    /// Answers `request` from `store`: the peer's view brought up to date, then the batch.
    public mutating func answer(_ request: PartialRequest, from store: OpStore) throws(StoreError) -> PartialBatch {
        try refresh(store)
        let (peer, held) = (self.peer, self.held)
        var sending = self.sending
        let batch = try store.readFormat2 { reader in
            var source = StoreLogs(reader: reader)
            return try sending.answer(request, of: peer, holding: held, from: &source)
        }
        self.sending = sending
        return batch
    }

    /// Recomputes the scopes the peer holds, and marks what moved since the last request as ``PartialReplica`` does
    /// batch by batch: a ticket held now that was not, or that a `queue` write took out of the peer's queues meanwhile,
    /// is owed whole; one not held now that was, or that a write put in the peer's queues meanwhile, is owed once
    /// more (its new ops: the peer may have passed the op that moved it out while it did not hold it, then got it
    /// whole from a full peer that had not seen that op). A customer follows its tickets, unless a ticket held
    /// throughout kept it held. Marks may be more than the replica's (two moves it settled in one batch), never fewer.
    mutating func refresh(_ store: OpStore) throws(StoreError) {
        let rows = try store.partialViewRows(queues: subscription.queues, author: peer, names: &names)
        var now: [String: String?] = [:]
        for (key, customer) in rows.queued { now[key] = customer }
        for (key, customer) in rows.touched { now[key] = customer }
        let touchedNow = Set(rows.touched.map(\.key))
        let (writes, writtenCustomers, tops) = try store.ticketQueueWrites(after: seenTops ?? [:])
        let interval = seenTops == nil ? [:] : writes   // the first request: nothing was sent before
        seenTops = tops
        var entered: Set<ScopeID> = [], left: Set<ScopeID> = []
        var customersMoved: [String: (wentIn: Bool, wentOut: Bool)] = [:]
        for key in Set(now.keys).union(tickets.keys).union(interval.keys) {
            let (before, after) = (tickets[key] != nil, now[key] != nil)
            let alwaysHeld = touched.contains(key)
            let written = interval[key] ?? []
            let wentOut = !alwaysHeld && written.contains { !subscription.queues.contains($0 ?? RoutingRules.defaultQueue) }
            let wentIn = written.contains { subscription.queues.contains($0 ?? RoutingRules.defaultQueue) }
            let customer = (now[key] ?? nil) ?? (tickets[key] ?? nil) ?? writtenCustomers[key]
            if after && (!before || wentOut) {
                entered.insert(OpCryptoV2.scopeID(Scope.ticket(key)))
                if let customer { customersMoved[customer, default: (false, false)].wentIn = true }
            } else if !after && (before || wentIn) {
                left.insert(OpCryptoV2.scopeID(Scope.ticket(key)))
                if let customer { customersMoved[customer, default: (false, false)].wentOut = true }
            }
        }
        var heldCustomersNow: Set<String> = [], keptThroughout: Set<String> = []
        for (key, customer) in now {
            guard let customer else { continue }
            heldCustomersNow.insert(customer)
            if tickets[key] != nil, !entered.contains(OpCryptoV2.scopeID(Scope.ticket(key))) { keptThroughout.insert(customer) }
        }
        let heldCustomersBefore = Set(tickets.values.compactMap { $0 })
        for customer in Set(customersMoved.keys).union(heldCustomersNow).union(heldCustomersBefore) where !keptThroughout.contains(customer) {
            let scope = OpCryptoV2.scopeID(Scope.customer(customer))
            let (before, after) = (heldCustomersBefore.contains(customer), heldCustomersNow.contains(customer))
            let moved = customersMoved[customer]
            if after && (!before || moved?.wentIn == true) { entered.insert(scope) }
            else if !after && (before || moved?.wentOut == true) { left.insert(scope) }
        }
        sending.enter(entered.sorted(), leave: left.sorted())
        tickets = now
        touched = touchedNow
        var scopes: Set<ScopeID> = [HeldSet.global]
        for (key, customer) in now {
            scopes.insert(OpCryptoV2.scopeID(Scope.ticket(key)))
            if let customer { scopes.insert(OpCryptoV2.scopeID(Scope.customer(customer))) }
        }
        held = scopes
    }
}

/// A store's format 2 logs as the source of answers to partial peers, inside one read transaction: seal ranges are
/// read whole (an op's hash is recomputed along its range; a path needs the range's leaves) and kept while the
/// answer lasts, up to ``cachedOps``.
struct StoreLogs: PartialSource {
    typealias Failure = any Error
    var reader: Format2LogReader
    /// Ranges read, by log and the range's last seq.
    private var ranges: [LogID: [UInt64: [HeldOpV2]]] = [:]
    private var rangeOps = 0
    /// The last seal found covering a seq, per log (answers walk a log in order).
    private var lastSeal: [LogID: SealV2] = [:]
    private var trees: [LogID: [UInt64: ScopesTree]] = [:]
    /// Ops kept in `ranges` before they are all dropped.
    static let cachedOps = 4096

    init(reader: Format2LogReader) { self.reader = reader }

    mutating func servedLogs() throws -> [LogID: UInt64] { try reader.logs() }

    mutating func seals(_ log: LogID, endingIn range: ClosedRange<UInt64>) throws -> [SealV2] {
        try reader.seals(log, endingIn: range)
    }

    mutating func seal(_ log: LogID, covering seq: UInt64) throws -> SealV2? {
        if let seal = lastSeal[log], seal.fromSeq <= seq, seq <= seal.seq { return seal }
        let seal = try reader.seal(log, covering: seq)
        lastSeal[log] = seal
        return seal
    }

    mutating func op(_ log: LogID, at seq: UInt64) throws -> HeldOpV2? {
        guard let seal = try seal(log, covering: seq) else { return nil }
        let ops = try range(log, seal)
        let index = Int(seq - seal.fromSeq)
        return index < ops.count ? ops[index] : nil
    }

    mutating func seqs(of scope: ScopeID) throws -> [LogID: [UInt64]] {
        let logs = try reader.logs()
        return try reader.seqs(of: scope).filter { logs[$0.key] != nil }
    }

    mutating func path(of scope: ScopeID, in seal: SealV2, of log: LogID) throws -> RunV2.Path? {
        if trees[log]?[seal.seq] == nil {
            let ops = try range(log, seal)
            guard ops.count == Int(seal.seq - seal.fromSeq + 1) else { return nil }
            trees[log, default: [:]][seal.seq] = ScopesTree(OpCryptoV2.leaves(of: ops.map { ($0.header.scope, $0.hash) }))
        }
        guard let index = trees[log]![seal.seq]!.index(of: scope) else { return nil }
        let count = trees[log]![seal.seq]!.count
        return RunV2.Path(scope: scope, leafIndex: index, leafCount: count, hashes: trees[log]![seal.seq]!.path(index))
    }

    /// The ops of `seal`'s range.
    private mutating func range(_ log: LogID, _ seal: SealV2) throws -> [HeldOpV2] {
        if let ops = ranges[log]?[seal.seq] { return ops }
        let ops = try reader.ops(log, from: seal.fromSeq, through: seal.seq).map { stored in
            HeldOpV2(header: stored.header, hash: stored.hash, body: stored.body, decoded: nil)
        }
        if rangeOps + ops.count > Self.cachedOps { ranges = [:]; rangeOps = 0 }
        ranges[log, default: [:]][seal.seq] = ops
        rangeOps += ops.count
        return ops
    }
}
