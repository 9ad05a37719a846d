import Foundation
public import RoostCore
import RoostCrypto
public import RoostStore

/// What `roost customer erase` did.
public struct CustomerErasure: Sendable, Codable, Equatable {
    /// The customer's user id (the handle is gone with the erasure).
    public var customer: String
    /// Ops whose bodies the erasure names.
    public var ops: Int
    /// Erasure ops written (a customer with many messages needs several).
    public var erasureOps: Int
    /// Bodies dropped on this node.
    public var erasedHere: Int

    /// Creates a result.
    public init(customer: String, ops: Int, erasureOps: Int, erasedHere: Int) {
        self.customer = customer; self.ops = ops; self.erasureOps = erasureOps; self.erasedHere = erasedHere
    }
}

/// Everything a node holds about one customer (`roost customer export`; schema: Protocol/customer-export.schema.json).
public struct CustomerExport: Sendable, Codable {
    /// The document's format version.
    public var format = "roost-customer-export/1"
    /// When it was made (Unix ms).
    public var exportedMillis: UInt64
    /// The customer's profile and their tickets' rows.
    public var customer: CustomerProfile
    /// Every ticket in full: messages (the customer's, replies, notes) with times, tags, claim, resolution.
    public var tickets: [TicketView]
    /// Erasures that named this customer (their texts are gone from this export too).
    public var erasures: [ErasureSummary]

    /// One erasure, without positions.
    public struct ErasureSummary: Sendable, Codable, Equatable {
        public var id: String
        public var reason: String
        public var atMillis: UInt64
        public var by: String
        public var ops: Int
        public var state: String
    }
}

extension DeskService {
    /// Longest erasure reason (it is stored on every node: a case number or a short phrase, never customer text).
    public static let maxErasureReasonCharacters = 200

    /// Erases a customer across the team: one or more signed erasure ops naming every op that carries their text
    /// (their profile, their messages, and the replies and notes in their tickets). Every node drops those bodies
    /// when it merges the erasure; reports stay as they were (SPEC.md §1.9). Leads and admins only, checked here
    /// and again by every node.
    public func eraseCustomer(_ handle: String, reason: String) throws(DeskError) -> CustomerErasure {
        let reason = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reason.isEmpty else { throw .invalid(field: "reason", rule: "give a reason (--reason \"GDPR request 1234\"): it is kept with the erasure") }
        guard reason.count <= Self.maxErasureReasonCharacters else {
            throw .invalid(field: "reason", rule: "the reason is \(reason.count) characters, over \(Self.maxErasureReasonCharacters)")
        }
        try requireEraser()
        let id = try erasableCustomer(handle)
        let targets = try run { () throws(StoreError) in try store.erasures.targets(customer: id) }
        guard !targets.isEmpty else {
            throw .customerErased(handle, detail: .alreadyErased(nothingLeft: true))
        }
        let written = try writeErasure(reason: reason, customer: id, targets: targets)
        return CustomerErasure(customer: id, ops: targets.count, erasureOps: written.erasureOps, erasedHere: written.erased)
    }

    /// Appends erasure ops naming `targets`, split so each carries at most ``ErasureSchema/maxTargetBytes``.
    func writeErasure(reason: String, customer: String?, targets: [Erasure.Target]) throws(DeskError) -> (erasureOps: Int, erased: Int) {
        var chunks: [[Erasure.Target]] = [[]]
        var bytes = 0
        for target in targets {
            let size = Erasure.encodedSize(of: target)
            if bytes + size > ErasureSchema.maxTargetBytes, !chunks[chunks.count - 1].isEmpty {
                chunks.append([])
                bytes = 0
            }
            chunks[chunks.count - 1].append(target)
            bytes += size
        }
        let bodies = chunks.map { chunk in
            Erasure(reason: reason, customer: customer, targets: chunk).body(id: Hex.encode(SecureRandom.bytes(16)))
        }
        var erased = 0
        // Runs stay under the sealed-run limit: 100 erasure ops of ~60 KB is ~6 MB.
        var start = 0
        while start < bodies.count {
            let end = min(bodies.count, start + 100)
            let appended = try run { () throws(StoreError) in try store.appendLocal(Array(bodies[start..<end]), by: node.author, clock: clock) }
            erased += appended.erased
            start = end
        }
        return (bodies.count, erased)
    }

    /// Refuses unless this node's member is a lead or an admin (every node checks again when the erasure merges).
    func requireEraser() throws(DeskError) {
        if let roster = try run({ () throws(StoreError) in try store.team.roster() }) {
            let role = roster.currentRole(of: node.id)
            guard role?.mayErase == true else {
                throw .notPermitted(allowed: "leads and admins", action: "may erase customer data (this node's role: \(role?.rawValue ?? "none"))")
            }
        }
    }

    /// The one customer `handle` names, with a clear refusal for unknown, ambiguous and already-erased customers.
    private func erasableCustomer(_ handle: String) throws(DeskError) -> String {
        let clean = handle.hasPrefix("@") ? String(handle.dropFirst()) : handle
        let ids = try run { () throws(StoreError) in try store.desk.customerIDs(handle: clean) }
        if ids.count > 1 { throw .ambiguousCustomer(handle, ids: ids) }
        if let id = ids.first { return id }
        if !(try run { () throws(StoreError) in try store.erasures.records(ofCustomer: clean) }).isEmpty {
            throw .customerErased(clean, detail: .alreadyErased(nothingLeft: false))
        }
        throw .unknownCustomer(handle, erasedHint: true)
    }

    /// Everything this node holds about a customer, as one document.
    public func exportCustomer(_ handle: String) throws(DeskError) -> CustomerExport {
        let clean = handle.hasPrefix("@") ? String(handle.dropFirst()) : handle
        let ids = try run { () throws(StoreError) in try store.desk.customerIDs(handle: clean) }
        if ids.isEmpty, !(try run { () throws(StoreError) in try store.erasures.records(ofCustomer: clean) }).isEmpty {
            throw .customerErased(clean, detail: .nothingToExport)
        }
        let profile = try customer(clean)
        if !(try run { () throws(StoreError) in try store.erasures.records(ofCustomer: profile.id) }).isEmpty,
           (try run { () throws(StoreError) in try store.erasures.targets(customer: profile.id) }).isEmpty {
            throw .customerErased(clean, detail: .nothingToExport)
        }
        var tickets: [TicketView] = []
        for row in profile.tickets { tickets.append(try ticketView(row.key)) }
        let erasures = try run { () throws(StoreError) in try store.erasures.records(ofCustomer: profile.id) }
        var summaries: [CustomerExport.ErasureSummary] = []
        for erasure in erasures {
            summaries.append(.init(id: erasure.id, reason: erasure.reason, atMillis: erasure.hlc.physicalMillis,
                                   by: try memberName(erasure.ref.author), ops: erasure.targets, state: erasure.state))
        }
        return CustomerExport(exportedMillis: now, customer: profile, tickets: tickets, erasures: summaries)
    }
}
