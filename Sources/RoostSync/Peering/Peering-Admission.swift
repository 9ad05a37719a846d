public import RoostCore

/// Who may connect, and how a new member is admitted: the roster's answers, supplied by the node
/// (RoostSync knows no roster). Every closure may be called on any thread; ``admit`` runs on the hub's
/// store queue and may write.
public struct PeerAdmission: Sendable {
    /// What the roster says of an authenticated identity.
    public enum Verdict: Sendable, Hashable {
        /// A member: sync.
        case member
        /// Unknown, but the team has open invites: it must send a valid `join` first.
        case applicant
        /// Refused in the handshake (unknown with no open invite, or revoked).
        case refused(Handshake.PeerDecision)
    }

    /// The roster's verdict on a peer.
    public var verdict: @Sendable (AuthorID) -> Verdict
    /// Checks an applicant's `join` and, when valid, records its admission; returns why it was refused, or nil.
    public var admit: @Sendable (_ applicant: AuthorID, _ join: SyncJoin) -> String?
    /// The `join` this node sends to `member` while it is not yet on the roster itself (nil when it is).
    public var join: @Sendable (_ member: AuthorID) -> SyncJoin?

    /// Creates an admission policy.
    public init(
        verdict: @escaping @Sendable (AuthorID) -> Verdict,
        admit: @escaping @Sendable (AuthorID, SyncJoin) -> String? = { _, _ in "this node admits no one" },
        join: @escaping @Sendable (AuthorID) -> SyncJoin? = { _ in nil }
    ) {
        self.verdict = verdict
        self.admit = admit
        self.join = join
    }

    /// The policy of a handshake-only check: `allowPeer` decides, nobody joins.
    public init(allowPeer: @escaping @Sendable (AuthorID) -> Handshake.PeerDecision) {
        self.init(verdict: { id in
            let decision = allowPeer(id)
            return decision == .allow ? .member : .refused(decision)
        })
    }

    /// The handshake's view: members and applicants get through it.
    var handshakeDecision: @Sendable (AuthorID) -> Handshake.PeerDecision {
        { [verdict] id in
            switch verdict(id) {
            case .member, .applicant: .allow
            case let .refused(decision): decision
            }
        }
    }
}
