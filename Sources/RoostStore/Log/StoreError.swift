public import RoostCore

/// Why a remote batch was refused. Nothing of a refused batch is applied.
public enum RejectReason: Error, Equatable, Sendable, CustomStringConvertible {
    /// The batch holds more ops than ``Limits/maxBatchOps``.
    case tooManyOps(count: Int, limit: Int)
    /// Ops of one log are not in ascending, contiguous seq order within the batch.
    case outOfOrder
    /// The first op of a log in the batch does not follow what we hold (we hold up to `have`).
    case gap(have: UInt64, first: UInt64)
    /// The op's `prev` is not the hash of the previous op of its log.
    case prevMismatch
    /// The body does not hash to the header's body hash, or has a different length.
    case bodyHashMismatch
    /// The op arrived without its body.
    case bodyMissing
    /// A header field is out of range (epoch, seq or HLC at or above 2^63, or an over-long body).
    case malformedHeader(ByteDecodingError)
    /// The body could not be decoded.
    case malformedBody(ByteDecodingError)
    /// A seal's signature does not verify, or its head is not the hash at its seq.
    case badSeal(seq: UInt64)
    /// Ops beyond the last valid seal in the batch (sealed up to `sealed`).
    case unsealed(sealed: UInt64)
    /// The op's timestamp is too far in the future.
    case clock(HLCError)
    /// A different, validly sealed op already holds this position; the evidence was stored.
    case fork
    /// A different op at a position we hold, not backed by a valid seal.
    case conflictingUnsealed
    /// The author is not on the team's roster (yet: its admission may arrive later).
    case notMember
    /// The author was revoked and the op lies past the revocation's cut.
    case revoked
    /// Ops of one format sent for a log held in the other (a log never mixes them: SPEC-format-2.md §2.4).
    case formatMismatch(held: Int, sent: Int)
    /// A format 2 op's scope prev is not the seq of the previous op of its scope in its log.
    case scopePrevMismatch
    /// A format 2 seal's scopes root is not the root of its range's scopes.
    case badScopes(seq: UInt64)

    public var description: String {
        switch self {
        case let .tooManyOps(count, limit): "batch of \(count) ops is over the limit of \(limit)"
        case .outOfOrder: "ops of one log are not in contiguous ascending order"
        case let .gap(have, first): "gap: we hold up to seq \(have), the batch starts at \(first)"
        case .prevMismatch: "prev hash does not match the previous op"
        case .bodyHashMismatch: "body does not match its hash"
        case .bodyMissing: "body missing"
        case let .malformedHeader(error): "malformed header: \(error)"
        case let .malformedBody(error): "malformed body: \(error)"
        case let .badSeal(seq): "seal at seq \(seq) does not verify"
        case let .unsealed(sealed): "ops after seq \(sealed) are not covered by a valid seal"
        case let .clock(error): "clock: \(error)"
        case .fork: "fork: a different op signed by the same author already holds this position"
        case .conflictingUnsealed: "a different op at a position we hold, without a valid seal"
        case .notMember: "the author is not a member of the team (no admin admitted it)"
        case .revoked: "the author was revoked and the op is past the revocation's cut"
        case let .formatMismatch(held, sent): "format \(sent) ops for a log held in format \(held) (a log never mixes formats)"
        case .scopePrevMismatch: "scope prev does not name the previous op of its scope"
        case let .badScopes(seq): "seal at seq \(seq): scopes root does not match its range"
        }
    }
}

/// Errors of the store layer.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A remote batch was refused; `op` names the first offending op (or the log's position).
    case rejected(op: OpRef?, reason: RejectReason)
    /// SQLite failed. The text carries SQLite's message, never statement arguments.
    case database(String)
    /// The file system is full (SQLITE_FULL): the transaction was rolled back, so nothing of it was written.
    /// Reads and sync to peers go on; writes succeed again once space is freed, with nothing to restart.
    case diskFull
    /// A stored row could not be read back (corruption or a newer schema).
    case corrupt(String)
    /// A local operation was refused before anything was written.
    case invalidOperation(String)

    public var description: String {
        switch self {
        case let .rejected(op, reason):
            if let op { "rejected op \(op): \(reason)" } else { "rejected batch: \(reason)" }
        case let .database(message): "database error: \(message)"
        case .diskFull: "the disk is full: nothing of this change was written (free space and retry; reads and sync go on)"
        case let .corrupt(message): "corrupt store: \(message)"
        case let .invalidOperation(message): message
        }
    }
}

/// Sizes of the store layer, named in one place.
public enum StoreLimits {
    /// SQLite page cache of a file store's connections, in KiB (64 MiB).
    public static let pageCacheKiB = 64 * 1024
    /// WAL pages after which a commit copies the WAL into the database file (SQLite's `wal_autocheckpoint`; its
    /// default is 1,000 pages, 4 MiB). A larger WAL writes a page that many transactions change once per
    /// checkpoint instead of once per 4 MiB of commits: 16,384 pages, 64 MiB at 4 KiB pages.
    public static let walAutocheckpointPages = 16_384
    /// Every how many ops of a log the store keeps the op's hash (`op_check`): an op's hash is not stored but recomputed
    /// forward from the nearest kept hash (this checkpoint, a seal's head, or the log's head), so finding one costs at
    /// most this many header hashes (~0.3 ms) and the checkpoints take ~0.15 bytes per op (DESIGN-format-2.md F2.3).
    public static let opCheckInterval: UInt64 = 256
    /// Keys bound in one `IN (…)` lookup (well under SQLite's limit on bound variables).
    public static let keysPerLookup = 500
    /// Shortest time between two scrubs of erased bytes (a `VACUUM` each): 30 s.
    public static let scrubIntervalMillis: UInt64 = 30_000
    /// Largest log `verify` re-folds in memory; a larger one is re-folded into a temporary file, so memory stays
    /// flat (1,000,000 ops: peak RSS 2.15 GB in memory, 256 MB with the file; Benchmarks/README.md).
    public static let refoldInMemoryOps = 50_000
    /// Free heap a writing process keeps above what it uses instead of returning it to the kernel after each
    /// transaction (glibc `M_TOP_PAD`, ``ProcessAllocator``): 16 MiB.
    public static let heapTopPadBytes = 16 * 1024 * 1024
}
