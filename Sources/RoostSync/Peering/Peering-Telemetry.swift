import NIOConcurrencyHelpers
public import NIOCore
import RoostStore
public import RoostCore

/// What happened on a peer connection, for the node's event stream (`events.jsonl`) and admin tools.
/// Carries ids, addresses, counts and reasons only: never op bodies or customer text.
public struct SyncEvent: Codable, Hashable, Sendable {
    /// Kinds of sync event.
    public enum Kind: String, Codable, Hashable, Sendable, CaseIterable {
        /// A session was established (handshake passed).
        case connected
        /// An established session ended.
        case disconnected
        /// A handshake failed or was refused (``SyncEvent/reason`` says why).
        case handshakeRefused = "handshake-refused"
        /// A batch from the peer was applied (``SyncEvent/ops`` new ops).
        case batchApplied = "batch-applied"
        /// A batch from the peer was refused (``SyncEvent/reason`` is the reject code).
        case batchRefused = "batch-refused"
        /// The peer refused a batch this node sent (``SyncEvent/reason`` is its reject code, e.g. `clock`).
        case refusedByPeer = "refused-by-peer"
        /// The peer sent a second, validly sealed op at a position we hold: fork evidence was stored.
        case fork
        /// A connected peer is behind and made no progress for ``SyncLimits/stallAfterMillis``
        /// (``SyncEvent/ops`` ops behind).
        case stalled
    }

    /// When (Unix ms).
    public var atMillis: UInt64
    /// What.
    public var kind: Kind
    /// The peer's node id, when known.
    public var peer: String?
    /// The address dialled, when we dialled it.
    public var address: String?
    /// Why (refusals), as a stable label.
    public var reason: String?
    /// Ops applied (batch-applied), or the op in question's position (fork, batch-refused) in ``SyncEvent/op``.
    public var ops: Int?
    /// The op a refusal or fork names.
    public var op: String?

    /// Creates an event.
    public init(atMillis: UInt64, kind: Kind, peer: String? = nil, address: String? = nil, reason: String? = nil,
                ops: Int? = nil, op: String? = nil) {
        self.atMillis = atMillis; self.kind = kind; self.peer = peer; self.address = address
        self.reason = reason; self.ops = ops; self.op = op
    }
}

/// Counters of one node's peering, kept by the hub and read by metrics exporters and admin tools.
public struct SyncCounters: Hashable, Sendable {
    /// Ops applied from peers since start.
    public var opsApplied: UInt64 = 0
    /// Batches applied from peers since start.
    public var batchesApplied: UInt64 = 0
    /// Batches refused, by reject code label.
    public var batchesRefused: [String: UInt64] = [:]
    /// Payload bytes received, by peer node id.
    public var bytesIn: [String: UInt64] = [:]
    /// Payload bytes sent, by peer node id.
    public var bytesOut: [String: UInt64] = [:]
    /// Batches this node sent that the peer refused, by reject code label.
    public var refusedByPeers: [String: UInt64] = [:]
    /// Handshake failures, by reason label.
    public var handshakeFailures: [String: UInt64] = [:]
    /// Fork evidence events.
    public var forks: UInt64 = 0
    /// Times a connected peer was found stalled (behind, no progress).
    public var stalls: UInt64 = 0
}

/// The hub's telemetry: counters plus observers of ``SyncEvent``s (the daemon appends them to the
/// events file). Thread-safe; observers are called on the thread that records, outside the lock.
public final class SyncTelemetry: Sendable {
    private let state = NIOLockedValueBox(SyncCounters())
    private let observers = NIOLockedValueBox<[@Sendable (SyncEvent) -> Void]>([])
    private let clock: any WallClock

    /// Creates telemetry stamping events with `clock`.
    public init(clock: any WallClock) { self.clock = clock }

    /// The counters now.
    public var counters: SyncCounters { state.withLockedValue { $0 } }

    /// Calls `observer` with every event recorded from now on.
    public func observe(_ observer: @escaping @Sendable (SyncEvent) -> Void) {
        observers.withLockedValue { $0.append(observer) }
    }

    /// Records an event (updating counters) and tells the observers.
    public func record(_ kind: SyncEvent.Kind, peer: AuthorID?, address: String? = nil, reason: String? = nil,
                       ops: Int? = nil, op: OpRef? = nil) {
        let event = SyncEvent(atMillis: clock.nowMillis(), kind: kind, peer: peer?.text, address: address, reason: reason,
                              ops: ops, op: op.map { "\($0)" })
        state.withLockedValue { counters in
            switch kind {
            case .batchApplied:
                counters.batchesApplied += 1
                counters.opsApplied += UInt64(ops ?? 0)
            case .batchRefused: counters.batchesRefused[reason ?? "unknown", default: 0] += 1
            case .refusedByPeer: counters.refusedByPeers[reason ?? "unknown", default: 0] += 1
            case .handshakeRefused: counters.handshakeFailures[reason ?? "unknown", default: 0] += 1
            case .fork: counters.forks += 1
            case .stalled: counters.stalls += 1
            case .connected, .disconnected: break
            }
        }
        for observer in observers.withLockedValue({ $0 }) { observer(event) }
    }

    /// Counts payload bytes received from `peer`.
    public func received(_ count: Int, from peer: AuthorID?) {
        guard let peer else { return }
        state.withLockedValue { $0.bytesIn[peer.text, default: 0] += UInt64(count) }
    }

    /// Counts payload bytes sent to `peer`.
    public func sent(_ count: Int, to peer: AuthorID?) {
        guard let peer else { return }
        state.withLockedValue { $0.bytesOut[peer.text, default: 0] += UInt64(count) }
    }

    /// Records the outcome of applying a peer's batch.
    func applied(_ result: Result<ApplyReport, SyncRejection>, from peer: AuthorID?) {
        switch result {
        case let .success(report):
            record(.batchApplied, peer: peer, ops: report.applied)
        case let .failure(rejection):
            record(rejection.code == .fork ? .fork : .batchRefused, peer: peer, reason: rejection.code.description,
                   op: rejection.op)
        }
    }

    /// Records a connection failure: handshake failures become `handshake-refused` events with a reason.
    func failed(_ error: any Error, peer: AuthorID?, address: String?) {
        guard case let .handshake(failure)? = error as? SecureChannelError else { return }
        record(.handshakeRefused, peer: peer, address: address, reason: Self.label(failure))
    }

    /// `host:port` of a socket address (the remote end of an inbound connection), when known.
    public static func describe(_ address: SocketAddress?) -> String? {
        guard let address, let ip = address.ipAddress else { return nil }
        return address.protocol == .inet6 ? "[\(ip)]:\(address.port ?? 0)" : "\(ip):\(address.port ?? 0)"
    }

    /// A stable label for a handshake failure (metrics label and event reason).
    public static func label(_ error: HandshakeError) -> String {
        switch error {
        case .messageTooLarge: "message-too-large"
        case .invalidLength: "invalid-length"
        case .badMagic: "bad-magic"
        case .unsupportedVersion: "unsupported-version"
        case .wrongNetworkKey: "wrong-network-key"
        case .invalidEphemeralKey: "invalid-ephemeral-key"
        case .decryptionFailed: "decryption-failed"
        case .invalidSignature: "invalid-signature"
        case .connectedToSelf: "connected-to-self"
        case .unexpectedPeer: "unexpected-peer"
        case .unknownIdentity: "unknown-identity"
        case .revokedIdentity: "revoked-identity"
        case .unexpectedMessage: "unexpected-message"
        case .connectionClosed: "connection-closed"
        case .timedOut: "timed-out"
        @unknown default: "other"
        }
    }
}
