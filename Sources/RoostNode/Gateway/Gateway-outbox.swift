import Foundation
public import RoostCore
public import RoostStore

extension DeskService {
    /// Replies not yet posted (queued, posting, held, failed), oldest first.
    public func outboxPending() throws(DeskError) -> [OutboxRow] {
        try run { () throws(StoreError) in try store.outbox.rows(states: [.queued, .posting, .held, .failed]) }
    }

    /// The outbox item `id`, refused unless this node wrote it.
    func ownOutboxItem(_ id: String) throws(DeskError) -> OutboxRow {
        guard let row = try run({ () throws(StoreError) in try store.outbox.rows() }).first(where: { $0.id == id }) else {
            throw .unknownOutboxItem(id)
        }
        guard row.author == node.id.text else { throw .notYourDraft(id) }
        return row
    }

    /// Sends a held reply despite the send-time guard: queued again with `outbox.override`. The author must
    /// still hold the ticket's claim when the gateway drains it.
    public func sendAnyway(_ id: String) throws(DeskError) -> OutboxRow {
        let row = try ownOutboxItem(id)
        guard row.state == .held || row.state == .failed else {
            throw .outboxItemState(id: id, state: row.state.rawValue, action: .sendAnyway)
        }
        let message = EntityRef(Desk.message, id)
        try append([.set(entity: message, field: Gateway.override, value: .bool(true)),
                    .set(entity: message, field: Gateway.reason, value: .string("sent anyway by \(node.config.name)")),
                    .set(entity: message, field: Gateway.outbox, value: .string(OutboxState.queued.rawValue))])
        return try ownOutboxItem(id)
    }

    /// Withdraws a reply that is not posted (or being posted). To edit one, discard it and reply again.
    public func discardOutbox(_ id: String) throws(DeskError) -> OutboxRow {
        let row = try ownOutboxItem(id)
        guard row.state == .queued || row.state == .held || row.state == .failed else {
            throw .outboxItemState(id: id, state: row.state.rawValue, action: .discard)
        }
        let message = EntityRef(Desk.message, id)
        try append([.set(entity: message, field: Gateway.outbox, value: .string(OutboxState.discarded.rawValue)),
                    .set(entity: message, field: Gateway.reason, value: .string("discarded by \(node.config.name)"))])
        return try ownOutboxItem(id)
    }

    /// Why an outbound message is held, failed or in doubt (register `outbox.reason`).
    public func outboxReason(_ id: String) throws(DeskError) -> String? {
        try run { () throws(StoreError) in try store.state.register(EntityRef(Desk.message, id), Gateway.reason) }?.stringValue
    }
}
