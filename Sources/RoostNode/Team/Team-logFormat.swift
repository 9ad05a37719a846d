public import RoostCore
import RoostStore
import RoostSync

/// Where a team stands on op format 2 (DESIGN-format-2.md F2.9 point 1): what it asks for, and which members' nodes
/// have not said they speak sync protocol version 4, without which they could not hold format 2 logs.
public struct TeamLogFormat: Sendable, Equatable {
    /// What the team asks its nodes to write: 1, or 2 once an admin asked.
    public var asked: Int
    /// This node's log format now (2 from its first append after the team asked).
    public var local: Int
    /// Current members (revoked ones left out) whose node has not published `member/<id>.protocol` ≥ 4, by id.
    public var notReady: [AuthorID]

    /// Creates a report.
    public init(asked: Int, local: Int, notReady: [AuthorID]) {
        self.asked = asked; self.local = local; self.notReady = notReady
    }
}

extension NodeHome {
    /// Where the team stands on op format 2.
    public func logFormat(node: Node) throws(NodeError) -> TeamLogFormat {
        let roster = try roster(node)
        return try storeRun { () throws(StoreError) in
            let protocols = try node.store.team.memberProtocols()
            let members = ([roster.founder] + roster.members.keys).filter { member in
                member == roster.founder || roster.members[member]?.revocation == nil
            }
            let notReady = Set(members).filter { (protocols[$0] ?? 0) < Int(SyncLimits.runsV2ProtocolVersion) }.sorted()
            return TeamLogFormat(asked: try node.store.teamLogFormat(), local: try node.store.localLogFormat(), notReady: notReady)
        }
    }

    /// Asks every node of the team to write op format 2 (admins only): `team/settings` `log_format` = 2, after which
    /// each node's next append starts a new epoch in format 2. Refused while a member's node has not said it speaks
    /// sync protocol version 4 (their ids are in the error), unless `anyway`: such a node would not receive the
    /// format 2 logs until it is upgraded. Returns where the team stands after asking.
    @discardableResult
    public func askLogFormat2(node: Node, anyway: Bool = false) throws(NodeError) -> TeamLogFormat {
        try requireAdmin(node, "change the team's log format")
        let before = try logFormat(node: node)
        if before.asked == 2 { return before }
        if !before.notReady.isEmpty && !anyway {
            throw .invalidArgument("""
                \(before.notReady.count) member(s) have not said their node speaks sync protocol version 4 and could not \
                hold format 2 logs: \(before.notReady.map(\.short).joined(separator: ", ")); upgrade and start them \
                (`roost run` publishes it), or pass --anyway
                """)
        }
        _ = try node.append([.set(entity: EntityRef(Desk.team, "settings"), field: OpStore.logFormatSetting, value: .int(2))])
        return try logFormat(node: node)
    }
}
