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
    /// Since when (Unix ms) the peer has been stalled: connected and behind, with no progress for
    /// ``SyncLimits/stallAfterMillis``; nil while it is not.
    public var stalledSinceMillis: UInt64? = nil
    /// The queues a partial peer subscribes to (SPEC-partial.md §P.3), sorted; nil for a full peer. A partial peer is
    /// behind by the format 2 logs only: partial sessions carry no other.
    public var queues: [String]? = nil
    /// On a partial node: how many of this peer's answers the node's store could not write (a full disk, say); what
    /// they brought is asked for again (SPEC-partial.md §P.7a). Nil when none.
    public var storeErrors: Int? = nil

    /// The peer's sync state in one word: `disconnected`, `stalled`, `behind` or `in-sync`.
    public var state: String {
        if !connected { return "disconnected" }
        if stalledSinceMillis != nil { return "stalled" }
        return opsBehind > 0 ? "behind" : "in-sync"
    }
}

/// One node's side of peering: its store, its version vector, and every live session, so that ops
/// applied from one peer (or appended locally, even by another process) are pushed to all the others.
public final class PeeringHub: @unchecked Sendable {
    /// The node's replica: what sync reads and applies (``SyncReplica``; the node's `OpStore`).
    public let store: any SyncReplica
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
    /// This node's view of each partial peer (SPEC-partial.md §P.4), kept across its sessions; `storeQueue` only.
    var partialServers: [AuthorID: StorePartialServer] = [:]
    /// The number of the last `partial-batch` applied from each partial peer; `storeQueue` only.
    var partialBatchesApplied: [AuthorID: UInt64] = [:]

    /// Creates the hub of a node.
    public init(store: any SyncReplica, local: AuthorID, clock: any WallClock, logger: Logger = Logger(label: "roost.sync")) throws {
        self.store = store
        self.local = local
        self.clock = clock
        self.logger = logger
        telemetry = SyncTelemetry(clock: clock)
        vector = try store.versionVector()
        format2 = try store.format2Logs()
    }

    /// The version vector as last read from the store.
    public var localVector: VersionVector { lock.withLock { vector } }
    /// The format 2 logs among the vector's (SPEC-sync.md §2b.19), read again when a log appears.
    var format2Logs: Set<LogID> { lock.withLock { format2 } }
    private var format2: Set<LogID> = []

    /// The vector `peer` is told of and judged against: without the format 2 logs for a peer whose hello said a
    /// version below 4, which cannot hold them (§2b.19). Call with the lock held.
    private func vectorVisible(to peer: AuthorID) -> VersionVector {
        if partialPeers[peer] != nil { return vector.removing(Set(vector.entries.keys).subtracting(format2)) }
        guard !format2.isEmpty, let version = olderPeers[peer], version < SyncLimits.runsV2ProtocolVersion else { return vector }
        return vector.removing(format2)
    }

    /// Peers seen since start, with their state.
    public var peerStatuses: [PeerStatus] {
        lock.withLock {
            peers.values.map { status in
                var status = status
                if let id = try? AuthorID(text: status.node) { status.queues = partialPeers[id].map { $0.sorted() } }
                if let id = try? AuthorID(text: status.node), let peerVector = peerVectors[id] {
                    let vector = vectorVisible(to: id)
                    status.opsBehind = peerVector.missing(from: vector)
                    status.opsAhead = vector.missing(from: peerVector)
                }
                return status
            }.sorted { $0.node < $1.node }
        }
    }
    private var peerVectors: [AuthorID?: VersionVector] = [:]
    /// The queues of each peer that subscribed as a partial node.
    private var partialPeers: [AuthorID: Set<String>] = [:]

    /// `peer` subscribed (`subscribe`): partial with `subscription`'s queues, or full again.
    func heardSubscription(_ subscription: Subscription, from peer: AuthorID) {
        lock.withLock { partialPeers[peer] = subscription.everything ? nil : subscription.queues }
    }
    /// Each peer's version vector as last heard (persisted by the daemon in `heard-vectors.json` for admin tools).
    public var heardVectors: [AuthorID: VersionVector] {
        lock.withLock { Dictionary(uniqueKeysWithValues: peerVectors.compactMap { key, value in key.map { ($0, value) } }) }
    }
    /// Counters and the event stream of this node's peering (metrics, `events.jsonl`).
    public let telemetry: SyncTelemetry

    // MARK: protocol versions (§2b.16)

    /// Peers whose hello announced a version below ours: a version-1 node refuses a higher hello, so it is
    /// sent its own version from then on (the first session with it ends in its `bye`).
    private var olderPeers: [AuthorID: UInt16] = [:]

    /// The version to announce in a hello to `peer`.
    func helloVersion(for peer: AuthorID) -> UInt16 {
        lock.withLock { olderPeers[peer] } ?? SyncLimits.protocolVersion
    }

    /// Records the version `peer`'s hello announced.
    func heardVersion(_ version: UInt16, from peer: AuthorID) {
        lock.withLock { olderPeers[peer] = version < SyncLimits.protocolVersion ? version : nil }
    }

    // MARK: admission withdrawn (revocation acts at once)

    /// The roster's verdict on a peer, set by the service; nil admits every connected peer (no roster).
    private var verdict: (@Sendable (AuthorID) -> PeerAdmission.Verdict)?
    /// `meta.roster_version` when admissions were last checked.
    private var checkedRosterVersion: Int64?
    /// Peers whose admission was withdrawn while connected: nothing is sent to them any more.
    private var withdrawn: Set<AuthorID> = []
    private var sendObservers: [@Sendable (AuthorID, SyncMessage) -> Void] = []

    /// Uses `verdict` to re-check connected peers whenever the roster changes.
    func useAdmission(_ verdict: @escaping @Sendable (AuthorID) -> PeerAdmission.Verdict) {
        lock.withLock { self.verdict = verdict }
    }

    /// Calls `observer` (on an event loop, just before the write) with every message sent to a peer:
    /// the sent-frame log of tests and audits. Never called for a peer whose admission was withdrawn.
    public func observeSent(_ observer: @escaping @Sendable (AuthorID, SyncMessage) -> Void) {
        lock.withLock { sendObservers.append(observer) }
    }

    /// Whether the roster withdrew `peer`'s admission while this node ran.
    public func isWithdrawn(_ peer: AuthorID) -> Bool { lock.withLock { withdrawn.contains(peer) } }

    /// Decides whether a message may go to `peer` now, and tells the send observers when it may.
    func mayAndWillSend(_ message: SyncMessage, to peer: AuthorID?) -> Bool {
        guard let peer else { return true }
        let observers: [@Sendable (AuthorID, SyncMessage) -> Void]? = lock.withLock {
            withdrawn.contains(peer) ? nil : sendObservers
        }
        guard let observers else { return false }
        for observer in observers { observer(peer, message) }
        return true
    }

    /// Re-checks every connected peer when the roster changed since the last check (call on `storeQueue`,
    /// after any store work that may have changed the roster and before the vector is refreshed or a
    /// fetched batch is handed to a session). A peer the roster no longer admits is withdrawn at once: its
    /// sessions refuse to send and close. Returns the peers withdrawn by this call.
    @discardableResult
    func checkRoster() -> Set<AuthorID> {
        guard let verdict = lock.withLock({ self.verdict }) else { return [] }
        // Fail closed: an unreadable version counts as a change.
        let version = try? store.rosterVersion()
        let peersNow: Set<AuthorID> = lock.withLock {
            if let version, version == checkedRosterVersion { return [] }
            checkedRosterVersion = version
            return Set(sessions.values.compactMap(\.peer))
        }
        var refused: Set<AuthorID> = []
        for peer in peersNow { if case .refused = verdict(peer) { refused.insert(peer) } }
        guard !refused.isEmpty else { return [] }
        let handlers: [PeeringSessionHandler] = lock.withLock {
            withdrawn.formUnion(refused)
            return sessions.values.filter { $0.peer.map(refused.contains) ?? false }
        }
        for peer in refused {
            logger.notice("closing the sessions of a peer the roster no longer admits", metadata: ["peer": "\(peer.short)"])
        }
        for handler in handlers { handler.admissionWithdrawn() }
        // A revoked partial peer's view goes with its sessions.
        let revoked = refused
        storeQueue.async { for peer in revoked { self.partialServers[peer] = nil; self.partialBatchesApplied[peer] = nil } }
        return refused
    }

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
            status.stalledSinceMillis = nil
            progressAt[peer] = clock.nowMillis()
            if let address { status.address = address }
            status.lastSeenMillis = clock.nowMillis()
            peers[peer] = status
        }
    }

    func heard(from peer: AuthorID, vector: VersionVector?) {
        let resumed: Bool = lock.withLock {
            let now = clock.nowMillis()
            peers[peer]?.lastSeenMillis = now
            guard let vector, peerVectors[peer] != vector else { return false }
            peerVectors[peer] = vector
            progressAt[peer] = now
            guard peers[peer]?.stalledSinceMillis != nil else { return false }
            peers[peer]?.stalledSinceMillis = nil
            return true
        }
        if resumed { logger.notice("peer sync resumed", metadata: ["peer": "\(peer.short)"]) }
    }

    // MARK: stalls (a connected peer behind with no progress is visible)

    /// When each peer's vector last grew (or its session started).
    private var progressAt: [AuthorID: UInt64] = [:]

    /// Marks as stalled every connected peer that is behind and made no progress for
    /// ``SyncLimits/stallAfterMillis``: one warning log line and one `stalled` event (counted in
    /// ``SyncCounters/stalls``) when it starts; ``PeerStatus/stalledSinceMillis`` while it lasts. Called by
    /// the polling task; returns the peers that became stalled.
    @discardableResult
    public func checkStalls() -> [AuthorID] {
        let now = clock.nowMillis()
        let stalled: [(AuthorID, UInt64)] = lock.withLock {
            var found: [(AuthorID, UInt64)] = []
            for (peer, status) in peers where status.connected && status.stalledSinceMillis == nil {
                guard let peerVector = peerVectors[peer] else { continue }
                let behind = peerVector.missing(from: vectorVisible(to: peer))
                guard behind > 0 else { progressAt[peer] = now; continue }
                let since = progressAt[peer] ?? now
                if progressAt[peer] == nil { progressAt[peer] = now }
                if now >= since && now - since >= SyncLimits.stallAfterMillis {
                    peers[peer]?.stalledSinceMillis = since
                    found.append((peer, behind))
                }
            }
            return found
        }
        for (peer, behind) in stalled {
            logger.warning("peer sync stalled: connected and behind, with no progress", metadata: [
                "peer": "\(peer.short)", "opsBehind": "\(behind)", "seconds": "\(SyncLimits.stallAfterMillis / 1000)"])
            telemetry.record(.stalled, peer: peer, reason: "no-progress", ops: Int(clamping: behind))
        }
        return stalled.map(\.0)
    }


    /// Re-reads the store's vector (call on `storeQueue`); true when it changed.
    func refreshVector() -> Bool {
        guard let fresh = try? store.versionVector() else { return false }
        let newLog = lock.withLock { fresh.entries.keys.contains { vector.entries[$0] == nil } }
        // A log's format is fixed by its first op: read again only when a log appeared.
        let format2 = newLog ? try? store.format2Logs() : nil
        return lock.withLock {
            if let format2 { self.format2 = format2 }
            guard fresh != vector else { return false }
            vector = fresh
            return true
        }
    }

    /// The store may have gained ops (a local command, another process, a peer): when the vector moved,
    /// every session pushes what its peer lacks.
    public func storeMayHaveChanged() {
        storeQueue.async {
            self.checkRoster()
            guard self.refreshVector() else { return }
            self.broadcast(self.localVector)
        }
    }

    // MARK: group commit

    /// A peer's batch waiting to be applied, and what to do with the outcome (any thread).
    struct PendingApply {
        /// A format 1 batch, or a peer's format 2 runs (version 4), which are resolved against the store and so applied
        /// alone, after the batches before them.
        enum Payload { case ops(OpBatch), runsV2([RunV2]) }
        var payload: Payload
        var done: @Sendable (Result<ApplyReport, SyncRejection>, VersionVector) -> Void
        var opCount: Int {
            switch payload {
            case let .ops(batch): batch.ops.count
            case let .runsV2(runs): runs.reduce(0) { $0 + $1.ops.count }
            }
        }
    }
    private var pendingApplies: [PendingApply] = []
    private var applyScheduled = false

    /// Ops received from peers since this hub started: new ones applied, and ones it already held (relayed to it by
    /// more than one path). Their ratio is what duplicate suppression in relaying is for.
    public var receivedOps: (applied: Int, duplicates: Int) { lock.withLock { received } }
    private var received: (applied: Int, duplicates: Int) = (0, 0)

    /// Applies a session's batch. Batches that arrive while the store is busy wait and are then applied
    /// together, in one transaction and in arrival order (group commit): a node relaying many peers' small
    /// batches commits once per group instead of once per batch, and nothing waits for a timer. `done` gets
    /// the batch's outcome and the vector after the group, once the roster has been re-checked.
    func enqueueApply(_ batch: OpBatch, done: @escaping @Sendable (Result<ApplyReport, SyncRejection>, VersionVector) -> Void) {
        enqueue(PendingApply(payload: .ops(batch), done: done))
    }

    /// Queues a peer's format 2 runs (SPEC-sync.md §2b.19) behind the batches already waiting; they are applied alone.
    func enqueueApply(runsV2 runs: [RunV2], done: @escaping @Sendable (Result<ApplyReport, SyncRejection>, VersionVector) -> Void) {
        enqueue(PendingApply(payload: .runsV2(runs), done: done))
    }

    private func enqueue(_ pending: PendingApply) {
        let schedule: Bool = lock.withLock {
            pendingApplies.append(pending)
            if applyScheduled { return false }
            applyScheduled = true
            return true
        }
        if schedule { storeQueue.async { self.applyPending() } }
    }

    /// Applies the waiting batches, up to ``SyncLimits/maxGroupedApplyOps`` ops (the first batch always), on
    /// `storeQueue`; schedules itself again while batches remain.
    private func applyPending() {
        let group: [PendingApply] = lock.withLock {
            var ops = 0, count = 0
            for pending in pendingApplies {
                // Format 2 runs resolve against what the store holds, so they never share a transaction.
                if case .runsV2 = pending.payload { if count == 0 { count = 1 }; break }
                if count > 0 && ops + pending.opCount > SyncLimits.maxGroupedApplyOps { break }
                ops += pending.opCount
                count += 1
            }
            let group = Array(pendingApplies.prefix(count))
            pendingApplies.removeFirst(count)
            return group
        }
        let results: [Result<ApplyReport, SyncRejection>]
        do throws(StoreError) {
            if case let .runsV2(runs) = group.first?.payload {
                do throws(StoreError) {
                    results = [.success(try store.apply(runsV2: runs, clock: clock))]
                } catch {
                    if case .rejected = error { results = [.failure(SyncRejection(error))] } else { throw error }
                }
            } else {
                let batches = group.compactMap { pending -> OpBatch? in
                    if case let .ops(batch) = pending.payload { return batch } else { return nil }
                }
                results = try store.apply(batches, clock: clock).map { result in
                    result.mapError { SyncRejection($0) }
                }
            }
        } catch {
            results = Array(repeating: .failure(SyncRejection(error)), count: group.count)
        }
        for case let .success(report) in results { logErasures(report) }
        lock.withLock {
            for case let .success(report) in results {
                received.applied += report.applied
                received.duplicates += report.duplicates
            }
        }
        // Roster ops in the group act before any session learns of the new ops.
        checkRoster()
        let changed = refreshVector()
        let vector = localVector
        for (pending, result) in zip(group, results) { pending.done(result, vector) }
        // After the outcomes: a session hears of its own batch before it is told to push the new ops on.
        if changed { broadcast(vector) }
        let more: Bool = lock.withLock {
            if pendingApplies.isEmpty { applyScheduled = false }
            return !pendingApplies.isEmpty
        }
        if more { storeQueue.async { self.applyPending() } }
    }


    private func broadcast(_ vector: VersionVector) {
        let handlers = lock.withLock { Array(sessions.values) }
        for handler in handlers { handler.localChanged(vector) }
    }

    // MARK: presence (ephemeral, never stored)

    private var presenceHandler: (@Sendable (SyncPresence, AuthorID) -> Void)?
    /// This node's latest presence per ticket and when it was reported, replayed to sessions established
    /// later (a reconnect, or the second of two crossing dials) so a report is not lost between sessions.
    private var latestPresence: [String: (presence: SyncPresence, atMillis: UInt64)] = [:]

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
        let now = clock.nowMillis()
        let handlers = lock.withLock {
            if presence.activity == .gone {
                latestPresence[presence.ticket] = nil
            } else {
                latestPresence[presence.ticket] = (presence, now)
                if latestPresence.count > SyncLimits.maxPresenceReplayTickets,
                   let oldest = latestPresence.min(by: { $0.value.atMillis < $1.value.atMillis })?.key {
                    latestPresence[oldest] = nil
                }
            }
            return Array(sessions.values)
        }
        for handler in handlers { handler.sendEphemeral(.presence(presence)) }
    }

    /// This node's presence reports still worth telling a newly established session (§2b.13), oldest first.
    func presenceToReplay() -> [SyncPresence] {
        let now = clock.nowMillis()
        return lock.withLock {
            latestPresence = latestPresence.filter { now &- $0.value.atMillis <= SyncLimits.presenceReplayMillis }
            return latestPresence.values.sorted { $0.atMillis < $1.atMillis }.map(\.presence)
        }
    }

    /// Polls the store for ops written by other processes (the CLI while the daemon runs).
    public func startPolling(on eventLoop: any EventLoop, every interval: TimeAmount = .milliseconds(50)) -> RepeatedTask {
        let polls = NIOLockedValueBox(0)
        return eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            self.storeMayHaveChanged()
            let count = polls.withLockedValue { polls in
                polls += 1
                return polls
            }
            if count % 20 == 0 {
                self.checkStalls()
                // A scrub of erased bytes the throttle deferred (about once a second is enough to notice).
                self.storeQueue.async { self.store.scrubIfOwed() }
            }
        }
    }
}

extension PeeringHub {
    /// One line per erasure a batch carried out or refused (positions and counts only: no customer text).
    func logErasures(_ report: ApplyReport) {
        if report.erased > 0 {
            logger.notice("erasure applied: op bodies dropped", metadata: ["bodies": "\(report.erased)"])
        }
        for ref in report.refusedErasures {
            logger.warning("erasure refused: its author was not a lead or an admin when they wrote it; nothing was erased",
                           metadata: ["op": "\(ref)"])
        }
    }
}
