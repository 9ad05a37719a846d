import Foundation
import NIOCore
import NIOPosix
import Testing
import RoostCore
import RoostCrypto
import RoostStore
@testable import RoostSync
import RoostTestSupport

struct RealClock: WallClock {
    func nowMillis() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }
}

/// A node for TCP tests: an in-memory store, a hub and a peering service on 127.0.0.1.
final class TCPNode: @unchecked Sendable {
    let author: LocalAuthor
    let store: OpStore
    let networkKey: NetworkKey
    let group: any EventLoopGroup
    private(set) var hub: PeeringHub
    private(set) var service: PeeringService

    init(seed: UInt8, networkKey: NetworkKey, group: any EventLoopGroup, format: Int = 1) throws {
        author = LocalAuthor(key: try SigningKey(seed: [UInt8](repeating: seed, count: 32)), epoch: UInt64(seed), format: format)
        store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        self.networkKey = networkKey
        self.group = group
        hub = try PeeringHub(store: store, local: author.id, clock: RealClock())
        service = PeeringService(hub: hub, identity: author.key, networkKey: networkKey, group: group) { _ in .allow }
    }

    /// Ends every connection (as a crash of the process would, but cleanly) and starts a new service on
    /// the same store: a partition while it does not dial or listen.
    func restart() async throws {
        await service.shutdown()
        hub = try PeeringHub(store: store, local: author.id, clock: RealClock())
        service = PeeringService(hub: hub, identity: author.key, networkKey: networkKey, group: group) { _ in .allow }
    }

    func append(_ bodies: [OpBody]) throws {
        if author.format == 2 {
            try store.append(v2: bodies, by: author, clock: RealClock())
        } else {
            try store.append(bodies, by: author, clock: RealClock())
        }
        hub.storeMayHaveChanged()
    }

    func claim(_ ticket: EntityRef) throws {
        let current = try store.state.claim(on: ticket)
        try append([.claim(entity: ticket, action: .claim, holder: author.id, leaseSeconds: 600, observed: current?.current)])
    }

    func listen() async throws -> Int { try await service.listen(host: "127.0.0.1", port: 0).port! }

    func dial(_ other: TCPNode, port: Int) throws {
        service.dial(try PeerAddress(parsing: "\(other.author.id.text)@127.0.0.1:\(port)"))
    }
}

@Suite(.serialized) struct PeeringTCPTests {
    @Test func threeNodesInALineConvergeFromDivergentHistories() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let key = NetworkKey.generate()
        let a = try TCPNode(seed: 1, networkKey: key, group: group)
        let b = try TCPNode(seed: 2, networkKey: key, group: group)
        let c = try TCPNode(seed: 3, networkKey: key, group: group)
        let ticket = EntityRef("ticket", "p1193")
        // Divergent histories, including concurrent claims of one ticket while apart.
        for (index, node) in [a, b, c].enumerated() {
            for n in 0..<50 {
                try node.append([.set(entity: EntityRef("ticket", "t\(n % 7)"), field: "status", value: .string("s\(index)-\(n)")),
                                 .tagAdd(entity: EntityRef("ticket", "t\(n % 5)"), tag: "tag\(index)")])
            }
        }
        try a.claim(ticket)
        try c.claim(ticket)
        // A - B - C: no A-C link.
        let port = try await b.listen()
        try a.dial(b, port: port)
        try c.dial(b, port: port)
        let converged = try await eventually {
            let hashes = try [a, b, c].map { try $0.store.stateHash() }
            let count = try a.store.opCount()
            return Set(hashes).count == 1 && count == 3 * 100 + 2
        }
        let summary = try [a, b, c].map { "\(try $0.store.opCount()) ops, \(try $0.store.stateHash().hex.prefix(8))" }
        #expect(converged, "\(summary)")
        let holders = try [a, b, c].map { try $0.store.state.claim(on: ticket)?.holder }
        #expect(Set(holders.map { $0?.text ?? "none" }).count == 1)
        #expect(holders[0] != nil)
        #expect(try a.store.state.claimConflicts(on: ticket).count == 1)
        #expect(try c.store.verify().isOK)

        // Live push: a claim on A reaches C through B.
        let live = EntityRef("ticket", "live")
        try a.claim(live)
        let pushed = try await eventually(seconds: 10) { try c.store.state.claim(on: live)?.holder == a.author.id }
        #expect(pushed)

        await a.service.shutdown(); await b.service.shutdown(); await c.service.shutdown()
        try await group.shutdownGracefully()
    }

    /// Protocol version 4 over real sockets (SPEC-sync.md §2b.19): A writes format 2, B relays it to C as `runs-v2`
    /// (a third-party log, resolved against B's store on the way), and C's format 1 ops come back through B.
    @Test func aFormat2LogIsRelayedOverTCPAsRunsV2() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let key = NetworkKey.generate()
        let a = try TCPNode(seed: 11, networkKey: key, group: group, format: 2)
        let b = try TCPNode(seed: 12, networkKey: key, group: group)
        let c = try TCPNode(seed: 13, networkKey: key, group: group)
        for n in 0..<40 {
            try a.append([.set(entity: EntityRef("ticket", "t\(n % 7)"), field: "status", value: .string("a\(n)")),
                          .tagAdd(entity: EntityRef("ticket", "t\(n % 5)"), tag: "a")])
        }
        try c.append([.tagAdd(entity: EntityRef("ticket", "t1"), tag: "c")])
        let port = try await b.listen()
        try a.dial(b, port: port)
        try c.dial(b, port: port)
        let converged = try await eventually(seconds: 20) {
            let hashes = try [a, b, c].map { try $0.store.stateHash() }
            let count = try c.store.opCount()
            return Set(hashes).count == 1 && count == 80 + 1
        }
        let summary = try [a, b, c].map { "\(try $0.store.opCount()) ops" }
        #expect(converged, "\(summary)")
        // Live push of a claim written in format 2 reaches C through B.
        let live = EntityRef("ticket", "live")
        try a.claim(live)
        let pushed = try await eventually(seconds: 10) { try c.store.state.claim(on: live)?.holder == a.author.id }
        #expect(pushed)
        for node in [a, b, c] { #expect(try node.store.verify().problems == []) }
        #expect(!a.hub.peerStatuses.isEmpty)
        await a.service.shutdown(); await b.service.shutdown(); await c.service.shutdown()
        try await group.shutdownGracefully()
    }

    @Test func aWrongNetworkKeyIsRefusedWhileOtherPeersAreServed() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let key = NetworkKey.generate()
        let a = try TCPNode(seed: 1, networkKey: key, group: group)
        let b = try TCPNode(seed: 2, networkKey: key, group: group)
        let intruder = try TCPNode(seed: 9, networkKey: NetworkKey.generate(), group: group)
        try intruder.append([.tagAdd(entity: EntityRef("ticket", "x"), tag: "spam")])
        let port = try await b.listen()
        try intruder.dial(b, port: port)
        try a.dial(b, port: port)
        try a.append([.tagAdd(entity: EntityRef("ticket", "y"), tag: "ok")])
        let served = try await eventually(seconds: 10) { try b.store.state.tags(of: EntityRef("ticket", "y")) == ["ok"] }
        #expect(served)
        try await Task.sleep(nanoseconds: 500_000_000)
        #expect(try b.store.state.tags(of: EntityRef("ticket", "x")).isEmpty)
        #expect(try intruder.store.state.tags(of: EntityRef("ticket", "y")).isEmpty)
        #expect(!b.hub.peerStatuses.contains { $0.node == intruder.author.id.text })
        await a.service.shutdown(); await b.service.shutdown(); await intruder.service.shutdown()
        try await group.shutdownGracefully()
    }
}
