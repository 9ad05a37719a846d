public import RoostCore
public import RoostStore

/// A retention policy: message bodies of tickets resolved or closed more than `days` ago are erased.
public struct RetentionPolicy: Sendable, Codable, Equatable {
    /// The queue it covers; nil: every ticket.
    public var queue: String?
    /// Days after the ticket's resolution (the wall time of the op that set its status).
    public var days: Int
    /// The admin who set it (display name).
    public var setBy: String
}

/// What one retention pass did.
public struct RetentionRun: Sendable, Codable, Equatable {
    /// Tickets past a policy (with or without bodies left to erase).
    public var tickets: Int
    /// Ops named by the erasures written.
    public var ops: Int
    /// Erasure ops written.
    public var erasureOps: Int

    /// Creates a result.
    public init(tickets: Int, ops: Int, erasureOps: Int) {
        self.tickets = tickets; self.ops = ops; self.erasureOps = erasureOps
    }
}

extension DeskService {
    /// `team/settings` registers of the policies: `retention_days` (every ticket) and `retention_days.<queue>`.
    static let retentionField = "retention_days"
    /// Longest retention an admin may set (10 years); the shortest is 1 day.
    public static let maxRetentionDays = 3_650

    /// Sets (or, with nil, clears) the retention of a queue or of every ticket. Admins only: a policy set by
    /// anyone else is ignored by every node.
    public func setRetention(days: Int?, queue: String?) throws(DeskError) {
        if let roster = try run({ () throws(StoreError) in try store.team.roster() }), roster.currentRole(of: node.id) != .admin {
            throw .notPermitted(allowed: "admins", action: "set retention policies")
        }
        if let days, !(1...Self.maxRetentionDays).contains(days) {
            throw .invalid(field: "days", rule: "retention must be 1 to \(Self.maxRetentionDays) days (got \(days))")
        }
        if let queue, queue.isEmpty || queue.contains(where: \.isWhitespace) { throw .invalid(field: "queue", rule: "a queue name has no spaces") }
        let field = queue.map { Self.retentionField + "." + $0 } ?? Self.retentionField
        try append([.set(entity: EntityRef(Desk.team, "settings"), field: field, value: days.map { .int(Int64($0)) } ?? .null)])
    }

    /// The policies in force: each register's winning value, counted only when an admin wrote it.
    public func retentionPolicies() throws(DeskError) -> [RetentionPolicy] {
        let settings = EntityRef(Desk.team, "settings")
        let roster = try run { () throws(StoreError) in try store.team.roster() }
        var policies: [RetentionPolicy] = []
        for (field, _) in try run({ () throws(StoreError) in try store.state.registers(of: settings) })
        where field == Self.retentionField || field.hasPrefix(Self.retentionField + ".") {
            guard let (value, stamp) = try run({ () throws(StoreError) in try store.state.registerWithStamp(settings, field) }),
                  case let .int(days) = value, (1...Int64(Self.maxRetentionDays)).contains(days)
            else { continue }
            if let roster, roster.role(of: stamp.ref.author, before: stamp) != .admin { continue }
            let queue = field == Self.retentionField ? nil : String(field.dropFirst(Self.retentionField.count + 1))
            policies.append(RetentionPolicy(queue: queue, days: Int(days), setBy: try memberName(stamp.ref.author)))
        }
        return policies.sorted { ($0.queue ?? "") < ($1.queue ?? "") }
    }

    /// Erases the message bodies of every ticket past a policy (leads and admins; `roost run` does it hourly on
    /// such nodes). The erasure ops name the ops, so every node erases the same ones, whenever it merges them.
    public func applyRetention() throws(DeskError) -> RetentionRun {
        try requireEraser()
        var result = RetentionRun(tickets: 0, ops: 0, erasureOps: 0)
        for policy in try retentionPolicies() {
            let cutoff = now > UInt64(policy.days) * 86_400_000 ? now - UInt64(policy.days) * 86_400_000 : 0
            let found = try run { () throws(StoreError) in try store.erasures.retentionTargets(cutoffMillis: cutoff, queue: policy.queue) }
            guard !found.targets.isEmpty else { continue }
            let written = try writeErasure(reason: "retention: \(policy.days) days" + (policy.queue.map { " (queue \($0))" } ?? ""),
                                           customer: nil, targets: found.targets)
            result.tickets += found.tickets.count
            result.ops += found.targets.count
            result.erasureOps += written.erasureOps
        }
        return result
    }
}
