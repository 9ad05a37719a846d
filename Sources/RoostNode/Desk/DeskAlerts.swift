import Foundation
public import RoostCore
public import RoostStore

/// A listening alert from the rules file:
///
/// ```toml
/// [[alert]]
/// name = "Outage talk"
/// keywords = ["outage", "down"]   # what to count: keywords (customer messages), tag or queue (new tickets),
///                                 # negative = true (the share of negative customer messages), or none (all of them)
/// window_minutes = 60             # the window counted (default 60)
/// baseline_windows = 24           # the trailing baseline: an EWMA of this many windows before (default 24)
/// factor = 3                      # fire when the window is at least factor × the baseline (default 3) ...
/// min_count = 10                  # ... and counts at least this many (default 10)
/// min_share = 30                  # negative only: and at least this percent of the window's messages (default 30)
/// ```
public struct AlertRule: Sendable, Hashable {
    /// The alert's name (unique in the file).
    public var name: String
    /// Its line in the rules file.
    public var line: Int
    /// What it counts.
    public var selector: AlertSelector
    /// Whether it watches the share of negative messages rather than a volume.
    public var negative = false
    public var windowMinutes = 60
    public var baselineWindows = 24
    public var factor = 3
    public var minCount = 10
    public var minShare = 30

    /// An alert; the rest as the rules file's defaults.
    public init(name: String, line: Int, selector: AlertSelector, negative: Bool = false, windowMinutes: Int = 60,
                baselineWindows: Int = 24, factor: Int = 3, minCount: Int = 10, minShare: Int = 30) {
        self.name = name; self.line = line; self.selector = selector; self.negative = negative
        self.windowMinutes = windowMinutes; self.baselineWindows = baselineWindows; self.factor = factor
        self.minCount = minCount; self.minShare = minShare
    }
}

/// One alert rule evaluated for the last complete window.
public struct AlertStatus: Sendable, Hashable, Codable {
    public var name: String
    /// `volume` or `negative share`.
    public var kind: String
    public var windowStartMillis: UInt64
    public var windowEndMillis: UInt64
    /// The window's count (volume), or its negative messages (share).
    public var count: Int
    /// The window's customer messages (share alerts).
    public var total: Int?
    /// The trailing baseline: EWMA of the count (volume) or of the share in percent (share).
    public var baseline: Double
    /// The window's share of negative messages in percent (share alerts).
    public var sharePercent: Double?
    public var firing: Bool
    /// The node holds no customer message older than the baseline's first window: the baseline is not known yet,
    /// so the alert does not fire (a new node, or a replay's first hours, would otherwise compare against zero).
    public var warmingUp = false
}

extension DeskService {
    /// Every alert of `rules` for the last complete window before `at` (windows are aligned to multiples of their
    /// length since the epoch, so every node holding the same ops gives the same answer for the same window).
    public func alerts(_ rules: [AlertRule], at now: UInt64) throws(DeskError) -> [AlertStatus] {
        var statuses: [AlertStatus] = []
        let earliest = try run { () throws(StoreError) in try store.desk.earliestCustomerMessageMillis() }
        for rule in rules {
            let window = UInt64(rule.windowMinutes) * 60_000
            let end = now / window * window
            let counts = try run { () throws(StoreError) in
                try store.desk.alertWindows(rule.selector, windowMillis: window, windows: rule.baselineWindows + 1, endMillis: end)
            }
            var status = Self.evaluate(rule, counts: counts, windowEnd: end)
            if let first = counts.first?.startMillis, earliest.map({ $0 > first }) ?? true {
                status.warmingUp = true
                status.firing = false
            }
            statuses.append(status)
        }
        return statuses
    }

    /// The decision for one rule, from its windows' counts (oldest first; the last is the window judged).
    public static func evaluate(_ rule: AlertRule, counts: [AlertWindowCount], windowEnd: UInt64) -> AlertStatus {
        let current = counts.last ?? AlertWindowCount(startMillis: windowEnd, count: 0, negative: 0)
        let history = counts.dropLast()
        let alpha = 2.0 / (Double(max(1, history.count)) + 1)
        func ewma(_ values: [Double]) -> Double {
            guard var value = values.first else { return 0 }
            for next in values.dropFirst() { value = alpha * next + (1 - alpha) * value }
            return value
        }
        if rule.negative {
            let shares = history.map { $0.count == 0 ? 0 : 100 * Double($0.negative) / Double($0.count) }
            let baseline = ewma(shares)
            let share = current.count == 0 ? 0 : 100 * Double(current.negative) / Double(current.count)
            let firing = current.count >= rule.minCount && share >= Double(rule.minShare)
                && share >= Double(rule.factor) * max(baseline, DeskAlertLimits.minimumBaselineSharePercent)
            return AlertStatus(name: rule.name, kind: "negative share", windowStartMillis: current.startMillis, windowEndMillis: windowEnd,
                               count: current.negative, total: current.count, baseline: baseline, sharePercent: share, firing: firing)
        }
        let baseline = ewma(history.map { Double($0.count) })
        let firing = current.count >= rule.minCount && Double(current.count) >= Double(rule.factor) * max(baseline, 1)
        return AlertStatus(name: rule.name, kind: "volume", windowStartMillis: current.startMillis, windowEndMillis: windowEnd,
                           count: current.count, total: nil, baseline: baseline, sharePercent: nil, firing: firing)
    }
}

/// Limits of listening alerts, in one place.
public enum DeskAlertLimits {
    /// A negative-share baseline below this (percent) counts as this, so one bad hour after a quiet day needs a
    /// real share, not just any.
    public static let minimumBaselineSharePercent = 5.0
    /// Most windows in a baseline.
    public static let maxBaselineWindows = 24 * 14
    /// Longest window (minutes): a day.
    public static let maxWindowMinutes = 24 * 60
    /// How often a running node evaluates its alerts (seconds).
    public static let checkSeconds: UInt64 = 60
    /// Attempts to POST an alert to one webhook, and the first wait between them (doubled each time).
    public static let webhookAttempts = 4
    public static let webhookFirstBackoffMillis: UInt64 = 1_000
    /// Seconds a webhook may take to answer.
    public static let webhookTimeoutSeconds: Int64 = 10
}

extension NodeHome {
    /// The home's `rules.toml` (triage rules and listening alerts), or no rules when it is absent or invalid
    /// (`roost alerts` and `roost import-twcs` report an invalid file; a running node keeps going without it).
    public func rules() -> TriageRules {
        let path = url.appendingPathComponent("rules.toml").path
        guard FileManager.default.fileExists(atPath: path) else { return .empty }
        return (try? TriageRules.load(path: path)) ?? .empty
    }
}
