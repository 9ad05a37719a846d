import Foundation
import RoostCore
import RoostCrypto
@_spi(StoreInternals) import RoostStore
import GRDB
@testable import RoostSync
import Testing

// A partial node whose holdings are in its store (DESIGN-format-2.md F2.9 step (c) point 3): a PartialStoreNode is fed
// the same batches as a pure PartialReplica twin of the same key and must hold exactly what the twin holds, in memory
// and after reopening its store; its desk and search show its held tickets and nothing else.

@Suite struct PartialStoreNodeTests {
    typealias R = PartialReplicaTests
    static let clock = FixedClock(millis: 1_767_225_600_000 + 100_000_000)

    /// A ticket with an inbound message a desk projects (direction, time) and a searchable word.
    static func ticket(_ key: String, queue: String, customer: String, word: String) -> [OpBody] {
        [.makeInsert(EntityRef(Desk.ticket, key), [Field("customer", .string(customer))]),
         .makeInsert(EntityRef(Desk.message, "m-" + key), [
            Field("author", .string("@" + customer)), Field("created_ms", .int(1_767_225_600_000)),
            Field("direction", .string("inbound")), Field("text", .string("my \(word) is broken")), Field("ticket", .string(key)),
         ]),
         .set(entity: EntityRef(Desk.ticket, key), field: "queue", value: .string(queue))]
    }

    /// A full hub, a pure partial twin, and the partial node on its store (same key and subscription).
    struct Trio {
        var hub = PartialReplica(key: R.key(1), subscription: .full)
        var twin: PartialReplica
        var node: PartialStoreNode
        var restarts = 0

        init(queues: Set<String>) throws {
            twin = PartialReplica(key: R.key(2), subscription: Subscription(queues: queues))
            let store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
            node = try PartialStoreNode(key: R.key(2), epoch: 1, founder: nil, store: store, queues: queues)
            hub.subscribe(peer: twin.author, twin.subscription)
        }

        /// The node asks the hub; the node and its twin take the same answer (unless it is `lost`).
        mutating func pull(lost: Bool = false) throws {
            let batch = hub.answer(node.request(to: hub.author), from: twin.author)
            guard !lost else { return }
            twin.receive(batch, from: hub.author, fromFull: true)
            try node.receive(batch, from: hub.author, fromFull: true, clock: PartialStoreNodeTests.clock)
        }

        /// The node and its twin write the same ops; the hub takes them from the node.
        mutating func agentWrites(_ bodies: [OpBody], at ms: UInt64) throws {
            try twin.write(bodies, at: R.hlc(ms))
            try node.write(bodies, at: R.hlc(ms), clock: PartialStoreNodeTests.clock)
            let batch = node.answer(hub.request(to: node.replica.author), from: hub.author)
            hub.receive(batch, from: node.replica.author, fromFull: false)
        }

        /// Reopens the node on its store.
        mutating func restart() throws {
            node = try PartialStoreNode(key: R.key(2), epoch: 1, founder: nil, store: node.store)
            restarts += 1
        }

        /// The node holds what its twin holds, and its desk shows exactly its held tickets whose insert it holds.
        func expectSame(_ context: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let replica = node.replica
            #expect(replica.heldOps == twin.heldOps, "\(context): held ops", sourceLocation: sourceLocation)
            #expect(replica.heldScopes == twin.heldScopes, "\(context): held scopes", sourceLocation: sourceLocation)
            #expect(replica.vector == twin.vector, "\(context): vector", sourceLocation: sourceLocation)
            #expect(replica.wanted == twin.wanted, "\(context): wanted", sourceLocation: sourceLocation)
            #expect(replica.bodilessOps == twin.bodilessOps, "\(context): ops held without a body", sourceLocation: sourceLocation)
            let desk = try PartialStoreNodeTests.deskTickets(node.store)
            #expect(Set(try node.store.desk.ticketKeys()) == desk, "\(context): merged tickets and desk rows", sourceLocation: sourceLocation)
            #expect(desk.isSubset(of: twin.heldTickets), "\(context): desk tickets not held: \(desk.subtracting(twin.heldTickets).sorted())",
                    sourceLocation: sourceLocation)
            let inserted = twin.heldTickets.filter { key in
                twin.heldOps.keys.contains { ref in twin.scope(of: ref) == R.t(key) }
                    && !twin.wanted.contains(R.t(key))
            }
            #expect(inserted.isSubset(of: desk), "\(context): held tickets not on the desk: \(inserted.subtracting(desk).sorted())",
                    sourceLocation: sourceLocation)
            let problems = try node.store.verify().problems
            #expect(problems.isEmpty, "\(context): verify: \(problems.prefix(3))", sourceLocation: sourceLocation)
        }
    }

    /// The desk's ticket rows.
    static func deskTickets(_ store: OpStore) throws -> Set<String> {
        Set(try store.desk.deskSnapshot().tickets.map(\.key))
    }

    static func searchHits(_ store: OpStore, _ text: String) throws -> Set<String> {
        Set(try store.search.hits(SearchPlan(query: try SearchQuery.parse(text), nowMillis: clock.nowMillis())).map(\.ticket))
    }

    @Test("a partial node's store holds its queue's tickets, drops one moved out, keeps what the agent wrote, and reopens")
    func scripted() throws {
        var trio = try Trio(queues: ["paris"])
        try trio.hub.write(Self.ticket("p1", queue: "paris", customer: "ana", word: "router"), at: R.hlc(1))
        try trio.hub.write(Self.ticket("r1", queue: "rome", customer: "bo", word: "modem"), at: R.hlc(2))
        try trio.hub.write(Self.ticket("p2", queue: "paris", customer: "cy", word: "invoice"), at: R.hlc(3))
        try trio.pull()
        try trio.expectSame("first pull")
        let store = trio.node.store
        #expect(try Self.deskTickets(store) == ["p1", "p2"])
        #expect(try Self.searchHits(store, "router") == ["p1"])
        #expect(try Self.searchHits(store, "modem").isEmpty, "a rome ticket is neither held nor searchable")
        #expect(Set(try store.desk.keys(in: Desk.customer)).isEmpty, "no customer profile was written")

        // The agent answers p1; the hub moves p2 to rome and r1 to paris.
        try trio.agentWrites([.makeInsert(EntityRef(Desk.message, "reply-p1"), [
            Field("author", .string("agent")), Field("created_ms", .int(1_767_225_700_000)), Field("direction", .string("outbound")),
            Field("text", .string("try a restart")), Field("ticket", .string("p1")),
        ])], at: 10)
        try trio.hub.write([R.move("p2", to: "rome"), R.move("r1", to: "paris")], at: R.hlc(11))
        try trio.pull()
        try trio.pull()
        try trio.expectSame("after the moves")
        #expect(try Self.deskTickets(store) == ["p1", "r1"])
        #expect(try Self.searchHits(store, "invoice").isEmpty, "p2 left paris: its message is out of the search index")
        #expect(try Self.searchHits(store, "modem") == ["r1"], "r1 arrived whole")
        #expect(try store.desk.thread("p1").count == 2, "the agent's reply is on its ticket")
        #expect(try store.desk.thread("p2").isEmpty)

        // The agent writes in a rome ticket it does not hold: it holds it from now on (it touched it) and wants its
        // history, which it must still want after reopening its store.
        try trio.hub.write(Self.ticket("r2", queue: "rome", customer: "di", word: "antenna"), at: R.hlc(12))
        try trio.agentWrites([.set(entity: EntityRef(Desk.ticket, "r2"), field: "status", value: .string("pending"))], at: 13)
        #expect(trio.node.replica.wanted == [R.t("r2")])

        // Reopened: the same replica, which goes on from where it was.
        let before = trio.node.replica
        try trio.restart()
        try trio.expectSame("reopened")
        #expect(trio.node.replica.request(to: trio.hub.author).vector == before.request(to: trio.hub.author).vector)
        try trio.hub.write([R.move("p2", to: "paris")], at: R.hlc(20))
        try trio.pull()
        try trio.expectSame("p2 back after the restart")
        #expect(try Self.deskTickets(store) == ["p1", "p2", "r1", "r2"], "r2's history came: the node asked for it after reopening")
        #expect(trio.node.replica.wanted.isEmpty)
        #expect(try Self.searchHits(store, "invoice") == ["p2"])
    }

    @Test("an erasure of a held message drops its body from a partial node's store, its search index, and after reopening")
    func erasureReachesThePartialStore() throws {
        var trio = try Trio(queues: ["paris"])
        try trio.hub.write(Self.ticket("p1", queue: "paris", customer: "ana", word: "router"), at: R.hlc(1))
        try trio.pull()
        #expect(try Self.searchHits(trio.node.store, "router") == ["p1"])
        let message = OpRef(author: trio.hub.author, epoch: 1, seq: 2)
        try trio.hub.write([R.erasure(of: [message], in: trio.hub)], at: R.hlc(2))
        try trio.pull()
        try trio.expectSame("erased")
        #expect(trio.twin.bodilessOps == [message])
        #expect(try Self.searchHits(trio.node.store, "router").isEmpty, "the erased text is out of the search index")
        try trio.restart()
        try trio.expectSame("reopened after the erasure")
        #expect(trio.node.replica.bodilessOps == [message], "the store kept the op without its body")
        // A ticket whose message was erased before it reached the node arrives erased.
        try trio.hub.write(Self.ticket("r1", queue: "rome", customer: "bo", word: "modem"), at: R.hlc(3))
        try trio.hub.write([R.erasure(of: [OpRef(author: trio.hub.author, epoch: 1, seq: 6)], in: trio.hub)], at: R.hlc(4))
        try trio.hub.write([R.move("r1", to: "paris")], at: R.hlc(5))
        try trio.pull()
        try trio.expectSame("a ticket that arrived erased")
        #expect(trio.node.replica.bodilessOps.count == 2)
        #expect(try Self.searchHits(trio.node.store, "modem").isEmpty)
        try trio.restart()
        try trio.expectSame("reopened with a ticket that arrived erased")
        // Both leave paris: their erased ops go with them.
        try trio.hub.write([R.move("p1", to: "oslo"), R.move("r1", to: "oslo")], at: R.hlc(6))
        try trio.pull()
        try trio.expectSame("erased ops dropped with their tickets")
        #expect(try Self.deskTickets(trio.node.store).isEmpty && trio.node.replica.bodilessOps.isEmpty)
    }

    @Test("verify checks a partial node's held ops: an altered op, a lost path and a scope gap are named")
    func verifyNamesTamperingOfHeldOps() throws {
        for (sql, fragment) in [
            ("UPDATE op_row SET hlc = hlc + 1 WHERE seq = 5 AND log IN (SELECT log FROM op_prev)", "does not hash to its kept hash"),
            ("DELETE FROM scope_path", "not proved by a kept seal"),
            ("UPDATE op_row SET scope_gap = 4 WHERE seq = 6 AND log IN (SELECT log FROM op_prev)", "the previous op of its scope is not held"),
        ] {
            // One transaction (one seal) with a rome ticket (seqs 1-3) and a paris one (4-6): the node holds 4-6, proved
            // by the path of their scope.
            var trio = try Trio(queues: ["paris"])
            try trio.hub.write(Self.ticket("r1", queue: "rome", customer: "bo", word: "modem")
                               + Self.ticket("p1", queue: "paris", customer: "ana", word: "router"), at: R.hlc(1))
            try trio.pull()
            #expect(trio.node.replica.heldOps.count == 3)
            #expect(try trio.node.store.verify().problems.isEmpty)
            try trio.node.store.writer.write { db in try db.execute(sql: sql) }
            let problems = try trio.node.store.verify().problems
            #expect(problems.contains { $0.contains(fragment) }, "\(sql): \(problems)")
        }
    }

    @Test("an agent's desk writes go through the partial node's store and reach the hub; a ticket it touched comes whole")
    func desksWritesThroughTheStore() throws {
        var hub = PartialReplica(key: R.key(1), subscription: .full)
        let store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        let author = LocalAuthor(key: R.key(2), epoch: 1, format: 2)
        try store.bindLocalLog(author.log, format: 2)
        var node = try PartialStoreNode(key: R.key(2), epoch: 1, founder: nil, store: store, queues: ["paris"])
        hub.subscribe(peer: author.id, node.replica.subscription)
        try hub.write(Self.ticket("p1", queue: "paris", customer: "ana", word: "router"), at: R.hlc(1))
        try hub.write(Self.ticket("r1", queue: "rome", customer: "bo", word: "modem"), at: R.hlc(2))
        func pull() throws {
            try node.adoptLocalAppends(clock: Self.clock)
            let own = node.answer(hub.request(to: author.id), from: hub.author)
            hub.receive(own, from: author.id, fromFull: false)
            try node.receive(hub.answer(node.request(to: hub.author), from: author.id), from: hub.author, fromFull: true, clock: Self.clock)
        }
        try pull()
        #expect(try Self.deskTickets(store) == ["p1"])

        // A reply in p1 and a note in r1, written as the desk writes: through the store. r1 is held from then on.
        try node.appendLocal([.makeInsert(EntityRef(Desk.message, "reply-p1"), [
            Field("author", .string("agent")), Field("created_ms", .int(1_767_225_700_000)), Field("direction", .string("outbound")),
            Field("text", .string("try a restart")), Field("ticket", .string("p1")),
        ])], by: author, clock: Self.clock)
        _ = try store.appendLocal([.set(entity: EntityRef(Desk.ticket, "r1"), field: "status", value: .string("pending"))],
                                  by: author, clock: Self.clock)
        try pull()
        try pull()
        #expect(hub.hash(of: OpRef(author: author.id, epoch: 1, seq: 2)) != nil, "the hub holds the agent's log")
        #expect(node.replica.heldTickets == ["p1", "r1"] && node.replica.wanted.isEmpty)
        #expect(try Self.deskTickets(store) == ["p1", "r1"], "r1 came whole after the agent touched it")
        #expect(try store.desk.thread("p1").count == 2)

        // Reopened: the own log is read back from the store's chain, the rest from what the replica wrote.
        let before = node.replica
        node = try PartialStoreNode(key: R.key(2), epoch: 1, founder: nil, store: store)
        #expect(node.replica.heldOps == before.heldOps && node.replica.heldScopes == before.heldScopes)
        #expect(node.replica.vector == before.vector && node.replica.ownTop == 2)
        try node.appendLocal([.set(entity: EntityRef(Desk.ticket, "p1"), field: "status", value: .string("solved"))],
                             by: author, clock: Self.clock)
        try pull()
        #expect(hub.hash(of: OpRef(author: author.id, epoch: 1, seq: 3)) != nil, "the log goes on after reopening")
        #expect(node.replica.counters.refusedRuns == 0 && node.replica.counters.scopeGaps == 0)
    }

    /// Found by the mesh's store twins: a twin whose store had no founder pinned took every erasure as effective (a lone
    /// node's rule) while its replica refused the agents' erasures by the roster, so the store dropped bodies the replica kept.
    @Test("a partial node pins its founder in its store, and refuses a store of another team")
    func theStoreJudgesErasuresByTheSameFounder() throws {
        let store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        let founder = R.key(1).authorID
        _ = try PartialStoreNode(key: R.key(2), epoch: 1, founder: founder, store: store, queues: ["paris"])
        #expect(try store.team.founder() == founder)
        #expect(throws: PartialNodeError.founderMismatch) {
            try PartialStoreNode(key: R.key(2), epoch: 1, founder: R.key(3).authorID, store: store)
        }
    }

    @Test("a partial node's store judges who may write: a non-member's op is not held, a revoked member's ops go")
    func theStoreJudgesWhoMayWrite() throws {
        let founder = R.key(1).authorID
        var hub = PartialReplica(key: R.key(1), subscription: .full, founder: founder)
        var agent = PartialReplica(key: R.key(7), subscription: .full, founder: founder)
        var stranger = PartialReplica(key: R.key(9), subscription: .full, founder: founder)
        let store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        var node = try PartialStoreNode(key: R.key(2), epoch: 1, founder: founder, store: store, queues: ["paris"])
        hub.subscribe(peer: node.replica.author, node.replica.subscription)
        agent.subscribe(peer: node.replica.author, node.replica.subscription)
        stranger.subscribe(peer: node.replica.author, node.replica.subscription)
        func pull(_ sender: inout PartialReplica) throws {
            let batch = sender.answer(node.request(to: sender.author), from: node.replica.author)
            try node.receive(batch, from: sender.author, fromFull: true, clock: Self.clock)
        }
        func reply(_ id: String, in ticket: String) -> OpBody {
            .makeInsert(EntityRef(Desk.message, id), [Field("author", .string("agent")), Field("created_ms", .int(1_767_225_700_000)),
                                                       Field("direction", .string("outbound")), Field("text", .string("on it")),
                                                       Field("ticket", .string(ticket))])
        }
        func messages() throws -> Set<String> { Set(try store.desk.deskSnapshot().messages.map(\.id)) }

        try hub.write(Self.ticket("p1", queue: "paris", customer: "ana", word: "router")
                      + [RosterChange.body(member: agent.author, .role(.agent))], at: R.hlc(1))
        R.pull(&agent, from: &hub)
        R.pull(&stranger, from: &hub)
        let agentReply = try agent.write([reply("r-agent", in: "p1")], at: R.hlc(2))
        let strangerReply = try stranger.write([reply("r-stranger", in: "p1")], at: R.hlc(3))
        try pull(&hub)
        try pull(&agent)
        try pull(&stranger)
        #expect(try messages() == ["m-p1", "r-agent"], "the stranger's reply is not on the desk")
        let strangerRef = OpRef(author: stranger.author, epoch: 1, seq: strangerReply.lowerBound)
        #expect(node.counters.notAdmitted == 1 && node.replica.hash(of: strangerRef) == nil, "nor held: \(node.counters)")
        #expect(node.replica.wanted.contains(R.t("p1")), "its scope is wanted again (an admission may be on its way)")
        R.pull(&hub, from: &agent)   // the hub is ahead of the node again (its answers are complete)
        try pull(&hub)
        #expect(node.replica.wanted.isEmpty, "the hub sent p1 whole, without it")
        #expect(try store.verify().problems == [])

        // The founder revokes the agent with nothing kept: the agent's reply goes, from the store and the replica.
        try hub.write([RosterChange.body(member: agent.author, .revoke(RevocationCut(kept: [1: 0])))], at: R.hlc(4))
        try pull(&hub)
        let agentRef = OpRef(author: agent.author, epoch: 1, seq: agentReply.lowerBound)
        #expect(try messages() == ["m-p1"], "the revoked agent's reply left the desk")
        #expect(node.counters.removed >= 1 && node.replica.hash(of: agentRef) == nil, "\(node.counters)")
        #expect(try store.verify().problems == [])
        // Reopened, the node holds the same.
        let reopened = try PartialStoreNode(key: R.key(2), epoch: 1, founder: founder, store: store)
        #expect(reopened.replica.heldOps == node.replica.heldOps)
    }

    @Test("a store that holds whole format 2 logs of others cannot become a partial node's")
    func aFullStoreStaysFull() throws {
        let store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        var hub = PartialReplica(key: R.key(1), subscription: .full)
        let full = PartialReplica(key: R.key(3), subscription: .full)
        try hub.write(Self.ticket("p1", queue: "paris", customer: "ana", word: "router"), at: R.hlc(1))
        let batch = hub.answer(full.request(to: hub.author), from: full.author)
        _ = try store.apply(runsV2: batch.runs, clock: Self.clock)
        #expect(throws: PartialNodeError.self) { try PartialStoreNode(key: R.key(2), epoch: 1, founder: nil, store: store, queues: ["paris"]) }
        #expect(try store.partialSubscription() == nil)
    }

    @Test("a partial node's store holds what its twin holds on random moves, writes, lost batches and restarts (seeded)")
    func randomWorkload() throws {
        let seed = UInt64(ProcessInfo.processInfo.environment["ROOST_SEED"] ?? "") ?? UInt64.random(in: 1...UInt64.max)
        print("PartialStoreNodeTests.randomWorkload seed \(seed) (ROOST_SEED=\(seed) to replay)")
        var rng = SplitMix64(seed: seed)
        let queues = ["paris", "rome", "oslo"]
        var trio = try Trio(queues: ["paris"])
        var tickets: [String] = []
        var ms: UInt64 = 1
        for step in 0..<100 {
            ms += 1
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<3:
                let key = "t\(step)"
                tickets.append(key)
                try trio.hub.write(Self.ticket(key, queue: queues.randomElement(using: &rng)!, customer: "u\(Int.random(in: 0..<5, using: &rng))",
                                               word: "w\(step)"), at: R.hlc(ms))
            case 3..<6 where !tickets.isEmpty:
                try trio.hub.write([R.move(tickets.randomElement(using: &rng)!, to: queues.randomElement(using: &rng)!)], at: R.hlc(ms))
            case 6 where !tickets.isEmpty:
                // Mostly a held ticket; sometimes one the node does not hold, which it holds from then on.
                let held = trio.twin.heldTickets.sorted()
                let key = held.isEmpty || Int.random(in: 0..<4, using: &rng) == 0 ? tickets.randomElement(using: &rng)! : held.randomElement(using: &rng)!
                try trio.agentWrites([.set(entity: EntityRef(Desk.ticket, key),
                                           field: "status", value: .string("pending"))], at: ms)
            case 7:
                try trio.hub.write([.makeInsert(EntityRef(Desk.customer, "u\(Int.random(in: 0..<5, using: &rng))"),
                                                [Field("seen", .int(Int64(step)))])], at: R.hlc(ms))
            case 8 where Int.random(in: 0..<2, using: &rng) == 0:
                try trio.restart()
            default:
                break
            }
            if Int.random(in: 0..<3, using: &rng) > 0 { try trio.pull(lost: Int.random(in: 0..<8, using: &rng) == 0) }
            try trio.expectSame("step \(step) (seed \(seed))")
        }
        for _ in 0..<3 { try trio.pull() }
        try trio.restart()
        try trio.expectSame("at the end (seed \(seed))")
        print("randomWorkload: \(trio.node.replica.heldOps.count) ops held, \(trio.node.replica.heldTickets.count) tickets, \(trio.restarts) restarts")
        #expect(trio.restarts > 0 && !trio.node.replica.heldTickets.isEmpty)
        let counters = trio.node.replica.counters
        #expect(counters.refusedRuns == 0 && counters.scopeGaps == 0 && counters.unprovenScopes == 0, "\(counters)")
    }
}
