import Foundation
public import RoostCore
import RoostStore

extension DeskService {
    /// Every brand handle the team connected, by username.
    public func gatewayHandles() throws(DeskError) -> [GatewayHandle] {
        try run { () throws(StoreError) in
            var handles: [GatewayHandle] = []
            for id in try store.desk.keys(in: Gateway.handle) {
                let entity = EntityRef(Gateway.handle, id)
                guard let fields = try store.state.entity(entity) else { continue }
                handles.append(GatewayHandle(
                    userID: id, username: fields.first { $0.name == Gateway.usernameField }?.value.stringValue ?? id,
                    gateway: try store.state.register(entity, Gateway.gatewayField)?.stringValue,
                    mentionsCursor: try store.state.register(entity, Gateway.mentionsCursor)?.stringValue,
                    dmsCursor: try store.state.register(entity, Gateway.dmsCursor)?.stringValue))
            }
            return handles.sorted { $0.username.lowercased() < $1.username.lowercased() }
        }
    }

    /// The handle with this username (`@` optional, any case) or X user id.
    public func gatewayHandle(_ typed: String) throws(DeskError) -> GatewayHandle {
        let wanted = typed.hasPrefix("@") ? String(typed.dropFirst()) : typed
        guard let handle = try gatewayHandles().first(where: { $0.userID == wanted || $0.username.lowercased() == wanted.lowercased() })
        else { throw .unknownHandle(wanted) }
        return handle
    }

    /// Makes `member` the gateway of a handle, connecting the handle first when `xUserID` is given and it is
    /// new. Writes `handle/<id>` register `gateway`; who may write it is the roster's rule.
    public func assignGateway(username typed: String, xUserID: String?, member: String) throws(DeskError) -> GatewayHandle {
        let username = typed.hasPrefix("@") ? String(typed.dropFirst()) : typed
        guard !username.isEmpty, username.count <= 15, username.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") })
        else { throw .invalid(field: "username", rule: "an X username is 1-15 letters, digits or _") }
        let target = try resolveMember(member)
        if let roster = try run({ () throws(StoreError) in try store.team.roster() }) {
            guard roster.currentRole(of: node.id) == .admin else { throw .notPermitted(allowed: "admins", action: "may assign a handle's gateway") }
            guard roster.currentRole(of: target) != nil else { throw .notAMember(target.short, sayTeam: true) }
        }
        let existing = try gatewayHandles().first { $0.username.lowercased() == username.lowercased() }
        var bodies: [OpBody] = []
        var handle: GatewayHandle
        if let existing {
            if let xUserID, xUserID != existing.userID {
                throw .handleConnectedElsewhere(username: existing.username, userID: existing.userID)
            }
            handle = existing
        } else {
            guard let xUserID, !xUserID.isEmpty, xUserID.count <= 20, xUserID.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw .handleNeedsUserID(username)
            }
            handle = GatewayHandle(userID: xUserID, username: username)
            bodies.append(.makeInsert(handle.entity, [Field(Gateway.usernameField, .string(username))]))
        }
        bodies.append(.set(entity: handle.entity, field: Gateway.gatewayField, value: .string(target.text)))
        try append(bodies)
        handle.gateway = target.text
        return handle
    }

    /// The role of a member by the team's roster (nil without a team, or when not a current member).
    public func memberRole(_ id: AuthorID) throws(DeskError) -> String? {
        try run { () throws(StoreError) in try store.team.roster() }?.currentRole(of: id)?.rawValue
    }

    /// Whether this node may act as the gateway of `handle`: the assignment names it, was written by an
    /// admin (per the roster, at the time of the write), and this node is a current member with a
    /// gateway-capable role. Without a team (a single node), the assignment alone counts.
    /// With standby gateways (failover, SPEC.md §1b.14) it is the lease that decides: this node serves while it holds
    /// the handle's gateway lease.
    public func servesAsGateway(_ handle: GatewayHandle) throws(DeskError) -> Bool {
        if try failoverEnabled(handle) { return try mayActAsGateway(handle) }
        guard handle.gateway == node.id.text else { return false }
        guard let roster = try run({ () throws(StoreError) in try store.team.roster() }) else { return true }
        guard let assignment = try run({ () throws(StoreError) in
            try store.state.registerWithStamp(handle.entity, Gateway.gatewayField)
        }), roster.role(of: assignment.stamp.ref.author, before: assignment.stamp) == .admin else { return false }
        guard let role = roster.currentRole(of: node.id) else { return false }
        return Gateway.gatewayRoles.contains(role.rawValue)
    }
}
