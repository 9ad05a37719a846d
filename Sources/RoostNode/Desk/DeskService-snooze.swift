public import RoostCore
import RoostStore

extension DeskService {
    /// Longest a ticket may be snoozed: 90 days.
    public static let maxSnoozeMillis: UInt64 = 90 * 86_400_000

    /// Snoozes a ticket until `untilMillis` (Unix ms): it leaves open work on every node until then, or until the
    /// customer writes again, whichever comes first (SPEC.md §1b.6). A ticket another member holds is refused.
    @discardableResult
    public func snooze(_ typed: String, untilMillis: UInt64) throws(DeskError) -> String {
        let key = try ticketKey(typed)
        guard untilMillis > now, untilMillis - now <= Self.maxSnoozeMillis else {
            throw .invalid(field: "untilMillis", rule: "a snooze ends in the future, at most 90 days from now")
        }
        _ = try requireNotHeldByOther(key)
        try append([.set(entity: EntityRef(Desk.ticket, key), field: "snooze_until", value: .int(Int64(untilMillis)))])
        return key
    }

    /// Wakes a snoozed ticket now.
    @discardableResult
    public func unsnooze(_ typed: String) throws(DeskError) -> String {
        let key = try ticketKey(typed)
        _ = try requireNotHeldByOther(key)
        try append([.set(entity: EntityRef(Desk.ticket, key), field: "snooze_until", value: .null)])
        return key
    }
}
