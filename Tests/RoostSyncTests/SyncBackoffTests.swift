import RoostSync
import RoostCore
import Testing

/// Reconnection backoff: exponential ceilings, full jitter, cap, reset, replayable randomness.
@Suite struct SyncBackoffTests {
    @Test("ceilings double from the initial delay up to the cap, without overflow")
    func ceilings() {
        let backoff = Backoff(configuration: .init(initialMillis: 100, maximumMillis: 1_000))
        #expect((0...6).map { backoff.ceilingMillis(afterAttempts: $0) } == [100, 200, 400, 800, 1_000, 1_000, 1_000])
        let wide = Backoff(configuration: .init(initialMillis: 1, maximumMillis: .max, multiplier: 3))
        // 3^40 is the last power of 3 below 2^64: the ceiling stops there instead of overflowing.
        #expect(wide.ceilingMillis(afterAttempts: 200) == 12_157_665_459_056_928_801)
        #expect(Backoff(configuration: .init(initialMillis: 50, maximumMillis: 50, multiplier: 1)).ceilingMillis(afterAttempts: 9) == 50)
    }

    @Test("each delay is in 0...ceiling, attempts count up, reset starts over")
    func delays() {
        var backoff = Backoff(configuration: .init(initialMillis: 100, maximumMillis: 1_000))
        var rng = SplitMix64(seed: 42)
        for attempt in 0..<20 {
            let ceiling = backoff.ceilingMillis(afterAttempts: attempt)
            #expect(backoff.attempts == attempt)
            #expect((0...ceiling).contains(backoff.nextDelayMillis(using: &rng)))
        }
        backoff.reset()
        #expect(backoff.attempts == 0)
        #expect(backoff.nextDelayMillis(using: &rng) <= 100)
        #expect(backoff.nextDelayMillis() <= 200, "the system generator works too")
    }

    @Test("the same seed gives the same schedule; full jitter spreads delays over the whole range")
    func jitter() {
        func schedule(_ seed: UInt64) -> [UInt64] {
            var backoff = Backoff(configuration: .init(initialMillis: 1_000, maximumMillis: 1_000))
            var rng = SplitMix64(seed: seed)
            return (0..<2_000).map { _ in backoff.nextDelayMillis(using: &rng) }
        }
        #expect(schedule(7) == schedule(7))
        #expect(schedule(7) != schedule(8))
        let delays = schedule(7)
        let mean = Double(delays.reduce(0, +)) / Double(delays.count)
        #expect((450...550).contains(mean), "uniform on 0...1000: mean \(mean)")
        #expect(delays.contains { $0 < 100 } && delays.contains { $0 > 900 })
    }
}
