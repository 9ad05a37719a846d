public import RoostCore

/// How the client waits between attempts. Tests inject one that records the waits and returns at once.
public protocol XSleeper: Sendable {
    /// Waits `millis` milliseconds (or throws `CancellationError` when the task is cancelled).
    func sleep(millis: UInt64) async throws
}

/// Waits with `Task.sleep`.
public struct XTaskSleeper: XSleeper {
    /// Creates the sleeper.
    public init() {}

    public func sleep(millis: UInt64) async throws {
        try await Task.sleep(nanoseconds: millis * 1_000_000)
    }
}

/// Picks the jittered delay in `[low, high]`. Tests inject a fixed choice.
public protocol XJitter: Sendable {
    /// A value in `range`.
    func pick(_ range: ClosedRange<UInt64>) -> UInt64
}

/// Uniform jitter from the system random generator.
public struct XRandomJitter: XJitter {
    /// Creates the jitter.
    public init() {}

    public func pick(_ range: ClosedRange<UInt64>) -> UInt64 { UInt64.random(in: range) }
}
