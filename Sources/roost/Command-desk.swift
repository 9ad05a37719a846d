import ArgumentParser
import Foundation
import RoostCore
import RoostNode
import RoostStore
import RoostConsole

/// Opens the desk of the node chosen by `--home`.
func openDesk(_ global: GlobalOptions) throws -> DeskService {
    DeskService(node: try withNodeErrors { try NodeHome.resolve(option: global.home).open() })
}

/// Runs desk work, turning its error into one CLI line.
func withDesk<T>(_ work: () throws(DeskError) -> T) throws -> T {
    do { return try work() } catch { throw CLIError(error.description) }
}

/// Prints a one-line confirmation, or JSON.
func confirm(_ global: GlobalOptions, _ text: String, _ json: [String: String]) {
    if global.json { Console.printJSON(json) } else { print(text) }
}

/// Does desk work through the running node's local API when `roost run` serves this home (the node stays the
/// one writer of its store), else directly on the store. Returns the result and whether the API did it.
func throughNode<T>(_ global: GlobalOptions, remote: (LocalAPI) async throws -> T, local: () throws -> T) async throws -> (T, Bool) {
    if let api = try LocalAPI.attach(global) { return (try await remote(api), true) }
    return (try local(), false)
}

/// ``confirm(_:_:_:)`` saying in JSON (`"via": "api"`) when the running node did the work.
func confirm(_ global: GlobalOptions, _ text: String, _ json: [String: String], viaAPI: Bool) {
    confirm(global, text, viaAPI ? json.merging(["via": "api"]) { $1 } : json)
}

struct Inbox: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open work, sorted by priority, then SLA due time (or --sort due|newest), a page at a time.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this queue.") var queue: String?
    @Flag(help: "Only tickets you hold.") var mine = false
    @Flag(help: "Only tickets nobody holds.") var unassigned = false
    @Flag(help: "Only tickets whose first response or next reply is overdue.") var breaching = false
    @Flag(help: "Only escalated tickets.") var escalated = false
    @Flag(help: "Only tickets in the languages you answer in (roost agent languages), and those of no known language.")
    var myLanguages = false
    @Flag(help: "Include resolved and closed tickets (and snoozed ones).") var all = false
    @Flag(help: "Only snoozed tickets (they are out of open work until they wake).") var snoozed = false
    @Option(help: "Only this status: new, open, pending, on-hold, resolved, closed.") var status: String?
    @Option(help: "Order: priority (default), due (soonest first-response due first), newest (latest customer message first).")
    var sort = InboxSort.priority.rawValue
    @Option(help: "At most this many rows.") var limit = 50
    @Option(help: "Skip this many rows (the next page: --offset 50).") var offset = 0

    func validate() throws {
        guard InboxSort(rawValue: sort) != nil else {
            throw ValidationError("--sort must be one of: \(InboxSort.allCases.map(\.rawValue).joined(separator: ", ")) (not \(sort))")
        }
        if let status, TicketStatus(rawValue: status) == nil {
            throw ValidationError("--status must be one of: \(TicketStatus.allCases.map(\.rawValue).joined(separator: ", ")) (not \(status))")
        }
        guard limit >= 1 else { throw ValidationError("--limit must be at least 1") }
        guard offset >= 0 else { throw ValidationError("--offset must not be negative") }
    }

    func run() throws {
        let desk = try openDesk(global)
        var filter = InboxFilter()
        filter.queue = queue
        filter.holder = mine ? desk.node.id : nil
        filter.unassigned = unassigned
        filter.breaching = breaching
        filter.escalated = escalated
        if myLanguages {
            let mine = try withDesk { () throws(DeskError) in try desk.myLanguages() }
            guard !mine.isEmpty else { throw CLIError("you have not said which languages you answer in: roost agent languages en,es") }
            filter.languages = mine
        }
        filter.all = all
        filter.snoozed = snoozed
        filter.status = status.flatMap(TicketStatus.init(rawValue:))
        filter.sort = InboxSort(rawValue: sort) ?? .priority
        filter.limit = limit
        filter.offset = offset
        let rows = try withDesk { () throws(DeskError) in try desk.inbox(filter) }
        if global.json { return Console.printJSON(rows) }
        let total = try withDesk { () throws(DeskError) in try desk.inboxCount(filter) }
        if rows.isEmpty { return print(total == 0 ? "No tickets." : "No tickets past row \(offset) (\(total) in all).") }
        let now = SystemClock().nowMillis()
        var table = [["TICKET", "PRIORITY", "STATUS", "TIER", "QUEUE", "BRAND", "CUSTOMER", "HOLDER", "SLA", "MSGS", "LATEST"]]
        for row in rows {
            let holder = try row.holder.map { text in
                try withDesk { () throws(DeskError) in
                    guard let id = try? AuthorID(text: text) else { return text }
                    return try desk.memberName(id)
                }
            }
            table.append([
                row.key, row.priority.rawValue, row.status.rawValue + (row.reopened ? "*" : ""), row.tier.rawValue,
                row.queue ?? "-", row.brand.map { "@" + $0 } ?? "-", row.customerHandle.map { "@" + $0 } ?? row.customer,
                holder.map { $0 + (row.pushedTo != nil && row.pushedTo == row.holder ? " (pushed)" : "") } ?? "-",
                Self.sla(row, now: now), String(row.messages), Self.latest(row, now: now),
            ])
        }
        Console.printTable(table)
        let last = offset + rows.count
        if offset > 0 || last < total {
            print("Rows \(offset + 1)-\(last) of \(total)" + (last < total ? "; next page: --offset \(last)" : "") + ".")
        }
    }

    /// The latest customer message: its age and the start of its text, on one line.
    static func latest(_ row: InboxRow, now: UInt64) -> String {
        guard let at = row.lastInboundMillis else { return "-" }
        let age = DeskClock.duration(Int64(now) - Int64(at)) + " ago"
        guard let snippet = row.snippet else { return age }
        let short = snippet.count > 48 ? String(snippet.prefix(47)) + "…" : snippet
        return age + ": " + short
    }

    /// The running SLA clock: the first response (answered: how fast), else the next reply a customer awaits;
    /// `!` marks a clock past its warning share.
    static func sla(_ row: InboxRow, now: UInt64) -> String {
        let warn = row.slaWarning == true ? "! " : ""
        if let first = row.firstInboundMillis, let response = row.firstResponseMillis {
            guard let next = row.nextReplyDueMillis else { return "in " + DeskClock.duration(Int64(response) - Int64(first)) }
            return warn + "reply " + (next < now ? "overdue " + DeskClock.duration(Int64(now) - Int64(next))
                                      : "due in " + DeskClock.duration(Int64(next) - Int64(now)))
        }
        guard let due = row.dueMillis else { return "-" }
        if row.history == true { return "history (no reply since \(DeskClock.format(row.firstInboundMillis ?? due)))" }
        return warn + (due < now ? "overdue " + DeskClock.duration(Int64(now) - Int64(due)) : "due in " + DeskClock.duration(Int64(due) - Int64(now)))
    }
}

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "A ticket: thread, claim, tags, SLA clock, customer history.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Ticket key (p1193, or just 1193).") var ticket: String

    func run() throws {
        let desk = try openDesk(global)
        let view = try withDesk { () throws(DeskError) in try desk.ticketView(ticket) }
        if global.json { return Console.printJSON(view) }
        print("Ticket \(view.ticket.key) (\(view.ticket.channel)) · \(view.ticket.status.rawValue)\(view.ticket.reopened ? " (reopened)" : "")"
              + " · \(view.ticket.priority.rawValue) · \(view.ticket.tier.rawValue)" + (view.ticket.queue.map { " · queue \($0)" } ?? ""))
        print("Customer: " + (view.ticket.customerHandle.map { "@" + $0 } ?? view.ticket.customer)
              + (view.customerTickets.count > 1 ? " (\(view.customerTickets.count) tickets: \(view.customerTickets.joined(separator: ", ")))" : ""))
        if let profile = try withDesk({ () throws(DeskError) in try desk.customerProfile(id: view.ticket.customer) }), let crm = profile.crm {
            print("CRM:      " + crm + (profile.crmURL.map { " · " + $0 } ?? ""))
        }
        print("Claim:    " + (view.holder.map { "\($0) until \(view.leaseEnds.map(DeskClock.format) ?? "?")" } ?? "unclaimed")
              + (view.conflicts.isEmpty ? "" : " · \(view.conflicts.count) claim conflict(s): " + view.conflicts.joined(separator: "; ")))
        print("Tags:     " + (view.tags.isEmpty ? "none" : view.tags.joined(separator: ", ")))
        print("SLA:      " + Inbox.sla(view.ticket, now: SystemClock().nowMillis()))
        if let resolution = view.resolution { print("Resolved: \(resolution)") }
        print("")
        for message in view.thread {
            let who = message.authorName
            let kind = message.direction == .note ? "note" : (message.dm ? "dm" : "public")
            let outbox = message.outbox.map { " [\($0.rawValue)" + (message.outboxReason.map { ": " + $0 } ?? "") + "]" } ?? ""
            print("\(DeskClock.format(message.createdMillis))  \(message.direction.rawValue) \(kind) · \(who) · \(message.id)\(outbox)")
            print("    " + message.text.replacingOccurrences(of: "\n", with: "\n    "))
        }
    }
}

struct ClaimTicket: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "claim", abstract: "Claim a ticket with a lease.")
    @OptionGroup var global: GlobalOptions
    @Argument var ticket: String
    @Option(help: "Lease length in minutes.") var lease: UInt32 = 30

    func run() async throws {
        let (key, viaAPI) = try await throughNode(global) { api in
            try await api.send("POST", LocalAPI.ticket(ticket) + "/claim", ["leaseMinutes": Int(lease)])["ticket"] as? String ?? ticket
        } local: {
            let desk = try openDesk(global)
            return try withDesk { () throws(DeskError) in try desk.claim(ticket, leaseMinutes: lease) }
        }
        confirm(global, "Claimed \(key) for \(lease) minutes", ["ticket": key, "lease_minutes": String(lease)], viaAPI: viaAPI)
    }
}

struct ReleaseTicket: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "release", abstract: "Release your claim on a ticket.")
    @OptionGroup var global: GlobalOptions
    @Argument var ticket: String

    func run() async throws {
        let (key, viaAPI) = try await throughNode(global) { api in
            try await api.send("POST", LocalAPI.ticket(ticket) + "/release", [:])["ticket"] as? String ?? ticket
        } local: {
            let desk = try openDesk(global)
            return try withDesk { () throws(DeskError) in try desk.release(ticket) }
        }
        confirm(global, "Released \(key)", ["ticket": key], viaAPI: viaAPI)
    }
}

struct Handoff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Hand your ticket to another member.")
    @OptionGroup var global: GlobalOptions
    @Argument var ticket: String
    @Option(help: "The member: node id, id prefix or name.") var to: String

    func run() async throws {
        let ((key, member), viaAPI) = try await throughNode(global) { api in
            let answer = try await api.send("POST", LocalAPI.ticket(ticket) + "/handoff", ["to": to])
            let desk = try openDesk(global)  // reads only: who `to` names
            return (answer["ticket"] as? String ?? ticket, try withDesk { () throws(DeskError) in try desk.resolveMember(to) })
        } local: {
            let desk = try openDesk(global)
            return try withDesk { () throws(DeskError) in try desk.handoff(ticket, to: to) }
        }
        let reader = try openDesk(global)
        let name = try withDesk { () throws(DeskError) in try reader.memberName(member) }
        confirm(global, "Handed \(key) to \(name)", ["ticket": key, "to": member.text], viaAPI: viaAPI)
    }
}

/// What `roost reply` prints, whether the running node or the store queued it.
struct SentReply {
    var ticket: String, messageID: String, text: String, length: Int, limit: Int, dm: Bool
    var to: String?, inReplyTo: String?, claimed: Bool
}

struct Reply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Queue a reply (@handle text ^AL) in the outbox until a gateway posts it.")
    @OptionGroup var global: GlobalOptions
    @Argument var ticket: String
    @Argument(help: "The reply text.") var text: String?
    @Option(help: "Start from a canned response.") var canned: String?
    @Flag(help: "Reply by direct message.") var dm = false
    @Option(help: "Address the reply to this participant of the thread (default: the author of the message answered).")
    var to: String?
    @Option(name: .customLong("in-reply-to"), help: "The customer message answered (an id from `roost show`; default: the latest).")
    var inReplyTo: String?
    @Option(help: "The last message you read (an id from `roost show`): refused if another member replied since.")
    var after: String?

    func run() async throws {
        let (reply, viaAPI) = try await throughNode(global) { api in
            var body: [String: Any] = ["dm": dm]
            if let text { body["text"] = text }
            if let canned { body["canned"] = canned }
            if let to { body["to"] = to }
            if let inReplyTo { body["inReplyTo"] = inReplyTo }
            if let after { body["after"] = after }
            let answer = try await api.send("POST", LocalAPI.ticket(ticket) + "/reply", body)
            return SentReply(ticket: answer["ticket"] as? String ?? ticket, messageID: answer["messageId"] as? String ?? "",
                             text: answer["text"] as? String ?? "", length: answer["length"] as? Int ?? 0,
                             limit: answer["limit"] as? Int ?? 0, dm: answer["dm"] as? Bool ?? dm,
                             to: answer["to"] as? String, inReplyTo: answer["inReplyTo"] as? String,
                             claimed: answer["claimed"] as? Bool ?? false)
        } local: {
            let desk = try openDesk(global)
            let reply = try withDesk { () throws(DeskError) in
                try desk.reply(ticket, text: text, canned: canned, dm: dm, to: to, inReplyTo: inReplyTo, after: after)
            }
            return SentReply(ticket: reply.ticket, messageID: reply.messageID, text: reply.text, length: reply.length,
                             limit: reply.limit, dm: reply.dm, to: reply.to, inReplyTo: reply.inReplyTo, claimed: reply.claimed)
        }
        if global.json {
            return Console.printJSON(["ticket": reply.ticket, "message": reply.messageID, "text": reply.text, "length": String(reply.length),
                              "limit": String(reply.limit), "to": reply.to ?? "", "inReplyTo": reply.inReplyTo ?? "",
                              "claimed": String(reply.claimed)]
                .merging(viaAPI ? ["via": "api"] : [:]) { $1 })
        }
        if reply.claimed { print("Claimed \(reply.ticket) for you (30-minute lease): the gateway posts only the holder's replies.") }
        print("Queued \(reply.dm ? "DM" : "reply") \(reply.messageID) on \(reply.ticket) (\(reply.length)/\(reply.limit))"
              + (reply.to.map { " to @\($0)" } ?? "") + (reply.inReplyTo.map { " in reply to \($0)" } ?? "") + ":")
        print("    \(reply.text)")
    }
}

struct Note: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Add an internal note (never sent).")
    @OptionGroup var global: GlobalOptions
    @Argument var ticket: String
    @Argument var text: String

    func run() async throws {
        let (id, viaAPI) = try await throughNode(global) { api in
            try await api.send("POST", LocalAPI.ticket(ticket) + "/notes", ["text": text])["detail"] as? String ?? ""
        } local: {
            let desk = try openDesk(global)
            return try withDesk { () throws(DeskError) in try desk.note(ticket, text) }
        }
        confirm(global, "Added note \(id)", ["note": id], viaAPI: viaAPI)
    }
}

struct TagTicket: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tag", abstract: "Tag a ticket.")
    @OptionGroup var global: GlobalOptions
    @Argument var ticket: String
    @Argument var tags: [String]

    func run() async throws {
        let (_, viaAPI) = try await throughNode(global) { api in
            for tag in tags { _ = try await api.send("POST", LocalAPI.ticket(ticket) + "/tags", ["tag": tag]) }
        } local: {
            let desk = try openDesk(global)
            for tag in tags { _ = try withDesk { () throws(DeskError) in try desk.tag(ticket, tag) } }
        }
        confirm(global, "Tagged \(ticket): \(tags.joined(separator: ", "))", ["ticket": ticket, "tags": tags.joined(separator: ",")],
                viaAPI: viaAPI)
    }
}

struct UntagTicket: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "untag", abstract: "Remove a tag from a ticket.")
    @OptionGroup var global: GlobalOptions
    @Argument var ticket: String
    @Argument var tag: String

    func run() async throws {
        let (key, viaAPI) = try await throughNode(global) { api in
            let segment = tag.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? tag
            return try await api.send("DELETE", LocalAPI.ticket(ticket) + "/tags/" + segment)["ticket"] as? String ?? ticket
        } local: {
            let desk = try openDesk(global)
            return try withDesk { () throws(DeskError) in try desk.untag(ticket, tag) }
        }
        confirm(global, "Removed tag \(tag) from \(key)", ["ticket": key, "tag": tag], viaAPI: viaAPI)
    }
}

struct SetPriority: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "priority", abstract: "Set a ticket's priority (urgent, high, normal, low).")
    @OptionGroup var global: GlobalOptions
    @Argument var ticket: String
    @Argument var priority: String

    func run() async throws {
        let (key, viaAPI) = try await throughNode(global) { api in
            try await api.send("POST", LocalAPI.ticket(ticket) + "/priority", ["priority": priority])["ticket"] as? String ?? ticket
        } local: {
            let desk = try openDesk(global)
            return try withDesk { () throws(DeskError) in try desk.setPriority(ticket, priority) }
        }
        confirm(global, "Priority of \(key) is now \(priority)", ["ticket": key, "priority": priority], viaAPI: viaAPI)
    }
}

struct Escalate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Escalate a ticket to the next tier, with a reason.")
    @OptionGroup var global: GlobalOptions
    @Argument var ticket: String
    @Option(help: "Why.") var reason: String
    @Option(help: "Tier to escalate to (default: the next one).") var to: String?

    func run() async throws {
        guard to == nil || Tier(rawValue: to!) != nil else {
            throw CLIError("tier \"\(to!)\" is not one of: \(Tier.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let ((key, tier), viaAPI) = try await throughNode(global) { api in
            var body: [String: Any] = ["reason": reason]
            if let to { body["tier"] = to }
            let answer = try await api.send("POST", LocalAPI.ticket(ticket) + "/escalate", body)
            return (answer["ticket"] as? String ?? ticket, answer["detail"] as? String ?? "")
        } local: {
            let desk = try openDesk(global)
            let (key, tier) = try withDesk { () throws(DeskError) in try desk.escalate(ticket, reason: reason, to: to.flatMap(Tier.init(rawValue:))) }
            return (key, tier.rawValue)
        }
        confirm(global, "Escalated \(key) to \(tier)", ["ticket": key, "tier": tier], viaAPI: viaAPI)
    }
}

struct Snooze: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Snooze a ticket: out of open work on every node until a time, or until the customer writes again.")
    @OptionGroup var global: GlobalOptions
    @Argument var ticket: String
    @Option(name: .customLong("for"), help: "How long: 30m, 4h, 2d.") var duration: String?
    @Option(help: "Until when: YYYY-MM-DDTHH:MM (UTC).") var until: String?
    @Flag(help: "Wake it now.") var clear = false

    func validate() throws {
        guard [duration != nil, until != nil, clear].filter({ $0 }).count == 1 else {
            throw ValidationError("give one of --for, --until or --clear")
        }
    }

    /// `30m`, `4h`, `2d` in ms.
    static func millis(_ text: String) throws -> UInt64 {
        let units: [Character: UInt64] = ["m": 60_000, "h": 3_600_000, "d": 86_400_000]
        guard let unit = text.last.flatMap({ units[$0] }), let count = UInt64(text.dropLast()), count > 0 else {
            throw CLIError("--for takes a number and m, h or d, e.g. 4h (got \"\(text)\")")
        }
        return count * unit
    }

    func run() async throws {
        var untilMillis: UInt64?
        if let duration { untilMillis = SystemClock().nowMillis() + (try Self.millis(duration)) }
        if let until {
            guard let millis = CivilDate.minuteMillis(until) else { throw CLIError("--until takes YYYY-MM-DDTHH:MM (UTC), e.g. 2026-12-05T09:00") }
            untilMillis = millis
        }
        let (key, viaAPI) = try await throughNode(global) { api in
            let answer = try await api.send("POST", LocalAPI.ticket(ticket) + "/snooze", untilMillis.map { ["untilMillis": $0] } ?? [:])
            return answer["ticket"] as? String ?? ticket
        } local: {
            let desk = try openDesk(global)
            return try withDesk { () throws(DeskError) in
                if let untilMillis { try desk.snooze(ticket, untilMillis: untilMillis) } else { try desk.unsnooze(ticket) }
            }
        }
        let text = untilMillis.map { "Snoozed \(key) until \(DeskClock.format($0))" } ?? "Woke \(key)"
        confirm(global, text, ["ticket": key, "until": untilMillis.map(String.init) ?? "awake"], viaAPI: viaAPI)
    }
}

struct Resolve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Resolve a ticket with a resolution type.")
    @OptionGroup var global: GlobalOptions
    @Argument var ticket: String
    @Option(name: .customLong("as"), help: "Resolution type (see `roost resolve --help`; default list: answered, taken-to-dm, escalated-elsewhere, no-action-needed).")
    var type: String

    func run() async throws {
        let (key, viaAPI) = try await throughNode(global) { api in
            try await api.send("POST", LocalAPI.ticket(ticket) + "/resolve", ["as": type])["ticket"] as? String ?? ticket
        } local: {
            let desk = try openDesk(global)
            return try withDesk { () throws(DeskError) in try desk.resolve(ticket, as: type) }
        }
        confirm(global, "Resolved \(key) as \(type)", ["ticket": key, "resolution": type], viaAPI: viaAPI)
    }
}

/// `roost mark KEY STATUS`: the waiting states of issue 15 (pending, on-hold), and open or closed.
struct Mark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Set a ticket's status: pending (waiting on the customer), on-hold (waiting on someone else), open or closed.",
        discussion: """
            Pending and on-hold tickets stay open work, but their reply clocks pause and routing leaves them alone; the \
            customer writing again opens them. A reply sets pending by itself. Use `roost resolve` to resolve.
            """)
    @OptionGroup var global: GlobalOptions
    @Argument var ticket: String
    @Argument(help: "pending, on-hold, open, new or closed.") var status: String

    func run() async throws {
        guard let value = TicketStatus(rawValue: status), value != .resolved else {
            throw CLIError("status must be one of: pending, on-hold, open, new, closed (not \(status); resolve with `roost resolve`)")
        }
        let (key, viaAPI) = try await throughNode(global) { api in
            try await api.send("POST", LocalAPI.ticket(ticket) + "/status", ["status": value.rawValue])["ticket"] as? String ?? ticket
        } local: {
            let desk = try openDesk(global)
            return try withDesk { () throws(DeskError) in try desk.setStatus(ticket, value) }
        }
        confirm(global, "\(key) is \(value.rawValue).", ["ticket": key, "status": value.rawValue], viaAPI: viaAPI)
    }
}

struct Canned: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Canned responses ({customer} and {agent} are filled in).",
                                                    subcommands: [List.self, Add.self])

    struct List: ParsableCommand {
        @OptionGroup var global: GlobalOptions
        func run() throws {
            let desk = try openDesk(global)
            let canned = try withDesk { () throws(DeskError) in try desk.cannedResponses() }
            if global.json { return Console.printJSON(Dictionary(uniqueKeysWithValues: canned.map { ($0.name, $0.text) })) }
            if canned.isEmpty { return print("No canned responses; add one with `roost canned add NAME TEXT`.") }
            var rows: [[String]] = []
            for (name, text) in canned {
                rows.append([name, "-", text])
                let variants = try withDesk { () throws(DeskError) in try desk.cannedVariants(name) }
                for (language, variant) in variants.sorted(by: { $0.key < $1.key }) { rows.append([name, language, variant]) }
            }
            Console.printTable([["NAME", "LANG", "TEXT"]] + rows)
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add or replace a canned response, or with --lang its variant for tickets in that language.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Argument var text: String
        @Option(help: "Save the variant used for tickets in this language (e.g. es); the default text is the fallback.")
        var lang: String?
        func run() async throws {
            let (_, viaAPI) = try await throughNode(global) { api in
                var body = ["name": name, "text": text]
                if let lang { body["lang"] = lang }
                _ = try await api.send("POST", "/canned", body)
            } local: {
                let desk = try openDesk(global)
                try withDesk { () throws(DeskError) in
                    if let lang { try desk.addCannedVariant(name: name, language: lang, text: text) } else { try desk.addCanned(name: name, text: text) }
                }
            }
            confirm(global, "Saved canned response \(name)" + (lang.map { " (\($0))" } ?? ""), ["name": name], viaAPI: viaAPI)
        }
    }
}
