import GRDB

/// One job's part of a store (issue 19: a focused store). ``OpStore`` is the op log — append, apply, batch, verify —
/// and owns the connection; each view reads (and, where its job writes, writes) the tables of one job through it:
/// ``OpStore/state`` (the merged CRDT state), ``OpStore/desk`` (inbox, threads, reports' facts, routing),
/// ``OpStore/search``, ``OpStore/outbox``, ``OpStore/team`` (the roster) and ``OpStore/erasures``.
/// A view is a small value over the store; making one costs nothing.
protocol StoreView: Sendable {
    /// The store whose connection the view reads through.
    var store: OpStore { get }
}

extension StoreView {
    /// One read (``OpStore/read(_:)``).
    func read<T>(_ work: (Database) throws -> T) throws(StoreError) -> T { try store.read(work) }

    /// One write transaction (``OpStore/write(_:)``).
    func write<T>(_ work: (Database) throws -> T) throws(StoreError) -> T { try store.write(work) }
}

extension OpStore {
    /// The merged state of the held ops: registers, tags, claims, entities.
    public var state: MergedState { MergedState(store: self) }
    /// The help desk's read models: inbox, tickets, threads, facts for reports and the mirror, routing, alerts.
    public var desk: DeskViews { DeskViews(store: self) }
    /// The full-text index over messages and tickets.
    public var search: SearchViews { SearchViews(store: self) }
    /// Replies waiting for, or past, the gateway.
    public var outbox: OutboxViews { OutboxViews(store: self) }
    /// The team: founder, roster, members' names, roles and addresses.
    public var team: TeamRoster { TeamRoster(store: self) }
    /// Erasures and retention: what was erased, what an erasure or the retention policy would name.
    public var erasures: ErasureViews { ErasureViews(store: self) }
}

/// The merged state of the held ops (``OpStore/state``).
public struct MergedState: StoreView {
    let store: OpStore
}

/// The help desk's read models (``OpStore/desk``).
public struct DeskViews: StoreView {
    let store: OpStore
}

/// The full-text index (``OpStore/search``).
public struct SearchViews: StoreView {
    let store: OpStore
}

/// The outbox (``OpStore/outbox``).
public struct OutboxViews: StoreView {
    let store: OpStore
}

/// The team's roster as this store holds it (``OpStore/team``).
public struct TeamRoster: StoreView {
    let store: OpStore
}

/// Erasures and retention (``OpStore/erasures``).
public struct ErasureViews: StoreView {
    let store: OpStore
}
