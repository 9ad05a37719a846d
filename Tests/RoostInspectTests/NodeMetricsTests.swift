import Foundation
import NIOCore
import NIOPosix
import RoostTestSupport
import Testing
import RoostCore
import RoostCrypto
import RoostNode
import RoostStore
import RoostSync

struct WallTime: WallClock {
    func nowMillis() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }
}

/// A real node home with a peering hub on 127.0.0.1 (random identity: ids are read back, never assumed).
final class LiveNode: @unchecked Sendable {
    let node: Node
    let hub: PeeringHub
    let service: PeeringService

    init(root: URL, name: String, networkKey: NetworkKey, group: any EventLoopGroup) throws {
        node = try NodeHome(path: root.appendingPathComponent(name).path).initialize(config: NodeConfig(name: name, initials: "X"))
        hub = try PeeringHub(store: node.store, local: node.id, clock: WallTime())
        service = PeeringService(hub: hub, identity: node.author.key, networkKey: networkKey, group: group) { _ in .allow }
    }

    func append(_ bodies: [OpBody], at millis: UInt64 = WallTime().nowMillis()) throws {
        try node.append(bodies, clock: FixedClock(millis: millis))
        hub.storeMayHaveChanged()
    }
}

/// GET `path` over plain HTTP/1.1 and return the whole response (the server closes after it).
func httpGet(port: Int, path: String, group: any EventLoopGroup, token: String? = nil) async throws -> String {
    final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        var text = ""
        let done: EventLoopPromise<String>
        init(done: EventLoopPromise<String>) { self.done = done }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            text += buffer.readString(length: buffer.readableBytes) ?? ""
        }
        func channelInactive(context: ChannelHandlerContext) { done.succeed(text) }
    }
    let promise = group.next().makePromise(of: String.self)
    let channel = try await ClientBootstrap(group: group)
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(done: promise)) }
        }
        .connect(host: "127.0.0.1", port: port).get()
    let authorization = token.map { "Authorization: Bearer \($0)\r\n" } ?? ""
    let request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(authorization)Connection: close\r\n\r\n"
    try await channel.writeAndFlush(channel.allocator.buffer(string: request)).get()
    return try await promise.futureResult.get()
}

/// The value of one sample line (`name{labels} value`) in a Prometheus exposition.
func sample(_ text: String, _ series: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
        return Double(line.dropFirst(series.count + 1))
    }
    return nil
}

@Suite(.serialized) struct NodeMetricsTests {
    @Test func twoLiveNodesSyncAndTheAdminPortServesTheirMetrics() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("roost-metrics-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let key = NetworkKey.generate()
        let a = try LiveNode(root: root, name: "a", networkKey: key, group: group)
        let b = try LiveNode(root: root, name: "b", networkKey: key, group: group)
        let intruder = try LiveNode(root: root, name: "c", networkKey: NetworkKey.generate(), group: group)
        let events = LockedEvents()
        a.hub.telemetry.observe { events.append($0) }

        // B: a ticket whose first customer message is 2 hours old and unanswered (an SLA breach), and a queued reply.
        let now = WallTime().nowMillis()
        try b.append([
            .makeInsert(EntityRef(Desk.ticket, "p1"), [Field("channel", .string("public")), Field("brand", .string("Acme")),
                                                     Field("customer", .string("u1"))]),
            .makeInsert(EntityRef(Desk.message, "m1"), [
                Field("ticket", .string("p1")), Field("direction", .string("inbound")), Field("author", .string("u1")),
                Field("text", .string("help")), Field("created_ms", .int(Int64(now - 7_200_000))),
            ]),
        ], at: now - 7_200_000)
        try b.append([
            .makeInsert(EntityRef(Desk.message, "m2"), [
                Field("ticket", .string("p1")), Field("direction", .string("note")), Field("author", .string("b")),
                Field("text", .string("looking")), Field("created_ms", .int(Int64(now - 1000))),
            ]),
            .set(entity: EntityRef(Desk.message, "m2"), field: "outbox", value: .string("queued")),
        ], at: now - 1000)
        try a.append([.set(entity: EntityRef("team", "info"), field: "name", value: .string("Acme"))])
        let bOps = try b.node.store.opCount(), aOps = try a.node.store.opCount()

        let port = try await b.service.listen(host: "127.0.0.1", port: 0).port!
        let aPort = try await a.service.listen(host: "127.0.0.1", port: 0).port!
        a.service.dial(try PeerAddress(parsing: "\(b.node.id.text)@127.0.0.1:\(port)"))
        intruder.service.dial(try PeerAddress(parsing: "127.0.0.1:\(aPort)"))
        let synced = try await eventually {
            try a.node.store.opCount() == aOps + bOps && b.node.store.opCount() == aOps + bOps
                && a.hub.peerStatuses.first?.opsBehind == 0
                && (a.hub.telemetry.counters.handshakeFailures.values.reduce(0, +)) > 0
        }
        #expect(synced)

        let admin = try AdminServer(metrics: NodeMetrics(node: a.node, hub: a.hub), home: a.node.home, group: group)
        let adminPort = try await admin.start(host: "127.0.0.1", port: 0)
        let adminToken = try AdminToken.ensure(in: a.node.home).text
        let response = try await httpGet(port: adminPort, path: "/metrics", group: group, token: adminToken)
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
        if ProcessInfo.processInfo.environment["ROOST_SHOW_METRICS"] != nil { print(response) }
        let body = String(response[response.range(of: "\r\n\r\n")!.upperBound...])
        let peer = "peer=\"\(b.node.id.text)\""
        #expect(sample(body, "roost_ops_applied_total") == Double(bOps))
        #expect(sample(body, "roost_peer_connected{\(peer)}") == 1)
        #expect(sample(body, "roost_peer_lag_ops{\(peer)}") == 0)
        #expect(sample(body, "roost_peer_lag_seconds{\(peer)}") == 0)
        #expect(sample(body, "roost_peer_ahead_ops{\(peer)}") == 0)
        #expect((sample(body, "roost_peer_received_bytes{\(peer)}") ?? 0) > 0)
        #expect((sample(body, "roost_peer_sent_bytes{\(peer)}") ?? 0) > 0)
        #expect((sample(body, "roost_handshake_failures_total{reason=\"wrong-network-key\"}") ?? 0) >= 1)
        #expect(sample(body, "roost_outbox_messages{state=\"queued\"}") == 1)
        #expect(sample(body, "roost_outbox_messages{state=\"posted\"}") == 0)
        #expect(sample(body, "roost_sla_breaches_tickets") == 1)
        #expect(body.contains("# TYPE roost_ops_applied_total counter"))

        // The same sync as events: a session, a batch of B's ops, a refused handshake with its reason.
        let seen = events.all
        #expect(seen.contains { $0.kind == .connected && $0.peer == b.node.id.text })
        #expect(seen.filter { $0.kind == .batchApplied && $0.peer == b.node.id.text }.compactMap(\.ops).reduce(0, +) == bOps)
        #expect(seen.contains { $0.kind == .handshakeRefused && $0.reason == "wrong-network-key" && $0.address?.hasPrefix("127.0.0.1:") == true })

        // What the daemon persists in peers.json for `roost-inspect peers/vectors`: B's vector as A heard it.
        let records = HeardVector.records(a.hub.heardVectors)
        #expect(records.map(\.node) == [b.node.id.text])
        #expect(records.first.map { VectorEntry.vector(of: $0.vector) } == (try b.node.store.versionVector()))

        // A second scrape does not count the same ops twice.
        let again = try await httpGet(port: adminPort, path: "/metrics", group: group, token: adminToken)
        #expect(sample(String(again[again.range(of: "\r\n\r\n")!.upperBound...]), "roost_ops_applied_total") == Double(bOps))

        let missing = try await httpGet(port: adminPort, path: "/other", group: group, token: adminToken)
        #expect(missing.hasPrefix("HTTP/1.1 404 Not Found\r\n"))

        // Without the admin token, or with another, nothing is served; a rotated token replaces the old one at once.
        let tokenMode = try FileManager.default.attributesOfItem(atPath: a.node.home.adminTokenPath)[.posixPermissions] as? Int
        #expect(tokenMode == 0o600)
        let anonymous = try await httpGet(port: adminPort, path: "/metrics", group: group)
        #expect(anonymous.hasPrefix("HTTP/1.1 401 Unauthorized\r\n"))
        #expect(anonymous.contains("WWW-Authenticate: Bearer") && !anonymous.contains("roost_ops_applied_total"))
        let wrong = try await httpGet(port: adminPort, path: "/metrics", group: group, token: String(repeating: "0", count: 64))
        #expect(wrong.hasPrefix("HTTP/1.1 401 Unauthorized\r\n"))
        let unknownPath = try await httpGet(port: adminPort, path: "/other", group: group)
        #expect(unknownPath.hasPrefix("HTTP/1.1 401 Unauthorized\r\n"))
        let rotated = try AdminToken.rotate(in: a.node.home).text
        #expect(rotated != adminToken)
        let old = try await httpGet(port: adminPort, path: "/metrics", group: group, token: adminToken)
        #expect(old.hasPrefix("HTTP/1.1 401 Unauthorized\r\n"))
        let fresh = try await httpGet(port: adminPort, path: "/metrics", group: group, token: rotated)
        #expect(fresh.hasPrefix("HTTP/1.1 200 OK\r\n") && fresh.contains("roost_ops_applied_total"))

        await admin.shutdown()
        await intruder.service.shutdown()
        await a.service.shutdown()
        await b.service.shutdown()
        try await group.shutdownGracefully()
    }

    @Test func lagInSecondsIsTheAgeOfTheOldestOpAPeerLacks() throws {
        let team = try FixtureTeam()
        defer { team.cleanup() }
        // Cy was last heard before Ben's ops at +21 s: the oldest op it lacks is Ben's b2/3.
        #expect(try team.ana.store.oldestMissingHLC(for: team.cyHeardVector) == HLC(physicalMillis: baseMillis + 21_000, logical: 0))
        #expect(try team.ana.store.oldestMissingHLC(for: try team.ben.store.versionVector()) == nil)
    }

    @Test func telemetryCountsBatchesBytesAndHandshakeFailures() throws {
        let telemetry = SyncTelemetry(clock: FixedClock(millis: baseMillis))
        let peer = AuthorID(key: Bytes32([UInt8](repeating: 7, count: 32))!)
        telemetry.record(.batchApplied, peer: peer, ops: 3)
        telemetry.received(100, from: peer)
        telemetry.record(.handshakeRefused, peer: nil, reason: "timed-out")
        telemetry.record(.batchApplied, peer: peer, ops: 2)
        telemetry.sent(40, to: peer)
        telemetry.record(.refusedByPeer, peer: peer, reason: "clock")
        let counters = telemetry.counters
        #expect(counters.opsApplied == 5 && counters.batchesApplied == 2)
        #expect(counters.bytesIn == [peer.text: 100] && counters.bytesOut == [peer.text: 40])
        #expect(counters.handshakeFailures == ["timed-out": 1])
        #expect(counters.refusedByPeers == ["clock": 1] && counters.batchesRefused.isEmpty)
    }
}

/// Events recorded from another thread.
final class LockedEvents: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [SyncEvent] = []
    func append(_ event: SyncEvent) { lock.withLock { events.append(event) } }
    var all: [SyncEvent] { lock.withLock { events } }
}
