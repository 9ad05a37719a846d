/// The tunables of one sync session. Times are milliseconds of the clock the driver passes as `now`.
public struct SyncConfiguration: Hashable, Sendable {
    /// About how many ops one batch carries: the `limit` of ``OpStore/batch(after:limit:)``. A sealed
    /// run longer than this is still sent whole (seals are never split).
    public var batchOpLimit: Int
    /// How many batches may be sent and not yet acknowledged; announced in `hello` as the receive window.
    /// The sender uses the smaller of its own and the peer's.
    public var window: Int
    /// A ping is sent when nothing was received for this long.
    public var pingIntervalMillis: UInt64
    /// The session closes when nothing was received for this long (including before the peer's hello).
    public var idleTimeoutMillis: UInt64
    /// How often the full local vector is re-announced (`have`), and transiently refused logs retried.
    public var antiEntropyIntervalMillis: UInt64
    /// How long ops of other authors (relayed ops) wait before they are pushed, while the `have` that
    /// announces them crosses the one of a neighbour that got them too: neighbours that receive the same
    /// ops at about the same time then do not push them to each other. A node's own ops, and everything
    /// a peer lacks when the session starts, go at once. 0 pushes everything at once. In a version 2 session
    /// only the ops of authors the peer pruned wait (SPEC-sync.md §2b.17), unless ``eagerRelay`` is off.
    public var relayDelayMillis: UInt64
    /// Whether a version 2 session pushes relayed ops at once (pruning duplicates per link and author), or holds
    /// every relayed op for ``relayDelayMillis`` as version 1 does: fewer duplicates, a hold per hop.
    public var eagerRelay: Bool

    /// Creates a configuration; traps on values outside their ranges (a programming error).
    public init(
        batchOpLimit: Int = 1024, window: Int = 2, pingIntervalMillis: UInt64 = 15_000,
        idleTimeoutMillis: UInt64 = 60_000, antiEntropyIntervalMillis: UInt64 = 120_000,
        relayDelayMillis: UInt64 = 200, eagerRelay: Bool = true
    ) {
        precondition((1...SyncLimits.maxBatchOps).contains(batchOpLimit), "batchOpLimit out of range")
        precondition((1...SyncLimits.maxWindow).contains(window), "window out of range")
        precondition(pingIntervalMillis > 0 && idleTimeoutMillis > pingIntervalMillis,
                     "the idle timeout must be longer than the ping interval")
        precondition(antiEntropyIntervalMillis > 0, "antiEntropyIntervalMillis must be positive")
        self.batchOpLimit = batchOpLimit
        self.window = window
        self.pingIntervalMillis = pingIntervalMillis
        self.idleTimeoutMillis = idleTimeoutMillis
        self.antiEntropyIntervalMillis = antiEntropyIntervalMillis
        self.relayDelayMillis = relayDelayMillis
        self.eagerRelay = eagerRelay
    }
}
