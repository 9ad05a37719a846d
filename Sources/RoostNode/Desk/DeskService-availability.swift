public import RoostCore
import RoostStore

/// One member's availability as every node judges it (issue 15).
public struct MemberAvailability: Sendable, Equatable, Codable {
    /// The member's node id (text form).
    public var member: String
    /// Their display name.
    public var name: String
    /// What they set (`roost agent status`), nil when never.
    public var set: Availability?
    /// What routing counts now: offline when their newest op is older than ``AvailabilityRules/silentAfterMillis``.
    public var effective: Availability
    /// The HLC time (Unix ms) of their newest op this node holds.
    public var lastOpMillis: UInt64?
    /// True for this node's own member.
    public var isMe: Bool
}

extension DeskService {
    /// Sets this node's member's availability; replicated as an op, so every node shows it. Going `offline` also
    /// releases the open tickets they hold in queues with push routing (in the same append), so routing names someone
    /// else at once instead of when the claims' leases end. Returns the tickets released.
    @discardableResult
    public func setMyAvailability(_ availability: Availability) throws(DeskError) -> [String] {
        var bodies: [OpBody] = [.set(entity: EntityRef("member", node.id.text), field: AvailabilityRules.field, value: .string(availability.rawValue))]
        var released: [String] = []
        if availability == .offline {
            let routed = Set(try routingPolicies().filter { !$0.paused }.map(\.queue))
            var filter = InboxFilter()
            filter.holder = node.id
            filter.limit = Self.releaseOnOfflineLimit
            for row in try inbox(filter) where routed.contains(row.queue ?? RoutingRules.defaultQueue) && row.status.clocksRun {
                guard let current = try run({ () throws(StoreError) in try store.state.claim(on: EntityRef(Desk.ticket, row.key)) }),
                      current.holder == node.id else { continue }
                bodies.append(.claim(entity: EntityRef(Desk.ticket, row.key), action: .release, holder: nil, leaseSeconds: 0,
                                     observed: current.current))
                released.append(row.key)
            }
        }
        try append(bodies)
        return released
    }

    /// Most tickets going offline releases in one append.
    public static let releaseOnOfflineLimit = 500

    /// Parses an availability typed by a person (`online`, `away`, `offline`).
    public static func availability(_ text: String) throws(DeskError) -> Availability {
        guard let value = Availability(rawValue: text.lowercased()) else {
            throw .invalidValue(field: "status", value: text, allowed: Availability.allCases.map(\.rawValue))
        }
        return value
    }

    /// Every current member's availability at this desk's time (revoked members left out), this node's first,
    /// then by name.
    public func teamAvailability() throws(DeskError) -> [MemberAvailability] {
        let (roster, last) = try run { () throws(StoreError) in (try store.team.roster(), try store.lastOpMillisByAuthor()) }
        var ids: [AuthorID] = [node.id]
        if let roster {
            for id in [roster.founder] + roster.members.keys.sorted() where !ids.contains(id) && roster.currentRole(of: id) != nil {
                ids.append(id)
            }
        }
        var lines: [MemberAvailability] = []
        for id in ids {
            let set = try run { () throws(StoreError) in try store.state.register(EntityRef("member", id.text), AvailabilityRules.field) }
                .flatMap { $0.stringValue }.flatMap(Availability.init(rawValue:))
            lines.append(MemberAvailability(member: id.text, name: try memberName(id), set: set,
                                            effective: AvailabilityRules.effective(set: set, lastOpMillis: last[id], now: now),
                                            lastOpMillis: last[id], isMe: id == node.id))
        }
        return [lines[0]] + lines.dropFirst().sorted { ($0.name, $0.member) < ($1.name, $1.member) }
    }

    /// Writes a heartbeat when this node's member is not offline and wrote nothing for
    /// ``AvailabilityRules/heartbeatAfterMillis``, so peers keep counting them available; returns whether it wrote.
    /// `roost run` calls it every minute.
    @discardableResult
    public func heartbeatIfQuiet() throws(DeskError) -> Bool {
        let (set, last) = try run { () throws(StoreError) in
            (try store.state.register(EntityRef("member", node.id.text), AvailabilityRules.field)?.stringValue,
             try store.lastOpMillisByAuthor()[node.id])
        }
        if set == Availability.offline.rawValue { return false }
        if let last, now < last || now - last < AvailabilityRules.heartbeatAfterMillis { return false }
        try append([.set(entity: EntityRef("member", node.id.text), field: AvailabilityRules.heartbeatField, value: .int(Int64(now)))])
        return true
    }
}
