import ArgumentParser
import Foundation
import RoostCore
import RoostNode
import RoostStore

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
    if global.json { printJSON(json) } else { print(text) }
}

struct Inbox: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open work, sorted by priority, then SLA due time.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this queue.") var queue: String?
    @Flag(help: "Only tickets you hold.") var mine = false
    @Flag(help: "Only tickets nobody holds.") var unassigned = false
    @Flag(help: "Only tickets whose first response is overdue.") var breaching = false
    @Flag(help: "Only escalated tickets.") var escalated = false
    @Flag(help: "Include resolved and closed tickets.") var all = false
    @Option(help: "At most this many rows.") var limit = 50

    func run() throws {
        let desk = try openDesk(global)
        var filter = InboxFilter()
        filter.queue = queue
        filter.holder = mine ? desk.node.id : nil
        filter.unassigned = unassigned
        filter.breaching = breaching
        filter.escalated = escalated
        filter.all = all
        filter.limit = limit
        let rows = try withDesk { () throws(DeskError) in try desk.inbox(filter) }
        if global.json { return printJSON(rows) }
        if rows.isEmpty { return print("No tickets.") }
        let now = SystemClock().nowMillis()
        var table = [["TICKET", "PRIORITY", "STATUS", "TIER", "QUEUE", "CUSTOMER", "HOLDER", "FIRST RESPONSE", "MSGS"]]
        for row in rows {
            let holder = try row.holder.map { text in
                try withDesk { () throws(DeskError) in
                    guard let id = try? AuthorID(text: text) else { return text }
                    return try desk.memberName(id)
                }
            }
            table.append([
                row.key, row.priority.rawValue, row.status.rawValue + (row.reopened ? "*" : ""), row.tier.rawValue,
                row.queue ?? "-", row.customerHandle.map { "@" + $0 } ?? row.customer, holder ?? "-",
                Self.sla(row, now: now), String(row.messages),
            ])
        }
        printTable(table)
    }

    static func sla(_ row: InboxRow, now: UInt64) -> String {
        if let first = row.firstInboundMillis, let response = row.firstResponseMillis {
            return "in " + DeskClock.duration(Int64(response) - Int64(first))
        }
        guard let due = row.dueMillis else { return "-" }
        return due < now ? "overdue " + DeskClock.duration(Int64(now) - Int64(due)) : "due in " + DeskClock.duration(Int64(due) - Int64(now))
    }
}

/// Prints rows as left-aligned columns.
func printTable(_ rows: [[String]]) {
    guard let columns = rows.first?.count else { return }
    let widths = (0..<columns).map { c in rows.map { $0[c].count }.max() ?? 0 }
    for row in rows {
        print(row.enumerated().map { c, cell in c == columns - 1 ? cell : cell.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
            .joined(separator: "  "))
    }
}

struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "A ticket: thread, claim, tags, SLA clock, customer history.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Ticket key (p1193, or just 1193).") var ticket: String

    func run() throws {
        let desk = try openDesk(global)
        let view = try withDesk { () throws(DeskError) in try desk.ticketView(ticket) }
        if global.json { return printJSON(view) }
        print("Ticket \(view.ticket.key) (\(view.ticket.channel)) · \(view.ticket.status.rawValue)\(view.ticket.reopened ? " (reopened)" : "")"
              + " · \(view.ticket.priority.rawValue) · \(view.ticket.tier.rawValue)" + (view.ticket.queue.map { " · queue \($0)" } ?? ""))
        print("Customer: " + (view.ticket.customerHandle.map { "@" + $0 } ?? view.ticket.customer)
              + (view.customerTickets.count > 1 ? " (\(view.customerTickets.count) tickets: \(view.customerTickets.joined(separator: ", ")))" : ""))
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

struct ClaimTicket: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "claim", abstract: "Claim a ticket with a lease.")
    @OptionGroup var global: GlobalOptions
    @Argument var ticket: String
    @Option(help: "Lease length in minutes.") var lease: UInt32 = 30

    func run() throws {
        let desk = try openDesk(global)
        let key = try withDesk { () throws(DeskError) in try desk.claim(ticket, leaseMinutes: lease) }
        confirm(global, "Claimed \(key) for \(lease) minutes", ["ticket": key, "lease_minutes": String(lease)])
    }
}

struct ReleaseTicket: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "release", abstract: "Release your claim on a ticket.")
    @OptionGroup var global: GlobalOptions
    @Argument var ticket: String

    func run() throws {
        let desk = try openDesk(global)
        let key = try withDesk { () throws(DeskError) in try desk.release(ticket) }
        confirm(global, "Released \(key)", ["ticket": key])
    }
}

struct Handoff: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Hand your ticket to another member.")
    @OptionGroup var global: GlobalOptions
    @Argument var ticket: String
    @Option(help: "The member: node id, id prefix or name.") var to: String

    func run() throws {
        let desk = try openDesk(global)
        let (key, member) = try withDesk { () throws(DeskError) in try desk.handoff(ticket, to: to) }
        let name = try withDesk { () throws(DeskError) in try desk.memberName(member) }
        confirm(global, "Handed \(key) to \(name)", ["ticket": key, "to": member.text])
    }
}

struct Reply: ParsableCommand {
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

    func run() throws {
        let desk = try openDesk(global)
        let reply = try withDesk { () throws(DeskError) in
            try desk.reply(ticket, text: text, canned: canned, dm: dm, to: to, inReplyTo: inReplyTo)
        }
        if global.json {
            return printJSON(["ticket": reply.ticket, "message": reply.messageID, "text": reply.text, "length": String(reply.length),
                              "limit": String(reply.limit), "to": reply.to ?? "", "inReplyTo": reply.inReplyTo ?? "",
                              "claimed": String(reply.claimed)])
        }
        if reply.claimed { print("Claimed \(reply.ticket) for you (30-minute lease): the gateway posts only the holder's replies.") }
        print("Queued \(reply.dm ? "DM" : "reply") \(reply.messageID) on \(reply.ticket) (\(reply.length)/\(reply.limit))"
              + (reply.to.map { " to @\($0)" } ?? "") + (reply.inReplyTo.map { " in reply to \($0)" } ?? "") + ":")
        print("    \(reply.text)")
    }
}

struct Note: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Add an internal note (never sent).")
    @OptionGroup var global: GlobalOptions
    @Argument var ticket: String
    @Argument var text: String

    func run() throws {
        let desk = try openDesk(global)
        let id = try withDesk { () throws(DeskError) in try desk.note(ticket, text) }
        confirm(global, "Added note \(id)", ["note": id])
    }
}

struct TagTicket: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tag", abstract: "Tag a ticket.")
    @OptionGroup var global: GlobalOptions
    @Argument var ticket: String
    @Argument var tags: [String]

    func run() throws {
        let desk = try openDesk(global)
        for tag in tags { _ = try withDesk { () throws(DeskError) in try desk.tag(ticket, tag) } }
        confirm(global, "Tagged \(ticket): \(tags.joined(separator: ", "))", ["ticket": ticket, "tags": tags.joined(separator: ",")])
    }
}

struct UntagTicket: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "untag", abstract: "Remove a tag from a ticket.")
    @OptionGroup var global: GlobalOptions
    @Argument var ticket: String
    @Argument var tag: String

    func run() throws {
        let desk = try openDesk(global)
        let key = try withDesk { () throws(DeskError) in try desk.untag(ticket, tag) }
        confirm(global, "Removed tag \(tag) from \(key)", ["ticket": key, "tag": tag])
    }
}

struct SetPriority: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "priority", abstract: "Set a ticket's priority (urgent, high, normal, low).")
    @OptionGroup var global: GlobalOptions
    @Argument var ticket: String
    @Argument var priority: String

    func run() throws {
        let desk = try openDesk(global)
        let key = try withDesk { () throws(DeskError) in try desk.setPriority(ticket, priority) }
        confirm(global, "Priority of \(key) is now \(priority)", ["ticket": key, "priority": priority])
    }
}

struct Escalate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Escalate a ticket to the next tier, with a reason.")
    @OptionGroup var global: GlobalOptions
    @Argument var ticket: String
    @Option(help: "Why.") var reason: String
    @Option(help: "Tier to escalate to (default: the next one).") var to: String?

    func run() throws {
        let desk = try openDesk(global)
        guard to == nil || Tier(rawValue: to!) != nil else {
            throw CLIError("tier \"\(to!)\" is not one of: \(Tier.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let (key, tier) = try withDesk { () throws(DeskError) in try desk.escalate(ticket, reason: reason, to: to.flatMap(Tier.init(rawValue:))) }
        confirm(global, "Escalated \(key) to \(tier.rawValue)", ["ticket": key, "tier": tier.rawValue])
    }
}

struct Resolve: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Resolve a ticket with a resolution type.")
    @OptionGroup var global: GlobalOptions
    @Argument var ticket: String
    @Option(name: .customLong("as"), help: "Resolution type (see `roost resolve --help`; default list: answered, taken-to-dm, escalated-elsewhere, no-action-needed).")
    var type: String

    func run() throws {
        let desk = try openDesk(global)
        let key = try withDesk { () throws(DeskError) in try desk.resolve(ticket, as: type) }
        confirm(global, "Resolved \(key) as \(type)", ["ticket": key, "resolution": type])
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
            if global.json { return printJSON(Dictionary(uniqueKeysWithValues: canned.map { ($0.name, $0.text) })) }
            if canned.isEmpty { return print("No canned responses; add one with `roost canned add NAME TEXT`.") }
            printTable(canned.map { [$0.name, $0.text] })
        }
    }

    struct Add: ParsableCommand {
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Argument var text: String
        func run() throws {
            let desk = try openDesk(global)
            try withDesk { () throws(DeskError) in try desk.addCanned(name: name, text: text) }
            confirm(global, "Saved canned response \(name)", ["name": name])
        }
    }
}
