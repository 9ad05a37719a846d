import Foundation
public import RoostCore

/// The machine's wall clock.
public struct SystemClock: WallClock {
    /// Creates the clock.
    public init() {}

    public func nowMillis() -> UInt64 {
        UInt64(max(0, Date().timeIntervalSince1970 * 1000))
    }
}
