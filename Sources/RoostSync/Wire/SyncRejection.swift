public import RoostCore
public import RoostStore

/// Why a receiver refused a batch, as carried by a `reject` message (Protocol/SPEC-sync.md §2b.6).
///
/// Codes 1–15 are the store's ``RejectReason`` cases; 100 is a failure of the receiver itself.
public enum SyncRejectCode: UInt16, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// More ops than ``Limits/maxBatchOps`` (no position).
    case tooManyOps = 1
    /// Ops of one log out of order.
    case outOfOrder = 2
    /// The batch starts past what the receiver holds.
    case gap = 3
    /// A prev hash does not link.
    case prevMismatch = 4
    /// A body does not match its hash or length.
    case bodyHashMismatch = 5
    /// A new op came without its body.
    case bodyMissing = 6
    /// A header field is out of range.
    case malformedHeader = 7
    /// A body does not decode.
    case malformedBody = 8
    /// A seal does not verify.
    case badSeal = 9
    /// Ops not covered by a valid seal.
    case unsealed = 10
    /// An HLC too far ahead of the receiver's clock.
    case clock = 11
    /// A different, validly sealed op at a position the receiver holds (fork evidence stored).
    case fork = 12
    /// A different op at a held position, without a valid seal.
    case conflictingUnsealed = 13
    /// The author is not on the receiver's roster (yet): retried later, once its admission may have arrived.
    case notMember = 14
    /// The author was revoked and the op is past the cut.
    case revoked = 15
    /// The receiver could not apply the batch for a reason of its own (database error...).
    case storeFailure = 100

    /// Whether the same ops may be accepted later: the sender retries them (after a rewind for `gap`,
    /// at the next anti-entropy round for the others) instead of blocking the log for the session.
    public var isTransient: Bool {
        switch self {
        case .gap, .clock, .storeFailure, .tooManyOps, .notMember: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .tooManyOps: "too-many-ops"
        case .outOfOrder: "out-of-order"
        case .gap: "gap"
        case .prevMismatch: "prev-mismatch"
        case .bodyHashMismatch: "body-hash-mismatch"
        case .bodyMissing: "body-missing"
        case .malformedHeader: "malformed-header"
        case .malformedBody: "malformed-body"
        case .badSeal: "bad-seal"
        case .unsealed: "unsealed"
        case .clock: "clock"
        case .fork: "fork"
        case .conflictingUnsealed: "conflicting-unsealed"
        case .notMember: "not-member"
        case .revoked: "revoked"
        case .storeFailure: "store-failure"
        }
    }
}

/// A refusal of one batch: the code, the first offending op when known, and a text for logs.
public struct SyncRejection: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong.
    public var code: SyncRejectCode
    /// The first offending op (its log is the one the sender stops sending); nil for the whole batch.
    public var op: OpRef?
    /// A human-readable explanation, at most ``SyncLimits/maxReasonBytes`` of UTF-8 on the wire.
    public var text: String

    /// Creates a rejection; `text` is cut to ``SyncLimits/maxReasonBytes`` at a character boundary.
    public init(code: SyncRejectCode, op: OpRef?, text: String) {
        self.code = code
        self.op = op
        self.text = Self.truncated(text)
    }

    /// The rejection a receiver reports for a store error from ``OpStore/apply(_:clock:)``.
    public init(_ error: StoreError) {
        switch error {
        case let .rejected(op, reason):
            self.init(code: Self.code(for: reason), op: op, text: reason.description)
        case .database, .diskFull, .corrupt, .invalidOperation:
            self.init(code: .storeFailure, op: nil, text: error.description)
        }
    }

    /// The wire code of a store rejection reason.
    public static func code(for reason: RejectReason) -> SyncRejectCode {
        switch reason {
        case .tooManyOps: .tooManyOps
        case .outOfOrder: .outOfOrder
        case .gap: .gap
        case .prevMismatch: .prevMismatch
        case .bodyHashMismatch: .bodyHashMismatch
        case .bodyMissing: .bodyMissing
        case .malformedHeader: .malformedHeader
        case .malformedBody: .malformedBody
        case .badSeal: .badSeal
        case .unsealed: .unsealed
        case .clock: .clock
        case .fork: .fork
        case .conflictingUnsealed: .conflictingUnsealed
        case .notMember: .notMember
        case .revoked: .revoked
        // Format 2's refusals travel as the format 1 codes of the same check (no new wire code): a scope prev is a prev
        // link, a scopes root part of the seal, a log in the other format a header the receiver cannot take.
        case .scopePrevMismatch: .prevMismatch
        case .badScopes: .badSeal
        case .formatMismatch: .malformedHeader
        }
    }

    public var description: String {
        if let op { "\(code) at \(op): \(text)" } else { "\(code): \(text)" }
    }

    /// `text` cut to at most ``SyncLimits/maxReasonBytes`` UTF-8 bytes, never inside a scalar.
    static func truncated(_ text: String) -> String {
        guard text.utf8.count > SyncLimits.maxReasonBytes else { return text }
        var scalars = String.UnicodeScalarView()
        var bytes = 0
        for scalar in text.unicodeScalars {
            let size = String(scalar).utf8.count
            if bytes + size > SyncLimits.maxReasonBytes { break }
            scalars.append(scalar)
            bytes += size
        }
        return String(scalars)
    }
}
