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
    /// How many held tickets name each customer.
    private var customerRefs: [String: Int] = [:]
    private var touched: Set<String> = []
    /// Each format 2 log's sealed top at the last request (nil before the first).
    private var seenTops: [LogID: UInt64]?
    /// The team's format 1 history (SPEC-partial.md §P.2 rule 5): each format 1 log's top read, and the tickets and
    /// customers it names, which the peer holds for good.
    private var historyTops: [LogID: UInt64] = [:]
    private var historyTickets: Set<String> = []
    private var pinnedCustomers: Set<String> = []
    /// Scope ids of the tickets and customers seen, computed once (each is a BLAKE2b of the name).
    private var ticketScopes: [String: ScopeID] = [:], customerScopes: [String: ScopeID] = [:]

    private mutating func scope(ticket key: String) -> ScopeID {
        if let known = ticketScopes[key] { return known }
        let id = OpCryptoV2.scopeID(Scope.ticket(key))
        ticketScopes[key] = id
        return id
    }

    private mutating func scope(customer: String) -> ScopeID {
        if let known = customerScopes[customer] { return known }
        let id = OpCryptoV2.scopeID(Scope.customer(customer))
        customerScopes[customer] = id
        return id
    }

    /// A server for `peer`, subscribed to `subscription` (never ``Subscription/full``: a full peer gets full batches),
    /// its view computed from `store` now: every scope the peer holds in it is owed whole.
    public init(peer: AuthorID, subscription: Subscription, store: OpStore) throws(StoreError) {
        precondition(!subscription.everything, "a full peer is not served partially")
        self.peer = peer
        self.subscription = subscription
        try refresh(store, full: true)
    }

    /// Takes the peer's new subscription (`subscribe`): what moved before is settled under the old one, then the
    /// scopes the peer enters are owed whole and those it leaves once more.
    public mutating func subscribe(_ subscription: Subscription, store: OpStore) throws(StoreError) {
        precondition(!subscription.everything, "a full peer is not served partially")
        try refresh(store)
        self.subscription = subscription
        try refresh(store, full: true)
    }

    /// Answers `request` from `store`: the peer's view brought up to date, then the batch.
    public mutating func answer(_ request: PartialRequest, from store: OpStore) throws(StoreError) -> PartialBatch {
        try refresh(store)
        let (peer, held) = (self.peer, self.held)
        var sending = self.sending
        // Format 1 logs travel whole (§P.3c): the peer's entries for them do not say how far this node must be.
        var format2Request = request
        format2Request.vector = request.vector.filter { historyTops[$0.key] == nil }
        let batch = try store.readFormat2 { reader in
            var source = StoreLogs(reader: reader)
            return try sending.answer(format2Request, of: peer, holding: held, from: &source)
        }
        self.sending = sending
        return batch
    }

    /// Brings the view up to date and marks what moved since the last request as ``PartialReplica`` does batch by
    /// batch: a ticket held now that was not, or that a `queue` write took out of the peer's queues meanwhile, is owed
    /// whole; one not held now that was, or that a write put in the peer's queues meanwhile, is owed once more (its
    /// new ops: the peer may have passed the op that moved it out while it did not hold it, then got it whole from a
    /// full peer that had not seen that op). A customer follows its tickets, unless a ticket held throughout kept it
    /// held. Marks may be more than the replica's (two moves it settled in one batch), never fewer.
    ///
    /// `full` (the first request, a new subscription) recomputes every held ticket from the desk; otherwise only the
    /// tickets the ops gained since the last request inserted or moved, and those the peer wrote in for the first
    /// time, are looked at: the cost is the change's, not the view's.
    mutating func refresh(_ store: OpStore, full: Bool = false) throws(StoreError) {
        let first = seenTops == nil
        let (changes, tops) = try store.ticketChanges(after: seenTops ?? [:], scan: !first)
        // The tickets the peer wrote in: all of them for a full recomputation, else those it wrote in since (with their
        // customers); the ones known before keep theirs in `tickets`.
        let touchedRows = try store.touchedTickets(author: peer, names: &names, after: full || first ? [:] : seenTops ?? [:])
        seenTops = tops
        // The tickets and customers the format 1 history named since: held for good, as if the peer had written in them.
        let history = try store.format1Names(after: historyTops)
        historyTops.merge(history.tops) { max($0, $1) }
        let newHistory = history.tickets.subtracting(historyTickets)
        historyTickets.formUnion(newHistory)
        let pinning = history.customers.subtracting(pinnedCustomers)
        pinnedCustomers.formUnion(pinning)
        // The tickets held whatever their queue, newly found (all of them for a full recomputation), with their
        // customers; those known before keep theirs in `tickets` (``heldAnyway(_:)``). Not copied at each request: a
        // peer of a team with a long format 1 history holds every ticket of it this way.
        var touchedNow: [String: String?] = [:]
        let carried = !(full || first)
        for (key, customer) in touchedRows { touchedNow[key] = customer }
        let historyNow = full || first ? historyTickets : newHistory
        let historyCustomers = try store.customers(of: historyNow)
        for key in historyNow where (touchedNow[key] ?? nil) == nil { touchedNow[key] = historyCustomers[key] }
        // The candidates, and whether each is held now (with its customer).
        var now: [String: String?] = [:]
        var candidates = Set(changes.keys)
        for key in touchedNow.keys where !touched.contains(key) { candidates.insert(key) }
        /// The customer of a ticket held whatever its queue (`.some(nil)`: not known yet), or nil when it is not one.
        func heldAnyway(_ key: String) -> String?? {
            if let customer = touchedNow[key] { return .some(customer) }
            return carried && touched.contains(key) ? .some(tickets[key] ?? nil) : nil
        }
        if full || first {
            var queued: [String: String] = [:]
            for (key, customer) in try store.partialViewRows(queues: subscription.queues, author: peer, names: &names).queued {
                queued[key] = customer
            }
            candidates.formUnion(queued.keys)
            candidates.formUnion(tickets.keys)
            for key in candidates {
                // `String?` spelled out: assigned into `now` (`String??`) the fallbacks would never be read.
                if let customer = touchedNow[key] {
                    let known: String? = customer ?? queued[key] ?? changes[key]?.customer
                    now[key] = known
                } else if let customer = queued[key] {
                    now[key] = customer
                }
            }
        } else {
            for key in candidates {
                if let customer = heldAnyway(key) {
                    let known: String? = customer ?? changes[key]?.customer
                    now[key] = known
                } else if let change = changes[key], change.hasRow, holds(queue: change.queue) {
                    now[key] = change.customer
                }
            }
        }
        var entered: Set<ScopeID> = [], left: Set<ScopeID> = []
        var customersMoved: [String: (wentIn: Bool, wentOut: Bool)] = [:]
        var refsBefore: [String: Int] = [:], candidateRefsBefore: [String: Int] = [:], keptBy: Set<String> = []
        for key in candidates.sorted() {
            let old = tickets[key], new = now[key]
            let (before, after) = (old != nil, new != nil)
            let written = first ? [] : changes[key]?.queueWrites ?? []
            let wentOut = !touched.contains(key) && written.contains { !holds(queue: $0) }
            let wentIn = written.contains { holds(queue: $0) }
            let oldCustomer = old ?? nil, newCustomer = new ?? nil
            for customer in [oldCustomer, newCustomer].compactMap({ $0 }) where refsBefore[customer] == nil {
                refsBefore[customer] = customerRefs[customer] ?? 0
            }
            if after && (!before || wentOut) {
                entered.insert(scope(ticket: key))
                if let customer = newCustomer ?? oldCustomer { customersMoved[customer, default: (false, false)].wentIn = true }
            } else if !after && (before || wentIn) {
                left.insert(scope(ticket: key))
                if let customer = oldCustomer ?? changes[key]?.customer { customersMoved[customer, default: (false, false)].wentOut = true }
            } else if before && after, let customer = newCustomer, customer == oldCustomer {
                keptBy.insert(customer)
            }
            if let oldCustomer, before {
                customerRefs[oldCustomer, default: 1] -= 1
                candidateRefsBefore[oldCustomer, default: 0] += 1
            }
            if let newCustomer, after { customerRefs[newCustomer, default: 0] += 1 }
            if after {
                tickets[key] = new
                held.insert(scope(ticket: key))
            } else if before {
                tickets[key] = nil
                held.remove(scope(ticket: key))
            }
        }
        for customer in Set(refsBefore.keys).union(customersMoved.keys).sorted() {
            let refs = customerRefs[customer] ?? 0
            if refs <= 0 { customerRefs[customer] = nil }
            let (before, after) = ((refsBefore[customer] ?? 0) > 0, refs > 0)
            if after { held.insert(scope(customer: customer)) } else { held.remove(scope(customer: customer)) }
            // A ticket held throughout, unmoved, kept the customer: nothing moved for the peer. Tickets that are not
            // candidates kept theirs too: the customer was held before and is now, with refs to spare.
            let keptByOthers = before && after && (refsBefore[customer] ?? 0) > (candidateRefsBefore[customer] ?? 0)
            guard !keptBy.contains(customer) && !keptByOthers else { continue }
            let moved = customersMoved[customer]
            if after && (!before || moved?.wentIn == true) { entered.insert(scope(customer: customer)) }
            else if !after && (before || moved?.wentOut == true) { left.insert(scope(customer: customer)) }
        }
        for customer in pinning.sorted() {
            let id = scope(customer: customer)
            customerRefs[customer, default: 0] += 1
            left.remove(id)
            if !held.contains(id) {
                held.insert(id)
                entered.insert(id)
            }
        }
        sending.enter(entered.sorted(), leave: left.sorted())
        if carried { touched.formUnion(touchedNow.keys) } else { touched = Set(touchedNow.keys) }
    }

    /// Whether a ticket in `queue` (nil: no queue) is in the peer's queues.
    private func holds(queue: String?) -> Bool { subscription.queues.contains(queue ?? RoutingRules.defaultQueue) }
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
    /// The newest op of the last range read, per log.
    private var lastHash: [LogID: (seq: UInt64, hash: Bytes32)] = [:]
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
        // Ranges are mostly read in order: the last one read gives the hash this one's chain starts from.
        let prev = lastHash[log].flatMap { $0.seq + 1 == seal.fromSeq ? $0.hash : nil }
        let ops = try reader.ops(log, from: seal.fromSeq, through: seal.seq, prev: prev).map { stored in
            HeldOpV2(header: stored.header, hash: stored.hash, body: stored.body, decoded: nil)
        }
        if let last = ops.last { lastHash[log] = (last.header.seq, last.hash) }
        if rangeOps + ops.count > Self.cachedOps { ranges = [:]; rangeOps = 0 }
        ranges[log, default: [:]][seal.seq] = ops
        rangeOps += ops.count
        return ops
    }
}
