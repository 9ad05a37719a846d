import RoostCore

/// Every size limit of the sync protocol, named in one place (Protocol/SPEC-sync.md §2b.2).
///
/// ``SyncMessage/decode(_:)`` checks each count and length against these before it allocates, so a
/// hostile prefix cannot make a node reserve memory it was never going to need.
public enum SyncLimits {
    /// The highest protocol version this build speaks, sent in its `hello` (§2b.16). Version 2 adds vector
    /// digests to anti-entropy rounds; version 3 sends batches as `runs` (§2b.18); version 4 carries format 2 logs as
    /// `runs-v2` (§2b.19).
    public static let protocolVersion: UInt16 = 4
    /// The lowest protocol version this build accepts: a session runs at the lower of the two hellos' versions.
    public static let minimumProtocolVersion: UInt16 = 1
    /// The first version whose sessions send `vector-digest` instead of the whole vector each round (§2b.16) and
    /// relay eagerly with `prune` and `graft` (§2b.17).
    public static let digestProtocolVersion: UInt16 = 2
    /// The first version whose sessions send batches as `runs` (§2b.18).
    public static let runsProtocolVersion: UInt16 = 3
    /// The first version whose sessions carry format 2 logs, as `runs-v2` with session dictionaries (§2b.19).
    public static let runsV2ProtocolVersion: UInt16 = 4
    /// Length of a vector digest: BLAKE2b-128.
    public static let vectorDigestBytes = 16
    /// Largest encoded message, in bytes: exactly what one peer frame carries
    /// (``WireLimits/maxFramePayloadBytes``, 16 MiB less the frame overhead), so that every message a
    /// session builds can be sent. A sender never builds a bigger one: it reads batches with this byte
    /// budget and asks the store for fewer ops when one still comes out larger (see
    /// ``SyncSession/StateMachine``). One sealed run is at most ``Limits/maxRunBytes``, well within it.
    public static let maxMessageBytes = WireLimits.maxFramePayloadBytes
    /// The byte budget of a batch read from the store: the message limit less the `batch` message's own
    /// fields (tag, id, op and seal counts).
    public static let maxBatchReadBytes = maxMessageBytes - (1 + 8 + 4 + 4)
    /// Most ops applied in one transaction when the batches of several sessions wait to be applied together
    /// (group commit, ``PeeringHub``): enough that a busy node commits once for many small batches, few enough
    /// that one commit stays well under a second. A single batch larger than this is applied alone.
    public static let maxGroupedApplyOps = 20_000
    /// Most entries in one version vector (`hello`, `have`): one per log.
    public static let maxVectorEntries = 65_536
    /// Most ops in one `batch` message: the store's own limit (``Limits/maxBatchOps``).
    public static let maxBatchOps = Limits.maxBatchOps
    /// Most seals in one `batch` message (at most one per op is ever useful).
    public static let maxBatchSeals = Limits.maxBatchOps
    /// Longest human-readable text in a `reject` message, in UTF-8 bytes.
    public static let maxReasonBytes = 1024
    /// Most positions one `want-bodies` names, and most bodies one `bodies` carries (§2b.15).
    public static let maxWantBodies = 1024
    /// Most entries of one session dictionary of format 2 runs (authors or scopes; Protocol/SPEC-format-2.md §2.6).
    public static let maxRunDictionaryEntries = 1 << 20
    /// Longest inclusion path of a format 2 seal: a tree of up to 2^32 leaves.
    public static let maxInclusionPath = 32
    /// Ops a partial replication sender puts in one `partial-batch` (Protocol/SPEC-partial.md §P.4), cut at seals:
    /// more than one seal range only if it fits; what does not fit goes in the next batch. Below ``maxBatchOps``,
    /// which the receiver enforces.
    public static let partialBatchOps = 20_000
    /// `runs` messages of format 1 history a full node sends ahead of one `partial-batch` (SPEC-partial.md §P.3c; the
    /// reference node sends one, of at most ``OpStore/batch(after:limit:maxBytes:)``'s limits): a receiver refuses more,
    /// so that what it keeps for one answer is bounded.
    public static let partialHistoryMessages = 4
    /// Scopes received whole that a partial node remembers for `have-scope` (SPEC-partial.md §P.3) until every full
    /// peer has answered since; the oldest are forgotten beyond this (a peer then sends them whole again: bytes only).
    public static let partialWholeReceipts = 4_096
    /// A connected peer that is behind and whose vector did not grow for this long is reported stalled
    /// (a log line, `roost peers`, the `roost_stalls_total` and `roost_peer_stalled` metrics): 30 s.
    public static let stallAfterMillis: UInt64 = 30_000
    /// A session established later is sent this node's latest presence per ticket when it is younger than
    /// this (§2b.13): 15 s, the longest a web page waits between two reports.
    public static let presenceReplayMillis: UInt64 = 15_000
    /// Most tickets whose latest presence a node keeps for replay.
    public static let maxPresenceReplayTickets = 64
    /// Largest window (unacknowledged batches in flight) a node may announce.
    public static let maxWindow = 64

    /// Encoded size of one vector entry: author (32), epoch (8), seq (8).
    static let vectorEntryBytes = 48
    /// Smallest encoded op in a batch: a header and a body flag of 0.
    static let minOpBytes = OpHeader.encodedLength + 1
}
