import RoostCore
import RoostCrypto

/// What a replica knows of one ticket from the ops it holds of the ticket's scope (SPEC-partial.md §P.2).
struct TicketFacts: Sendable {
    /// The ticket's scope id.
    var scope: ScopeID
    /// The `queue` register (LWW), nil when unset or null, and the stamp of the op that set it.
    var queue: String?
    var queueStamp: Stamp?
    /// The insert's `customer` field, when the insert is held.
    var customer: String?

    init(key: String) { scope = OpCryptoV2.scopeID(Scope.ticket(key)) }

    /// The queue the ticket sits in: its `queue` register, or `default`.
    var effectiveQueue: String { queue ?? RoutingRules.defaultQueue }
}

/// The scopes one node holds (SPEC-partial.md §P.2) as one replica computes them: its own, or, on a full replica, a
/// partial peer's (the sender's view, §P.4). Kept incrementally: a ticket is re-evaluated when its facts change.
struct HeldSet: Sendable {
    /// The subscription.
    var subscription: Subscription
    /// The node's author.
    var author: AuthorID
    /// Held tickets.
    private(set) var tickets: Set<String> = []
    /// Held tickets naming each customer.
    private(set) var customerRefs: [String: Int] = [:]
    /// Held scope ids, `g` included.
    private(set) var scopes: Set<ScopeID>

    /// The id of scope `g`.
    static let global = OpCryptoV2.scopeID(Scope.global)

    init(subscription: Subscription, author: AuthorID) {
        self.subscription = subscription
        self.author = author
        scopes = [Self.global]
    }

    /// Whether the node holds ticket `key`, given its facts and whether its author wrote in the ticket's scope.
    func shouldHold(_ facts: TicketFacts, touched: Bool) -> Bool {
        subscription.everything || touched || subscription.queues.contains(facts.effectiveQueue)
    }

    /// Scopes whose membership changed during one settling, with whether each was held before it: the net change is
    /// read at the end (``net(_:)``), so that a customer released by one ticket and retained by another in the same
    /// batch is neither dropped nor fetched again.
    typealias Moves = [ScopeID: Bool]

    /// Re-evaluates ticket `key`, recording membership changes in `moves`.
    mutating func refresh(_ key: String, _ facts: TicketFacts, touched: Bool, moves: inout Moves) {
        let should = shouldHold(facts, touched: touched)
        if should, tickets.insert(key).inserted {
            insert(facts.scope, &moves)
            if let customer = facts.customer { retain(customer, &moves) }
        } else if !should, tickets.remove(key) != nil {
            remove(facts.scope, &moves)
            if let customer = facts.customer { release(customer, &moves) }
        }
    }

    /// A held ticket's customer became known.
    mutating func learnedCustomer(_ customer: String, of key: String, moves: inout Moves) {
        if tickets.contains(key) { retain(customer, &moves) }
    }

    /// Customers held for good (the team's format 1 history writes in their scope): one reference each, never released.
    private(set) var pinnedCustomers: Set<String> = []

    /// Holds customer `customer` for good.
    mutating func pin(_ customer: String, moves: inout Moves) {
        if pinnedCustomers.insert(customer).inserted { retain(customer, &moves) }
    }

    /// The scopes entered and left over `moves`, net.
    func net(_ moves: Moves) -> (entered: [ScopeID], left: [ScopeID]) {
        var entered: [ScopeID] = [], left: [ScopeID] = []
        for (scope, wasHeld) in moves {
            let isHeld = scopes.contains(scope)
            if isHeld && !wasHeld { entered.append(scope) } else if wasHeld && !isHeld { left.append(scope) }
        }
        return (entered.sorted(), left.sorted())
    }

    private mutating func insert(_ scope: ScopeID, _ moves: inout Moves) {
        if moves[scope] == nil { moves[scope] = scopes.contains(scope) }
        scopes.insert(scope)
    }

    private mutating func remove(_ scope: ScopeID, _ moves: inout Moves) {
        if moves[scope] == nil { moves[scope] = scopes.contains(scope) }
        scopes.remove(scope)
    }

    private mutating func retain(_ customer: String, _ moves: inout Moves) {
        customerRefs[customer, default: 0] += 1
        if customerRefs[customer] == 1 { insert(OpCryptoV2.scopeID(Scope.customer(customer)), &moves) }
    }

    private mutating func release(_ customer: String, _ moves: inout Moves) {
        guard let count = customerRefs[customer] else { return }
        if count <= 1 {
            customerRefs[customer] = nil
            remove(OpCryptoV2.scopeID(Scope.customer(customer)), &moves)
        } else {
            customerRefs[customer] = count - 1
        }
    }
}
