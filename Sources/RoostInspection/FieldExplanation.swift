import Foundation
public import RoostCore
public import RoostStore

/// The merge rule that decides a field's value (RoostCore's rules, named for admins).
public enum MergeRule: String, Hashable, Sendable, Codable {
    /// ``GrowOnlySet``: the entity exists once; the earliest insert's payload is kept.
    case growOnlySet = "grow-only-set"
    /// ``LastWriterWins``: the write with the greatest (HLC, author, epoch, seq) wins.
    case lastWriterWins = "last-writer-wins"
    /// ``AddWinsSet``: a tag is present while some add of it was not observed by any removal.
    case addWinsSet = "add-wins-set"
    /// ``ClaimResolver``: the earliest permitted claim among those that observed the current one wins.
    case claimResolver = "claim-resolver"

    /// One sentence for admins.
    public var explanation: String {
        switch self {
        case .growOnlySet: "the earliest insert (HLC, then author) keeps its payload"
        case .lastWriterWins: "the write with the greatest (HLC, author, epoch, seq) wins"
        case .addWinsSet: "present while some add was not observed by any removal"
        case .claimResolver: "among claims observing the current one, the earliest permitted (HLC, then author) wins"
        }
    }
}

/// One op in an explanation.
public struct ExplainedOp: Hashable, Sendable {
    /// The op.
    public var ref: OpRef
    /// Its timestamp.
    public var hlc: HLC
    /// Whether a valid seal covers it.
    public var seal: SealStatus
    /// What it does, without customer text (e.g. `set "resolved"`, `claim for ABC lease 1800s`).
    public var action: String
    /// Why it lost (losers only).
    public var why: String?
}

/// How one field of an entity got its value.
public struct FieldExplanation: Hashable, Sendable {
    /// `insert`, a register name, `tag:NAME`, or `claim`.
    public var field: String
    /// The rule that decided.
    public var rule: MergeRule
    /// The value recomputed from the op log with the rule.
    public var value: String
    /// The value the materialized tables hold (same form); differs from ``value`` only if the store is damaged.
    public var materialized: String
    /// The op that decided the value (nil when no op did, e.g. a tag never added).
    public var winner: ExplainedOp?
    /// Every op that lost, with why.
    public var losers: [ExplainedOp]
    /// Claims: the winning chain from the first claim; tags: every add still present.
    public var chain: [ExplainedOp]

    /// Whether the recomputation matches the materialized state.
    public var agrees: Bool { value == materialized }
}

extension Inspection {
    /// Explains every field of `entity` by recomputing it from the op log with RoostCore's merge rules:
    /// the insert, each register, each tag, and the claim chain. Optionally only `field`
    /// (`insert`, a register name, `tag:NAME` or `tags`, `claim`).
    public func explain(_ entity: EntityRef, field only: String? = nil) throws(StoreError) -> [FieldExplanation] {
        let ops = try storedOps(StoredOpFilter(entity: entity)).compactMap { op -> (StoredOp, OpBody)? in
            guard let body = op.decoded, body.entity == entity else { return nil }
            return (op, body)
        }
        let seals = try sealStatuses(of: ops.map(\.0))
        func explained(_ op: StoredOp, _ action: String, why: String? = nil) -> ExplainedOp {
            ExplainedOp(ref: op.ref, hlc: op.header.hlc, seal: seals[op.ref] ?? .unsealed, action: action, why: why)
        }
        func wanted(_ name: String) -> Bool {
            guard let only else { return true }
            return only == name || (only == "tags" && name.hasPrefix("tag:"))
        }
        var result: [FieldExplanation] = []

        // Grow-only insert.
        let inserts = ops.filter { $0.1.kind == .insert }.sorted { $0.0.stamp < $1.0.stamp }
        if wanted("insert"), let first = inserts.first {
            let fieldCount: Int
            if case let .insert(_, fields) = first.1 { fieldCount = fields.count } else { fieldCount = 0 }
            let materialized = try state.insertRef(of: entity).map { "inserted by \($0)" } ?? "not inserted"
            result.append(FieldExplanation(
                field: "insert", rule: .growOnlySet, value: "inserted by \(first.0.ref)", materialized: materialized,
                winner: explained(first.0, "insert (\(fieldCount) fields)"),
                losers: inserts.dropFirst().map {
                    explained($0.0, "insert", why: "a later insert of the same key: its payload is discarded")
                },
                chain: []))
        }

        // Last-writer-wins registers.
        var registers: [String: [(StoredOp, Value)]] = [:]
        for (op, body) in ops {
            if case let .set(_, field, value) = body { registers[field, default: []].append((op, value)) }
        }
        for field in registers.keys.sorted() where wanted(field) {
            let writes = registers[field]!.sorted { $0.0.stamp > $1.0.stamp }
            let (top, value) = writes[0]
            let materialized = try state.registerWithStamp(entity, field).map { "\($0.value) by \($0.stamp.ref)" }
                ?? "never written"
            let losers = writes.dropFirst().map { op, lost in
                explained(op, "set \(lost)", why: Self.lwwReason(loser: op.stamp, winner: top.stamp))
            }
            result.append(FieldExplanation(field: field, rule: .lastWriterWins, value: "\(value) by \(top.ref)",
                                           materialized: materialized, winner: explained(top, "set \(value)"),
                                           losers: Array(losers), chain: []))
        }

        // Add-wins tags.
        var adds: [String: [StoredOp]] = [:]
        var removals: [String: [(StoredOp, [OpRef])]] = [:]
        for (op, body) in ops {
            switch body {
            case let .tagAdd(_, tag): adds[tag, default: []].append(op)
            case let .tagRemove(_, tag, observed): removals[tag, default: []].append((op, observed))
            default: break
            }
        }
        for tag in Set(adds.keys).union(removals.keys).sorted() where wanted("tag:" + tag) {
            let tagAdds = (adds[tag] ?? []).sorted { $0.stamp < $1.stamp }
            let tagRemovals = (removals[tag] ?? []).sorted { $0.0.stamp < $1.0.stamp }
            var removedBy: [OpRef: OpRef] = [:]
            for (removal, observed) in tagRemovals {
                for add in observed where removedBy[add] == nil { removedBy[add] = removal.ref }
            }
            let present = tagAdds.filter { removedBy[$0.ref] == nil }
            let isPresent = AddWinsSet.isPresent(adds: tagAdds.map(\.ref), removed: Set(removedBy.keys))
            var losers: [ExplainedOp] = []
            for add in tagAdds {
                if let by = removedBy[add.ref] { losers.append(explained(add, "add", why: "removed by \(by), which observed it")) }
            }
            for (removal, observed) in tagRemovals where !present.isEmpty {
                let unseen = present.filter { !observed.contains($0.ref) }.map { "\($0.ref)" }
                losers.append(explained(removal, "remove \(observed.count) observed add(s)",
                                        why: "add \(unseen.joined(separator: ", ")) was not observed by it: the add wins"))
            }
            let winner: ExplainedOp? = present.first.map { explained($0, "add") }
                ?? tagRemovals.last.map { explained($0.0, "remove \($0.1.count) observed add(s)") }
            let materialized = try state.tags(of: entity).contains(tag)
            result.append(FieldExplanation(
                field: "tag:" + tag, rule: .addWinsSet, value: isPresent ? "present" : "absent",
                materialized: materialized ? "present" : "absent", winner: winner,
                losers: losers.sorted { ($0.hlc, $0.ref) < ($1.hlc, $1.ref) }, chain: present.map { explained($0, "add") }))
        }

        // Claims.
        var records: [ClaimRecord] = []
        var claimOps: [OpRef: StoredOp] = [:]
        for (op, body) in ops {
            if case let .claim(_, action, holder, lease, observed) = body {
                records.append(ClaimRecord(stamp: op.stamp, action: action, holder: holder, leaseSeconds: lease, observed: observed))
                claimOps[op.ref] = op
            }
        }
        if !records.isEmpty, wanted("claim") {
            let resolution = ClaimResolver.resolve(records)
            func describe(_ record: ClaimRecord) -> String {
                var text = "\(record.action)"
                if let holder = record.holder { text += " for \(holder.short)" }
                if record.leaseSeconds > 0 { text += " lease \(record.leaseSeconds)s" }
                text += " observing " + (record.observed.map { "\($0)" } ?? "none")
                return text
            }
            var losers = resolution.conflicts.map { conflict in
                let why: String = switch conflict.reason {
                case .concurrent: "did not observe \(conflict.winner.map { "\($0.ref)" } ?? "none"), which is earlier (HLC, then author) and won"
                case .losingBranch: "on a branch that lost to \(conflict.winner.map { "\($0.ref)" } ?? "none")"
                case .notPermitted: "not permitted after \(conflict.winner.map { "\($0.ref)" } ?? "none") (not the holder, lease not expired)"
                }
                return explained(claimOps[conflict.loser.ref]!, describe(conflict.loser), why: "\(conflict.reason.rawValue): " + why)
            }
            let inTree = Set(resolution.chain.map(\.ref)).union(resolution.conflicts.map(\.loser.ref))
            for record in records where !inTree.contains(record.ref) {
                losers.append(explained(claimOps[record.ref]!, describe(record),
                                        why: "waiting: it observed \(record.observed.map { "\($0)" } ?? "none"), which this node does not hold"))
            }
            let value = resolution.current.map { current in
                (current.holder.map { "held by \($0.short) until \(Self.utc(current.leaseEndsMillis))" } ?? "released") + " (\(current.ref))"
            } ?? "unclaimed"
            let materialized = try state.claim(on: entity).map { status in
                (status.holder.map { "held by \($0.short) until \(Self.utc(status.leaseEndsMillis))" } ?? "released")
                    + " (\(status.current))"
            } ?? "unclaimed"
            result.append(FieldExplanation(
                field: "claim", rule: .claimResolver, value: value, materialized: materialized,
                winner: resolution.current.map { explained(claimOps[$0.ref]!, describe($0)) },
                losers: losers.sorted { ($0.hlc, $0.ref) < ($1.hlc, $1.ref) },
                chain: resolution.chain.map { explained(claimOps[$0.ref]!, describe($0)) }))
        }
        return result
    }

    /// Unix ms as `2026-01-01T00:30:10.000Z`.
    static func utc(_ millis: UInt64) -> String { CivilDate.iso8601(millis: millis) }

    /// Why a register write stamped `loser` lost to `winner` under last-writer-wins.
    static func lwwReason(loser: Stamp, winner: Stamp) -> String {
        if loser.hlc < winner.hlc {
            return loser.ref.author == winner.ref.author
                ? "overwritten later by the same author (\(winner.ref))"
                : "overwritten by \(winner.ref) with a later HLC"
        }
        return "same HLC as \(winner.ref); the tie goes to the greater author key"
    }
}
