/// Progress of catching up with each peer (initial sync), read from the counters `roost run` publishes:
/// the first time a peer is seen with ops we lack, that many is the job's total; as the count falls,
/// the difference is done. When it reaches 0 the catch-up is over and forgotten.
public struct CatchUpTracker: Sendable {
    private struct Job: Sendable {
        var startMillis: UInt64
        var total: UInt64
    }

    private var jobs: [String: Job] = [:]

    /// Creates a tracker with no job.
    public init() {}

    /// Observes that we lack `opsAhead` ops of `peer` at `atMillis`; returns the catch-up progress, or nil
    /// when nothing is being caught up with that peer.
    public mutating func observe(peer: String, opsAhead: UInt64, atMillis: UInt64) -> JobProgress? {
        guard opsAhead > 0 else {
            jobs[peer] = nil
            return nil
        }
        var job = jobs[peer] ?? Job(startMillis: atMillis, total: opsAhead)
        job.total = max(job.total, opsAhead)
        jobs[peer] = job
        let elapsed = atMillis >= job.startMillis ? atMillis - job.startMillis : 0
        return JobProgress.measure(phase: "initial sync", unit: "ops", done: Int(job.total - opsAhead),
                                   total: Int(job.total), elapsedMillis: elapsed, finished: false)
    }
}
