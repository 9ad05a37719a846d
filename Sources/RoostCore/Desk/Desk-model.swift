/// The help-desk schema on top of the generic CRDT primitives: which collections and fields tickets,
/// messages and customers use, and the closed vocabularies of their fields.
///
/// - `ticket/<key>`: inserted once per conversation (grow-only); registers `status`, `priority`, `tier`,
///   `queue`, `resolution`, `escalation_reason`; tags; claims. Key `p<root tweet id>` for a public thread,
///   `d<dm conversation id>` for a DM conversation.
/// - `message/<id>`: inserted once (grow-only; the external id keeps a message ingested twice one message);
///   fields `ticket`, `direction`, `author`, `text`, `created_ms`, and optionally `reply_to`, `signature`,
///   `dm`. Outbound replies carry the register `outbox` (queued, posting, posted, failed, held, discarded; see Gateway-model.swift in RoostNode).
/// - `customer/<user id>`: inserted with `handle`; registers `name`, `followers`, `verified`, `vip`, `notes`.
/// - `team/settings`: registers for SLA targets; `canned/<name>`: register `text`; `resolution-type/<name>`
///   and `queue/<name>`: inserted once.
public enum Desk {
    /// Collection names.
    public static let ticket = "ticket", message = "message", customer = "customer", team = "team",
        canned = "canned", resolutionType = "resolution-type", queue = "queue"

    /// The ticket key of a public thread rooted at `rootTweetID`.
    public static func publicTicketKey(rootTweetID: String) -> String { "p" + rootTweetID }
    /// The ticket key of a DM conversation.
    public static func dmTicketKey(conversationID: String) -> String { "d" + conversationID }

    /// The team's default resolution types.
    public static let defaultResolutionTypes = ["answered", "taken-to-dm", "escalated-elsewhere", "no-action-needed"]
    /// Resolution types that mean the customer was sent off Twitter (phone, email, a store...);
    /// every other resolution, DMs included, is "in channel".
    public static let offChannelResolutions: Set<String> = ["escalated-elsewhere"]
    /// The resolution type that means the conversation moved to DMs.
    public static let dmResolution = "taken-to-dm"
}

/// A ticket's status.
public enum TicketStatus: String, Sendable, CaseIterable, Codable {
    case new, open, pending, resolved, closed
    /// Waiting on someone other than the customer (a third party, another team): open work whose reply clocks
    /// pause and which routing leaves alone; a customer message reopens it, as it does a pending one (issue 15).
    case onHold = "on-hold"

    /// Whether the ticket still needs work (shown in the inbox by default).
    public var isOpenWork: Bool { Self.openWork.contains(self) }
    /// The statuses of open work.
    public static let openWork: [TicketStatus] = [.new, .open, .pending, .onHold]
    /// Whether a ticket's reply clocks run: it waits on the team, not on the customer or a third party.
    public var clocksRun: Bool { self == .new || self == .open }
}

/// A ticket's priority, most urgent first.
public enum Priority: String, Sendable, CaseIterable, Codable, Comparable {
    case urgent, high, normal, low

    /// 0 for urgent up to 3 for low: inbox sort order.
    public var rank: Int { Priority.allCases.firstIndex(of: self)! }

    /// Default first-response target in minutes (Twitter customers expect an answer within the hour).
    public var defaultFirstResponseMinutes: Int {
        switch self {
        case .urgent, .high: 30
        case .normal, .low: 60
        }
    }

    public static func < (lhs: Priority, rhs: Priority) -> Bool { lhs.rank < rhs.rank }
}

/// A support tier (Comcast-style: triage, service, escalation).
public enum Tier: String, Sendable, CaseIterable, Codable {
    case triage, service, escalation

    /// The next tier up, or nil at the top.
    public var next: Tier? {
        switch self {
        case .triage: .service
        case .service: .escalation
        case .escalation: nil
        }
    }
}

/// Which way a message went.
public enum MessageDirection: String, Sendable, CaseIterable, Codable {
    /// From the customer.
    case inbound
    /// A reply to the customer.
    case outbound
    /// An internal note, never sent.
    case note
}

/// State of an outbound reply waiting for the gateway.
public enum OutboxState: String, Sendable, CaseIterable, Codable {
    case queued, posting, posted, failed, held
    /// Withdrawn by its author before it was posted (`roost outbox discard`).
    case discarded
}

/// Pure rules of the desk, identical on every node.
public enum DeskRules {
    /// The status agents see. A resolved or pending ticket whose customer wrote again after it was set so is
    /// open again: `lastInboundMillis` later than the wall time of the op that set `resolved` or `pending`
    /// (pending waits on the customer, so their answer ends the wait: issue 15). Deterministic: it depends only
    /// on ops, never on when a node received them.
    ///
    /// A ticket no one set a status on (ingested from TWCS or X) that the brand answered on the platform,
    /// `lastAnswerMillis` (the latest outbound message at or after the first inbound one) not earlier
    /// than the latest customer message, is `resolved`: the conversation ended with the brand's reply,
    /// so it is history, not open work. A customer message created after that answer reopens it, as if
    /// the answer had resolved it (SPEC.md §1b.4 step 4).
    public static func effectiveStatus(
        stored: TicketStatus?, statusSetMillis: UInt64?, lastInboundMillis: UInt64?, lastAnswerMillis: UInt64? = nil
    ) -> (status: TicketStatus, reopened: Bool) {
        guard let stored else {
            guard let answer = lastAnswerMillis else { return (.new, false) }
            if let inbound = lastInboundMillis, inbound > answer { return (.open, true) }
            return (.resolved, false)
        }
        if stored == .resolved || stored == .pending || stored == .onHold, let set = statusSetMillis, let inbound = lastInboundMillis, inbound > set {
            return (.open, true)
        }
        return (stored, false)
    }

    /// When the first response is due: the first inbound message plus the priority's target.
    public static func firstResponseDue(firstInboundMillis: UInt64, targetMinutes: Int) -> UInt64 {
        firstInboundMillis + UInt64(max(0, targetMinutes)) * 60_000
    }

    /// Composes a public reply as customers see it: `@handle text ^AL`.
    public static func composeReply(text: String, handle: String?, initials: String, dm: Bool) -> String {
        var body = text.trimmingWhitespace()
        if !dm, let handle, !handle.isEmpty, !body.lowercased().hasPrefix("@" + handle.lowercased()) {
            body = "@\(handle) " + body
        }
        return body + " ^" + initials
    }

    /// Fills `{customer}` and `{agent}` in a canned response.
    public static func fillCanned(_ template: String, customer: String, agent: String) -> String {
        template.replacingAll("{customer}", with: customer).replacingAll("{agent}", with: agent)
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }

    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}

extension Substring {
    func range(of target: String) -> Range<Substring.Index>? {
        var index = startIndex
        while index < endIndex {
            if self[index...].hasPrefix(target) {
                return index..<self.index(index, offsetBy: target.count)
            }
            index = self.index(after: index)
        }
        return nil
    }
}

/// Where a conversation happens on X: public tweets or direct messages (a ticket's `channel` field, as written in
/// its insert: `public` or `dm`).
public enum TicketChannel: String, Sendable, Hashable, Codable, CaseIterable {
    case `public`, dm
}
