public import RoostCore
import RoostStore

/// One queue's routing as `roost routing show` prints it.
public struct RoutingQueueView: Sendable, Codable, Equatable {
    /// The queue.
    public var queue: String
    /// `least-loaded`, `round-robin`.
    public var mode: String
    /// Paused by a lead: nothing is pushed.
    public var paused: Bool
    /// Seconds a named agent has to claim.
    public var timeoutSeconds: UInt64
    /// Tickets waiting and the member each is pushed to now (display name), nil when nobody is eligible.
    public var waiting: [Pushed]

    /// A waiting ticket and who it is pushed to.
    public struct Pushed: Sendable, Codable, Equatable {
        public var ticket: String
        public var to: String?
    }
}

extension DeskService {
    /// `team/settings` registers of routing: `routing.<queue>` (mode or `off`), `routing_paused.<queue>` (bool),
    /// `routing_timeout.<queue>` (seconds). Counted only when a lead or an admin wrote them.
    static let routingField = "routing", routingPausedField = "routing_paused", routingTimeoutField = "routing_timeout"
    /// Most waiting tickets one routing pass looks at (the longest-waiting first).
    public static let routingPassLimit = 500

    var settings: EntityRef { EntityRef(Desk.team, "settings") }

    func requireLead(_ what: String) throws(DeskError) {
        if let roster = try run({ () throws(StoreError) in try store.team.roster() }), roster.currentRole(of: node.id)?.mayReassign != true {
            throw .notPermitted(allowed: "leads and admins", action: what)
        }
    }

    static func checkQueue(_ queue: String) throws(DeskError) {
        if queue.isEmpty || queue.count > 64 || queue.contains(where: { $0.isWhitespace || $0 == "." }) {
            throw .invalid(field: "queue", rule: "a queue name has 1 to 64 characters, no spaces or dots (got \"\(queue)\")")
        }
    }

    /// Turns push routing on for a queue (`mode`), or off (nil); `timeoutSeconds` sets how long a named agent has
    /// to claim. Leads and admins only.
    public func setRouting(queue: String, mode: RoutingMode?, timeoutSeconds: UInt64? = nil) throws(DeskError) {
        try requireLead("turn routing on or off")
        try Self.checkQueue(queue)
        var bodies: [OpBody] = [.set(entity: settings, field: Self.routingField + "." + queue, value: .string(mode?.rawValue ?? "off"))]
        if let timeoutSeconds {
            guard RoutingRules.timeoutRangeMillis.contains(timeoutSeconds * 1_000) else {
                throw .invalid(field: "timeoutSeconds", rule: "the timeout must be \(RoutingRules.timeoutRangeMillis.lowerBound / 1_000) to \(RoutingRules.timeoutRangeMillis.upperBound / 1_000) seconds")
            }
            bodies.append(.set(entity: settings, field: Self.routingTimeoutField + "." + queue, value: .int(Int64(timeoutSeconds))))
        }
        try append(bodies)
    }

    /// Pauses (or resumes) pushing in a queue; manual claims go on. Leads and admins only.
    public func pauseRouting(queue: String, paused: Bool) throws(DeskError) {
        try requireLead("pause routing")
        try Self.checkQueue(queue)
        try append([.set(entity: settings, field: Self.routingPausedField + "." + queue, value: .bool(paused))])
    }

    /// The queues with push routing on, each register counted only when a lead or an admin wrote it.
    public func routingPolicies() throws(DeskError) -> [RoutingPolicy] {
        let roster = try run { () throws(StoreError) in try store.team.roster() }
        var values: [String: Value] = [:]
        for (field, _) in try run({ () throws(StoreError) in try store.state.registers(of: settings) })
        where field.hasPrefix(Self.routingField + ".") || field.hasPrefix(Self.routingPausedField + ".") || field.hasPrefix(Self.routingTimeoutField + ".") {
            guard let (value, stamp) = try run({ () throws(StoreError) in try store.state.registerWithStamp(settings, field) }) else { continue }
            if let roster, roster.role(of: stamp.ref.author, before: stamp)?.mayReassign != true { continue }
            values[field] = value
        }
        var policies: [RoutingPolicy] = []
        for (field, value) in values where field.hasPrefix(Self.routingField + ".") {
            let queue = String(field.dropFirst(Self.routingField.count + 1))
            guard let mode = value.stringValue.flatMap(RoutingMode.init(rawValue:)) else { continue }
            var policy = RoutingPolicy(queue: queue, mode: mode)
            if case let .bool(paused)? = values[Self.routingPausedField + "." + queue] { policy.paused = paused }
            if case let .int(seconds)? = values[Self.routingTimeoutField + "." + queue], seconds > 0,
               RoutingRules.timeoutRangeMillis.contains(UInt64(seconds) * 1_000) {
                policy.timeoutMillis = UInt64(seconds) * 1_000
            }
            policies.append(policy)
        }
        return policies.sorted { $0.queue < $1.queue }
    }

    /// Sets this node's member's capacity (most open tickets pushed to them at once).
    public func setMyCapacity(_ capacity: Int) throws(DeskError) {
        guard (1...RoutingRules.maxCapacity).contains(capacity) else {
            throw .invalid(field: "capacity", rule: "capacity must be 1 to \(RoutingRules.maxCapacity) open tickets (got \(capacity))")
        }
        try append([.set(entity: EntityRef("member", node.id.text), field: "capacity", value: .int(Int64(capacity)))])
    }

    /// Sets this node's member's skills (matched against tickets' `skill:<name>` tags) or queues (empty: all).
    public func setMyList(_ field: String, _ items: [String]) throws(DeskError) {
        guard field == "skills" || field == "queues" else { throw .invalid(field: "list", rule: "unknown agent list \(field)") }
        let cleaned = items.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }  // as written: queue names are exact
        for item in cleaned where item.count > 64 || item.contains(",") { throw .invalid(field: field, rule: "\(field): \"\(item)\" is too long") }
        try append([.set(entity: EntityRef("member", node.id.text), field: field, value: .string(cleaned.joined(separator: ",")))])
    }

    /// Every current member as routing sees them at this desk's time.
    public func routingAgents() throws(DeskError) -> [RoutingAgent] {
        let loads = try run { () throws(StoreError) in try store.desk.routingLoads(now: now) }
        let defaultCapacity = try deskPolicy().defaultCapacity ?? RoutingRules.defaultCapacity
        var agents: [RoutingAgent] = []
        for line in try teamAvailability() {
            guard let id = try? AuthorID(text: line.member) else { continue }
            let registers = Dictionary(try run { () throws(StoreError) in try store.state.registers(of: EntityRef("member", line.member)) }) { a, _ in a }
            func list(_ field: String) -> [String] {
                (registers[field]?.stringValue ?? "").split(separator: ",").map(String.init)
            }
            var capacity = defaultCapacity
            if case let .int(value)? = registers["capacity"], (1...Int64(RoutingRules.maxCapacity)).contains(value) { capacity = Int(value) }
            agents.append(RoutingAgent(id: id, availability: line.effective, capacity: capacity,
                                       languages: Self.languageList(registers["languages"]?.stringValue ?? ""),
                                       skills: Set(list("skills")), queues: Set(list("queues")),
                                       load: loads[id]?.open ?? 0, lastClaimMillis: loads[id]?.lastClaimMillis ?? 0))
        }
        return agents
    }

    /// Each routed queue, with its waiting tickets and who each is pushed to now.
    public func routingView() throws(DeskError) -> [RoutingQueueView] {
        let policies = try routingPolicies()
        let agents = try routingAgents()
        let tickets = try run { () throws(StoreError) in
            try store.desk.routableTickets(queues: policies.map(\.queue), now: now, limit: Self.routingPassLimit)
        }
        let names = RoutingRules.assign(tickets, among: agents, policies: Dictionary(policies.map { ($0.queue, $0) }) { a, _ in a }, now: now)
        return try policies.map { policy throws(DeskError) in
            let waiting = try tickets.filter { $0.queue == policy.queue }.map { ticket throws(DeskError) in
                RoutingQueueView.Pushed(ticket: ticket.key, to: try names[ticket.key].map { id throws(DeskError) in try memberName(id) })
            }
            return RoutingQueueView(queue: policy.queue, mode: policy.mode.rawValue, paused: policy.paused,
                                    timeoutSeconds: policy.timeoutMillis / 1_000, waiting: waiting)
        }
    }

    /// One routing pass on this node: every node assigns the waiting tickets of active routed queues with the
    /// same function on the same state (``RoutingRules/assign(_:among:policies:now:)``); this node claims the ones
    /// named for its member, with the normal claim op (a ticket someone else claimed meanwhile is skipped).
    /// Returns the keys claimed. `roost run` calls it every few seconds.
    @discardableResult
    public func routeOnce() throws(DeskError) -> [String] {
        let policies = try routingPolicies().filter { !$0.paused }
        guard !policies.isEmpty else { return [] }
        let agents = try routingAgents()
        guard let me = agents.first(where: { $0.id == node.id }), me.availability == .online else { return [] }
        let tickets = try run { () throws(StoreError) in
            try store.desk.routableTickets(queues: policies.map(\.queue), now: now, limit: Self.routingPassLimit)
        }
        let names = RoutingRules.assign(tickets, among: agents, policies: Dictionary(policies.map { ($0.queue, $0) }) { a, _ in a }, now: now)
        var claimed: [String] = []
        for ticket in tickets where names[ticket.key] == node.id {
            do {
                try claimPushed(ticket.key)
                claimed.append(ticket.key)
            } catch .claimedByOther {
                continue
            }
        }
        return claimed
    }
}
