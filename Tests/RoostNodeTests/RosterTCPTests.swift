import Foundation
import NIOPosix
import RoostTestSupport
import Testing
import RoostCore
import RoostNode
import RoostStore
import RoostSync

/// The roster over real TCP on 127.0.0.1, with node homes as `roost` makes them and the admission
/// policy `roost run` uses: invites, joins, one-time use, revocation (direct and relayed).
@Suite(.serialized) struct RosterTCPTests {
    /// Every message a node sent, by peer, across restarts: the sent-frame log.
    final class SentLog: @unchecked Sendable {
        private let lock = NSLock()
        private var messages: [(AuthorID, SyncMessage)] = []

        func add(_ peer: AuthorID, _ message: SyncMessage) { lock.withLock { messages.append((peer, message)) } }

        /// The ops sent to `peer` in batches.
        func ops(sentTo peer: AuthorID) -> [OpRef] {
            lock.withLock {
                messages.flatMap { to, message -> [OpRef] in
                    guard to == peer, let (_, batch) = message.carriedBatch else { return [] }
                    return batch.ops.map(\.header.ref)
                }
            }
        }
    }

    final class Peer: @unchecked Sendable {
        let node: Node
        var hub: PeeringHub
        var service: PeeringService
        let root: URL
        let sent = SentLog()

        init(_ node: Node, root: URL, group: MultiThreadedEventLoopGroup) throws {
            self.node = node
            self.root = root
            (hub, service) = try Self.start(node, group: group, sent: sent)
        }

        static func start(_ node: Node, group: MultiThreadedEventLoopGroup, sent: SentLog) throws -> (PeeringHub, PeeringService) {
            let team = try #require(try node.home.team(of: node))
            let hub = try PeeringHub(store: node.store, local: node.id, clock: SystemClock())
            hub.observeSent { peer, message in sent.add(peer, message) }
            let service = PeeringService(hub: hub, identity: node.author.key, networkKey: try NetworkKey(bytes: team.networkKey),
                                         group: group, admission: node.home.admission(node: node))
            return (hub, service)
        }

        func restart(group: MultiThreadedEventLoopGroup) async throws {
            await service.shutdown()
            (hub, service) = try Self.start(node, group: group, sent: sent)
        }

        func refusals(_ label: String) -> UInt64 { hub.telemetry.counters.handshakeFailures[label] ?? 0 }

        func listen() async throws -> Int { try await service.listen(host: "127.0.0.1", port: 0).port! }

        func dial(_ other: Peer, port: Int) throws {
            service.dial(try PeerAddress(parsing: "\(other.node.id.text)@127.0.0.1:\(port)"))
        }

        func append(_ bodies: [OpBody]) throws {
            _ = try node.append(bodies)
            hub.storeMayHaveChanged()
        }

        func role(of other: Peer) throws -> Role? { try node.store.team.roster()?.currentRole(of: other.node.id) }
        func holds(_ ref: OpRef) throws -> Bool { try node.store.versionVector()[ref.log] >= ref.seq }
    }

    static func makeNode(_ name: String, _ initials: String, root: URL, logFormat: Int = 1) throws -> Node {
        let node = try NodeHome(path: root.appendingPathComponent(initials).path)
            .initialize(config: NodeConfig(name: name, initials: initials), logFormat: logFormat)
        try DeskService(node: node).publishProfile()
        return node
    }

    /// Ana's node, founder of the team "Hilton Suggests", listening on loopback: where each test of this suite starts.
    static func foundingAna(root: URL, group: MultiThreadedEventLoopGroup) async throws -> (node: Node, peer: Peer, port: Int) {
        let node = try makeNode("Ana Lopez", "AL", root: root)
        _ = try node.home.createTeam(name: "Hilton Suggests", node: node)
        let peer = try Peer(node, root: root, group: group)
        return (node, peer, try await peer.listen())
    }

    /// Creates a member's node that joins with `invite` (the node is reopened to read the new config).
    static func joiner(_ name: String, _ initials: String, invite: Invite, root: URL, logFormat: Int = 1) throws -> Node {
        let node = try makeNode(name, initials, root: root, logFormat: logFormat)
        _ = try node.home.join(invite, node: node, now: SystemClock().nowMillis())
        return try node.home.open()
    }

    @Test func joinRevokeAndRelay() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("roost-roster-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let (anaNode, ana, anaPort) = try await Self.foundingAna(root: root, group: group)
        let now = SystemClock().nowMillis()

        // Kenji joins with an invite: admitted by an admin-signed roster op, then syncs both ways.
        let kenjiInvite = try anaNode.home.invite(name: "Kenji Sato", role: .agent, hours: 1, address: "127.0.0.1:\(anaPort)",
                                                  node: anaNode, now: now)
        let kenji = try Peer(try Self.joiner("Kenji Sato", "KS", invite: kenjiInvite, root: root), root: root, group: group)
        try kenji.dial(ana, port: anaPort)
        #expect(try await eventually { try ana.role(of: kenji) == .agent && kenji.role(of: kenji) == .agent })
        #expect(try await eventually { try DeskService(node: anaNode).memberName(kenji.node.id) == "Kenji Sato" })
        #expect(try await eventually { try kenji.node.store.versionVector() == anaNode.store.versionVector() })

        // The same invite is worth nothing a second time (Ana has another invite open, so Mallory gets
        // through the handshake as an applicant and is refused at the join).
        let leaInvite = try anaNode.home.invite(name: "Lea Park", role: .lead, hours: 1, address: "127.0.0.1:\(anaPort)",
                                                node: anaNode, now: now)
        let mallory = try Peer(try Self.joiner("Mallory", "MM", invite: kenjiInvite, root: root), root: root, group: group)
        try mallory.dial(ana, port: anaPort)
        #expect(await eventually { ana.refusals("join-refused") >= 1 })
        #expect(try ana.role(of: mallory) == nil)
        #expect(try mallory.node.store.versionVector()[LogID(author: anaNode.id, epoch: anaNode.author.epoch)] == 0)
        await mallory.service.shutdown()

        // Lea joins as a lead and listens; Kenji moves to Lea only (A - L - K, no A - K link).
        let lea = try Peer(try Self.joiner("Lea Park", "LP", invite: leaInvite, root: root), root: root, group: group)
        let leaPort = try await lea.listen()
        try lea.dial(ana, port: anaPort)
        #expect(try await eventually { try lea.role(of: lea) == .lead && lea.role(of: kenji) == .agent })
        // Kenji must have Lea's admission (from Ana) before his link to Ana goes: else his handshake refuses Lea as
        // "not a member of the team" for the rest of the test (seen once in a loaded full run, 2026-12-05).
        #expect(try await eventually { try kenji.role(of: lea) == .lead })
        try await kenji.restart(group: group)
        try kenji.dial(lea, port: leaPort)

        // Lea is cut off from Ana; Ana revokes Kenji meanwhile; Kenji, unaware, writes an op Lea accepts.
        try await lea.restart(group: group)
        let leaPort2 = try await lea.listen()
        try await kenji.restart(group: group)
        // Ana must have seen Lea's and Kenji's old sessions end before she revokes: under a loaded full run a
        // session closing late carried the revocation to Lea first, and Lea then rightly refused Kenji's op.
        #expect(await eventually {
            !ana.hub.peerStatuses.contains { ($0.node == lea.node.id.text || $0.node == kenji.node.id.text) && $0.connected }
        })
        try kenji.dial(lea, port: leaPort2)
        let cut = try anaNode.home.revoke(kenji.node.id, node: anaNode)
        ana.hub.storeMayHaveChanged()
        // Every op of another author created from now on must never be sent to Kenji, by anyone.
        var atRevocation = try anaNode.store.versionVector()
        atRevocation.formMax(try lea.node.store.versionVector())
        func sentToKenjiAfterRevocation() -> [OpRef] {
            (ana.sent.ops(sentTo: kenji.node.id) + lea.sent.ops(sentTo: kenji.node.id)).filter {
                $0.author != kenji.node.id && $0.seq > atRevocation[$0.log]
            }
        }
        let kenjiLog = LogID(author: kenji.node.id, epoch: kenji.node.author.epoch)
        let kept = try #require(cut.kept[kenji.node.author.epoch])
        try kenji.append([.set(entity: EntityRef(Desk.ticket, "p1"), field: "status", value: .string("resolved"))])
        let late = OpRef(author: kenjiLog.author, epoch: kenjiLog.epoch, seq: kept + 1)
        #expect(try await eventually { try lea.holds(late) })

        // Lea reconnects to Ana: Ana refuses the relayed op; Lea learns the revocation and drops it.
        try lea.dial(ana, port: anaPort)
        #expect(try await eventually { try lea.node.store.team.roster()?.members[kenji.node.id]?.revocation != nil })
        #expect(try await eventually { try !lea.holds(late) })
        #expect(try !ana.holds(late))
        #expect(try await eventually { try lea.node.store.stateHash() == anaNode.store.stateHash() })
        #expect(try lea.node.store.verify().isOK)
        #expect(try anaNode.store.verify().isOK)

        // Lea closed Kenji's session the moment the revocation applied, so Ana's next op, which Lea
        // receives, is never relayed to him; and Kenji's handshakes are refused from now on.
        // (Withdrawn in the same store-queue step that applied the revocation, just after its commit.)
        #expect(await eventually { lea.hub.isWithdrawn(kenji.node.id) })
        try ana.append([.set(entity: EntityRef(Desk.ticket, "p2"), field: "priority", value: .string("high"))])
        let anaLog = LogID(author: anaNode.id, epoch: anaNode.author.epoch)
        let p2 = OpRef(author: anaNode.id, epoch: anaNode.author.epoch, seq: try anaNode.store.versionVector()[anaLog])
        #expect(try await eventually { try lea.holds(p2) })
        try await kenji.restart(group: group)
        try kenji.dial(ana, port: anaPort)
        #expect(await eventually { ana.refusals("revoked-identity") >= 1 })
        #expect(try !kenji.holds(p2))
        #expect(sentToKenjiAfterRevocation().isEmpty, "sent to the revoked member: \(sentToKenjiAfterRevocation())")

        for peer in [ana, kenji, lea] { await peer.service.shutdown() }
        try await group.shutdownGracefully()
    }
}

extension RosterTCPTests {
    @Test func aRevocationEndsTheRevokedMembersOpenSession() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("roost-roster-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let (anaNode, ana, port) = try await Self.foundingAna(root: root, group: group)
        let invite = try anaNode.home.invite(name: "Kenji Sato", role: .agent, hours: 1, address: "127.0.0.1:\(port)",
                                             node: anaNode, now: SystemClock().nowMillis())
        let kenji = try Peer(try Self.joiner("Kenji Sato", "KS", invite: invite, root: root), root: root, group: group)
        try kenji.dial(ana, port: port)
        func connected() -> Bool { ana.hub.peerStatuses.contains { $0.node == kenji.node.id.text && $0.connected } }
        #expect(await eventually { connected() && (try? ana.role(of: kenji)) == .agent })
        let before = try anaNode.store.versionVector()
        _ = try anaNode.home.revoke(kenji.node.id, node: anaNode)
        // The hub checks the roster before it announces the revocation op: the session is withdrawn
        // before any frame could carry it (no waiting for the 5 s backstop), and redials are refused.
        ana.hub.storeMayHaveChanged()
        #expect(await eventually { ana.hub.isWithdrawn(kenji.node.id) && !connected() })
        try ana.append([.set(entity: EntityRef(Desk.ticket, "r1"), field: "status", value: .string("open"))])
        #expect(await eventually { ana.refusals("revoked-identity") >= 1 })
        #expect(!connected())
        // Not even the revocation op itself went out on the session: only ops that existed before it.
        #expect(ana.sent.ops(sentTo: kenji.node.id).allSatisfy { $0.seq <= before[$0.log] })
        for peer in [ana, kenji] { await peer.service.shutdown() }
        try await group.shutdownGracefully()
    }
}

