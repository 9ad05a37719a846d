import Foundation
import Testing
@testable import RoostCore

/// Routing without a dispatcher (issue 15): the pure function every node evaluates.
@Suite struct RoutingTests {
    static func id(_ n: Int) -> AuthorID { AuthorID(key: Bytes32([UInt8](repeating: UInt8(n), count: 32))!) }

    static func ticket(_ key: String, queue: String = RoutingRules.defaultQueue, language: String? = nil,
                       skills: Set<String> = [], since: UInt64 = 0) -> RoutingTicket {
        RoutingTicket(key: key, queue: queue, language: language, skills: skills, waitingSinceMillis: since)
    }

    @Test func onlyOnlineAgentsUnderCapacityWithTheQueueLanguageAndSkillsAreEligible() {
        let t = Self.ticket("p1", queue: "billing", language: "es", skills: ["refunds"])
        let good = RoutingAgent(id: Self.id(1), availability: .online, languages: ["en", "es"], skills: ["refunds", "vip"], queues: ["billing"])
        #expect(RoutingRules.isEligible(good, for: t))
        var agent = good
        agent.availability = .away
        #expect(!RoutingRules.isEligible(agent, for: t))
        agent = good; agent.availability = .offline
        #expect(!RoutingRules.isEligible(agent, for: t))
        agent = good; agent.load = agent.capacity
        #expect(!RoutingRules.isEligible(agent, for: t))
        agent = good; agent.queues = ["tech"]
        #expect(!RoutingRules.isEligible(agent, for: t))
        agent = good; agent.queues = []  // every queue
        #expect(RoutingRules.isEligible(agent, for: t))
        agent = good; agent.languages = ["en"]
        #expect(!RoutingRules.isEligible(agent, for: t))
        agent = good; agent.languages = []  // never said: any language
        #expect(RoutingRules.isEligible(agent, for: t))
        agent = good; agent.skills = ["vip"]
        #expect(!RoutingRules.isEligible(agent, for: t))
        // A ticket of no known language goes to anyone.
        agent = good; agent.languages = ["de"]
        #expect(RoutingRules.isEligible(agent, for: Self.ticket("p2", queue: "billing", skills: ["refunds"])))
    }

    @Test func leastLoadedAndRoundRobinOrderAndTheTimeoutNamesTheNext() {
        let agents = [RoutingAgent(id: Self.id(1), availability: .online, load: 3, lastClaimMillis: 50),
                      RoutingAgent(id: Self.id(2), availability: .online, load: 1, lastClaimMillis: 90),
                      RoutingAgent(id: Self.id(3), availability: .online, load: 2, lastClaimMillis: 10),
                      RoutingAgent(id: Self.id(4), availability: .away, load: 0, lastClaimMillis: 0)]
        let t = Self.ticket("p7", since: 1_000)
        #expect(RoutingRules.candidates(for: t, among: agents, mode: .leastLoaded) == [Self.id(2), Self.id(3), Self.id(1)])
        #expect(RoutingRules.candidates(for: t, among: agents, mode: .roundRobin) == [Self.id(3), Self.id(1), Self.id(2)])
        // The order does not depend on the order the agents were listed in.
        #expect(RoutingRules.candidates(for: t, among: agents.reversed(), mode: .leastLoaded) == [Self.id(2), Self.id(3), Self.id(1)])
        let policy = RoutingPolicy(queue: RoutingRules.defaultQueue, mode: .leastLoaded, timeoutMillis: 60_000)
        #expect(RoutingRules.named(for: t, among: agents, policy: policy, now: 1_000) == Self.id(2))
        #expect(RoutingRules.named(for: t, among: agents, policy: policy, now: 60_999) == Self.id(2))
        #expect(RoutingRules.named(for: t, among: agents, policy: policy, now: 61_000) == Self.id(3))
        #expect(RoutingRules.named(for: t, among: agents, policy: policy, now: 121_000) == Self.id(1))
        #expect(RoutingRules.named(for: t, among: agents, policy: policy, now: 181_000) == Self.id(2))  // cycles
        var paused = policy
        paused.paused = true
        #expect(RoutingRules.named(for: t, among: agents, policy: paused, now: 1_000) == nil)
        #expect(RoutingRules.named(for: t, among: agents.filter { $0.availability != .online }, policy: policy, now: 1_000) == nil)
    }

    @Test func equalAgentsShareConcurrentTicketsThroughTheTieBreak() {
        let agents = (1...10).map { RoutingAgent(id: Self.id($0), availability: .online) }
        var first: [AuthorID: Int] = [:]
        for n in 0..<1_000 {
            first[RoutingRules.candidates(for: Self.ticket("p\(n)"), among: agents, mode: .leastLoaded)[0], default: 0] += 1
        }
        // Ten equal agents and a thousand tickets at once: each is offered first roughly a tenth of them.
        #expect(first.count == 10)
        #expect(first.values.allSatisfy { (60...140).contains($0) }, "\(first.values.sorted())")
    }

    /// A simulated day (seeded; `ROOST_SEED` replays one): 30 agents in three shifts (UTC 00-08, 08-16, 16-24
    /// with 30 min overlaps), away breaks, two agents whose nodes stop claiming for an hour, some who close the
    /// laptop without going offline, a two-hour partition into two halves with its own claims on each side,
    /// and 10,000 tickets (ingested by the gateway's side only while partitioned). Every node of a side evaluates
    /// the same function on the same state; claims carry a 30-minute lease (the desk's default) and are merged on
    /// heal by the claim rule's order. Bounds: a ticket waits for a responsive agent at most the silence limit
    /// plus a timeout per stuck agent; a ticket held by an agent gone offline is re-routed after its lease (the
    /// issue asks for the timeout: that needs leases renewed by a live holder, not built).
    @Test func aSimulatedDayOfTenThousandTickets() async {
        // Three days per run (each ~2 s alone in a debug build), each seed printed; ROOST_SEED replays one. They run
        // on a Dispatch thread: a long synchronous test on the cooperative pool (2 threads on 2 cores) starved
        // other suites' in-process servers in the full run.
        let seeds = UInt64(ProcessInfo.processInfo.environment["ROOST_SEED"] ?? "").map { [$0] }
            ?? (0..<3).map { _ in UInt64.random(in: 1...UInt64.max) }
        let outcomes = await withCheckedContinuation { (done: CheckedContinuation<[RoutingSimulation.Outcome], Never>) in
            DispatchQueue.global().async { done.resume(returning: seeds.map { RoutingSimulation(seed: $0).run() }) }
        }
        for (seed, outcome) in zip(seeds, outcomes) { check(seed, outcome) }
    }

    func check(_ seed: UInt64, _ outcome: RoutingSimulation.Outcome) {
        print("RoutingTests.aSimulatedDayOfTenThousandTickets: seed \(seed) (replay with ROOST_SEED=\(seed))")
        #expect(outcome.unclaimedAtEnd == 0, "seed \(seed)")
        #expect(outcome.divergentNames == 0, "seed \(seed)")
        #expect(outcome.longestWaitWithHelpMillis <= outcome.waitBoundMillis, "seed \(seed): \(outcome.longestWaitWithHelpMillis) ms")
        #expect(outcome.longestWithOfflineHolderMillis <= outcome.offlineBoundMillis, "seed \(seed): \(outcome.longestWithOfflineHolderMillis) ms")
        #expect(outcome.equalAgentsLoadRatio <= 1.2, "seed \(seed): \(outcome.equalAgentsHandled)")
        print("RoutingTests: \(outcome.summary)")
    }
}

/// The model behind ``RoutingTests/aSimulatedDayOfTenThousandTickets()``.
struct RoutingSimulation {
    struct Outcome: Sendable {
        var unclaimedAtEnd = 0
        var divergentNames = 0
        var longestWaitWithHelpMillis: UInt64 = 0
        var waitBoundMillis: UInt64 = 0
        var longestWithOfflineHolderMillis: UInt64 = 0
        var offlineBoundMillis: UInt64 = 0
        var equalAgentsHandled: [Int] = []
        var equalAgentsLoadRatio = 0.0
        var conflictsOnHeal = 0
        var summary: String {
            "unclaimed \(unclaimedAtEnd), conflicts on heal \(conflictsOnHeal), longest wait with an eligible responsive agent "
                + "\(longestWaitWithHelpMillis / 1000) s (bound \(waitBoundMillis / 1000)), longest with an offline holder "
                + "\(longestWithOfflineHolderMillis / 1000) s (bound \(offlineBoundMillis / 1000)), equal agents handled \(equalAgentsHandled)"
        }
    }

    struct Claim { var holder: Int; var at: UInt64; var leaseEnds: UInt64 }

    /// One side's view of the shared state (a partition has two).
    struct Replica {
        var claims: [Int: Claim] = [:]          // ticket -> current claim
        var resolved: Set<Int> = []
        var open: Set<Int> = []                 // arrived, not resolved
        var lastOp: [UInt64]                    // per agent: newest op this side holds
        var setStatus: [Availability?]          // per agent: what they set, as this side knows
        var lastClaim: [UInt64]                 // per agent: newest claim
    }

    let seed: UInt64
    let agents = 30, tickets = 10_000
    let day: UInt64 = 86_400_000, step: UInt64 = 15_000
    let policy = RoutingPolicy(queue: RoutingRules.defaultQueue, mode: .leastLoaded, timeoutMillis: 120_000)
    let lease: UInt64 = 30 * 60_000
    let partition: Range<UInt64> = 36_000_000..<43_200_000  // 10:00-12:00 UTC

    func run() -> Outcome {
        var rng = SplitMix64(seed: seed)
        // Shifts: agent a is in group a % 3, on from 8h*g - 30 min to 8h*(g+1) + 30 min.
        func onShift(_ a: Int, _ t: UInt64) -> Bool {
            let g = UInt64(a % 3), start = g * 28_800_000, end = start + 28_800_000
            let s = start == 0 ? 0 : start - 1_800_000, e = min(day, end + 1_800_000)
            return t >= s && t < e
        }
        // Group 1 (08-16) agents 1, 4, 7, ..., 28 have no breaks: the equal agents of the load check.
        let equal = (0..<agents).filter { $0 % 3 == 1 }
        var breaks: [[Range<UInt64>]] = Array(repeating: [], count: agents)
        for a in 0..<agents where !equal.contains(a) {
            for _ in 0..<2 {
                let start = UInt64(rng.next() % day)
                breaks[a].append(start..<start + 15 * 60_000)
            }
        }
        let stuck: [Int] = [0, 2]  // online, but their nodes do not claim for an hour
        let stuckWindow: Range<UInt64> = 3_600_000..<7_200_000
        let silentLeavers = Set((0..<agents).filter { $0 % 5 == 0 })  // close the laptop without going offline
        func status(_ a: Int, _ t: UInt64) -> Availability {
            guard onShift(a, t) else { return .offline }
            return breaks[a].contains { $0.contains(t) } ? .away : .online
        }
        func nodeUp(_ a: Int, _ t: UInt64) -> Bool { onShift(a, t) }
        func side(_ a: Int) -> Int { a % 2 }

        var arrivals = (0..<tickets).map { _ in UInt64(rng.next() % (day - 3_600_000)) }.sorted()
        arrivals = arrivals.map { $0 + 60_000 }
        var replicas = [Replica(lastOp: Array(repeating: 0, count: agents), setStatus: Array(repeating: nil, count: agents),
                                lastClaim: Array(repeating: 0, count: agents))]
        var outcome = Outcome()
        // A named agent whose node is gone still counts as online until it has been silent for silentAfterMillis;
        // after that, one timeout per stuck agent ahead of the responsive one.
        outcome.waitBoundMillis = AvailabilityRules.silentAfterMillis + policy.timeoutMillis * UInt64(stuck.count + 1) + 2 * step
        outcome.offlineBoundMillis = lease + policy.timeoutMillis * UInt64(stuck.count + 1) + AvailabilityRules.silentAfterMillis + 2 * step
        var handled = Array(repeating: 0, count: agents)
        var heldByOfflineSince: [Int: UInt64] = [:]
        var firstClaimed: [Int: UInt64] = [:]
        var handling: [Int: UInt64] = [:]  // ticket -> when its holder resolves it
        var arrived = 0
        var partitioned = false

        var t: UInt64 = 0
        while t < day + 6 * 3_600_000 {
            // Partition and heal.
            if partition.contains(t) && !partitioned {
                partitioned = true
                replicas = [replicas[0], replicas[0]]
            } else if !partition.contains(t) && partitioned {
                partitioned = false
                replicas = [Self.heal(replicas[0], replicas[1], outcome: &outcome)]
            }
            while arrived < arrivals.count && arrivals[arrived] <= t {
                // The gateway's side (0) ingests; during the partition the other side does not see new tickets.
                for r in replicas.indices where !partitioned || r == 0 { replicas[r].open.insert(arrived) }
                arrived += 1
            }
            // Each up node writes (heartbeat, status) into the replicas it reaches.
            for a in 0..<agents {
                let up = nodeUp(a, t)
                for r in replicas.indices where !partitioned || side(a) == r {
                    if up {
                        replicas[r].lastOp[a] = max(replicas[r].lastOp[a], t - t % AvailabilityRules.heartbeatAfterMillis)
                        replicas[r].setStatus[a] = status(a, t)
                    } else if replicas[r].setStatus[a] != .offline && !silentLeavers.contains(a) && t >= step && onShift(a, t - step) {
                        replicas[r].setStatus[a] = .offline   // went offline on purpose at the end of the shift
                        replicas[r].lastOp[a] = t
                    }
                }
            }
            for r in replicas.indices {
                var replica = replicas[r]
                // Holders resolve their tickets when done (if their node is up and on this side).
                for ticket in replica.open {
                    guard let done = handling[ticket], done <= t, let claim = replica.claims[ticket], nodeUp(claim.holder, t),
                          !partitioned || side(claim.holder) == r else { continue }
                    replica.resolved.insert(ticket)
                    replica.open.remove(ticket)
                    handling[ticket] = nil
                }
                var loads = Array(repeating: 0, count: agents)  // open tickets held with a live lease
                for ticket in replica.open { if let claim = replica.claims[ticket], claim.leaseEnds > t { loads[claim.holder] += 1 } }
                let view = (0..<agents).map { a in
                    RoutingAgent(id: RoutingTests.id(a + 1),
                                 availability: AvailabilityRules.effective(set: replica.setStatus[a], lastOpMillis: replica.lastOp[a], now: t),
                                 load: loads[a], lastClaimMillis: replica.lastClaim[a])
                }
                var routable: [RoutingTicket] = []
                for ticket in replica.open.sorted() {
                    let claim = replica.claims[ticket]
                    if let claim, claim.leaseEnds > t {
                        // Held: note how long an offline holder keeps it.
                        if view[claim.holder].availability == .offline {
                            let since = heldByOfflineSince[ticket] ?? t
                            heldByOfflineSince[ticket] = since
                            outcome.longestWithOfflineHolderMillis = max(outcome.longestWithOfflineHolderMillis, t - since)
                        } else {
                            heldByOfflineSince[ticket] = nil
                        }
                        continue
                    }
                    if let since = heldByOfflineSince[ticket] {
                        outcome.longestWithOfflineHolderMillis = max(outcome.longestWithOfflineHolderMillis, t - since)
                    }
                    routable.append(RoutingTicket(key: "p\(ticket)", queue: RoutingRules.defaultQueue,
                                                  waitingSinceMillis: max(arrivals[ticket], claim?.leaseEnds ?? 0)))
                }
                // Every node of the side assigns the batch with the same function; another node's copy of the agents
                // (in another order) gives the same names.
                let policies = [RoutingRules.defaultQueue: policy]
                let names = RoutingRules.assign(routable, among: view, policies: policies, now: t)
                if RoutingRules.assign(routable, among: view.shuffled(using: &rng), policies: policies, now: t) != names {
                    outcome.divergentNames += 1
                }
                for entry in routable {
                    guard let named = names[entry.key] else { continue }
                    let ticket = Int(entry.key.dropFirst())!
                    let a = Int(named.key.bytes[0]) - 1
                    let responsive = nodeUp(a, t) && !(stuck.contains(a) && stuckWindow.contains(t)) && (!partitioned || side(a) == r)
                    if firstClaimed[ticket] == nil && responsive {
                        // The first claim anywhere: how long the ticket waited for a responsive agent.
                        firstClaimed[ticket] = t
                        outcome.longestWaitWithHelpMillis = max(outcome.longestWaitWithHelpMillis, t - arrivals[ticket])
                    }
                    guard responsive else { continue }
                    if let previous = replica.claims[ticket], previous.holder != a { heldByOfflineSince[ticket] = nil }
                    replica.claims[ticket] = Claim(holder: a, at: t, leaseEnds: t + lease)
                    replica.lastClaim[a] = t
                    replica.lastOp[a] = t
                    handling[ticket] = t + 120_000 + rng.next() % 360_000  // 2-8 minutes to answer and resolve
                }
                replicas[r] = replica
            }
            t += step
        }
        if partitioned { replicas = [Self.heal(replicas[0], replicas[1], outcome: &outcome)] }
        let final = replicas[0]
        outcome.unclaimedAtEnd = (0..<tickets).filter { final.claims[$0] == nil }.count
        // Equal agents are equal outside the partition (inside it, one side takes every new ticket).
        for (ticket, claim) in final.claims where final.resolved.contains(ticket) && !partition.contains(arrivals[ticket]) {
            handled[claim.holder] += 1
        }
        outcome.equalAgentsHandled = equal.map { handled[$0] }
        let counts = outcome.equalAgentsHandled
        outcome.equalAgentsLoadRatio = Double(counts.max() ?? 0) / Double(max(1, counts.min() ?? 1))
        return outcome
    }

    /// Merges two sides: a ticket claimed on both keeps the earlier claim (then the lower member), as the claim
    /// rule orders concurrent claims by HLC; resolutions and statuses merge by union and newest.
    static func heal(_ a: Replica, _ b: Replica, outcome: inout Outcome) -> Replica {
        var merged = a
        for (ticket, claim) in b.claims {
            if let mine = merged.claims[ticket], mine.at != claim.at || mine.holder != claim.holder {
                if mine.at > claim.at || (mine.at == claim.at && mine.holder > claim.holder) {
                    merged.claims[ticket] = claim
                }
                if mine.holder != claim.holder { outcome.conflictsOnHeal += 1 }
            } else {
                merged.claims[ticket] = claim
            }
        }
        merged.resolved.formUnion(b.resolved)
        merged.open = merged.open.union(b.open).subtracting(merged.resolved)
        for i in merged.lastOp.indices {
            if b.lastOp[i] > merged.lastOp[i] { merged.lastOp[i] = b.lastOp[i]; merged.setStatus[i] = b.setStatus[i] }
            merged.lastClaim[i] = max(merged.lastClaim[i], b.lastClaim[i])
        }
        return merged
    }
}
