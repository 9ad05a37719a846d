public import RoostCore
import RoostStore

extension DeskService {
    /// A lead's or admin's reassignment of a ticket to any member, whoever holds it now. Refused here
    /// for other roles, as every node would refuse to let it win (a `not-permitted` claim conflict).
    public func reassign(_ typed: String, to member: String, leaseMinutes: UInt32 = 30) throws(DeskError) -> (String, AuthorID) {
        let key = try ticketKey(typed)
        let target = try resolveMember(member)
        guard (1...Limits.maxLeaseSeconds / 60).contains(leaseMinutes) else {
            throw .invalid(field: "leaseMinutes", rule: "lease must be 1...\(Limits.maxLeaseSeconds / 60) minutes")
        }
        if let roster = try run({ () throws(StoreError) in try store.team.roster() }) {
            guard roster.currentRole(of: node.id)?.mayReassign == true else {
                throw .notPermitted(allowed: "leads and admins", action: "may reassign tickets; hand yours off with `roost handoff`")
            }
            guard roster.currentRole(of: target) != nil else { throw .notAMember(target.short, sayTeam: false) }
        }
        let current = try run { () throws(StoreError) in try store.state.claim(on: EntityRef(Desk.ticket, key)) }
        try append([.claim(entity: EntityRef(Desk.ticket, key), action: .reassign, holder: target,
                           leaseSeconds: leaseMinutes * 60, observed: current?.current)])
        return (key, target)
    }
}
