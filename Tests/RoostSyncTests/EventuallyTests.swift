import Foundation
import Testing
import RoostTestSupport

/// The suites' one bounded wait counts only time it got to run, and stays bounded.
@Suite struct EventuallyTests {
    final class Calls: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        func next() -> Int { lock.withLock { count += 1; return count } }
        var total: Int { lock.withLock { count } }
    }

    /// Each check takes 0.3 s of wall time (a starved step); only 0.1 s of each counts, so a 0.35 s wait
    /// makes five checks. Counting wall time (the old wait) would have given up after three.
    @Test func stepsThatOversleptCountAtMostTheCap() async {
        let calls = Calls()
        let held = await eventually(seconds: 0.35, pollNanoseconds: 10_000_000, maxCountedStep: 0.1) {
            try? await Task.sleep(nanoseconds: 300_000_000)
            return calls.next() >= 5
        }
        #expect(held)
        #expect(calls.total == 5)
    }

    @Test func aConditionThatNeverHoldsFailsWithinItsPolls() async {
        let calls = Calls()
        let held = await eventually(seconds: 0.2, pollNanoseconds: 20_000_000) { _ = calls.next(); return false }
        #expect(!held)
        // At most one check per counted poll, plus the last one: bounded by checks, not by the wall clock (in CI's
        // full suite this test once took 259 s of wall time to make its 11 checks).
        #expect(calls.total <= 11)
    }
}
