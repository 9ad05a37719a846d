import Foundation
public import RoostCore
public import RoostStore
import RoostSync

/// Everything `roost show` prints about one ticket.
public struct TicketView: Sendable, Codable {
    /// A thread message with its author's display name.
    public struct Message: Sendable, Codable {
        public var id: String
        public var direction: MessageDirection
        /// Who wrote it as agents read it: `Display Name (@handle)` or `@handle` for a customer, `@brand ^AL`
        /// for a brand reply ingested from X, the member's name for a reply or note written on a node.
        public var authorName: String
        /// The X handle (without `@`) of a customer or brand author, when known.
        public var authorHandle: String?
        public var createdMillis: UInt64
        public var text: String
        public var dm: Bool
        public var outbox: OutboxState?
        /// Why the reply is held, failed or in doubt (the gateway's `outbox.reason`).
        public var outboxReason: String?
        /// The message's language, when known.
        public var language: String? = nil
        /// A customer message's sentiment score (-100...100), when scored.
        public var sentiment: Int? = nil
    }

    public var ticket: InboxRow
    public var thread: [Message]
    public var tags: [String]
    public var holder: String?
    public var leaseEnds: UInt64?
    public var conflicts: [String]
    public var customerTickets: [String]
    public var resolution: String?
    public var escalationReason: String?
}

extension DeskService {
    /// The full view of a ticket.
    public func ticketView(_ typed: String) throws(DeskError) -> TicketView {
        let key = try ticketKey(typed)
        let ticket = try row(key)
        let entity = EntityRef(Desk.ticket, key)
        let messages = try run { () throws(StoreError) in try store.desk.thread(key) }
        var names: [String: (name: String, handle: String?)] = [:]
        var thread: [TicketView.Message] = []
        for message in messages {
            let cacheKey = message.direction.rawValue + "\u{0}" + message.author + "\u{0}" + (message.signature ?? "")
            let label: (name: String, handle: String?)
            if let cached = names[cacheKey] {
                label = cached
            } else if message.direction == .inbound {
                let customer = try customerLabel(message.author)
                label = (name: customer.name.map { "\($0) (@\(customer.handle))" } ?? "@" + customer.handle, handle: Optional(customer.handle))
            } else if let id = try? AuthorID(text: message.author) {
                label = (name: try memberName(id), handle: nil)
            } else {
                let handle = try brandHandle(message.author)
                label = (name: "@" + handle + (message.signature.map { " ^" + $0 } ?? ""), handle: Optional(handle))
            }
            names[cacheKey] = label
            thread.append(.init(id: message.id, direction: message.direction, authorName: label.name, authorHandle: label.handle,
                                createdMillis: message.createdMillis, text: message.text, dm: message.dm, outbox: message.outbox,
                                outboxReason: message.outbox == nil || message.outbox == .posted ? nil : try outboxReason(message.id),
                                language: message.language, sentiment: message.sentiment))
        }
        let claim = try run { () throws(StoreError) in try store.state.claim(on: entity) }
        var conflicts: [String] = []
        for conflict in try run({ () throws(StoreError) in try store.state.claimConflicts(on: entity) }) {
            let loser = try memberName(conflict.loser.author)
            let winner = try conflict.winner.map { ref throws(DeskError) in try memberName(ref.author) } ?? "nobody"
            conflicts.append("\(loser)'s \(conflict.reason.rawValue) claim lost to \(winner)")
        }
        return TicketView(
            ticket: ticket, thread: thread,
            tags: try run { () throws(StoreError) in try store.state.tags(of: entity) },
            holder: try claim?.holder.map { id throws(DeskError) in try memberName(id) },
            leaseEnds: claim?.holder == nil ? nil : claim?.leaseEndsMillis, conflicts: conflicts,
            customerTickets: try run { () throws(StoreError) in try store.desk.ticketKeys(ofCustomer: ticket.customer) },
            resolution: try run { () throws(StoreError) in try store.state.register(entity, "resolution") }?.stringValue,
            escalationReason: try run { () throws(StoreError) in try store.state.register(entity, "escalation_reason") }?.stringValue)
    }
}

extension DeskService {
    /// The username of a brand author ingested from X: the `handle/<id>` username when `author` is a known
    /// brand account id, else `author` itself (ingest already stores the username when it has one).
    func brandHandle(_ author: String) throws(DeskError) -> String {
        guard !author.isEmpty, author.allSatisfy(\.isNumber) else { return author }
        let fields = try run { () throws(StoreError) in try store.state.entity(EntityRef("handle", author)) }
        return fields?.first { $0.name == "username" }?.value.stringValue ?? author
    }
}

/// A customer's profile with their tickets.
public struct CustomerProfile: Sendable, Codable {
    public var id: String
    public var handle: String
    public var name: String?
    public var followers: Int?
    public var verified: Bool
    public var vip: Bool
    public var notes: String?
    /// The customer's id in the team's CRM, set by an agent.
    public var crm: String? = nil
    /// The CRM link (config `crmURLTemplate`), when both are known.
    public var crmURL: String? = nil
    public var tickets: [InboxRow]
}

extension DeskService {
    /// Shows (and optionally updates) a customer by handle or id.
    public func customer(_ handle: String, vip: Bool? = nil, notes: String? = nil, crm: String? = nil) throws(DeskError) -> CustomerProfile {
        let ids = try run { () throws(StoreError) in try store.desk.customerIDs(handle: handle) }
        guard ids.count == 1, let id = ids.first else {
            throw ids.isEmpty ? .unknownCustomer(handle) : .ambiguousCustomer(handle, ids: [])
        }
        let entity = EntityRef(Desk.customer, id)
        var bodies: [OpBody] = []
        if let vip { bodies.append(.set(entity: entity, field: "vip", value: .bool(vip))) }
        if let notes { bodies.append(.set(entity: entity, field: "notes", value: .string(notes))) }
        if let crm {
            let trimmed = crm.trimmingCharacters(in: .whitespaces)
            guard trimmed.count <= Self.maxCRMIDCharacters, !trimmed.contains(where: \.isNewline) else {
                throw .invalid(field: "crm", rule: "a CRM id is one line of at most \(Self.maxCRMIDCharacters) characters")
            }
            bodies.append(.set(entity: entity, field: "crm", value: trimmed.isEmpty ? .null : .string(trimmed)))
        }
        if !bodies.isEmpty { try append(bodies) }
        return try profile(id: id, fields: try run { () throws(StoreError) in try store.state.entity(entity) } ?? [])
    }

    /// Longest CRM id an agent may set.
    public static let maxCRMIDCharacters = 100

    /// The one assembly of a customer's profile from their entity's fields and registers (CLI, web, export).
    func profile(id: String, fields: [Field]) throws(DeskError) -> CustomerProfile {
        let entity = EntityRef(Desk.customer, id)
        func register(_ field: String) throws(DeskError) -> Value? {
            try run { () throws(StoreError) in try store.state.register(entity, field) }
        }
        let sla = try slaTargets()
        var tickets: [InboxRow] = []
        for key in try run({ () throws(StoreError) in try store.desk.ticketKeys(ofCustomer: id) }) {
            if let row = try run({ () throws(StoreError) in try store.desk.ticketRow(key, sla: sla, now: now) }) { tickets.append(row) }
        }
        let crm = try register("crm")?.stringValue
        return CustomerProfile(
            id: id, handle: fields.first { $0.name == "handle" }?.value.stringValue ?? id,
            name: try register("name")?.stringValue, followers: try register("followers")?.intValue.map { Int($0) },
            verified: try register("verified") == .bool(true), vip: try register("vip") == .bool(true),
            notes: try register("notes")?.stringValue, crm: crm, crmURL: crm.flatMap { node.config.crmURL(id: $0) },
            tickets: tickets)
    }

    /// The metrics report.
    public func report(_ scope: DeskReport.Scope) throws(DeskError) -> DeskReport {
        let snapshot = try run { () throws(StoreError) in try store.desk.deskSnapshot() }
        let conflicts = try run { () throws(StoreError) in try store.desk.ticketClaimConflicts() }
        let sla = try slaTargets()
        var names: [String: String] = [:]
        for author in Set(snapshot.messages.map(\.author) + snapshot.tickets.compactMap { $0.statusBy?.text }) {
            if let id = try? AuthorID(text: author) { names[author] = try memberName(id) }
        }
        var report = DeskReport.compute(tickets: snapshot.tickets, messages: snapshot.messages, conflicts: conflicts, sla: sla,
                                        scope: scope, now: now, agentName: { names[$0] ?? $0 })
        if let queues = try run({ () throws(StoreError) in try store.partialSubscription() }) {
            var byQueue: [String: Int] = [:]
            let history = try run { () throws(StoreError) in try store.historyTicketKeys() }
            var historyElsewhere = 0
            for ticket in snapshot.tickets {
                let queue = ticket.queue ?? RoutingRules.defaultQueue
                byQueue[queue, default: 0] += 1
                if history.contains(ticket.key) && !queues.contains(queue) { historyElsewhere += 1 }
            }
            report.covers = PartialCoverage(ticketsByQueue: byQueue, queues: queues.sorted(), everything: false,
                                            historyElsewhere: historyElsewhere).description
        }
        return report
    }
}
