public import RoostCore
public import RoostStore

/// What sync needs from a node's storage, and no more (as syncthing's protocol package names the model it drives):
/// the version vector, the ops beyond a vector, applying a peer's batch, the roster's version (to re-check admitted
/// peers when it changes), the housekeeping owed after an erasure, and bodies fetched again from peers. `OpStore` conforms; a test can hand sync any
/// other replica.
public protocol SyncReplica: AnyObject, Sendable {
    /// The highest contiguous sequence number held per log.
    func versionVector() throws(StoreError) -> VersionVector
    /// The format 2 logs held: a session below protocol version 4 never names them (SPEC-sync.md §2b.19).
    func format2Logs() throws(StoreError) -> Set<LogID>
    /// The ops held beyond `vector`, whole sealed runs, at most `limit` ops and about `maxBytes` encoded.
    func batch(after vector: VersionVector, limit: Int, maxBytes: Int) throws(StoreError) -> OpBatch
    /// The format 2 logs held beyond `vector` (SPEC-sync.md §2b.19): per log, whole seal ranges from the one `vector`
    /// stands in, about `limit` ops in all. Format 1 logs are ``batch(after:limit:maxBytes:)``'s.
    func batchesV2(after vector: VersionVector, limit: Int) throws(StoreError) -> [OpBatchV2]
    /// Resolves a peer's format 2 runs against the store and applies them atomically, as ``apply(_:clock:)`` does a
    /// format 1 batch; a run that does not resolve refuses them all (`StoreError.rejected`).
    func apply(runsV2 runs: [RunV2], clock: any WallClock) throws(StoreError) -> ApplyReport
    /// Verifies and stores a peer's batch atomically; reports what was applied or why it was refused.
    func apply(_ batch: OpBatch, clock: any WallClock) throws(StoreError) -> ApplyReport
    /// Applies several peers' batches in one transaction, each atomically and in order (a refused batch applies
    /// nothing and leaves the others alone); throws only when nothing could be applied.
    func apply(_ batches: [OpBatch], clock: any WallClock) throws(StoreError) -> [Result<ApplyReport, StoreError>]
    /// A number that changes whenever the team roster does.
    func rosterVersion() throws(StoreError) -> Int64
    /// Finishes any scrubbing an applied erasure left owed (best effort; never throws).
    func scrubIfOwed()
    /// Ops held as headers that no effective erasure names: their bodies are asked of peers (SPEC-sync.md §2b.15).
    func wantedBodies(limit: Int) throws(StoreError) -> [BodyWant]
    /// The bodies held of the ops a peer asked for (same position and header hash).
    func heldBodies(_ wants: [BodyWant]) throws(StoreError) -> [HeldBody]
    /// Restores the bodies that match their headers and are still wanted; returns how many.
    func restoreBodies(_ bodies: [HeldBody]) throws(StoreError) -> Int
}

extension OpStore: SyncReplica {}
