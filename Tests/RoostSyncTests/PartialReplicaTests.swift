import Foundation
import RoostCore
import RoostCrypto
@testable import RoostSync
import Testing

// Partial replication (Protocol/SPEC-partial.md) between PartialReplica values: what a partial node is sent, what it
// refuses, and what it drops. PartialMeshTests runs the same code at team size.

@Suite struct PartialReplicaTests {
    static func key(_ byte: UInt8) -> SigningKey { try! SigningKey(seed: [UInt8](repeating: byte, count: 32)) }
    static func hlc(_ ms: UInt64) -> HLC { HLC(physicalMillis: 1_767_225_600_000 + ms, logical: 0) }
    static let g = OpCryptoV2.scopeID(Scope.global)
    static func t(_ key: String) -> ScopeID { OpCryptoV2.scopeID(Scope.ticket(key)) }

    static func ticket(_ key: String, queue: String, customer: String) -> [OpBody] {
        [.makeInsert(EntityRef(Desk.ticket, key), [Field("customer", .string(customer))]),
         .makeInsert(EntityRef(Desk.message, "m-" + key), [Field("text", .string("help")), Field("ticket", .string(key))]),
         .set(entity: EntityRef(Desk.ticket, key), field: "queue", value: .string(queue))]
    }

    static func move(_ key: String, to queue: String) -> OpBody {
        .set(entity: EntityRef(Desk.ticket, key), field: "queue", value: .string(queue))
    }

    /// Two full hubs (keys 1 and 3) and a node subscribed to `paris` (key 2) whose subscription both have heard.
    static func twoHubsAndParis() -> (PartialReplica, PartialReplica, PartialReplica) {
        var a = PartialReplica(key: key(1), subscription: .full)
        var b = PartialReplica(key: key(3), subscription: .full)
        let paris = PartialReplica(key: key(2), subscription: Subscription(queues: ["paris"]))
        a.subscribe(peer: paris.author, paris.subscription)
        b.subscribe(peer: paris.author, paris.subscription)
        return (a, b, paris)
    }

    /// A full hub and an agent subscribed to `queues`, the hub told of the agent's subscription.
    static func hubAndAgent(queues: Set<String>) -> (PartialReplica, PartialReplica) {
        var hub = PartialReplica(key: key(1), subscription: .full)
        let agent = PartialReplica(key: key(2), subscription: Subscription(queues: queues))
        hub.subscribe(peer: agent.author, agent.subscription)
        return (hub, agent)
    }

    /// `receiver` pulls from `sender` once.
    static func pull(_ receiver: inout PartialReplica, from sender: inout PartialReplica) {
        let batch = sender.answer(receiver.request(to: sender.author), from: receiver.author)
        receiver.receive(batch, from: sender.author, fromFull: sender.isFull)
    }

    @Test("a partial node is sent g, its queue's tickets and their customers, and nothing else")
    func sentOnlyItsQueues() throws {
        var (hub, paris) = Self.hubAndAgent(queues: ["paris"])
        try hub.write([.set(entity: EntityRef("sla-policy", "default"), field: "first_reply_min", value: .int(30))], at: Self.hlc(1))
        try hub.write(Self.ticket("p1", queue: "paris", customer: "u1") + Self.ticket("r1", queue: "rome", customer: "u2")
                      + [.makeInsert(EntityRef(Desk.customer, "u1"), [Field("handle", .string("@u1"))]),
                         .makeInsert(EntityRef(Desk.customer, "u2"), [Field("handle", .string("@u2"))])], at: Self.hlc(2))
        Self.pull(&paris, from: &hub)
        Self.pull(&paris, from: &hub)
        let scopes = Set(paris.heldOps.keys.map { paris.scope(of: $0)! })
        #expect(scopes == [Self.g, Self.t("p1"), OpCryptoV2.scopeID("c/u1")])
        #expect(paris.heldOps.count == 5)   // the policy, p1's three ops, u1's profile
        #expect(paris.counters == PartialCounters(), "\(paris.counters)")
        #expect(paris.wanted.isEmpty)
    }

    @Test("a ticket moved out of the queue is dropped; moved back in, it comes back whole")
    func movesDropAndBringBack() throws {
        var (hub, paris) = Self.hubAndAgent(queues: ["paris"])
        try hub.write(Self.ticket("p1", queue: "paris", customer: "u1"), at: Self.hlc(1))
        Self.pull(&paris, from: &hub)
        #expect(paris.heldTickets == ["p1"])
        #expect(paris.heldOps.count == 3)
        try hub.write([Self.move("p1", to: "rome")], at: Self.hlc(2))
        Self.pull(&paris, from: &hub)
        #expect(paris.heldTickets.isEmpty)
        #expect(paris.heldOps.isEmpty, "every op of the ticket dropped")
        try hub.write([.set(entity: EntityRef(Desk.ticket, "p1"), field: "subject", value: .string("router"))], at: Self.hlc(3))
        Self.pull(&paris, from: &hub)
        #expect(paris.heldOps.isEmpty, "ops of a ticket in another queue are not sent")
        try hub.write([Self.move("p1", to: "paris")], at: Self.hlc(4))
        Self.pull(&paris, from: &hub)
        #expect(paris.heldTickets == ["p1"])
        #expect(paris.heldOps.count == 6, "the whole history, the ops written while it was away included")
        #expect(paris.queue(of: "p1") == "paris")
    }

    @Test("an agent keeps the tickets it wrote in after they leave its queues; unsubscribing drops the rest")
    func touchedTicketsStayAndUnsubscribingDrops() throws {
        var (hub, agent) = Self.hubAndAgent(queues: ["paris"])
        try hub.write(Self.ticket("p1", queue: "paris", customer: "u1") + Self.ticket("p2", queue: "paris", customer: "u2"),
                      at: Self.hlc(1))
        Self.pull(&agent, from: &hub)
        try agent.write([.claim(entity: EntityRef(Desk.ticket, "p1"), action: .claim, holder: agent.author, leaseSeconds: 900,
                                observed: nil)], at: Self.hlc(2))
        Self.pull(&hub, from: &agent)
        try hub.write([Self.move("p1", to: "rome"), Self.move("p2", to: "rome")], at: Self.hlc(3))
        Self.pull(&agent, from: &hub)
        #expect(agent.heldTickets == ["p1"], "p1 was claimed by this agent, p2 was not")
        #expect(agent.coverage.description == "covers the 0 tickets of queues paris and 1 this agent worked on in other queues")
        #expect(hub.coverage.description == "covers the whole team (2 tickets)")
        agent.resubscribe(Subscription(queues: ["oslo"]))
        hub.subscribe(peer: agent.author, agent.subscription)
        #expect(agent.heldTickets == ["p1"])
        Self.pull(&agent, from: &hub)
        #expect(agent.heldTickets == ["p1"])
        #expect(agent.counters.dropped >= 3)
    }

    @Test("regression (mesh seed 1572930): a ticket a hub owes a node whole, moved out meanwhile on another hub, ends dropped")
    func staleBackfillAfterTheMoveOutIsUndone() throws {
        var (a, b, paris) = Self.twoHubsAndParis()
        try a.write(Self.ticket("k", queue: "rome", customer: "u1"), at: Self.hlc(1))
        Self.pull(&b, from: &a)
        Self.pull(&paris, from: &a)
        Self.pull(&paris, from: &b)
        try b.write([Self.move("k", to: "paris")], at: Self.hlc(2))     // a lead on b moves it in
        Self.pull(&a, from: &b)
        try a.write([Self.move("k", to: "oslo")], at: Self.hlc(3))      // and one on a moves it on
        Self.pull(&paris, from: &a)                                     // paris's vector passes the move out
        #expect(paris.heldTickets.isEmpty)
        Self.pull(&paris, from: &b)                                     // b, stale, owes paris k whole, but is
        #expect(paris.heldTickets == ["k"] && paris.wanted.contains(Self.t("k")),
                "behind paris's vector: what it sends whole is marked incomplete, so paris holds k and still wants it")
        Self.pull(&b, from: &a)                                         // b sees the move out
        Self.pull(&paris, from: &b)
        #expect(paris.heldTickets.isEmpty, "b sends a scope the peer left whole once more, so the move out arrives")
        #expect(paris.heldOps.isEmpty)
    }

    @Test("a hub behind the node's vector sends an entering ticket once, marked incomplete: held at once, wanted until a hub ahead sends it")
    func incompleteWholeScopesAreHeldAndWanted() throws {
        var (a, b, paris) = Self.twoHubsAndParis()
        try b.write([.set(entity: EntityRef("sla-policy", "default"), field: "first_reply_min", value: .int(30))], at: Self.hlc(1))
        Self.pull(&paris, from: &b)                        // paris's vector has b's log; a, partitioned from b, does not
        try a.write(Self.ticket("k", queue: "paris", customer: "u1"), at: Self.hlc(2))
        let first = a.answer(paris.request(to: a.author), from: paris.author)
        #expect(!first.complete && first.backfill.contains(Self.t("k")))
        paris.receive(first, from: a.author, fromFull: true)
        #expect(paris.heldTickets == ["k"], "the ticket reaches paris during the partition")
        #expect(paris.wanted.contains(Self.t("k")), "and stays wanted: ops of it in b's log below paris's vector may be missing")
        #expect(paris.request(to: b.author).have.isEmpty, "an incomplete scope is not reported as had")
        let again = a.answer(paris.request(to: a.author), from: paris.author)
        #expect(again.opCount == 0 && again.backfill.isEmpty, "sent once while behind, not every round")
        Self.pull(&a, from: &b)                            // the partition heals
        let complete = a.answer(paris.request(to: a.author), from: paris.author)
        #expect(complete.complete && complete.backfill.contains(Self.t("k")))
        paris.receive(complete, from: a.author, fromFull: true)
        #expect(paris.wanted.isEmpty && paris.heldOps.count == 4)
    }

    @Test("a lost batch's whole tickets are sent again: the next request acknowledges only what arrived")
    func lostWholeScopesAreSentAgain() throws {
        var (hub, paris) = Self.hubAndAgent(queues: ["paris"])
        try hub.write(Self.ticket("k", queue: "rome", customer: "u1"), at: Self.hlc(1))
        Self.pull(&paris, from: &hub)                                   // paris's vector passes k's history
        #expect(paris.heldOps.isEmpty)
        try hub.write([Self.move("k", to: "paris")], at: Self.hlc(2))
        let lost = hub.answer(paris.request(to: hub.author), from: paris.author)
        #expect(lost.backfill == [Self.t("k"), OpCryptoV2.scopeID("c/u1")] && lost.number == 2)
        Self.pull(&paris, from: &hub)                                   // the request still acknowledges batch 1
        #expect(paris.heldTickets == ["k"])
        #expect(paris.heldOps.count == 4, "k's four ops, its history included")
    }

    @Test("regression (mesh seed 110): a hub behind the node's vector does not answer a want-scope as whole, so the node keeps wanting it")
    func aHubBehindDoesNotSatisfyAWant() throws {
        var (ahead, behind, paris) = Self.twoHubsAndParis()
        try ahead.write(Self.ticket("p1", queue: "paris", customer: "u1")
                        + [.makeInsert(EntityRef(Desk.customer, "u1"), [Field("handle", .string("@u1"))])], at: Self.hlc(1))
        var batch = ahead.answer(paris.request(to: ahead.author), from: paris.author)
        let u1 = OpCryptoV2.scopeID("c/u1")
        batch.backfill.remove(u1)
        batch.runs = batch.runs.map { run in
            var run = run
            run.ops.removeAll { $0.scope == u1 }
            run.seals.removeAll { $0.path?.scope == u1 }
            return run
        }
        paris.receive(batch, from: ahead.author, fromFull: true)    // u1's profile did not come with p1
        #expect(paris.heldTickets == ["p1"] && paris.wanted == [u1])
        Self.pull(&paris, from: &behind)                             // behind holds nothing yet
        #expect(paris.wanted == [u1], "an answer from a hub behind the node's vector does not end the want")
        Self.pull(&paris, from: &ahead)
        #expect(paris.wanted.isEmpty)
        #expect(paris.heldOps.count == 4)
    }

    @Test("regression (mesh seed 1): a customer released by one ticket and retained by another in one batch is kept")
    func aCustomerPassedBetweenTicketsIsKept() throws {
        var (hub, paris) = Self.hubAndAgent(queues: ["paris"])
        try hub.write([.makeInsert(EntityRef(Desk.customer, "u1"), [Field("handle", .string("@u1"))])]
                      + Self.ticket("k1", queue: "paris", customer: "u1") + Self.ticket("k2", queue: "rome", customer: "u1"),
                      at: Self.hlc(1))
        Self.pull(&paris, from: &hub)
        #expect(paris.heldTickets == ["k1"] && paris.heldOps.count == 4)
        try hub.write([Self.move("k1", to: "rome"), Self.move("k2", to: "paris")], at: Self.hlc(2))
        Self.pull(&paris, from: &hub)
        #expect(paris.heldTickets == ["k2"])
        #expect(paris.heldOps.keys.contains { paris.scope(of: $0) == OpCryptoV2.scopeID("c/u1") }, "u1's profile is still held")
        #expect(paris.wanted.isEmpty)
        #expect(paris.heldOps.count == 5, "k2's three ops and its move, and u1")
    }

    @Test("regression (mesh seed 1572930, 100,000 tickets): a ticket dropped on stale facts when its queue is unsubscribed comes back")
    func aTicketDroppedOnStaleFactsComesBack() throws {
        var (hub, agent) = Self.hubAndAgent(queues: ["paris", "rome"])
        try hub.write(Self.ticket("k", queue: "rome", customer: "u1")
                      + [.makeInsert(EntityRef(Desk.customer, "u1"), [Field("handle", .string("@u1"))])], at: Self.hlc(1))
        Self.pull(&agent, from: &hub)
        #expect(agent.heldTickets == ["k"])
        try hub.write([Self.move("k", to: "paris")], at: Self.hlc(2))   // while the agent is offline
        agent.resubscribe(Subscription(queues: ["paris"]))              // it leaves rome: k is in rome as far as it knows
        hub.subscribe(peer: agent.author, agent.subscription)           // k is in paris as far as the hub knows: no change
        #expect(agent.heldTickets.isEmpty)
        Self.pull(&agent, from: &hub)   // the move, a new op of a scope the hub thinks the agent holds, arrives alone
        Self.pull(&agent, from: &hub)   // k whole, for the agent wants it now; u1 is wanted in turn
        Self.pull(&agent, from: &hub)
        #expect(agent.heldTickets == ["k"], "the move into a subscribed queue brings the ticket back whole")
        #expect(agent.heldOps.count == 5, "k's three ops, its move, and u1's profile")
        #expect(agent.wanted.isEmpty)
    }

    @Test("a ticket a node got whole from one hub is not sent whole by the other: the request says have-scope")
    func haveScopeStopsTheSecondWholeSend() throws {
        var (a, b, paris) = Self.twoHubsAndParis()
        try a.write(Self.ticket("k", queue: "rome", customer: "u1"), at: Self.hlc(1))
        Self.pull(&b, from: &a)
        Self.pull(&paris, from: &a)
        Self.pull(&paris, from: &b)
        try a.write([Self.move("k", to: "paris")], at: Self.hlc(2))
        Self.pull(&b, from: &a)                                   // both hubs now owe paris k whole
        Self.pull(&paris, from: &a)
        #expect(paris.heldTickets == ["k"] && paris.heldOps.count == 4)
        let request = paris.request(to: b.author)
        #expect(request.have == [Self.t("k"), OpCryptoV2.scopeID("c/u1")], "k and its customer came whole from a")
        #expect(paris.request(to: a.author).have.isEmpty, "not reported back to the hub that sent it")
        let second = b.answer(request, from: paris.author)
        #expect(second.backfill.isEmpty && second.opCount == 0, "b sends nothing of k again")
        paris.receive(second, from: b.author, fromFull: true)
        #expect(paris.request(to: b.author).have.isEmpty, "reported once b has answered")
        #expect(paris.counters.duplicates == 0)
    }

    @Test("a subscription changed offline: hubs that have not heard it send the old queue's ops, which are not held; on subscribe, the new queue's tickets come whole")
    func aSubscriptionChangedOfflineReachesTheHubsLater() throws {
        var (hub, agent) = Self.hubAndAgent(queues: ["rome"])
        try hub.write(Self.ticket("r1", queue: "rome", customer: "u1") + Self.ticket("o1", queue: "oslo", customer: "u2"),
                      at: Self.hlc(1))
        Self.pull(&agent, from: &hub)
        #expect(agent.heldTickets == ["r1"])
        agent.resubscribe(Subscription(queues: ["oslo"]))       // offline: the hub does not know yet
        #expect(agent.heldTickets.isEmpty)
        try hub.write([.set(entity: EntityRef(Desk.ticket, "r1"), field: "subject", value: .string("router"))], at: Self.hlc(2))
        Self.pull(&agent, from: &hub)                            // the hub still sends r1's new op
        #expect(agent.heldOps.isEmpty, "an op of a ticket of the old queue is not held")
        #expect(agent.wanted.isEmpty)
        hub.subscribe(peer: agent.author, agent.subscription)   // online again: subscribe
        Self.pull(&agent, from: &hub)
        #expect(agent.heldTickets == ["o1"] && agent.heldOps.count == 3, "o1 whole")
        try hub.write([.set(entity: EntityRef(Desk.ticket, "r1"), field: "subject", value: .string("modem"))], at: Self.hlc(3))
        let batch = hub.answer(agent.request(to: hub.author), from: agent.author)
        #expect(batch.opCount == 0, "r1's ops are no longer sent")
    }

    @Test("batches are cut at seals to SyncLimits.partialBatchOps: a peer far behind catches up over several")
    func batchesAreCutAtTheLimit() throws {
        var hub = PartialReplica(key: Self.key(1), subscription: .full)
        var paris = PartialReplica(key: Self.key(2), subscription: Subscription(queues: ["paris"]))
        var full = PartialReplica(key: Self.key(3), subscription: .full)
        hub.subscribe(peer: paris.author, paris.subscription)
        let transactions = 25, perTransaction = 250   // 4 ops a ticket: 25,000 ops, over the 20,000 limit
        for t in 0..<transactions {
            var bodies: [OpBody] = []
            for i in 0..<perTransaction {
                let key = "k\(t)-\(i)"
                bodies += [.makeInsert(EntityRef(Desk.customer, "u" + key), [])] + Self.ticket(key, queue: "paris", customer: "u" + key)
            }
            try hub.write(bodies, at: Self.hlc(UInt64(t + 1)))
        }
        let first = hub.answer(full.request(to: hub.author), from: full.author)
        #expect(first.opCount == SyncLimits.partialBatchOps, "whole seal ranges up to the limit")
        full.receive(first, from: hub.author, fromFull: true)
        Self.pull(&full, from: &hub)
        #expect(full.heldOps.count == 25_000)
        var batches = 0
        while batches < 10 {
            let batch = hub.answer(paris.request(to: hub.author), from: paris.author)
            if batch.runs.isEmpty && batch.covered.isEmpty { break }
            #expect(batch.opCount <= SyncLimits.partialBatchOps + 4)
            paris.receive(batch, from: hub.author, fromFull: true)
            batches += 1
        }
        #expect(batches >= 2)
        #expect(paris.heldOps.count == 25_000 && paris.heldTickets.count == transactions * perTransaction)
        #expect(paris.counters.refusedRuns == 0 && paris.counters.unprovenScopes == 0)
        // Ops sent whole in an acknowledged batch are not sent again as new ops of a held scope.
        #expect(paris.counters.duplicates == 0, "\(paris.counters.duplicates) ops received twice")
    }

    @Test("an op missing from a scope chain is a gap: nothing of that scope is held, and the scope is wanted again")
    func scopeGapIsRefusedAndWanted() throws {
        var (hub, paris) = Self.hubAndAgent(queues: ["paris"])
        try hub.write(Self.ticket("p1", queue: "paris", customer: "u1"), at: Self.hlc(1))
        Self.pull(&paris, from: &hub)
        #expect(paris.heldOps.count == 3)
        try hub.write([.set(entity: EntityRef(Desk.ticket, "p1"), field: "subject", value: .string("a"))], at: Self.hlc(2))
        try hub.write([.set(entity: EntityRef(Desk.ticket, "p1"), field: "subject", value: .string("b"))], at: Self.hlc(3))
        var batch = hub.answer(paris.request(to: hub.author), from: paris.author)
        #expect(batch.runs.count == 1 && batch.runs[0].ops.count == 2)
        batch.runs[0].ops.removeFirst()                                 // a relay withholds the first edit
        batch.runs[0].ops[0].prev = batch.runs[0].ops[0].prev ?? hub.hash(of: OpRef(author: hub.author, epoch: 1, seq: 4))
        batch.runs[0].ops[0].scopePrev = 4                              // as its header says: the withheld edit
        paris.receive(batch, from: hub.author, fromFull: true)
        #expect(paris.counters.scopeGaps == 1)
        #expect(paris.heldOps.count == 3, "the op after the gap is not held")
        #expect(paris.wanted == [Self.t("p1")])
        Self.pull(&paris, from: &hub)                                   // want-scope answered whole
        #expect(paris.heldOps.count == 5)
        #expect(paris.wanted.isEmpty)
    }

    @Test("a forged body, a forged inclusion path or a withheld seal: nothing of the scope is held")
    func forgeriesAreRefused() throws {
        var hub = PartialReplica(key: Self.key(1), subscription: .full)
        hub.subscribe(peer: Self.key(2).authorID, Subscription(queues: ["paris"]))
        try hub.write(Self.ticket("p1", queue: "paris", customer: "u1") + Self.ticket("r1", queue: "rome", customer: "u2"),
                      at: Self.hlc(1))
        let fresh = PartialReplica(key: Self.key(2), subscription: Subscription(queues: ["paris"]))
        let batch = hub.answer(fresh.request(to: hub.author), from: fresh.author)
        #expect(batch.runs[0].seals.count == 1 && batch.runs[0].seals[0].path != nil)

        var tampered = batch
        if case var .body(bytes) = tampered.runs[0].ops[1].payload {
            bytes[bytes.count - 2] ^= 1
            tampered.runs[0].ops[1].payload = .body(bytes)
        }
        var a = fresh
        a.receive(tampered, from: hub.author, fromFull: true)
        #expect(a.heldOps.isEmpty)
        #expect(a.counters.refusedRuns + a.counters.unprovenScopes == 1, "\(a.counters)")

        var forgedPath = batch
        forgedPath.runs[0].seals[0].path!.hashes[0] = Bytes32(Array(repeating: 7, count: 32))!
        var b = fresh
        b.receive(forgedPath, from: hub.author, fromFull: true)
        #expect(b.heldOps.isEmpty)
        #expect(b.counters.unprovenScopes == 1)

        var unsealed = batch
        unsealed.runs[0].seals = []
        var c = fresh
        c.receive(unsealed, from: hub.author, fromFull: true)
        #expect(c.heldOps.isEmpty)
        #expect(c.counters.unprovenScopes == 1)

        var d = fresh
        d.receive(batch, from: hub.author, fromFull: true)
        #expect(d.heldOps.count == 3, "the untouched batch is held")
    }

    @Test("an op that arrives erased is held as its header: the scope chain goes on, and it is passed on erased")
    func erasedOpsKeepTheChain() throws {
        var hub = PartialReplica(key: Self.key(1), subscription: .full)
        hub.subscribe(peer: Self.key(2).authorID, Subscription(queues: ["paris"]))
        try hub.write(Self.ticket("p1", queue: "paris", customer: "u1"), at: Self.hlc(1))
        var paris = PartialReplica(key: Self.key(2), subscription: Subscription(queues: ["paris"]))
        var batch = hub.answer(paris.request(to: hub.author), from: paris.author)
        let message = try #require(batch.runs[0].ops.firstIndex { $0.seq == 2 })   // m-p1, the customer's text
        guard case let .body(bytes) = batch.runs[0].ops[message].payload else { Issue.record("sent erased"); return }
        batch.runs[0].ops[message].payload = .erased(length: UInt32(bytes.count), hash: OpCrypto.bodyHash(bytes))
        paris.receive(batch, from: hub.author, fromFull: true)
        #expect(paris.counters == PartialCounters(), "\(paris.counters)")
        #expect(paris.heldOps.count == 3 && paris.heldTickets == ["p1"])
        #expect(paris.storage.bytes == 3 * OpHeaderV2.encodedLength + batch.runs[0].ops.reduce(0) { sum, op in
            if case let .body(b) = op.payload { return sum + b.count } else { return sum } })
        // A full node that received it erased holds it as a header too, and passes it on erased.
        var wholeBatch = hub.answer(PartialRequest(vector: [:], want: []), from: Self.key(9).authorID)
        let at = try #require(wholeBatch.runs[0].ops.firstIndex { $0.seq == 2 })
        wholeBatch.runs[0].ops[at].payload = batch.runs[0].ops[message].payload
        var relay = PartialReplica(key: Self.key(3), subscription: .full)
        relay.receive(wholeBatch, from: hub.author, fromFull: true)
        #expect(relay.heldOps.count == 3 && relay.counters == PartialCounters(), "\(relay.counters)")
        relay.subscribe(peer: Self.key(4).authorID, Subscription(queues: ["paris"]))
        var other = PartialReplica(key: Self.key(4), subscription: Subscription(queues: ["paris"]))
        Self.pull(&other, from: &relay)
        #expect(other.heldOps.count == 3 && other.counters == PartialCounters(), "\(other.counters)")
        #expect(other.storage == paris.storage)
    }

    /// An erasure (SPEC.md §1.9) of the ops at `refs`, as `replica` holds them.
    static func erasure(of refs: [OpRef], in replica: PartialReplica) -> OpBody {
        let targets = refs.map { ref in
            let op = replica.logs[ref.log]!.ops[ref.seq]!
            return Erasure.Target(ref: ref, hash: op.hash, residue: Redaction.residue(of: op.decoded!))
        }
        return Erasure(reason: "gdpr", customer: "u1", targets: targets).body(id: String(repeating: "ab", count: 16))
    }

    @Test("an erasure reaches every replica holding the erased ops, whenever it arrives, and ops sent later arrive erased")
    func erasuresReachPartialReplicas() throws {
        var a = PartialReplica(key: Self.key(1), subscription: .full)
        var b = PartialReplica(key: Self.key(3), subscription: .full)
        var paris = PartialReplica(key: Self.key(2), subscription: Subscription(queues: ["paris"]))
        var oslo = PartialReplica(key: Self.key(4), subscription: Subscription(queues: ["oslo"]))
        for hub in [0, 1] {
            for node in [paris, oslo] {
                if hub == 0 { a.subscribe(peer: node.author, node.subscription) } else { b.subscribe(peer: node.author, node.subscription) }
            }
        }
        let written = try a.write([.makeInsert(EntityRef(Desk.customer, "u1"), [Field("handle", .string("@u1"))])]
                                  + Self.ticket("p1", queue: "paris", customer: "u1"), at: Self.hlc(1))
        let refs = written.map { OpRef(author: a.author, epoch: 1, seq: $0) }
        let profile = refs[0], message = refs[2]
        Self.pull(&b, from: &a)                                  // b holds every body
        Self.pull(&paris, from: &a)
        #expect(paris.heldOps.count == 4 && paris.bodilessOps.isEmpty)
        try a.write([Self.erasure(of: [profile, message], in: a)], at: Self.hlc(2))
        #expect(a.bodilessOps == [profile, message], "the writer erases at once")
        Self.pull(&paris, from: &a)
        #expect(paris.bodilessOps == [profile, message], "a partial node holding the ops erases them")
        #expect(paris.heldTickets == ["p1"] && paris.queue(of: "p1") == "paris", "what the residues keep still routes")
        try b.write([Self.move("p1", to: "oslo")], at: Self.hlc(3))   // b has not merged the erasure: it sends bodies
        Self.pull(&oslo, from: &b)
        #expect(oslo.heldTickets == ["p1"] && oslo.bodilessOps.isEmpty)
        Self.pull(&oslo, from: &a)                               // the erasure, in g
        #expect(oslo.bodilessOps == [profile, message], "held ops named by an erasure that arrives later are erased")
        #expect(oslo.heldOps.count == 4 + 1 + 1, "p1's history and u1's profile, the move, the erasure")
        Self.pull(&b, from: &a)
        #expect(b.bodilessOps == [profile, message], "a full replica erases what it held")
        Self.pull(&a, from: &b)                                  // a learns the move to oslo
        var late = PartialReplica(key: Self.key(5), subscription: Subscription(queues: ["oslo"]))
        a.subscribe(peer: late.author, late.subscription)
        Self.pull(&late, from: &a)
        Self.pull(&late, from: &a)
        #expect(late.heldTickets == ["p1"] && late.bodilessOps == [profile, message], "sent erased, held erased")
        #expect(late.counters.refusedRuns == 0 && late.counters.unprovenScopes == 0)
    }

    @Test("an erasure counts only when the roster lets its author erase, whatever order the roster ops and it arrive in")
    func erasuresAreJudgedByTheRoster() throws {
        let founder = Self.key(1).authorID
        var hub = PartialReplica(key: Self.key(1), subscription: .full, founder: founder)
        var lead = PartialReplica(key: Self.key(6), subscription: .full, founder: founder)
        var agent = PartialReplica(key: Self.key(7), subscription: .full, founder: founder)
        var paris = PartialReplica(key: Self.key(2), subscription: Subscription(queues: ["paris"]), founder: founder)
        for peer in [paris] {
            hub.subscribe(peer: peer.author, peer.subscription)
            lead.subscribe(peer: peer.author, peer.subscription)
            agent.subscribe(peer: peer.author, peer.subscription)
        }
        let written = try hub.write([.makeInsert(EntityRef(Desk.customer, "u1"), [Field("handle", .string("@u1"))])]
                                    + Self.ticket("p1", queue: "paris", customer: "u1")
                                    + [RosterChange.body(member: agent.author, .role(.agent))], at: Self.hlc(1))
        let refs = written.map { OpRef(author: hub.author, epoch: 1, seq: $0) }
        let targets = [refs[0], refs[2]]                           // u1's profile and p1's message
        Self.pull(&lead, from: &hub)
        Self.pull(&agent, from: &hub)
        func erasure(of refs: [OpRef], in replica: PartialReplica, id: String, reason: String = "gdpr") -> OpBody {
            let targets = refs.map { ref in
                let op = replica.logs[ref.log]!.ops[ref.seq]!
                return Erasure.Target(ref: ref, hash: op.hash, residue: Redaction.residue(of: op.decoded!))
            }
            return Erasure(reason: reason, customer: "u1", targets: targets).body(id: String(repeating: id, count: 32))
        }
        // The lead erases before it is made a lead; the founder makes it one (stamp before the erasure's) only after.
        let leadErasure = try lead.write([erasure(of: targets, in: lead, id: "a")], at: Self.hlc(3))
        try agent.write([erasure(of: targets, in: agent, id: "b")], at: Self.hlc(4))
        #expect(agent.bodilessOps.isEmpty && agent.refusedErasures.count == 1, "an agent's erasure erases nothing")
        Self.pull(&paris, from: &lead)
        Self.pull(&paris, from: &agent)
        #expect(paris.heldOps.count == 4 + 1 + 2, "u1, p1 and the roster op; both erasures (in g)")
        #expect(paris.bodilessOps.isEmpty, "nobody named in them may erase yet")
        #expect(Set(paris.refusedErasures.keys) == [OpRef(author: lead.author, epoch: 1, seq: leadErasure.lowerBound),
                                                    OpRef(author: agent.author, epoch: 1, seq: 1)])
        try hub.write([RosterChange.body(member: lead.author, .role(.lead))], at: Self.hlc(2))
        Self.pull(&paris, from: &hub)
        #expect(paris.bodilessOps == Set(targets), "the lead's erasure became effective when its role arrived")
        #expect(paris.refusedErasures.keys.map(\.author) == [agent.author], "the agent's is still refused")
        // A full replica that got the ops in the other order agrees.
        var other = PartialReplica(key: Self.key(8), subscription: .full, founder: founder)
        Self.pull(&other, from: &hub)
        Self.pull(&other, from: &agent)
        Self.pull(&other, from: &lead)
        #expect(other.bodilessOps == Set(targets) && other.refusedErasures.count == 1)
        // Without a team every well-formed erasure counts (a lone node), the agent's too.
        var lone = PartialReplica(key: Self.key(9), subscription: .full)
        Self.pull(&lone, from: &hub)
        Self.pull(&lone, from: &agent)
        #expect(lone.bodilessOps == Set(targets) && lone.refusedErasures.isEmpty)
        // A gateway erases only tweets deleted on X: message inserts, with that reason.
        var gateway = PartialReplica(key: Self.key(10), subscription: .full, founder: founder)
        try hub.write([RosterChange.body(member: gateway.author, .role(.gateway))], at: Self.hlc(5))
        Self.pull(&gateway, from: &hub)
        try gateway.write([erasure(of: [refs[0]], in: gateway, id: "c", reason: ErasureSchema.deletedOnXReason)], at: Self.hlc(6))
        try gateway.write([erasure(of: [refs[2]], in: gateway, id: "d", reason: "gdpr")], at: Self.hlc(7))
        #expect(gateway.bodilessOps.isEmpty && gateway.refusedErasures.count == 2, "a profile, or another reason: refused")
        try gateway.write([erasure(of: [refs[2]], in: gateway, id: "e", reason: ErasureSchema.deletedOnXReason)], at: Self.hlc(8))
        #expect(gateway.bodilessOps == [refs[2]], "a message deleted on X: erased")
    }

    @Test("a partial node may not write in a customer's scope it does not hold")
    func writingOutsideTheHeldCustomersIsRefused() {
        var paris = PartialReplica(key: Self.key(2), subscription: Subscription(queues: ["paris"]))
        #expect(throws: PartialError.scopeNotHeld("c/u9")) {
            try paris.write([.set(entity: EntityRef(Desk.customer, "u9"), field: "vip", value: .bool(true))], at: Self.hlc(1))
        }
        #expect(paris.heldOps.isEmpty)
    }
}

@Suite struct ScopesTreeTests {
    @Test("a memoized scopes tree gives the same inclusion paths as OpCryptoV2, for 1 to 70 leaves")
    func memoizedPathsEqualTheReferenceOnes() {
        for count in 1...70 {
            let leaves = (0..<count).map { i in
                OpCryptoV2.ScopeLeaf(scope: OpCryptoV2.scopeID("t/\(i)"), opHashes: [Bytes32(Blake2b.hash256([UInt8(i)]))!])
            }.sorted { $0.scope < $1.scope }
            var tree = ScopesTree(leaves)
            for index in 0..<count {
                #expect(tree.path(index) == OpCryptoV2.inclusionPath(leaves, index: index), "\(count) leaves, leaf \(index)")
            }
        }
    }
}
