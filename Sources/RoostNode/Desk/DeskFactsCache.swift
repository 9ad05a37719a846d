public import RoostCore
public import RoostStore
import Synchronization

/// The desk facts the dashboard counts (every ticket's row and its messages), kept in memory and brought
/// up to date from the ops applied since the last look: only the tickets those ops touched are read again,
/// so a dashboard on 100,000 tickets does not re-read a whole snapshot per request.
///
/// Ops on tickets and messages refresh their tickets; ops on customers, canned responses, resolution
/// types, queues, team settings, handles and X posts do not change ticket rows; anything else (roster
/// changes, which can re-judge claims), an erased body, or more than ``maxIncrementalOps`` new ops
/// reloads everything once.
public final class DeskFactsCache: Sendable {
    /// Beyond this many new ops, one full reload is cheaper than reading them.
    public static let maxIncrementalOps = 20_000
    /// Collections whose ops never change a ticket's row.
    static let inertCollections: Set<String> = [
        Desk.customer, Desk.canned, Desk.resolutionType, Desk.queue, Desk.team, "handle", "xpost",
    ]

    struct State {
        var vector: VersionVector?
        var tickets: [String: DeskTicketFacts] = [:]
        var messages: [String: [DeskMessageFacts]] = [:]
        var messageTicket: [String: String] = [:]
        /// The report's summary of each ticket with a customer message, rebuilt for a ticket when an op touches it;
        /// a flat list (handed out without copying its elements) with each ticket's position in it.
        var summaries: [DeskReport.TicketSummary] = []
        var summaryPosition: [String: Int] = [:]

        mutating func summarize(_ key: String) {
            let summary = tickets[key].flatMap { DeskReport.TicketSummary(ticket: $0, messages: messages[$0.key] ?? []) }
            switch (summary, summaryPosition[key]) {
            case let (summary?, position?):
                summaries[position] = summary
            case let (summary?, nil):
                summaryPosition[key] = summaries.count
                summaries.append(summary)
            case let (nil, position?):
                // Swap-remove: the last summary takes the freed position.
                let last = summaries.removeLast()
                summaryPosition[key] = nil
                if position < summaries.count {
                    summaries[position] = last
                    summaryPosition[last.key] = position
                }
            case (nil, nil):
                break
            }
        }
    }

    /// How the last refresh went.
    public struct Refresh: Sendable, Equatable {
        /// Whether everything was read again.
        public var full: Bool
        /// Tickets read again.
        public var tickets: Int
    }

    private let state = Mutex(State())

    /// Creates an empty cache (the first refresh reads everything).
    public init() {}

    /// Brings the cache up to date with `node`'s store.
    @discardableResult
    public func refresh(_ node: Node) throws(NodeError) -> Refresh {
        do { return try refresh(node.store) } catch { throw .store(error) }
    }

    /// Brings the cache up to date with `store`.
    @discardableResult
    public func refresh(_ store: OpStore) throws(StoreError) -> Refresh {
        try state.withLock { (state: inout State) throws(StoreError) -> Refresh in
            let current = try store.versionVector()
            guard let known = state.vector else { return try Self.reload(&state, store, current) }
            if known == current { return Refresh(full: false, tickets: 0) }
            // Every op up to `current`: one batch stops at its limit across logs and at seal boundaries.
            guard !known.entries.contains(where: { $0.value > current[$0.key] }),
                  let ops = try store.ops(after: known, upTo: current, limit: Self.maxIncrementalOps) else {
                return try Self.reload(&state, store, current)
            }
            var keys = Set<String>(), messageIDs = Set<String>()
            for op in ops {
                guard let body = op.body else { return try Self.reload(&state, store, current) }
                let entity: EntityRef
                switch body {
                case let .insert(e, _), let .set(e, _, _), let .tagAdd(e, _), let .tagRemove(e, _, _), let .claim(e, _, _, _, _): entity = e
                }
                switch entity.collection {
                case Desk.ticket: keys.insert(entity.key)
                case Desk.message: messageIDs.insert(entity.key)
                case let collection where Self.inertCollections.contains(collection): continue
                default: return try Self.reload(&state, store, current)
                }
            }
            // A message may have moved: refresh the ticket it was on as well as the one it is on now.
            for id in messageIDs { if let old = state.messageTicket[id] { keys.insert(old) } }
            let fresh = try store.desk.deskFacts(tickets: keys, messageIDs: messageIDs)
            let refreshed = keys.union(fresh.messageTickets.values)
            for key in refreshed {
                state.tickets[key] = nil
                for message in state.messages.removeValue(forKey: key) ?? [] where state.messageTicket[message.id] == key {
                    state.messageTicket[message.id] = nil
                }
            }
            for ticket in fresh.tickets { state.tickets[ticket.key] = ticket }
            for message in fresh.messages {
                state.messages[message.ticket, default: []].append(message)
                state.messageTicket[message.id] = message.ticket
            }
            for key in refreshed.union(fresh.tickets.map(\.key)) { state.summarize(key) }
            state.vector = current
            return Refresh(full: false, tickets: refreshed.count)
        }
    }

    private static func reload(_ state: inout State, _ store: OpStore, _ vector: VersionVector) throws(StoreError) -> Refresh {
        // The vector is read before the snapshot: ops landing in between are read again next time (harmless).
        let snapshot = try store.desk.deskSnapshot()
        state = State(vector: vector)
        for ticket in snapshot.tickets { state.tickets[ticket.key] = ticket }
        for message in snapshot.messages {
            state.messages[message.ticket, default: []].append(message)
            state.messageTicket[message.id] = message.ticket
        }
        for key in state.tickets.keys { state.summarize(key) }
        return Refresh(full: true, tickets: snapshot.tickets.count)
    }

    /// The summary of every ticket with a customer message, in no particular order (a copy-on-write share of the
    /// cache's list: no element is copied). ``DeskReport/compute(summaries:conflicts:sla:scope:now:agentName:)``
    /// picks the scope's tickets itself.
    public func summaries() -> [DeskReport.TicketSummary] {
        state.withLock { $0.summaries }
    }

    /// Everything held, in `deskSnapshot` order (for checks against a full read).
    public func all() -> (tickets: [DeskTicketFacts], messages: [DeskMessageFacts]) {
        state.withLock { state in
            let tickets = state.tickets.values.sorted { $0.key < $1.key }
            let messages = state.messages.values.flatMap { $0 }.sorted {
                ($0.ticket, $0.createdMillis, $0.id) < ($1.ticket, $1.createdMillis, $1.id)
            }
            return (tickets, messages)
        }
    }
}
