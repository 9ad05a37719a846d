// roost-bench: the four scenarios of Benchmarks/README.md as one plain run that prints a table.
// The package-benchmark suite (Benchmarks/RoostStoreBenchmarks, Benchmarks/RoostRefoldBenchmarks)
// measures the same fixtures; this executable exists for a quick table, for the 1M re-fold in one
// go, and as a small release binary to profile (perf, valgrind --tool=callgrind).
//
//   roost-bench [--only append,latency,apply,refold,append-roost,append-plain,sql-profile] [--append-batches N] [--batch-ops N]
//               [--latency-samples N] [--apply-ops N] [--apply-runs N] [--refold-ops N]
//
// The desk benchmarks (tools/bench-desk.sh; Sources/RoostDeskBenchSupport):
//   roost-bench --only twcs,twcs-large,inbox [--twcs-runs N] [--twcs-copies N] [--twcs-large-runs N]
//               [--desk-tickets N] [--desk-rebuild 1] [--inbox-runs N]
//   roost-bench --only desk-home      # build or open the cached desk home and print DESK_HOME=<path>
//   roost-bench --only routing [--routing-agents N] [--routing-tickets N]   # issue 15's routing decision time
//   roost-bench --only growth [--growth-sizes 10000,100000,1000000]            # issue 12's growth curve
import Foundation
import RoostBenchSupport
import RoostCore
import RoostDeskBenchSupport
@_spi(StoreInternals) import RoostStore

if CommandLine.arguments.contains("--help") || CommandLine.arguments.contains("-h") {
    print("""
        USAGE: roost-bench [--only append,latency,apply,refold,append-roost,append-plain,sql-profile,twcs,twcs-large,inbox,desk-home,routing,peers,growth]
                           [--append-batches N] [--batch-ops N] [--latency-samples N] [--apply-ops N] [--apply-runs N]
                           [--refold-ops N] [--twcs-runs N] [--twcs-copies N] [--twcs-large-runs N] [--desk-tickets N]
                           [--desk-rebuild 1] [--inbox-runs N] [--growth-sizes N,N,...]

        Runs the benchmarks of Benchmarks/README.md in this (release) build and prints a table.
        """)
    exit(0)
}

// The heap as the `roost` executable sets it up (RoostStore.ProcessAllocator), so the figures are a node's.
ProcessAllocator.configure()

let options: [String: String] = {
    var options: [String: String] = [:]
    var args = CommandLine.arguments.dropFirst()
    while let arg = args.popFirst() {
        guard arg.hasPrefix("--") else { fatalError("unexpected argument \(arg)") }
        guard let value = args.popFirst() else { fatalError("\(arg) needs a value") }
        options[String(arg.dropFirst(2))] = value
    }
    return options
}()
@MainActor func int(_ name: String, _ fallback: Int) -> Int { options[name].flatMap { Int($0) } ?? fallback }
let only = Set((options["only"] ?? "append,latency,apply,refold").split(separator: ",").map(String.init))

struct Line { var benchmark: String; var result: String; var target: String; var met: String }
var lines: [Line] = []
func log(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

// 1. Append-and-apply of local ops in batches vs plain GRDB inserts of the same rows.
if only.contains("append") {
    let batches = int("append-batches", 100)
    let batchOps = int("batch-ops", 1_000)
    let node = try LocalNode(label: "append")
    let plain = try PlainStore()
    var roost = Samples()
    var base = Samples()
    // One warm-up batch each, then interleave so both see the same machine conditions.
    try node.append(node.workload.next(batchOps))
    var plainWorkload = Workload(prefix: "plain-warmup", holder: node.author.id)
    try plain.insert(plain.rows(for: plainWorkload.next(batchOps)))
    for _ in 0..<batches {
        let bodies = node.workload.next(batchOps)
        let rows = plain.rows(for: bodies)
        var start = nowNanos()
        try node.append(bodies)
        roost.add(nowNanos() - start)
        start = nowNanos()
        try plain.insert(rows)
        base.add(nowNanos() - start)
    }
    let roostRate = rate(batchOps, roost.median)
    let plainRate = rate(batchOps, base.median)
    let ratio = roostRate / plainRate
    log("append: roost p50 \(millis(roost.median)) ms/batch, plain p50 \(millis(base.median)) ms/batch")
    lines.append(Line(benchmark: "1. Roost append+apply, \(batchOps) ops/txn (median of \(batches))",
                      result: "\(grouped(roostRate)) ops/s (\(millis(roost.median)) ms/txn; mean \(grouped(rate(batchOps * batches, roost.total))) ops/s)",
                      target: "", met: ""))
    lines.append(Line(benchmark: "1. plain GRDB insert, same rows, \(batchOps) rows/txn",
                      result: "\(grouped(plainRate)) rows/s (\(millis(base.median)) ms/txn; mean \(grouped(rate(batchOps * batches, base.total))) rows/s)",
                      target: "", met: ""))
    lines.append(Line(benchmark: "1. ratio Roost / plain", result: String(format: "%.1f%%", ratio * 100),
                      target: ">= 40%", met: ratio >= 0.40 ? "yes" : "NO"))
}

// Profiling aid: only the Roost side of benchmark 1 (no baseline), for perf or callgrind.
if only.contains("append-roost") {
    let batches = int("append-batches", 100)
    let batchOps = int("batch-ops", 1_000)
    let node = try LocalNode(label: "append")
    var roost = Samples()
    for _ in 0..<batches {
        let bodies = node.workload.next(batchOps)
        let start = nowNanos()
        try node.append(bodies)
        roost.add(nowNanos() - start)
    }
    lines.append(Line(benchmark: "Roost append+apply only, \(batchOps) ops/txn (median of \(batches))",
                      result: "\(grouped(rate(batchOps, roost.median))) ops/s", target: "", met: ""))
}

// Profiling aid: only the baseline of benchmark 1.
if only.contains("append-plain") {
    let batches = int("append-batches", 100)
    let batchOps = int("batch-ops", 1_000)
    let plain = try PlainStore()
    var workload = Workload(prefix: "plain", holder: try LocalNode(label: "holder").author.id)
    var base = Samples()
    for _ in 0..<batches {
        let rows = plain.rows(for: workload.next(batchOps))
        let start = nowNanos()
        try plain.insert(rows)
        base.add(nowNanos() - start)
    }
    lines.append(Line(benchmark: "plain GRDB insert only, \(batchOps) rows/txn (median of \(batches))",
                      result: "\(grouped(rate(batchOps, base.median))) rows/s", target: "", met: ""))
}

// Profiling aid: SQLite's own time per statement during benchmark 1's appends and benchmark 2's
// apply, against the wall time of the same calls (the rest is Swift, GRDB and the kernel outside
// SQLite's step). The trace itself adds a little time outside SQLite.
if only.contains("sql-profile") {
    func show(_ title: String, _ profile: SQLProfile, ops: Int, wall: UInt64) {
        let entries = profile.sorted
        let inside = entries.reduce(UInt64(0)) { $0 + $1.nanos }
        print("\n\(title): \(grouped(Double(ops))) ops, wall \(millis(wall, places: 1)) ms = \(String(format: "%.2f", Double(wall) / 1e3 / Double(ops))) µs/op; "
              + "inside SQLite \(String(format: "%.2f", Double(inside) / 1e3 / Double(ops))) µs/op (\(Int((Double(inside) / Double(wall) * 100).rounded()))%)\n")
        print("| statements/op | µs/op in SQLite | statement |")
        print("| ---: | ---: | --- |")
        for entry in entries.prefix(25) {
            let sql = entry.sql.replacingOccurrences(of: "\n", with: " ").split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            print("| \(String(format: "%.3f", Double(entry.count) / Double(ops))) | \(String(format: "%.2f", Double(entry.nanos) / 1e3 / Double(ops))) | `\(sql.prefix(110))` |")
        }
    }
    let batches = int("append-batches", 30)
    let batchOps = int("batch-ops", 1_000)
    let node = try LocalNode(label: "sqlprofile")
    try node.fill(10 * batchOps, batch: batchOps)
    let profile = SQLProfile()
    profile.attach(to: node.store.writer)
    var wall: UInt64 = 0
    for _ in 0..<batches {
        let bodies = node.workload.next(batchOps)
        let start = nowNanos()
        try node.append(bodies)
        wall += nowNanos() - start
    }
    profile.detach(from: node.store.writer)
    show("Roost append, \(batchOps) ops/txn", profile, ops: batches * batchOps, wall: wall)

    let plain = try PlainStore()
    var plainWorkload = Workload(prefix: "plain", holder: node.author.id)
    try plain.insert(plain.rows(for: plainWorkload.next(10 * batchOps)))
    let plainProfile = SQLProfile()
    plainProfile.attach(to: plain.pool)
    wall = 0
    for _ in 0..<batches {
        let rows = plain.rows(for: plainWorkload.next(batchOps))
        let start = nowNanos()
        try plain.insert(rows)
        wall += nowNanos() - start
    }
    show("plain GRDB insert, \(batchOps) rows/txn", plainProfile, ops: batches * batchOps, wall: wall)

    let applyOps = int("apply-ops", 100_000)
    let batch = try makeRemoteBatch(ops: applyOps)
    let sink = try EmptyNode()
    let applyProfile = SQLProfile()
    applyProfile.attach(to: sink.store.writer)
    let start = nowNanos()
    try sink.store.apply(batch, clock: SystemClock())
    wall = nowNanos() - start
    show("Roost apply of a remote batch", applyProfile, ops: applyOps, wall: wall)
    print("")
}

// 3. Commit latency of one local op (its own transaction and seal).
if only.contains("latency") {
    let samples = int("latency-samples", 2_000)
    let node = try LocalNode(label: "latency")
    try node.fill(10_000, batch: 1_000) // a store that is not empty
    for _ in 0..<50 { try node.append([node.workload.nextBody()]) } // warm-up
    var latency = Samples()
    for _ in 0..<samples {
        let body = node.workload.nextBody()
        let start = nowNanos()
        try node.append([body])
        latency.add(nowNanos() - start)
    }
    lines.append(Line(benchmark: "3. commit latency, 1 op/txn (\(samples) commits)",
                      result: "p50 \(millis(latency.median)) ms, p90 \(millis(latency.percentile(90))) ms, p99 \(millis(latency.percentile(99))) ms, max \(millis(latency.maximum)) ms",
                      target: "p50 < 2 ms", met: latency.median < 2_000_000 ? "yes" : "NO"))
}

// 2. Apply of a remote batch of sealed ops (verification included) into an empty file store.
if only.contains("apply") {
    let ops = int("apply-ops", 100_000)
    let runs = int("apply-runs", 3)
    var start = nowNanos()
    let batch = try makeRemoteBatch(ops: ops)
    log("apply: source batch of \(batch.ops.count) ops, \(batch.seals.count) seals built in \(millis(nowNanos() - start, places: 0)) ms")
    var applies = Samples()
    for _ in 0..<runs {
        let sink = try EmptyNode()
        start = nowNanos()
        let report = try sink.store.apply(batch, clock: SystemClock())
        applies.add(nowNanos() - start)
        precondition(report.applied == ops, "applied \(report.applied) of \(ops)")
    }
    let applyRate = rate(ops, applies.median)
    lines.append(Line(benchmark: "2. apply remote batch of \(grouped(Double(ops))) sealed ops (median of \(runs))",
                      result: "\(grouped(applyRate)) ops/s (\(millis(applies.median, places: 0)) ms; best \(grouped(rate(ops, applies.minimum))) ops/s)",
                      target: ">= 100,000 ops/s", met: applyRate >= 100_000 ? "yes" : "NO"))
}

// 4. Re-fold (verify) of a store of 1,000,000 ops.
if only.contains("refold") {
    let ops = int("refold-ops", 1_000_000)
    var start = nowNanos()
    let (directory, store) = try makeLargeStore(ops: ops) { done in
        if done % 100_000 == 0 { log("refold: built \(done) ops") }
    }
    let build = nowNanos() - start
    start = nowNanos()
    let report = try store.verify()
    let verify = nowNanos() - start
    precondition(report.isOK, "verify found problems: \(report.problems.prefix(3))")
    precondition(report.ops == ops, "verify checked \(report.ops) ops")
    lines.append(Line(benchmark: "4. build the store: append \(grouped(Double(ops))) ops, 10,000 ops/txn",
                      result: String(format: "%.1f s, ", Double(build) / 1e9) + "\(grouped(rate(ops, build))) ops/s",
                      target: "", met: ""))
    lines.append(Line(benchmark: "4. re-fold: verify() of \(grouped(Double(ops))) ops",
                      result: String(format: "%.2f s, ", Double(verify) / 1e9) + "\(grouped(rate(ops, verify))) ops/s",
                      target: "(report)", met: ""))
    directory.remove()
}
// G. Growth curve (issue 12): the store's figures at 10k, 100k and 1M ops; cost per op may grow at most 1.5×.
if only.contains("growth") {
    let sizes = (options["growth-sizes"] ?? "10000,100000,1000000").split(separator: ",").compactMap { Int($0) }
    var points: [GrowthPoint] = []
    for size in sizes {
        let point = try GrowthPoint.measure(ops: size, log: log)
        points.append(point)
        let n = grouped(Double(size))
        lines.append(Line(benchmark: "G. \(n) ops: local append+apply, 1,000 ops/txn (whole build; last tenth)",
                          result: "\(grouped(point.localOpsPerSecond)) ops/s; \(grouped(point.marginalLocalOpsPerSecond)) ops/s",
                          target: "", met: ""))
        lines.append(Line(benchmark: "G. \(n) ops: remote apply of the whole log, batch by batch (as sync sends it)",
                          result: "\(grouped(point.remoteOpsPerSecond)) ops/s", target: "", met: ""))
        lines.append(Line(benchmark: "G. \(n) ops: re-fold (verify)",
                          result: String(format: "%.2f s (%.1f µs/op)", point.refoldSeconds, point.refoldSeconds * 1e6 / Double(size)),
                          target: "", met: ""))
        lines.append(Line(benchmark: "G. \(n) ops: database bytes per op (after a checkpoint)",
                          result: String(format: "%.1f", point.bytesPerOp), target: "", met: ""))
    }
    if let small = points.first, let large = points.last, points.count > 1 {
        let span = "\(grouped(Double(small.ops))) → \(grouped(Double(large.ops)))"
        for (name, growth) in [("local append (last tenth)", small.marginalLocalOpsPerSecond / large.marginalLocalOpsPerSecond),
                               ("remote apply", small.remoteOpsPerSecond / large.remoteOpsPerSecond),
                               ("re-fold", (large.refoldSeconds / Double(large.ops)) / (small.refoldSeconds / Double(small.ops)))] {
            lines.append(Line(benchmark: "G. cost per op, \(span): \(name)", result: String(format: "%.2f×", growth),
                              target: "<= 1.5×", met: growth <= 1.5 ? "yes" : "NO"))
        }
    }
}
// P. Side by side with Yrs, Loro and sqlite3 (tools/bench-peers.sh, issue 12): one phase per process.
if only.contains("peers") {
    guard let workload = options["peers-workload"], let directory = options["peers-dir"] else {
        fatalError("--only peers needs --peers-workload FILE and --peers-dir DIR (tools/bench-peers.sh passes them)")
    }
    let phase = options["peers-phase"] ?? "local"
    let result: PeersBench.Result
    do {
        result = switch phase {
        case "remote": try PeersBench.remote(workload: workload, directory: directory)
        case "remote-v2": try PeersBench.remoteV2(workload: workload, directory: directory)
        default: try PeersBench.local(workload: workload, directory: directory)
        }
    } catch {
        FileHandle.standardError.write(Data("roost-bench: peers \(phase): \(error)\n".utf8))
        exit(2)
    }
    print("PEERS engine=roost phase=\(phase) updates=\(result.updates) seconds=\(result.seconds) bytes=\(result.bytes) "
          + "peak_rss_kib=\(result.peakRSSKiB)")
}
// R1. Routing (issue 15): the decision for one ticket among 3,000 agents, over 100,000 open tickets.
if only.contains("routing") {
    var rng = SystemRandomNumberGenerator()
    let agentCount = int("routing-agents", 3_000), ticketCount = int("routing-tickets", 100_000)
    let languages = ["en", "es", "pt", "fr", "ja"], queues = (0..<50).map { "q\($0)" }
    func id(_ n: Int) -> AuthorID {
        var bytes = [UInt8](repeating: 0, count: 32)
        withUnsafeBytes(of: UInt64(n).bigEndian) { bytes.replaceSubrange(0..<8, with: $0) }
        return AuthorID(key: Bytes32(bytes)!)
    }
    let agents = (0..<agentCount).map { n in
        RoutingAgent(id: id(n), availability: n % 10 == 0 ? .away : (n % 13 == 0 ? .offline : .online), capacity: 10,
                     languages: [languages[n % 5], "en"], skills: Set((0..<3).map { "s\((n + $0 * 7) % 10)" }),
                     queues: Set([queues[n % 50], queues[(n * 7) % 50]]), load: Int.random(in: 0..<10, using: &rng),
                     lastClaimMillis: UInt64.random(in: 0..<1_000_000, using: &rng))
    }
    let tickets = (0..<ticketCount).map { n in
        RoutingTicket(key: "p\(1_900_000_000_000_000_000 + n)", queue: queues[n % 50], language: languages[n % 5],
                      skills: n % 4 == 0 ? ["s\(n % 10)"] : [], waitingSinceMillis: UInt64(n))
    }
    for mode in RoutingMode.allCases {
        let policy = RoutingPolicy(queue: "", mode: mode, timeoutMillis: 120_000)
        var samples: [Double] = []
        var named = 0
        for (n, ticket) in tickets.enumerated() where n % 10 == 3 {  // a tenth, spread over queues and skills
            var policyForQueue = policy
            policyForQueue.queue = ticket.queue
            // Now = one to three timeouts after the ticket began waiting, so later attempts (a sort) are timed too.
            let now = ticket.waitingSinceMillis + UInt64(n % 3) * 120_000
            let start = DispatchTime.now().uptimeNanoseconds
            if RoutingRules.named(for: ticket, among: agents, policy: policyForQueue, now: now) != nil { named += 1 }
            samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        samples.sort()
        let p50 = samples[samples.count / 2], p99 = samples[Int(Double(samples.count - 1) * 0.99)]
        lines.append(Line(benchmark: "routing decision, \(mode.rawValue), \(agentCount) agents, \(samples.count) of \(ticketCount) open tickets (\(named) named)",
                          result: String(format: "p50 %.3f ms, p99 %.3f ms", p50, p99), target: "p99 <= 1 ms", met: p99 <= 1 ? "yes" : "no"))
    }
    // A node's routing pass: 500 waiting tickets of every queue assigned in sequence (names count as load).
    let pass = Array(tickets.prefix(500))
    let policies = Dictionary(uniqueKeysWithValues: queues.map { ($0, RoutingPolicy(queue: $0, mode: .leastLoaded)) })
    var passes: [Double] = []
    for _ in 0..<20 {
        let start = DispatchTime.now().uptimeNanoseconds
        _ = RoutingRules.assign(pass, among: agents, policies: policies, now: 0)
        passes.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
    }
    passes.sort()
    lines.append(Line(benchmark: "routing pass: 500 tickets assigned among \(agentCount) agents (median of 20)",
                      result: String(format: "%.1f ms", passes[10]), target: "-", met: "-"))
}

// D1, D2. The desk: TWCS import into a node home, and the inbox on 100,000 tickets.
let deskModes: Set<String> = ["twcs", "twcs-large", "inbox", "desk-home"]
if !only.isDisjoint(with: deskModes) {
    let desk = try runDeskBenchmarks(only: only, int: { name, fallback in options[name].flatMap { Int($0) } ?? fallback }, log: log)
    lines += desk.map { Line(benchmark: $0.benchmark, result: $0.result, target: $0.target, met: $0.met) }
}
ScratchDirectory.removeAll()

if let name = DeskWhatIf.name { print("What-if run: ROOST_BENCH_DESK_INDEXES=\(name) (the desk_ticket indexes before commit 23a83c7), not the shipped schema.\n") }
if let mib = Tuning.cacheMiB { print("What-if run: ROOST_BENCH_CACHE_MIB=\(mib) (PRAGMA cache_size of the writers), not the shipped settings.\n") }
print("| Benchmark | Result | Target | Met |")
print("| --- | --- | --- | --- |")
for line in lines { print("| \(line.benchmark) | \(line.result) | \(line.target) | \(line.met) |") }
