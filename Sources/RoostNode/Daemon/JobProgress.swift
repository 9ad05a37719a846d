public import RoostCore

/// A snapshot of a long job's progress: what it is doing, how far it got, how fast, how long is left.
///
/// Fed by the long jobs (TWCS import, X ingest file, verify's re-fold, initial sync per peer) through a
/// ``ProgressMeter``, rendered by the CLI (a bar on a terminal, plain lines when piped) and the web app.
public struct JobProgress: Sendable, Equatable, Codable {
    /// What the job is doing now ("import", "re-fold"...).
    public var phase: String
    /// The unit counted ("messages", "ops").
    public var unit: String
    /// Units done so far in this phase.
    public var done: Int
    /// Units in the whole phase, when known.
    public var total: Int?
    /// Milliseconds since the phase started.
    public var elapsedMillis: UInt64
    /// Units per second over the phase so far; nil until some time has passed and some work was done.
    public var rate: Double?
    /// Seconds left at that rate; nil without a total or a rate.
    public var etaSeconds: Double?
    /// Whether the phase is over.
    public var finished: Bool

    /// Creates a snapshot.
    public init(phase: String, unit: String, done: Int, total: Int?, elapsedMillis: UInt64, rate: Double?,
                etaSeconds: Double?, finished: Bool) {
        self.phase = phase
        self.unit = unit
        self.done = done
        self.total = total
        self.elapsedMillis = elapsedMillis
        self.rate = rate
        self.etaSeconds = etaSeconds
        self.finished = finished
    }

    /// `done / total` in 0...1, when the total is known.
    public var fraction: Double? {
        guard let total else { return nil }
        guard total > 0 else { return 1 }
        return min(1, Double(done) / Double(total))
    }
}

/// Progress limits, named in one place.
public enum ProgressLimits {
    /// Below this much elapsed time a rate is noise: none is reported.
    public static let minimumRateMillis: UInt64 = 200
    /// When piped, a plain line at most this often (the first and last are always written).
    public static let pipedIntervalMillis: UInt64 = 2_000
    /// On a terminal, the bar is redrawn at most this often.
    public static let terminalIntervalMillis: UInt64 = 100
    /// Width of the bar in characters.
    public static let barWidth = 24
}

/// Measures one phase of a job against an injected clock and turns counts into ``JobProgress`` snapshots.
public struct ProgressMeter: Sendable {
    /// The phase measured.
    public let phase: String
    /// The unit counted.
    public let unit: String
    /// The total, when known.
    public var total: Int?
    private let clock: any WallClock
    private let startMillis: UInt64

    /// Starts measuring now.
    public init(phase: String, unit: String, total: Int?, clock: any WallClock) {
        self.phase = phase
        self.unit = unit
        self.total = total
        self.clock = clock
        self.startMillis = clock.nowMillis()
    }

    /// The snapshot after `done` units (the total grows to `done` if the job did more than it said).
    public func snapshot(done: Int, finished: Bool = false) -> JobProgress {
        let now = clock.nowMillis()
        return JobProgress.measure(phase: phase, unit: unit, done: done, total: total,
                                   elapsedMillis: now >= startMillis ? now - startMillis : 0, finished: finished)
    }
}

extension JobProgress {
    /// The snapshot of `done` of `total` units after `elapsed` ms: rate over the whole phase, time left at that rate.
    public static func measure(phase: String, unit: String, done: Int, total: Int?, elapsedMillis elapsed: UInt64,
                               finished: Bool) -> JobProgress {
        let total = total.map { max($0, done) } ?? (finished ? done : nil)
        var rate: Double? = nil
        if elapsed >= ProgressLimits.minimumRateMillis, done > 0 {
            rate = Double(done) / (Double(elapsed) / 1000)
        }
        var eta: Double? = nil
        if finished {
            eta = 0
        } else if let total, let rate, rate > 0 {
            eta = Double(total - done) / rate
        }
        return JobProgress(phase: phase, unit: unit, done: done, total: total, elapsedMillis: elapsed, rate: rate,
                           etaSeconds: eta, finished: finished)
    }
}

/// Decides which snapshots a renderer writes: the first, the last, and otherwise one per interval.
public struct ProgressThrottle: Sendable {
    /// The least time between two written snapshots.
    public let intervalMillis: UInt64
    private var lastWritten: UInt64?

    /// Creates a throttle.
    public init(intervalMillis: UInt64) { self.intervalMillis = intervalMillis }

    /// Whether to write `progress` (and, if so, remembers it was written).
    public mutating func admit(_ progress: JobProgress) -> Bool {
        if progress.finished || lastWritten == nil || progress.elapsedMillis >= lastWritten! + intervalMillis {
            lastWritten = progress.elapsedMillis
            return true
        }
        return false
    }
}
