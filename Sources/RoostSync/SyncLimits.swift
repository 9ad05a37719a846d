import RoostCore

/// Every size limit of the sync protocol, named in one place (Protocol/SPEC-sync.md §2b.2).
///
/// ``SyncMessage/decode(_:)`` checks each count and length against these before it allocates, so a
/// hostile prefix cannot make a node reserve memory it was never going to need.
public enum SyncLimits {
    /// The protocol version this build speaks; a peer announcing another one is refused.
    public static let protocolVersion: UInt16 = 1
    /// Largest encoded message, in bytes (64 MiB). A sender never builds a bigger one: it asks the store
    /// for fewer ops instead (see ``SyncSession/StateMachine``).
    public static let maxMessageBytes = 64 * 1024 * 1024
    /// Most entries in one version vector (`hello`, `have`): one per log.
    public static let maxVectorEntries = 65_536
    /// Most ops in one `batch` message: the store's own limit (``Limits/maxBatchOps``).
    public static let maxBatchOps = Limits.maxBatchOps
    /// Most seals in one `batch` message (at most one per op is ever useful).
    public static let maxBatchSeals = Limits.maxBatchOps
    /// Longest human-readable text in a `reject` message, in UTF-8 bytes.
    public static let maxReasonBytes = 1024
    /// Largest window (unacknowledged batches in flight) a node may announce.
    public static let maxWindow = 64

    /// Encoded size of one vector entry: author (32), epoch (8), seq (8).
    static let vectorEntryBytes = 48
    /// Smallest encoded op in a batch: a header and a body flag of 0.
    static let minOpBytes = OpHeader.encodedLength + 1
}
