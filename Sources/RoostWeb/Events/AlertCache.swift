import RoostCore
import RoostNode
import Synchronization

/// The alerts every page's banner shows, evaluated at most once per ``WebLimits/alertCacheMillis``: alerts
/// judge whole windows (an hour by default), so a page needs no fresher answer than that.
final class AlertCache: Sendable {
    private let state = Mutex<(atMillis: UInt64, statuses: [AlertStatus])?>(nil)

    /// The alerts of the home's rules file at `now` (cached), or none when the file has none or is invalid.
    func statuses(_ app: WebApp, now: UInt64) -> [AlertStatus] {
        if let cached = state.withLock({ $0 }), now >= cached.atMillis, now - cached.atMillis < WebLimits.alertCacheMillis {
            return cached.statuses
        }
        let statuses = (try? app.desk.alerts(app.node.home.rules().alerts, at: now)) ?? []
        state.withLock { $0 = (now, statuses) }
        return statuses
    }
}
