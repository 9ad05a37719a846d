/// For each log, the highest sealed seq a node holds. Two nodes exchange these to learn what to send.
public struct VersionVector: Hashable, Sendable, CustomStringConvertible {
    /// Highest held seq by log.
    public var entries: [LogID: UInt64]

    /// Creates a vector.
    public init(_ entries: [LogID: UInt64] = [:]) { self.entries = entries }

    /// The seq held for `log` (0 when none).
    public subscript(log: LogID) -> UInt64 {
        get { entries[log] ?? 0 }
        set { entries[log] = newValue }
    }

    /// This vector without the entries of `logs`.
    public func removing(_ logs: Set<LogID>) -> VersionVector {
        logs.isEmpty ? self : VersionVector(entries.filter { !logs.contains($0.key) })
    }

    /// Total ops `other` holds beyond this vector.
    public func missing(from other: VersionVector) -> UInt64 {
        other.entries.reduce(0) { sum, entry in sum + (entry.value > self[entry.key] ? entry.value - self[entry.key] : 0) }
    }

    public var description: String {
        entries.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    }
}
