public import RoostCore
import Foundation
public import RoostStore

/// Why a desk command was refused. One clear line each; nothing was written.
public enum DeskError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No ticket matches.
    case unknownTicket(String)
    /// Several tickets match a short key.
    case ambiguousTicket(String, [String])
    /// Another member holds the ticket.
    case claimedByOther(ticket: String, holder: String, sinceMillis: UInt64)
    /// The reply is over X's limit.
    case tooLong(count: Int, limit: Int)
    /// A value is not one of the allowed ones.
    case invalidValue(field: String, value: String, allowed: [String])
    /// A search query that cannot be read.
    case badQuery(SearchQueryError)
    /// Anything else the agent asked for that cannot be done.
    case refused(String)
    /// The store failed.
    case store(StoreError)

    public var description: String {
        switch self {
        case let .unknownTicket(key): "no ticket \(key) on this node"
        case let .ambiguousTicket(key, keys): "\(key) matches several tickets: \(keys.joined(separator: ", "))"
        case let .claimedByOther(ticket, holder, since):
            "ticket \(ticket) is claimed by \(holder) since \(DeskClock.format(since)); ask for a hand-off"
        case let .tooLong(count, limit): "reply is \(count) characters, over X's limit of \(limit)"
        case let .invalidValue(field, value, allowed):
            "\(field) \"\(value)\" is not one of: \(allowed.joined(separator: ", "))"
        case let .badQuery(error): error.description
        case let .refused(why): why
        case let .store(error): "\(error)"
        }
    }
}

/// Time formatting shared by the desk's outputs (UTC, minute precision).
public enum DeskClock {
    /// `2026-11-23 00:30 UTC`.
    public static func format(_ millis: UInt64) -> String {
        let seconds = Int64(millis / 1000)
        let days = seconds / 86_400, rest = seconds % 86_400
        let (y, m, d) = CivilDate.civil(fromDays: days)
        return String(format: "%04d-%02d-%02d %02d:%02d UTC", y, m, d, Int(rest / 3600), Int(rest % 3600 / 60))
    }

    /// Minutes as `45m` or `2h05m`, or days `3d04h`.
    public static func duration(_ millis: Int64) -> String {
        let minutes = abs(millis) / 60_000
        let sign = millis < 0 ? "-" : ""
        if minutes < 60 { return "\(sign)\(minutes)m" }
        if minutes < 24 * 60 { return String(format: "%@%dh%02dm", sign, Int(minutes / 60), Int(minutes % 60)) }
        return String(format: "%@%dd%02dh", sign, Int(minutes / 1440), Int(minutes % 1440 / 60))
    }
}
