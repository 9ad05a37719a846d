import Foundation
import NIOPosix
import RoostTestSupport
import Testing
import RoostCore
import Logging
@testable import RoostNode
import RoostStore
import RoostSync

/// A real node that writes format 2 (`roost init --log-format 2`): its desk work reaches a format 1 founder over TCP
/// (sync protocol version 4, `runs-v2`), the founder's dashboard cache reads it op by op, and both verify.
@Suite(.serialized) struct Format2NodeTests {
    @Test func aFormat2NodesDeskWorkReachesAFormat1NodeOverTCP() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("roost-format2-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let (anaNode, ana, anaPort) = try await RosterTCPTests.foundingAna(root: root, group: group)
        let now = SystemClock().nowMillis()
        let invite = try anaNode.home.invite(name: "Kenji Sato", role: .agent, hours: 1, address: "127.0.0.1:\(anaPort)",
                                             node: anaNode, now: now)
        let kenjiNode = try RosterTCPTests.joiner("Kenji Sato", "KS", invite: invite, root: root, logFormat: 2)
        let bound = try kenjiNode.store.localLogFormat()
        #expect(kenjiNode.author.format == 2 && bound == 2, "reopened in format 2")
        #expect(anaNode.author.format == 1)
        #expect(try kenjiNode.status().logFormat == 2 && anaNode.status().logFormat == 1, "what `roost status` prints")
        let facts = DeskFactsCache()
        #expect(try facts.refresh(anaNode).full)

        // Kenji's desk: customer messages ingested, a claim, a reply; every op of his log is format 2.
        let desk = DeskService(node: kenjiNode, clock: FixedClock(millis: now))
        var report = IngestReport()
        try desk.ingest((0..<4).map { DeskFactsCacheTests.message("70\($0)", root: "70\($0)", inbound: true, at: now - 60_000) },
                        rules: .empty, report: &report)
        let ticket = Desk.publicTicketKey(rootTweetID: "700")
        _ = try kenjiNode.append(.claim(EntityRef(Desk.ticket, ticket), leaseMinutes: 30), clock: FixedClock(millis: now))
        let kenji = try RosterTCPTests.Peer(kenjiNode, root: root, group: group)
        try kenji.dial(ana, port: anaPort)

        let kenjiLog = LogID(author: kenjiNode.id, epoch: kenjiNode.author.epoch)
        #expect(try await eventually(seconds: 60) { try anaNode.store.versionVector() == kenjiNode.store.versionVector() })
        let held = try anaNode.store.versionVector()[kenjiLog]
        #expect(held > 0)
        #expect(kenji.sent.ops(sentTo: anaNode.id).filter { $0.author == kenjiNode.id }.isEmpty, "none of it as a format 1 batch")
        #expect(try anaNode.store.state.claim(on: EntityRef(Desk.ticket, ticket))?.holder == kenjiNode.id)
        #expect(try anaNode.store.stateHash() == kenjiNode.store.stateHash())
        // Ana's dashboard cache reads Kenji's later format 2 ticket ops incrementally and equals a full read (before,
        // it read format 1 batches only and stopped short of Kenji's log).
        _ = try facts.refresh(anaNode)  // Kenji's profile and roster ops make this one a full read
        try desk.ingest([DeskFactsCacheTests.message("710", root: "710", inbound: true, at: now - 30_000)], rules: .empty, report: &report)
        _ = try kenjiNode.append(.claim(EntityRef(Desk.ticket, Desk.publicTicketKey(rootTweetID: "710")), leaseMinutes: 30),
                                 clock: FixedClock(millis: now))
        kenji.hub.storeMayHaveChanged()
        #expect(try await eventually(seconds: 60) { try anaNode.store.versionVector() == kenjiNode.store.versionVector() })
        let refresh = try facts.refresh(anaNode)
        #expect(!refresh.full && refresh.tickets == 1)
        let snapshot = try anaNode.store.desk.deskSnapshot()
        #expect(facts.all().tickets == snapshot.tickets)
        // Ana's work reaches Kenji too (a format 1 log to a format 2 node).
        try ana.append([.set(entity: EntityRef(Desk.ticket, ticket), field: "priority", value: .string("high"))])
        #expect(try await eventually(seconds: 60) {
            try kenjiNode.store.state.register(EntityRef(Desk.ticket, ticket), "priority") == .string("high")
        })
        for node in [anaNode, kenjiNode] { #expect(try node.store.verify().problems == []) }
        for peer in [ana, kenji] { await peer.service.shutdown() }
        try await group.shutdownGracefully()
    }

    /// The team's `log_format` (DESIGN-format-2.md F2.9 point 1): refused while a member's node has not said it speaks
    /// protocol version 4; once asked, each node's next op starts a format 2 epoch, and the two logs of each node reach
    /// the other over TCP.
    @Test func anAdminMovesATeamToFormat2() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("roost-format-switch-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let (anaNode, ana, anaPort) = try await RosterTCPTests.foundingAna(root: root, group: group)
        let invite = try anaNode.home.invite(name: "Kenji Sato", role: .agent, hours: 1, address: "127.0.0.1:\(anaPort)",
                                             node: anaNode, now: SystemClock().nowMillis())
        let kenjiNode = try RosterTCPTests.joiner("Kenji Sato", "KS", invite: invite, root: root)
        let kenji = try RosterTCPTests.Peer(kenjiNode, root: root, group: group)
        try kenji.dial(ana, port: anaPort)
        #expect(try await eventually(seconds: 60) { try anaNode.store.versionVector() == kenjiNode.store.versionVector() })

        // Nobody has said which protocol their node speaks: refused, naming both; an agent may not ask at all.
        #expect(try anaNode.home.logFormat(node: anaNode) == TeamLogFormat(asked: 1, local: 1, notReady: [anaNode.id, kenjiNode.id].sorted()))
        do {
            try anaNode.home.askLogFormat2(node: anaNode)
            Issue.record("asked while members were not ready")
        } catch {
            #expect("\(error)".contains(kenjiNode.id.short) && "\(error)".contains("--anyway"))
        }
        #expect(throws: NodeError.self) { try kenjiNode.home.askLogFormat2(node: kenjiNode, anyway: true) }
        // Each node publishes its protocol version as `roost run` does at start (one op; nothing when already published).
        for node in [anaNode, kenjiNode] {
            let own = try #require(try node.store.localLog())
            PeerExchange(node: node, logger: Logger(label: "test")).publish()
            let seq = try node.store.versionVector()[own]
            // Counted in the node's own log: the peer's ops may arrive meanwhile.
            PeerExchange(node: node, logger: Logger(label: "test")).publish()
            #expect(try node.store.versionVector()[own] == seq)
        }
        kenji.hub.storeMayHaveChanged()
        ana.hub.storeMayHaveChanged()
        #expect(try await eventually(seconds: 60) { try anaNode.store.versionVector() == kenjiNode.store.versionVector() })
        let asked = try anaNode.home.askLogFormat2(node: anaNode)
        #expect(asked == TeamLogFormat(asked: 2, local: 1, notReady: []))

        // Ana's next op starts her format 2 epoch; Kenji merges the setting and his next op starts his.
        let anaOld = try #require(try anaNode.store.localLog())
        let ticket = EntityRef(Desk.ticket, "p900")
        try ana.append([.makeInsert(ticket, [Field("status", .string("new"))])])
        let anaNew = try #require(try anaNode.store.localLog())
        #expect(anaNew != anaOld && anaNew.author == anaNode.id)
        #expect(try anaNode.status().logFormat == 2)
        #expect(try await eventually(seconds: 60) { try kenjiNode.store.versionVector()[anaNew] == 1 })
        try kenji.append([.set(entity: ticket, field: "priority", value: .string("high"))])
        let kenjiNew = try #require(try kenjiNode.store.localLog())
        #expect(kenjiNew.epoch != kenjiNode.author.epoch)
        #expect(try await eventually(seconds: 60) { try anaNode.store.versionVector() == kenjiNode.store.versionVector() })
        #expect(try anaNode.store.format2Logs() == [anaNew, kenjiNew])
        #expect(try anaNode.store.state.register(ticket, "priority") == .string("high"))
        #expect(try anaNode.store.stateHash() == kenjiNode.store.stateHash())
        // Reopened, each node appends in its format 2 epoch.
        let reopened = try kenjiNode.home.open()
        #expect(reopened.author.log == kenjiNew && reopened.author.format == 2)
        for node in [anaNode, kenjiNode] { #expect(try node.store.verify().problems == []) }
        for peer in [ana, kenji] { await peer.service.shutdown() }
        try await group.shutdownGracefully()
    }
}
