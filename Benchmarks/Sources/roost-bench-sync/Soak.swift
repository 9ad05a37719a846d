import Foundation
import NIOConcurrencyHelpers
import RoostCore
@_spi(StoreInternals) import RoostStore
import RoostSync
import RoostSyncBenchSupport

/// The resident set size of this process, from /proc/self/status (Linux), in bytes.
func residentBytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
    return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
}

/// The soak run (issue 16): `nodes` in-process nodes with file stores, each with its own listener and sessions on
/// real loopback sockets, writing `rate` ops per second in total for `minutes`.
@MainActor func soak(minutes: Double, nodes count: Int, rate: Int) async throws {
    let peers = try (0..<count).map { try Peer(seed: UInt8(100 + $0 % 150), store: try fileStore("soak-\($0).sqlite")) }
    var ports: [Int] = []
    for peer in peers { ports.append(try await peer.service.listen(host: "127.0.0.1", port: 0).port!) }
    var generator = SystemRandomNumberGenerator()
    for (index, peer) in peers.enumerated() {
        let next = (index + 1) % count
        var chord = Int.random(in: 0..<count, using: &generator)
        while chord == index || chord == next { chord = Int.random(in: 0..<count, using: &generator) }
        try peer.dial(ports[next], peers[next])
        try peer.dial(ports[chord], peers[chord])
    }
    _ = try await waitUntil(timeout: 120) { peers.allSatisfy { $0.hub.peerStatuses.filter(\.connected).count >= 2 } }
    say("soak: \(count) nodes connected; \(rate) ops/s in total for \(minutes) min")

    let tick = 0.1
    var carry = 0.0, errors = 0, skipped = 0
    // Each node writes on its own queue, as 50 agents at 50 machines do: a node busy applying what its peers
    // sent delays its own writes, not everyone's. Counts are kept under one lock.
    let queues = (0..<count).map { DispatchQueue(label: "soak.writer.\($0)") }
    let tally = NIOLockedValueBox(Tally(nodes: count))
    // At most two seconds of writes wait in the queues; beyond that the machine cannot keep up, and the ops not
    // enqueued are counted as skipped (the achieved rate says so).
    let maxQueued = max(rate * 2, 20)
    // Resident set size, and the part of it outside SQLite (whose page caches are bounded per connection: 50
    // stores in one process hold 50 caches that fill as the databases grow, which one node per process does not).
    var rss: [(Double, Int)] = [], heap: [(Double, Int)] = [], cached: [(Double, Int)] = [], lags: [Double] = [], pending: [(node: Int, seq: UInt64, at: Double)] = []
    let start = now(), end = start + minutes * 60
    var nextSample = start, nextProbe = start + 1, lastTick = start
    while now() < end {
        let tickStart = now()
        // What is due since the last tick, by the clock: a tick that ran late (the machine is busy) must not lower the
        // rate asked (it did until 2026-12-05: ~8% fewer ops were asked than the rate said).
        carry += Double(rate) * (tickStart - lastTick)
        lastTick = tickStart
        var due = Int(carry)
        carry -= Double(due)
        // Ops go out in small transactions from random nodes: tags and register writes on 5,000 tickets.
        while due > 0 {
            let writer = Int.random(in: 0..<count, using: &generator)
            let n = min(due, Int.random(in: 1...10, using: &generator))
            due -= n
            guard tally.withLockedValue({ $0.queued + n <= maxQueued ? ($0.queued += n, true).1 : false }) else {
                skipped += n
                continue
            }
            let ops: [OpBody] = (0..<n).map { i in
                let ticket = EntityRef("ticket", "s\(Int.random(in: 0..<5_000, using: &generator))")
                return .set(entity: ticket, field: "f\(Int.random(in: 0..<8, using: &generator))",
                            value: .int(Int64(Int.random(in: 0..<1_000_000_000, using: &generator) + i)))
            }
            let peer = peers[writer]
            queues[writer].async {
                do {
                    try peer.store.append(ops, by: peer.author, clock: RealClock())
                    peer.hub.storeMayHaveChanged()
                    tally.withLockedValue { $0.queued -= n; $0.written += n; $0.seq[writer] += UInt64(n) }
                } catch {
                    tally.withLockedValue { $0.queued -= n; $0.errors += 1 }
                }
            }
        }
        let counts = tally.withLockedValue { $0 }
        let written = counts.written
        if now() >= nextProbe {
            // The newest op of a random node is the probe: its lag is until every node holds it.
            let node = Int.random(in: 0..<count, using: &generator)
            if counts.seq[node] > 0 { pending.append((node, counts.seq[node], now())) }
            nextProbe += 1
        }
        if !pending.isEmpty {
            var still: [(node: Int, seq: UInt64, at: Double)] = []
            // What each node's sync hub holds (kept in memory, refreshed after every write and apply).
            let vectors = peers.map { $0.hub.localVector }
            for probe in pending {
                let log = peers[probe.node].author.log
                if vectors.allSatisfy({ $0[log] >= probe.seq }) {
                    lags.append((now() - probe.at) * 1000)
                } else if now() - probe.at > 60 {
                    errors += 1
                    say("soak: a probe op was not on every node after 60 s")
                } else {
                    still.append(probe)
                }
            }
            pending = still
        }
        if now() >= nextSample {
            let resident = residentBytes(), sqlite = StoreMemory.sqliteBytesInUse, at = now() - start
            rss.append((at, resident))
            heap.append((at, resident - sqlite))
            cached.append((at, sqlite))
            say(String(format: "soak: %.0f s, %d ops written, RSS %.0f MB (SQLite %.0f MB, rest %.0f MB), %d errors, lag p50 %.0f ms p99 %.0f ms (%d probes)",
                       now() - start, written, Double(resident) / 1e6, Double(sqlite) / 1e6,
                       Double(resident - sqlite) / 1e6, errors + counts.errors,
                       lags.isEmpty ? 0 : percentile(lags, 0.5), lags.isEmpty ? 0 : percentile(lags, 0.99), lags.count))
            nextSample += 10
        }
        let rest = tick - (now() - tickStart)
        if rest > 0 { try await Task.sleep(nanoseconds: UInt64(rest * 1e9)) }
    }
    let writingSeconds = now() - start
    // Writes still queued finish (and count) before the nodes must agree.
    for queue in queues { queue.sync {} }
    let counts = tally.withLockedValue { $0 }
    let written = counts.written
    errors += counts.errors
    // When writing stops, every node must reach the same vector and the same state (a divergence is an error).
    let settleStart = now()
    let settled = try await waitUntil(timeout: 300, poll: 200_000_000) {
        let first = try peers[0].store.versionVector()
        return try peers.dropFirst().allSatisfy { try $0.store.versionVector() == first }
    }
    let hashes = Set(try peers.map { try $0.store.stateHash() })
    if !settled { errors += 1; say("soak: the nodes' vectors still differ 300 s after writing stopped") }
    if hashes.count != 1 { errors += 1; say("soak: \(hashes.count) different state hashes after settling") }
    say(String(format: "soak: settled in %.1f s; %d state hash(es) over %d nodes", now() - settleStart, hashes.count, count))

    // Warm-up ends when SQLite's page caches are full (its memory within 3% of where it ends): until then the
    // resident set grows with the databases by design (50 caches of StoreLimits.pageCacheKiB in one process).
    let finalCache = cached.last?.1 ?? 0
    let warmUp = cached.first { Double($0.1) >= 0.97 * Double(finalCache) }?.0 ?? 0
    /// Mean and half the range, in percent of the mean, of the samples after warm-up.
    func flatness(_ samples: [(Double, Int)]) -> (mean: Double, spread: Double) {
        let warm = samples.filter { $0.0 >= warmUp }.map(\.1)
        guard let low = warm.min(), let high = warm.max() else { return (0, 0) }
        let mean = Double(warm.reduce(0, +)) / Double(warm.count)
        return (mean, Double(high - low) / 2 / mean * 100)
    }
    let whole = flatness(rss), rest = flatness(heap)
    let achieved = Double(written) / writingSeconds
    say(String(format: "soak result: %d ops in %.1f min (%.0f ops/s of %d asked%@), %d errors; after warm-up (%.0f s, SQLite's caches full) RSS mean %.0f MB ±%.1f%%, outside SQLite mean %.0f MB ±%.1f%% (target ±10%%); SQLite peak %.0f MB; propagation lag p50 %.0f ms, p99 %.0f ms over %d probes",
               written, minutes, achieved, rate, skipped > 0 ? String(format: "; %d ops not written: the nodes could not keep up", skipped) : "",
               errors, warmUp, whole.mean / 1e6, whole.spread, rest.mean / 1e6, rest.spread,
               Double(StoreMemory.sqlitePeakBytes) / 1e6,
               lags.isEmpty ? 0 : percentile(lags, 0.5), lags.isEmpty ? 0 : percentile(lags, 0.99), lags.count))
    let sync = peers.map { $0.hub.telemetry.counters }
    let batches = sync.reduce(0) { $0 + $1.batchesApplied }, applied = sync.reduce(0) { $0 + $1.opsApplied }
    let received = sync.reduce(0) { $0 + $1.bytesIn.values.reduce(0, +) }
    say(String(format: "soak sync: %llu batches applied on all nodes, %llu new ops in them (%.1f per batch), %.1f MB received (%.0f B per new op)",
               batches, applied, Double(applied) / Double(max(batches, 1)), Double(received) / 1e6,
               Double(received) / Double(max(applied, 1))))
    for peer in peers { await peer.service.shutdown() }
}

/// The writers' counts (under the soak's lock).
struct Tally {
    var queued = 0, written = 0, errors = 0
    var seq: [UInt64]

    init(nodes: Int) { seq = [UInt64](repeating: 0, count: nodes) }
}
