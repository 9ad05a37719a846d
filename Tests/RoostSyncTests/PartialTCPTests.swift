import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RoostCore
import RoostCrypto
import RoostStore
@testable import RoostSync
import RoostTestSupport
import Testing

// A full node serves a partial peer over TCP (SPEC-partial.md §P.3b, §P.4; DESIGN-format-2.md F2.9 step (c)(b)): a
// TCPNode writing format 2 answers, from its store, a PartialReplica that dials it through the handshake and the
// secure channel and runs the session's partial rounds.

/// Drives a partial session for a ``PartialReplica`` on an authenticated channel (the partial side; the full side is
/// ``PeeringSessionHandler``). Event loop only; the replica is read through ``snapshot``.
final class PartialPeerHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var replica: PartialReplica
    private var machine: SyncSession.StateMachine?
    private var context: ChannelHandlerContext?
    private var timer: RepeatedTask?
    private var peer: AuthorID?
    private let shared: NIOLockedValueBox<(replica: PartialReplica, violations: [String], partial: Bool)>

    init(replica: PartialReplica) {
        self.replica = replica
        shared = NIOLockedValueBox((replica, [], false))
    }

    /// The replica as of the last event, the session's close reasons, and whether the session runs rounds.
    var snapshot: (replica: PartialReplica, violations: [String], partial: Bool) { shared.withLockedValue { $0 } }

    /// The replica writes `bodies` (on the event loop), and the session tells the hub.
    func write(_ bodies: [OpBody], at hlc: HLC) throws {
        try context!.eventLoop.submit {
            try self.replica.write(bodies, at: hlc)
            self.publish()
            self.run { $0.localChanged(localVector: VersionVector(self.replica.vector), now: self.now) }
        }.wait()
    }

    var now: UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case let .established(peer)? = event as? SecureChannelEvent {
            self.peer = peer
            var machine = SyncSession.StateMachine(local: replica.author, expectedPeer: peer,
                                                   subscription: replica.subscription, now: now)
            let actions = machine.start(localVector: VersionVector(replica.vector))
            self.machine = machine
            perform(actions)
            timer = context.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(100), delay: .milliseconds(100)) { _ in
                self.run { $0.tick(localVector: VersionVector(self.replica.vector), now: self.now) }
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        run { machine in
            do throws(ByteDecodingError) {
                return machine.received(try SyncMessage.decode(bytes), localVector: VersionVector(self.replica.vector), now: self.now)
            } catch {
                return machine.receiveFailed(error)
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        machine?.closed()
        context.fireChannelInactive()
    }

    private func run(_ event: (inout SyncSession.StateMachine) -> [SyncSession.Action]) {
        guard var machine else { return }
        let actions = event(&machine)
        self.machine = machine
        perform(actions)
    }

    private func publish() {
        let (replica, partial) = (replica, machine?.isPartial ?? false)
        shared.withLockedValue { $0.replica = replica; $0.partial = partial }
    }

    private func perform(_ actions: [SyncSession.Action]) {
        guard let context, let peer else { return }
        for action in actions {
            switch action {
            case let .send(message):
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: message.encoded())), promise: nil)
            case .partialRequestDue:
                run { $0.partialRequest(self.replica.request(to: peer), now: self.now) }
            case let .partialAnswer(request):
                let batch = replica.answer(request, from: peer)
                run { $0.partialAnswered(batch, now: self.now) }
            case let .partialReceive(batch, fromFull):
                replica.receive(batch, from: peer, fromFull: fromFull)
                publish()
                run { $0.partialApplied(now: self.now) }
            case .established:
                publish()
            case let .close(reason):
                shared.withLockedValue { $0.violations.append("\(reason)") }
                context.close(promise: nil)
            default:
                break
            }
        }
    }
}

@Suite(.serialized) struct PartialTCPTests {
    typealias R = PartialReplicaTests

    /// Dials `node` as `replica`'s identity, with a ``PartialPeerHandler`` after the secure channel.
    static func dial(_ node: TCPNode, port: Int, as replica: PartialReplica, key: SigningKey,
                     group: any EventLoopGroup) async throws -> (PartialPeerHandler, any Channel) {
        let handler = PartialPeerHandler(replica: replica)
        let configuration = Handshake.Configuration(networkKey: node.networkKey, identity: key, expectedPeer: node.author.id,
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

    @Test("a full node serves a partial peer over TCP: its queue's tickets, a ticket moved in, the peer's own log back, a move while it was away")
    func aFullNodeServesAPartialPeer() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let hub = try TCPNode(seed: 1, networkKey: NetworkKey.generate(), group: group, format: 2)
        try hub.append(R.ticket("p1", queue: "paris", customer: "u1") + R.ticket("r1", queue: "rome", customer: "u2")
                       + [.makeInsert(EntityRef(Desk.customer, "u1"), [Field("handle", .string("@u1"))])])
        try hub.append(R.ticket("p2", queue: "paris", customer: "u3"))
        let port = try await hub.listen()
        let parisKey = R.key(2)
        let paris = PartialReplica(key: parisKey, subscription: Subscription(queues: ["paris"]))
        let (handler, channel) = try await Self.dial(hub, port: port, as: paris, key: parisKey, group: group)

        let arrived = await eventually(seconds: 30) { handler.snapshot.replica.heldTickets == ["p1", "p2"] }
        #expect(arrived, "held \(handler.snapshot.replica.heldTickets.sorted())")
        #expect(handler.snapshot.partial, "the session runs partial rounds")
        let held = handler.snapshot.replica
        let scopes = Set(held.heldOps.keys.compactMap { held.scope(of: $0) })
        #expect(scopes == [OpCryptoV2.scopeID(Scope.ticket("p1")), OpCryptoV2.scopeID(Scope.ticket("p2")),
                           OpCryptoV2.scopeID(Scope.customer("u1"))], "only its queue's tickets and their customers")

        // The hub's status says the peer is partial, and in sync once it asked past the hub's log.
        let parisStatus = { hub.hub.peerStatuses.first { $0.node == parisKey.authorID.text } }
        #expect(await eventually(seconds: 30) { parisStatus()?.opsBehind == 0 }, "\(String(describing: parisStatus()))")
        #expect(parisStatus()?.queues == ["paris"] && parisStatus()?.state == "in-sync")

        // The hub moves r1 into paris: it arrives whole, after the hub's `have`.
        try hub.append([R.move("r1", to: "paris")])
        #expect(await eventually(seconds: 30) { handler.snapshot.replica.heldTickets == ["p1", "p2", "r1"] })

        // The agent works in r1: her log reaches the hub's store.
        try handler.write([.tagAdd(entity: EntityRef(Desk.ticket, "r1"), tag: "vip")], at: HLC(physicalMillis: UInt64(Date().timeIntervalSince1970 * 1000), logical: 0))
        let own = LogID(author: parisKey.authorID, epoch: 1)
        #expect(await eventually(seconds: 30) { (try? hub.store.versionVector()[own]) == 1 })
        #expect(try hub.store.verify().problems == [])
        #expect(handler.snapshot.violations.isEmpty, "\(handler.snapshot.violations)")
        let counters = handler.snapshot.replica.counters
        #expect(counters.refusedRuns == 0 && counters.scopeGaps == 0 && counters.unprovenScopes == 0, "\(counters)")

        // Offline, then back: the hub moved p2 out meanwhile. Its view of the peer outlived the session, so the move
        // reaches the peer, which drops p2.
        try await channel.close()
        try hub.append([R.move("p2", to: "rome")])
        let (again, secondChannel) = try await Self.dial(hub, port: port, as: handler.snapshot.replica, key: parisKey, group: group)
        #expect(await eventually(seconds: 30) { again.snapshot.replica.heldTickets == ["p1", "r1"] },
                "held \(again.snapshot.replica.heldTickets.sorted())")
        #expect(again.snapshot.violations.isEmpty, "\(again.snapshot.violations)")

        try await secondChannel.close()
        try await hub.service.shutdown()
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
        var handlers: [PartialPeerHandler] = [], channels: [any Channel] = []
        for (index, peerKey) in keys.enumerated() {
            // Paris agents: one on each hub; the Rome agent on b.
            let (hub, port) = index == 0 ? (a, portA) : (b, portB)
            let replica = PartialReplica(key: peerKey, subscription: Subscription(queues: subscriptions[index]))
            let (handler, channel) = try await Self.dial(hub, port: port, as: replica, key: peerKey, group: group)
            handlers.append(handler)
            channels.append(channel)
        }
        #expect(await eventually(seconds: 30) {
            handlers[0].snapshot.replica.heldTickets == ["p1"] && handlers[1].snapshot.replica.heldTickets == ["p1"]
                && handlers[2].snapshot.replica.heldTickets == ["r1"]
        }, "\(handlers.map { $0.snapshot.replica.heldTickets.sorted() })")
        // The Paris agent on a replies in p1: a has it, b gets it in the hubs' full session, the Paris agent on b from b.
        try handlers[0].write([.makeInsert(EntityRef(Desk.message, "reply-1"), [Field("text", .string("on it")),
                                                                              Field("ticket", .string("p1"))])],
                              at: HLC(physicalMillis: UInt64(Date().timeIntervalSince1970 * 1000), logical: 0))
        let reply = OpRef(author: keys[0].authorID, epoch: 1, seq: 1)
        #expect(await eventually(seconds: 30) { handlers[1].snapshot.replica.hash(of: reply) != nil },
                "the other hub's Paris agent holds the reply")
        #expect(handlers[2].snapshot.replica.hash(of: reply) == nil, "the Rome agent does not")
        for node in [a, b] { #expect(try node.store.verify().problems == []) }
        for handler in handlers {
            #expect(handler.snapshot.violations.isEmpty, "\(handler.snapshot.violations)")
            let counters = handler.snapshot.replica.counters
            #expect(counters.refusedRuns == 0 && counters.scopeGaps == 0 && counters.unprovenScopes == 0, "\(counters)")
        }
        for channel in channels { try await channel.close() }
        await a.service.shutdown()
        await b.service.shutdown()
        try await group.shutdownGracefully()
    }
}
