import NIOConcurrencyHelpers
public import RoostNode
public import RoostSync

/// Who is looking at or answering which ticket: "Ana is viewing", "Ana is replying". Ephemeral, never stored
/// as ops. This node's browser tabs report to it (`POST /api/v1/presence`); with a ``PresenceRelay`` those
/// reports also go to every connected peer, and peers' reports arrive through ``received(_:from:atMillis:)``.
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
    private let relay: PresenceRelay?

    /// An empty board; `relay` sends this node's own reports to peers.
    public init(relay: PresenceRelay? = nil) { self.relay = relay }

    /// This node's own pages left a ticket: the member's entry goes, and peers are told `gone` at once.
    public func left(member: String, ticket: String) {
        entries.withLockedValue { _ = $0.removeValue(forKey: member + "\u{0}" + ticket) }
        relay?.publish(SyncPresence(ticket: ticket, activity: .gone))
    }

    /// Records an activity (replacing the member's previous one on that ticket); a local one goes to peers.
    public func report(_ entry: Entry) {
        entries.withLockedValue { $0[entry.member + "\u{0}" + entry.ticket] = entry }
        if entry.local {
            relay?.publish(SyncPresence(ticket: entry.ticket, activity: entry.activity == .replying ? .replying : .viewing))
        }
    }

    /// A peer's report: `gone` clears the member's entry on that ticket.
    public func received(_ message: SyncPresence, from member: String, atMillis: UInt64) {
        let key = member + "\u{0}" + message.ticket
        switch message.activity {
        case .gone: entries.withLockedValue { _ = $0.removeValue(forKey: key) }
        case .viewing, .replying:
            let activity: Entry.Activity = message.activity == .replying ? .replying : .viewing
            entries.withLockedValue { $0[key] = Entry(member: member, ticket: message.ticket, activity: activity, atMillis: atMillis, local: false) }
        }
    }

    /// The fresh entries on a ticket (reported within ``WebLimits/presenceTTLMillis`` of `now`), by member name.
    public func on(_ ticket: String, now: UInt64) -> [Entry] {
        entries.withLockedValue { all in
            all = all.filter { now &- $0.value.atMillis <= WebLimits.presenceTTLMillis }
            return all.values.filter { $0.ticket == ticket }.sorted { $0.member < $1.member }
        }
    }
}
