public import RoostCore
public import RoostStore

/// What a receiver asks a sender for in one round of partial replication (Protocol/SPEC-partial.md §P.3): its vector
/// (per log, every op of its held scopes up to this seq is held) and the scopes it wants whole (`want-scope`).
public struct PartialRequest: Hashable, Sendable {
    /// The receiver's vector.
    public var vector: [LogID: UInt64]
    /// Scopes the receiver holds and lacks history of.
    public var want: Set<ScopeID>
    /// The number of the last `partial-batch` the receiver applied from this sender (`partial-ack`), 0 for none: what
    /// the sender sent whole in later batches was lost and is sent again.
    public var ack: UInt64
    /// Scopes the receiver got whole from another full peer since this sender's last batch (`have-scope`): the
    /// sender need not send them whole too.
    public var have: Set<ScopeID>

    /// Creates a request.
    public init(vector: [LogID: UInt64], want: Set<ScopeID>, ack: UInt64 = 0, have: Set<ScopeID> = []) {
        self.vector = vector
        self.want = want
        self.ack = ack
        self.have = have
    }
}

/// A sender's answer (SPEC-partial.md §P.4): format 2 runs, the scopes whose whole history they carry, and how far
/// they cover each log for the receiver.
public struct PartialBatch: Hashable, Sendable {
    /// One run per log.
    public var runs: [RunV2]
    /// Scopes sent whole: every op the sender holds of them, of every log (a `want-scope` answered, or a scope the
    /// receiver entered in the sender's view).
    public var backfill: Set<ScopeID>
    /// Per log, the seq up to which the sender sent every op of the scopes it computes the receiver holds. Set only
    /// by a sender that holds the whole log.
    public var covered: [LogID: UInt64]

    /// The sender's number for this batch to this receiver (from 1; 0 when the sender keeps no view of the receiver).
    public var number: UInt64
    /// True when the sender holds every log at least as far as the receiver's vector, so the scopes sent whole are
    /// complete up to it; false when they are only what the sender holds (the receiver holds them and keeps wanting
    /// them). False when no scope is sent whole.
    public var complete: Bool

    /// Format 1 logs (the team's history before it moved to format 2), sent whole past the receiver's vector entries
    /// for them: not part of the `partial-batch` message but `runs` messages before it (SPEC-partial.md §P.3c). Only
    /// a full node sends them.
    public var history: [OpBatch]

    /// Creates a batch.
    public init(runs: [RunV2], backfill: Set<ScopeID>, covered: [LogID: UInt64], number: UInt64 = 0, complete: Bool = false,
                history: [OpBatch] = []) {
        self.runs = runs
        self.backfill = backfill
        self.covered = covered
        self.number = number
        self.complete = complete && !backfill.isEmpty
        self.history = history
    }

    /// Ops carried (format 1 history included).
    public var opCount: Int { runs.reduce(0) { $0 + $1.ops.count } + history.reduce(0) { $0 + $1.ops.count } }
    /// True when the batch carries nothing.
    public var isEmpty: Bool { runs.isEmpty && covered.isEmpty && backfill.isEmpty && history.isEmpty }
}

/// What a replica refused or dropped, counted (SPEC-partial.md §P.5). A correct team never refuses anything; the
/// counters exist so that tests and the simulation can say so.
public struct PartialCounters: Hashable, Sendable {
    /// Runs that did not resolve or whose seals did not verify, refused whole.
    public var refusedRuns = 0
    /// Scope chains of a held scope with a gap (`scope-gap`): the scope's ops in that run were refused and the scope
    /// is wanted again.
    public var scopeGaps = 0
    /// Scopes of a run whose newest op no seal path covers, refused.
    public var unprovenScopes = 0
    /// Ops received twice.
    public var duplicates = 0
    /// Ops dropped because their scope left the held set.
    public var dropped = 0

    /// All zero.
    public init() {}
}

/// Why a replica refuses a local write.
public enum PartialError: Error, Equatable, Sendable {
    /// The op's scope is a customer the replica does not hold.
    case scopeNotHeld(String)
    /// The store a replica was to be rebuilt from is not a partial node's (it has no subscription).
    case notPartialStore
    /// A held op read back from the store has a body that does not decode.
    case restoredOpUnreadable(OpRef)
    /// An op of the node's own log, appended by its store, does not continue the log as the replica holds it.
    case ownLogMismatch(seq: UInt64)
}
