import RoostCore
import RoostStore

extension DeskService {
    /// A customer's profile by customer id (what a ticket row names), or nil when unknown: one entity read
    /// instead of ``customer(_:vip:notes:)``'s search of every customer by handle. Used by the web app's ticket page.
    public func customerProfile(id: String) throws(DeskError) -> CustomerProfile? {
        guard let fields = try run({ () throws(StoreError) in try store.state.entity(EntityRef(Desk.customer, id)) }) else { return nil }
        return try profile(id: id, fields: fields)
    }
}
