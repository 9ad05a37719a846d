/// A member's role in the team. Roles gate what an op may do, checked on every node when it merges.
public enum Role: String, Sendable, CaseIterable, Codable, Comparable {
    /// Answers tickets.
    case agent
    /// An agent who may also reassign other members' claims.
    case lead
    /// May change the roster (admit, change roles, revoke), reassign claims, assign gateways.
    case admin
    /// A node that talks to the X API for the team's handles.
    case gateway

    /// Whether the role may reassign a claim to anyone (``ClaimAction/reassign``).
    public var mayReassign: Bool { self == .lead || self == .admin }
    /// Whether the role may change the roster.
    public var mayChangeRoster: Bool { self == .admin }

    public static func < (lhs: Role, rhs: Role) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// Where a revoked member's logs are cut: per epoch, the last seq that stays valid. Ops of a log the cut
/// does not name, or past its seq, are rejected by every node, whoever relays them.
///
/// Text form (the value of the `revoked` register): `epochhex:seq` items sorted by epoch, comma-separated;
/// the empty string keeps nothing.
public struct RevocationCut: Hashable, Sendable, CustomStringConvertible {
    /// Last valid seq per epoch.
    public var kept: [UInt64: UInt64]

    /// Creates a cut.
    public init(kept: [UInt64: UInt64]) { self.kept = kept }

    /// Parses the text form; nil when it is not canonical.
    public init?(text: String) {
        var kept: [UInt64: UInt64] = [:]
        if !text.isEmpty {
            for item in text.split(separator: ",", omittingEmptySubsequences: false) {
                let parts = item.split(separator: ":", omittingEmptySubsequences: false)
                guard parts.count == 2, let epoch = UInt64(parts[0], radix: 16), let seq = UInt64(parts[1]),
                      kept[epoch] == nil, epoch <= Limits.maxOrdinal, seq <= Limits.maxOrdinal
                else { return nil }
                kept[epoch] = seq
            }
        }
        self.kept = kept
        guard description == text else { return nil }
    }

    /// Whether the op at `ref` (of the revoked member) stays valid.
    public func keeps(_ ref: OpRef) -> Bool {
        guard let last = kept[ref.epoch] else { return false }
        return ref.seq <= last
    }

    public var description: String {
        kept.keys.sorted().map { "\(String($0, radix: 16)):\(kept[$0]!)" }.joined(separator: ",")
    }
}

/// One roster op as the roster fold sees it: a `set` on `member/<id>` of `role` or `revoked`.
public struct RosterChange: Hashable, Sendable {
    /// What changes.
    public enum Change: Hashable, Sendable {
        /// Admits the member with a role, or changes its role.
        case role(Role)
        /// Revokes the member: its ops outside the cut are rejected.
        case revoke(RevocationCut)
    }

    /// The op's stamp (its author is the one whose authority counts).
    public var stamp: Stamp
    /// The member changed.
    public var member: AuthorID
    /// The change.
    public var change: Change

    /// Creates a change.
    public init(stamp: Stamp, member: AuthorID, change: Change) {
        self.stamp = stamp; self.member = member; self.change = change
    }

    /// The change a `set` op makes, or nil when it is not a well-formed roster change.
    public init?(stamp: Stamp, body: OpBody) {
        guard case let .set(entity, field, value) = body, entity.collection == RosterSchema.member,
              let member = try? AuthorID(text: entity.key), let text = value.stringValue
        else { return nil }
        switch field {
        case RosterSchema.role:
            guard let role = Role(rawValue: text) else { return nil }
            self.init(stamp: stamp, member: member, change: .role(role))
        case RosterSchema.revoked:
            guard let cut = RevocationCut(text: text) else { return nil }
            self.init(stamp: stamp, member: member, change: .revoke(cut))
        default:
            return nil
        }
    }

    /// The op body of this change.
    public static func body(member: AuthorID, _ change: Change) -> OpBody {
        switch change {
        case let .role(role):
            .set(entity: EntityRef(RosterSchema.member, member.text), field: RosterSchema.role, value: .string(role.rawValue))
        case let .revoke(cut):
            .set(entity: EntityRef(RosterSchema.member, member.text), field: RosterSchema.revoked, value: .string(cut.description))
        }
    }
}

/// Names of the roster's collections and fields.
public enum RosterSchema {
    /// `member/<node id>`: profile (`name`, `initials`, inserted by the member), `role` and `revoked` (admins only).
    public static let member = "member"
    /// The role register.
    public static let role = "role"
    /// The revocation register.
    public static let revoked = "revoked"
    /// `invite/<invite id hex>`: an open invitation (`key`, `role`, `name`, `expires_ms`; `used_by` once used).
    public static let invite = "invite"
}

/// Whether an op's author may have written it, by the roster.
public enum Admission: Hashable, Sendable {
    /// The author is a member and the op is inside any revocation cut.
    case member
    /// No admin ever admitted the author.
    case notMember
    /// The author was revoked and the op is outside the cut.
    case revoked
}

/// The team's roster folded from its roster ops: a pure, order-independent function of the set of
/// changes and the team's founder (pinned out of band: in the invite).
///
/// Rule: changes are taken in ``Stamp`` order; one counts when its author is an admin just before it
/// (the founder is an admin from the start and cannot be demoted or revoked), and its author's own
/// revocation cut keeps it. A change to a revoked member counts for nothing: a revoked identity never comes
/// back (the person rejoins with a new node). Because a revocation can void changes made earlier in
/// stamp order by the revoked admin, the fold repeats until the set of voided changes no longer changes
/// (at most ``maxRounds`` rounds; the result is the same on every node either way).
public struct RosterState: Hashable, Sendable {
    /// One member's history.
    public struct Member: Hashable, Sendable {
        /// Role changes that counted, in stamp order; the first one admitted the member.
        public var roles: [(stamp: Stamp, role: Role)]
        /// The revocation, when one counted (the earliest-stamped one).
        public var revocation: (stamp: Stamp, cut: RevocationCut)?

        /// The current role.
        public var role: Role { roles.last?.role ?? .agent }
        /// When it was admitted.
        public var admitted: Stamp? { roles.first?.stamp }

        public static func == (lhs: Member, rhs: Member) -> Bool {
            lhs.roles.map(\.stamp) == rhs.roles.map(\.stamp) && lhs.roles.map(\.role) == rhs.roles.map(\.role)
                && lhs.revocation?.stamp == rhs.revocation?.stamp && lhs.revocation?.cut == rhs.revocation?.cut
        }

        public func hash(into hasher: inout Hasher) {
            for entry in roles { hasher.combine(entry.stamp); hasher.combine(entry.role) }
            hasher.combine(revocation?.stamp)
        }
    }

    /// Fold rounds before the result is taken as is.
    public static let maxRounds = 8

    /// The team's first admin.
    public let founder: AuthorID
    /// Members other than the founder, by id.
    public private(set) var members: [AuthorID: Member]

    /// Folds `changes` (any order, duplicates ignored).
    public init(founder: AuthorID, changes: some Sequence<RosterChange>) {
        let sorted = Set(changes).sorted { $0.stamp < $1.stamp }
        var state = Self.fold(founder: founder, sorted, voided: [])
        for _ in 1..<Self.maxRounds {
            let voided = Set(sorted.filter { state.admission(of: $0.stamp.ref) != .member }.map(\.stamp))
            let next = Self.fold(founder: founder, sorted, voided: voided)
            if next == state { break }
            state = next
        }
        self = state
    }

    private init(founder: AuthorID, members: [AuthorID: Member]) {
        self.founder = founder
        self.members = members
    }

    private static func fold(founder: AuthorID, _ sorted: [RosterChange], voided: Set<Stamp>) -> RosterState {
        var state = RosterState(founder: founder, members: [:])
        for change in sorted where !voided.contains(change.stamp) {
            let author = change.stamp.ref.author
            guard state.role(of: author, before: change.stamp)?.mayChangeRoster == true,
                  state.admission(of: change.stamp.ref) == .member,
                  change.member != founder
            else { continue }
            var member = state.members[change.member] ?? Member(roles: [], revocation: nil)
            guard member.revocation == nil else { continue }
            switch change.change {
            case let .role(role):
                member.roles.append((change.stamp, role))
            case let .revoke(cut):
                guard member.admitted != nil else { continue }
                member.revocation = (change.stamp, cut)
            }
            state.members[change.member] = member
        }
        return state
    }

    /// Whether `author` was ever admitted (the founder always is).
    public func isMember(_ author: AuthorID) -> Bool {
        author == founder || members[author]?.admitted != nil
    }

    /// The roster's verdict on the op at `ref`.
    public func admission(of ref: OpRef) -> Admission {
        if ref.author == founder { return .member }
        guard let member = members[ref.author], member.admitted != nil else { return .notMember }
        if let revocation = member.revocation, !revocation.cut.keeps(ref) { return .revoked }
        return .member
    }

    /// The role `author` held just before `stamp` (nil: not a member then, or revoked at that op).
    public func role(of author: AuthorID, before stamp: Stamp) -> Role? {
        if author == founder { return .admin }
        guard let member = members[author] else { return nil }
        if let revocation = member.revocation, !revocation.cut.keeps(stamp.ref), stamp.ref.author == author {
            return nil
        }
        return member.roles.last { $0.stamp < stamp }?.role
    }

    /// The current role of `author` (nil when not a member or revoked).
    public func currentRole(of author: AuthorID) -> Role? {
        if author == founder { return .admin }
        guard let member = members[author], member.revocation == nil else { return nil }
        return member.roles.last?.role
    }

    /// Whether a claim-chain op may reassign: its author was a lead or an admin when it was made.
    public func mayReassign(_ record: ClaimRecord) -> Bool {
        role(of: record.author, before: record.stamp)?.mayReassign == true
    }
}
