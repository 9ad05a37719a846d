import Foundation
import NIOCore
import RoostCore
import RoostCrypto
import RoostStore
import RoostSync
import RoostSyncBenchSupport

/// Issue 18's first figures (`--only members`): what an idle sync round costs, and the memory of a node, for a team of
/// M members (30, 300, 3,000). A founder admits M members; each member has written one sealed op; two nodes hold it
/// all (nothing to sync) and are connected through a counting proxy with a short anti-entropy interval. Measured: the
/// bytes both directions send per anti-entropy round (a `vector-digest` since protocol version 2, a full `have` of the
/// vector before; pings, framing), and the process's
/// resident memory before and after the two nodes opened their stores and their session, halved.
enum MembersBench {
    struct Result {
        var members: Int
        var roundBytes: Double
        var rssPerNodeKiB: Int
        var setupSeconds: Double
    }

    static func residentKiB() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }

    static func run(members count: Int, seconds: Double) async throws -> Result {
        let started = now()
        let founderKey = try SigningKey(seed: [UInt8](repeating: 0xF0, count: 32))
        let founder = LocalAuthor(key: founderKey, epoch: 1)
        let source = try OpStore(path: Bench.scratch.appendingPathComponent("members-\(count)-source.sqlite").path)
        try source.team.setFounder(founder.id)
        let keys = (0..<count).map { index -> SigningKey in
            var seed = [UInt8](repeating: 0, count: 32)
            withUnsafeBytes(of: UInt64(index + 1).bigEndian) { seed.replaceSubrange(0..<8, with: $0) }
            return try! SigningKey(seed: seed)
        }
        // The second node (B) is a member too; the first (A) is the founder.
        let nodeB = try SigningKey(seed: [UInt8](repeating: 0xB2, count: 32))
        try source.append([RosterChange.body(member: nodeB.authorID, .role(.lead))], by: founder, clock: RealClock())
        for start in stride(from: 0, to: count, by: 1_000) {
            let admissions = keys[start..<min(start + 1_000, count)].map { RosterChange.body(member: $0.authorID, .role(.agent)) }
            try source.append(admissions, by: founder, clock: RealClock())
        }
        for (index, key) in keys.enumerated() {
            let member = LocalAuthor(key: key, epoch: 1)
            let mine = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
            try mine.append([.set(entity: EntityRef(Desk.ticket, "p\(index)"), field: "status", value: .string("open"))],
                            by: member, clock: RealClock())
            try source.apply(try mine.batch(after: VersionVector()), clock: RealClock())
        }
        let everything = try source.batch(after: VersionVector(), limit: Limits.maxBatchOps)
        let setupSeconds = now() - started

        let before = residentKiB()
        let configuration = SyncConfiguration(pingIntervalMillis: 60_000, idleTimeoutMillis: 600_000,
                                              antiEntropyIntervalMillis: 1_000, relayDelayMillis: 0)
        func node(_ key: SigningKey, _ name: String) throws -> (OpStore, PeeringHub, PeeringService, AuthorID) {
            let store = try OpStore(path: Bench.scratch.appendingPathComponent("members-\(count)-\(name).sqlite").path)
            try store.team.setFounder(founder.id)
            try store.apply(everything, clock: RealClock())
            let hub = try PeeringHub(store: store, local: key.authorID, clock: RealClock(), logger: Bench.quiet)
            let service = PeeringService(hub: hub, identity: key, networkKey: Bench.networkKey, group: Bench.group,
                                         syncConfiguration: configuration, logger: Bench.quiet) { _ in .allow }
            return (store, hub, service, key.authorID)
        }
        let (storeA, _, serviceA, idA) = try node(founderKey, "a")
        let (storeB, _, serviceB, _) = try node(nodeB, "b")
        let (vectorA, vectorB) = (try storeA.versionVector(), try storeB.versionVector())
        precondition(vectorA == vectorB)
        let port = try await serviceA.listen(host: "127.0.0.1", port: 0).port!
        let proxy = CountingProxy()
        try await proxy.start(target: port)
        serviceB.dial(try PeerAddress(parsing: "\(idA.text)@127.0.0.1:\(proxy.port)"))
        // Settle: the handshake, the hellos (each a full vector) and the first rounds.
        try await Task.sleep(nanoseconds: 3_000_000_000)
        let first = proxy.bytes.withLockedValue { $0 }
        try await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
        let bytes = proxy.bytes.withLockedValue { $0 } - first
        let after = residentKiB()
        await serviceA.shutdown()
        await serviceB.shutdown()
        // Each side sends one digest (version 1: one `have`) per interval: rounds = seconds / interval, both directions counted together.
        let rounds = seconds / (Double(configuration.antiEntropyIntervalMillis) / 1000)
        return Result(members: count, roundBytes: Double(bytes) / rounds, rssPerNodeKiB: (after - before) / 2,
                      setupSeconds: setupSeconds)
    }
}
