import Testing
import RoostCore

@Suite struct HLCTests {
    @Test func packsPhysicalAndLogical() {
        let t = HLC(physicalMillis: 1_767_225_600_123, logical: 7)
        #expect(t.physicalMillis == 1_767_225_600_123)
        #expect(t.logical == 7)
        #expect(t.rawValue == 1_767_225_600_123 << 16 | 7)
    }

    @Test func tickIsStrictlyMonotonicWhenTheWallClockStepsBack() {
        var clock = HybridClock()
        let a = clock.tick(wallMillis: 10_000)
        let b = clock.tick(wallMillis: 9_000)  // wall clock stepped back one second
        let c = clock.tick(wallMillis: 9_500)
        let d = clock.tick(wallMillis: 10_001)
        #expect(a < b && b < c && c < d)
        #expect(b.physicalMillis == 10_000 && b.logical == 1)
        #expect(d == HLC(physicalMillis: 10_001, logical: 0))
    }

    @Test func counterOverflowBorrowsTheNextMillisecond() {
        var clock = HybridClock(last: HLC(physicalMillis: 5, logical: .max))
        #expect(clock.tick(wallMillis: 5) == HLC(physicalMillis: 6, logical: 0))
    }

    @Test func observeMovesPastRemoteTimestamps() throws {
        var clock = HybridClock()
        _ = clock.tick(wallMillis: 1_000)
        let remote = HLC(physicalMillis: 60_000, logical: 3)
        try clock.observe(remote, wallMillis: 1_000)
        #expect(clock.tick(wallMillis: 1_000) == HLC(physicalMillis: 60_000, logical: 4))
    }

    @Test func rejectsTimestampsBeyondTheDriftBound() {
        var clock = HybridClock(maxDriftMillis: 300_000)
        let wall: UInt64 = 1_767_225_600_000
        #expect(throws: HLCError.tooFarInFuture(remote: HLC(physicalMillis: wall + 300_001, logical: 0),
                                                localWallMillis: wall, maxDriftMillis: 300_000)) {
            try clock.observe(HLC(physicalMillis: wall + 300_001, logical: 0), wallMillis: wall)
        }
        #expect(clock.last == .zero)
        #expect(throws: Never.self) { try clock.observe(HLC(physicalMillis: wall + 300_000, logical: 9), wallMillis: wall) }
    }

    @Test func defaultDriftIsFiveMinutes() {
        #expect(HybridClock().maxDriftMillis == 5 * 60 * 1000)
    }
}
