import Foundation
import RoostCore
import RoostSync
import Testing

// Issue 18's partial replication test (Protocol/SPEC-partial.md): 40 queues, 120 partial nodes each subscribed to 1–3
// queues, 6 full hubs, tickets imported, claimed, answered and moved, subscriptions changed, the hubs partitioned for a
// third of the run, 10% of the partial nodes offline in each tenth of it (their agents keep working), 5% of batches lost. CI runs 2,000 tickets; `tools/partial-mesh.sh` runs 100,000 (ROOST_PARTIAL_TICKETS).

@Suite struct PartialMeshTests {
    @Test("40 queues, 120 partial nodes: each holds exactly its subscriptions' ops after partitions, and a small share of the log")
    func meshHoldsExactlyTheSubscriptions() {
        let env = ProcessInfo.processInfo.environment
        let seed = env["ROOST_PARTIAL_SEED"].flatMap { UInt64($0) } ?? 0x18_0042
        let tickets = env["ROOST_PARTIAL_TICKETS"].flatMap { Int($0) } ?? 2_000
        print("partial mesh: seed \(seed) (ROOST_PARTIAL_SEED=\(seed) replays it), \(tickets) tickets")
        var mesh = PartialMesh(PartialMesh.Config(seed: seed, tickets: tickets))
        let started = Date()
        let figures = mesh.run()
        let f = figures
        print("""
            partial mesh: \(f.ops) ops (\(f.bytes) bytes) in \(f.rounds) rounds (\(f.quietRounds) after the last write), \
            \(String(format: "%.1f", Date().timeIntervalSince(started))) s; partial nodes hold on average \
            \(String(format: "%.2f", 100 * f.meanHeldShare))% of the log's bytes (max \(String(format: "%.2f", 100 * f.maxHeldShare))%), \
            \(String(format: "%.2f", 100 * f.meanHeldOpShare))% of its ops; wire \(f.wireBytes) bytes for \(f.wireOps) ops \
            (\(f.wireOps == 0 ? 0 : f.wireBytes / f.wireOps) B/op), \(f.lostBatches) batches lost; \(f.erasures) erasures of \(f.erasedOps) ops, \(f.refusedErasures) by agents (refused); while the team works, online nodes hold \(String(format: "%.1f", 100 * f.heldOutside.value))% of their queues' tickets (\(String(format: "%.1f", 100 * f.heldDuringPartition.value))% during the partition); routing writes \(String(format: "%.1f", 100 * f.routingShare))% of the log; scope gaps \(f.counters.scopeGaps), duplicates \
            \(f.counters.duplicates), dropped \(f.counters.dropped); \(mesh.twins.count) store twins reopened \(mesh.twinRestarts) times
            """)
        #expect(f.mismatches.isEmpty, "\(f.mismatches.prefix(10))")
        #expect(f.counters.refusedRuns == 0)
        #expect(f.counters.unprovenScopes == 0)
        #expect(f.quietRounds < 200, "the team never became quiet")
        #expect(f.meanHeldShare <= 0.10, "partial nodes hold \(f.meanHeldShare) of the log on average")
        #expect(f.erasedOps > 0, "the run erased customers")
        #expect(f.refusedErasures > 0, "agents tried to erase")
        #expect(mesh.twins.count == 12 && mesh.twinRestarts > 0)
    }
}
