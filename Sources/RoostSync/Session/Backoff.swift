/// Reconnection delays: exponential backoff with full jitter, capped (Protocol/SPEC-sync.md §2b.8).
///
/// The n-th consecutive failed attempt (from 0) waits a uniformly random time in
/// `0 ... min(maximum, initial × multiplierⁿ)` ("full jitter": peers that lost a common link do not
/// all come back at once). ``reset()`` after a session was established starts over. The random source
/// is passed in, so simulations and tests replay exactly; the value itself is pure.
public struct Backoff: Hashable, Sendable {
    /// The delays' parameters.
    public struct Configuration: Hashable, Sendable {
        /// The ceiling of the first delay, in ms.
        public var initialMillis: UInt64
        /// The largest ceiling, in ms.
        public var maximumMillis: UInt64
        /// How much the ceiling grows per failed attempt.
        public var multiplier: UInt64

        /// Creates a configuration (defaults: 500 ms, doubling, up to 60 s).
        public init(initialMillis: UInt64 = 500, maximumMillis: UInt64 = 60_000, multiplier: UInt64 = 2) {
            precondition(initialMillis > 0 && maximumMillis >= initialMillis, "backoff bounds out of order")
            precondition(multiplier >= 1, "backoff multiplier must be at least 1")
            self.initialMillis = initialMillis
            self.maximumMillis = maximumMillis
            self.multiplier = multiplier
        }
    }

    /// The parameters.
    public let configuration: Configuration
    /// Failed attempts since the last reset.
    public private(set) var attempts: Int = 0

    /// Starts with no failed attempt.
    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// The ceiling of the delay after `attempts` failures: `min(maximum, initial × multiplier^attempts)`,
    /// without overflow.
    public func ceilingMillis(afterAttempts attempts: Int) -> UInt64 {
        var ceiling = configuration.initialMillis
        var step = 0
        while step < attempts && ceiling < configuration.maximumMillis {
            let (next, overflow) = ceiling.multipliedReportingOverflow(by: configuration.multiplier)
            if overflow || configuration.multiplier == 1 { break }
            ceiling = next
            step += 1
        }
        return min(ceiling, configuration.maximumMillis)
    }

    /// The delay before the next attempt, drawn from `generator`; counts one more failed attempt.
    public mutating func nextDelayMillis(using generator: inout some RandomNumberGenerator) -> UInt64 {
        let ceiling = ceilingMillis(afterAttempts: attempts)
        attempts = attempts == Int.max ? attempts : attempts + 1
        return UInt64.random(in: 0...ceiling, using: &generator)
    }

    /// The delay before the next attempt, from the system's random source.
    public mutating func nextDelayMillis() -> UInt64 {
        var generator = SystemRandomNumberGenerator()
        return nextDelayMillis(using: &generator)
    }

    /// A session was established: the next failure starts from the first delay again.
    public mutating func reset() {
        attempts = 0
    }
}
