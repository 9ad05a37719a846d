/// The position of an operation: its author's log, that log's epoch, and the sequence number in it.
///
/// `(author, epoch, seq)` names at most one op; a second, different op at the same position is fork evidence.
public struct OpRef: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The op's author.
    public var author: AuthorID
    /// The author's log epoch: a random number chosen when the log was created.
    public var epoch: UInt64
    /// Position in the log, contiguous from 1.
    public var seq: UInt64

    /// Creates a reference.
    public init(author: AuthorID, epoch: UInt64, seq: UInt64) {
        self.author = author; self.epoch = epoch; self.seq = seq
    }

    /// Which log this op belongs to.
    public var log: LogID { LogID(author: author, epoch: epoch) }

    public var description: String { "\(author.short)/\(String(epoch, radix: 16))/\(seq)" }

    public static func < (lhs: OpRef, rhs: OpRef) -> Bool {
        (lhs.author, lhs.epoch, lhs.seq) < (rhs.author, rhs.epoch, rhs.seq)
    }
}

/// One append-only log: an author and an epoch.
public struct LogID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The log's author.
    public var author: AuthorID
    /// The log's epoch.
    public var epoch: UInt64

    /// Creates a log id.
    public init(author: AuthorID, epoch: UInt64) { self.author = author; self.epoch = epoch }

    public var description: String { "\(author.short)/\(String(epoch, radix: 16))" }

    public static func < (lhs: LogID, rhs: LogID) -> Bool { (lhs.author, lhs.epoch) < (rhs.author, rhs.epoch) }
}
