public import RoostCore
public import RoostCrypto
public import RoostStore

/// One node of a team under partial replication (Protocol/SPEC-partial.md), as a pure value: it writes format 2 ops
/// (scope, scope prev, seals v2 with scopes roots), answers a peer's ``PartialRequest`` with the runs of the scopes
/// that peer holds, and checks what it receives — scope chains, seal signatures, inclusion paths — before holding it.
///
/// No sockets, no clock and no store: a session or a simulation carries requests and batches between replicas.
/// A full replica (``Subscription/full``) holds every op of every log and keeps, for each partial peer, its own view
/// of the scopes that peer holds (§P.4); a partial replica holds `g`, the tickets of its queues that full peers send
/// it, the tickets its author wrote in, their customers, and its own log.
public struct PartialReplica: Sendable {
    /// This node's author.
    public let author: AuthorID
    private let key: SigningKey
    /// The epoch of this node's log.
    public let epoch: UInt64
    var mine: HeldSet
    var logs: [LogID: HeldLog] = [:]
    /// Per log: every op of a held scope up to this seq is held (§P.4).
    public internal(set) var vector: [LogID: UInt64] = [:]
    var facts: [String: TicketFacts] = [:]
    /// Tickets by effective queue (full replicas, to compute a peer's held set when it subscribes).
    var ticketsByQueue: [String: Set<String>] = [:]
    /// Tickets in whose scope each author wrote, among held ops.
    var touched: [AuthorID: Set<String>] = [:]
    /// Tickets the team's format 1 history names (SPEC-partial.md §P.2 rule 5): held for good.
    var historyTickets: Set<String> = []
    var messageTicket: [String: String] = [:]
    /// The targets of the effective erasures held (SPEC.md §1.9), by position: a held op at a target's position with the
    /// target's hash is held without its body, and takes the target's residue as its effect.
    var erasures: [OpRef: Erasure.Target] = [:]
    /// The team's founder, pinned out of band (SPEC-roster.md); nil: no team, and every erasure is effective.
    public let founder: AuthorID?
    /// The roster changes held (they are in `g`, which every node holds), and the roster they fold to.
    var rosterChanges: [RosterChange] = []
    var roster: RosterState?
    /// Erasures held that the roster does not (yet) make effective: judged again whenever roster changes arrive.
    public internal(set) var refusedErasures: [OpRef: (stamp: Stamp, erasure: Erasure)] = [:]
    /// Held scopes whose history this replica lacks: sent as `want-scope` in its next request.
    public internal(set) var wanted: Set<ScopeID> = []
    /// A full replica's view of each partial peer (§P.4).
    var views: [AuthorID: PeerView] = [:]
    /// The number of the last batch applied from each peer.
    var lastBatch: [AuthorID: UInt64] = [:]
    /// Scopes received whole, numbered, with their sender: reported to the other full peers (`have-scope`) until
    /// each has answered since.
    var wholeReceipts: [(number: UInt64, scope: ScopeID, from: AuthorID)] = []
    var receiptCount: UInt64 = 0
    /// Per full peer, the receipt count when its last batch arrived.
    var heardAt: [AuthorID: UInt64] = [:]
    private var nextSeq: UInt64 = 1
    private var head: Bytes32 = .zero
    private var ownScopeLast: [ScopeID: UInt64] = [:]
    /// What this replica refused or dropped.
    public internal(set) var counters = PartialCounters()
    /// The changes to what this replica holds since the last ``takeJournal()``, kept only once ``startJournal()`` was
    /// called (a partial node's store writes them: ``PartialStoreNode``).
    var journal: [PartialStoreChange]?

    /// A full replica's view of one partial peer: the scopes it holds, and what it was sent (§P.4).
    struct PeerView: Sendable {
        var held: HeldSet
        var sending = PartialSendState()
    }

    /// A replica that writes as `key` in log `epoch`, holding what `subscription` gives, in the team `founder` founded
    /// (nil: no team; then every erasure is effective, as on a lone node).
    public init(key: SigningKey, epoch: UInt64 = 1, subscription: Subscription, founder: AuthorID? = nil) {
        self.key = key
        author = key.authorID
        self.epoch = epoch
        self.founder = founder
        roster = founder.map { RosterState(founder: $0, changes: []) }
        mine = HeldSet(subscription: subscription, author: key.authorID)
    }

    /// True for a full replica.
    public var isFull: Bool { mine.subscription.everything }
    /// The subscription.
    public var subscription: Subscription { mine.subscription }
    /// This node's log.
    public var ownLog: LogID { LogID(author: author, epoch: epoch) }
    /// The scopes held (every scope seen, on a full replica: then this is `g` only and ``holds(_:)`` answers).
    public var heldScopes: Set<ScopeID> { mine.scopes }
    /// Whether the replica holds scope `scope`.
    public func holds(_ scope: ScopeID) -> Bool { isFull || mine.scopes.contains(scope) }
    /// The request this replica sends `peer`: its vector, the scopes it wants, and the last batch it applied from it.
    public func request(to peer: AuthorID) -> PartialRequest {
        let since = heardAt[peer] ?? 0
        var have: Set<ScopeID> = []
        for receipt in wholeReceipts.reversed() {
            guard receipt.number > since, have.count < PartialWire.maxWantScopes else { break }
            if receipt.from != peer && mine.scopes.contains(receipt.scope) { have.insert(receipt.scope) }
        }
        return PartialRequest(vector: vector, want: wanted, ack: lastBatch[peer] ?? 0, have: have)
    }

    /// Every held op's position and hash.
    public var heldOps: [OpRef: Bytes32] {
        var out: [OpRef: Bytes32] = [:]
        for (log, held) in logs {
            for (seq, op) in held.ops { out[OpRef(author: log.author, epoch: log.epoch, seq: seq)] = op.hash }
        }
        return out
    }

    /// The hash of the held op at `ref`, if held.
    public func hash(of ref: OpRef) -> Bytes32? { logs[ref.log]?.hash(at: ref.seq) }

    /// The scope of the held op at `ref`, if held.
    public func scope(of ref: OpRef) -> ScopeID? { logs[ref.log]?.ops[ref.seq]?.header.scope }

    /// Number of held ops and the bytes they count for (§P.7: hashed header and body each).
    public var storage: (ops: Int, bytes: Int) {
        logs.values.reduce((0, 0)) { sum, log in log.ops.values.reduce(sum) { ($0.0 + 1, $0.1 + $1.size) } }
    }

    /// The `queue` register of ticket `key`, as held (nil: unset, null, or the ticket is not held).
    public func queue(of key: String) -> String? { facts[key]?.queue }

    /// The held tickets (every ticket known, on a full replica).
    public var heldTickets: Set<String> { isFull ? Set(facts.keys) : mine.tickets }

    /// The held ops held without their body: erased here, or erased before they arrived.
    public var bodilessOps: Set<OpRef> {
        var out: Set<OpRef> = []
        for (log, held) in logs {
            for (seq, op) in held.ops where op.body == nil { out.insert(OpRef(author: log.author, epoch: log.epoch, seq: seq)) }
        }
        return out
    }

    /// Whether ticket `key` is held.
    public func holdsTicket(_ key: String) -> Bool { isFull ? facts[key] != nil : mine.tickets.contains(key) }

    // MARK: writing

    /// Writes `bodies` as one transaction of this node's log at `hlc` and seals it (SPEC-format-2.md §2.4, §2.5).
    /// Each op's scope is chosen as SPEC-format-2.md §2.2 says; a partial replica may write in `g`, in any ticket (it
    /// then holds that ticket: it touched it) and in the customers it holds.
    @discardableResult
    public mutating func write(_ bodies: [OpBody], at hlc: HLC) throws(PartialError) -> ClosedRange<UInt64> {
        precondition(!bodies.isEmpty, "a transaction has at least one op")
        let named = bodies.map { body in (body, Scope.name(of: body) { messageTicket[$0] }) }
        if !isFull {
            for (_, name) in named where name.hasPrefix("c/") && !mine.scopes.contains(OpCryptoV2.scopeID(name)) {
                throw .scopeNotHeld(name)
            }
        }
        let first = nextSeq
        var range: [(scope: ScopeID, hash: Bytes32)] = []
        var written: [HeldOpV2] = []
        for (body, name) in named {
            let scope = OpCryptoV2.scopeID(name)
            let (header, encoded) = OpCryptoV2.makeHeader(author: author, epoch: epoch, seq: nextSeq, prev: head, hlc: hlc,
                                                          scope: scope, scopePrev: ownScopeLast[scope] ?? 0, body: body)
            let hash = OpCryptoV2.opHash(header)
            written.append(HeldOpV2(header: header, hash: hash, body: encoded, decoded: body))
            range.append((scope, hash))
            ownScopeLast[scope] = nextSeq
            head = hash
            nextSeq += 1
        }
        let seal = OpCryptoV2.seal(key: key, epoch: epoch, fromSeq: first, seq: nextSeq - 1, head: head,
                                   scopesRoot: OpCryptoV2.root(OpCryptoV2.leaves(of: range)))
        var changes = Changes()
        for op in written {
            logs[ownLog, default: HeldLog()].insert(op)
            note(.hold(StoredOpV2(header: op.header, hash: op.hash, body: op.body)))
            absorb(op, into: &changes)
        }
        logs[ownLog]!.keep(seal, path: nil)
        note(.keep(seal, path: nil))
        vector[ownLog] = nextSeq - 1
        note(.vector(ownLog, nextSeq - 1))
        carryOutErasures(&changes)
        settle(changes, offered: [])
        return first...(nextSeq - 1)
    }

    /// Takes ops of this node's own log that its store appended (a node's desk writes through its store,
    /// ``OpStore/appendLocal(_:by:clock:)``), with their seals: they must continue the log as held (seq, prev); ops
    /// already held are skipped. They are not journaled: the store holds them already.
    public mutating func adoptOwn(_ ops: [StoredOpV2], seals: [SealV2]) throws(PartialError) {
        var changes = Changes()
        for op in ops where op.header.seq >= nextSeq {
            guard op.header.ref.log == ownLog, op.header.seq == nextSeq, op.header.prev == head,
                  OpCryptoV2.opHash(op.header) == op.hash else { throw .ownLogMismatch(seq: op.header.seq) }
            let held = try HeldOpV2(op)
            logs[ownLog, default: HeldLog()].insert(held)
            absorb(held, into: &changes)
            ownScopeLast[op.header.scope] = op.header.seq
            head = op.hash
            nextSeq += 1
        }
        for seal in seals where LogID(author: seal.author, epoch: seal.epoch) == ownLog && seal.seq < nextSeq {
            logs[ownLog, default: HeldLog()].keep(seal, path: nil)
        }
        guard nextSeq - 1 > vector[ownLog] ?? 0 else { return }
        vector[ownLog] = nextSeq - 1
        note(.vector(ownLog, nextSeq - 1))
        carryOutErasures(&changes)
        settle(changes, offered: [])
    }

    /// The seq of the newest op of this node's own log.
    public var ownTop: UInt64 { nextSeq - 1 }

    /// Learns from the team's format 1 history: ops of format 1 logs, which carry no scopes, so that a partial node's
    /// store holds them whole as a full node does (SPEC-partial.md §P.2 rule 5, §P.3c). Every ticket and customer they
    /// name is held for good (its format 2 ops are then wanted, unless `restoring`: a node reopened from its store,
    /// which kept what it wanted); their queue writes and ticket customers count as held ops' do; their roster changes
    /// and erasures are judged and carried out as held ops' are. The ops themselves are not held by the replica.
    public mutating func learnHistory(_ ops: [HistoryOp], restoring: Bool = false) {
        var changes = Changes()
        var pinning: [String] = []
        for op in ops {
            guard let body = op.body, let name = op.scope else { continue }
            if let ticket = absorb(body, stamp: op.stamp, name: name, into: &changes) {
                if historyTickets.insert(ticket).inserted { changes.tickets.insert(ticket) }
            } else if name.hasPrefix("c/") {
                pinning.append(String(name.dropFirst(2)))
            }
        }
        carryOutErasures(&changes)
        settle(changes, offered: [], pinning: pinning, wantEntered: !restoring)
    }

    // MARK: what held ops say

    /// Facts that changed while absorbing ops, settled together.
    struct Changes {
        /// Tickets whose facts changed (new, queue moved).
        var tickets: Set<String> = []
        /// Tickets whose customer became known.
        var customers: [(ticket: String, customer: String)] = []
        /// Tickets an author wrote in for the first time.
        var touches: [(author: AuthorID, ticket: String)] = []
        /// Erasures newly held, judged and carried out once the batch's ops are in place.
        var erasures: [(stamp: Stamp, erasure: Erasure)] = []
        /// Whether a roster change was held: refused erasures are judged again.
        var roster = false
    }

    /// Records what a newly held op says about routing: its ticket's queue, customer, messages, and who touched it.
    mutating func absorb(_ op: HeldOpV2, into changes: inout Changes) {
        guard let decoded = op.decoded else { return }   // an op held without its body says nothing until erased
        absorb(decoded, stamp: Stamp(hlc: op.header.hlc, ref: op.header.ref), name: nil, into: &changes)
    }

    /// What ``absorb(_:into:)`` records of one op's body made at `stamp`; `name` is its scope's name when known
    /// (a format 1 op's, named by its store), else computed. Returns the ticket the op is in, if any.
    @discardableResult
    mutating func absorb(_ decoded: OpBody, stamp: Stamp, name known: String?, into changes: inout Changes) -> String? {
        if case let .insert(entity, fields) = decoded, entity.collection == ErasureSchema.collection,
           let erasure = Erasure(fields: fields) {
            changes.erasures.append((stamp, erasure))
        }
        if case let .set(entity, _, _) = decoded, entity.collection == RosterSchema.member,
           let change = RosterChange(stamp: stamp, body: decoded) {
            rosterChanges.append(change)
            changes.roster = true
        }
        let name = known ?? Scope.name(of: decoded) { messageTicket[$0] }
        guard name.hasPrefix("t/") else { return nil }
        let ticket = String(name.dropFirst(2))
        if facts[ticket] == nil {
            facts[ticket] = TicketFacts(key: ticket)
            if isFull { ticketsByQueue[RoutingRules.defaultQueue, default: []].insert(ticket) }
            changes.tickets.insert(ticket)
        }
        switch decoded {
        case let .set(entity, "queue", value) where entity.collection == Desk.ticket:
            if LastWriterWins.replaces(stamp, over: facts[ticket]!.queueStamp) {
                let before = facts[ticket]!.effectiveQueue
                if case let .string(queue) = value { facts[ticket]!.queue = queue } else { facts[ticket]!.queue = nil }
                facts[ticket]!.queueStamp = stamp
                let after = facts[ticket]!.effectiveQueue
                if before != after {
                    if isFull {
                        ticketsByQueue[before]?.remove(ticket)
                        ticketsByQueue[after, default: []].insert(ticket)
                    }
                    changes.tickets.insert(ticket)
                }
            }
        case let .insert(entity, fields) where entity.collection == Desk.ticket:
            if facts[ticket]!.customer == nil,
               case let .string(customer)? = fields.first(where: { $0.name == "customer" })?.value {
                facts[ticket]!.customer = customer
                changes.customers.append((ticket, customer))
            }
        case let .insert(entity, _) where entity.collection == Desk.message:
            messageTicket[entity.key] = ticket
        default:
            break
        }
        if touched[stamp.ref.author, default: []].insert(ticket).inserted {
            changes.touches.append((stamp.ref.author, ticket))
        }
        return ticket
    }

    /// Whether `peer` holds ticket `ticket` whatever its queue: it wrote in it, or the team's format 1 history names it.
    func keeps(_ ticket: String, for peer: AuthorID) -> Bool {
        historyTickets.contains(ticket) || (touched[peer]?.contains(ticket) ?? false)
    }

    /// Judges the erasures absorbed by the roster held (SPEC.md §1.9, "Who may erase": ``RosterState/mayErase(at:reason:onlyMessageInserts:)``,
    /// as a node's store does) and carries out the effective ones: a held op at a target's position with the target's
    /// hash loses its body; one held without its body (it arrived erased) takes the target's residue as its effect
    /// now. A refused erasure is kept and judged again whenever roster changes arrive (the roster ops are in `g`, which
    /// every replica holds), so the outcome does not depend on the order ops arrive in. An effective erasure is never
    /// undone.
    mutating func carryOutErasures(_ changes: inout Changes) {
        while !changes.erasures.isEmpty || changes.roster {
            if changes.roster, let founder {
                roster = RosterState(founder: founder, changes: rosterChanges)
                changes.erasures += refusedErasures.values.sorted { $0.stamp < $1.stamp }
                refusedErasures = [:]
            }
            changes.roster = false
            var targets: [Erasure.Target] = []
            for (stamp, erasure) in changes.erasures {
                let effective = roster.map { roster in
                    roster.mayErase(at: stamp, reason: erasure.reason) { erasure.erasesOnlyMessageInserts }
                } ?? true
                if effective { targets += erasure.targets } else { refusedErasures[stamp.ref] = (stamp, erasure) }
            }
            changes.erasures = []
            for target in targets where erasures[target.ref] == nil {
                erasures[target.ref] = target
                guard let held = logs[target.ref.log]?.ops[target.ref.seq], held.hash == target.hash else { continue }
                logs[target.ref.log]!.erase(target.ref.seq)
                if held.body == nil {
                    absorb(HeldOpV2(header: held.header, hash: held.hash, body: nil, decoded: target.residue), into: &changes)
                }
            }
        }
    }

    /// What to hold of `op` and what to absorb from it: the op without its body, and its residue as its effect, when
    /// a held erasure names it (it arrived from a peer that had not merged the erasure); else the op itself.
    func holding(_ op: RunV2.Resolved) -> (kept: HeldOpV2, effect: HeldOpV2) {
        let kept = HeldOpV2(header: op.header, hash: op.hash, body: op.body, decoded: op.decoded)
        guard let target = erasures[op.header.ref], target.hash == op.hash else { return (kept, kept) }
        return (HeldOpV2(header: op.header, hash: op.hash, body: nil, decoded: nil),
                HeldOpV2(header: op.header, hash: op.hash, body: nil, decoded: target.residue))
    }

    /// Re-evaluates the held sets — this replica's and, on a full replica, each peer view's — for the tickets whose
    /// facts changed; drops the scopes this replica left and wants the ones it entered without their history.
    /// `offered` are scopes received whole in this batch: kept only when they turn out to be held.
    /// `pinning`: customers the team's format 1 history names, held for good from now on. `wantEntered` false: the
    /// scopes entered are not wanted (a node reopened from its store, which kept what it wanted).
    mutating func settle(_ changes: Changes, offered: Set<ScopeID>, pinning: [String] = [], wantEntered: Bool = true) {
        // Sorted, so that a seed replays the same run whatever the process's hash seed.
        let tickets = changes.tickets.sorted()
        if !isFull {
            var moves = HeldSet.Moves()
            for customer in pinning.sorted() { mine.pin(customer, moves: &moves) }
            var refreshed = Set(tickets)
            for touch in changes.touches where touch.author == author { refreshed.insert(touch.ticket) }
            // Customers first: a ticket held before this batch retains its newly known customer here; one that
            // enters below retains it through its facts.
            for (ticket, customer) in changes.customers { mine.learnedCustomer(customer, of: ticket, moves: &moves) }
            for ticket in refreshed.sorted() {
                guard let ticketFacts = facts[ticket] else { continue }
                mine.refresh(ticket, ticketFacts, touched: keeps(ticket, for: author), moves: &moves)
            }
            let (entered, left) = mine.net(moves)
            for scope in entered where wantEntered && !offered.contains(scope) { wanted.insert(scope) }
            // An offered scope that did not turn out to be held, and every scope left, is dropped.
            var dropping = Set(left)
            for scope in offered where !mine.scopes.contains(scope) { dropping.insert(scope) }
            if !dropping.isEmpty { drop(dropping) }
        } else if !views.isEmpty {
            for peer in views.keys.sorted() {
                var view = views[peer]!
                var moves = HeldSet.Moves()
                for (ticket, customer) in changes.customers {
                    view.held.learnedCustomer(customer, of: ticket, moves: &moves)
                }
                for ticket in tickets {
                    view.held.refresh(ticket, facts[ticket]!, touched: keeps(ticket, for: peer), moves: &moves)
                }
                for touch in changes.touches where touch.author == peer {
                    view.held.refresh(touch.ticket, facts[touch.ticket]!, touched: true, moves: &moves)
                }
                let (entered, left) = view.held.net(moves)
                view.sending.enter(entered, leave: left)
                views[peer] = view
            }
        }
    }

    /// Drops every op of `scopes` (never of this node's own log) and what was derived from them.
    private mutating func drop(_ scopes: Set<ScopeID>) {
        for scope in scopes.sorted() {
            wanted.remove(scope)
            note(.drop(scope, keeping: ownLog))
            for log in Array(logs.keys) where log != ownLog {
                for op in logs[log]!.drop(scope) {
                    counters.dropped += 1
                    if case let .insert(entity, _) = op.decoded, entity.collection == Desk.message {
                        messageTicket[entity.key] = nil
                    }
                }
            }
        }
        // Facts come from held ops only: a ticket whose scope is gone is forgotten.
        for (ticket, ticketFacts) in facts where scopes.contains(ticketFacts.scope) && !mine.tickets.contains(ticket) {
            facts[ticket] = nil
        }
    }

    // MARK: the journal a store follows

    /// Starts keeping the changes to what this replica holds, for ``takeJournal()``.
    public mutating func startJournal() { if journal == nil { journal = [] } }

    /// The changes to what this replica holds since the last call (or since ``startJournal()``), in order: what a
    /// partial node's store writes (``OpStore/applyPartial(_:wanted:clock:)``), with ``wanted``.
    public mutating func takeJournal() -> [PartialStoreChange] {
        guard let taken = journal else { return [] }
        journal = []
        return taken
    }

    mutating func note(_ change: PartialStoreChange) { journal?.append(change) }

    /// A partial replica rebuilt from what its store holds (``OpStore/partialState()``): the held ops, seals and paths,
    /// vector and wanted scopes as they were written; the facts, held set and erasures recomputed from the held ops, as
    /// when they arrived. What a session knew (the batches acknowledged to each peer, scopes reported with `have-scope`)
    /// starts again from zero: a full peer then sends again what it had not seen acknowledged (SPEC-partial.md §P.4).
    public init(key: SigningKey, epoch: UInt64, founder: AuthorID?, restoring state: PartialStoreState) throws(PartialError) {
        guard let queues = state.subscription else { throw .notPartialStore }
        self.init(key: key, epoch: epoch, subscription: Subscription(queues: Set(queues)), founder: founder)
        var changes = Changes()
        for op in state.ops {
            let log = op.header.ref.log
            let held = try HeldOpV2(op)
            logs[log, default: HeldLog()].insert(held)
            absorb(held, into: &changes)
            if log == ownLog {
                nextSeq = op.header.seq + 1
                head = op.hash
                ownScopeLast[op.header.scope] = op.header.seq
            }
        }
        for (seal, paths) in state.seals {
            let log = LogID(author: seal.author, epoch: seal.epoch)
            if paths.isEmpty { logs[log, default: HeldLog()].keep(seal, path: nil) }
            for path in paths {
                logs[log, default: HeldLog()].keep(seal, path: path)
            }
        }
        vector = state.vector
        carryOutErasures(&changes)
        var moves = HeldSet.Moves()
        for ticket in facts.keys.sorted() {
            mine.refresh(ticket, facts[ticket]!, touched: keeps(ticket, for: author), moves: &moves)
        }
        wanted = state.wanted
    }

    // MARK: peers

    /// Registers (or updates) a partial peer's subscription (`subscribe`, §P.3) on a full replica: every scope the
    /// peer now holds in this view and did not before is sent whole in the next batch for it.
    public mutating func subscribe(peer: AuthorID, _ subscription: Subscription) {
        precondition(isFull, "only a full replica serves partial peers")
        guard !subscription.everything else { views[peer] = nil; return }
        var view = views[peer] ?? PeerView(held: HeldSet(subscription: subscription, author: peer))
        view.held.subscription = subscription
        var candidates = touched[peer] ?? []
        for queue in subscription.queues { candidates.formUnion(ticketsByQueue[queue] ?? []) }
        candidates.formUnion(view.held.tickets)
        var moves = HeldSet.Moves()
        for ticket in candidates.sorted() {
            view.held.refresh(ticket, facts[ticket]!, touched: keeps(ticket, for: peer), moves: &moves)
        }
        let (entered, left) = view.held.net(moves)
        view.sending.enter(entered, leave: left)
        views[peer] = view
    }

    /// Changes this replica's own subscription: the tickets of dropped queues it did not touch are dropped at once;
    /// those of new queues arrive when full peers learn the change (``subscribe(peer:_:)``).
    public mutating func resubscribe(_ subscription: Subscription) {
        precondition(!isFull && !subscription.everything, "a full replica stays full")
        mine.subscription = subscription
        var changes = Changes()
        changes.tickets = mine.tickets
        settle(changes, offered: [])
    }
}
