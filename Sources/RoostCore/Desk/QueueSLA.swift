/// A queue's service levels from the team's desk policy (issue 15, SPEC.md §1b.13): targets for the first
/// response, each next reply and the resolution, when warnings start, and whether the clocks count business time.
public struct QueueSLA: Sendable, Hashable {
    /// First-response target in minutes for every ticket of the queue; nil: the team's target for its priority.
    public var firstResponseMinutes: Int?
    /// Target in minutes for answering a customer message that came after the team's last reply; nil: the
    /// ticket's first-response target.
    public var nextReplyMinutes: Int?
    /// Resolution target in minutes from the first customer message; nil: no resolution clock.
    public var resolutionMinutes: Int?
    /// A clock warns once this share (percent) of its target has passed.
    public var warnPercent: Int
    /// The queue's opening hours, when it has any.
    public var hours: BusinessHours?
    /// Whether the clocks run only in `hours` (else they run around the clock, and hours only inform).
    public var businessTime: Bool

    /// Creates a queue's service levels.
    public init(firstResponseMinutes: Int? = nil, nextReplyMinutes: Int? = nil, resolutionMinutes: Int? = nil,
                warnPercent: Int = SLAClock.defaultWarnPercent, hours: BusinessHours? = nil, businessTime: Bool = false) {
        self.firstResponseMinutes = firstResponseMinutes; self.nextReplyMinutes = nextReplyMinutes
        self.resolutionMinutes = resolutionMinutes; self.warnPercent = warnPercent
        self.hours = hours; self.businessTime = businessTime
    }

    /// The instant `minutes` of this queue's clock after `start` (Unix ms): business time when the policy says so.
    public func due(from start: Int64, minutes: Int) -> Int64 {
        SLAClock.due(from: start, millis: Int64(max(0, minutes)) * 60_000, hours: businessTime ? hours : nil)
    }

    /// The instant a clock of `minutes` started at `start` begins to warn (``warnPercent`` of it passed).
    public func warnAt(from start: Int64, minutes: Int) -> Int64 {
        SLAClock.due(from: start, millis: Int64(max(0, minutes)) * 60_000 * Int64(warnPercent) / 100, hours: businessTime ? hours : nil)
    }
}

/// SLA clock arithmetic and limits, named in one place.
public enum SLAClock {
    /// Warnings start at 80% of a target unless the policy says otherwise.
    public static let defaultWarnPercent = 80
    /// Shares a policy may set for warnings: 1 to 99 percent.
    public static let warnPercentRange = 1...99
    /// Largest target a policy may set, in minutes: 30 days (resolution targets run long).
    public static let maxTargetMinutes = 43_200

    /// `start + millis`, counted in `hours`' open intervals when given, else in calendar time.
    public static func due(from start: Int64, millis: Int64, hours: BusinessHours?) -> Int64 {
        guard let hours else { return start + millis }
        return hours.adding(millis, to: start)
    }
}
