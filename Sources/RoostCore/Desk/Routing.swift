/// Routing without a dispatcher (issue 15): a pure, deterministic function of the replicated state names the
/// one agent whose node should claim a ticket. Every node holding the same ops computes the same name at the
/// same time, so no two agents are pushed the same ticket and no server decides. The named agent's node claims
/// with the ordinary claim op; if it has not within the queue's timeout, the next eligible agent is named.

/// How a queue pushes its tickets.
public enum RoutingMode: String, Sendable, Codable, CaseIterable {
    /// The eligible agent holding the fewest open tickets (ties: a stable per-ticket order).
    case leastLoaded = "least-loaded"
    /// The eligible agent whose last claim is oldest (ties: a stable per-ticket order).
    case roundRobin = "round-robin"
}

/// A queue's routing policy, replicated as registers of `routing/<queue>` (written by leads and admins).
public struct RoutingPolicy: Sendable, Equatable, Codable {
    /// The queue (`default` for tickets without one).
    public var queue: String
    /// How tickets are pushed.
    public var mode: RoutingMode
    /// A lead paused it: nothing is pushed, manual claims go on.
    public var paused: Bool
    /// How long a named agent has to claim before the next one is named.
    public var timeoutMillis: UInt64

    /// Creates a policy.
    public init(queue: String, mode: RoutingMode, paused: Bool = false, timeoutMillis: UInt64 = RoutingRules.defaultTimeoutMillis) {
        self.queue = queue; self.mode = mode; self.paused = paused; self.timeoutMillis = timeoutMillis
    }
}

/// One agent as routing sees them.
public struct RoutingAgent: Sendable, Equatable {
    /// The member.
    public var id: AuthorID
    /// What routing counts (``AvailabilityRules/effective(set:lastOpMillis:now:)``): only `online` agents are named.
    public var availability: Availability
    /// Most open tickets they hold at once.
    public var capacity: Int
    /// Languages they answer in; empty: any.
    public var languages: [String]
    /// Their skills (tag names); a ticket tagged `skill:<name>` needs that skill.
    public var skills: Set<String>
    /// Queues they take work from; empty: every queue.
    public var queues: Set<String>
    /// Open tickets they hold now.
    public var load: Int
    /// When they last took a ticket (HLC ms of their newest claim), for round-robin.
    public var lastClaimMillis: UInt64

    /// Creates an agent.
    public init(id: AuthorID, availability: Availability, capacity: Int = RoutingRules.defaultCapacity, languages: [String] = [],
                skills: Set<String> = [], queues: Set<String> = [], load: Int = 0, lastClaimMillis: UInt64 = 0) {
        self.id = id; self.availability = availability; self.capacity = capacity; self.languages = languages
        self.skills = skills; self.queues = queues; self.load = load; self.lastClaimMillis = lastClaimMillis
    }
}

/// One ticket waiting to be routed.
public struct RoutingTicket: Sendable, Equatable {
    /// The ticket key.
    public var key: String
    /// Its queue (`default` when none).
    public var queue: String
    /// Its language, when known.
    public var language: String?
    /// Skills it needs (from tags `skill:<name>`).
    public var skills: Set<String>
    /// Since when it waits to be routed (Unix ms): its first customer message, or its last release or expired
    /// claim, whichever is later. Attempts are counted from here.
    public var waitingSinceMillis: UInt64

    /// Creates a ticket.
    public init(key: String, queue: String, language: String? = nil, skills: Set<String> = [], waitingSinceMillis: UInt64) {
        self.key = key; self.queue = queue; self.language = language; self.skills = skills; self.waitingSinceMillis = waitingSinceMillis
    }
}

/// Routing's rules and limits, named in one place.
public enum RoutingRules {
    /// The queue name of tickets without a queue.
    public static let defaultQueue = "default"
    /// Open tickets an agent holds at most when they never set a capacity.
    public static let defaultCapacity = 10
    /// Largest capacity an agent may set.
    public static let maxCapacity = 1_000
    /// How long a named agent has to claim, unless the queue says otherwise: 2 min.
    public static let defaultTimeoutMillis: UInt64 = 120_000
    /// Shortest and longest timeout a queue may set: 10 s ... 1 h.
    public static let timeoutRangeMillis: ClosedRange<UInt64> = 10_000...3_600_000
    /// The tag prefix naming a skill a ticket needs.
    public static let skillTagPrefix = "skill:"

    /// Whether `agent` may be pushed `ticket` now: online, in the ticket's queue, speaking its language (when
    /// both are known), holding its skills, under capacity.
    public static func isEligible(_ agent: RoutingAgent, for ticket: RoutingTicket) -> Bool {
        guard agent.availability == .online, agent.load < agent.capacity else { return false }
        if !agent.queues.isEmpty && !agent.queues.contains(ticket.queue) { return false }
        if let language = ticket.language, !agent.languages.isEmpty, !agent.languages.contains(language) { return false }
        return ticket.skills.isSubset(of: agent.skills)
    }

    /// The eligible agents for `ticket` in the order they are named: by load (least-loaded) or by last claim
    /// (round-robin), ties broken by a hash of ticket and agent, so equal agents share concurrent tickets instead
    /// of all being offered to the same one. A pure function of its arguments.
    public static func candidates(for ticket: RoutingTicket, among agents: [RoutingAgent], mode: RoutingMode) -> [AuthorID] {
        orderKeys(for: ticket, among: agents, mode: mode).sorted(by: <).map(\.2)
    }

    /// The sort key of every eligible agent: (load or last claim, tie-break, id).
    static func orderKeys(for ticket: RoutingTicket, among agents: [RoutingAgent], mode: RoutingMode) -> [(UInt64, UInt64, AuthorID)] {
        let seed = ticketHash(ticket.key)
        var keys: [(UInt64, UInt64, AuthorID)] = []
        keys.reserveCapacity(agents.count)
        for agent in agents where isEligible(agent, for: ticket) {
            keys.append((mode == .leastLoaded ? UInt64(agent.load) : agent.lastClaimMillis, tieBreak(seed, agent: agent.id), agent.id))
        }
        return keys
    }

    /// The agent named for `ticket` at `now`, or nil when the queue is paused or nobody is eligible. Attempt
    /// `k` = whole timeouts elapsed since the ticket began waiting; it names the `k`-th candidate (cycling).
    public static func named(for ticket: RoutingTicket, among agents: [RoutingAgent], policy: RoutingPolicy, now: UInt64) -> AuthorID? {
        guard !policy.paused else { return nil }
        var keys = orderKeys(for: ticket, among: agents, mode: policy.mode)
        guard !keys.isEmpty else { return nil }
        let waited = now > ticket.waitingSinceMillis ? now - ticket.waitingSinceMillis : 0
        let attempt = Int((waited / max(1, policy.timeoutMillis)) % UInt64(keys.count))
        // The first attempt (nearly every decision) needs the smallest key only: one pass, no sort.
        if attempt == 0 { return keys.min(by: <)!.2 }
        keys.sort(by: <)
        return keys[attempt].2
    }

    /// Names an agent for each of `tickets` at `now`, in the order given (the longest-waiting first): each name
    /// counts as one more open ticket of that agent for the tickets after it, so a batch is spread by load and
    /// capacity holds, exactly as every other node spreads it from the same state. Tickets of queues without a
    /// policy, of paused queues, or with nobody eligible get no name.
    public static func assign(_ tickets: [RoutingTicket], among agents: [RoutingAgent], policies: [String: RoutingPolicy],
                              now: UInt64) -> [String: AuthorID] {
        var view = agents
        var index: [AuthorID: Int] = [:]
        for (position, agent) in view.enumerated() { index[agent.id] = position }
        var names: [String: AuthorID] = [:]
        for ticket in tickets {
            guard let policy = policies[ticket.queue], let name = named(for: ticket, among: view, policy: policy, now: now) else { continue }
            names[ticket.key] = name
            if let position = index[name] {
                view[position].load += 1
                view[position].lastClaimMillis = now
            }
        }
        return names
    }

    /// FNV-1a (64-bit) over the ticket key's UTF-8 and then the agent's key bytes: a stable, platform-independent
    /// order among equal agents. The ticket's part is computed once per ticket.
    static func ticketHash(_ ticket: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in ticket.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return hash
    }

    static func tieBreak(_ ticketHash: UInt64, agent: AuthorID) -> UInt64 {
        var hash = ticketHash
        agent.key.withUnsafeBytes { raw in
            for byte in raw { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        }
        return hash
    }
}
