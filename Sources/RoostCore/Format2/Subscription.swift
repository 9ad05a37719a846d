/// What a partial node subscribes to (Protocol/SPEC-partial.md §P.2): queues, or everything.
public struct Subscription: Hashable, Sendable {
    /// Every scope: a full node.
    public static let full = Subscription(queues: [], everything: true)

    /// The subscribed queues (`default` names the tickets without a queue).
    public var queues: Set<String>
    /// True for a full node.
    public var everything: Bool

    /// Subscribes to `queues` only.
    public init(queues: Set<String>) { self.init(queues: queues, everything: false) }

    private init(queues: Set<String>, everything: Bool) {
        self.queues = queues
        self.everything = everything
    }
}

/// What a node knows of one ticket when it decides which scopes it holds: the routing register `queue` and the
/// ticket's customer (both in the ticket's scope: a full node knows them for every ticket, a partial node for the
/// tickets it holds), and whether the node's own agent authored an op in the ticket's scope.
public struct TicketScopeFacts: Hashable, Sendable {
    public var key: String
    /// The `queue` register, nil when unset or null.
    public var queue: String?
    /// The insert's `customer` field, nil when unknown.
    public var customer: String?
    /// Whether this node's agent authored an op in the ticket's scope.
    public var touched: Bool

    /// Creates the facts of one ticket.
    public init(key: String, queue: String?, customer: String? = nil, touched: Bool = false) {
        self.key = key; self.queue = queue; self.customer = customer; self.touched = touched
    }
}

extension Subscription {
    /// The scope names a node with this subscription holds (SPEC-partial.md §P.2): `g`; each ticket in a subscribed
    /// queue or touched by the node's agent; the customer of each ticket it holds. Nil for a full node (every scope).
    public func scopes(_ tickets: [TicketScopeFacts]) -> Set<String>? {
        if everything { return nil }
        var names: Set<String> = [Scope.global]
        for ticket in tickets where ticket.touched || queues.contains(ticket.queue ?? RoutingRules.defaultQueue) {
            names.insert(Scope.ticket(ticket.key))
            if let customer = ticket.customer { names.insert(Scope.customer(customer)) }
        }
        return names
    }
}
