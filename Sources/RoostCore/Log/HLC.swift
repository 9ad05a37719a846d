/// A hybrid logical clock timestamp: 48 bits of Unix time in milliseconds, then a 16-bit counter.
///
/// Packed into one `UInt64` so that integer order is timestamp order and the encoding is 8 bytes.
public struct HLC: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The packed value: `physicalMillis << 16 | logical`.
    public let rawValue: UInt64

    /// Wraps a packed value.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Builds a timestamp from its parts; `physicalMillis` must not exceed ``maxPhysical``.
    public init(physicalMillis: UInt64, logical: UInt16) {
        precondition(physicalMillis <= HLC.maxPhysical, "physical time out of the 48-bit range")
        self.rawValue = physicalMillis << 16 | UInt64(logical)
    }

    /// Largest wall time (ms) a timestamp may carry: 2^47 - 1 (year 6429), so the packed value stays
    /// below 2^63 like every other ordinal on the wire (``Limits/maxOrdinal``).
    public static let maxPhysical: UInt64 = (1 << 47) - 1
    /// The zero timestamp, earlier than any real one.
    public static let zero = HLC(rawValue: 0)

    /// Unix time in milliseconds.
    public var physicalMillis: UInt64 { rawValue >> 16 }
    /// Counter that orders events within one millisecond.
    public var logical: UInt16 { UInt16(truncatingIfNeeded: rawValue) }

    public var description: String { "\(physicalMillis).\(logical)" }

    public static func < (lhs: HLC, rhs: HLC) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A source of wall-clock time, injected so tests and simulations control time.
///
/// This is the `Clock` of the developers' guide; it is named `WallClock` so it does not shadow
/// the standard library's `Clock` protocol.
public protocol WallClock: Sendable {
    /// Unix time in milliseconds. May jump backwards; the hybrid clock hides that.
    func nowMillis() -> UInt64
}

/// A wall clock that always reads a value set by the test or simulation driving it.
public struct FixedClock: WallClock {
    /// The time it reads, in Unix milliseconds.
    public var millis: UInt64
    /// Creates a clock that reads `millis`.
    public init(millis: UInt64) { self.millis = millis }
    public func nowMillis() -> UInt64 { millis }
}

/// Why a remote timestamp was refused.
public enum HLCError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The remote timestamp is further ahead of our wall clock than the allowed drift.
    case tooFarInFuture(remote: HLC, localWallMillis: UInt64, maxDriftMillis: UInt64)

    public var description: String {
        switch self {
        case let .tooFarInFuture(remote, wall, drift):
            let ahead = remote.physicalMillis &- wall
            return "timestamp \(remote) is \(ahead) ms ahead of this node's clock (limit \(drift) ms)"
        }
    }
}

/// The hybrid logical clock of one node (Kulkarni et al., 2014).
///
/// Every timestamp it returns is strictly greater than every timestamp it returned or observed before,
/// even when the wall clock steps back.
public struct HybridClock: Sendable, Equatable {
    /// The last timestamp issued or observed.
    public private(set) var last: HLC
    /// How far ahead of the wall clock (ms) a remote timestamp may be.
    public var maxDriftMillis: UInt64

    /// Starts a clock that has already issued or seen `last`.
    public init(last: HLC = .zero, maxDriftMillis: UInt64 = Limits.defaultMaxClockDriftMillis) {
        self.last = last
        self.maxDriftMillis = maxDriftMillis
    }

    /// A timestamp for a local event at wall time `wallMillis`.
    public mutating func tick(wallMillis: UInt64) -> HLC {
        let wall = min(wallMillis, HLC.maxPhysical)
        if wall > last.physicalMillis {
            last = HLC(physicalMillis: wall, logical: 0)
        } else if last.logical < UInt16.max {
            last = HLC(physicalMillis: last.physicalMillis, logical: last.logical + 1)
        } else {
            // Counter exhausted within one millisecond: borrow the next millisecond.
            last = HLC(physicalMillis: last.physicalMillis + 1, logical: 0)
        }
        return last
    }

    /// Checks a remote timestamp against the drift bound without changing the clock.
    public func check(_ remote: HLC, wallMillis: UInt64) throws(HLCError) {
        if remote.physicalMillis > wallMillis, remote.physicalMillis - wallMillis > maxDriftMillis {
            throw .tooFarInFuture(remote: remote, localWallMillis: wallMillis, maxDriftMillis: maxDriftMillis)
        }
    }

    /// Observes a remote timestamp: rejects it when too far ahead, otherwise moves the clock past it.
    @discardableResult
    public mutating func observe(_ remote: HLC, wallMillis: UInt64) throws(HLCError) -> HLC {
        try check(remote, wallMillis: wallMillis)
        if remote > last { last = remote }
        return last
    }
}

extension HLC {
    /// The stamp as people read it: its wall time in UTC and its logical counter, `2026-01-01T00:00:22.000Z+1`;
    /// `none` for the zero stamp (nothing written yet).
    public var utcText: String { self == .zero ? "none" : CivilDate.iso8601(millis: physicalMillis) + "+\(logical)" }
}
