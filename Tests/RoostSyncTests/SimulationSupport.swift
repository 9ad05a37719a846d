import Foundation
import RoostCore
import RoostCrypto
import RoostStore
import RoostSync

/// The base time of the sync tests: 2026-01-01T00:00:00Z in Unix milliseconds.
let syncBaseMillis: UInt64 = 1_767_225_600_000

/// A node for unit tests: a deterministic key, an epoch, its own in-memory store.
struct SyncTestNode {
    let author: LocalAuthor
    let store: OpStore
    var id: AuthorID { author.id }
    var log: LogID { author.log }

    init(seed: UInt8, epoch: UInt64 = 1, format: Int = 1) throws {
        author = LocalAuthor(key: try SigningKey(seed: [UInt8](repeating: seed, count: 32)), epoch: epoch, format: format)
        store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
    }

    /// Appends `count` register sets in one transaction (one seal).
    @discardableResult
    func append(_ count: Int = 1, at millis: UInt64 = syncBaseMillis, field: String = "status") throws -> Appended {
        let bodies = (0..<count).map { index in
            OpBody.set(entity: EntityRef("ticket", "T-1"), field: field, value: .int(Int64(index)))
        }
        return try store.append(bodies, by: author, clock: FixedClock(millis: millis))
    }

    /// Appends `bodies` in one transaction in the author's format (one seal).
    func append(bodies: [OpBody], at millis: UInt64 = syncBaseMillis) throws {
        if author.format == 2 {
            try store.append(v2: bodies, by: author, clock: FixedClock(millis: millis))
        } else {
            try store.append(bodies, by: author, clock: FixedClock(millis: millis))
        }
    }

    func vector() throws -> VersionVector { try store.versionVector() }
}

/// Runs two state machines over two stores, delivering every message at once (in order), fetching and
/// applying synchronously. Good for flows; the simulation covers timing and loss.
struct SyncPair {
    var machines: [SyncSession.StateMachine]
    let stores: [OpStore]
    var now: UInt64 = syncBaseMillis
    /// Every action each side produced, in order.
    var log: [[SyncSession.Action]] = [[], []]

    init(_ a: SyncTestNode, _ b: SyncTestNode, configuration: SyncConfiguration = .init(),
         versions: (UInt16, UInt16) = (SyncLimits.protocolVersion, SyncLimits.protocolVersion)) {
        machines = [
            SyncSession.StateMachine(local: a.id, expectedPeer: b.id, configuration: configuration, helloVersion: versions.0,
                                     now: syncBaseMillis),
            SyncSession.StateMachine(local: b.id, expectedPeer: a.id, configuration: configuration, helloVersion: versions.1,
                                     now: syncBaseMillis),
        ]
        stores = [a.store, b.store]
    }

    mutating func start() throws {
        var pending: [(Int, SyncSession.Action)] = []
        for side in 0...1 {
            machines[side].format2Logs = try stores[side].format2Logs()
            let actions = machines[side].start(localVector: try stores[side].versionVector())
            pending += actions.map { (side, $0) }
        }
        try run(pending)
    }

    /// Tells `side` that its store changed, then runs until nothing is left to do.
    mutating func localChanged(_ side: Int) throws {
        machines[side].format2Logs = try stores[side].format2Logs()
        let actions = machines[side].localChanged(localVector: try stores[side].versionVector(), now: now)
        try run(actions.map { (side, $0) })
    }

    mutating func tick(_ side: Int) throws {
        machines[side].format2Logs = try stores[side].format2Logs()
        let actions = machines[side].tick(localVector: try stores[side].versionVector(), now: now)
        try run(actions.map { (side, $0) })
    }

    /// Performs actions (and the ones they lead to) until quiet.
    mutating func run(_ initial: [(Int, SyncSession.Action)]) throws {
        var queue = initial
        while !queue.isEmpty {
            let (side, action) = queue.removeFirst()
            log[side].append(action)
            let store = stores[side]
            var next: [SyncSession.Action] = []
            switch action {
            case let .send(message):
                let decoded = try SyncMessage.decode(message.encoded())
                let peer = 1 - side
                next = machines[peer].received(decoded, localVector: try stores[peer].versionVector(), now: now)
                queue += next.map { (peer, $0) }
                continue
            case let .fetch(after, limit):
                let batch = try store.batch(after: after, limit: limit)
                let fetched: SyncSession.Fetched = batch.isEmpty && machines[side].carriesFormat2
                    ? .runsV2(try store.batchesV2(after: after, limit: limit).map(RunV2.init(fullRangesOf:))) : .ops(batch)
                next = machines[side].batchFetched(fetched, localVector: try store.versionVector(), now: now)
            case let .apply(id, batch):
                let result: Result<ApplyReport, SyncRejection>
                do {
                    result = .success(try store.apply(batch, clock: FixedClock(millis: now)))
                } catch {
                    result = .failure(SyncRejection(error))
                }
                next = machines[side].batchApplied(id: id, result: result, localVector: try store.versionVector(), now: now)
            case let .applyRunsV2(id, runs):
                let result: Result<ApplyReport, SyncRejection>
                do {
                    result = .success(try store.apply(runsV2: runs, clock: FixedClock(millis: now)))
                } catch {
                    result = .failure(SyncRejection(error))
                }
                next = machines[side].batchApplied(id: id, result: result, localVector: try store.versionVector(), now: now)
            case let .readWantedBodies(limit):
                next = machines[side].wantedBodiesRead(try store.wantedBodies(limit: limit), now: now)
            case let .readHeldBodies(wants):
                next = machines[side].heldBodiesRead(try store.heldBodies(wants), now: now)
            case let .restoreBodies(bodies):
                _ = try store.restoreBodies(bodies)
                continue
            case .established, .peerProgress, .peerRejected, .logBlocked, .close,
                 .partialRequestDue, .partialAnswer, .partialReceive, .peerSubscribed:
                continue
            }
            queue += next.map { (side, $0) }
        }
    }

    /// The messages `side` sent.
    func sent(by side: Int) -> [SyncMessage] {
        log[side].compactMap { if case let .send(message) = $0 { message } else { nil } }
    }
}

/// A real report of `applied` new ops (the store's `ApplyReport` has no public initializer).
func applyReport(applied: Int) throws -> ApplyReport {
    let source = try SyncTestNode(seed: 77)
    if applied > 0 { try source.append(applied) }
    let target = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
    return try target.apply(try source.store.batch(after: VersionVector()), clock: FixedClock(millis: syncBaseMillis))
}
