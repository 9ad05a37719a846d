public import RoostCore
public import RoostCrypto

/// A unit of transfer: ops of one or more logs, each log's ops contiguous and ascending,
/// with seals that cover every op.
public struct OpBatch: Hashable, Sendable {
    /// The ops.
    public var ops: [Op]
    /// Seals covering the ops.
    public var seals: [Seal]

    /// Creates a batch.
    public init(ops: [Op] = [], seals: [Seal] = []) {
        self.ops = ops
        self.seals = seals
    }

    /// True when there is nothing to transfer.
    public var isEmpty: Bool { ops.isEmpty }

    /// The ops grouped by log, logs in the order of their first op, each log's ops in batch order: how a receiver
    /// takes a batch apart (SPEC.md §1.11 step 2) and how `runs` sends it (SPEC-sync.md §2b.18).
    public var opsByLog: [(log: LogID, ops: [Op])] { Self.grouped(ops) { $0.header.ref.log } }

    /// `items` grouped by log, logs in the order of their first item, each log's items in the given order.
    static func grouped<Item>(_ items: [Item], by log: (Item) -> LogID) -> [(log: LogID, ops: [Item])] {
        var order: [LogID] = []
        var byLog: [LogID: [Item]] = [:]
        for item in items {
            let key = log(item)
            if byLog[key] == nil { order.append(key) }
            byLog[key, default: []].append(item)
        }
        return order.map { ($0, byLog[$0]!) }
    }
}

/// What applying a remote batch did.
public struct ApplyReport: Hashable, Sendable {
    /// Ops newly stored and merged.
    public var applied: Int
    /// Ops we already held (idempotent re-delivery).
    public var duplicates: Int
    /// New ops stored without their body: erased (an effective erasure names them) or withheld (the sender
    /// had no body to send and no erasure names them yet; SPEC.md §1.9).
    public var withheld = 0
    /// Op bodies this batch's erasures (or erasures judged effective because of it) dropped.
    public var erased = 0
    /// Erasure ops judged in this batch whose author was not a lead or an admin: they erase nothing.
    public var refusedErasures: [OpRef] = []
    /// Logs of the batch with at least one new op, and logs whose every op was already held (a relay that came
    /// by another path first): what sync's duplicate suppression decides from (SPEC-sync.md §2b.17).
    public var newLogs: Set<LogID> = []
    public var duplicateLogs: Set<LogID> = []
    /// Ops a partial node's replica held that the roster does not admit (their author is no member, or was revoked
    /// before them): not stored (``OpStore/applyPartial(_:wanted:clock:)``; SPEC-partial.md §P.6, "Who may write").
    public var notAdmitted: [OpRef] = []
    /// Ops the roster's enforcement removed after roster changes merged (a revoked member's ops past its cut).
    public var removed = 0

    /// Creates a report.
    public init(applied: Int, duplicates: Int) {
        self.applied = applied
        self.duplicates = duplicates
    }
}

/// The signing identity a node appends with.
public struct LocalAuthor: Sendable {
    /// The node's Ed25519 key.
    public let key: SigningKey
    /// The node's current log epoch.
    public let epoch: UInt64
    /// The node's author id.
    public let id: AuthorID

    /// The op format of this epoch's log, 1 or 2 (Protocol/SPEC-format-2.md §2.4): fixed by its first op, a log never
    /// mixes them; a node moves to format 2 in a new epoch.
    public let format: Int

    /// Creates a local author.
    public init(key: SigningKey, epoch: UInt64, format: Int = 1) {
        precondition(format == 1 || format == 2, "op formats are 1 and 2")
        self.key = key
        self.epoch = epoch
        self.id = key.authorID
        self.format = format
    }

    /// This author's log.
    public var log: LogID { LogID(author: id, epoch: epoch) }
}

/// The result of a local append: the new headers and the seal over the last.
public struct Appended: Hashable, Sendable {
    /// The new ops' headers, in order.
    public var headers: [OpHeader]
    /// The seal over the last new op.
    public var seal: Seal
    /// Op bodies the appended erasure ops dropped on this node.
    public var erased = 0
}
