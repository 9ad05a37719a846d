import RoostNode
import Synchronization

/// The web app's ``CatchUpTracker``, shared by every request.
final class CatchUpBoard: Sendable {
    private let tracker = Mutex(CatchUpTracker())

    /// See ``CatchUpTracker/observe(peer:opsAhead:atMillis:)``.
    func observe(peer: String, opsAhead: UInt64, atMillis: UInt64) -> JobProgress? {
        tracker.withLock { $0.observe(peer: peer, opsAhead: opsAhead, atMillis: atMillis) }
    }
}
