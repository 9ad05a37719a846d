import NIOConcurrencyHelpers

/// Who is looking at or answering which ticket: "Ana is viewing", "Ana is replying". Ephemeral, never stored
/// as ops. For now only this node's own browser tabs report to it (`POST /api/v1/presence`); the sync layer
/// can feed peers' presence through ``report(_:)`` later without changing the pages.
public final class PresenceBoard: Sendable {
    /// One member's activity on one ticket.
    public struct Entry: Sendable, Codable, Equatable {
        /// What the member is doing.
        public enum Activity: String, Sendable, Codable, CaseIterable {
            case viewing, replying
        }

        /// The member's display name.
        public var member: String
        /// The ticket key.
        public var ticket: String
        public var activity: Activity
        /// When last reported (Unix ms).
        public var atMillis: UInt64
        /// True when reported by this node's own pages.
        public var local: Bool

        /// Creates an entry.
        public init(member: String, ticket: String, activity: Activity, atMillis: UInt64, local: Bool) {
            self.member = member; self.ticket = ticket; self.activity = activity; self.atMillis = atMillis; self.local = local
        }
    }

    private let entries = NIOLockedValueBox<[String: Entry]>([:])

    /// An empty board.
    public init() {}

    /// Records an activity (replacing the member's previous one on that ticket).
    public func report(_ entry: Entry) {
        entries.withLockedValue { $0[entry.member + "\u{0}" + entry.ticket] = entry }
    }

    /// The fresh entries on a ticket (reported within ``WebLimits/presenceTTLMillis`` of `now`), by member name.
    public func on(_ ticket: String, now: UInt64) -> [Entry] {
        entries.withLockedValue { all in
            all = all.filter { now &- $0.value.atMillis <= WebLimits.presenceTTLMillis }
            return all.values.filter { $0.ticket == ticket }.sorted { $0.member < $1.member }
        }
    }
}
