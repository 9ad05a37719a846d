import Foundation
public import RoostCore
import RoostStore

/// A handle's gateway lease as this node sees it (SPEC.md §1b.14).
public struct GatewayLeaseView: Sendable, Equatable, Codable {
    /// Primary first, then standbys: the members that may serve the handle.
    public var candidates: [String]
    /// Who holds the lease (node id text), nil when free.
    public var holder: String?
    /// When the holder's lease ends (Unix ms; 0 when free).
    public var leaseEndsMillis: UInt64
    /// The lease length of the handle.
    public var leaseMillis: UInt64
    /// The tenure counter written with each acquisition: replies record it when posting (a fencing token).
    public var epoch: Int64
    /// When the current tenure began (Unix ms), 0 when never acquired.
    public var sinceMillis: UInt64
}

extension DeskService {
    /// Whether a handle has standby gateways: only then is its gateway chosen by the lease.
    public func failoverEnabled(_ handle: GatewayHandle) throws(DeskError) -> Bool {
        !(try adminRegister(handle, Gateway.standbyField)?.stringValue ?? "").isEmpty
    }

    /// The primary and the standbys that may serve `handle`, in order: each written by an admin (per the roster, at
    /// the time of the write; any writer without a team), each a current member with a gateway-capable role.
    public func gatewayCandidates(_ handle: GatewayHandle) throws(DeskError) -> [AuthorID] {
        var texts: [String] = []
        if let primary = try adminRegister(handle, Gateway.gatewayField)?.stringValue { texts.append(primary) }
        texts += (try adminRegister(handle, Gateway.standbyField)?.stringValue ?? "").split(separator: ",").map(String.init)
        let roster = try run { () throws(StoreError) in try store.team.roster() }
        var candidates: [AuthorID] = []
        for text in texts {
            guard let id = try? AuthorID(text: text), !candidates.contains(id) else { continue }
            if let roster {
                guard let role = roster.currentRole(of: id), Gateway.gatewayRoles.contains(role.rawValue) else { continue }
            }
            candidates.append(id)
        }
        return candidates
    }

    /// A register of the handle, counted only when an admin wrote it (any writer without a team).
    func adminRegister(_ handle: GatewayHandle, _ field: String) throws(DeskError) -> Value? {
        guard let (value, stamp) = try run({ () throws(StoreError) in try store.state.registerWithStamp(handle.entity, field) }) else { return nil }
        if let roster = try run({ () throws(StoreError) in try store.team.roster() }), roster.role(of: stamp.ref.author, before: stamp) != .admin {
            return nil
        }
        return value
    }

    /// The handle's lease length: its `lease_seconds` register (admin-written, 15 to 600) or 60 s.
    public func gatewayLeaseMillis(_ handle: GatewayHandle) throws(DeskError) -> UInt64 {
        if case let .int(seconds)? = try adminRegister(handle, Gateway.leaseSecondsField), seconds > 0,
           GatewayLeaseRules.leaseRangeMillis.contains(UInt64(seconds) * 1_000) {
            return UInt64(seconds) * 1_000
        }
        return GatewayLeaseRules.defaultLeaseMillis
    }

    /// The lease of `handle` as this node's ops say.
    public func gatewayLease(_ handle: GatewayHandle) throws(DeskError) -> GatewayLeaseView {
        let claim = try run { () throws(StoreError) in try store.state.claim(on: handle.entity) }
        let registers = Dictionary(try run { () throws(StoreError) in try store.state.registers(of: handle.entity) }) { a, _ in a }
        return GatewayLeaseView(
            candidates: try gatewayCandidates(handle).map(\.text), holder: claim?.holder?.text,
            leaseEndsMillis: claim?.holder == nil ? 0 : claim?.leaseEndsMillis ?? 0, leaseMillis: try gatewayLeaseMillis(handle),
            epoch: registers[Gateway.leaseEpochField]?.intValue ?? 0,
            sinceMillis: UInt64(max(0, registers[Gateway.leaseSinceField]?.intValue ?? 0)))
    }

    /// Names the standby gateways of a handle (in order) and, optionally, its lease length. Admins only. An empty list
    /// turns failover off: the primary then serves without a lease, as before.
    public func setGatewayStandby(username: String, members: [String], leaseSeconds: Int?) throws(DeskError) -> GatewayHandle {
        let handle = try gatewayHandle(username)
        if let roster = try run({ () throws(StoreError) in try store.team.roster() }) {
            guard roster.currentRole(of: node.id) == .admin else { throw .notPermitted(allowed: "admins", action: "may name a handle's standby gateways") }
        }
        var ids: [String] = []
        for member in members {
            let id = try resolveMember(member)
            guard id.text != handle.gateway else { throw .alreadyPrimaryGateway(member: id.short, handle: handle.username) }
            if let roster = try run({ () throws(StoreError) in try store.team.roster() }) {
                guard let role = roster.currentRole(of: id), Gateway.gatewayRoles.contains(role.rawValue) else {
                    throw .cannotRunGateway(member: id.short, roles: Gateway.gatewayRoles.sorted())
                }
            }
            if !ids.contains(id.text) { ids.append(id.text) }
        }
        var bodies: [OpBody] = [.set(entity: handle.entity, field: Gateway.standbyField, value: .string(ids.joined(separator: ",")))]
        if let leaseSeconds {
            guard GatewayLeaseRules.leaseRangeMillis.contains(UInt64(max(0, leaseSeconds)) * 1_000) else {
                throw .invalid(field: "leaseSeconds", rule: "the lease must be \(GatewayLeaseRules.leaseRangeMillis.lowerBound / 1_000) to \(GatewayLeaseRules.leaseRangeMillis.upperBound / 1_000) seconds")
            }
            bodies.append(.set(entity: handle.entity, field: Gateway.leaseSecondsField, value: .int(Int64(leaseSeconds))))
        }
        try append(bodies)
        return try gatewayHandle(handle.userID)
    }

    /// One step of the lease for this node: renews or acquires the lease when ``GatewayLeaseRules`` says so (one append
    /// each) and returns the decision. `roost run` calls it every few seconds for each handle it is a candidate of.
    @discardableResult
    public func maintainGatewayLease(_ handle: GatewayHandle) throws(DeskError) -> GatewayLeaseRules.Decision {
        guard try failoverEnabled(handle) else { return .standBy }
        let candidates = try gatewayCandidates(handle)
        let claim = try run { () throws(StoreError) in try store.state.claim(on: handle.entity) }
        let leaseMillis = try gatewayLeaseMillis(handle)
        let vacantSince: UInt64
        if let claim, claim.holder == nil {
            vacantSince = claim.since.physicalMillis
        } else if claim == nil, let assigned = try run({ () throws(StoreError) in try store.state.registerWithStamp(handle.entity, Gateway.standbyField) }) {
            vacantSince = assigned.stamp.hlc.physicalMillis
        } else {
            vacantSince = 0
        }
        let decision = GatewayLeaseRules.decide(me: node.id, candidates: candidates, holder: claim?.holder,
                                                leaseEndsMillis: claim?.leaseEndsMillis ?? 0, vacantSinceMillis: vacantSince,
                                                now: now, leaseMillis: leaseMillis)
        let seconds = UInt32(leaseMillis / 1_000)
        switch decision {
        case .serve, .standBy:
            break
        case .renew:
            try append([.claim(entity: handle.entity, action: .claim, holder: node.id, leaseSeconds: seconds, observed: claim?.current)])
        case let .acquire(takeover):
            let epoch = try run { () throws(StoreError) in try store.state.register(handle.entity, Gateway.leaseEpochField) }?.intValue ?? 0
            try append([
                .claim(entity: handle.entity, action: takeover ? .takeover : .claim, holder: node.id, leaseSeconds: seconds, observed: claim?.current),
                .set(entity: handle.entity, field: Gateway.leaseEpochField, value: .int(epoch + 1)),
                .set(entity: handle.entity, field: Gateway.leaseSinceField, value: .int(Int64(now))),
            ])
        }
        return decision
    }

    /// Whether this node may poll and post for a handle with failover now: it holds the lease, outside the safety
    /// margin before its end.
    func mayActAsGateway(_ handle: GatewayHandle) throws(DeskError) -> Bool {
        guard try gatewayCandidates(handle).contains(node.id) else { return false }
        let claim = try run { () throws(StoreError) in try store.state.claim(on: handle.entity) }
        return GatewayLeaseRules.mayAct(me: node.id, holder: claim?.holder, leaseEndsMillis: claim?.leaseEndsMillis ?? 0, now: now,
                                        leaseMillis: try gatewayLeaseMillis(handle))
    }
}
