public import RoostCore
import RoostStore

extension DeskService {
    /// Beyond this many new ops a mirror pass replaces everything (cheaper than reading them one by one).
    public static let mirrorMaxIncrementalOps = 20_000
    /// Collections whose ops change no mirrored row, so a pass skips them.
    static let mirrorInertCollections: Set<String> = [Desk.customer, Desk.canned, Desk.resolutionType, "handle", "xpost"]
    /// Tickets whose rows one step of a full pass reads and writes (``mirrorFullRows(after:limit:cursor:)``): a full pass holds
    /// one such page at a time, never the whole desk (100,000 tickets took 343 MB at once; Benchmarks/README.md).
    public static let mirrorFullPageTickets = 5_000
    /// Ticket registers whose changes become events.
    static let mirrorEventFields: Set<String> = ["status", "priority", "tier", "queue", "resolution"]

    /// What a warehouse mirror at `cursor` needs to write to be current: the rows of the tickets ops touched since
    /// (their messages and tags), the events of those ops, and the new cursor. When `cursor` is nil or another node's,
    /// or when the new ops change what every row depends on (see ``MirrorChange/full``), a full change: the agents,
    /// the claim conflicts and the cursor, without rows or events, which the writer reads page by page with
    /// ``mirrorFullRows(after:limit:cursor:)`` and ``mirrorFullEvents(after:)``.
    public func mirrorChange(after cursor: MirrorCursor?) throws(DeskError) -> MirrorChange {
        let current = try run { () throws(StoreError) in try store.versionVector() }
        // A partial node's held ops arrive out of each log's order (a ticket entering its queues comes whole) and leave
        // (a ticket moving out): its vector does not say what changed, so any change to what it holds is a full pass
        // of what it holds, and the cursor says what the warehouse covers (Protocol/SPEC-partial.md §P.7).
        let partial = try run { () throws(StoreError) in try store.partialSubscription() }
        let held: UInt64? = partial == nil ? nil : try run { () throws(StoreError) in try store.partialGeneration() }
        let covers = partial.map { queues in
            "the tickets a partial node holds: queues \(queues.joined(separator: ", ")), the ones its agent worked on, "
                + "and the team's format 1 history"
        }
        let next = MirrorCursor(node: node.id, vector: current, held: held, covers: covers)
        guard let cursor else { return try mirrorFull(next, reason: "first pass") }
        guard cursor.node == node.id.text, let known = cursor.versionVector else {
            return try mirrorFull(next, reason: "the cursor is another node's")
        }
        if cursor.held != held {
            return try mirrorFull(next, reason: "what this partial node holds changed")
        }
        if known == current {
            return MirrorChange(full: false, cursor: next, refreshed: [], tickets: [], messages: [], tags: [], events: [],
                                opsRead: 0)
        }
        // A revocation's cut removes ops: the vector no longer covers the cursor, and rows may depend on them.
        if known.entries.contains(where: { $0.value > current[$0.key] }) {
            return try mirrorFull(next, reason: "ops were removed (a revocation's cut)")
        }
        guard let ops = try run({ () throws(StoreError) in
            try store.ops(after: known, upTo: current, limit: Self.mirrorMaxIncrementalOps)
        }) else {
            return try mirrorFull(next, reason: "more than \(Self.mirrorMaxIncrementalOps) new ops")
        }
        var keys = Set<String>(), messageIDs = Set<String>(), claims = false
        for op in ops {
            guard let body = op.body else { return try mirrorFull(next, reason: "an erased body") }
            switch body.entity.collection {
            case Desk.ticket:
                keys.insert(body.entity.key)
                if case .claim = body { claims = true }
            case Desk.message: messageIDs.insert(body.entity.key)
            case let collection where Self.mirrorInertCollections.contains(collection): continue
            default: return try mirrorFull(next, reason: "\(body.entity.collection) changed")
            }
        }
        // A message op refreshes the ticket the message is on now; the ticket it left, which only the warehouse knows,
        // is refreshed by the writer (PostgresMirror looks up the message's old row).
        let owners = try run { () throws(StoreError) in try store.desk.messageTickets(messageIDs) }
        keys.formUnion(owners.values)
        var change = try mirrorRows(tickets: keys, cursor: next)
        change.events += try mirrorEvents(ops)
        change.refreshed = keys.sorted()
        change.conflicts = claims ? try mirrorConflicts() : nil
        change.opsRead = ops.count
        return change
    }

    private func mirrorFull(_ cursor: MirrorCursor, reason: String) throws(DeskError) -> MirrorChange {
        var change = MirrorChange(full: true, fullReason: reason, cursor: cursor, refreshed: [], tickets: [], messages: [],
                                  tags: [], events: [], opsRead: 0)
        change.conflicts = try mirrorConflicts()
        let roster = try run { () throws(StoreError) in try store.team.roster() }
        var agents: [MirrorAgent] = []
        if let roster {
            agents.append(MirrorAgent(id: roster.founder.text, name: try memberName(roster.founder), role: "admin", revoked: false))
            for (id, member) in roster.members.sorted(by: { $0.key.text < $1.key.text }) {
                agents.append(MirrorAgent(id: id.text, name: try memberName(id), role: member.role.rawValue,
                                          revoked: member.revocation != nil))
            }
        } else {
            agents.append(MirrorAgent(id: node.id.text, name: try memberName(node.id), role: "admin", revoked: false))
        }
        change.agents = agents
        return change
    }

    /// One page of a full pass's rows: the tickets after `key` in key order (from the first when nil), at most
    /// `limit`, with their messages and tags; nil when no ticket is left. Pages are read one at a
    /// time, so a ticket changed meanwhile may show a state newer than the pass's cursor: the next pass refreshes it
    /// (its ops are after the cursor), as it does a message that moved to a ticket of a later page.
    public func mirrorFullRows(after key: String?, limit: Int = mirrorFullPageTickets, cursor: MirrorCursor) throws(DeskError)
        -> MirrorChange?
    {
        let records = try run { () throws(StoreError) in try store.desk.deskRecords(after: key, limit: max(1, limit)) }
        guard !records.tickets.isEmpty else { return nil }
        var page = try mirrorRows(records, cursor: cursor)
        page.refreshed = page.tickets.map(\.key)
        return page
    }

    /// One step of a full pass's events: those of the next ops after `position` (``OpStore/heldOps(after:limit:)``, logs
    /// of both formats), with the position after them and how many ops were read; nil when no op is left.
    public func mirrorFullEvents(after position: VersionVector) throws(DeskError)
        -> (events: [MirrorEvent], position: VersionVector, ops: Int)?
    {
        let ops = try run { () throws(StoreError) in try store.heldOps(after: position, limit: Self.mirrorFullEventOps) }
        guard !ops.isEmpty else { return nil }
        var next = position
        for op in ops { next[op.ref.log] = max(next[op.ref.log], op.ref.seq) }
        return (try mirrorEvents(ops), next, ops.count)
    }

    /// Ops read per step of a full pass's events (the store's batch limit, as one `batch(after:)` read before).
    static let mirrorFullEventOps = Limits.maxBatchOps

    /// The current rows of some tickets, their messages and tags (a ticket no longer projected has none), with the
    /// cursor unchanged: for tickets a warehouse knows that the store's ops do not name (a message moved away).
    public func mirrorTickets(_ keys: Set<String>, cursor: MirrorCursor) throws(DeskError) -> MirrorChange {
        var change = try mirrorRows(tickets: keys, cursor: cursor)
        change.refreshed = keys.sorted()
        return change
    }

    /// The rows of some tickets (all when nil), with names resolved as the report resolves them.
    private func mirrorRows(tickets keys: Set<String>, cursor: MirrorCursor) throws(DeskError) -> MirrorChange {
        try mirrorRows(try run { () throws(StoreError) in try store.desk.deskRecords(tickets: keys) }, cursor: cursor)
    }

    private func mirrorRows(_ records: (tickets: [DeskTicketRecord], messages: [DeskMessageFacts]), cursor: MirrorCursor)
        throws(DeskError) -> MirrorChange
    {
        let sla = try slaTargets()
        var names: [String: String] = [:]
        func name(_ author: String) throws(DeskError) -> String {
            if let known = names[author] { return known }
            var result = author
            if let id = try? AuthorID(text: author) { result = try memberName(id) }
            names[author] = result
            return result
        }
        for author in Set(records.messages.map(\.author)) { _ = try name(author) }
        var messages: [MirrorMessage] = []
        var dmTickets = Set<String>()
        for message in records.messages {
            if message.direction == .outbound && message.dm { dmTickets.insert(message.ticket) }
            messages.append(MirrorMessage(
                id: message.id, ticket: message.ticket, direction: message.direction.rawValue, author: message.author,
                sender: DeskReport.senderName(author: message.author, signature: message.signature, agentName: { names[$0] ?? $0 }),
                createdMs: Int64(message.createdMillis), dm: message.dm, signature: message.signature))
        }
        var tickets: [MirrorTicket] = [], tags: [MirrorTag] = []
        for record in records.tickets {
            let facts = record.facts
            let due = facts.firstInboundMillis.map {
                Int64(DeskReport.firstResponseDue(firstInboundMillis: $0, priority: facts.priority, queue: facts.queue, sla: sla))
            }
            tickets.append(MirrorTicket(
                key: facts.key, channel: facts.channel, brand: record.brand, customer: record.customer,
                status: facts.status.rawValue, reopened: record.reopened, priority: facts.priority.rawValue, tier: record.tier,
                queue: facts.queue, resolution: facts.resolution, holder: facts.holder?.text,
                holderName: try facts.holder.map { (id: AuthorID) throws(DeskError) in try name(id.text) },
                leaseEndsMs: record.leaseEndsMillis.map(Int64.init), firstInboundMs: facts.firstInboundMillis.map(Int64.init),
                lastInboundMs: record.lastInboundMillis.map(Int64.init),
                firstResponseMs: facts.firstResponseMillis.map(Int64.init), firstResponseDueMs: due,
                lastMessageMs: record.lastMessageMillis.map(Int64.init), statusSetMs: facts.statusSetMillis.map(Int64.init),
                statusBy: facts.statusBy?.text, statusByName: try facts.statusBy.map { (id: AuthorID) throws(DeskError) in try name(id.text) },
                messages: record.messages,
                tookDm: facts.resolution == Desk.dmResolution || dmTickets.contains(facts.key)))
            tags += record.tags.map { MirrorTag(ticket: facts.key, tag: $0) }
        }
        return MirrorChange(full: false, cursor: cursor, refreshed: [], tickets: tickets, messages: messages, tags: tags,
                            events: Self.messageEvents(messages), opsRead: 0)
    }

    /// One event per op on a ticket that a warehouse reports on. Messages' events come from their rows
    /// (``messageEvents(_:)``): an erased message keeps its row but not its op's body.
    private func mirrorEvents(_ ops: [HeldOp]) throws(DeskError) -> [MirrorEvent] {
        var names: [AuthorID: String] = [:], events: [MirrorEvent] = []
        for op in ops {
            guard let body = op.body else { continue }
            let ticket: String, kind: String, detail: String?
            switch body {
            case let .claim(entity, action, holder, _, _) where entity.collection == Desk.ticket:
                (ticket, kind, detail) = (entity.key, action.description, holder?.text)
            case let .tagAdd(entity, tag) where entity.collection == Desk.ticket:
                (ticket, kind, detail) = (entity.key, "tag_added", tag)
            case let .tagRemove(entity, tag, _) where entity.collection == Desk.ticket:
                (ticket, kind, detail) = (entity.key, "tag_removed", tag)
            case let .set(entity, field, value) where entity.collection == Desk.ticket && Self.mirrorEventFields.contains(field):
                (ticket, kind, detail) = (entity.key, field, value.stringValue)
            default:
                continue
            }
            let author = op.ref.author
            if names[author] == nil { names[author] = try memberName(author) }
            events.append(MirrorEvent(op: op.ref.mirrorText, ticket: ticket, kind: kind, actor: author.text,
                                      actorName: names[author]!, atMs: Int64(op.hlc.physicalMillis), detail: detail))
        }
        return events
    }

    /// One event per message (`reply` for an outbound one), keyed `msg:<id>`, at its time, by its author.
    static func messageEvents(_ messages: [MirrorMessage]) -> [MirrorEvent] {
        messages.map {
            MirrorEvent(op: "msg:\($0.id)", ticket: $0.ticket, kind: $0.direction == MessageDirection.outbound.rawValue ? "reply" : $0.direction,
                        actor: $0.author, actorName: $0.direction == MessageDirection.outbound.rawValue ? $0.sender : $0.author,
                        atMs: $0.createdMs, detail: $0.id)
        }
    }

    private func mirrorConflicts() throws(DeskError) -> [MirrorConflict] {
        try ticketClaimConflicts().map { MirrorConflict(op: $0.loser.mirrorText, ticket: $0.entity.key, reason: $0.reason.rawValue) }
    }
}
