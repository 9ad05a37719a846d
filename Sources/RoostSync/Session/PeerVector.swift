public import RoostCore
public import RoostStore

/// Version-vector arithmetic for sync: what a peer holds, what we have sent it, what it lacks.
///
/// Entries only grow (a node never loses ops), so every merge is an entry-wise maximum, and a partial
/// vector (a `have` naming only the logs that changed) merges like a full one. Zero entries are never
/// stored, so two vectors that hold the same ops compare equal.
extension VersionVector {
    /// Raises each entry to `other`'s when that is higher.
    public mutating func formMax(_ other: VersionVector) {
        for (log, seq) in other.entries where seq > self[log] { entries[log] = seq }
    }

    /// The entry-wise maximum of both vectors.
    public func merging(_ other: VersionVector) -> VersionVector {
        var result = self
        result.formMax(other)
        return result
    }

    /// Whether some log outside `excluded` is ahead of `other` here: there is something to send a peer
    /// that holds `other`.
    public func exceeds(_ other: VersionVector, excluding excluded: Set<LogID> = []) -> Bool {
        entries.contains { log, seq in seq > other[log] && !excluded.contains(log) }
    }

    /// Whether every entry of `other` is at or below this vector's.
    public func dominates(_ other: VersionVector) -> Bool {
        !other.exceeds(self)
    }

    /// The entries of this vector that are ahead of `other`.
    public func entries(above other: VersionVector) -> VersionVector {
        VersionVector(entries.filter { $0.value > other[$0.key] })
    }

    /// The highest op seq of each log in `batch`: what its receiver holds once it is applied.
    public init(topsOf batch: OpBatch) {
        var tops: [LogID: UInt64] = [:]
        for op in batch.ops {
            let log = op.header.ref.log
            if op.header.seq > tops[log] ?? 0 { tops[log] = op.header.seq }
        }
        self.init(tops)
    }
}
