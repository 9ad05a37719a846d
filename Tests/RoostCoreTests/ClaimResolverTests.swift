import Testing
import RoostCore

/// Hand-worked claim cases: each expected winner is derived from the rule text, not from the code.
@Suite struct ClaimResolverTests {
    static let ana = AuthorID(key: Bytes32([UInt8](repeating: 1, count: 32))!)
    static let kenji = AuthorID(key: Bytes32([UInt8](repeating: 2, count: 32))!)
    static let lea = AuthorID(key: Bytes32([UInt8](repeating: 3, count: 32))!)
    static let t0: UInt64 = 1_767_225_600_000

    static func record(
        _ author: AuthorID, seq: UInt64 = 1, at millis: UInt64, _ action: ClaimAction, holder: AuthorID?,
        lease: UInt32 = 600, observed: ClaimRecord? = nil
    ) -> ClaimRecord {
        ClaimRecord(
            stamp: Stamp(hlc: HLC(physicalMillis: millis, logical: 0), ref: OpRef(author: author, epoch: 1, seq: seq)),
            action: action, holder: holder, leaseSeconds: action == .release ? 0 : lease, observed: observed?.ref)
    }

    @Test func concurrentFirstClaimsResolveToTheEarliest() {
        let early = Self.record(Self.kenji, at: Self.t0 + 1_000, .claim, holder: Self.kenji)
        let late = Self.record(Self.ana, at: Self.t0 + 2_000, .claim, holder: Self.ana)
        for order in [[early, late], [late, early]] {
            let result = ClaimResolver.resolve(order)
            #expect(result.current == early)
            #expect(result.conflicts.count == 1)
            #expect(result.conflicts.first?.loser == late)
            #expect(result.conflicts.first?.winner == early)
            #expect(result.conflicts.first?.reason == .concurrent)
        }
    }

    @Test func equalTimestampsResolveToTheSmallerAuthor() {
        let byAna = Self.record(Self.ana, at: Self.t0, .claim, holder: Self.ana)
        let byKenji = Self.record(Self.kenji, at: Self.t0, .claim, holder: Self.kenji)
        #expect(ClaimResolver.resolve([byKenji, byAna]).current == byAna)
    }

    @Test func handoffByTheHolderSupersedes() {
        let claim = Self.record(Self.ana, at: Self.t0, .claim, holder: Self.ana)
        let handoff = Self.record(Self.ana, seq: 2, at: Self.t0 + 5_000, .handoff, holder: Self.kenji, observed: claim)
        let result = ClaimResolver.resolve([handoff, claim])
        #expect(result.current == handoff)
        #expect(result.current?.holder == Self.kenji)
        #expect(result.conflicts.isEmpty)
        #expect(result.chain == [claim, handoff])
    }

    @Test func handoffByAnotherMemberBeforeLeaseEndIsNotPermitted() {
        let claim = Self.record(Self.ana, at: Self.t0, .claim, holder: Self.ana, lease: 600)
        let grab = Self.record(Self.kenji, at: Self.t0 + 60_000, .handoff, holder: Self.kenji, observed: claim)
        let result = ClaimResolver.resolve([claim, grab])
        #expect(result.current == claim)
        #expect(result.conflicts.map(\.reason) == [.notPermitted])
    }

    @Test func takeoverNeedsAnExpiredLease() {
        let claim = Self.record(Self.ana, at: Self.t0, .claim, holder: Self.ana, lease: 600)
        let early = Self.record(Self.kenji, at: Self.t0 + 599_999, .takeover, holder: Self.kenji, observed: claim)
        let onTime = Self.record(Self.lea, at: Self.t0 + 600_000, .takeover, holder: Self.lea, observed: claim)
        #expect(ClaimResolver.resolve([claim, early]).current == claim)
        let both = ClaimResolver.resolve([early, claim, onTime])
        #expect(both.current == onTime)
        #expect(both.conflicts.map(\.loser) == [early])
        #expect(both.conflicts.map(\.reason) == [.notPermitted])
    }

    @Test func releaseThenClaimByAnother() {
        let claim = Self.record(Self.ana, at: Self.t0, .claim, holder: Self.ana)
        let release = Self.record(Self.ana, seq: 2, at: Self.t0 + 1_000, .release, holder: nil, observed: claim)
        let next = Self.record(Self.kenji, at: Self.t0 + 2_000, .claim, holder: Self.kenji, observed: release)
        let released = ClaimResolver.resolve([claim, release])
        #expect(released.current == release)
        #expect(released.current?.holder == nil)
        #expect(ClaimResolver.resolve([next, release, claim]).current?.holder == Self.kenji)
    }

    @Test func aClaimObservingALoserIsALosingBranch() {
        let winner = Self.record(Self.kenji, at: Self.t0 + 1_000, .claim, holder: Self.kenji)
        let loser = Self.record(Self.ana, at: Self.t0 + 2_000, .claim, holder: Self.ana)
        let handoff = Self.record(Self.ana, seq: 2, at: Self.t0 + 3_000, .handoff, holder: Self.lea, observed: loser)
        let result = ClaimResolver.resolve([handoff, loser, winner])
        #expect(result.current == winner)
        #expect(result.conflicts.map(\.reason) == [.concurrent, .losingBranch])
        #expect(result.conflicts.map(\.loser) == [loser, handoff])
    }

    @Test func concurrentSupersessionsResolveToTheEarliest() {
        let claim = Self.record(Self.ana, at: Self.t0, .claim, holder: Self.ana, lease: 60)
        let takeover = Self.record(Self.kenji, at: Self.t0 + 70_000, .takeover, holder: Self.kenji, observed: claim)
        let reassign = Self.record(Self.lea, at: Self.t0 + 65_000, .reassign, holder: Self.lea, observed: claim)
        let result = ClaimResolver.resolve([takeover, claim, reassign])
        #expect(result.current == reassign)
        #expect(result.conflicts.map(\.loser) == [takeover])
    }

    @Test func aClaimWhoseObservedOpIsUnknownWaits() {
        let ghost = Self.record(Self.lea, at: Self.t0, .claim, holder: Self.lea)
        let child = Self.record(Self.kenji, at: Self.t0 + 1_000, .handoff, holder: Self.kenji, observed: ghost)
        let result = ClaimResolver.resolve([child])
        #expect(result.current == nil)
        #expect(result.conflicts.isEmpty)
    }

    @Test func aFirstReleaseOrHandoffIsNotPermitted() {
        let release = Self.record(Self.ana, at: Self.t0, .release, holder: nil)
        let result = ClaimResolver.resolve([release])
        #expect(result.current == nil)
        #expect(result.conflicts.map(\.reason) == [.notPermitted])
    }
}

extension ClaimResolverTests {
    /// Claims and take-overs are for oneself; naming another member is a reassignment (a lead's).
    @Test func claimAndTakeoverAreForOneselfOnly() {
        let forKenji = Self.record(Self.ana, at: Self.t0, .claim, holder: Self.kenji)
        #expect(ClaimResolver.resolve([forKenji]).current == nil)
        let claim = Self.record(Self.ana, at: Self.t0, .claim, holder: Self.ana, lease: 60)
        let takeoverForLea = Self.record(Self.kenji, at: Self.t0 + 61_000, .takeover, holder: Self.lea, observed: claim)
        #expect(ClaimResolver.resolve([claim, takeoverForLea]).current == claim)
        let reassign = Self.record(Self.kenji, at: Self.t0 + 1_000, .reassign, holder: Self.lea, observed: claim)
        #expect(ClaimResolver.resolve([claim, reassign]).current?.holder == Self.lea)
    }
}
