import RoostCore

/// One change the web app shows live. Carries keys and names, never message text.
public struct WebEvent: Sendable, Codable, Equatable {
    /// What changed.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// A customer message arrived (a new ticket or a new message on one).
        case message
        /// An agent reply was queued.
        case reply
        /// An internal note was added.
        case note
        /// A claim, release, hand-off or take-over.
        case claim
        /// Status, priority, tier, queue or resolution changed.
        case status
        /// A tag was added or removed.
        case tag
        /// A claim conflict was recorded: two members claimed concurrently.
        case conflict
        /// A peer connected or disconnected.
        case peer
        /// A peer's agent started or stopped viewing or replying on a ticket (ephemeral, never an op).
        case presence
        /// Anything else (settings, customers, canned responses), or more ops than one poll describes.
        case other
    }

    /// What changed.
    public var kind: Kind
    /// The ticket it is about, if any.
    public var ticket: String?
    /// Who made the change (member name, or short node id), if known.
    public var by: String?
    /// True when this node made it; false when it arrived from a peer.
    public var local: Bool
    /// For `peer`: "up" or "down"; for `claim`: the claim action; for `status`: the field; for `presence`:
    /// `viewing`, `replying` or `gone`.
    public var detail: String?

    /// Creates an event.
    public init(kind: Kind, ticket: String? = nil, by: String? = nil, local: Bool, detail: String? = nil) {
        self.kind = kind; self.ticket = ticket; self.by = by; self.local = local; self.detail = detail
    }

    /// Describes one op as an event (nil for ops the desk does not show).
    static func describe(_ body: OpBody, author: String, local: Bool) -> WebEvent? {
        let entity = body.entity
        switch body {
        case let .insert(_, fields) where entity.collection == Desk.message:
            let ticket = fields.first { $0.name == "ticket" }?.value.stringValue
            let direction = fields.first { $0.name == "direction" }?.value.stringValue
            let kind: Kind = direction == MessageDirection.outbound.rawValue ? .reply
                : direction == MessageDirection.note.rawValue ? .note : .message
            return WebEvent(kind: kind, ticket: ticket, by: author, local: local)
        case .insert where entity.collection == Desk.ticket:
            return WebEvent(kind: .message, ticket: entity.key, by: author, local: local, detail: "new ticket")
        case let .claim(_, action, _, _, _) where entity.collection == Desk.ticket:
            return WebEvent(kind: .claim, ticket: entity.key, by: author, local: local, detail: action.description)
        case let .set(_, field, _) where entity.collection == Desk.ticket:
            return WebEvent(kind: .status, ticket: entity.key, by: author, local: local, detail: field)
        case .tagAdd where entity.collection == Desk.ticket, .tagRemove where entity.collection == Desk.ticket:
            return WebEvent(kind: .tag, ticket: entity.key, by: author, local: local)
        case .set where entity.collection == Desk.message:
            return nil  // outbox state: shown with the thread on the next refresh of the ticket
        default:
            return WebEvent(kind: .other, by: author, local: local, detail: entity.collection)
        }
    }
}
