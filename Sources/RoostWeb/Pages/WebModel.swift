import Foundation
import Hummingbird
import RoostCore
import RoostNode
import RoostStore
import RoostTwitter

/// Which tickets an inbox page or `GET /api/v1/inbox` shows.
enum InboxView: Hashable, Sendable {
    case open, unassigned, mine, escalated, breaching, all
    case queue(String)

    static let named: [(String, InboxView)] = [
        ("open", .open), ("unassigned", .unassigned), ("mine", .mine), ("escalated", .escalated),
        ("breaching", .breaching), ("all", .all),
    ]

    /// From `?view=...&queue=...`.
    init(view: String?, queue: String?) throws(WebError) {
        if let queue, !queue.isEmpty {
            self = .queue(queue)
            return
        }
        guard let view, !view.isEmpty else { self = .open; return }
        guard let found = Self.named.first(where: { $0.0 == view })?.1 else {
            throw .badRequest(field: "view", reason: "must be one of: \(Self.named.map(\.0).joined(separator: ", "))")
        }
        self = found
    }

    var queryString: String {
        switch self {
        case let .queue(name): "queue=" + (name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? name)
        default: "view=" + (Self.named.first { $0.1 == self }?.0 ?? "open")
        }
    }

    var title: String {
        switch self {
        case .open: "All open"
        case .unassigned: "Unassigned"
        case .mine: "Mine"
        case .escalated: "Escalated"
        case .breaching: "Breaching SLA"
        case .all: "Everything"
        case let .queue(name): "Queue: \(name)"
        }
    }

    func filter(me: AuthorID, limit: Int) -> InboxFilter {
        var filter = InboxFilter()
        filter.limit = limit
        switch self {
        case .open: break
        case .unassigned: filter.unassigned = true
        case .mine: filter.holder = me
        case .escalated: filter.escalated = true
        case .breaching: filter.breaching = true
        case .all: filter.all = true
        case let .queue(name): filter.queue = name
        }
        return filter
    }
}

/// How an inbox page is cut: status filter, order and position (`?status=&sort=&offset=`).
struct InboxPaging: Hashable, Sendable {
    var status: TicketStatus?
    var sort: InboxSort = .priority
    var offset = 0
    var limit = WebLimits.inboxPage
    /// Only the languages this member answers in (`lang=mine`), and tickets of no known language.
    var myLanguages = false

    /// From the query string; a bad value is one 400 naming the field.
    init(status: String?, sort: String?, offset: String?, limit: String?, lang: String? = nil) throws(WebError) {
        if let lang, !lang.isEmpty {
            guard lang == "mine" else { throw .badRequest(field: "lang", reason: "must be mine (the languages you answer in)") }
            myLanguages = true
        }
        if let status, !status.isEmpty {
            guard let value = TicketStatus(rawValue: status) else {
                throw .badRequest(field: "status", reason: "must be one of: \(TicketStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            self.status = value
        }
        if let sort, !sort.isEmpty {
            guard let value = InboxSort(rawValue: sort) else {
                throw .badRequest(field: "sort", reason: "must be one of: \(InboxSort.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            self.sort = value
        }
        if let offset, !offset.isEmpty {
            guard let value = Int(offset), (0...WebLimits.maxInboxOffset).contains(value) else {
                throw .badRequest(field: "offset", reason: "must be an integer 0...\(WebLimits.maxInboxOffset)")
            }
            self.offset = value
        }
        if let limit {
            guard let value = Int(limit), (1...WebLimits.maxInboxLimit).contains(value) else {
                throw .badRequest(field: "limit", reason: "must be an integer 1...\(WebLimits.maxInboxLimit)")
            }
            self.limit = value
        }
    }

    /// The query string of this paging at another offset (defaults left out).
    func queryString(offset: Int) -> String {
        var parts: [String] = []
        if let status { parts.append("status=" + status.rawValue) }
        if sort != .priority { parts.append("sort=" + sort.rawValue) }
        if myLanguages { parts.append("lang=mine") }
        if offset > 0 { parts.append("offset=\(offset)") }
        return parts.map { "&" + $0 }.joined()
    }
}

/// One inbox row with its holder's display name.
struct InboxItem: Encodable, Sendable {
    var ticket: InboxRow
    var holderName: String?
}

/// An inbox page: rows, where they sit among all matching tickets, and the queue counts.
struct InboxPage: Encodable, Sendable {
    var view: String
    var status: String?
    var sort: String
    /// Rows skipped before the first one shown.
    var offset: Int
    var limit: Int
    /// Every ticket the view and status match (exact, not capped).
    var total: Int
    var rows: [InboxItem]
    var counts: DeskQueueCounts
    var nowMillis: UInt64
}

/// The claim on a ticket as the pages show it.
struct ClaimInfo: Encodable, Sendable {
    var holder: String?
    var holderName: String?
    var mine: Bool
    var sinceMillis: UInt64
    var leaseEndsMillis: UInt64?
    var action: String
}

/// A claim conflict in words: "Kenji Sato claimed this 2 minutes before you".
struct ConflictInfo: Encodable, Sendable {
    var loser: String
    var winner: String?
    var reason: String
    var loserIsMe: Bool
    var winnerIsMe: Bool
    var loserAuthor: String
    var minutesApart: Int?
    var sentence: String
}

/// Everything the ticket page and `GET /api/v1/tickets/{key}` show.
struct TicketDetail: Encodable, Sendable {
    var view: TicketView
    var customer: CustomerProfile?
    var claim: ClaimInfo?
    var conflicts: [ConflictInfo]
    var presence: [PresenceBoard.Entry]
    var resolutionTypes: [String]
    /// Who a reply goes to by default and who else wrote in the thread.
    var replyTarget: ReplyTarget
    var nowMillis: UInt64
}

extension WebApp {
    var now: UInt64 { SystemClock().nowMillis() }

    func names() -> (AuthorID) -> String {
        var cache: [AuthorID: String] = [:]
        let desk = desk
        return { id in
            if let name = cache[id] { return name }
            let name = (try? desk.memberName(id)) ?? id.short
            cache[id] = name
            return name
        }
    }

    func inboxPage(_ view: InboxView, paging: InboxPaging) throws -> InboxPage {
        var filter = view.filter(me: node.id, limit: paging.limit)
        filter.status = paging.status
        filter.sort = paging.sort
        filter.offset = paging.offset
        if paging.myLanguages {
            let mine = try desk.myLanguages()
            filter.languages = mine.isEmpty ? nil : mine
        }
        let rows = try desk.inbox(filter)
        let total = try desk.inboxCount(filter)
        let counts = try desk.queueCounts(cap: WebLimits.queueCountCap)
        let name = names()
        let items = rows.map { row in
            InboxItem(ticket: row, holderName: row.holder.flatMap { try? AuthorID(text: $0) }.map(name))
        }
        return InboxPage(view: view.queryString, status: paging.status?.rawValue, sort: paging.sort.rawValue, offset: paging.offset,
                         limit: paging.limit, total: total, rows: items, counts: counts, nowMillis: now)
    }

    func ticketDetail(_ typed: String) throws -> TicketDetail {
        let view = try desk.ticketView(typed)
        let key = view.ticket.key
        let entity = EntityRef(Desk.ticket, key)
        let name = names()
        let customer = try desk.customerProfile(id: view.ticket.customer)
        let claim = try desk.claimStatus(key).map { status in
            ClaimInfo(holder: status.holder?.text, holderName: status.holder.map(name), mine: status.holder == node.id,
                      sinceMillis: status.since.physicalMillis, leaseEndsMillis: status.holder == nil ? nil : status.leaseEndsMillis,
                      action: status.action.description)
        }
        var conflicts: [ConflictInfo] = []
        for conflict in try node.claimConflicts(on: entity) {
            let loserName = name(conflict.loser.author)
            let winnerName = conflict.winner.map { name($0.author) }
            let loserTime = try node.timestamp(of: conflict.loser)?.physicalMillis
            let winnerTime = try conflict.winner.flatMap { ref in try node.timestamp(of: ref) }?.physicalMillis
            var minutes: Int?
            if let loserTime, let winnerTime { minutes = Int((Int64(loserTime) - Int64(winnerTime)) / 60_000) }
            let loserIsMe = conflict.loser.author == node.id, winnerIsMe = conflict.winner?.author == node.id
            let apart = minutes.map { $0 == 0 ? "less than a minute" : $0 == 1 ? "1 minute" : "\(abs($0)) minutes" }
            var sentence: String
            switch (loserIsMe, winnerName, apart) {
            case let (true, winner?, apart?):
                sentence = "\(winner) claimed this \(apart) before you (your claim was made without seeing theirs), so theirs stands."
            case let (false, winner?, apart?):
                sentence = "\(loserName) also claimed this, \(apart) after \(winnerIsMe ? "you" : winner) (without seeing that claim); "
                    + "\(winnerIsMe ? "your" : winner + "'s") claim stands."
            default:
                sentence = "\(loserName)'s claim lost (\(conflict.reason.rawValue))."
            }
            conflicts.append(ConflictInfo(loser: loserName, winner: winnerName, reason: conflict.reason.rawValue,
                                          loserIsMe: loserIsMe, winnerIsMe: winnerIsMe, loserAuthor: conflict.loser.author.text,
                                          minutesApart: minutes, sentence: sentence))
        }
        return TicketDetail(view: view, customer: customer, claim: claim, conflicts: conflicts,
                            presence: othersPresence(on: key), resolutionTypes: try desk.resolutionTypes(),
                            replyTarget: try desk.replyTarget(key), nowMillis: now)
    }

    /// What a reply would look like when sent: the same composition, addressee and length rules as `DeskService.reply`.
    func preview(_ typed: String, text: String, canned: String?, dm: Bool, to: String? = nil, inReplyTo: String? = nil) throws -> ReplyPreview {
        if let canned, !canned.isEmpty, try !desk.cannedResponses().contains(where: { $0.name == canned }) {
            throw WebError.badRequest(field: "canned", reason: "no canned response \"\(canned)\"")
        }
        let draft = try desk.draftReply(typed, text: text, canned: canned, dm: dm, to: to, inReplyTo: inReplyTo)
        return ReplyPreview(composed: draft.composed, length: draft.length, limit: draft.limit, remaining: draft.limit - draft.length,
                            fits: draft.length <= draft.limit, empty: draft.empty, dm: draft.dm,
                            to: draft.target.addressee?.handle, inReplyTo: draft.target.inReplyTo,
                            cannedLanguage: draft.cannedLanguage)
    }

    /// Who else is on a ticket: this node's own pages (the viewer) never show up in their own presence list.
    func othersPresence(on key: String) -> [PresenceBoard.Entry] {
        presence.on(key, now: now).filter { !$0.local && $0.member != node.config.name }
    }
}

/// A reply as it would be sent, its length as X counts it and the limit for its channel (280 weighted for a
/// tweet, 10 000 for a DM), and who it goes to.
struct ReplyPreview: Encodable, Sendable {
    var composed: String
    var length: Int
    var limit: Int
    var remaining: Int
    var fits: Bool
    var empty: Bool
    var dm: Bool
    /// The addressee's handle (without `@`).
    var to: String?
    /// The customer message answered.
    var inReplyTo: String?
    /// The language of the canned response's variant used (the ticket's), nil for its default text.
    var cannedLanguage: String?
}
