import Foundation
public import RoostCore
import RoostCrypto
import RoostStore
import RoostTwitter

/// A customer who wrote in a ticket's thread: who a reply can be addressed to.
public struct ThreadParticipant: Sendable, Hashable, Codable {
    /// The customer's platform user id (a `customer` key).
    public var id: String
    /// Their handle without `@` (the id itself when the source gave none).
    public var handle: String
    /// Their display name, when known.
    public var name: String?
    /// Their latest message in the thread: what a reply addressed to them answers by default.
    public var latestMessage: String
}

/// Who a reply goes to and which message it answers.
public struct ReplyTarget: Sendable, Hashable, Codable {
    /// The addressee (nil on a ticket with no customer message and no known customer).
    public var addressee: ThreadParticipant?
    /// The message answered (`reply_to`), nil when the thread has no customer message.
    public var inReplyTo: String?
    /// Every customer who wrote in the thread, in order of their first message.
    public var participants: [ThreadParticipant]
}

extension DeskService {
    /// The result of composing a reply.
    public struct Reply: Sendable, Hashable {
        /// The ticket key.
        public var ticket: String
        /// The queued message (`r…`).
        public var messageID: String
        /// The text as it will be posted.
        public var text: String
        /// Its length as X counts it (weighted for a tweet, code points for a DM).
        public var length: Int
        /// The limit it was checked against (``TweetLength/limit`` or ``TweetLength/dmLimit``).
        public var limit: Int
        /// Whether it goes as a DM.
        public var dm: Bool
        /// The addressee's handle (without `@`), when known.
        public var to: String?
        /// The message it answers, when the thread has a customer message.
        public var inReplyTo: String?
        /// True when the ticket was not held by the replier and the reply claimed it (same transaction).
        public var claimed: Bool
    }

    /// A customer's handle (without `@`, the id when unknown) and display name.
    public func customerLabel(_ id: String) throws(DeskError) -> (handle: String, name: String?) {
        let entity = EntityRef(Desk.customer, id)
        let fields = try run { () throws(StoreError) in try store.state.entity(entity) }
        let handle = fields?.first { $0.name == "handle" }?.value.stringValue ?? id
        let name = try run { () throws(StoreError) in try store.state.register(entity, "name") }?.stringValue
        return (handle.isEmpty ? id : handle, name?.isEmpty == true ? nil : name)
    }

    /// Who a reply on `key` goes to and which message it answers.
    ///
    /// `inReplyTo` names a customer message of the thread; `to` names a participant by handle (with or without
    /// `@`) or id. Without either, the reply answers the latest customer message and is addressed to its
    /// author; with `to` alone, it answers that participant's latest message; with `inReplyTo` alone, it is
    /// addressed to that message's author. Anything else is refused.
    public func replyTarget(_ typed: String, to: String? = nil, inReplyTo: String? = nil) throws(DeskError) -> ReplyTarget {
        let key = try ticketKey(typed)
        let row = try row(key)
        let thread = try run { () throws(StoreError) in try store.desk.thread(key) }
        var participants: [ThreadParticipant] = []
        for message in thread where message.direction == .inbound {
            if let index = participants.firstIndex(where: { $0.id == message.author }) {
                participants[index].latestMessage = message.id
            } else {
                let label = try customerLabel(message.author)
                participants.append(ThreadParticipant(id: message.author, handle: label.handle, name: label.name,
                                                      latestMessage: message.id))
            }
        }
        var answered: ThreadMessage?
        if let inReplyTo, !inReplyTo.isEmpty {
            guard let message = thread.first(where: { $0.id == inReplyTo && $0.direction == .inbound }) else {
                throw .notACustomerMessage(id: inReplyTo, ticket: key)
            }
            answered = message
        }
        var addressee: ThreadParticipant?
        if let to, !to.isEmpty {
            let wanted = (to.hasPrefix("@") ? String(to.dropFirst()) : to).lowercased()
            guard let found = participants.first(where: { $0.handle.lowercased() == wanted || $0.id == wanted }) else {
                throw .notAParticipant(handle: to, ticket: key, participants: participants.map { "@" + $0.handle })
            }
            addressee = found
            if answered == nil { answered = thread.first { $0.id == found.latestMessage } }
        }
        if answered == nil { answered = thread.last { $0.direction == .inbound } }
        if addressee == nil, let answered { addressee = participants.first { $0.id == answered.author } }
        if addressee == nil, !row.customer.isEmpty, row.customer != "unknown" {
            let label = try customerLabel(row.customer)
            addressee = ThreadParticipant(id: row.customer, handle: row.customerHandle ?? label.handle, name: label.name,
                                          latestMessage: "")
        }
        return ReplyTarget(addressee: addressee, inReplyTo: answered?.id, participants: participants)
    }

    /// A reply as it would be sent: the composed text, its length and limit, and its target.
    public struct ReplyDraft: Sendable, Hashable {
        /// The text as it will be posted.
        public var composed: String
        /// Its length as X counts it.
        public var length: Int
        /// The limit it is held to.
        public var limit: Int
        /// Whether it goes as a DM.
        public var dm: Bool
        /// Whether the typed text (and canned response) is empty.
        public var empty: Bool
        /// Who it goes to and what it answers.
        public var target: ReplyTarget
        /// The language of the canned response's variant used (the ticket's language), nil for its default text.
        public var cannedLanguage: String? = nil
    }

    /// Composes a reply without writing anything: the same rules ``reply(_:text:canned:dm:to:inReplyTo:)`` uses.
    public func draftReply(_ typed: String, text: String?, canned: String? = nil, dm: Bool = false,
                           to: String? = nil, inReplyTo: String? = nil) throws(DeskError) -> ReplyDraft {
        let key = try ticketKey(typed)
        let row = try row(key)
        let target = try replyTarget(key, to: to, inReplyTo: inReplyTo)
        let handle = target.addressee?.handle
        var body = text ?? ""
        var cannedLanguage: String?
        if let canned, !canned.isEmpty {
            // The variant in the ticket's language, else the default text.
            guard let template = try cannedText(canned, language: row.language) else {
                throw .unknownCanned(canned, forVariant: false)
            }
            cannedLanguage = template.language
            body = DeskRules.fillCanned(template.text, customer: handle.map { "@" + $0 } ?? "there", agent: node.config.name)
                + (body.isEmpty ? "" : " " + body)
        }
        let isDM = dm || row.channel == "dm"
        let composed = DeskRules.composeReply(text: body, handle: handle, initials: node.config.initials, dm: isDM)
        let measured = TweetLength.measure(composed, dm: isDM)
        return ReplyDraft(composed: composed, length: measured.count, limit: measured.limit, dm: isDM,
                          empty: body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, target: target,
                          cannedLanguage: cannedLanguage)
    }

    /// The send-time guard: refuses when a reply by another member follows message `seen` in the ticket's thread
    /// (a message id the thread does not hold guards nothing).
    public func requireNobodyRepliedSince(_ typed: String, seen: String) throws(DeskError) {
        let thread = try ticketView(typed).thread
        guard let index = thread.firstIndex(where: { $0.id == seen }) else { return }
        if let other = thread[(index + 1)...].first(where: { $0.direction == .outbound && $0.authorName != node.config.name }) {
            throw .repliedFirst(author: other.authorName)
        }
    }

    /// Composes `@handle text ^AL` addressed to the author of the message it answers (see
    /// ``replyTarget(_:to:inReplyTo:)``), checks length (280 as X counts a tweet, 10 000 for a DM) and claim,
    /// then queues it in the outbox. A ticket nobody holds (or whose lease ended) is claimed for the replier in
    /// the same transaction, so the gateway posts it; one another member holds is refused. A public reply moves
    /// the ticket to pending. With `after` (the last message the agent read), a reply another member sent since is
    /// refused as ``DeskError/repliedFirst(author:)``: the agent reads it and sends again without `after` to send anyway.
    public func reply(_ typed: String, text: String?, canned: String? = nil, dm: Bool = false,
                      to: String? = nil, inReplyTo: String? = nil, after: String? = nil) throws(DeskError) -> Reply {
        let key = try ticketKey(typed)
        let row = try row(key)
        if let after { try requireNobodyRepliedSince(key, seen: after) }
        let draft = try draftReply(key, text: text, canned: canned, dm: dm, to: to, inReplyTo: inReplyTo)
        guard !draft.empty else { throw .invalid(field: "text", rule: "the reply is empty") }
        guard draft.length <= draft.limit else { throw .tooLong(count: draft.length, limit: draft.limit) }
        let current = try requireNotHeldByOther(key)
        let id = "r" + Hex.encode(SecureRandom.bytes(8))
        var bodies: [OpBody] = []
        let heldByMe = current?.holder == node.id
        if !heldByMe || now >= (current?.leaseEndsMillis ?? 0) {
            bodies.append(claimBody(key, current: current, leaseMinutes: 30))
        }
        var fields = [
            Field("ticket", .string(key)), Field("direction", .string(MessageDirection.outbound.rawValue)),
            Field("author", .string(node.id.text)), Field("text", .string(draft.composed)), Field("created_ms", .int(Int64(now))),
            Field("signature", .string(node.config.initials)), Field("dm", .bool(draft.dm)),
        ]
        if let answered = draft.target.inReplyTo { fields.append(Field("reply_to", .string(answered))) }
        if let addressee = draft.target.addressee { fields.append(Field("to", .string(addressee.id))) }
        if let language = TweetLanguage.detect(draft.composed) { fields.append(Field("lang", .string(language))) }
        bodies.append(.makeInsert(EntityRef(Desk.message, id), fields))
        bodies.append(.set(entity: EntityRef(Desk.message, id), field: "outbox", value: .string(OutboxState.queued.rawValue)))
        if row.status == .new || row.status == .open {
            bodies.append(.set(entity: EntityRef(Desk.ticket, key), field: "status", value: .string(TicketStatus.pending.rawValue)))
        }
        try append(bodies)
        return Reply(ticket: key, messageID: id, text: draft.composed, length: draft.length, limit: draft.limit, dm: draft.dm,
                     to: draft.target.addressee?.handle, inReplyTo: draft.target.inReplyTo, claimed: !heldByMe)
    }
}
