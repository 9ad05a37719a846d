import Foundation
import RoostCore
import RoostCrypto
import RoostStore
import RoostSync

/// The knobs of one simulated run.
struct SimulationParameters {
    var nodes = 20
    /// Every this-many-th node (index 2, 5, 8, …: never the founder) writes its log in format 2 (SPEC-format-2.md), which
    /// its version 4 sessions carry as `runs-v2`; 0: every node writes format 1.
    var format2Every = 3
    /// Each node gets between these many links (a random spanning tree first, so the graph is connected).
    var degree = 2...4
    /// Local append events during the chaos phase.
    var appends = 6...9
    /// Ops per append event (one transaction, one seal).
    var opsPerAppend = 3...5
    var chaosMillis: UInt64 = 20_000
    /// One-way delay of a message, per message (FIFO within a connection regardless).
    var latencyMillis: ClosedRange<UInt64> = 2...60
    /// Probability that a sent message is lost, killing its connection (TCP reset), during chaos.
    var dropRate = 0.01
    /// Probability that a connection dies right after a batch is delivered (its ack is lost, so the
    /// batch is sent again on the next connection: duplicate delivery), during chaos.
    var ackLossRate = 0.03
    /// Probability that applying a batch fails in the store (reported as `storeFailure`), during chaos.
    var applyFailureRate = 0.02
    /// How long after a connection dies each side notices.
    var detectMillis: ClosedRange<UInt64> = 50...1_500
    var partitions = 0...2
    var partitionMillis: ClosedRange<UInt64> = 2_000...12_000
    var restarts = 0...3
    var downMillis: ClosedRange<UInt64> = 200...4_000
    /// Per-node wall-clock skew (well inside the stores' drift bound).
    var skewMillis: ClosedRange<Int64> = -3_000...3_000
    var connectTimeoutMillis: UInt64 = 300
    /// How long one apply takes.
    var applyMillis: ClosedRange<UInt64> = 1...20
    var session = SyncConfiguration(batchOpLimit: 4, window: 2, pingIntervalMillis: 2_000, idleTimeoutMillis: 6_000,
                                    antiEntropyIntervalMillis: 10_000, relayDelayMillis: 150)
    var backoff = Backoff.Configuration(initialMillis: 100, maximumMillis: 4_000)
    /// After healing, the run must become quiescent within this much simulated time.
    var settleLimitMillis: UInt64 = 120_000
    /// Once quiescent, one new op must reach every node within this long (well under the anti-entropy
    /// interval: it proves ops are pushed and relayed, not merely found by anti-entropy).
    var probeLimitMillis: UInt64 = 3_000
    var eventLimit = 3_000_000
    /// Probability that a run revokes one member (not the founder) at a random moment of the chaos: the
    /// founder cuts it at what it holds of it, every node that learns of it closes its sessions with it at once
    /// and refuses new ones, and its later ops (which it goes on writing until it learns) must vanish everywhere.
    var revocationChance = 0.5
    /// Erasures made during the chaos by leads or the founder, each naming 1–3 customer messages written so far.
    var erasures = 0...2
    /// Probability that a member is admitted as a lead (who may erase) rather than an agent.
    var leadChance = 0.3
}

/// What a run did, for the report and for checks that chaos really happened.
struct SimulationStats {
    var messages = 0
    var batches = 0
    /// Batches sent as `runs-v2` (format 2 logs, SPEC-sync.md §2b.19).
    var runsV2Batches = 0
    var drops = 0
    var ackLosses = 0
    var applyFailures = 0
    /// Group applies, and the batches in them (more batches than groups: batches waited and were applied together).
    var applyGroups = 0
    var groupedBatches = 0
    var duplicateOps = 0
    var appliedOps = 0
    var rejects: [SyncRejectCode: Int] = [:]
    var blocked: [String] = []
    var sessions = 0
    var violations: [String] = []
    var restarts = 0
    var partitions = 0
    var settleMillis: UInt64 = 0
    /// Claim ops that lost to a concurrent claim (proof that claims really raced).
    var claimConflicts = 0
    var ops = 0
    var probeMillis: UInt64 = 0
    var events = 0
    var revocations = 0
    /// Sessions closed because one side learned that the other was revoked.
    var revocationCloses = 0
    /// Batches refused because they carried a revoked member's ops past its cut.
    var revokedRefusals = 0
    var erasures = 0
    /// Erased ops checked bodiless on every node at the end.
    var erasedOps = 0
    /// Bodies nodes asked peers for, and bodies restored from the answers (SPEC-sync.md §2b.15).
    var bodiesWanted = 0
    var bodiesRestored = 0
    /// Bodies a revoked member's erasure dropped on every member before the revocation voided it (open issue 5).
    var bodiesGoneEverywhere = 0
    /// Tickets whose every claim op chained from a claim a revocation removed (none resolves, on every member).
    var orphanedClaims = 0
    /// Vector digests delivered, and those that did not match the receiver's belief (it asked for the vector).
    var vectorDigests = 0
    var vectorRepairs = 0
    /// Relay steering (§2b.17): `prune` and `graft` messages delivered.
    var prunes = 0
    var grafts = 0

    mutating func add(_ other: SimulationStats) {
        messages += other.messages; batches += other.batches; runsV2Batches += other.runsV2Batches; drops += other.drops; ackLosses += other.ackLosses
        applyFailures += other.applyFailures; applyGroups += other.applyGroups; groupedBatches += other.groupedBatches
        duplicateOps += other.duplicateOps; appliedOps += other.appliedOps
        for (code, count) in other.rejects { rejects[code, default: 0] += count }
        blocked += other.blocked; sessions += other.sessions; violations += other.violations
        restarts += other.restarts; partitions += other.partitions
        settleMillis = max(settleMillis, other.settleMillis); probeMillis = max(probeMillis, other.probeMillis)
        claimConflicts += other.claimConflicts; ops += other.ops
        events += other.events
        revocations += other.revocations; revocationCloses += other.revocationCloses
        revokedRefusals += other.revokedRefusals; erasures += other.erasures; erasedOps += other.erasedOps
        bodiesWanted += other.bodiesWanted; bodiesRestored += other.bodiesRestored
        bodiesGoneEverywhere += other.bodiesGoneEverywhere
        orphanedClaims += other.orphanedClaims
        vectorDigests += other.vectorDigests; vectorRepairs += other.vectorRepairs
        prunes += other.prunes; grafts += other.grafts
    }
}

struct SimulationFailure: Error, CustomStringConvertible {
    var description: String
}

/// A deterministic discrete-event world: nodes with in-memory stores, links, connections carrying
/// encoded messages, and the chaos. Everything random comes from one seeded generator; events at the
/// same time run in the order they were scheduled.
final class SimulationWorld {
    typealias Action = SyncSession.Action

    // MARK: model

    final class Node {
        let index: Int
        let author: LocalAuthor
        let store: OpStore
        let skew: Int64
        var up = true
        /// Cached `store.versionVector()`, refreshed after every change.
        var vector = VersionVector()
        /// The role the founder admitted it with.
        var role = Role.agent
        /// Whether its store holds the run's revocation (it then talks to the revoked member no more).
        var knowsRevocation = false
        /// Batches its sessions handed to the store, waiting to be applied together (PeeringHub's group commit).
        var applyQueue: [(connection: Int, side: Int, id: UInt64, batch: SyncSession.Fetched)] = []
        /// Whether a group apply is scheduled; `applyRun` tells a restart's stale event from the current one.
        var applying = false
        var applyRun = 0

        init(index: Int, author: LocalAuthor, store: OpStore, skew: Int64) {
            self.index = index; self.author = author; self.store = store; self.skew = skew
        }
    }

    struct Link {
        /// `nodes.0` dials, `nodes.1` accepts.
        var nodes: (Int, Int)
        var cuts = 0
        var connection: Int?
        var dialScheduled = false
        var backoff: Backoff
        /// One end is the revoked member and the other knows it: never dialled or accepted again.
        var barred = false
    }

    enum Frame {
        case data([UInt8])
        case fin
    }

    struct Connection {
        var link: Int
        var nodes: (Int, Int)
        /// Both sides' machines; nil once that side is gone.
        var machines: [SyncSession.StateMachine?] = [nil, nil]
        /// Cut abruptly (drop, restart, partition): nothing more is delivered.
        var killed = false
        /// Set once the sessions were created (the handshake finished).
        var open = false
        /// Delivery time of the last frame in each direction (index: receiving side), for FIFO order.
        var lastDelivery: [UInt64] = [0, 0]
        /// The earliest timer event scheduled for each side's machine.
        var timer: [UInt64?] = [nil, nil]
    }

    enum Event {
        case dial(link: Int)
        case connected(connection: Int)
        case deliver(connection: Int, side: Int, Frame)
        case lost(connection: Int, side: Int)
        case fetchDone(connection: Int, side: Int, after: VersionVector, limit: Int)
        /// A store read for bodies (SPEC-sync.md §2b.15): the wanted ones (`wants` nil) or the held ones of `wants`.
        case bodiesRead(connection: Int, side: Int, wants: [BodyWant]?, limit: Int)
        case restoreBodies(connection: Int, side: Int, [HeldBody])
        /// The node's store finished applying: the batches queued so far go in as one group.
        case applyGroup(node: Int, run: Int)
        case timer(connection: Int, side: Int)
        case append(node: Int)
        case restart(node: Int, downFor: UInt64)
        case nodeUp(node: Int)
        case partition(nodes: Set<Int>, duration: UInt64)
        case heal(links: [Int])
        case chaosEnds
        case revoke
        case erase(node: Int)
    }

    let seed: UInt64
    let parameters: SimulationParameters
    var rng: SplitMix64
    var now: UInt64 = 1_767_225_600_000
    var nodes: [Node] = []
    var links: [Link] = []
    var connections: [Connection] = []
    /// Connections that may still have a machine, in creation order (pruned at each tick).
    var openConnections: [Int] = []
    var stats = SimulationStats()
    var chaos = true
    private var queue = EventQueue()
    private var scheduled: UInt64 = 0
    /// The member this run revokes (never node 0, the founder, and never one whose loss splits the graph).
    private(set) var revoked: Int?
    /// The revocation's cut, once the founder wrote it.
    private var cut: RevocationCut?
    /// Ids of the customer messages written so far (what erasures pick from).
    private var messageIDs: [String] = []
    private var messageCounter = 0
    /// Each erasure written: its op and the ops it names.
    private var erasures: [(op: OpRef, targets: [OpRef])] = []

    static let tickets = (1...3).map { EntityRef("ticket", "T-\($0)") }
    static let fields = ["status", "priority"]
    static let tags = ["billing", "outage", "vip"]

    init(seed: UInt64, parameters: SimulationParameters = .init()) throws {
        self.seed = seed
        self.parameters = parameters
        self.rng = SplitMix64(seed: seed)
        for index in 0..<parameters.nodes {
            let keySeed = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let format2 = parameters.format2Every > 0 && index % parameters.format2Every == parameters.format2Every - 1
            let author = LocalAuthor(key: try SigningKey(seed: keySeed),
                                     epoch: UInt64.random(in: 0...Limits.maxOrdinal, using: &rng), format: format2 ? 2 : 1)
            let store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
            try store.bindLocalLog(author.log)
            nodes.append(Node(index: index, author: author, store: store,
                              skew: Int64.random(in: parameters.skewMillis, using: &rng)))
        }
        try formTeam()
        buildTopology()
        if Double.random(in: 0..<1, using: &rng) < parameters.revocationChance {
            revoked = revocableNodes().randomElement(using: &rng)
        }
    }

    /// Node 0 founds the team and admits everyone else (leads or agents); every node starts holding that
    /// roster, as a joining node does once its invite is accepted.
    private func formTeam() throws {
        let founder = nodes[0]
        for node in nodes { try node.store.team.setFounder(founder.author.id) }
        founder.role = .admin
        var bodies: [OpBody] = []
        for node in nodes.dropFirst() {
            node.role = Double.random(in: 0..<1, using: &rng) < parameters.leadChance ? .lead : .agent
            bodies.append(RosterChange.body(member: node.author.id, .role(node.role)))
        }
        try founder.store.append(bodies, by: founder.author, clock: wallClock(founder))
        let roster = try founder.store.batch(after: VersionVector(), limit: Limits.maxBatchOps)
        for node in nodes {
            if node.index != 0 { _ = try node.store.apply(roster, clock: wallClock(node)) }
            node.vector = try node.store.versionVector()
        }
    }

    /// Members other than the founder whose removal leaves the other nodes connected.
    private func revocableNodes() -> [Int] {
        (1..<nodes.count).filter { candidate in
            var seen: Set<Int> = [0]
            var stack = [0]
            while let node = stack.popLast() {
                for link in links where link.nodes.0 == node || link.nodes.1 == node {
                    let other = link.nodes.0 == node ? link.nodes.1 : link.nodes.0
                    if other != candidate, seen.insert(other).inserted { stack.append(other) }
                }
            }
            return seen.count == nodes.count - 1
        }
    }

    /// The nodes that must converge: all but the revoked member.
    private var members: [Node] { nodes.filter { $0.index != revoked } }

    /// Whether the link has the revoked member at one end (it never needs a session again).
    private func touchesRevoked(_ link: Link) -> Bool {
        guard let revoked else { return false }
        return link.nodes.0 == revoked || link.nodes.1 == revoked
    }

    /// A random spanning tree, then random extra links until every node has at least `degree.lowerBound`
    /// links, never giving a node more than `degree.upperBound`.
    private func buildTopology() {
        let count = nodes.count
        var degree = Array(repeating: 0, count: count)
        var edges = Set<[Int]>()
        func add(_ a: Int, _ b: Int) {
            edges.insert([min(a, b), max(a, b)])
            degree[a] += 1; degree[b] += 1
            // The dialer is random, so both directions of "who reconnects" are exercised.
            let pair = Bool.random(using: &rng) ? (a, b) : (b, a)
            links.append(Link(nodes: pair, backoff: Backoff(configuration: parameters.backoff)))
        }
        let order = (0..<count).shuffled(using: &rng)
        for position in 1..<count {
            let candidates = order[0..<position].filter { degree[$0] < parameters.degree.upperBound }
            let parent = candidates.randomElement(using: &rng) ?? order[position - 1]
            add(order[position], parent)
        }
        for node in 0..<count {
            let want = Int.random(in: parameters.degree, using: &rng)
            var attempts = 0
            while degree[node] < want && attempts < 20 {
                attempts += 1
                let other = Int.random(in: 0..<count, using: &rng)
                guard other != node, degree[other] < parameters.degree.upperBound,
                      !edges.contains([min(node, other), max(node, other)]) else { continue }
                add(node, other)
            }
        }
    }

    // MARK: running

    /// Runs the whole scenario and checks the outcome; throws a description of the first failure.
    func run() throws -> SimulationStats {
        let start = now
        for index in links.indices { schedule(at: now + UInt64.random(in: 0...200, using: &rng), .dial(link: index)) }
        let appendCount = Int.random(in: parameters.appends, using: &rng)
        for _ in 0..<appendCount {
            schedule(at: start + UInt64.random(in: 0..<parameters.chaosMillis, using: &rng),
                     .append(node: Int.random(in: 0..<nodes.count, using: &rng)))
        }
        for _ in 0..<Int.random(in: parameters.restarts, using: &rng) {
            schedule(at: start + UInt64.random(in: 0..<parameters.chaosMillis, using: &rng),
                     .restart(node: Int.random(in: 0..<nodes.count, using: &rng),
                              downFor: UInt64.random(in: parameters.downMillis, using: &rng)))
        }
        for _ in 0..<Int.random(in: parameters.partitions, using: &rng) {
            let size = Int.random(in: 1...(nodes.count / 2), using: &rng)
            let side = Set((0..<nodes.count).shuffled(using: &rng).prefix(size))
            schedule(at: start + UInt64.random(in: 0..<parameters.chaosMillis, using: &rng),
                     .partition(nodes: side, duration: UInt64.random(in: parameters.partitionMillis, using: &rng)))
        }
        if revoked != nil {
            schedule(at: start + UInt64.random(in: 0..<parameters.chaosMillis, using: &rng), .revoke)
        }
        for _ in 0..<Int.random(in: parameters.erasures, using: &rng) {
            schedule(at: start + UInt64.random(in: 0..<parameters.chaosMillis, using: &rng),
                     .erase(node: Int.random(in: 0..<nodes.count, using: &rng)))
        }
        let chaosEnd = start + parameters.chaosMillis
        schedule(at: chaosEnd, .chaosEnds)

        // Chaos, then heal and run until quiescent: every node holds every op and every link has a session.
        try runUntil(limit: chaosEnd) { false }
        try runUntil(limit: chaosEnd + parameters.settleLimitMillis) { self.isQuiescent() }
        guard isQuiescent() else {
            throw SimulationFailure(description: "not quiescent \(parameters.settleLimitMillis) ms after healing: "
                                    + diagnosis())
        }
        stats.settleMillis = now - chaosEnd

        // Liveness: one more op must be pushed and relayed to everyone well before anti-entropy would.
        let probeStart = now
        let prober = members.randomElement(using: &rng)!.index
        try append(at: prober, [.set(entity: Self.tickets[0], field: "probe", value: .int(Int64(bitPattern: seed)))])
        try runUntil(limit: probeStart + parameters.probeLimitMillis) { self.isQuiescent() }
        guard isQuiescent() else {
            throw SimulationFailure(description: "a new op at node \(prober) did not reach every node within "
                                    + "\(parameters.probeLimitMillis) ms: " + diagnosis())
        }
        stats.probeMillis = now - probeStart
        try checkOutcome()
        return stats
    }

    private func runUntil(limit: UInt64, done: () -> Bool) throws {
        var checkedAt: UInt64 = 0
        while let next = queue.peekTime, next <= limit {
            // The condition is checked at most every 10 simulated ms (it scans every node).
            if next >= checkedAt + 10 {
                checkedAt = next
                if done() { return }
            }
            let (time, event) = queue.pop()!
            now = max(now, time)
            stats.events += 1
            guard stats.events < parameters.eventLimit else {
                throw SimulationFailure(description: "event limit reached: " + diagnosis())
            }
            try handle(event)
        }
        now = max(now, limit)
    }

    private func schedule(at time: UInt64, _ event: Event) {
        scheduled += 1
        queue.push(time: time, order: scheduled, event)
    }

    private func handle(_ event: Event) throws {
        switch event {
        case let .dial(link):
            dial(link)
        case let .connected(id):
            connected(id)
        case let .deliver(id, side, frame):
            try deliver(id, side, frame)
        case let .lost(id, side):
            lose(id, side)
        case let .fetchDone(id, side, after, limit):
            guard isLive(id, side) else { return }
            let node = nodes[nodeIndex(id, side)]
            let batch = try node.store.batch(after: after, limit: limit)
            let format2 = connections[id].machines[side]?.carriesFormat2 ?? false
            let fetched: SyncSession.Fetched = batch.isEmpty && format2
                ? .runsV2(try node.store.batchesV2(after: after, limit: limit).map(RunV2.init(fullRangesOf:))) : .ops(batch)
            try feed(id, side) { machine in machine.batchFetched(fetched, localVector: node.vector, now: now) }
        case let .applyGroup(node, run):
            guard nodes[node].applyRun == run else { return }
            try applyGroup(node)
        case let .bodiesRead(id, side, wants, limit):
            guard isLive(id, side) else { return }
            let store = nodes[nodeIndex(id, side)].store
            if let wants {
                let held = try store.heldBodies(wants)
                try feed(id, side) { machine in machine.heldBodiesRead(held, now: now) }
            } else {
                let wanted = try store.wantedBodies(limit: limit)
                stats.bodiesWanted += wanted.count
                try feed(id, side) { machine in machine.wantedBodiesRead(wanted, now: now) }
            }
        case let .restoreBodies(id, side, bodies):
            guard isLive(id, side) else { return }
            stats.bodiesRestored += try nodes[nodeIndex(id, side)].store.restoreBodies(bodies)
        case let .timer(id, side):
            if connections[id].timer[side] == now { connections[id].timer[side] = nil }
            guard isLive(id, side) else { return }
            let vector = nodes[nodeIndex(id, side)].vector
            try feed(id, side) { machine in machine.tick(localVector: vector, now: now) }
        case let .append(node):
            if chaos && nodes[node].up { try append(at: node) }
        case let .restart(node, downFor):
            guard chaos, nodes[node].up else { return }
            restart(node, downFor: downFor)
        case let .nodeUp(node):
            nodeUp(node)
        case let .partition(side, duration):
            guard chaos else { return }
            stats.partitions += 1
            var cut: [Int] = []
            for index in links.indices where side.contains(links[index].nodes.0) != side.contains(links[index].nodes.1) {
                links[index].cuts += 1
                cut.append(index)
                if let id = links[index].connection { kill(id) }
            }
            schedule(at: now + duration, .heal(links: cut))
        case let .heal(cut):
            for index in cut where links[index].cuts > 0 { links[index].cuts -= 1 }
        case .chaosEnds:
            chaos = false
            for index in links.indices { links[index].cuts = 0 }
            for node in nodes where !node.up { nodeUp(node.index) }
        case .revoke:
            // The founder revokes when it is up (it may be restarting, or the chaos may have ended).
            guard nodes[0].up else { return schedule(at: now + 300, .revoke) }
            try revoke()
        case let .erase(node):
            if chaos { try erase(at: node) }
        }
    }

    /// The founder revokes the chosen member, keeping what it holds of it (as `roost team revoke` does).
    private func revoke() throws {
        guard let revoked, cut == nil else { return }
        let member = nodes[revoked].author.id
        var kept: [UInt64: UInt64] = [:]
        for log in try nodes[0].store.logs() where log.log.author == member { kept[log.log.epoch] = log.sealed }
        let cut = RevocationCut(kept: kept)
        self.cut = cut
        stats.revocations += 1
        try append(at: 0, [RosterChange.body(member: member, .revoke(cut))])
    }

    /// A lead or the founder (the node chosen, or else one that is up) erases 1–3 customer messages it holds. The
    /// member this run revokes may erase too: an erasure its revocation then cuts off is void, and the nodes that
    /// carried it out fetch the bodies again from those that did not (seed 20986; SPEC.md §1.9a; ErasureTests.
    /// anErasureCutOffByALaterRevocationHasItsBodiesFetchedAgain).
    private func erase(at chosen: Int) throws {
        let may = { (node: Node) in node.up && node.role.mayErase }
        let erasers = nodes.filter(may)
        guard let eraser = may(nodes[chosen]) ? nodes[chosen] : erasers.randomElement(using: &rng),
              !messageIDs.isEmpty else { return }
        let picked = Set((0..<Int.random(in: 1...3, using: &rng)).map { _ in messageIDs.randomElement(using: &rng)! })
        let targets = try eraser.store.erasures.targets(messages: picked)
        guard !targets.isEmpty else { return }
        let id = (0..<16).map { _ in String(UInt8.random(in: 0...255, using: &rng), radix: 16) }.joined()
        let body = Erasure(reason: "simulated request", customer: nil, targets: targets).body(id: id)
        guard let appended = try append(at: eraser.index, [body]) else { return }
        stats.erasures += 1
        erasures.append((appended, targets.map(\.ref)))
    }

    /// After `node`'s store changed: when it now holds the revocation, it closes every session with the revoked
    /// member before sending anything else and bars their links (as PeeringHub does); its vector is re-read,
    /// since the revocation removed the member's ops past the cut.
    private func learnRevocation(_ index: Int) throws {
        guard let revoked, cut != nil, !nodes[index].knowsRevocation else { return }
        let node = nodes[index]
        guard try node.store.team.roster()?.members[nodes[revoked].author.id]?.revocation != nil else { return }
        node.knowsRevocation = true
        node.vector = try node.store.versionVector()
        guard index != revoked else { return }
        for link in links.indices where touchesRevoked(links[link]) && (links[link].nodes.0 == index || links[link].nodes.1 == index) {
            links[link].barred = true
            guard let id = links[link].connection else { continue }
            let side = connections[id].nodes.0 == index ? 0 : 1
            if connections[id].machines[side] != nil {
                stats.revocationCloses += 1
                transmit(id, from: side, .fin)
                ended(id, side)
            }
            if side == 1 { links[link].connection = nil }
        }
    }

    // MARK: connections

    private func dial(_ index: Int) {
        links[index].dialScheduled = false
        let link = links[index]
        guard link.connection == nil, nodes[link.nodes.0].up, !link.barred else { return }
        guard nodes[link.nodes.1].up, link.cuts == 0 else {
            // Refused or timed out: back off.
            redial(index, after: parameters.connectTimeoutMillis)
            return
        }
        connections.append(Connection(link: index, nodes: link.nodes))
        let id = connections.count - 1
        links[index].connection = id
        schedule(at: now + 2 * latency(), .connected(connection: id))
    }

    private func connected(_ id: Int) {
        let connection = connections[id]
        let link = links[connection.link]
        guard !connection.killed, link.cuts == 0, nodes[connection.nodes.0].up, nodes[connection.nodes.1].up else {
            if links[connection.link].connection == id { links[connection.link].connection = nil }
            redial(connection.link, after: parameters.connectTimeoutMillis)
            return
        }
        // The handshake is refused by a side that knows the other was revoked.
        guard !link.barred else {
            if links[connection.link].connection == id { links[connection.link].connection = nil }
            return
        }
        connections[id].open = true
        openConnections.append(id)
        stats.sessions += 1
        for side in 0...1 {
            let node = nodes[nodeIndex(id, side)]
            let peer = nodes[nodeIndex(id, 1 - side)].author.id
            var machine = SyncSession.StateMachine(local: node.author.id, expectedPeer: peer,
                                                   configuration: parameters.session, now: now)
            let actions = machine.start(localVector: node.vector)
            connections[id].machines[side] = machine
            armTimer(id, side, machine.nextDeadline)
            perform(actions, id, side)
        }
    }

    /// Schedules a timer event at the machine's next deadline, unless an earlier one is pending.
    private func armTimer(_ id: Int, _ side: Int, _ deadline: UInt64?) {
        guard let deadline else { return }
        let time = max(deadline, now + 1)
        if let pending = connections[id].timer[side], pending <= time { return }
        connections[id].timer[side] = time
        schedule(at: time, .timer(connection: id, side: side))
    }

    private func redial(_ index: Int, after extra: UInt64 = 0) {
        guard !links[index].dialScheduled else { return }
        links[index].dialScheduled = true
        let delay = links[index].backoff.nextDelayMillis(using: &rng)
        schedule(at: now + extra + delay, .dial(link: index))
    }

    /// The side `side` learned that the connection ended: drop its machine; the dialer reconnects.
    private func ended(_ id: Int, _ side: Int) {
        connections[id].machines[side]?.closed()
        connections[id].machines[side] = nil
        let index = connections[id].link
        if side == 0, links[index].connection == id {
            links[index].connection = nil
            if nodes[links[index].nodes.0].up { redial(index) }
        }
    }

    /// Cuts a connection abruptly: nothing more is delivered; each side notices a little later.
    private func kill(_ id: Int) {
        guard !connections[id].killed else { return }
        connections[id].killed = true
        for side in 0...1 {
            schedule(at: now + UInt64.random(in: parameters.detectMillis, using: &rng), .lost(connection: id, side: side))
        }
    }

    private func lose(_ id: Int, _ side: Int) {
        ended(id, side)
    }

    private func isLive(_ id: Int, _ side: Int) -> Bool {
        connections[id].machines[side] != nil && nodes[nodeIndex(id, side)].up
    }

    private func nodeIndex(_ id: Int, _ side: Int) -> Int {
        side == 0 ? connections[id].nodes.0 : connections[id].nodes.1
    }

    private func latency() -> UInt64 {
        UInt64.random(in: parameters.latencyMillis, using: &rng)
    }

    private func transmit(_ id: Int, from side: Int, _ frame: Frame) {
        guard !connections[id].killed else { return }
        if chaos, case .data = frame, Double.random(in: 0..<1, using: &rng) < parameters.dropRate {
            stats.drops += 1
            kill(id)
            return
        }
        let receiver = 1 - side
        let time = max(now + latency(), connections[id].lastDelivery[receiver])
        connections[id].lastDelivery[receiver] = time
        schedule(at: time, .deliver(connection: id, side: receiver, frame))
    }

    private func deliver(_ id: Int, _ side: Int, _ frame: Frame) throws {
        guard !connections[id].killed, isLive(id, side) else { return }
        switch frame {
        case .fin:
            ended(id, side)
        case let .data(bytes):
            stats.messages += 1
            let node = nodes[nodeIndex(id, side)]
            let message: SyncMessage
            do {
                message = try SyncMessage.decode(bytes)
            } catch {
                throw SimulationFailure(description: "undecodable message: \(error)")
            }
            switch message {
            case .vectorDigest: stats.vectorDigests += 1
            case .vector: stats.vectorRepairs += 1
            case .prune: stats.prunes += 1
            case .graft: stats.grafts += 1
            default: break
            }
            try feed(id, side) { machine in machine.received(message, localVector: node.vector, now: now) }
            if chaos, message.isBatch, Double.random(in: 0..<1, using: &rng) < parameters.ackLossRate {
                stats.ackLosses += 1
                kill(id)
            }
        }
    }

    /// Runs one event on a side's machine and performs the actions.
    private func feed(_ id: Int, _ side: Int, _ body: (inout SyncSession.StateMachine) -> [Action]) throws {
        guard var machine = connections[id].machines[side] else { return }
        connections[id].machines[side] = nil  // a unique reference: no copy-on-write of the machine's state
        let actions = body(&machine)
        connections[id].machines[side] = machine
        guard machine.batchesInFlight <= parameters.session.window else {
            throw SimulationFailure(description: "node \(nodeIndex(id, side)) has \(machine.batchesInFlight) batches in flight")
        }
        // Soundness: what a session believes its peer holds, the peer really holds (stores never lose ops).
        // A revocation removes the member's ops past its cut, so beliefs about its logs are left out.
        if var believed = machine.peerVector {
            let peer = nodes[nodeIndex(id, 1 - side)]
            if let revoked { believed.entries = believed.entries.filter { $0.key.author != nodes[revoked].author.id } }
            guard peer.vector.dominates(believed) else {
                throw SimulationFailure(description: """
                    node \(nodeIndex(id, side)) believes node \(peer.index) holds \
                    \(believed.entries(above: peer.vector)), which it does not
                    """)
            }
        }
        armTimer(id, side, machine.nextDeadline)
        perform(actions, id, side)
    }

    private func perform(_ actions: [Action], _ id: Int, _ side: Int) {
        for action in actions {
            switch action {
            case let .send(message):
                if message.isBatch { stats.batches += 1 }
                if case .runsV2 = message { stats.runsV2Batches += 1 }
                transmit(id, from: side, .data(message.encoded()))
            case let .fetch(after, limit):
                schedule(at: now + UInt64.random(in: 0...3, using: &rng),
                         .fetchDone(connection: id, side: side, after: after, limit: limit))
            case let .apply(batchID, batch):
                // Applies take a while, one group after the other per node; what arrives meanwhile waits and
                // goes into the next group (PeeringHub's group commit).
                let node = nodes[nodeIndex(id, side)]
                node.applyQueue.append((id, side, batchID, .ops(batch)))
                if !node.applying {
                    node.applying = true
                    schedule(at: now + UInt64.random(in: parameters.applyMillis, using: &rng),
                             .applyGroup(node: node.index, run: node.applyRun))
                }
            case let .applyRunsV2(batchID, runs):
                // Resolved against the store: applied alone, after what waits before it (as PeeringHub does).
                let node = nodes[nodeIndex(id, side)]
                node.applyQueue.append((id, side, batchID, .runsV2(runs)))
                if !node.applying {
                    node.applying = true
                    schedule(at: now + UInt64.random(in: parameters.applyMillis, using: &rng),
                             .applyGroup(node: node.index, run: node.applyRun))
                }
            case let .readWantedBodies(limit):
                schedule(at: now + UInt64.random(in: 0...3, using: &rng), .bodiesRead(connection: id, side: side, wants: nil, limit: limit))
            case let .readHeldBodies(wants):
                schedule(at: now + UInt64.random(in: 0...3, using: &rng),
                         .bodiesRead(connection: id, side: side, wants: wants, limit: wants.count))
            case let .restoreBodies(bodies):
                schedule(at: now + UInt64.random(in: 0...3, using: &rng), .restoreBodies(connection: id, side: side, bodies))
            case .established:
                if side == 0 { links[connections[id].link].backoff.reset() }
            case .peerProgress:
                break
            case let .peerRejected(_, rejection):
                stats.rejects[rejection.code, default: 0] += 1
            case let .logBlocked(log, reason):
                if let revoked, log.author == nodes[revoked].author.id, reason.contains("revoked") {
                    stats.revokedRefusals += 1
                } else {
                    stats.blocked.append("node \(nodeIndex(id, side)) blocked \(log): \(reason)")
                }
            case let .close(reason):
                if case .protocolViolation = reason { stats.violations.append("\(reason)") }
                if case .peerBye(.protocolViolation) = reason { stats.violations.append("peer: \(reason)") }
                transmit(id, from: side, .fin)
                ended(id, side)
            case .partialRequestDue, .partialAnswer, .partialReceive, .peerSubscribed:
                // Every node of this simulation is full: no session is partial.
                stats.violations.append("a partial-session action in a full team: \(action)")
            }
        }
    }

    /// Applies the node's waiting batches of live sessions as one group (at most SyncLimits.maxGroupedApplyOps ops,
    /// the first always), tells each session its own outcome with the vector after the group, then every session
    /// that the store changed; schedules the next group while batches wait.
    private func applyGroup(_ index: Int) throws {
        let node = nodes[index]
        var ops = 0, count = 0
        for entry in node.applyQueue {
            guard case let .ops(batch) = entry.batch else { if count == 0 { count = 1 }; break }
            if count > 0 && ops + batch.ops.count > SyncLimits.maxGroupedApplyOps { break }
            ops += batch.ops.count
            count += 1
        }
        let group = node.applyQueue.prefix(count).filter { isLive($0.connection, $0.side) }
        node.applyQueue.removeFirst(count)
        if !group.isEmpty {
            stats.applyGroups += 1
            stats.groupedBatches += group.count
            var results: [Result<ApplyReport, SyncRejection>]
            if chaos && Double.random(in: 0..<1, using: &rng) < parameters.applyFailureRate {
                // The transaction fails: nothing of the group is applied.
                stats.applyFailures += 1
                results = Array(repeating: .failure(SyncRejection(.database("simulated I/O error"))), count: group.count)
            } else {
                do throws(StoreError) {
                    if case let .runsV2(runs) = group.first?.batch {
                        do throws(StoreError) {
                            results = [.success(try node.store.apply(runsV2: runs, clock: wallClock(node)))]
                        } catch {
                            if case .rejected = error { results = [.failure(SyncRejection(error))] } else { throw error }
                        }
                    } else {
                        let batches = group.compactMap { entry -> OpBatch? in
                            if case let .ops(batch) = entry.batch { batch } else { nil }
                        }
                        results = try node.store.apply(batches, clock: wallClock(node)).map { $0.mapError { SyncRejection($0) } }
                    }
                } catch {
                    results = Array(repeating: .failure(SyncRejection(error)), count: group.count)
                }
            }
            var changed = false
            for (entry, result) in zip(group, results) {
                guard case let .success(report) = result else { continue }
                stats.duplicateOps += report.duplicates
                stats.appliedOps += report.applied
                // All of an applied batch is held now: the vector moves to its tops (checked against the
                // store's own at the end).
                if report.applied > 0 {
                    switch entry.batch {
                    case let .ops(batch): node.vector.formMax(VersionVector(topsOf: batch))
                    case let .runsV2(runs): node.vector.formMax(RunV2.tops(of: runs))
                    }
                    changed = true
                }
            }
            if changed { try learnRevocation(node.index) }
            for (entry, result) in zip(group, results) {
                try feed(entry.connection, entry.side) { machine in
                    machine.batchApplied(id: entry.id, result: result, localVector: node.vector, now: now)
                }
            }
            if changed { try localChanged(node.index) }
        }
        if node.applyQueue.isEmpty {
            node.applying = false
        } else {
            schedule(at: now + UInt64.random(in: parameters.applyMillis, using: &rng), .applyGroup(node: index, run: node.applyRun))
        }
    }

    /// Tells every session of `node` that its store changed.
    private func localChanged(_ node: Int) throws {
        let vector = nodes[node].vector
        openConnections.removeAll { id in connections[id].machines.allSatisfy { $0 == nil } }
        for id in openConnections {
            for side in 0...1 where nodeIndex(id, side) == node && isLive(id, side) {
                try feed(id, side) { machine in machine.localChanged(localVector: vector, now: now) }
            }
        }
    }

    // MARK: nodes

    private func wallClock(_ node: Node) -> FixedClock {
        FixedClock(millis: UInt64(Int64(now) + node.skew))
    }

    private func restart(_ index: Int, downFor: UInt64) {
        stats.restarts += 1
        nodes[index].up = false
        // The process is gone, and with it the batches waiting for its store.
        nodes[index].applyQueue.removeAll()
        nodes[index].applying = false
        nodes[index].applyRun += 1
        for id in connections.indices where !connections[id].killed
            && (connections[id].nodes.0 == index || connections[id].nodes.1 == index) {
            kill(id)
            // The restarting node's session state is gone at once.
            let side = connections[id].nodes.0 == index ? 0 : 1
            connections[id].machines[side] = nil
        }
        schedule(at: now + downFor, .nodeUp(node: index))
    }

    private func nodeUp(_ index: Int) {
        guard !nodes[index].up else { return }
        nodes[index].up = true
        // A fresh process: new backoff state, dial every link it dials.
        for link in links.indices where links[link].nodes.0 == index {
            links[link].backoff = Backoff(configuration: parameters.backoff)
            if let id = links[link].connection, connections[id].killed || connections[id].machines[0] == nil {
                links[link].connection = nil
            }
            if links[link].connection == nil { redial(link) }
        }
    }

    @discardableResult
    private func append(at index: Int, _ given: [OpBody]? = nil) throws -> OpRef? {
        let node = nodes[index]
        var bodies = given ?? []
        if given == nil {
            for _ in 0..<Int.random(in: parameters.opsPerAppend, using: &rng) {
                if let body = try randomBody(node) { bodies.append(body) }
            }
        }
        guard !bodies.isEmpty else { return nil }
        // A revoked member that learned of it cannot write any more (its store refuses).
        if node.knowsRevocation && index == revoked { return nil }
        let first: OpRef
        if node.author.format == 2 {
            first = try node.store.append(v2: bodies, by: node.author, clock: wallClock(node)).batch.ops[0].header.ref
        } else {
            first = try node.store.append(bodies, by: node.author, clock: wallClock(node)).headers[0].ref
        }
        for case let .insert(entity, _) in bodies where entity.collection == Desk.message { messageIDs.append(entity.key) }
        node.vector = try node.store.versionVector()
        try learnRevocation(index)
        try localChanged(index)
        return first
    }

    private func randomBody(_ node: Node) throws -> OpBody? {
        let ticket = Self.tickets.randomElement(using: &rng)!
        switch Int.random(in: 0..<12, using: &rng) {
        case 10, 11:
            // A customer message (what erasures name): its text is personal data.
            messageCounter += 1
            let id = "M-\(node.index)-\(messageCounter)"
            return .makeInsert(EntityRef(Desk.message, id), [
                Field("ticket", .string(ticket.key)), Field("direction", .string("inbound")), Field("author", .string("customer")),
                Field("created_ms", .int(Int64(now))), Field("text", .string("my router is down again (\(id))")),
            ])
        case 0, 1, 2:
            let value: Value = Bool.random(using: &rng)
                ? .string(["new", "open", "pending", "resolved"].randomElement(using: &rng)!)
                : .int(Int64.random(in: 1...5, using: &rng))
            return .set(entity: ticket, field: Self.fields.randomElement(using: &rng)!, value: value)
        case 3, 4:
            return .tagAdd(entity: ticket, tag: Self.tags.randomElement(using: &rng)!)
        case 5:
            let tag = Self.tags.randomElement(using: &rng)!
            let adds = try node.store.state.observedTagAdds(ticket, tag: tag)
            return adds.isEmpty ? nil : .tagRemove(entity: ticket, tag: tag, observed: adds)
        default:
            // Claims of the same few tickets, observing this node's current view: concurrent claims at
            // nodes that have not heard of each other's are the point.
            let lease = UInt32.random(in: 30...600, using: &rng)
            guard let current = try node.store.state.claim(on: ticket) else {
                return .claim(entity: ticket, action: .claim, holder: node.author.id, leaseSeconds: lease, observed: nil)
            }
            switch Int.random(in: 0..<6, using: &rng) {
            case 0:
                return .claim(entity: ticket, action: .release, holder: nil, leaseSeconds: 0, observed: current.current)
            case 1:
                let someone = nodes.randomElement(using: &rng)!.author.id
                return .claim(entity: ticket, action: .handoff, holder: someone, leaseSeconds: lease,
                              observed: current.current)
            case 2:
                return .claim(entity: ticket, action: .takeover, holder: node.author.id, leaseSeconds: lease,
                              observed: current.current)
            default:
                return .claim(entity: ticket, action: .claim, holder: node.author.id, leaseSeconds: lease,
                              observed: current.current)
            }
        }
    }

    // MARK: checks

    /// Every member (all but a revoked one) is up, holds every op any member holds, and every link between
    /// members has an established session; when a revocation was made, every member knows it.
    func isQuiescent() -> Bool {
        var union = VersionVector()
        let members = members
        for node in members { union.formMax(node.vector) }
        guard members.allSatisfy({ $0.up && $0.vector == union && (cut == nil || $0.knowsRevocation) }) else { return false }
        let sessions = links.allSatisfy { link in
            if touchesRevoked(link) { return true }
            guard let id = link.connection else { return false }
            return connections[id].machines.allSatisfy { $0?.isActive == true }
        }
        return sessions && !bodiesStillToFetch()
    }

    /// The one verify problem a run may end with (SPEC.md §1.15, open issue 5; seed 26591): ops whose bodies an
    /// erasure by the member this run revoked dropped on every member before the revocation voided it. Every member
    /// then holds the same bare header (the states are equal, checked before), nobody can give the body back, and
    /// verify reports the ops as withheld. Accepted only when every problem is such an op: a withheld op that the
    /// revoked member's erasure named, whose body no member holds.
    private func bodiesGoneEverywhere(_ node: Node, _ report: VerifyReport) throws -> Bool {
        guard let revoked else { return false }
        let wanted = try node.store.wantedBodies(limit: SyncLimits.maxWantBodies)
        let named = Set(erasures.filter { $0.op.author == nodes[revoked].author.id }.flatMap(\.targets))
        guard !wanted.isEmpty, report.problems.count == wanted.count,
              report.problems.allSatisfy({ $0.contains("withheld: no effective erasure names it") }),
              wanted.allSatisfy({ named.contains($0.ref) }) else { return false }
        for member in members where !(try member.store.heldBodies(wanted)).isEmpty { return false }
        if node.index == 0 { stats.bodiesGoneEverywhere += wanted.count }
        return true
    }

    /// Whether a member lacks a body another member holds (it fetches it at its next anti-entropy round).
    /// A body no member holds any more is no one's to fetch: all lack it alike.
    private func bodiesStillToFetch() -> Bool {
        members.contains { node in
            guard let wanted = try? node.store.wantedBodies(limit: SyncLimits.maxWantBodies), !wanted.isEmpty else { return false }
            return members.contains { other in other.index != node.index && !((try? other.store.heldBodies(wanted)) ?? []).isEmpty }
        }
    }

    func diagnosis() -> String {
        var union = VersionVector()
        for node in members { union.formMax(node.vector) }
        let behind = members.filter { $0.vector != union }.map { "\($0.index)(-\($0.vector.missing(from: union)))" }
        let down = links.indices.filter { index in
            if touchesRevoked(links[index]) { return false }
            guard let id = links[index].connection else { return true }
            return !connections[id].machines.allSatisfy { $0?.isActive == true }
        }
        let unaware = cut == nil ? [] : members.filter { !$0.knowsRevocation }.map(\.index)
        return "nodes behind: \(behind); links without a session: \(down.count)/\(links.count); "
            + "revoked \(revoked.map(String.init) ?? "none"), not knowing it \(unaware); "
            + "bodies still to fetch from a peer: \(bodiesStillToFetch() ? "yes (asked at anti-entropy rounds)" : "no"); "
            + "rejects \(stats.rejects); blocked \(stats.blocked.prefix(3)); violations \(stats.violations.prefix(3))"
    }

    /// The end state: one version vector, one state hash, one claim holder per ticket matching an
    /// independent resolution, stores that verify, and no session that broke the protocol or blocked a log.
    private func checkOutcome() throws {
        let reference = nodes[0]
        let hash = try reference.store.stateHash()
        let total = try reference.store.opCount()
        stats.ops = total
        stats.claimConflicts = try reference.store.state.claimConflicts().filter { $0.reason == .concurrent }.count
        for node in members {
            guard node.vector == reference.vector else {
                throw SimulationFailure(description: "node \(node.index) has vector \(node.vector), node 0 \(reference.vector)")
            }
            guard try node.store.versionVector() == node.vector else {
                throw SimulationFailure(description: "node \(node.index): cached vector is stale")
            }
            guard try node.store.stateHash() == hash else {
                let (mine, theirs) = (try node.store.stateDump(), try reference.store.stateDump())
                let tables = Set(mine.keys).union(theirs.keys).sorted().filter { mine[$0] != theirs[$0] }
                let detail = tables.map { table in
                    let a = Set((mine[table] ?? []).map { "\($0)" }), b = Set((theirs[table] ?? []).map { "\($0)" })
                    return "\(table): only here \(a.subtracting(b).sorted().prefix(3)), only on node 0 \(b.subtracting(a).sorted().prefix(3))"
                }
                let named = Set(erasures.flatMap(\.targets))
                func targets(_ store: OpStore) throws -> [String] {
                    try Self.everyOp(store)
                        .filter { named.contains($0.ref) }.map { "\($0.ref) body \($0.body == nil ? "none" : "held")" }
                }
                let (bodies, mineBodies) = (try targets(reference.store), try targets(node.store))
                let who = erasures.map { e in "erasure \(e.op) by node \(nodes.firstIndex { $0.author.id == e.op.author } ?? -1) role \(nodes.first { $0.author.id == e.op.author }?.role.rawValue ?? "?") targets \(e.targets)" }
                throw SimulationFailure(description: "node \(node.index) state hash differs from node 0's: \(detail.joined(separator: "; ")); revoked \(revoked.map(String.init) ?? "none") cut \(cut.map { "\($0)" } ?? "-"); \(who); node 0 targets \(bodies); node \(node.index) targets \(mineBodies)")
            }
            guard try node.store.opCount() == total else {
                throw SimulationFailure(description: "node \(node.index) holds a different number of ops")
            }
        }
        // Claims: the same single holder everywhere, equal to ClaimResolver over every claim op.
        let everything = try Self.everyOp(reference.store)
        guard everything.count == total else {
            throw SimulationFailure(description: "node 0 lists \(everything.count) of \(total) ops")
        }
        var records: [EntityRef: [ClaimRecord]] = [:]
        for op in everything {
            if case let .claim(entity, action, holder, lease, observed)? = op.body {
                records[entity, default: []].append(ClaimRecord(
                    stamp: Stamp(hlc: op.hlc, ref: op.ref), action: action, holder: holder,
                    leaseSeconds: lease, observed: observed))
            }
        }
        for (ticket, claims) in records {
            let expected = ClaimResolver.resolve(claims)
            guard let winner = expected.current else {
                // Every claim op chains from one a revocation removed (SPEC.md §1.15, open issue 4): none resolves,
                // and every member must say so.
                let voided = Set(claims.compactMap(\.observed)).subtracting(claims.map(\.ref))
                guard cut != nil, !voided.isEmpty, voided.allSatisfy({ $0.author == nodes[revoked!].author.id }) else {
                    throw SimulationFailure(description: "\(ticket): \(claims.count) claim ops and no resolved claim")
                }
                stats.orphanedClaims += 1
                for node in members where try node.store.state.claim(on: ticket)?.current != nil {
                    throw SimulationFailure(description: "node \(node.index): \(ticket) resolves a claim; the resolver over all claim ops resolves none")
                }
                continue
            }
            if winner.action != .release && winner.holder == nil {
                throw SimulationFailure(description: "\(ticket): resolved claim without a holder")
            }
            for node in members {
                guard let status = try node.store.state.claim(on: ticket) else {
                    throw SimulationFailure(description: "node \(node.index): \(ticket) has no claim state")
                }
                guard status.current == winner.ref, status.holder == winner.holder else {
                    throw SimulationFailure(description: """
                        node \(node.index): \(ticket) resolved to \(status.current) held by \
                        \(status.holder?.short ?? "nobody"), expected \(winner.ref)
                        """)
                }
            }
        }
        try checkRevocationAndErasures(everything)
        for index in [0, nodes.count - 1] {
            let report = try nodes[index].store.verify()
            let accepted = try report.isOK || bodiesGoneEverywhere(nodes[index], report)
            guard accepted else {
                let who = erasures.map { e in "erasure \(e.op) by node \(nodes.firstIndex { $0.author.id == e.op.author } ?? -1) targets \(e.targets)" }
                let authors = nodes.map { "\($0.index)=\($0.author.id.short)" }
                throw SimulationFailure(description: """
                    verify failed on node \(index): \(report.problems.prefix(2)); revoked \(revoked.map(String.init) ?? "none") \
                    cut \(cut.map { "\($0)" } ?? "-"); \(who); nodes \(authors)
                    """)
            }
        }
        guard stats.violations.isEmpty else {
            throw SimulationFailure(description: "protocol violations: \(stats.violations.prefix(3))")
        }
        guard stats.blocked.isEmpty else {
            throw SimulationFailure(description: "honest logs were blocked: \(stats.blocked.prefix(3))")
        }
    }
}

extension SimulationWorld {
    /// A revoked member's ops past its cut are held by no member (and its ops up to the cut by every member,
    /// which the equal vectors already show); every op an erasure names that a member holds has no body there.
    /// Every op a store holds, of both formats (format 2 bodies decoded from body v2), with its body when held.
    static func everyOp(_ store: OpStore) throws -> [(ref: OpRef, hlc: HLC, body: OpBody?)] {
        var ops = try store.batch(after: VersionVector(), limit: Limits.maxBatchOps).ops.map { op in
            (ref: op.header.ref, hlc: op.header.hlc, body: try op.body.map { bytes throws(ByteDecodingError) in
                try OpBody.decode(kind: op.header.kind, bytes: bytes) })
        }
        for batch in try store.batchesV2(after: VersionVector(), limit: Limits.maxBatchOps) {
            ops += try batch.ops.map { op in
                (ref: op.header.ref, hlc: op.header.hlc, body: try op.body.map { bytes throws(ByteDecodingError) in
                    try OpBody.decodeV2(kind: op.header.kind, bytes: bytes) })
            }
        }
        return ops
    }

    fileprivate func checkRevocationAndErasures(_ everything: [(ref: OpRef, hlc: HLC, body: OpBody?)]) throws {
        if let revoked, let cut {
            let member = nodes[revoked].author.id
            for node in members {
                for (log, seq) in node.vector.entries where log.author == member && seq > (cut.kept[log.epoch] ?? 0) {
                    throw SimulationFailure(description: "node \(node.index) holds \(log) up to \(seq), past the revocation's cut \(cut)")
                }
                guard try node.store.team.roster()?.members[member]?.revocation?.cut == cut else {
                    throw SimulationFailure(description: "node \(node.index) does not hold the revocation of node \(revoked)")
                }
            }
        }
        guard !erasures.isEmpty else { return }
        let held = Set(everything.map(\.ref))
        let effective = erasures.filter { held.contains($0.op) }
        let named = Set(effective.flatMap(\.targets)).intersection(held)
        stats.erasedOps += named.count
        guard !named.isEmpty else { return }
        for node in members {
            for op in try Self.everyOp(node.store) where named.contains(op.ref) && op.body != nil {
                throw SimulationFailure(description: "node \(node.index) still holds the body of erased op \(op.ref)")
            }
        }
    }
}

/// A binary min-heap of events by (time, scheduling order): deterministic tie-breaks.
struct EventQueue {
    private var heap: [(time: UInt64, order: UInt64, event: SimulationWorld.Event)] = []

    var peekTime: UInt64? { heap.first?.time }

    mutating func push(time: UInt64, order: UInt64, _ event: SimulationWorld.Event) {
        heap.append((time, order, event))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(child, parent) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (UInt64, SimulationWorld.Event)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, less(left, smallest) { smallest = left }
            if right < heap.count, less(right, smallest) { smallest = right }
            guard smallest != parent else { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return (top.time, top.event)
    }

    private func less(_ a: Int, _ b: Int) -> Bool {
        (heap[a].time, heap[a].order) < (heap[b].time, heap[b].order)
    }
}
