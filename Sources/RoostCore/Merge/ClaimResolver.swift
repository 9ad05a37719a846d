/// One claim-chain op as the claim resolver sees it.
public struct ClaimRecord: Hashable, Sendable {
    /// The op's order stamp (HLC, author, epoch, seq).
    public var stamp: Stamp
    /// What the op does.
    public var action: ClaimAction
    /// The new holder; nil for a release.
    public var holder: AuthorID?
    /// Lease length in seconds.
    public var leaseSeconds: UInt32
    /// The claim this one observed as current when it was made; nil when the author saw no claim.
    public var observed: OpRef?

    /// Creates a record.
    public init(stamp: Stamp, action: ClaimAction, holder: AuthorID?, leaseSeconds: UInt32, observed: OpRef?) {
        self.stamp = stamp; self.action = action; self.holder = holder
        self.leaseSeconds = leaseSeconds; self.observed = observed
    }

    /// The op's position.
    public var ref: OpRef { stamp.ref }
    /// The author of the op.
    public var author: AuthorID { stamp.ref.author }
    /// When the lease ends (Unix ms): the op's HLC wall time plus the lease.
    public var leaseEndsMillis: UInt64 { stamp.hlc.physicalMillis + UInt64(leaseSeconds) * 1000 }
}

/// Why a claim op did not become (or stay on the way to) the current claim.
public enum ClaimConflictReason: String, Sendable, CaseIterable {
    /// It competed with an earlier claim that it had not observed; the earliest (HLC, author) won.
    case concurrent
    /// It observed a claim that itself lost, so its whole branch lost.
    case losingBranch = "losing-branch"
    /// Its action was not allowed on the claim it observed (not the holder, lease not expired...).
    case notPermitted = "not-permitted"
}

/// A claim op that lost, with the one it lost to.
public struct ClaimConflict: Hashable, Sendable {
    /// The losing op.
    public var loser: ClaimRecord
    /// The claim that won in its place (the winner at the same point of the chain).
    public var winner: ClaimRecord?
    /// Why it lost.
    public var reason: ClaimConflictReason
}

/// The resolved claim state of one item.
public struct ClaimResolution: Hashable, Sendable {
    /// The current claim-chain op (its holder is nil after a release); nil when nothing was ever claimed.
    public var current: ClaimRecord?
    /// Every op that lost, sorted by the loser's stamp.
    public var conflicts: [ClaimConflict]
    /// The winning chain from the first claim to ``current``.
    public var chain: [ClaimRecord]
}

/// The claim merge rule, pure and order-independent.
///
/// Claims of one item form a tree: each op names the claim it observed (its parent; none for a first
/// claim). Resolution walks from the root: among the permitted children of the current node, the one
/// with the smallest ``Stamp`` (earliest HLC, then author) wins and becomes current; every other child
/// is a `concurrent` conflict and its descendants a `losing-branch`. A child observing the current claim
/// supersedes it when permitted:
/// - `claim` (holder must be the author): the observed claim has no holder (released), or the author is
///   the holder (renewal);
/// - `release`, `handoff`: the author is the observed holder, or the lease had expired at the op's HLC;
/// - `takeover` (holder must be the author): the observed claim has no holder, or its lease had expired
///   at the op's HLC;
/// - `reassign` to anyone: when the author was a lead or an admin when it made the op (`mayReassign`, from
///   the roster: ``RosterState/mayReassign(_:)``; without a team, everyone may).
/// At the root only `claim` (for oneself) and `reassign` are permitted. Because the result depends only on the set of
/// ops, every replica that holds the same ops computes the same holder.
public enum ClaimResolver {
    /// Whether `child` may supersede `parent` (nil parent: the item was never claimed).
    public static func permits(
        _ child: ClaimRecord, after parent: ClaimRecord?, mayReassign: (ClaimRecord) -> Bool = { _ in true }
    ) -> Bool {
        let forSelf = child.holder == child.author
        guard let parent else { return (child.action == .claim && forSelf) || (child.action == .reassign && mayReassign(child)) }
        let isHolder = parent.holder == child.author
        let expired = child.stamp.hlc.physicalMillis >= parent.leaseEndsMillis
        switch child.action {
        case .claim: return forSelf && (parent.holder == nil || isHolder)
        case .release, .handoff: return parent.holder != nil && (isHolder || expired)
        case .takeover: return forSelf && (parent.holder == nil || expired)
        case .reassign: return mayReassign(child)
        }
    }

    /// Resolves the claim state of one item from all its claim-chain ops, in any order.
    public static func resolve(
        _ records: some Collection<ClaimRecord>, mayReassign: (ClaimRecord) -> Bool = { _ in true }
    ) -> ClaimResolution {
        var children: [OpRef?: [ClaimRecord]] = [:]
        let known = Set(records.map(\.ref))
        for record in records {
            // A claim that observed an op we do not hold (yet) waits outside the tree.
            if let observed = record.observed, !known.contains(observed) { continue }
            children[record.observed, default: []].append(record)
        }
        var conflicts: [ClaimConflict] = []
        var chain: [ClaimRecord] = []
        var current: ClaimRecord? = nil
        while true {
            let candidates = (children[current?.ref] ?? []).sorted { $0.stamp < $1.stamp }
            let permitted = candidates.filter { permits($0, after: current, mayReassign: mayReassign) }
            let winner = permitted.first
            for candidate in candidates where candidate != winner {
                let reason: ClaimConflictReason =
                    permits(candidate, after: current, mayReassign: mayReassign) ? .concurrent : .notPermitted
                conflicts.append(ClaimConflict(loser: candidate, winner: winner ?? current, reason: reason))
                markBranch(below: candidate, children: children, winner: winner ?? current, into: &conflicts)
            }
            guard let winner else { break }
            chain.append(winner)
            current = winner
        }
        conflicts.sort { $0.loser.stamp < $1.loser.stamp }
        return ClaimResolution(current: current, conflicts: conflicts, chain: chain)
    }

    private static func markBranch(
        below root: ClaimRecord, children: [OpRef?: [ClaimRecord]], winner: ClaimRecord?,
        into conflicts: inout [ClaimConflict]
    ) {
        var stack = children[root.ref] ?? []
        while let next = stack.popLast() {
            conflicts.append(ClaimConflict(loser: next, winner: winner, reason: .losingBranch))
            stack.append(contentsOf: children[next.ref] ?? [])
        }
    }
}
