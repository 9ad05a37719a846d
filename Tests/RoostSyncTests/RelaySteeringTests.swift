import Foundation
import Testing
import RoostCore
import RoostStore
@testable import RoostSync

/// Relaying without a fixed hold per hop (Protocol/SPEC-sync.md §2b.17): version 2 pushes relayed ops at once; a
/// receiver that got an author's ops first by another path prunes that author on this link (lazy: announced at
/// once, pushed after the hold), and grafts it back when the lazy path brings something new.
@Suite struct RelaySteeringTests {
    typealias Machine = SyncSession.StateMachine
    typealias T = SyncSessionTests
    static let logC = LogID(author: T.c, epoch: 1)
    static let configuration = SyncConfiguration(relayDelayMillis: 200)

    static func active(version: UInt16 = SyncLimits.protocolVersion) -> Machine {
        var machine = Machine(local: T.a, expectedPeer: T.b, configuration: configuration, now: T.t0)
        _ = machine.start(localVector: VersionVector())
        _ = machine.received(.hello(SyncHello(protocolVersion: version, node: T.b, window: 2, vector: VersionVector())),
                             localVector: VersionVector(), now: T.t0)
        return machine
    }

    @Test func relayedOpsArePushedAtOnceUntilPrunedAndAgainOnceGrafted() {
        let relayed = VersionVector([Self.logC: 3])
        var machine = Self.active()
        var actions = machine.localChanged(localVector: relayed, now: T.t0 + 10)
        #expect(T.sent(actions) == [.have(relayed)])
        #expect(T.fetches(actions).map(\.0) == [VersionVector()], "pushed at once, no hold")

        var pruned = Self.active()
        _ = pruned.received(.prune([T.c]), localVector: VersionVector(), now: T.t0 + 5)
        actions = pruned.localChanged(localVector: relayed, now: T.t0 + 10)
        #expect(T.fetches(actions).isEmpty, "held")
        #expect(pruned.nextDeadline == T.t0 + 210)
        actions = pruned.received(.graft([T.c]), localVector: relayed, now: T.t0 + 20)
        #expect(T.fetches(actions).map(\.0) == [VersionVector()], "what waited goes at once")

        // Configured to hold every relay: held, as version 1 does.
        var holding = Machine(local: T.a, expectedPeer: T.b,
                              configuration: SyncConfiguration(relayDelayMillis: 200, eagerRelay: false), now: T.t0)
        _ = holding.start(localVector: VersionVector())
        _ = holding.received(.hello(SyncHello(node: T.b, window: 2, vector: VersionVector())), localVector: VersionVector(), now: T.t0)
        #expect(T.fetches(holding.localChanged(localVector: relayed, now: T.t0 + 10)).isEmpty)

        // Version 1 holds every relay, as it always did.
        var old = Self.active(version: 1)
        #expect(T.fetches(old.localChanged(localVector: relayed, now: T.t0 + 10)).isEmpty)
        #expect(T.closeReason(old.received(.prune([T.c]), localVector: relayed, now: T.t0 + 11))
                == .protocolViolation("prune in a version 1 session"))
    }

    @Test func aBatchOfHeldOpsPrunesItsAuthorsAndNewOpsOfAPrunedAuthorGraftIt() {
        let logA = T.logA, logB = T.logB, logC = Self.logC
        var machine = Self.active()
        func deliver(_ id: UInt64, new: Set<LogID>, duplicate: Set<LogID>) -> [SyncMessage] {
            let batch = T.fakeBatch(logC, count: 1)
            _ = machine.received(.batch(id: id, batch), localVector: VersionVector(), now: T.t0 + id)
            var report = ApplyReport(applied: new.count, duplicates: duplicate.count)
            report.newLogs = new
            report.duplicateLogs = duplicate
            return T.sent(machine.batchApplied(id: id, result: .success(report), localVector: VersionVector(), now: T.t0 + id))
                .filter { if case .ack = $0 { false } else { true } }
        }
        // C's ops were all held already; the peer's (B's) and ours (A's) are never pruned.
        #expect(deliver(1, new: [], duplicate: [logC, logB, logA]) == [.prune([T.c])])
        #expect(deliver(2, new: [], duplicate: [logC]) == [], "pruned once")
        // New ops of C came by this lazy path: its faster path is gone.
        #expect(deliver(3, new: [logC], duplicate: []) == [.graft([T.c])])
        #expect(deliver(4, new: [logC], duplicate: []) == [])
    }
}
