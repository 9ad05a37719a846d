import Foundation
import Testing
import RoostCore
import RoostNode
import RoostStore
import RoostSync

/// Push routing on real nodes and stores (issue 15): three members of one team, ops exchanged as sync does
/// (batches applied), each node running its own routing pass at the same time.
@Suite(.serialized) struct RoutingNodeTests {
    struct Team {
        let root: URL
        let ana: Node, kenji: Node, lea: Node
        var all: [Node] { [ana, kenji, lea] }

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("roost-routing-\(UUID().uuidString)")
            ana = try RosterTCPTests.makeNode("Ana Lopez", "AL", root: root)
            _ = try ana.home.createTeam(name: "Hilton Suggests", node: ana)
            let now = SystemClock().nowMillis()
            let kenjiInvite = try ana.home.invite(name: "Kenji Sato", role: .agent, hours: 1, address: "127.0.0.1:9", node: ana, now: now)
            let leaInvite = try ana.home.invite(name: "Lea Park", role: .lead, hours: 1, address: "127.0.0.1:9", node: ana, now: now)
            kenji = try RosterTCPTests.joiner("Kenji Sato", "KS", invite: kenjiInvite, root: root)
            lea = try RosterTCPTests.joiner("Lea Park", "LP", invite: leaInvite, root: root)
            // What the `join` message of a first sync does: the joiner proves its invite, the admin admits it.
            for joiner in [kenji, lea] {
                let join = try #require(joiner.home.admission(node: joiner).join(ana.id))
                let refusal = ana.home.admission(node: ana).admit(joiner.id, join)
                #expect(refusal == nil)
            }
            try sync()
        }

        /// Every node gets every op the others hold (twice round, so relayed ops arrive too).
        func sync() throws {
            for _ in 0..<2 {
                for node in all {
                    for other in all where other.id != node.id {
                        try node.store.apply(try other.store.batch(after: try node.store.versionVector()),
                                             clock: FixedClock(millis: SystemClock().nowMillis() + 86_400_000))
                    }
                }
            }
        }

        func cleanup() { try? FileManager.default.removeItem(at: root) }
    }

    static func ingest(_ count: Int, on node: Node, at now: UInt64, from first: Int = 1_000) throws -> [String] {
        var report = IngestReport()
        let messages = (0..<count).map { n in
            inbound("m\(first + n)", ticket: "p\(first + n)", customer: "c\(first + n)", at: now - UInt64(count - n) * 1_000, text: "my router is down \(n)")
        }
        try DeskService(node: node, clock: FixedClock(millis: now)).ingest(messages, rules: .empty, report: &report)
        return messages.map(\.ticketKey).sorted()
    }

    static func holders(_ node: Node, _ keys: [String]) throws -> [String: AuthorID] {
        var holders: [String: AuthorID] = [:]
        for key in keys { holders[key] = try node.store.state.claim(on: EntityRef(Desk.ticket, key))?.holder }
        return holders
    }

    @Test func everyNodeNamesTheSameAgentAndEachTicketIsClaimedOnce() throws {
        let team = try Team()
        defer { team.cleanup() }
        let now = SystemClock().nowMillis()
        let keys = try Self.ingest(30, on: team.ana, at: now)
        // Only leads and admins turn routing on; Ana (admin) does.
        #expect(throws: DeskError.self) { try DeskService(node: team.kenji).setRouting(queue: "default", mode: .leastLoaded) }
        try DeskService(node: team.ana, clock: FixedClock(millis: now)).setRouting(queue: "default", mode: .leastLoaded, timeoutSeconds: 60)
        try team.sync()

        // The same view on every node: the same name for every waiting ticket.
        let at = now + 1_000
        let views = try team.all.map { try DeskService(node: $0, clock: FixedClock(millis: at)).routingView() }
        #expect(views[0] == views[1] && views[1] == views[2])
        #expect(views[0].first?.waiting.count == 30 && views[0].first?.waiting.allSatisfy { $0.to != nil } == true)
        let named = Dictionary(uniqueKeysWithValues: (views[0].first?.waiting ?? []).map { ($0.ticket, $0.to!) })

        // Each node claims what it is named for, then they sync: ten each (names count as load as they are given).
        var claimedBy: [String: String] = [:]
        for node in team.all {
            let desk = DeskService(node: node, clock: FixedClock(millis: at))
            for key in try desk.routeOnce() { claimedBy[key] = node.config.name }
        }
        for (key, name) in claimedBy { #expect(named[key] == name, "\(key)") }
        try team.sync()
        let holders = try Self.holders(team.ana, keys)
        #expect(holders.count == 30, "every ticket is held")
        #expect(try team.all.allSatisfy { try Self.holders($0, keys) == holders }, "the same holders on every node")
        #expect(try team.ana.store.state.claimConflicts().isEmpty, "no two agents were pushed the same ticket")
        let loads = Dictionary(grouping: holders.values, by: { $0 }).mapValues(\.count)
        #expect(loads.values.sorted() == [10, 10, 10], "\(loads)")
        // Every node can tell that routing pushed each ticket to its holder (the web's "pushed" badge).
        for node in team.all {
            for row in try node.store.desk.inbox({ var f = InboxFilter(); f.limit = 100; return f }(), sla: .defaults, now: t0) where keys.contains(row.key) {
                #expect(row.pushedTo != nil && row.pushedTo == row.holder, "\(row.key)")
            }
        }
        #expect(try team.all.allSatisfy { try $0.store.verify().isOK })
    }

    @Test func anAgentWhoGoesOfflineHandsTheirRoutedTicketsBackAtOnce() throws {
        let team = try Team()
        defer { team.cleanup() }
        let now = SystemClock().nowMillis()
        let keys = try Self.ingest(6, on: team.ana, at: now)
        try DeskService(node: team.ana, clock: FixedClock(millis: now)).setRouting(queue: "default", mode: .leastLoaded)
        try team.sync()
        for node in team.all { _ = try DeskService(node: node, clock: FixedClock(millis: now + 1_000)).routeOnce() }
        try team.sync()
        let kenjis = try Self.holders(team.ana, keys).filter { $0.value == team.kenji.id }.map(\.key).sorted()
        #expect(!kenjis.isEmpty)
        // Kenji signs off: his open routed tickets are released in the same append, and the next pass (a second
        // later, not a claim lease later) pushes them to Ana and Lea.
        let released = try DeskService(node: team.kenji, clock: FixedClock(millis: now + 2_000)).setMyAvailability(.offline)
        #expect(released.sorted() == kenjis)
        try team.sync()
        for node in team.all { _ = try DeskService(node: node, clock: FixedClock(millis: now + 3_000)).routeOnce() }
        try team.sync()
        let holders = try Self.holders(team.ana, keys)
        #expect(holders.count == 6 && !holders.values.contains(team.kenji.id), "\(holders)")
        #expect(try team.all.allSatisfy { try Self.holders($0, keys) == holders })
        // Away keeps what one holds (a short break).
        let leas = holders.filter { $0.value == team.lea.id }.count
        #expect(try DeskService(node: team.lea, clock: FixedClock(millis: now + 4_000)).setMyAvailability(.away).isEmpty)
        #expect(try Self.holders(team.lea, keys).filter { $0.value == team.lea.id }.count == leas)
    }

    @Test func aNamedAgentWhoDoesNotClaimIsPassedOverAfterTheTimeoutAndALeadCanPause() throws {
        let team = try Team()
        defer { team.cleanup() }
        let now = SystemClock().nowMillis()
        let keys = try Self.ingest(12, on: team.ana, at: now)
        try DeskService(node: team.ana, clock: FixedClock(millis: now)).setRouting(queue: "default", mode: .leastLoaded, timeoutSeconds: 60)
        try team.sync()
        // Kenji's node does not run (his laptop is shut, but he has not been silent 15 minutes yet).
        let at = now + 1_000
        for node in [team.ana, team.lea] { _ = try DeskService(node: node, clock: FixedClock(millis: at)).routeOnce() }
        try team.sync()
        let waitingForKenji = try Self.holders(team.ana, keys).count
        #expect(waitingForKenji < 12, "some tickets were named for Kenji and wait")
        // A timeout later the next agent is named, and Ana and Lea take the rest.
        for node in [team.ana, team.lea] { _ = try DeskService(node: node, clock: FixedClock(millis: at + 61_000)).routeOnce() }
        try team.sync()
        let holders = try Self.holders(team.ana, keys)
        #expect(holders.count == 12 && !holders.values.contains(team.kenji.id), "\(holders.count)")
        #expect(try team.ana.store.state.claimConflicts().isEmpty)

        // Lea (a lead) pauses the queue: nothing more is pushed, a manual claim still works.
        let more = try Self.ingest(3, on: team.ana, at: at + 62_000, from: 2_000)
        #expect(throws: DeskError.self) { try DeskService(node: team.kenji).pauseRouting(queue: "default", paused: true) }
        try DeskService(node: team.lea, clock: FixedClock(millis: at + 62_000)).pauseRouting(queue: "default", paused: true)
        try team.sync()
        for node in team.all { #expect(try DeskService(node: node, clock: FixedClock(millis: at + 63_000)).routeOnce().isEmpty) }
        let routing = try DeskService(node: team.kenji, clock: FixedClock(millis: at + 63_000)).routingView()
        #expect(routing.first?.paused == true && routing.first?.waiting.allSatisfy { $0.to == nil } == true)
        let manual = try #require(more.first)
        _ = try DeskService(node: team.kenji, clock: FixedClock(millis: at + 64_000)).claim(manual)
        #expect(try team.kenji.store.state.claim(on: EntityRef(Desk.ticket, manual))?.holder == team.kenji.id)
    }

    @Test func agentSettingsNarrowWhoIsNamed() throws {
        let team = try Team()
        defer { team.cleanup() }
        let now = SystemClock().nowMillis()
        let keys = try Self.ingest(4, on: team.ana, at: now)
        try DeskService(node: team.ana, clock: FixedClock(millis: now)).setRouting(queue: "default", mode: .roundRobin)
        // Ana takes only billing, Lea is away, Kenji has capacity 2: he is the only one named, up to two tickets.
        try DeskService(node: team.ana, clock: FixedClock(millis: now)).setMyList("queues", ["billing"])
        try DeskService(node: team.lea, clock: FixedClock(millis: now)).setMyAvailability(.away)
        try DeskService(node: team.kenji, clock: FixedClock(millis: now)).setMyCapacity(2)
        #expect(throws: DeskError.self) { try DeskService(node: team.kenji).setMyCapacity(0) }
        try team.sync()
        let at = now + 1_000
        for node in team.all { _ = try DeskService(node: node, clock: FixedClock(millis: at)).routeOnce() }
        try team.sync()
        let holders = try Self.holders(team.kenji, keys)
        #expect(holders.count == 2 && holders.values.allSatisfy { $0 == team.kenji.id })
        let view = try DeskService(node: team.ana, clock: FixedClock(millis: at + 1_000)).routingView()
        #expect(view.first?.waiting.count == 2 && view.first?.waiting.allSatisfy { $0.to == nil } == true, "nobody eligible now")
    }
}
