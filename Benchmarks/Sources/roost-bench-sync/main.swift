// roost-bench-sync: the sync benchmarks of issue 4, over real TCP on 127.0.0.1, release build.
//
//   1. initial sync of N ops (default 1,000,000) between two nodes with file stores, against the
//      receiver's local apply rate of the same batches;
//   2. bytes on the wire per op (counted by a forwarding proxy, both directions) against the op's encoded
//      size (header, body, its share of the seals);
//   3. push latency of one op to a connected peer (p50, p99 over 200 ops);
//   4. convergence time of a claim across 30 nodes in a sparse mesh (each dials 2 others);
//   5. soak (only when asked: `--only soak`): N nodes (default 50) with file stores on real sockets, a ring plus a
//      chord each, writing R ops/s in total (default 1,000) for M minutes (default 60): RSS sampled every 10 s
//      (flat within ±10% after warm-up), errors counted, propagation lag (append -> held by every node) of one
//      probe op per second, p50/p99;
//   7. answering a partial peer from a store (only when asked: `--only partial [--partial-tickets T] [--partial-dir D]`,
//      PartialServe.swift): the view's first computation, the peer's catch-up, and one answer in steady state;
//      `--partial-history`: the tickets written in format 1 before the team moved to format 2 (SPEC-partial.md §P.3c).
//   6. format 2's bytes (only when asked: `--only format2 --workload FILE`, tools/bench-format2.sh): sync bytes and
//      op-table bytes per op of format 1 and format 2 on issue 12's workload (Format2Sizes.swift).
//
// Usage: roost-bench-sync [--ops N] [--only initial,latency,mesh,soak,format2,members] [--soak-minutes M] [--soak-nodes N] [--soak-rate R]
//        [--workload FILE]
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RoostCore
import RoostCrypto
import RoostStore
import RoostSync
import RoostSyncBenchSupport

struct RealClock: WallClock {
    func nowMillis() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }
}

/// Prints a line at once (stdout is a pipe when a script captures it).
func say(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

// The heap as the `roost` executable sets it up (RoostStore.ProcessAllocator), so the figures are a node's.
ProcessAllocator.configure()

var arguments = CommandLine.arguments.dropFirst()
var opsCount = 1_000_000
var only: Set<String> = ["initial", "latency", "mesh"]
var soakMinutes = 60.0, soakNodes = 50, soakRate = 1_000
var meshNodes = 30, meshDials = 2, meshClaims = 5
var relayMillis: UInt64 = SyncConfiguration().relayDelayMillis
var eagerRelay = true
var workloadPath: String?
var partialTickets = 20_000
var partialDirectory: String?
var partialHistory = false
while let argument = arguments.popFirst() {
    switch argument {
    case "--ops": opsCount = Int(arguments.popFirst() ?? "") ?? opsCount
    case "--soak-minutes": soakMinutes = Double(arguments.popFirst() ?? "") ?? soakMinutes
    case "--soak-nodes": soakNodes = max(3, Int(arguments.popFirst() ?? "") ?? soakNodes)
    case "--soak-rate": soakRate = max(1, Int(arguments.popFirst() ?? "") ?? soakRate)
    case "--mesh-nodes": meshNodes = min(240, max(3, Int(arguments.popFirst() ?? "") ?? meshNodes))
    case "--mesh-dials": meshDials = max(1, Int(arguments.popFirst() ?? "") ?? meshDials)
    case "--mesh-claims": meshClaims = max(1, Int(arguments.popFirst() ?? "") ?? meshClaims)
    case "--hold-relays": eagerRelay = false
    case "--relay-ms": relayMillis = UInt64(arguments.popFirst() ?? "") ?? relayMillis
    case "--only": only = Set((arguments.popFirst() ?? "").split(separator: ",").map(String.init))
    case "--workload": workloadPath = arguments.popFirst()
    case "--partial-tickets": partialTickets = max(100, Int(arguments.popFirst() ?? "") ?? partialTickets)
    case "--partial-dir": partialDirectory = arguments.popFirst()
    case "--partial-history": partialHistory = true
    case "--help", "-h":
        say("USAGE: roost-bench-sync [--ops N] [--only initial,latency,mesh,soak] [--soak-minutes M] [--soak-nodes N] [--soak-rate R]\n"
            + "       [--mesh-nodes N] [--mesh-dials D] [--mesh-claims K] [--relay-ms R] [--hold-relays]\n\n"
            + "Sync benchmarks over real TCP on 127.0.0.1 (initial sync, bytes per op, push latency, mesh convergence).")
        exit(0)
    default: FileHandle.standardError.write(Data("unknown argument \(argument)\n".utf8)); exit(2)
    }
}

/// Shared by every node of the run (RoostSyncBenchSupport's, plus this run's scratch directory).
enum Bench {
    static let quiet = SyncBench.quiet
    static let group = SyncBench.group
    static let networkKey = SyncBench.networkKey
    static let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("roost-bench-sync-\(UUID().uuidString)")
}
typealias Peer = SyncPeer
let quiet = Bench.quiet, group = Bench.group, scratch = Bench.scratch
try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: scratch) }

func fileStore(_ name: String) throws -> OpStore { try OpStore(path: Bench.scratch.appendingPathComponent(name).path) }

@MainActor func waitUntil(timeout: Double, poll: UInt64 = 10_000_000, _ condition: () throws -> Bool) async throws -> Bool {
    let deadline = now() + timeout
    while now() < deadline {
        if try condition() { return true }
        try await Task.sleep(nanoseconds: poll)
    }
    return try condition()
}

func percentile(_ values: [Double], _ p: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p))]
}

say("roost-bench-sync: \(opsCount) ops; \(ProcessInfo.processInfo.activeProcessorCount) cores")

if only.contains("initial") {
    // The sender's log: N ops in sealed runs of 1,000 (register sets on 10,000 tickets).
    let sender = try Peer(seed: 1, store: try fileStore("sender.sqlite"))
    var start = now()
    try InitialSync.writeLog(sender, ops: opsCount)
    say(String(format: "setup: appended %d ops in %.1f s", opsCount, now() - start))

    // The receiver's local apply rate of the same batches (read first, so only apply is timed).
    var batches: [OpBatch] = []
    var vector = VersionVector()
    var encodedBytes = 0
    while true {
        let batch = try sender.store.batch(after: vector, limit: 10_000)
        guard !batch.seals.isEmpty else { break }
        for seal in batch.seals { vector[seal.log] = max(vector[seal.log], seal.seq) }
        encodedBytes += batch.ops.reduce(0) { $0 + OpHeader.encodedLength + ($1.body?.count ?? 0) } + batch.seals.count * 144
        batches.append(batch)
    }
    let local = try fileStore("local.sqlite")
    start = now()
    for batch in batches { try local.apply(batch, clock: RealClock()) }
    let localRate = Double(opsCount) / (now() - start)
    say(String(format: "receiver local apply: %.0f ops/s (%.1f s)", localRate, Double(opsCount) / localRate))
    batches = []

    // Initial sync over TCP through the counting proxy.
    let receiver = try Peer(seed: 2, store: try fileStore("receiver.sqlite"))
    let port = try await sender.service.listen(host: "127.0.0.1", port: 0).port!
    let synced: InitialSync.Result
    do { synced = try await InitialSync.run(from: sender, port: port, to: receiver) } catch {
        say("initial sync did not finish in 30 min"); exit(1)
    }
    let elapsed = synced.seconds
    let syncRate = Double(opsCount) / elapsed
    let wire = synced.wireBytes
    say(String(format: "initial sync over TCP: %.0f ops/s (%.1f s) = %.0f%% of the receiver's local apply rate",
                 syncRate, elapsed, 100 * syncRate / localRate))
    say(String(format: "bytes on the wire: %d for %d bytes of encoded ops and seals: %.3fx (%.1f bytes/op on the wire)",
                 wire, encodedBytes, Double(wire) / Double(encodedBytes), Double(wire) / Double(opsCount)))
    await sender.service.shutdown()
    await receiver.service.shutdown()
}

if only.contains("latency") {
    let a = try Peer(seed: 3, store: try fileStore("latency-a.sqlite"))
    let b = try Peer(seed: 4, store: try fileStore("latency-b.sqlite"))
    let port = try await b.service.listen(host: "127.0.0.1", port: 0).port!
    try a.dial(port, b)
    try a.store.append([.set(entity: EntityRef("ticket", "warm"), field: "f", value: .int(0))], by: a.author, clock: RealClock())
    a.hub.storeMayHaveChanged()
    _ = try await waitUntil(timeout: 30) { try b.store.versionVector()[a.author.log] == 1 }
    var samples: [Double] = []
    for n in 0..<200 {
        let seq = UInt64(n + 2)
        let start = now()
        try a.store.append([.claim(entity: EntityRef("ticket", "p\(n)"), action: .claim, holder: a.author.id, leaseSeconds: 600,
                                   observed: nil)], by: a.author, clock: RealClock())
        a.hub.storeMayHaveChanged()
        guard try await waitUntil(timeout: 10, poll: 200_000, { try b.store.versionVector()[a.author.log] >= seq }) else {
            say("push \(n) did not arrive in 10 s"); exit(1)
        }
        samples.append((now() - start) * 1000)
    }
    say(String(format: "push latency of one claim to a connected peer (append to applied, 200 ops): p50 %.2f ms, p99 %.2f ms, max %.2f ms",
                 percentile(samples, 0.5), percentile(samples, 0.99), samples.max()!))
    await a.service.shutdown()
    await b.service.shutdown()
}

if only.contains("mesh") {
    let count = meshNodes
    let configuration = SyncConfiguration(relayDelayMillis: relayMillis, eagerRelay: eagerRelay)
    let peers = try (0..<count).map {
        try Peer(seed: UInt8(10 + $0), store: try OpStore(inMemoryWithMaxClockDriftMillis: 300_000), configuration: configuration)
    }
    var ports: [Int] = []
    for peer in peers { ports.append(try await peer.service.listen(host: "127.0.0.1", port: 0).port!) }
    // A ring plus random chords: every node dials `meshDials` others (the next one and random ones), so it has
    // about 2 × meshDials peers (sparse, connected).
    var generator = SystemRandomNumberGenerator()
    var links = Set<[Int]>()
    for index in 0..<count {
        var dialed = [(index + 1) % count]
        while dialed.count < meshDials {
            let other = Int.random(in: 0..<count, using: &generator)
            if other != index, !dialed.contains(other), !links.contains([other, index]) { dialed.append(other) }
        }
        for other in dialed {
            links.insert([index, other])
            try peers[index].dial(ports[other], peers[other])
        }
    }
    var degree = [Int](repeating: 0, count: count)
    for link in links { degree[link[0]] += 1; degree[link[1]] += 1 }
    guard try await waitUntil(timeout: 120, {
        peers.enumerated().allSatisfy { $0.element.hub.peerStatuses.filter(\.connected).count >= degree[$0.offset] }
    }) else { say("the mesh did not connect in 120 s"); exit(1) }
    var times: [Double] = []
    var halfway = (0, 0)
    for round in 0..<meshClaims {
        if round == meshClaims / 2 {
            halfway = peers.map(\.hub.receivedOps).reduce((0, 0)) { ($0.0 + $1.applied, $0.1 + $1.duplicates) }
        }
        let claimer = peers[(round * 7) % count]
        let ticket = EntityRef("ticket", "mesh\(round)")
        let log = LogID(author: claimer.author.id, epoch: claimer.author.epoch)
        let start = now()
        try claimer.store.append([.claim(entity: ticket, action: .claim, holder: claimer.author.id, leaseSeconds: 600, observed: nil)],
                                 by: claimer.author, clock: RealClock())
        // The claim's own seq (the hub's vector catches up asynchronously).
        let seq = try claimer.store.versionVector()[log]
        claimer.hub.storeMayHaveChanged()
        // Arrived = applied: a node's vector holds the claim's seq (read from memory, so polling costs little).
        guard try await waitUntil(timeout: 30, poll: 1_000_000, { peers.allSatisfy { $0.hub.localVector[log] >= seq } }) else {
            say("claim \(round) did not reach every node in 30 s"); exit(1)
        }
        times.append((now() - start) * 1000)
        try await Task.sleep(nanoseconds: 20_000_000)
    }
    let received = peers.map(\.hub.receivedOps).reduce((0, 0)) { ($0.0 + $1.applied, $0.1 + $1.duplicates) }
    say("claim convergence across \(count) nodes (ring + chords, \(links.count) links, degree \(degree.min()!)–\(degree.max()!)), "
          + "relay hold \(relayMillis) ms \(eagerRelay ? "for pruned authors" : "for every relayed op"), \(meshClaims) claims: "
          + String(format: "median %.0f ms, p90 %.0f ms, p99 %.0f ms, max %.0f ms",
                   percentile(times, 0.5), percentile(times, 0.9), percentile(times, 0.99), times.max()!)
          + "; ops received \(received.0 + received.1), of which duplicates \(received.1)"
          + " (second half of the claims: \(received.0 + received.1 - halfway.0 - halfway.1), duplicates \(received.1 - halfway.1))")
    for peer in peers { await peer.service.shutdown() }
}
if only.contains("soak") {
    try await soak(minutes: soakMinutes, nodes: soakNodes, rate: soakRate)
}
if only.contains("format2") {
    guard let workloadPath else { say("--only format2 needs --workload FILE (tools/bench-format2.sh makes it)"); exit(2) }
    let directory = NSTemporaryDirectory() + "roost-format2-\(getpid())"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let r = try Format2Sizes.run(workload: workloadPath, directory: directory)
    func per(_ bytes: Int) -> String { String(format: "%.1f", Double(bytes) / Double(r.ops)) }
    say("FORMAT2 ops=\(r.ops) v1_wire_per_op=\(per(r.v1Wire)) v2_wire_per_op=\(per(r.v2Wire)) "
        + "v1_table_per_op=\(per(r.v1Table)) v2_table_per_op=\(per(r.v2Table))")
}

if only.contains("members") {
    for members in [30, 300, 3_000] {
        let r = try await MembersBench.run(members: members, seconds: 10)
        say(String(format: "MEMBERS members=%d idle_round_bytes=%.0f rss_per_node_kib=%d setup_s=%.1f",
                   r.members, r.roundBytes, r.rssPerNodeKiB, r.setupSeconds))
    }
}
if only.contains("partial") {
    let r = try PartialServeBench.run(tickets: partialTickets, directory: partialDirectory ?? scratch.path, history: partialHistory)
    say(String(format: "PARTIAL tickets=%d ops=%d build_s=%.1f view_s=%.3f catchup_answers=%d catchup_ops=%d catchup_s=%.2f "
               + "held_tickets=%d held_ops=%d steady_p50_ms=%.2f steady_p99_ms=%.2f apply_p50_ms=%.2f apply_p99_ms=%.2f "
               + "store_bytes=%d partial_store_bytes=%d partial_store_ops=%d reopen_s=%.3f store=%@",
               r.tickets, r.ops, r.buildSeconds, r.viewSeconds, r.catchUpAnswers, r.catchUpOps, r.catchUpSeconds,
               r.heldTickets, r.heldOps, r.steadyP50 * 1000, r.steadyP99 * 1000, r.applyP50 * 1000, r.applyP99 * 1000,
               r.storeBytes, r.partialStoreBytes, r.partialStoreOps, r.reopenSeconds, r.path))
}

try await group.shutdownGracefully()
