import Foundation
import NIOCore
import NIOPosix
import RoostCore
import RoostCrypto
import RoostStore
@testable import RoostSync
import RoostTestSupport
import Testing

// A team that moved to format 2 (`roost team format 2`) keeps its format 1 history: logs without scopes, whose seals
// cover whole ranges. A partial node holds that history whole, as a full node does, and holds for good every ticket
// and customer it names (SPEC-partial.md §P.2 rule 5, §P.3c): its roster and erasures, its tickets with their later
// format 2 ops. Before, a partial node was sent format 2 logs only: it did not know the roster a switched team had
// built in format 1 (so it refused the erasures of a lead made in format 1, keeping the erased text) and did not
// see the team's tickets from before the switch.

@Suite(.serialized) struct PartialHistoryTests {
    typealias R = PartialReplicaTests

    /// A format 1 op of `author`'s log `epoch` at `seq`, as the store reads it back.
    static func history(_ body: OpBody, by author: AuthorID, seq: UInt64, ms: UInt64) -> HistoryOp {
        HistoryOp(stamp: Stamp(hlc: R.hlc(ms), ref: OpRef(author: author, epoch: 9, seq: seq)), body: body,
                  scope: Scope.name(of: body))
    }

    @Test("the format 1 history's tickets and customers are held for good, and its roster judges later erasures")
    func theHistoryIsHeldAndJudges() throws {
        let founder = R.key(1).authorID
        let lead = R.key(6)
        var hub = PartialReplica(key: R.key(1), subscription: .full, founder: founder)
        var leadNode = PartialReplica(key: lead, subscription: .full, founder: founder)
        var paris = PartialReplica(key: R.key(2), subscription: Subscription(queues: ["paris"]), founder: founder)
        hub.subscribe(peer: paris.author, paris.subscription)
        leadNode.subscribe(peer: paris.author, paris.subscription)

        // Format 2: a ticket of paris whose message the lead erases.
        let written = try hub.write(R.ticket("p1", queue: "paris", customer: "u1"), at: R.hlc(10))
        R.pull(&leadNode, from: &hub)
        let message = OpRef(author: hub.author, epoch: 1, seq: written.lowerBound + 1)
        let op = leadNode.logs[message.log]!.ops[message.seq]!
        let erasure = Erasure(reason: "gdpr", customer: "u1",
                              targets: [Erasure.Target(ref: message, hash: op.hash, residue: Redaction.residue(of: op.decoded!))])
        try leadNode.write([erasure.body(id: String(repeating: "e", count: 32))], at: R.hlc(20))
        R.pull(&paris, from: &hub)
        R.pull(&paris, from: &leadNode)
        #expect(paris.bodilessOps.isEmpty && paris.refusedErasures.count == 1, "the lead is not a lead by anything paris holds")

        // The format 1 history: the founder made the lead one, wrote a ticket of rome and a customer with no ticket.
        let old = [Self.history(RosterChange.body(member: lead.authorID, .role(.lead)), by: founder, seq: 1, ms: 1)]
            + R.ticket("old-r", queue: "rome", customer: "u9").enumerated().map { index, body in
                Self.history(body, by: founder, seq: UInt64(index) + 2, ms: 2)
            }
            + [Self.history(.makeInsert(EntityRef(Desk.customer, "u8"), [Field("handle", .string("@u8"))]), by: founder, seq: 5, ms: 3)]
        var reopened = paris
        paris.learnHistory(old)
        #expect(paris.bodilessOps == [message] && paris.refusedErasures.isEmpty, "the lead's erasure is carried out")
        #expect(paris.heldTickets == ["p1", "old-r"], "the history's ticket is held, though it is in rome")
        let entered: Set<ScopeID> = [R.t("old-r"), OpCryptoV2.scopeID(Scope.customer("u9")), OpCryptoV2.scopeID(Scope.customer("u8"))]
        #expect(entered.isSubset(of: paris.heldScopes))
        #expect(paris.wanted == entered, "their format 2 ops are wanted")
        #expect(paris.coverage.description
                 == "covers the 1 tickets of queues paris, 0 this agent worked on in other queues and 1 of the team's format 1 history in other queues")
        reopened.learnHistory(old, restoring: true)
        #expect(reopened.wanted.isEmpty && reopened.heldTickets == ["p1", "old-r"], "a reopened node wants nothing again")

        // A format 2 move of the old ticket does not drop it: the history holds it for good.
        R.pull(&paris, from: &hub)
        try hub.write([R.move("old-r", to: "lisbon")], at: R.hlc(30))
        R.pull(&paris, from: &hub)
        #expect(paris.heldTickets.contains("old-r"))
    }

    @Test("a partial node of a team that moved to format 2 holds the format 1 history whole, and its tickets' later ops")
    func aSwitchedTeamOverTCP() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let hub = try TCPNode(seed: 1, networkKey: NetworkKey.generate(), group: group, format: 1)
        // Before the switch: format 1.
        try hub.append(PartialStoreNodeTests.ticket("old-p", queue: "paris", customer: "ana", word: "router")
                       + PartialStoreNodeTests.ticket("old-r", queue: "rome", customer: "bo", word: "modem"))
        // After it: the hub's new epoch writes format 2.
        let switched = LocalAuthor(key: hub.author.key, epoch: 77, format: 2)
        func appendV2(_ bodies: [OpBody]) throws {
            try hub.store.append(v2: bodies, by: switched, clock: NowClock())
            hub.hub.storeMayHaveChanged()
        }
        try appendV2(PartialStoreNodeTests.ticket("p1", queue: "paris", customer: "cy", word: "invoice")
                     + PartialStoreNodeTests.ticket("r1", queue: "rome", customer: "di", word: "refund"))
        try appendV2([R.move("old-r", to: "lisbon")])
        let port = try await hub.listen()
        let parisKey = R.key(2)
        let paris = try PartialTCPTests.partialNode(parisKey, queues: ["paris"])
        let (handler, channel) = try await PartialTCPTests.dial(hub, port: port, box: paris.box, key: parisKey, group: group)
        let desk = { (try? PartialStoreNodeTests.deskTickets(paris.store)) ?? [] }
        let queue = { (try? paris.store.desk.deskSnapshot().tickets.first { $0.key == "old-r" }?.queue) ?? nil }
        #expect(await eventually(seconds: 30) { desk() == ["old-p", "old-r", "p1"] && queue() == "lisbon" },
                "desk \(desk().sorted()), old-r in \(String(describing: queue()))")
        #expect(try paris.store.versionVector()[hub.author.log] == hub.store.versionVector()[hub.author.log],
                "the format 1 log is held whole")
        #expect(try PartialStoreNodeTests.searchHits(paris.store, "modem") == ["old-r"])
        #expect(try PartialStoreNodeTests.searchHits(paris.store, "refund").isEmpty, "r1 is rome's, after the switch")
        #expect(await eventually(seconds: 30) { paris.box.replica.wanted.isEmpty }, "\(paris.box.replica.wanted.count) wanted")
        #expect(handler.status.closeReasons.isEmpty && handler.status.storeErrors == 0, "\(handler.status)")
        let counters = paris.box.replica.counters
        #expect(counters.refusedRuns == 0 && counters.scopeGaps == 0 && counters.unprovenScopes == 0, "\(counters)")
        #expect(try paris.store.verify().problems == [])

        // Reopened from its store, the node holds the same and asks for nothing again.
        let reopened = try PartialStoreNode(key: parisKey, epoch: 1, founder: nil, store: paris.store)
        #expect(reopened.replica.heldTickets == paris.box.replica.heldTickets && reopened.replica.wanted.isEmpty)
        #expect(reopened.request(to: hub.author.id).vector[hub.author.log] == (try hub.store.versionVector()[hub.author.log]),
                "its request names how far it holds the format 1 log")

        try await channel.close()
        await hub.service.shutdown()
        try await group.shutdownGracefully()
    }
}
