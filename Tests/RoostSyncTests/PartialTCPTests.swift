import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RoostCore
import RoostCrypto
@_spi(StoreInternals) import RoostStore
import GRDB
@testable import RoostSync
import RoostTestSupport
import Testing

// A full node serves a partial node over TCP (SPEC-partial.md §P.3b, §P.4; DESIGN-format-2.md F2.9 step (c)): a
// TCPNode writing format 2 answers, from its store, a partial node on its own store (PartialStoreNode) that dials it
// through the handshake and the secure channel and runs the session's partial rounds (PartialSessionHandler).

/// The wall clock.
struct NowClock: WallClock {
    func nowMillis() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }
}

@Suite(.serialized) struct PartialTCPTests {
    typealias R = PartialReplicaTests

    @Test("a full node serves a partial peer over TCP: its queue's tickets, a ticket moved in, the peer's own log back, a move while it was away")
    func aFullNodeServesAPartialPeer() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let hub = try TCPNode(seed: 1, networkKey: NetworkKey.generate(), group: group, format: 2)
        try hub.append(R.ticket("p1", queue: "paris", customer: "u1") + R.ticket("r1", queue: "rome", customer: "u2")
                       + [.makeInsert(EntityRef(Desk.customer, "u1"), [Field("handle", .string("@u1"))])])
        try hub.append(R.ticket("p2", queue: "paris", customer: "u3"))
        let port = try await hub.listen()
        let parisKey = R.key(2)
        let paris = try Self.partialNode(parisKey, queues: ["paris"])
        let (handler, channel) = try await Self.dial(hub, port: port, box: paris.box, key: parisKey, group: group)

        let arrived = await eventually(seconds: 30) { paris.box.replica.heldTickets == ["p1", "p2"] }
        #expect(arrived, "held \(paris.box.replica.heldTickets.sorted())")
        #expect(handler.status.partial, "the session runs partial rounds")
        let held = paris.box.replica
        let scopes = Set(held.heldOps.keys.compactMap { held.scope(of: $0) })
        #expect(scopes == [OpCryptoV2.scopeID(Scope.ticket("p1")), OpCryptoV2.scopeID(Scope.ticket("p2")),
                           OpCryptoV2.scopeID(Scope.customer("u1"))], "only its queue's tickets and their customers")

        // The hub's status says the peer is partial, and in sync once it asked past the hub's log.
        let parisStatus = { hub.hub.peerStatuses.first { $0.node == parisKey.authorID.text } }
        #expect(await eventually(seconds: 30) { parisStatus()?.opsBehind == 0 }, "\(String(describing: parisStatus()))")
        #expect(parisStatus()?.queues == ["paris"] && parisStatus()?.state == "in-sync")

        // The hub moves r1 into paris: it arrives whole, after the hub's `have`.
        try hub.append([R.move("r1", to: "paris")])
        #expect(await eventually(seconds: 30) { paris.box.replica.heldTickets == ["p1", "p2", "r1"] })

        // The agent works in r1: her log reaches the hub's store.
        try paris.store.appendLocal([.tagAdd(entity: EntityRef(Desk.ticket, "r1"), tag: "vip")], by: paris.author, clock: NowClock())
        let own = LogID(author: parisKey.authorID, epoch: 1)
        #expect(await eventually(seconds: 30) { (try? hub.store.versionVector()[own]) == 1 })
        #expect(try hub.store.verify().problems == [])
        #expect(handler.status.closeReasons.isEmpty && handler.status.storeErrors == 0, "\(handler.status)")
        let counters = paris.box.replica.counters
        #expect(counters.refusedRuns == 0 && counters.scopeGaps == 0 && counters.unprovenScopes == 0, "\(counters)")

        // Offline, then back: the hub moved p2 out meanwhile. Its view of the peer outlived the session, so the move
        // reaches the peer, which drops p2.
        try await channel.close()
        try hub.append([R.move("p2", to: "rome")])
        let (again, secondChannel) = try await Self.dial(hub, port: port, box: paris.box, key: parisKey, group: group)
        #expect(await eventually(seconds: 30) { paris.box.replica.heldTickets == ["p1", "r1"] },
                "held \(paris.box.replica.heldTickets.sorted())")
        #expect(again.status.closeReasons.isEmpty && again.status.storeErrors == 0, "\(again.status)")

        try await secondChannel.close()
        try await hub.service.shutdown()
        try await group.shutdownGracefully()
    }

    /// A partial node on an in-memory store, subscribed to `queues`, writing format 2 as `key`.
    static func partialNode(_ key: SigningKey, queues: Set<String>) throws -> (box: PartialNodeBox, store: OpStore, author: LocalAuthor) {
        let author = LocalAuthor(key: key, epoch: 1, format: 2)
        let store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        try store.bindLocalLog(author.log, format: 2)
        let node = try PartialStoreNode(key: key, epoch: 1, founder: nil, store: store, queues: queues)
        return (PartialNodeBox(node, clock: NowClock()), store, author)
    }

    /// Dials `node` as the partial node in `box`, with a ``PartialSessionHandler`` after the secure channel.
    static func dial(_ node: TCPNode, port: Int, box: PartialNodeBox, key: SigningKey,
                     group: any EventLoopGroup) async throws -> (PartialSessionHandler, any Channel) {
        try await dial(node.author.id, networkKey: node.networkKey, port: port, box: box, key: key, group: group)
    }

    /// Dials `peer` on `port` as the partial node in `box`.
    static func dial(_ peer: AuthorID, networkKey: NetworkKey, port: Int, box: PartialNodeBox, key: SigningKey,
                     group: any EventLoopGroup) async throws -> (PartialSessionHandler, any Channel) {
        let handler = PartialSessionHandler(box: box, roundInterval: .milliseconds(50))
        let configuration = Handshake.Configuration(networkKey: networkKey, identity: key, expectedPeer: peer,
                                                    allowPeer: { _ in .allow })
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([SecureChannelHandler(role: .initiator, configuration: configuration),
                                                                     handler])
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return (handler, channel)
    }

    @Test("two partial nodes serve each other their own writes while no full node is up")
    func partialNodesServeEachOther() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let hub = try TCPNode(seed: 1, networkKey: NetworkKey.generate(), group: group, format: 2)
        try hub.append(PartialStoreNodeTests.ticket("p1", queue: "paris", customer: "ana", word: "router")
                       + PartialStoreNodeTests.ticket("r1", queue: "rome", customer: "bo", word: "modem"))
        let port = try await hub.listen()
        let (aKey, bKey) = (R.key(2), R.key(3))
        let a = try Self.partialNode(aKey, queues: ["paris"]), b = try Self.partialNode(bKey, queues: ["paris"])
        let (_, aHub) = try await Self.dial(hub, port: port, box: a.box, key: aKey, group: group)
        let (_, bHub) = try await Self.dial(hub, port: port, box: b.box, key: bKey, group: group)
        let messages = { (store: OpStore) in Set((try? store.desk.deskSnapshot().messages.map(\.id)) ?? []) }
        #expect(await eventually(seconds: 30) { messages(a.store) == ["m-p1"] && messages(b.store) == ["m-p1"] })
        // a tags rome's r1 (it then holds r1; b does not): b's vector passes that op of a's log, which b does not hold, so
        // a's next op reaches b with its `prev` sent.
        try a.store.appendLocal([.tagAdd(entity: EntityRef(Desk.ticket, "r1"), tag: "vip")], by: a.author, clock: NowClock())
        #expect(await eventually(seconds: 30) { b.box.replica.vector[a.author.log] == 1 }, "b heard of a's op through the hub")
        // The hub goes away (the team's full node is offline); b listens, a dials it.
        try await aHub.close()
        try await bHub.close()
        await hub.service.shutdown()
        let bHandler = NIOLockedValueBox<[PartialSessionHandler]>([])
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = PartialSessionHandler(box: b.box, roundInterval: .milliseconds(50))
                    bHandler.withLockedValue { $0.append(handler) }
                    try channel.pipeline.syncOperations.addHandlers([
                        SecureChannelHandler(role: .responder, configuration: Handshake.Configuration(
                            networkKey: hub.networkKey, identity: bKey, expectedPeer: nil, allowPeer: { _ in .allow })),
                        handler,
                    ])
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let (aHandler, channel) = try await Self.dial(bKey.authorID, networkKey: hub.networkKey, port: server.localAddress!.port!,
                                                      box: a.box, key: aKey, group: group)

        // Each answers p1 through its store: the other holds the reply, on its desk, without a full node.
        func reply(_ id: String, by node: (box: PartialNodeBox, store: OpStore, author: LocalAuthor)) throws {
            try node.store.appendLocal([.makeInsert(EntityRef(Desk.message, id), [
                Field("author", .string("agent")), Field("created_ms", .int(1_767_225_700_000)), Field("direction", .string("outbound")),
                Field("text", .string("on it")), Field("ticket", .string("p1")),
            ])], by: node.author, clock: NowClock())
        }
        try reply("r-a", by: a)
        try reply("r-b", by: b)
        let both: Set<String> = ["m-p1", "r-a", "r-b"]
        #expect(await eventually(seconds: 30) { messages(a.store) == both.union(["m-r1"]) && messages(b.store) == both },
                "a \(messages(a.store).sorted()), b \(messages(b.store).sorted())")
        #expect(aHandler.status.partial && aHandler.status.closeReasons.isEmpty && aHandler.status.storeErrors == 0, "\(aHandler.status)")
        for node in [a, b] {
            let counters = node.box.replica.counters
            #expect(counters.refusedRuns == 0 && counters.scopeGaps == 0 && counters.unprovenScopes == 0, "\(counters)")
            #expect(try node.store.verify().problems == [])
        }
        // Each covers the other's own log in its vector: the next rounds send nothing again.
        #expect(a.box.replica.vector[b.author.log] == 1 && b.box.replica.vector[a.author.log] == 2)
        #expect(!b.box.replica.holdsTicket("r1"), "b holds only what its queue and its agent give it")

        try await channel.close()
        try await server.close()
        try await group.shutdownGracefully()
    }

    @Test("a partial node on its store over TCP: its queue on its desk, desk writes reach the hub, a move made while it was away, a reopened store")
    func aPartialNodeOnItsStore() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let hub = try TCPNode(seed: 1, networkKey: NetworkKey.generate(), group: group, format: 2)
        try hub.append(PartialStoreNodeTests.ticket("p1", queue: "paris", customer: "ana", word: "router")
                       + PartialStoreNodeTests.ticket("r1", queue: "rome", customer: "bo", word: "modem"))
        try hub.append(PartialStoreNodeTests.ticket("p2", queue: "paris", customer: "cy", word: "invoice"))
        let port = try await hub.listen()
        let parisKey = R.key(2)
        let author = LocalAuthor(key: parisKey, epoch: 1, format: 2)
        let store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        try store.bindLocalLog(author.log, format: 2)
        let clock = NowClock()
        let box = PartialNodeBox(try PartialStoreNode(key: parisKey, epoch: 1, founder: nil, store: store, queues: ["paris"]), clock: clock)
        let (handler, channel) = try await Self.dial(hub, port: port, box: box, key: parisKey, group: group)
        let desk = { (try? PartialStoreNodeTests.deskTickets(store)) ?? [] }
        #expect(await eventually(seconds: 30) { desk() == ["p1", "p2"] }, "desk \(desk().sorted())")
        #expect(handler.status.partial, "the session runs partial rounds")

        // The agent answers p1 as the desk does, through the store: the hub gets it.
        try store.appendLocal([.makeInsert(EntityRef(Desk.message, "reply-p1"), [
            Field("author", .string("agent")), Field("created_ms", .int(1_767_225_700_000)), Field("direction", .string("outbound")),
            Field("text", .string("try a restart")), Field("ticket", .string("p1")),
        ])], by: author, clock: clock)
        #expect(await eventually(seconds: 30) { (try? hub.store.versionVector()[author.log]) == 1 }, "the hub holds the reply")

        // Offline, the hub moves p2 out and r1 in; a new session on a node reopened from the same store catches up.
        try await channel.close()
        try hub.append([R.move("p2", to: "rome"), R.move("r1", to: "paris")])
        let reopened = PartialNodeBox(try PartialStoreNode(key: parisKey, epoch: 1, founder: nil, store: store), clock: clock)
        #expect(reopened.replica.heldTickets == ["p1", "p2"], "reopened as it was")
        let (again, secondChannel) = try await Self.dial(hub, port: port, box: reopened, key: parisKey, group: group)
        #expect(await eventually(seconds: 30) { desk() == ["p1", "r1"] }, "desk \(desk().sorted())")
        #expect(try PartialStoreNodeTests.searchHits(store, "modem") == ["r1"])
        #expect(try PartialStoreNodeTests.searchHits(store, "invoice").isEmpty)
        #expect(try hub.store.verify().problems == [])
        for status in [handler.status, again.status] { #expect(status.storeErrors == 0) }
        let counters = reopened.replica.counters
        #expect(counters.refusedRuns == 0 && counters.scopeGaps == 0 && counters.unprovenScopes == 0, "\(counters)")

        try await secondChannel.close()
        await hub.service.shutdown()
        try await group.shutdownGracefully()
    }

    @Test("a partial node whose store refuses a write goes on: the session lives, and what it missed comes again")
    func aStoreFailureIsCountedAndRecovered() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let hub = try TCPNode(seed: 1, networkKey: NetworkKey.generate(), group: group, format: 2)
        try hub.append(PartialStoreNodeTests.ticket("p1", queue: "paris", customer: "ana", word: "router"))
        let port = try await hub.listen()
        let paris = try Self.partialNode(R.key(2), queues: ["paris"])
        let (handler, channel) = try await Self.dial(hub, port: port, box: paris.box, key: R.key(2), group: group)
        let desk = { (try? PartialStoreNodeTests.deskTickets(paris.store)) ?? [] }
        #expect(await eventually(seconds: 30) { desk() == ["p1"] })

        // The store turns read-only (a full disk, say): the next batch cannot be written.
        try await paris.store.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA query_only = 1") }
        try hub.append(PartialStoreNodeTests.ticket("p2", queue: "paris", customer: "bo", word: "invoice"))
        #expect(await eventually(seconds: 30) { handler.status.storeErrors > 0 }, "\(handler.status)")
        #expect(await eventually(seconds: 5) { (paris.box.peerStatuses.first?.storeErrors ?? 0) > 0 }, "roost peers shows it")
        #expect(desk() == ["p1"] && paris.box.replica.heldTickets == ["p1"], "nothing half-held: the replica was rebuilt from the store")
        try await paris.store.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA query_only = 0") }
        #expect(await eventually(seconds: 30) { desk() == ["p1", "p2"] }, "p2 came again once the store took writes")
        #expect(handler.status.closeReasons.isEmpty, "\(handler.status)")
        #expect(try paris.store.verify().problems.isEmpty)

        try await channel.close()
        await hub.service.shutdown()
        try await group.shutdownGracefully()
    }

    @Test("two full nodes and three partial peers over TCP: a partial peer's write reaches the partial peers of the other hub that hold the ticket")
    func partialPeersOfTwoHubs() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let key = NetworkKey.generate()
        let a = try TCPNode(seed: 1, networkKey: key, group: group, format: 2)
        let b = try TCPNode(seed: 3, networkKey: key, group: group, format: 2)
        try a.append(R.ticket("p1", queue: "paris", customer: "u1") + R.ticket("r1", queue: "rome", customer: "u2"))
        let portA = try await a.listen(), portB = try await b.listen()
        try b.dial(a, port: portA)   // the hubs: a full session
        let keys = [R.key(11), R.key(12), R.key(13)]
        let subscriptions: [Set<String>] = [["paris"], ["paris"], ["rome"]]
        var handlers: [PartialSessionHandler] = [], channels: [any Channel] = []
        var nodes: [(box: PartialNodeBox, store: OpStore, author: LocalAuthor)] = []
        for (index, peerKey) in keys.enumerated() {
            // Paris agents: one on each hub; the Rome agent on b.
            let (hub, port) = index == 0 ? (a, portA) : (b, portB)
            let node = try Self.partialNode(peerKey, queues: subscriptions[index])
            let (handler, channel) = try await Self.dial(hub, port: port, box: node.box, key: peerKey, group: group)
            nodes.append(node)
            handlers.append(handler)
            channels.append(channel)
        }
        #expect(await eventually(seconds: 30) {
            nodes[0].box.replica.heldTickets == ["p1"] && nodes[1].box.replica.heldTickets == ["p1"]
                && nodes[2].box.replica.heldTickets == ["r1"]
        }, "\(nodes.map { $0.box.replica.heldTickets.sorted() })")
        // The Paris agent on a replies in p1: a has it, b gets it in the hubs' full session, the Paris agent on b from b.
        try nodes[0].store.appendLocal([.makeInsert(EntityRef(Desk.message, "reply-1"), [
            Field("author", .string("agent")), Field("created_ms", .int(1_767_225_700_000)), Field("direction", .string("outbound")),
            Field("text", .string("on it")), Field("ticket", .string("p1")),
        ])], by: nodes[0].author, clock: NowClock())
        let reply = OpRef(author: keys[0].authorID, epoch: 1, seq: 1)
        #expect(await eventually(seconds: 30) { nodes[1].box.replica.hash(of: reply) != nil },
                "the other hub's Paris agent holds the reply")
        #expect(nodes[2].box.replica.hash(of: reply) == nil, "the Rome agent does not")
        #expect(try nodes[1].store.desk.thread("p1").contains { $0.id == "reply-1" }, "and has it on its desk")
        for node in [a, b] { #expect(try node.store.verify().problems == []) }
        for (handler, node) in zip(handlers, nodes) {
            #expect(handler.status.closeReasons.isEmpty && handler.status.storeErrors == 0, "\(handler.status)")
            let counters = node.box.replica.counters
            #expect(counters.refusedRuns == 0 && counters.scopeGaps == 0 && counters.unprovenScopes == 0, "\(counters)")
        }
        for channel in channels { try await channel.close() }
        await a.service.shutdown()
        await b.service.shutdown()
        try await group.shutdownGracefully()
    }
}
