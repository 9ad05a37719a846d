import Foundation
import RoostCore
import RoostNode
import Synchronization

/// Writes a job's progress to standard error, so `--json` output on standard output stays clean: a bar
/// redrawn in place on a terminal, plain lines (one per ``ProgressLimits/pipedIntervalMillis``) when piped.
final class ProgressReporter: Sendable {
    private struct State {
        var meter: ProgressMeter
        var throttle: ProgressThrottle
        var over = false
    }

    private let state: Mutex<State>
    private let terminal: Bool

    /// Starts reporting a phase of `total` units (nil when unknown).
    init(phase: String, unit: String, total: Int?, clock: any WallClock = SystemClock()) {
        terminal = isatty(STDERR_FILENO) != 0 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
        let interval = terminal ? ProgressLimits.terminalIntervalMillis : ProgressLimits.pipedIntervalMillis
        state = Mutex(State(meter: ProgressMeter(phase: phase, unit: unit, total: total, clock: clock),
                            throttle: ProgressThrottle(intervalMillis: interval)))
    }

    /// Sets the total once it is known.
    func setTotal(_ total: Int?) { state.withLock { $0.meter.total = total } }

    /// Reports `done` units.
    func update(_ done: Int) { report(done, finished: false) }

    /// Reports the end of the phase (always written).
    func finish(_ done: Int) { report(done, finished: true) }

    private func report(_ done: Int, finished: Bool) {
        let text: String? = state.withLock { state in
            guard !state.over else { return nil }
            state.over = finished
            let snapshot = state.meter.snapshot(done: done, finished: finished)
            guard state.throttle.admit(snapshot) else { return nil }
            if terminal { return "\r\u{1B}[2K" + snapshot.bar + (finished ? "\n" : "") }
            return snapshot.line + "\n"
        }
        if let text { FileHandle.standardError.write(Data(text.utf8)) }
    }
}
