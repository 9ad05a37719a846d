import Foundation
import GRDB
import Testing
import RoostCore
import RoostCrypto
@_spi(StoreInternals) @testable import RoostStore

/// The roster enforced by the store: admission at apply, purge on revocation, roles gating claims.
@Suite struct RosterStoreTests {
    /// Founder F, members K (agent) and L (lead); each writes into its own store, then their segments are
    /// applied to fresh replicas in various orders.
    struct Team {
        let founder: TestAuthor, kenji: TestAuthor, lea: TestAuthor

        init() throws {
            founder = try TestAuthor(seed: 1, epoch: 11)
            kenji = try TestAuthor(seed: 2, epoch: 22)
            lea = try TestAuthor(seed: 3, epoch: 33)
            for author in [founder, kenji, lea] {
                // Bound like a node's database: its own log is never purged as a non-member's.
                try author.store.bindLocalLog(author.local.log)
                try author.store.team.setFounder(founder.id)
            }
        }

        func replica() throws -> OpStore {
            let store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
            try store.team.setFounder(founder.id)
            return store
        }
    }

    static let ticket = EntityRef(Desk.ticket, "p1")
    static let clock = FixedClock(millis: baseMillis + 3_600_000)

    static func admit(_ member: TestAuthor, _ role: Role, by admin: TestAuthor, at millis: UInt64) throws {
        try admin.append([RosterChange.body(member: member.id, .role(role))], at: millis)
    }

    static func expectRejected(_ store: OpStore, _ batch: OpBatch, _ reason: RejectReason) {
        do {
            try store.apply(batch, clock: clock)
            Issue.record("expected \(reason)")
        } catch let StoreError.rejected(_, got) {
            #expect(got == reason)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func opsOfANonMemberAreRefusedUntilItsAdmissionArrives() throws {
        let team = try Team()
        try team.kenji.append([.set(entity: Self.ticket, field: "status", value: .string("open"))], at: baseMillis + 10)
        try Self.admit(team.kenji, .agent, by: team.founder, at: baseMillis + 20)
        let replica = try team.replica()
        let kenjiOps = try team.kenji.segments()[0]
        Self.expectRejected(replica, kenjiOps, .notMember)
        #expect(try replica.versionVector()[team.kenji.local.log] == 0)
        try replica.apply(try team.founder.segments()[0], clock: Self.clock)
        try replica.apply(kenjiOps, clock: Self.clock)
        #expect(try replica.state.register(Self.ticket, "status") == .string("open"))
        // In one batch, the admission (from the founder's log) admits ops earlier in the batch too.
        let other = try team.replica()
        try other.apply(OpBatch(ops: kenjiOps.ops + (try team.founder.segments()[0]).ops,
                                seals: kenjiOps.seals + (try team.founder.segments()[0]).seals), clock: Self.clock)
        #expect(try other.stateHash() == replica.stateHash())
    }

    /// Found by the simulation campaign (tools/sim.sh, seed 23117, 2026-12-04): Kenji claims a ticket, Lea (a lead)
    /// reassigns it to herself (her claim op observes his), and the founder revokes Kenji with a cut before his claim. His claim is removed
    /// everywhere; Lea's, observing an op no node will ever hold, waits outside the claim tree for good, so the ticket
    /// resolves to no claim on every node, whatever the order (SPEC.md §1.15, open issue 4: the reassignment is lost
    /// until someone claims the ticket again, which then resolves).
    @Test func aClaimThatObservedARevokedMembersVoidedClaimResolvesNowhere() throws {
        let team = try Team()
        try Self.admit(team.kenji, .agent, by: team.founder, at: baseMillis + 10)
        try Self.admit(team.lea, .lead, by: team.founder, at: baseMillis + 11)
        for member in [team.kenji, team.lea] {
            for segment in try team.founder.segments() { try member.store.apply(segment, clock: Self.clock) }
        }
        try team.kenji.append([.claim(entity: Self.ticket, action: .claim, holder: team.kenji.id, leaseSeconds: 600, observed: nil)],
                              at: baseMillis + 20)
        let kenjiClaim = try team.kenji.segments()[0]
        try team.lea.store.apply(kenjiClaim, clock: Self.clock)
        let observed = try #require(try team.lea.store.state.claim(on: Self.ticket)?.current)
        try team.lea.append([.claim(entity: Self.ticket, action: .reassign, holder: team.lea.id, leaseSeconds: 600, observed: observed)],
                            at: baseMillis + 30)
        let leaReassign = try team.lea.segments()[0]
        #expect(try team.lea.store.state.claim(on: Self.ticket)?.holder == team.lea.id)
        // The founder never held Kenji's claim: the cut keeps nothing of his.
        try team.founder.append([RosterChange.body(member: team.kenji.id, .revoke(RevocationCut(kept: [:])))], at: baseMillis + 40)
        let founderSegments = try team.founder.segments()

        let early = try team.replica()   // the claim and the reassignment first, then the revocation
        for segment in founderSegments.prefix(2) { try early.apply(segment, clock: Self.clock) }
        try early.apply(kenjiClaim, clock: Self.clock)
        try early.apply(leaReassign, clock: Self.clock)
        try early.apply(founderSegments[2], clock: Self.clock)
        let late = try team.replica()    // the revocation first: Kenji's claim is refused
        for segment in founderSegments { try late.apply(segment, clock: Self.clock) }
        Self.expectRejected(late, kenjiClaim, .revoked)
        try late.apply(leaReassign, clock: Self.clock)

        #expect(try early.stateHash() == late.stateHash())
        #expect(try early.state.claim(on: Self.ticket)?.current == nil)
        #expect(try late.state.claim(on: Self.ticket)?.current == nil)
        #expect(try early.verify().isOK)
        // A fresh claim resolves again.
        try early.append([.claim(entity: Self.ticket, action: .claim, holder: team.lea.id, leaseSeconds: 600, observed: nil)],
                         by: team.lea.local, clock: FixedClock(millis: baseMillis + 50))
        #expect(try early.state.claim(on: Self.ticket)?.holder == team.lea.id)
    }

    @Test func aRevocationThatArrivesLateRemovesTheOpsPastItsCut() throws {
        let team = try Team()
        try Self.admit(team.kenji, .agent, by: team.founder, at: baseMillis + 10)
        try team.kenji.store.apply(try team.founder.segments()[0], clock: Self.clock)
        try team.kenji.append([.set(entity: Self.ticket, field: "status", value: .string("open"))], at: baseMillis + 20)
        let kept = try team.kenji.segments()
        // The founder holds Kenji up to seq 1 and revokes him there; Kenji, unaware, writes on.
        try team.founder.store.apply(kept[0], clock: Self.clock)
        try team.founder.append([RosterChange.body(member: team.kenji.id, .revoke(RevocationCut(kept: [22: 1])))],
                                at: baseMillis + 30)
        try team.kenji.append([.set(entity: Self.ticket, field: "status", value: .string("resolved")),
                               .tagAdd(entity: Self.ticket, tag: "vip")], at: baseMillis + 40)
        let late = try team.kenji.segments()[1]

        // A relay that got Kenji's late ops first, then the revocation.
        let relay = try team.replica()
        try relay.apply(try team.founder.segments()[0], clock: Self.clock)
        try relay.apply(kept[0], clock: Self.clock)
        try relay.apply(late, clock: Self.clock)
        #expect(try relay.state.register(Self.ticket, "status") == .string("resolved"))
        try relay.apply(try team.founder.segments()[1], clock: Self.clock)
        #expect(try relay.versionVector()[team.kenji.local.log] == 1)
        #expect(try relay.state.register(Self.ticket, "status") == .string("open"))
        #expect(try relay.state.tags(of: Self.ticket).isEmpty)

        // A node that got the revocation first refuses the late ops; both end identical and verify.
        let direct = try team.replica()
        for segment in try team.founder.segments() { try direct.apply(segment, clock: Self.clock) }
        try direct.apply(kept[0], clock: Self.clock)
        Self.expectRejected(direct, late, .revoked)
        #expect(try direct.stateHash() == relay.stateHash())
        #expect(try relay.verify().isOK)
        #expect(try direct.verify().isOK)
        // Kenji's own store keeps its history, but refuses to append more.
        #expect(throws: StoreError.self) {
            try team.kenji.store.apply(try team.founder.segments()[1], clock: Self.clock)
            try team.kenji.append([.set(entity: Self.ticket, field: "priority", value: .string("high"))], at: baseMillis + 50)
        }
    }

    /// The same cut on a member who writes format 2: the ops past it go, and each scope's newest op (`scope_head`, the
    /// next op's scope prev) is the newest one kept; a scope whose ops all lay past the cut has none.
    @Test func aRevocationCutOfAFormat2LogKeepsEachScopesNewestOp() throws {
        let team = try Team()
        try Self.admit(team.kenji, .agent, by: team.founder, at: baseMillis + 10)
        var kenji = Format2LogWriter(key: team.kenji.local.key, epoch: team.kenji.local.epoch)
        func at(_ millis: UInt64) -> (Int) -> HLC { { HLC(physicalMillis: millis + UInt64($0), logical: 0) } }
        let kept = kenji.batch([.set(entity: Self.ticket, field: "status", value: .string("open"))], hlc: at(baseMillis + 20))
        let late = kenji.batch([.set(entity: Self.ticket, field: "status", value: .string("resolved")),
                                .set(entity: EntityRef(Desk.customer, "u9"), field: "name", value: .string("Ann")),
                                .tagAdd(entity: Self.ticket, tag: "vip")], hlc: at(baseMillis + 40))
        try team.founder.append([RosterChange.body(member: team.kenji.id, .revoke(RevocationCut(kept: [22: 1])))],
                                at: baseMillis + 30)
        let relay = try team.replica()
        try relay.apply(try team.founder.segments()[0], clock: Self.clock)
        try relay.apply(v2: kept, clock: Self.clock)
        try relay.apply(v2: late, clock: Self.clock)
        func heads() throws -> [Int64] {
            try relay.writer.read { db in try Int64.fetchAll(db, sql: "SELECT seq FROM scope_head ORDER BY seq") }
        }
        #expect(try heads() == [3, 4], "c/u9 at 3, t/p1 at 4")
        try relay.apply(try team.founder.segments()[1], clock: Self.clock)
        #expect(try relay.versionVector()[team.kenji.local.log] == 1)
        #expect(try heads() == [1], "t/p1 back at 1; c/u9 had no op before the cut")
        #expect(try relay.state.register(Self.ticket, "status") == .string("open"))
        let report = try relay.verify()
        #expect(report.isOK, "\(report.problems)")
    }

    @Test func onlyLeadsReassignWhateverOrderThePromotionArrivesIn() throws {
        let team = try Team()
        try Self.admit(team.kenji, .agent, by: team.founder, at: baseMillis + 10)
        try Self.admit(team.lea, .agent, by: team.founder, at: baseMillis + 11)
        let admissions = try team.founder.segments()
        // Lea reassigns the ticket to Kenji while an agent, and again after the founder makes her a lead.
        try team.lea.append([.claim(entity: Self.ticket, action: .reassign, holder: team.kenji.id, leaseSeconds: 600, observed: nil)],
                            at: baseMillis + 20)
        try Self.admit(team.lea, .lead, by: team.founder, at: baseMillis + 30)
        let promotion = try team.founder.segments()[2]
        let early = try team.lea.segments()[0]

        let before = try team.replica()
        for segment in admissions.prefix(2) { try before.apply(segment, clock: Self.clock) }
        try before.apply(early, clock: Self.clock)
        #expect(try before.state.claim(on: Self.ticket)?.holder == nil)
        #expect(try before.state.claimConflicts(on: Self.ticket).first?.reason == .notPermitted)

        // Her later reassign counts, and the promotion arriving after it changes nothing for the early one.
        for segment in admissions + [promotion] { try team.lea.store.apply(segment, clock: Self.clock) }
        try team.lea.append([.claim(entity: Self.ticket, action: .reassign, holder: team.lea.id, leaseSeconds: 600, observed: nil)],
                            at: baseMillis + 40)
        let later = try team.lea.segments()
        let leaVector = try team.lea.store.versionVector()
        try #require(later.count == 2, "\(later.map { $0.ops.map(\.header.seq) }) \(leaVector)")
        let orders: [[OpBatch]] = [
            admissions + [promotion, later[0], later[1]],
            [admissions[0], admissions[1], later[0], later[1], promotion],
        ]
        var hashes: [Bytes32] = []
        for order in orders {
            let store = try team.replica()
            for segment in order {
                do { try store.apply(segment, clock: Self.clock) } catch StoreError.rejected(_, .gap) { continue }
            }
            for segment in admissions + later { try? store.apply(segment, clock: Self.clock) }
            #expect(try store.state.claim(on: Self.ticket)?.holder == team.lea.id)
            let report = try store.verify()
            #expect(report.isOK, "\(report.problems)")
            hashes.append(try store.stateHash())
        }
        #expect(Set(hashes).count == 1)
    }

    /// The folded roster is cached per store; a change written through another connection to the same
    /// file (the CLI while the daemon runs) is seen at once, and a rolled-back change never is.
    @Test func theCachedRosterFollowsChangesFromAnotherConnection() throws {
        let founder = try TestAuthor(seed: 1, epoch: 11), kenji = try TestAuthor(seed: 2, epoch: 22)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("roster-cache-\(UUID().uuidString).sqlite").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let daemon = try OpStore(path: path)
        try daemon.bindLocalLog(founder.local.log)
        try daemon.team.setFounder(founder.id)
        #expect(try daemon.team.roster()?.currentRole(of: kenji.id) == nil)
        let cli = try OpStore(path: path)
        try cli.append([RosterChange.body(member: kenji.id, .role(.lead))], by: founder.local, clock: FixedClock(millis: baseMillis))
        #expect(try daemon.team.roster()?.currentRole(of: kenji.id) == .lead)
        try cli.append([RosterChange.body(member: kenji.id, .role(.agent))], by: founder.local, clock: FixedClock(millis: baseMillis + 1))
        #expect(try daemon.team.roster()?.currentRole(of: kenji.id) == .agent)
        // A batch refused after its roster op was planned leaves the cached roster as it was.
        try kenji.append([.set(entity: EntityRef(Desk.ticket, "p1"), field: "status", value: .string("open"))], at: baseMillis + 2)
        var bad = try kenji.segments()[0]
        bad.seals = []
        #expect(throws: StoreError.self) { try daemon.apply(bad, clock: Self.clock) }
        #expect(try daemon.team.roster()?.currentRole(of: kenji.id) == .agent)
    }
}
