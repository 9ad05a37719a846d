import NIOConcurrencyHelpers
public import RoostCore
public import RoostSync

/// Carries ephemeral presence ("Kenji is viewing", "Kenji is replying") between this node's web app and
/// its peers: `roost run` creates one and hands it to both the sync daemon and the web server. Nothing
/// of it is stored.
public final class PresenceRelay: Sendable {
    private let outbound = NIOLockedValueBox<(@Sendable (SyncPresence) -> Void)?>(nil)
    private let inbound = NIOLockedValueBox<(@Sendable (SyncPresence, AuthorID) -> Void)?>(nil)

    /// A relay with nothing attached yet.
    public init() {}

    /// This node's agent did something: tell the peers (a no-op until the daemon is attached).
    public func publish(_ presence: SyncPresence) {
        outbound.withLockedValue { $0 }?(presence)
    }

    /// A peer's agent did something: tell the web app.
    public func received(_ presence: SyncPresence, from member: AuthorID) {
        inbound.withLockedValue { $0 }?(presence, member)
    }

    /// Attaches the sync side (the daemon's hub).
    public func attachPeers(_ send: @escaping @Sendable (SyncPresence) -> Void) { outbound.withLockedValue { $0 = send } }

    /// Attaches the web side (the presence board).
    public func attachWeb(_ deliver: @escaping @Sendable (SyncPresence, AuthorID) -> Void) { inbound.withLockedValue { $0 = deliver } }
}
