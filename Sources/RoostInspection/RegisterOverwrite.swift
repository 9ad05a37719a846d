public import RoostCore
public import RoostStore

/// A register write that lost to a write by another member: what `roost-inspect conflicts` calls an
/// overwrite. Ops carry no causal context, so whether the winner's author had seen the loser is unknown.
public struct RegisterOverwrite: Hashable, Sendable {
    /// The entity.
    public var entity: EntityRef
    /// The register.
    public var field: String
    /// The write that lost.
    public var loser: Stamp
    /// Its value.
    public var loserValue: Value
    /// The write in force.
    public var winner: Stamp
    /// Its value.
    public var winnerValue: Value
}

extension Inspection {
    /// Register writes on `collection` entities that lost to a write by another author, sorted by the
    /// winner's stamp. Recomputed from the op log with ``LastWriterWins``.
    public func registerOverwrites(collection: String = Desk.ticket) throws(StoreError) -> [RegisterOverwrite] {
        var groups: [EntityRef: [String: [(Stamp, Value)]]] = [:]
        for op in try storedOps(StoredOpFilter(kind: .set)) {
            guard case let .set(entity, field, value)? = op.decoded, entity.collection == collection else { continue }
            groups[entity, default: [:]][field, default: []].append((op.stamp, value))
        }
        var result: [RegisterOverwrite] = []
        for (entity, fields) in groups {
            for (field, writes) in fields {
                guard let top = writes.max(by: { $0.0 < $1.0 }) else { continue }
                for write in writes where write.0 != top.0 && write.0.ref.author != top.0.ref.author {
                    result.append(RegisterOverwrite(entity: entity, field: field, loser: write.0, loserValue: write.1,
                                                    winner: top.0, winnerValue: top.1))
                }
            }
        }
        return result.sorted { ($0.entity, $0.field, $0.loser) < ($1.entity, $1.field, $1.loser) }
    }
}
