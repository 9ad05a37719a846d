/// An agent's availability for work (issue 15): what they set with `roost agent status`, replicated as the
/// `availability` register of their `member/<id>` entity, and what routing counts.
public enum Availability: String, Sendable, Codable, CaseIterable {
    case online, away, offline
}

/// How availability is stored and judged, with its limits in one place.
public enum AvailabilityRules {
    /// The `member/<id>` register an agent's chosen availability lives in.
    public static let field = "availability"
    /// The `member/<id>` register a running node touches when its member wrote nothing for a while.
    public static let heartbeatField = "heartbeat"
    /// A running node whose member is not offline writes a heartbeat when its newest op is this old: 5 min.
    public static let heartbeatAfterMillis: UInt64 = 5 * 60_000
    /// A member whose newest op is older than this counts as offline whatever they set (their node stopped or
    /// cannot sync): three missed heartbeats, 15 min. Judged from the op's HLC, so every node holding the same
    /// ops agrees at a given time.
    public static let silentAfterMillis: UInt64 = 15 * 60_000

    /// What routing counts at `now`: offline when the member's newest op is older than ``silentAfterMillis``
    /// (or there is none), else what they set (online when they never set anything).
    public static func effective(set: Availability?, lastOpMillis: UInt64?, now: UInt64) -> Availability {
        guard let last = lastOpMillis, now <= last || now - last <= silentAfterMillis else { return .offline }
        return set ?? .online
    }
}
