public import RoostCore
import Foundation
public import RoostStore

/// Why a desk command was refused. One clear line each (``description``); nothing was written. Front-ends switch
/// on the cases (the web API maps each to a status and a field), never on the text.
public enum DeskError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No ticket matches.
    case unknownTicket(String)
    /// Several tickets match a short key.
    case ambiguousTicket(String, [String])
    /// Another member holds the ticket.
    case claimedByOther(ticket: String, holder: String, sinceMillis: UInt64)
    /// Another member holds the entity until its lease ends (`roost op claim`).
    case heldUntilLeaseEnd(entity: String, holder: String)
    /// The entity (`ticket 1042`, `ticket/1042`) is not claimed by anyone.
    case notClaimed(entity: String)
    /// This node does not hold the entity; `holder` is who does, when someone does.
    case notHolder(entity: String, holder: String?)
    /// The reply is over X's limit.
    case tooLong(count: Int, limit: Int)
    /// A value is not one of the allowed ones.
    case invalidValue(field: String, value: String, allowed: [String])
    /// An input the desk cannot take: `field` names it (as the API and CLI call it), `rule` says what it accepts.
    case invalid(field: String, rule: String)
    /// A search query that cannot be read.
    case badQuery(SearchQueryError)
    /// This node's role may not do `action`; `allowed` names the roles that may (e.g. `leads and admins`).
    case notPermitted(allowed: String, action: String)
    /// No current member matches the name or id.
    case unknownMember(String)
    /// The node is not a current member (of the team, when `team` is said).
    case notAMember(String, sayTeam: Bool)
    /// Several members match the name.
    case ambiguousMember(String)
    /// No customer with this handle or id on this node; `erasedHint` when an erased customer could be meant.
    case unknownCustomer(String, erasedHint: Bool = false)
    /// Several customers share the handle; `ids` lists them when the caller must pick one.
    case ambiguousCustomer(String, ids: [String])
    /// The customer was erased; `detail` says what that means for the command.
    case customerErased(String, detail: CustomerErasedDetail)
    /// No canned response of that name; `forVariant` when a language variant was given without a default text.
    case unknownCanned(String, forVariant: Bool)
    /// The entity (`ticket pA`, `widget/1`) has no such tag.
    case noSuchTag(entity: String, tag: String, quoted: Bool)
    /// The ticket is already at the top tier and no tier was named.
    case topTier(ticket: String)
    /// `inReplyTo` is not a customer message of the ticket.
    case notACustomerMessage(id: String, ticket: String)
    /// The addressee did not write in the ticket; `participants` lists who did.
    case notAParticipant(handle: String, ticket: String, participants: [String])
    /// Someone else replied after the last message the agent saw; send again with `force` to send anyway.
    case repliedFirst(author: String)
    /// No outbox item with this id.
    case unknownOutboxItem(String)
    /// The outbox item is another member's draft.
    case notYourDraft(String)
    /// The outbox item's state does not allow `action`.
    case outboxItemState(id: String, state: String, action: OutboxAction)
    /// No connected X handle with this username or id.
    case unknownHandle(String)
    /// The username is already connected as another X user id.
    case handleConnectedElsewhere(username: String, userID: String)
    /// The handle is new and no X user id was given or could be looked up.
    case handleNeedsUserID(String)
    /// The member is already the handle's primary gateway.
    case alreadyPrimaryGateway(member: String, handle: String)
    /// The member's role cannot run a gateway; `roles` are the roles that can.
    case cannotRunGateway(member: String, roles: [String])
    /// A desk policy or rules file that cannot be used (its line and why).
    case rules(RulesError)
    /// An import file, or with `--strict` a line of it, that cannot be read (the path, the line and why).
    case badImport(String)
    /// The node refused to append (its home, config or signing).
    case node(NodeError)
    /// The store failed.
    case store(StoreError)

    /// What an erased customer's refusal says.
    public enum CustomerErasedDetail: Sendable, Equatable {
        /// Erasing again: `nothing of theirs is left on this node` when `nothingLeft`.
        case alreadyErased(nothingLeft: Bool)
        /// Exporting.
        case nothingToExport
    }

    /// The outbox commands an item's state can refuse.
    public enum OutboxAction: Sendable, Equatable {
        case sendAnyway, discard
    }

    /// The input the refusal is about, as the API and CLI name it; nil when it is not about one input.
    public var field: String? {
        switch self {
        case .tooLong: "text"
        case let .invalidValue(field, _, _), let .invalid(field, _): field
        case .badQuery: "q"
        case .unknownCanned: "canned"
        case .notACustomerMessage: "inReplyTo"
        case .notAParticipant: "to"
        default: nil
        }
    }

    public var description: String {
        switch self {
        case let .unknownTicket(key): "no ticket \(key) on this node"
        case let .ambiguousTicket(key, keys): "\(key) matches several tickets: \(keys.joined(separator: ", "))"
        case let .claimedByOther(ticket, holder, since):
            "ticket \(ticket) is claimed by \(holder) since \(DeskClock.format(since)); ask for a hand-off"
        case let .heldUntilLeaseEnd(entity, holder): "\(entity) is claimed by \(holder) until lease end; ask for a hand-off"
        case let .notClaimed(entity): "\(entity) is not claimed"
        case let .notHolder(entity, nil): "you do not hold \(entity); claim it first"
        case let .notHolder(entity, holder?): "\(entity) is claimed by \(holder), not by you"
        case let .tooLong(count, limit): "reply is \(count) characters, over X's limit of \(limit)"
        case let .invalidValue(field, value, allowed):
            "\(field) \"\(value)\" is not one of: \(allowed.joined(separator: ", "))"
        case let .invalid(_, rule): rule
        case let .badQuery(error): error.description
        case let .notPermitted(allowed, action): "only \(allowed) \(action)"
        case let .unknownMember(text): "no member matches \"\(text)\""
        case let .ambiguousMember(text): "\"\(text)\" matches several members"
        case let .notAMember(member, sayTeam): "\(member) is not a current member" + (sayTeam ? " of the team" : "")
        case let .unknownCustomer(handle, false): "no customer \(handle) on this node"
        case let .unknownCustomer(handle, true):
            "no customer \(handle) on this node (an erased customer's handle is gone: use the user id, listed by `roost-inspect erasures`)"
        case let .unknownHandle(handle):
            "no handle @\(handle) (connect it with `roost gateway assign \(handle) --x-user-id ID --member NODE`)"
        case let .handleConnectedElsewhere(username, userID): "@\(username) is already connected as X user \(userID)"
        case let .handleNeedsUserID(username):
            "@\(username) is not connected yet: give its numeric X user id with --x-user-id, or configure the gateway token (`roost gateway configure`) so it is looked up"
        case let .ambiguousCustomer(handle, ids) where ids.isEmpty: "\(handle) matches several customers"
        case let .ambiguousCustomer(handle, ids): "\(handle) matches several customers (\(ids.joined(separator: ", "))): give the user id"
        case let .customerErased(id, .alreadyErased(nothingLeft)):
            "customer \(id) was already erased" + (nothingLeft ? ": nothing of theirs is left on this node" : "")
        case let .customerErased(id, .nothingToExport): "customer \(id) was erased: nothing about them is left to export"
        case let .unknownCanned(name, false): "no canned response \"\(name)\" (see `roost canned list`)"
        case let .unknownCanned(name, true):
            "no canned response \"\(name)\": add its default text first (roost canned add \(name) TEXT)"
        case let .noSuchTag(entity, tag, quoted): "\(entity) has no tag " + (quoted ? "\"\(tag)\"" : tag)
        case let .topTier(ticket): "ticket \(ticket) is already at the top tier"
        case let .notACustomerMessage(id, ticket): "\(id) is not a customer message of ticket \(ticket)"
        case let .notAParticipant(handle, ticket, participants):
            "\(handle) did not write in ticket \(ticket)" + (participants.isEmpty ? "" : "; participants: \(participants.joined(separator: ", "))")
        case let .repliedFirst(author): "\(author) replied after the last message you saw; send anyway?"
        case let .unknownOutboxItem(id): "no outbox item \(id) (see `roost outbox list`)"
        case let .notYourDraft(id): "outbox item \(id) is another member's draft"
        case let .outboxItemState(id, state, .sendAnyway):
            "outbox item \(id) is \(state); only held or failed replies can be sent anyway"
        case let .outboxItemState(id, state, .discard): "outbox item \(id) is \(state) and can no longer be discarded"
        case let .alreadyPrimaryGateway(member, handle): "\(member) is already the primary gateway of @\(handle)"
        case let .cannotRunGateway(member, roles): "\(member) cannot run a gateway (roles: \(roles.joined(separator: ", ")))"
        case let .rules(error): error.description
        case let .badImport(why): why
        case let .node(error): error.description
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
