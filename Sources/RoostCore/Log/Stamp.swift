/// The total order every merge rule uses to compare two ops: HLC first, then author, epoch and seq.
///
/// Ties on HLC between authors go to the byte-wise larger author key for "last writer wins" and to the
/// smaller for "earliest claim wins"; (epoch, seq) only break ties within one author, which its own
/// strictly monotonic clock already prevents.
public struct Stamp: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// When the op was made.
    public var hlc: HLC
    /// Which op.
    public var ref: OpRef

    /// Creates a stamp.
    public init(hlc: HLC, ref: OpRef) { self.hlc = hlc; self.ref = ref }

    public var description: String { "\(hlc)@\(ref)" }

    public static func < (lhs: Stamp, rhs: Stamp) -> Bool {
        (lhs.hlc, lhs.ref) < (rhs.hlc, rhs.ref)
    }
}

/// Merge rule for single-valued fields: the write with the greatest ``Stamp`` wins.
public enum LastWriterWins {
    /// True when a write stamped `incoming` replaces the current value stamped `current`.
    @inlinable public static func replaces(_ incoming: Stamp, over current: Stamp?) -> Bool {
        guard let current else { return true }
        return current < incoming
    }
}

/// Merge rule for grow-only sets keyed by an external id: the entity exists once; when two inserts
/// carry the same key, the payload of the one with the smallest ``Stamp`` is kept (first writer wins),
/// so a message ingested twice, by two nodes, is one message with one content on every replica.
public enum GrowOnlySet {
    /// True when an insert stamped `incoming` replaces the kept payload stamped `current`.
    @inlinable public static func replaces(_ incoming: Stamp, over current: Stamp?) -> Bool {
        guard let current else { return true }
        return incoming < current
    }
}

/// Merge rule for tags: an add-wins observed-remove set.
///
/// Each add is identified by its op. A removal names the adds it observed; an add is present unless some
/// removal names it. An add concurrent with a removal was not observed by it, so the add wins.
public enum AddWinsSet {
    /// True when the tag is present given the adds of it and the set of removed add ids.
    public static func isPresent(adds: some Sequence<OpRef>, removed: Set<OpRef>) -> Bool {
        adds.contains { !removed.contains($0) }
    }
}
