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

    /// Re-evaluates ticket `key`; appends the scopes entered and left.
    mutating func refresh(_ key: String, _ facts: TicketFacts, touched: Bool,
                          entered: inout [ScopeID], left: inout [ScopeID]) {
        let should = shouldHold(facts, touched: touched)
        if should, tickets.insert(key).inserted {
            scopes.insert(facts.scope)
            entered.append(facts.scope)
            if let customer = facts.customer { retain(customer, &entered) }
        } else if !should, tickets.remove(key) != nil {
            scopes.remove(facts.scope)
            left.append(facts.scope)
            if let customer = facts.customer { release(customer, &left) }
        }
    }

    /// A held ticket's customer became known.
    mutating func learnedCustomer(_ customer: String, of key: String, entered: inout [ScopeID]) {
        if tickets.contains(key) { retain(customer, &entered) }
    }

    /// Forgets a ticket whose facts are gone (its scope dropped on this replica).
    mutating func forget(_ key: String, _ facts: TicketFacts, left: inout [ScopeID]) {
        guard tickets.remove(key) != nil else { return }
        scopes.remove(facts.scope)
        left.append(facts.scope)
        if let customer = facts.customer { release(customer, &left) }
    }

    private mutating func retain(_ customer: String, _ entered: inout [ScopeID]) {
        customerRefs[customer, default: 0] += 1
        if customerRefs[customer] == 1 {
            let id = OpCryptoV2.scopeID(Scope.customer(customer))
            scopes.insert(id)
            entered.append(id)
        }
    }

    private mutating func release(_ customer: String, _ left: inout [ScopeID]) {
        guard let count = customerRefs[customer] else { return }
        if count <= 1 {
            customerRefs[customer] = nil
            let id = OpCryptoV2.scopeID(Scope.customer(customer))
            scopes.remove(id)
            left.append(id)
        } else {
            customerRefs[customer] = count - 1
        }
    }
}
