import Foundation
public import RoostCore
import RoostCrypto
import RoostStore
public import RoostSync

/// One line of the roster as `roost team show` prints it.
public struct RosterLine: Sendable, Equatable {
    public var member: AuthorID
    public var name: String
    public var role: Role
    public var revoked: Bool
}

/// An invite still open: not used, not expired.
public struct OpenInvite: Sendable, Equatable {
    public var key: Bytes32
    public var name: String
    public var role: Role
    public var expiresMillis: UInt64
    public var usedBy: AuthorID?
}

extension NodeHome {
    /// Creates a one-time invite for `name` with `role`: records `invite/<public key hex>` (so any admin can
    /// admit the holder) and returns the invite text's contents. Admins only.
    public func invite(name: String, role: Role, hours: Int, address: String, node: Node, now: UInt64) throws(NodeError) -> Invite {
        guard let team = try team(of: node) else {
            throw .invalidArgument("this node has no team yet; run `roost team create --name NAME`")
        }
        try requireAdmin(node, "invite members")
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= 128 else {
            throw .invalidArgument("--name must be 1-128 characters")
        }
        guard (1...24 * 30).contains(hours) else { throw .invalidArgument("--hours must be 1...720") }
        guard let founder = try storeRun({ () throws(StoreError) in try node.store.team.founder() }) else {
            throw .invalidArgument("this node's team has no founder recorded")
        }
        let invite = Invite(networkKey: team.networkKey, inviter: node.id, founder: founder, seed: SecureRandom.bytes(32),
                            address: address, teamName: team.name, expiresMillis: now + UInt64(hours) * 3_600_000)
        _ = try node.append([.makeInsert(EntityRef(RosterSchema.invite, Hex.encode(invite.publicKey.bytes)), [
            Field("name", .string(name)), Field("role", .string(role.rawValue)),
            Field("expires_ms", .int(Int64(invite.expiresMillis))),
        ])])
        return invite
    }

    /// Changes a member's role (admins only; the founder's role is fixed).
    public func setRole(_ role: Role, of member: AuthorID, node: Node) throws(NodeError) {
        try requireAdmin(node, "change roles")
        let roster = try roster(node)
        guard member != roster.founder else { throw .invalidArgument("the founder is always an admin") }
        guard roster.isMember(member) else { throw .invalidArgument("\(member.short) is not a member") }
        guard roster.members[member]?.revocation == nil else { throw .invalidArgument("\(member.short) was revoked") }
        _ = try node.append([RosterChange.body(member: member, .role(role))])
    }

    /// Revokes a member (admins only): its ops up to what this node holds of it stay; everything it signs
    /// later is refused by every member, and its handshakes are refused.
    public func revoke(_ member: AuthorID, node: Node) throws(NodeError) -> RevocationCut {
        try requireAdmin(node, "revoke members")
        let roster = try roster(node)
        guard member != roster.founder else { throw .invalidArgument("the founder cannot be revoked") }
        guard member != node.id else { throw .invalidArgument("a node cannot revoke itself") }
        guard roster.isMember(member) else { throw .invalidArgument("\(member.short) is not a member") }
        guard roster.members[member]?.revocation == nil else { throw .invalidArgument("\(member.short) is already revoked") }
        let logs = try storeRun { () throws(StoreError) in try node.store.logs() }
        var kept: [UInt64: UInt64] = [:]
        for log in logs where log.log.author == member { kept[log.log.epoch] = log.sealed }
        let cut = RevocationCut(kept: kept)
        _ = try node.append([RosterChange.body(member: member, .revoke(cut))])
        return cut
    }

    /// The roster, with names.
    public func rosterLines(node: Node) throws(NodeError) -> [RosterLine] {
        let roster = try roster(node)
        let desk = DeskService(node: node)
        var ids = [roster.founder] + roster.members.keys.sorted()
        ids = ids.enumerated().filter { index, id in index == 0 || id != roster.founder }.map(\.element)
        return ids.map { id in
            let name = (try? desk.memberName(id)) ?? id.short
            let member = roster.members[id]
            return RosterLine(member: id, name: name, role: id == roster.founder ? .admin : member?.role ?? .agent,
                              revoked: member?.revocation != nil)
        }
    }

    /// Invites recorded on the team (used or not).
    public func invites(node: Node) throws(NodeError) -> [OpenInvite] {
        try storeRun { () throws(StoreError) in
            var result: [OpenInvite] = []
            for hex in try node.store.desk.keys(in: RosterSchema.invite) {
                guard let bytes = Hex.decode(hex), let key = Bytes32(bytes),
                      let fields = try node.store.state.entity(EntityRef(RosterSchema.invite, hex))
                else { continue }
                let values = Dictionary(fields.map { ($0.name, $0.value) }) { first, _ in first }
                guard let name = values["name"]?.stringValue, let role = values["role"]?.stringValue.flatMap(Role.init(rawValue:)),
                      case let .int(expires)? = values["expires_ms"], expires > 0
                else { continue }
                let used = try node.store.state.register(EntityRef(RosterSchema.invite, hex), "used_by")?.stringValue
                result.append(OpenInvite(key: key, name: name, role: role, expiresMillis: UInt64(expires),
                                         usedBy: used.flatMap { try? AuthorID(text: $0) }))
            }
            return result
        }
    }

    func roster(_ node: Node) throws(NodeError) -> RosterState {
        guard let roster = try storeRun({ () throws(StoreError) in try node.store.team.roster() }) else {
            throw .invalidArgument("this node has no team yet; run `roost team create --name NAME` or `roost team join INVITE`")
        }
        return roster
    }

    func requireAdmin(_ node: Node, _ what: String) throws(NodeError) {
        let roster = try roster(node)
        guard roster.currentRole(of: node.id) == .admin else {
            throw .invalidArgument("only admins may \(what); this node is \(roster.currentRole(of: node.id)?.rawValue ?? "not yet admitted")")
        }
    }

    // MARK: admission (the daemon's side)

    /// The roster-backed admission policy of `roost run`.
    public func admission(node: Node, clock: any WallClock = SystemClock()) -> PeerAdmission {
        let home = self
        let joinSeed = try? SecretFile.load(header: Team.joinKeyHeader, from: joinKeyPath)
        let inviter: AuthorID? = node.config.peers.compactMap { try? PeerAddress(parsing: $0).node }.first
        return PeerAdmission(
            verdict: { id in
                // Fail closed: a store that cannot be read admits no one.
                let roster: RosterState?
                do { roster = try node.store.team.roster() } catch { return .refused(.unknown) }
                guard let roster else { return .member }  // no team pinned: the network key is the only gate
                if roster.members[id]?.revocation != nil { return .refused(.revoked) }
                if roster.currentRole(of: id) != nil { return .member }
                // Not admitted ourselves yet: trust the member our invite named (the first pinned peer).
                if joinSeed != nil, roster.currentRole(of: node.id) == nil, id == inviter || id == roster.founder { return .member }
                let now = clock.nowMillis()
                let open = (try? home.invites(node: node))?.contains { $0.usedBy == nil && $0.expiresMillis > now } ?? false
                return open && roster.currentRole(of: node.id) == .admin ? .applicant : .refused(.unknown)
            },
            admit: { applicant, join in
                home.admit(applicant, join: join, node: node, now: clock.nowMillis())
            },
            join: { member in
                guard let seed = joinSeed, let key = try? SigningKey(seed: seed),
                      let roster = try? node.store.team.roster(), roster.currentRole(of: node.id) == nil,
                      let publicKey = Bytes32(key.publicKey)
                else { return nil }
                let message = SyncJoin.signedMessage(inviteKey: publicKey, joiner: node.id, member: member)
                return SyncJoin(inviteKey: publicKey, signature: key.sign(message))
            })
    }

    /// Checks a `join` and admits the applicant; returns why not, or nil.
    func admit(_ applicant: AuthorID, join: SyncJoin, node: Node, now: UInt64) -> String? {
        guard let roster = try? node.store.team.roster(), roster.currentRole(of: node.id) == .admin else {
            return "this node is not an admin"
        }
        if roster.isMember(applicant) { return nil }
        guard let invite = (try? invites(node: node))?.first(where: { $0.key == join.inviteKey }) else {
            return "unknown invite"
        }
        guard invite.expiresMillis > now else { return "the invite expired" }
        if let used = invite.usedBy, used != applicant { return "the invite was already used" }
        let message = SyncJoin.signedMessage(inviteKey: join.inviteKey, joiner: applicant, member: node.id)
        guard Ed25519.verify(signature: join.signature, message: message, publicKey: join.inviteKey.bytes) else {
            return "the invite proof does not verify"
        }
        do {
            _ = try node.append([
                RosterChange.body(member: applicant, .role(invite.role)),
                .set(entity: EntityRef(RosterSchema.invite, Hex.encode(join.inviteKey.bytes)), field: "used_by",
                     value: .string(applicant.text)),
            ])
        } catch {
            return "cannot record the admission: \(error)"
        }
        return nil
    }
}
