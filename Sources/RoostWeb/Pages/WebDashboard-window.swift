import Foundation
import Hummingbird
import RoostNode

/// Dashboard limits, named in one place.
enum DashboardLimits {
    /// The windows the dashboard offers: query key, label, length in days (nil: all time).
    static let windows: [(key: String, label: String, days: Int?)] = [
        ("1d", "last 24 hours", 1), ("7d", "last 7 days", 7), ("30d", "last 30 days", 30), ("90d", "last 90 days", 90),
        ("all", "all time", nil),
    ]
    /// The window shown when the request names none (and gives no dates).
    static let defaultWindow = "7d"
    /// Rows per page of the agents seen in imported history.
    static let historyAgentsPerPage = 25
}

/// The time window a dashboard covers, stated on the page and in the JSON.
struct DashboardWindow: Encodable, Sendable, Equatable {
    /// `1d`, `7d`, `30d`, `90d`, `all`, or `custom` for explicit dates.
    var key: String
    /// What the page says: `last 7 days (since 2026-11-26 07:00 UTC)`.
    var label: String
    /// First customer message at or after this (ms), when bounded.
    var since: UInt64?
    /// ... and before this (ms), when bounded.
    var until: UInt64?

    /// The window of a request: explicit `since`/`until` dates win; otherwise `window` (default 7 days).
    static func of(_ request: Request, now: UInt64) throws -> DashboardWindow {
        let since = try WebAPI.day(request, "since"), until = try WebAPI.day(request, "until")
        if since != nil || until != nil {
            let from = since.map { "from " + String(DeskClock.format($0).prefix(10)) } ?? "up to"
            let to = until.map { (since == nil ? " " : " to ") + String(DeskClock.format($0).prefix(10)) } ?? " to now"
            return DashboardWindow(key: "custom", label: from + to, since: since, until: until)
        }
        return try named(WebAPI.query(request, "window") ?? DashboardLimits.defaultWindow, now: now)
    }

    /// A named window ending now.
    static func named(_ key: String, now: UInt64) throws -> DashboardWindow {
        guard let window = DashboardLimits.windows.first(where: { $0.key == key }) else {
            throw WebError.badRequest(field: "window", reason: "one of " + DashboardLimits.windows.map(\.key).joined(separator: ", "))
        }
        guard let days = window.days else { return DashboardWindow(key: key, label: window.label, since: nil, until: nil) }
        let since = now - min(now, UInt64(days) * 86_400_000)
        return DashboardWindow(key: key, label: "\(window.label) (since \(DeskClock.format(since)))", since: since, until: nil)
    }
}
