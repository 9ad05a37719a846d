import Foundation
import NIOPosix
import Testing
import RoostCore
import RoostCrypto
import RoostStore
@testable import RoostSync
import RoostTestSupport

/// Presence reported before a session is up reaches the peer when it connects (§2b.13): a reconnect, or
/// the second of two crossing dials, no longer loses "Kenji is replying" until the page reports again.
@Suite struct PresenceReplayTests {
    final class Received: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [String] = []
        func add(_ presence: SyncPresence) { lock.withLock { items.append("\(presence.ticket):\(presence.activity)") } }
        var all: [String] { lock.withLock { items } }
    }

    @Test func aSessionEstablishedLaterIsToldTheLatestFreshPresencePerTicket() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let key = NetworkKey.generate()
        let clock = ManualClock(UInt64(Date().timeIntervalSince1970 * 1000))
        let kenji = LocalAuthor(key: try SigningKey(seed: [UInt8](repeating: 21, count: 32)), epoch: 21)
        let kenjiHub = try PeeringHub(store: try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis),
                                      local: kenji.id, clock: clock)
        let kenjiService = PeeringService(hub: kenjiHub, identity: kenji.key, networkKey: key, group: group) { _ in .allow }
        let ana = try TCPNode(seed: 22, networkKey: key, group: group)
        let received = Received()
        ana.hub.onPresence { presence, member in
            if member == kenji.id { received.add(presence) }
        }

        // Reported while no peer is connected: one too old by the time a peer comes, one fresh, one cleared.
        kenjiHub.broadcastPresence(SyncPresence(ticket: "t-old", activity: .viewing))
        clock.advance(SyncLimits.presenceReplayMillis + 1_000)
        kenjiHub.broadcastPresence(SyncPresence(ticket: "t-fresh", activity: .viewing))
        kenjiHub.broadcastPresence(SyncPresence(ticket: "t-fresh", activity: .replying))
        kenjiHub.broadcastPresence(SyncPresence(ticket: "t-left", activity: .viewing))
        kenjiHub.broadcastPresence(SyncPresence(ticket: "t-left", activity: .gone))

        let port = try await ana.listen()
        kenjiService.dial(try PeerAddress(parsing: "\(ana.author.id.text)@127.0.0.1:\(port)"))
        #expect(await eventually(seconds: 120) { received.all.contains("t-fresh:replying") }, "\(received.all)")
        // A live report after the replay travels the same session, so once it arrives the replay is complete.
        kenjiHub.broadcastPresence(SyncPresence(ticket: "t-live", activity: .viewing))
        #expect(await eventually(seconds: 120) { received.all.contains("t-live:viewing") }, "\(received.all)")
        #expect(received.all == ["t-fresh:replying", "t-live:viewing"])

        await kenjiService.shutdown()
        await ana.service.shutdown()
        try await group.shutdownGracefully()
    }
}
