import Foundation
public import RoostCore
public import RoostStore

/// What two stores hold differently: ops missing each way, positions held with different ops, and
/// tickets whose merged state differs although no missing op touches them (which must never happen).
public struct StoreDiff: Hashable, Sendable {
    /// Version vector of the first store.
    public var vectorA: VersionVector
    /// Version vector of the second store.
    public var vectorB: VersionVector
    /// Ops the first holds and the second lacks, by position.
    public var onlyInA: [OpRef]
    /// Ops the second holds and the first lacks, by position.
    public var onlyInB: [OpRef]
    /// Positions both hold with different ops (a fork, or tampering).
    public var divergent: [OpRef]
    /// Tickets touched by a missing or divergent op: their state may legitimately differ until sync.
    public var ticketsAwaitingSync: [String]
    /// Tickets untouched by any missing op whose materialized state differs, with the first differing line
    /// of each side. Must be empty.
    public var unexplained: [TicketStateDifference]

    /// True when both stores hold the same ops and the same state.
    public var isIdentical: Bool { onlyInA.isEmpty && onlyInB.isEmpty && divergent.isEmpty && unexplained.isEmpty }
}

/// A ticket whose state differs between two stores.
public struct TicketStateDifference: Hashable, Sendable {
    /// The ticket key.
    public var ticket: String
    /// The first line that differs in the first store (nil: it has fewer lines).
    public var lineA: String?
    /// The same line in the second store.
    public var lineB: String?
}

extension Inspection {
    /// Compares this store (A) with `other` (B). Read-only on both.
    public func diff(against other: Inspection) throws(StoreError) -> StoreDiff {
        let mine = try opPositions()
        let theirs = try other.opPositions()
        let onlyA = mine.keys.filter { theirs[$0] == nil }.sorted()
        let onlyB = theirs.keys.filter { mine[$0] == nil }.sorted()
        let divergent = mine.keys.filter { theirs[$0] != nil && theirs[$0] != mine[$0] }.sorted()

        var affected = Set<String>()
        func touch(_ ops: [StoredOp]) throws(StoreError) {
            for op in ops {
                guard let body = op.decoded else { continue }
                let entity = body.entity
                if entity.collection == Desk.ticket {
                    affected.insert(entity.key)
                } else if entity.collection == Desk.message {
                    if case let .insert(_, fields) = body, let ticket = fields.first(where: { $0.name == "ticket" })?.value.stringValue {
                        affected.insert(ticket)
                    } else if let ticket = try self.desk.ticket(ofMessage: entity.key) {
                        affected.insert(ticket)
                    } else if let ticket = try other.desk.ticket(ofMessage: entity.key) {
                        affected.insert(ticket)
                    }
                } else if entity.collection == Desk.customer || entity.collection == Desk.team {
                    // Customer and SLA settings feed every ticket's projection: compare registers only.
                    affected.insert("*" + entity.collection)
                }
            }
        }
        try touch(try storedOps(at: onlyA + divergent))
        try touch(try other.storedOps(at: onlyB + divergent))
        let projectionWide = affected.contains("*customer") || affected.contains("*team")

        var unexplained: [TicketStateDifference] = []
        let tickets = Set(try desk.ticketKeys()).union(try other.desk.ticketKeys())
        for key in tickets.sorted() where !affected.contains(key) {
            let entity = EntityRef(Desk.ticket, key)
            var a = try state.rows(of: entity)
            var b = try other.state.rows(of: entity)
            if projectionWide {
                a.removeAll { $0.hasPrefix("desk_ticket:") }
                b.removeAll { $0.hasPrefix("desk_ticket:") }
            }
            guard a != b else { continue }
            let index = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
            unexplained.append(TicketStateDifference(ticket: key, lineA: index < a.count ? a[index] : nil,
                                                     lineB: index < b.count ? b[index] : nil))
        }
        return StoreDiff(vectorA: try versionVector(), vectorB: try other.versionVector(), onlyInA: onlyA, onlyInB: onlyB,
                         divergent: divergent, ticketsAwaitingSync: affected.filter { !$0.hasPrefix("*") }.sorted(),
                         unexplained: unexplained)
    }
}
