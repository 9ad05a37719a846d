public import RoostCore
public import RoostStore

/// A sync session: one per connection, once the transport has authenticated the peer
/// (Protocol/SPEC-sync.md §2b.4).
///
/// The protocol logic lives in the pure ``StateMachine``; a driver owns the connection, the store and
/// the timers, feeds events in, and performs the ``Action``s that come out, in order.
public enum SyncSession {
    /// What the driver must do, in the order given.
    public enum Action: Hashable, Sendable {
        /// Encode and send a message to the peer.
        case send(SyncMessage)
        /// Read `store.batch(after:limit:)` and hand the result to ``StateMachine/batchFetched(_:localVector:now:)``.
        /// At most one fetch is outstanding per session.
        case fetch(after: VersionVector, limit: Int)
        /// Apply the peer's batch with `store.apply` and report with
        /// ``StateMachine/batchApplied(id:result:localVector:now:)``. Applies of one session must run in
        /// the order they are requested (a batch builds on the ones before it). After a success that
        /// stored new ops, call ``StateMachine/localChanged(localVector:now:)`` on every session of the node.
        case apply(id: UInt64, OpBatch)
        /// Version 4: resolve the peer's format 2 runs against the store and apply them (``SyncReplica/apply(runsV2:clock:)``),
        /// then report with ``StateMachine/batchApplied(id:result:localVector:now:)``, in order with ``apply(id:_:)``.
        case applyRunsV2(id: UInt64, [RunV2])
        /// The peer's hello was accepted: the session is established (a reconnection backoff may reset).
        case established(peer: AuthorID, vector: VersionVector)
        /// What the peer is now known to hold grew (from its hello, `have`s, acks, or batches it sent).
        case peerProgress(VersionVector)
        /// The peer refused batch `batchID` (to be logged); see ``logBlocked(_:reason:)`` for its effect.
        case peerRejected(batchID: UInt64, SyncRejection)
        /// This session stops sending `log` (the peer refused it for good, or it cannot be sent).
        case logBlocked(LogID, reason: String)
        /// Read `store.wantedBodies(limit:)` and hand the result to ``StateMachine/wantedBodiesRead(_:now:)``
        /// (Protocol/SPEC-sync.md §2b.15). At most one is outstanding per session.
        case readWantedBodies(limit: Int)
        /// The peer asked for these bodies: read `store.heldBodies(_:)` and hand the result to
        /// ``StateMachine/heldBodiesRead(_:now:)``.
        case readHeldBodies([BodyWant])
        /// The peer sent bodies this node asked for: `store.restoreBodies(_:)` checks each against its header and
        /// restores the ones still wanted. Nothing to report back.
        case restoreBodies([HeldBody])
        /// Close the connection (after sending what came before this action).
        case close(CloseReason)
        /// Partial session (SPEC-partial.md §P.3b): build this node's request to the peer
        /// (`PartialReplica.request(to:)`) and hand it to ``StateMachine/partialRequest(_:now:)``.
        case partialRequestDue
        /// Partial session: answer the peer's request (`PartialReplica.answer(_:from:)`) and hand the batch to
        /// ``StateMachine/partialAnswered(_:now:)``.
        case partialAnswer(PartialRequest)
        /// Partial session: apply the peer's answer (`PartialReplica.receive(_:from:fromFull:)`), then call
        /// ``StateMachine/partialApplied(now:)``.
        case partialReceive(PartialBatch, fromFull: Bool)
        /// Partial session: the peer is a partial node holding these queues (`PartialReplica.subscribe(peer:_:)`);
        /// given once it is established, and again when the peer changes them.
        case peerSubscribed(Subscription)
    }

    /// What a store read for the peer gave (``Action/fetch(after:limit:)``): format 1 ops, sent as `batch` or `runs`,
    /// or, in a session of version 4 or later, format 2 logs as runs (whole seal ranges), sent as `runs-v2` (§2b.19).
    public enum Fetched: Hashable, Sendable {
        /// Format 1 ops (possibly none).
        case ops(OpBatch)
        /// Format 2 runs, one per log.
        case runsV2([RunV2])
    }

    /// Why a session ended.
    public enum CloseReason: Hashable, Sendable, CustomStringConvertible {
        /// The local node ended it (``StateMachine/shutdown()``).
        case localShutdown
        /// The peer said `bye`.
        case peerBye(SyncByeCode)
        /// Nothing was received for ``SyncConfiguration/idleTimeoutMillis``.
        case idleTimeout
        /// The peer broke the protocol.
        case protocolViolation(String)
        /// The peer speaks another protocol version.
        case incompatibleVersion(UInt16)
        /// The peer's hello names another node than the transport authenticated.
        case unexpectedPeer(AuthorID)
        /// The peer is this node.
        case selfConnection
        /// The roster withdrew the peer's admission (revoked while connected): nothing more is sent, not
        /// even a `bye`.
        case admissionWithdrawn

        public var description: String {
            switch self {
            case .localShutdown: "local shutdown"
            case let .peerBye(code): "peer said bye (\(code))"
            case .idleTimeout: "idle timeout"
            case let .protocolViolation(what): "protocol violation: \(what)"
            case let .incompatibleVersion(version): "peer speaks protocol version \(version)"
            case let .unexpectedPeer(node): "hello from unexpected node \(node.short)"
            case .selfConnection: "connected to itself"
            case .admissionWithdrawn: "the roster withdrew the peer's admission"
            }
        }

        /// The `bye` code sent to the peer before closing, or nil when none is sent.
        var byeCode: SyncByeCode? {
            switch self {
            case .localShutdown: .normal
            case .peerBye, .admissionWithdrawn: nil
            case .idleTimeout: .idleTimeout
            case .protocolViolation: .protocolViolation
            case .incompatibleVersion: .incompatibleVersion
            case .unexpectedPeer, .selfConnection: .unexpectedPeer
            }
        }
    }

    /// After this many `gap` refusals of one log in a row (each followed by a rewind), the log waits
    /// for the next anti-entropy round instead of being resent at once.
    public static let maxConsecutiveGaps = 8
}
