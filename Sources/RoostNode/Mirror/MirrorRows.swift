public import RoostCore

/// Where a warehouse mirror stands: the node it copies and the version vector of the ops it has taken in.
/// Stored in the warehouse in the same transaction as the rows, so a mirror stopped at any point resumes exactly.
public struct MirrorCursor: Codable, Sendable, Equatable {
    /// One log's position.
    public struct Entry: Codable, Sendable, Equatable {
        public var author: String
        public var epoch: UInt64
        public var seq: UInt64
    }

    /// The node id (text) whose store is mirrored.
    public var node: String
    /// The version vector taken in, sorted by log.
    public var vector: [Entry]
    /// On a partial node (Protocol/SPEC-partial.md §P.7): how many times what it holds changed
    /// (``OpStore/partialGeneration()``), and what the warehouse covers. Absent on a full node.
    public var held: UInt64?
    public var covers: String?

    /// The cursor of `node` at `vector`; `held` and `covers` on a partial node.
    public init(node: AuthorID, vector: VersionVector, held: UInt64? = nil, covers: String? = nil) {
        self.node = node.text
        self.vector = vector.entries.sorted { $0.key < $1.key }.map {
            Entry(author: $0.key.author.text, epoch: $0.key.epoch, seq: $0.value)
        }
        self.held = held
        self.covers = covers
    }

    /// The version vector, or nil when an author id does not read (a cursor written by something else).
    public var versionVector: VersionVector? {
        var vector = VersionVector()
        for entry in self.vector {
            guard let author = try? AuthorID(text: entry.author) else { return nil }
            vector[LogID(author: author, epoch: entry.epoch)] = entry.seq
        }
        return vector
    }
}

/// One ticket as the warehouse holds it (`roost_tickets`; README "Warehouse mirror" documents every column).
/// Times are Unix milliseconds, as the node keeps them, so the report's arithmetic is repeated exactly in SQL.
public struct MirrorTicket: Codable, Sendable, Equatable {
    public var key: String
    public var channel: String
    public var brand: String
    public var customer: String
    public var status: String
    public var reopened: Bool
    public var priority: String
    public var tier: String
    public var queue: String?
    public var resolution: String?
    public var holder: String?
    public var holderName: String?
    public var leaseEndsMs: Int64?
    public var firstInboundMs: Int64?
    public var lastInboundMs: Int64?
    public var firstResponseMs: Int64?
    /// When the first response is (or was) due under the team's SLA targets and policy at mirror time.
    public var firstResponseDueMs: Int64?
    public var lastMessageMs: Int64?
    public var statusSetMs: Int64?
    public var statusBy: String?
    public var statusByName: String?
    public var messages: Int
    /// Resolved as taken to DM, or a reply went by DM (the report's "taken to DM").
    public var tookDm: Bool
}

/// One message's metadata (`roost_messages`). The text stays on the nodes: a warehouse is copied and backed up
/// where an erasure cannot follow it.
public struct MirrorMessage: Codable, Sendable, Equatable {
    public var id: String
    public var ticket: String
    public var direction: String
    public var author: String
    /// Who the report credits an outbound message to (member name, else the author with the text's signature).
    public var sender: String
    public var createdMs: Int64
    public var dm: Bool
    public var signature: String?
}

/// A tag on a ticket (`roost_ticket_tags`).
public struct MirrorTag: Codable, Sendable, Equatable {
    public var ticket: String
    public var tag: String
}

/// Something that happened to a ticket (`roost_events`): one row per op for claims and their releases, handoffs and
/// takeovers, tags added and removed, status, priority, queue, tier and resolution changes; one per message
/// (`reply` for an outbound one, `inbound`, `note`; from the message's row, which an erasure keeps); SLA breaches
/// are added in the warehouse (kind `sla_breach`, see `MirrorSchema`).
public struct MirrorEvent: Codable, Sendable, Equatable {
    /// The row's identity, so replaying a pass adds nothing: the op's reference `author-id:epoch-hex:seq`,
    /// `msg:<message id>` or `sla:<ticket>`.
    public var op: String
    public var ticket: String
    public var kind: String
    public var actor: String
    public var actorName: String
    /// The op's hybrid logical clock time (its physical part), or the message's time.
    public var atMs: Int64
    /// The tag, the new value, the claim's holder, or the message id.
    public var detail: String?
}

/// A member of the team (`roost_agents`).
public struct MirrorAgent: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var role: String
    public var revoked: Bool
}

/// A claim that lost to a concurrent one (`roost_claim_conflicts`; the report counts `reason = 'concurrent'`).
public struct MirrorConflict: Codable, Sendable, Equatable {
    public var op: String
    public var ticket: String
    public var reason: String
}

/// What one mirror pass writes: the rows of the tickets the new ops touched (every ticket when `full`), the
/// events of those ops, and the cursor after them.
public struct MirrorChange: Sendable, Equatable {
    /// Everything is replaced: the first pass, another node's cursor, roster or team changes (names, SLA policy),
    /// erased bodies, revoked members' ops removed, or more new ops than ``DeskService/mirrorMaxIncrementalOps``.
    public var full: Bool
    /// Why a pass is full, said in the report; nil for an incremental one.
    public var fullReason: String?
    /// The position after this change.
    public var cursor: MirrorCursor
    /// Tickets whose rows, messages and tags are replaced (those still projected are in ``tickets``).
    public var refreshed: [String]
    public var tickets: [MirrorTicket]
    public var messages: [MirrorMessage]
    public var tags: [MirrorTag]
    public var events: [MirrorEvent]
    /// Replaced wholesale on a full pass; nil on an incremental one.
    public var agents: [MirrorAgent]?
    /// Replaced wholesale when any claim op is new.
    public var conflicts: [MirrorConflict]?
    /// Ops read to build the change.
    public var opsRead: Int

    /// Whether the pass has nothing to write.
    public var isEmpty: Bool { !full && refreshed.isEmpty && events.isEmpty && conflicts == nil }
}

extension OpRef {
    /// The text form a warehouse keys an op by: `author-id:epoch-hex:seq`.
    public var mirrorText: String { "\(author.text):\(String(epoch, radix: 16)):\(seq)" }
}
