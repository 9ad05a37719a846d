import Dispatch
public import Logging
import NIOConcurrencyHelpers
public import NIOCore
public import RoostCore
public import RoostStore

/// What this node knows of one peer.
public struct PeerStatus: Sendable, Hashable, Codable {
    /// The peer's node id (text form).
    public var node: String
    /// The address dialled, when we dialled it.
    public var address: String?
    /// Whether a session is up.
    public var connected: Bool
    /// When the peer was last heard from (Unix ms).
    public var lastSeenMillis: UInt64?
    /// Ops the peer lacks from us, by its last known vector.
    public var opsBehind: UInt64
    /// Ops we lack from it.
    public var opsAhead: UInt64
}

/// One node's side of peering: its store, its version vector, and every live session, so that ops
/// applied from one peer (or appended locally, even by another process) are pushed to all the others.
public final class PeeringHub: @unchecked Sendable {
    /// The node's store.
    public let store: OpStore
    /// This node.
    public let local: AuthorID
    let clock: any WallClock
    let logger: Logger
    /// Store reads and writes run here, one at a time, off the event loops (SQLite calls block).
    let storeQueue = DispatchQueue(label: "roost.sync.store")

    private let lock = NIOLock()
    private var vector: VersionVector
    private var sessions: [ObjectIdentifier: PeeringSessionHandler] = [:]
    private var peers: [AuthorID: PeerStatus] = [:]

    /// Creates the hub of a node.
    public init(store: OpStore, local: AuthorID, clock: any WallClock, logger: Logger = Logger(label: "roost.sync")) throws {
        self.store = store
        self.local = local
        self.clock = clock
        self.logger = logger
        telemetry = SyncTelemetry(clock: clock)
        vector = try store.versionVector()
    }

    /// The version vector as last read from the store.
    public var localVector: VersionVector { lock.withLock { vector } }

    /// Peers seen since start, with their state.
    public var peerStatuses: [PeerStatus] {
        lock.withLock {
            peers.values.map { status in
                var status = status
                if let id = try? AuthorID(text: status.node), let peerVector = peerVectors[id] {
                    status.opsBehind = peerVector.missing(from: vector)
                    status.opsAhead = vector.missing(from: peerVector)
                }
                return status
            }.sorted { $0.node < $1.node }
        }
    }
    private var peerVectors: [AuthorID?: VersionVector] = [:]
    /// Each peer's version vector as last heard (persisted by the daemon in `heard-vectors.json` for admin tools).
    public var heardVectors: [AuthorID: VersionVector] {
        lock.withLock { Dictionary(uniqueKeysWithValues: peerVectors.compactMap { key, value in key.map { ($0, value) } }) }
    }
    /// Counters and the event stream of this node's peering (metrics, `events.jsonl`).
    public let telemetry: SyncTelemetry

    func register(_ handler: PeeringSessionHandler) {
        lock.withLock { sessions[ObjectIdentifier(handler)] = handler }
    }

    func unregister(_ handler: PeeringSessionHandler, peer: AuthorID?) {
        lock.withLock {
            sessions[ObjectIdentifier(handler)] = nil
            if let peer, !sessions.values.contains(where: { $0.peer == peer }) { peers[peer]?.connected = false }
        }
    }

    func connected(_ peer: AuthorID, address: String?) {
        lock.withLock {
            var status = peers[peer] ?? PeerStatus(node: peer.text, address: address, connected: true, lastSeenMillis: nil,
                                                   opsBehind: 0, opsAhead: 0)
            status.connected = true
            if let address { status.address = address }
            status.lastSeenMillis = clock.nowMillis()
            peers[peer] = status
        }
    }

    func heard(from peer: AuthorID, vector: VersionVector?) {
        lock.withLock {
            peers[peer]?.lastSeenMillis = clock.nowMillis()
            if let vector { peerVectors[peer] = vector }
        }
    }

    /// Re-reads the store's vector (call on `storeQueue`); true when it changed.
    func refreshVector() -> Bool {
        guard let fresh = try? store.versionVector() else { return false }
        return lock.withLock {
            guard fresh != vector else { return false }
            vector = fresh
            return true
        }
    }

    /// The store may have gained ops (a local command, another process, a peer): when the vector moved,
    /// every session pushes what its peer lacks.
    public func storeMayHaveChanged() {
        storeQueue.async {
            guard self.refreshVector() else { return }
            self.broadcast(self.localVector)
        }
    }

    /// A session applied ops and already refreshed the vector: tell every session.
    func storeMayHaveChanged(alreadyRefreshed vector: VersionVector) { broadcast(vector) }

    private func broadcast(_ vector: VersionVector) {
        let handlers = lock.withLock { Array(sessions.values) }
        for handler in handlers { handler.localChanged(vector) }
    }

    // MARK: presence (ephemeral, never stored)

    private var presenceHandler: (@Sendable (SyncPresence, AuthorID) -> Void)?

    /// Where presence from peers goes (the web app's presence board).
    public func onPresence(_ handler: @escaping @Sendable (SyncPresence, AuthorID) -> Void) {
        lock.withLock { presenceHandler = handler }
    }

    func presenceReceived(_ presence: SyncPresence, from peer: AuthorID) {
        let handler = lock.withLock { presenceHandler }
        handler?(presence, peer)
    }

    /// Tells every connected peer what this node's agent is doing on a ticket.
    public func broadcastPresence(_ presence: SyncPresence) {
        let handlers = lock.withLock { Array(sessions.values) }
        for handler in handlers { handler.sendEphemeral(.presence(presence)) }
    }

    /// Polls the store for ops written by other processes (the CLI while the daemon runs).
    public func startPolling(on eventLoop: any EventLoop, every interval: TimeAmount = .milliseconds(50)) -> RepeatedTask {
        eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in self.storeMayHaveChanged() }
    }
}
