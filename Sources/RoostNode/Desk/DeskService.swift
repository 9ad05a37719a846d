import Foundation
public import RoostCore
import RoostCrypto
public import RoostStore
import RoostTwitter

/// The help desk of one node: every command becomes ops on the node's log, checked first so a refused
/// command writes nothing.
public struct DeskService: Sendable {
    /// The node.
    public let node: Node
    /// The clock commands are stamped with.
    public let clock: any WallClock

    /// Opens the desk of `node`.
    public init(node: Node, clock: any WallClock = SystemClock()) {
        self.node = node
        self.clock = clock
    }

    var store: OpStore { node.store }
    var now: UInt64 { clock.nowMillis() }

    func run<T>(_ work: () throws(StoreError) -> T) throws(DeskError) -> T {
        do { return try work() } catch { throw .store(error) }
    }

    func append(_ bodies: [OpBody]) throws(DeskError) {
        _ = try run { () throws(StoreError) in try store.appendLocal(bodies, by: node.author, clock: clock) }
    }

    // MARK: settings

    /// The inbox's queue counts for this node (mine, unassigned, breaching...), exact up to `cap` each.
    public func queueCounts(cap: Int) throws(DeskError) -> DeskQueueCounts {
        let sla = try slaTargets()
        return try run { () throws(StoreError) in try store.desk.deskQueueCounts(holder: node.id, sla: sla, now: now, cap: cap) }
    }

    /// Claim conflicts on tickets, with the loser's holder, for the report and dashboard.
    public func ticketClaimConflicts() throws(DeskError) -> [ClaimConflictRow] {
        try run { () throws(StoreError) in try store.desk.ticketClaimConflicts() }
    }

    /// The current claim on a ticket, when any.
    public func claimStatus(_ typed: String) throws(DeskError) -> ClaimStatus? {
        let key = try ticketKey(typed)
        return try run { () throws(StoreError) in try store.state.claim(on: EntityRef(Desk.ticket, key)) }
    }

    /// SLA targets: the team's settings, else the defaults.
    public func slaTargets() throws(DeskError) -> SLATargets {
        var targets = SLATargets.defaults
        for priority in Priority.allCases {
            // Registers come from any member: only values a command could have written count.
            if case let .int(minutes)? = try run({ () throws(StoreError) in
                try store.state.register(EntityRef(Desk.team, "settings"), "sla.\(priority.rawValue)")
            }), (1...Self.maxSLAMinutes).contains(minutes) {
                targets.minutes[priority] = Int(minutes)
            }
        }
        targets.queues = try deskPolicy().queueSLAs
        return targets
    }

    /// Longest first-response target: one week.
    public static let maxSLAMinutes: Int64 = 10_080

    /// Sets the first-response target of a priority (replicated to the team).
    public func setSLA(_ priority: Priority, minutes: Int) throws(DeskError) {
        guard (1...Self.maxSLAMinutes).contains(Int64(minutes)) else {
            throw .invalid(field: "minutes", rule: "SLA target must be 1...\(Self.maxSLAMinutes) minutes")
        }
        try append([.set(entity: EntityRef(Desk.team, "settings"), field: "sla.\(priority.rawValue)", value: .int(Int64(minutes)))])
    }

    /// The team's resolution types: its own list, else the defaults.
    public func resolutionTypes() throws(DeskError) -> [String] {
        let own = try run { () throws(StoreError) in try store.desk.keys(in: Desk.resolutionType) }
        return own.isEmpty ? Desk.defaultResolutionTypes : own
    }

    /// Canned responses by name.
    public func cannedResponses() throws(DeskError) -> [(name: String, text: String)] {
        try run { () throws(StoreError) in
            var result: [(name: String, text: String)] = []
            for name in try store.desk.keys(in: Desk.canned) {
                if let text = try store.state.register(EntityRef(Desk.canned, name), "text")?.stringValue { result.append((name, text)) }
            }
            return result
        }
    }

    /// Adds or replaces a canned response.
    public func addCanned(name: String, text: String) throws(DeskError) {
        guard !name.isEmpty, name.count <= 64, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw .invalid(field: "name", rule: "canned response names are 1-64 letters, digits, - or _")
        }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw .invalid(field: "text", rule: "canned text is empty") }
        try append([.set(entity: EntityRef(Desk.canned, name), field: "text", value: .string(text))])
    }

    // MARK: tickets

    /// Resolves what an agent typed (`p1193`, `1193`) to a ticket key.
    public func ticketKey(_ typed: String) throws(DeskError) -> String {
        let keys = try run { () throws(StoreError) in try store.desk.ticketKeys(matching: typed) }
        if keys.count == 1 { return keys[0] }
        if keys.contains(typed) { return typed }
        if keys.isEmpty { throw .unknownTicket(typed) }
        throw .ambiguousTicket(typed, keys)
    }

    func row(_ key: String) throws(DeskError) -> InboxRow {
        let sla = try slaTargets()
        guard let row = try run({ () throws(StoreError) in try store.desk.ticketRow(key, sla: sla, now: now) }) else {
            throw .unknownTicket(key)
        }
        return row
    }

    /// The inbox.
    public func inbox(_ filter: InboxFilter) throws(DeskError) -> [InboxRow] {
        let sla = try slaTargets()
        return try run { () throws(StoreError) in try store.desk.inbox(filter, sla: sla, now: now) }
    }

    /// How many tickets the inbox filter matches in all (its limit and offset ignored).
    public func inboxCount(_ filter: InboxFilter) throws(DeskError) -> Int {
        let sla = try slaTargets()
        return try run { () throws(StoreError) in try store.desk.inboxCount(filter, sla: sla, now: now) }
    }

    /// A member's display name: from their profile op, else the short node id.
    public func memberName(_ id: AuthorID) throws(DeskError) -> String {
        let fields = try run { () throws(StoreError) in try store.state.entity(EntityRef("member", id.text)) }
        return fields?.first { $0.name == "name" }?.value.stringValue ?? id.short
    }

    /// Records this node's member profile (name, initials) once, so peers can show names.
    public func publishProfile() throws(DeskError) {
        try append([.makeInsert(EntityRef("member", node.id.text), [
            Field("name", .string(node.config.name)), Field("initials", .string(node.config.initials)),
        ])])
    }

    /// Refuses when another member holds `key`; returns the current claim.
    func requireNotHeldByOther(_ key: String) throws(DeskError) -> ClaimStatus? {
        let claim = try run { () throws(StoreError) in try store.state.claim(on: EntityRef(Desk.ticket, key)) }
        if let claim, let holder = claim.holder, holder != node.id, now < claim.leaseEndsMillis {
            throw .claimedByOther(ticket: key, holder: try memberName(holder), sinceMillis: claim.since.physicalMillis)
        }
        return claim
    }

    func claimBody(_ key: String, current: ClaimStatus?, leaseMinutes: UInt32) -> OpBody {
        let expiredOther = current.map { $0.holder != nil && $0.holder != node.id } ?? false
        return .claim(entity: EntityRef(Desk.ticket, key), action: expiredOther ? .takeover : .claim, holder: node.id,
                      leaseSeconds: leaseMinutes * 60, observed: current?.current)
    }

    /// Claims a ticket (or renews one's own lease; takes over an expired one).
    public func claim(_ typed: String, leaseMinutes: UInt32 = 30) throws(DeskError) -> String {
        let key = try ticketKey(typed)
        guard (1...Limits.maxLeaseSeconds / 60).contains(leaseMinutes) else {
            throw .invalid(field: "leaseMinutes", rule: "lease must be 1...\(Limits.maxLeaseSeconds / 60) minutes")
        }
        let current = try requireNotHeldByOther(key)
        try append([claimBody(key, current: current, leaseMinutes: leaseMinutes)])
        return key
    }

    /// Claims a ticket routing pushed to this node's member: the claim op and `pushed_to` = the member (so every node
    /// can show that routing, not the agent, took it), in one append.
    public func claimPushed(_ key: String) throws(DeskError) {
        let current = try requireNotHeldByOther(key)
        try append([claimBody(key, current: current, leaseMinutes: 30),
                    .set(entity: EntityRef(Desk.ticket, key), field: Self.pushedToField, value: .string(node.id.text))])
    }

    /// The ticket register naming the member routing last pushed the ticket to (SPEC.md §1b.12).
    public static let pushedToField = "pushed_to"

    /// Releases one's claim.
    public func release(_ typed: String) throws(DeskError) -> String {
        let key = try ticketKey(typed)
        let current = try requireNotHeldByOther(key)
        guard let current, current.holder != nil else { throw .notClaimed(entity: "ticket \(key)") }
        try append([.claim(entity: EntityRef(Desk.ticket, key), action: .release, holder: nil, leaseSeconds: 0,
                           observed: current.current)])
        return key
    }

    /// Hands one's ticket to another member (node id, or a unique prefix of a known member's id or name).
    public func handoff(_ typed: String, to member: String, leaseMinutes: UInt32 = 30) throws(DeskError) -> (String, AuthorID) {
        let key = try ticketKey(typed)
        let target = try resolveMember(member)
        let current = try requireNotHeldByOther(key)
        guard let current, current.holder == node.id else { throw .notHolder(entity: "ticket \(key)", holder: nil) }
        try append([.claim(entity: EntityRef(Desk.ticket, key), action: .handoff, holder: target,
                           leaseSeconds: leaseMinutes * 60, observed: current.current)])
        return (key, target)
    }

    /// Finds a member by node id text, id prefix, or name.
    public func resolveMember(_ text: String) throws(DeskError) -> AuthorID {
        if let id = try? AuthorID(text: text) { return id }
        let members = try run { () throws(StoreError) in try store.logs() }.map(\.log.author)
        var matches = Set<AuthorID>()
        for id in members {
            if id.text.replacingOccurrences(of: "-", with: "").hasPrefix(text.uppercased().replacingOccurrences(of: "-", with: "")) {
                matches.insert(id)
            } else if try memberName(id).lowercased() == text.lowercased() {
                matches.insert(id)
            }
        }
        guard matches.count == 1, let only = matches.first else {
            throw matches.isEmpty ? .unknownMember(text) : .ambiguousMember(text)
        }
        return only
    }

    /// Sets a ticket's priority.
    public func setPriority(_ typed: String, _ priority: String) throws(DeskError) -> String {
        guard let value = Priority(rawValue: priority) else {
            throw .invalidValue(field: "priority", value: priority, allowed: Priority.allCases.map(\.rawValue))
        }
        let key = try ticketKey(typed)
        try append([.set(entity: EntityRef(Desk.ticket, key), field: "priority", value: .string(value.rawValue))])
        return key
    }

    /// Adds a tag.
    public func tag(_ typed: String, _ tag: String) throws(DeskError) -> String {
        let key = try ticketKey(typed)
        guard !tag.isEmpty, tag.utf8.count <= 64, !tag.contains(where: \.isWhitespace) else {
            throw .invalid(field: "tag", rule: "a tag is 1-64 characters without spaces")
        }
        try append([.tagAdd(entity: EntityRef(Desk.ticket, key), tag: tag)])
        return key
    }

    /// Removes a tag (every add of it this node has seen).
    public func untag(_ typed: String, _ tag: String) throws(DeskError) -> String {
        let key = try ticketKey(typed)
        let entity = EntityRef(Desk.ticket, key)
        let adds = try run { () throws(StoreError) in try store.state.observedTagAdds(entity, tag: tag) }
        guard !adds.isEmpty else { throw .noSuchTag(entity: "ticket \(key)", tag: tag, quoted: false) }
        try append([.tagRemove(entity: entity, tag: tag, observed: adds)])
        return key
    }

    /// Escalates to the next tier (or `to`), recording the reason.
    public func escalate(_ typed: String, reason: String, to tier: Tier? = nil) throws(DeskError) -> (String, Tier) {
        let key = try ticketKey(typed)
        guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw .invalid(field: "reason", rule: "escalation needs --reason") }
        let current = try row(key).tier
        guard let target = tier ?? current.next else { throw .topTier(ticket: key) }
        let entity = EntityRef(Desk.ticket, key)
        try append([.set(entity: entity, field: "tier", value: .string(target.rawValue)),
                    .set(entity: entity, field: "escalation_reason", value: .string(reason))])
        return (key, target)
    }

    /// Resolves a ticket with one of the team's resolution types, releasing the resolver's claim on it (same
    /// transaction). Refused while another member holds it.
    public func resolve(_ typed: String, as type: String) throws(DeskError) -> String {
        let key = try ticketKey(typed)
        let types = try resolutionTypes()
        guard types.contains(type) else { throw .invalidValue(field: "resolution type", value: type, allowed: types) }
        let current = try requireNotHeldByOther(key)
        let entity = EntityRef(Desk.ticket, key)
        var bodies: [OpBody] = [.set(entity: entity, field: "status", value: .string(TicketStatus.resolved.rawValue)),
                                .set(entity: entity, field: "resolution", value: .string(type))]
        // Resolving ends the resolver's work on it: their claim is released in the same transaction.
        if let current, current.holder == node.id {
            bodies.append(.claim(entity: entity, action: .release, holder: nil, leaseSeconds: 0, observed: current.current))
        }
        try append(bodies)
        return key
    }

    /// Sets a ticket's status directly (open, pending, closed).
    public func setStatus(_ typed: String, _ status: TicketStatus) throws(DeskError) -> String {
        let key = try ticketKey(typed)
        guard status != .resolved else { throw .invalid(field: "status", rule: "use resolve --as TYPE to resolve") }
        try append([.set(entity: EntityRef(Desk.ticket, key), field: "status", value: .string(status.rawValue))])
        return key
    }

    /// Adds an internal note.
    public func note(_ typed: String, _ text: String) throws(DeskError) -> String {
        let key = try ticketKey(typed)
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw .invalid(field: "text", rule: "the note is empty") }
        let id = "n" + Hex.encode(SecureRandom.bytes(8))
        try append([.makeInsert(EntityRef(Desk.message, id), [
            Field("ticket", .string(key)), Field("direction", .string(MessageDirection.note.rawValue)),
            Field("author", .string(node.id.text)), Field("text", .string(text)), Field("created_ms", .int(Int64(now))),
        ])])
        return id
    }
}
