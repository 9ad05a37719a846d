import RoostCore
import RoostStore

extension DeskService {
    /// A customer's profile by customer id (what a ticket row names), or nil when unknown: one entity read
    /// instead of ``customer(_:vip:notes:)``'s search of every customer by handle. Used by the web app's ticket page.
    public func customerProfile(id: String) throws(DeskError) -> CustomerProfile? {
        let entity = EntityRef(Desk.customer, id)
        guard let fields = try run({ () throws(StoreError) in try store.entity(entity) }) else { return nil }
        func register(_ field: String) throws(DeskError) -> Value? {
            try run { () throws(StoreError) in try store.register(entity, field) }
        }
        let sla = try slaTargets()
        var tickets: [InboxRow] = []
        for key in try run({ () throws(StoreError) in try store.ticketKeys(ofCustomer: id) }) {
            if let row = try run({ () throws(StoreError) in try store.ticketRow(key, sla: sla, now: now) }) { tickets.append(row) }
        }
        return CustomerProfile(
            id: id, handle: fields.first { $0.name == "handle" }?.value.stringValue ?? id,
            name: try register("name")?.stringValue, followers: try register("followers")?.intValue.map { Int($0) },
            verified: try register("verified") == .bool(true), vip: try register("vip") == .bool(true),
            notes: try register("notes")?.stringValue, tickets: tickets)
    }
}
