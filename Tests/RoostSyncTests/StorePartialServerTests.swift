import Foundation
import RoostCore
import RoostCrypto
import RoostStore
@testable import RoostSync
import Testing

// A full node answers partial peers from its store (SPEC-partial.md §P.4, DESIGN-format-2.md F2.9 step (c)(a)): fed the
// same ops as a full PartialReplica, a StorePartialServer over an OpStore answers every request of a partial peer with
// the same batch, op for op.

@Suite struct StorePartialServerTests {
    typealias R = PartialReplicaTests
    static let clock = FixedClock(millis: 1_767_225_600_000 + 100_000_000)

    /// A hub replica and a store fed the same ops, a StorePartialServer and the hub's view of one partial peer. The
    /// peer is two replicas of one key and subscription, writing the same ops: `peer` pulls from the hub replica,
    /// `storePeer` from the store.
    struct Pair {
        var hub: PartialReplica
        let store: OpStore
        var server: StorePartialServer
        var writers: [PartialReplica]
        var peer: PartialReplica
        var storePeer: PartialReplica
        var answers = 0, opsSent = 0, wholeScopes = 0, storeOpsSent = 0, sameRequests = 0

        init(queues: Set<String>) throws {
            hub = PartialReplica(key: R.key(9), subscription: .full)
            store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
            writers = [PartialReplica(key: R.key(1), subscription: .full), PartialReplica(key: R.key(3), subscription: .full)]
            peer = PartialReplica(key: R.key(2), subscription: Subscription(queues: queues))
            storePeer = peer
            hub.subscribe(peer: peer.author, peer.subscription)
            server = try StorePartialServer(peer: peer.author, subscription: peer.subscription, store: store)
        }

        /// Writer `index` writes `bodies`; the hub and the store take them.
        mutating func write(_ index: Int, _ bodies: [OpBody], at ms: UInt64) throws {
            try writers[index].write(bodies, at: R.hlc(ms))
            // Every writer holds every op: writers pull from each other, so a writer's later ops follow what it saw.
            for other in writers.indices where other != index {
                let batch = writers[index].answer(writers[other].request(to: writers[index].author), from: writers[other].author)
                writers[other].receive(batch, from: writers[index].author, fromFull: true)
            }
            var sender = writers[index]
            let batch = sender.answer(hub.request(to: sender.author), from: hub.author)
            try take(batch, from: sender.author, full: true)
        }

        /// The partial peer writes `bodies` (both its replicas: the same ops); the hub and the store take its log.
        mutating func peerWrites(_ bodies: [OpBody], at ms: UInt64) throws {
            try peer.write(bodies, at: R.hlc(ms))
            try storePeer.write(bodies, at: R.hlc(ms))
            let batch = peer.answer(hub.request(to: peer.author), from: hub.author)
            #expect(batch == storePeer.answer(hub.request(to: peer.author), from: hub.author), "the peer's two replicas write the same ops")
            try take(batch, from: peer.author, full: false)
        }

        /// The peer changes its subscription, and tells the hub and the store.
        mutating func resubscribe(_ subscription: Subscription) throws {
            peer.resubscribe(subscription)
            storePeer.resubscribe(subscription)
            hub.subscribe(peer: peer.author, subscription)
            try server.subscribe(subscription, store: store)
        }

        /// The hub takes `batch`, and the store applies the same runs.
        private mutating func take(_ batch: PartialBatch, from sender: AuthorID, full: Bool) throws {
            hub.receive(batch, from: sender, fromFull: full)
            if !batch.runs.isEmpty { _ = try store.apply(runsV2: batch.runs, clock: StorePartialServerTests.clock) }
        }

        /// The peer asks the hub replica, and its twin the store; the twin takes the store's answer, the peer the
        /// replica's, unless the batch is `lost`. `exact`: the answers must be the same batch; otherwise, when the
        /// two requests are the same, the store's must carry every op of the replica's and cover as far.
        mutating func pull(lost: Bool = false, exact: Bool = true, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let request = peer.request(to: hub.author)
            let expected = hub.answer(request, from: peer.author)
            let storeRequest = storePeer.request(to: hub.author)
            let got = try server.answer(storeRequest, from: store)
            if exact {
                #expect(storeRequest == request, "request \(answers)", sourceLocation: sourceLocation)
                #expect(got == expected, "answer \(answers): \(Self.describe(got)) vs the replica's \(Self.describe(expected))",
                        sourceLocation: sourceLocation)
            } else if storeRequest == request {
                sameRequests += 1
                let missing = Self.ops(expected).subtracting(Self.ops(got))
                if !missing.isEmpty, ProcessInfo.processInfo.environment["ROOST_DEBUG"] != nil {
                    for ref in missing.sorted(by: { ($0.author.key.hex, $0.seq) < ($1.author.key.hex, $1.seq) }) {
                        print("missing \(ref) scope \(hub.scope(of: ref)!) held by peer \(peer.heldScopes.contains(hub.scope(of: ref)!))")
                    }
                    print("got whole \(got.backfill.sorted()) expected whole \(expected.backfill.sorted())")
                }
                #expect(missing.isEmpty && got.covered == expected.covered,
                        "answer \(answers): \(missing.count) ops of the replica's answer not in the store's; \(Self.describe(got)) vs \(Self.describe(expected))",
                        sourceLocation: sourceLocation)
            }
            answers += 1
            opsSent += expected.opCount
            storeOpsSent += got.opCount
            wholeScopes += expected.backfill.count
            if !lost {
                peer.receive(expected, from: hub.author, fromFull: true)
                storePeer.receive(got, from: hub.author, fromFull: true)
            }
        }

        static func ops(_ batch: PartialBatch) -> Set<OpRef> {
            Set(batch.runs.flatMap { run in run.ops.map { OpRef(author: run.author, epoch: run.epoch, seq: $0.seq) } })
        }

        static func describe(_ batch: PartialBatch) -> String {
            "#\(batch.number) \(batch.opCount) ops in \(batch.runs.count) runs, \(batch.backfill.count) whole"
                + " (complete \(batch.complete)), covered \(batch.covered.values.sorted())"
        }
    }

    @Test("the store answers a partial peer as the replica does: queues, customers, moves in and out, touched tickets")
    func answersAsTheReplica() throws {
        var pair = try Pair(queues: ["paris"])
        try pair.write(0, [.set(entity: EntityRef("sla-policy", "default"), field: "first_reply_min", value: .int(30))], at: 1)
        try pair.write(0, R.ticket("p1", queue: "paris", customer: "u1") + R.ticket("r1", queue: "rome", customer: "u2")
                          + [.makeInsert(EntityRef(Desk.customer, "u1"), [Field("handle", .string("@u1"))]),
                             .makeInsert(EntityRef(Desk.customer, "u2"), [Field("handle", .string("@u2"))])], at: 2)
        try pair.pull()
        try pair.pull()
        #expect(pair.peer.heldTickets == ["p1"])
        // A ticket moved in comes whole; one moved out is sent once more, then dropped.
        try pair.write(1, [R.move("r1", to: "paris")], at: 3)
        try pair.pull()
        #expect(pair.peer.heldTickets == ["p1", "r1"])
        try pair.write(0, [R.move("p1", to: "rome")], at: 4)
        try pair.pull()
        #expect(pair.peer.heldTickets == ["r1"])
        // The peer writes in a ticket of another queue: it holds it (it touched it), and its new ops reach it.
        try pair.write(0, R.ticket("r2", queue: "rome", customer: "u3"), at: 5)
        try pair.pull()
        try pair.peerWrites([.set(entity: EntityRef(Desk.ticket, "r2"), field: "subject", value: .string("refund"))], at: 6)
        try pair.pull()
        try pair.write(1, [.set(entity: EntityRef(Desk.ticket, "r2"), field: "status", value: .string("open"))], at: 7)
        try pair.pull()
        #expect(pair.peer.heldTickets == ["r1", "r2"])
        // A lost batch: what it sent whole is sent again.
        try pair.write(0, R.ticket("p2", queue: "paris", customer: "u4"), at: 8)
        try pair.write(1, [R.move("p1", to: "paris")], at: 9)
        try pair.pull(lost: true)
        try pair.pull()
        try pair.pull()
        #expect(pair.peer.heldTickets == ["p1", "p2", "r1", "r2"])
        let counters = pair.peer.counters
        #expect(counters.refusedRuns == 0 && counters.scopeGaps == 0 && counters.unprovenScopes == 0, "\(counters)")
        #expect(pair.wholeScopes > 0 && pair.opsSent > 0)
    }

    @Test("regression (seed 9296003398375601292): a customer whose ticket entered and left between two requests is sent once more")
    func customerOfATicketInAndOut() throws {
        var pair = try Pair(queues: ["oslo"])
        try pair.write(0, [.makeInsert(EntityRef(Desk.customer, "u1"), [Field("seen", .int(1))])], at: 1)
        try pair.pull()
        try pair.write(0, R.ticket("t6", queue: "oslo", customer: "u1"), at: 2)
        try pair.write(1, [R.move("t6", to: "rome")], at: 3)
        let customerOp = OpRef(author: R.key(1).authorID, epoch: 1, seq: 1)
        let before = pair.storeOpsSent
        try pair.pull()
        #expect(pair.storeOpsSent - before == 5, "t6's three ops, its move, and u1's profile once more")
        #expect(pair.peer.heldTickets.isEmpty && pair.storePeer.heldOps[customerOp] == nil)
    }

    @Test("regression (seed 14028725458156260360): a ticket that entered and left before the peer's first request is sent once more")
    func inAndOutBeforeTheFirstRequest() throws {
        var pair = try Pair(queues: ["paris"])
        try pair.write(0, R.ticket("p1", queue: "paris", customer: "u1"), at: 1)
        try pair.write(1, [R.move("p1", to: "rome")], at: 2)
        try pair.pull()
        #expect(pair.storeOpsSent == 4, "p1's ops once more: the peer may hold p1 from another full peer that missed the move")
        #expect(pair.storePeer.heldTickets.isEmpty)
    }

    @Test("the store answers as the replica on random moves, writes, subscriptions and lost batches (seeded)")
    func randomWorkload() throws {
        let seed = UInt64(ProcessInfo.processInfo.environment["ROOST_SEED"] ?? "") ?? UInt64.random(in: 1...UInt64.max)
        print("StorePartialServerTests.randomWorkload seed \(seed) (ROOST_SEED=\(seed) to replay)")
        var rng = SplitMix64(seed: seed)
        let queues = ["paris", "rome", "oslo"]
        var pair = try Pair(queues: ["paris", "oslo"])
        var tickets: [String] = []
        var ms: UInt64 = 1
        for step in 0..<120 {
            ms += 1
            let writer = Int.random(in: 0...1, using: &rng)
            switch Int.random(in: 0..<10, using: &rng) {
            case 0..<3:
                let key = "t\(step)"
                tickets.append(key)
                try pair.write(writer, R.ticket(key, queue: queues.randomElement(using: &rng)!,
                                                customer: "u\(Int.random(in: 0..<6, using: &rng))"), at: ms)
            case 3..<6 where !tickets.isEmpty:
                try pair.write(writer, [R.move(tickets.randomElement(using: &rng)!, to: queues.randomElement(using: &rng)!)], at: ms)
            case 6 where !tickets.isEmpty:
                try pair.peerWrites([.set(entity: EntityRef(Desk.ticket, tickets.randomElement(using: &rng)!), field: "note",
                                          value: .int(Int64(step)))], at: ms)
            case 8 where Int.random(in: 0..<3, using: &rng) == 0:
                let subscription = Subscription(queues: Set(queues.filter { _ in Bool.random(using: &rng) }).union(["oslo"]))
                try pair.resubscribe(subscription)
            case 7:
                try pair.write(writer, [.makeInsert(EntityRef(Desk.customer, "u\(Int.random(in: 0..<6, using: &rng))"),
                                                    [Field("seen", .int(Int64(step)))])], at: ms)
            default:
                break
            }
            if Int.random(in: 0..<3, using: &rng) > 0 { try pair.pull(lost: Int.random(in: 0..<8, using: &rng) == 0, exact: false) }
        }
        for _ in 0..<4 { try pair.pull(exact: false) }
        print("randomWorkload: \(pair.answers) answers (\(pair.sameRequests) to the same request), ops sent \(pair.storeOpsSent) from the store, \(pair.opsSent) from the replica")
        #expect(pair.answers > 60 && pair.wholeScopes > 0 && pair.sameRequests > 0)
        #expect(pair.storePeer.heldOps == pair.peer.heldOps, "the peer served by the store holds what the one served by the replica holds")
        #expect(pair.storePeer.heldTickets == pair.peer.heldTickets)
        for counters in [pair.peer.counters, pair.storePeer.counters] {
            #expect(counters.refusedRuns == 0 && counters.scopeGaps == 0 && counters.unprovenScopes == 0, "\(counters)")
        }
    }
}
