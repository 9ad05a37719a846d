public import RoostCore
public import RoostStore
import RoostCrypto

/// One message of a sync session (Protocol/SPEC-sync.md §2b.3).
///
/// The canonical encoding is a tag byte followed by the message's fields, in the conventions of
/// Part 1 (big-endian integers, `u32`-length-prefixed strings and bodies). Framing (how the bytes of
/// one message are delimited on the connection) is the transport's job; a message is always a whole
/// frame, and ``decode(_:)`` rejects trailing bytes.
public enum SyncMessage: Hashable, Sendable {
    /// The first message on each side: who we are, what we hold, and how many batches we buffer.
    case hello(SyncHello)
    /// What the sender now holds (all of it, or only entries that changed); merged by maximum.
    case have(VersionVector)
    /// Ops the receiver lacks, cut at seals. `id` counts from 1 per session and direction.
    case batch(id: UInt64, OpBatch)
    /// The batch `id` was applied; `applied` ops were new to the receiver.
    case ack(id: UInt64, applied: Int)
    /// The batch `id` was refused; nothing of it was applied.
    case reject(id: UInt64, SyncRejection)
    /// A liveness probe; the peer answers with ``pong(nonce:)``.
    case ping(nonce: UInt64)
    /// The answer to ``ping(nonce:)``.
    case pong(nonce: UInt64)
    /// The sender ends the session; the connection closes after it.
    case bye(SyncByeCode)
    /// A new member's proof of an invite, sent once, before `hello`, to a member whose roster does not
    /// know it yet (§2b.9).
    case join(SyncJoin)
    /// Ephemeral presence of the sender's agent on a ticket ("viewing", "replying"); never stored (§2b.13).
    case presence(SyncPresence)
    /// Ops the sender holds as headers only (withheld, or erased by an erasure that became void) whose bodies it asks
    /// for (§2b.15): positions with their header hashes, ascending, 1…``SyncLimits/maxWantBodies``.
    case wantBodies([BodyWant])
    /// The answer to ``wantBodies(_:)``: the bodies the sender holds of those ops (maybe none), ascending by position.
    case bodies([HeldBody])
    /// Version 2: a digest of the sender's whole vector, sent at anti-entropy rounds instead of the vector
    /// (§2b.16). The receiver compares it with the same digest of what it believes the sender holds.
    case vectorDigest(VectorDigest)
    /// Version 2: the receiver's belief about the sender's vector did not match its digest; the sender
    /// answers with ``vector(_:)`` (§2b.16).
    case wantVector
    /// Version 2: the sender's whole vector, answering ``wantVector``. Unlike `have`, it *sets* what the
    /// receiver believes the sender holds, so the belief also comes down after a revocation's cut (§2b.16).
    case vector(VersionVector)
    /// Version 2: ops of these authors reached the sender first by another path; the receiver relays them to it
    /// lazily from now on (announced at once, pushed after the relay hold) (§2b.17).
    case prune([AuthorID])
    /// Version 2: ops of these authors reached the sender by a lazy push first; the receiver relays them eagerly
    /// again (§2b.17).
    case graft([AuthorID])
    /// Version 3: a batch as runs, only what the receiver cannot recompute (§2b.18). Decoded ops come grouped by log.
    case runs(id: UInt64, OpBatch)
    /// Version 4: format 2 logs as a batch v2 (Protocol/SPEC-format-2.md §2.6), numbered with `batch` and `runs`
    /// (§2b.19). The bytes are decoded by the session, whose dictionaries (one per direction) they update: the
    /// message codec checks only that they are there.
    case runsV2(id: UInt64, batch: [UInt8])
    /// Version 4, partial replication (SPEC-partial.md §P.3, §P.3b): the queues a partial node holds, sent before its
    /// `hello` and again when they change.
    case subscribe(Subscription)
    /// Version 4: held scopes whose history the sender lacks (SPEC-partial.md §P.3); part of a request.
    case wantScope(Set<ScopeID>)
    /// Version 4: an answer to a request (SPEC-partial.md §P.3): its bytes after the tag, decoded by the session with
    /// the direction's dictionary (`PartialWire.decodeBatch`). The message codec checks only that they are there.
    case partialBatch([UInt8])
    /// Version 4: the last `partial-batch` the sender applied from the receiver; ends a request (SPEC-partial.md §P.3b).
    case partialAck(UInt64)
    /// Version 4: scopes the sender received whole from another full peer (SPEC-partial.md §P.3); part of a request.
    case haveScope(Set<ScopeID>)

    /// Tag bytes, in encoding order of the specification.
    public enum Tag: UInt8, Sendable, CaseIterable {
        case hello = 1, have = 2, batch = 3, ack = 4, reject = 5, ping = 6, pong = 7, bye = 8, join = 9, presence = 10,
             wantBodies = 11, bodies = 12, subscribe = 13, wantScope = 14, vectorDigest = 15, wantVector = 16, vector = 17,
             prune = 18, graft = 19, partialBatch = 20, partialAck = 21, haveScope = 22, runs = 23, runsV2 = 24

        /// Messages of protocol version 2 (§2b.16, §2b.17): a protocol violation in a version 1 session.
        public static let sinceVersion2: Set<Tag> = [.vectorDigest, .wantVector, .vector, .prune, .graft]
        /// Messages of protocol version 3 (§2b.18): a protocol violation in a session below version 3.
        public static let sinceVersion3: Set<Tag> = [.runs]
        /// Messages of protocol version 4 (§2b.19): a protocol violation in a session below version 4.
        public static let sinceVersion4: Set<Tag> = [.runsV2, .subscribe, .wantScope, .partialBatch, .partialAck, .haveScope]
        /// Messages of partial replication (SPEC-partial.md §P.3b): a protocol violation in a full session.
        public static let partial: Set<Tag> = [.subscribe, .wantScope, .partialBatch, .partialAck, .haveScope]
    }

    /// This message's tag.
    public var tag: Tag {
        switch self {
        case .hello: .hello
        case .have: .have
        case .batch: .batch
        case .ack: .ack
        case .reject: .reject
        case .ping: .ping
        case .pong: .pong
        case .bye: .bye
        case .join: .join
        case .presence: .presence
        case .wantBodies: .wantBodies
        case .bodies: .bodies
        case .vectorDigest: .vectorDigest
        case .wantVector: .wantVector
        case .vector: .vector
        case .prune: .prune
        case .graft: .graft
        case .runs: .runs
        case .runsV2: .runsV2
        case .subscribe: .subscribe
        case .wantScope: .wantScope
        case .partialBatch: .partialBatch
        case .partialAck: .partialAck
        case .haveScope: .haveScope
        }
    }
}

/// The fields of a `vector-digest` (§2b.16): how many non-zero entries a vector has, and BLAKE2b-128 of
/// `"roost-vector-v1"` followed by the vector's encoding (the count and the entries in ascending order, as in `have`).
public struct VectorDigest: Hashable, Sendable {
    /// Domain separation of the hashed bytes.
    public static let domain = Array("roost-vector-v1".utf8)

    /// Non-zero entries of the vector.
    public var count: UInt32
    /// ``SyncLimits/vectorDigestBytes`` bytes.
    public var digest: [UInt8]

    /// Creates a digest message from its fields.
    public init(count: UInt32, digest: [UInt8]) {
        self.count = count
        self.digest = digest
    }

    /// The digest of `vector`.
    public init(of vector: VersionVector) {
        var w = ByteWriter(capacity: SyncMessage.encodedLength(of: vector))
        SyncMessage.encode(vector, into: &w)
        var hasher = Blake2bHasher(outputLength: SyncLimits.vectorDigestBytes)
        hasher.update(Self.domain)
        hasher.update(w.bytes)
        self.init(count: UInt32(vector.entries.values.count(where: { $0 > 0 })), digest: hasher.finalize())
    }
}

/// The fields of a `presence`: a ticket key and what the sender's agent is doing on it.
public struct SyncPresence: Hashable, Sendable {
    /// What the agent is doing.
    public enum Activity: UInt8, Sendable, CaseIterable {
        /// Left the ticket.
        case gone = 0
        /// Has the ticket open.
        case viewing = 1
        /// Is writing a reply.
        case replying = 2
    }

    /// Longest ticket key, in UTF-8 bytes.
    public static let maxTicketBytes = 256

    /// The ticket key.
    public var ticket: String
    /// The activity.
    public var activity: Activity

    /// Creates a presence message.
    public init(ticket: String, activity: Activity) {
        self.ticket = ticket
        self.activity = activity
    }
}

/// The fields of a `join`: the invite's public key and the invite key's Ed25519 signature over
/// `"roost-join-v1"`, the invite key, the joiner's node id and the member's node id (so a captured
/// `join` is worth nothing to any other pair of nodes).
public struct SyncJoin: Hashable, Sendable {
    /// Domain separation of the signed message.
    public static let domain = Array("roost-join-v1".utf8)

    /// The invite's Ed25519 public key (it names the `invite/<hex>` entity).
    public var inviteKey: Bytes32
    /// 64 bytes.
    public var signature: [UInt8]

    /// Creates a join message.
    public init(inviteKey: Bytes32, signature: [UInt8]) {
        self.inviteKey = inviteKey
        self.signature = signature
    }

    /// The bytes the invite key signs.
    public static func signedMessage(inviteKey: Bytes32, joiner: AuthorID, member: AuthorID) -> [UInt8] {
        domain + inviteKey.bytes + joiner.key.bytes + member.key.bytes
    }
}

/// The fields of a `hello`.
public struct SyncHello: Hashable, Sendable {
    /// The sender's protocol version (``SyncLimits/protocolVersion``).
    public var protocolVersion: UInt16
    /// The sender's node id (its author key); the transport has authenticated it.
    public var node: AuthorID
    /// How many unacknowledged batches the sender accepts in flight (1…``SyncLimits/maxWindow``).
    public var window: UInt16
    /// The highest sealed seq of every log the sender holds.
    public var vector: VersionVector

    /// Creates a hello.
    public init(protocolVersion: UInt16 = SyncLimits.protocolVersion, node: AuthorID, window: UInt16,
                vector: VersionVector) {
        self.protocolVersion = protocolVersion
        self.node = node
        self.window = window
        self.vector = vector
    }
}

/// Why a side ends a session, as carried by `bye`.
public enum SyncByeCode: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// Shutting down or otherwise done.
    case normal = 0
    /// The peer broke the protocol (undecodable message, unexpected message, window exceeded...).
    case protocolViolation = 1
    /// Nothing was received for the idle timeout.
    case idleTimeout = 2
    /// The peer speaks another protocol version.
    case incompatibleVersion = 3
    /// The peer's hello names another node than the transport authenticated, or this node itself.
    case unexpectedPeer = 4

    public var description: String {
        switch self {
        case .normal: "normal"
        case .protocolViolation: "protocol-violation"
        case .idleTimeout: "idle-timeout"
        case .incompatibleVersion: "incompatible-version"
        case .unexpectedPeer: "unexpected-peer"
        }
    }
}

// MARK: encoding

extension SyncMessage {
    /// The canonical encoding.
    public func encoded() -> [UInt8] {
        let capacity: Int
        if case let .runs(_, batch) = self { capacity = Self.encodedLengthBound(ofRuns: batch) } else { capacity = encodedLength }
        var w = ByteWriter(capacity: capacity)
        encode(into: &w)
        return w.bytes
    }

    /// Appends the canonical encoding.
    public func encode(into w: inout ByteWriter) {
        w.u8(tag.rawValue)
        switch self {
        case let .hello(hello):
            w.u16(hello.protocolVersion)
            w.bytes32(hello.node.key)
            w.u16(hello.window)
            Self.encode(hello.vector, into: &w)
        case let .have(vector):
            Self.encode(vector, into: &w)
        case let .batch(id, batch):
            w.u64(id)
            w.u32(UInt32(batch.ops.count))
            for op in batch.ops {
                op.header.encode(into: &w)
                if let body = op.body {
                    w.u8(1)
                    w.lengthPrefixed(body)
                } else {
                    w.u8(0)
                }
            }
            w.u32(UInt32(batch.seals.count))
            for seal in batch.seals { w.raw(seal.encoded()) }
        case let .runs(id, batch):
            w.u64(id)
            Self.encodeRuns(batch, into: &w)
        case let .runsV2(id, batch):
            w.u64(id)
            w.raw(batch)
        case let .subscribe(subscription):
            w.raw(PartialWire.encode(subscription))
        case let .wantScope(scopes):
            w.raw(PartialWire.encode(wantScopes: scopes))
        case let .haveScope(scopes):
            w.raw(PartialWire.encode(haveScopes: scopes))
        case let .partialBatch(bytes):
            w.raw(bytes)
        case let .partialAck(number):
            w.raw(PartialWire.encode(ack: number))
        case let .ack(id, applied):
            w.u64(id)
            w.u32(UInt32(clamping: applied))
        case let .reject(id, rejection):
            w.u64(id)
            w.u16(rejection.code.rawValue)
            if let op = rejection.op {
                w.u8(1)
                w.opRef(op)
            } else {
                w.u8(0)
            }
            w.string(SyncRejection.truncated(rejection.text))
        case let .ping(nonce), let .pong(nonce):
            w.u64(nonce)
        case let .bye(code):
            w.u8(code.rawValue)
        case let .join(join):
            w.bytes32(join.inviteKey)
            w.raw(join.signature)
        case let .presence(presence):
            w.u8(presence.activity.rawValue)
            w.string(presence.ticket)
        case let .wantBodies(wants):
            w.u32(UInt32(wants.count))
            for want in wants {
                w.opRef(want.ref)
                w.bytes32(want.hash)
            }
        case let .bodies(bodies):
            w.u32(UInt32(bodies.count))
            for item in bodies {
                w.opRef(item.ref)
                w.lengthPrefixed(item.body)
            }
        case let .vectorDigest(digest):
            w.u32(digest.count)
            w.raw(digest.digest)
        case .wantVector:
            break
        case let .vector(vector):
            Self.encode(vector, into: &w)
        case let .prune(authors), let .graft(authors):
            w.u32(UInt32(authors.count))
            for author in authors { w.bytes32(author.key) }
        }
    }

    /// The length of ``encoded()``, computed without encoding (a sender checks it against
    /// ``SyncLimits/maxMessageBytes`` before building a batch message).
    public var encodedLength: Int {
        switch self {
        case let .hello(hello): 1 + 2 + 32 + 2 + Self.encodedLength(of: hello.vector)
        case let .have(vector): 1 + Self.encodedLength(of: vector)
        case let .batch(_, batch): Self.encodedLength(ofBatch: batch)
        case .runs: encoded().count  // flags depend on hashes: encode (senders use encodedLengthBound(ofRuns:))
        case let .runsV2(_, batch): 1 + 8 + batch.count
        case let .partialBatch(bytes): 1 + bytes.count
        case let .subscribe(subscription): 1 + PartialWire.encode(subscription).count
        case let .wantScope(scopes), let .haveScope(scopes): 1 + Varint.length(UInt64(scopes.count)) + scopes.count * ScopeID.length
        case let .partialAck(number): 1 + Varint.length(number)
        case .ack: 1 + 8 + 4
        case let .reject(_, rejection):
            1 + 8 + 2 + 1 + (rejection.op == nil ? 0 : 48) + 4 + SyncRejection.truncated(rejection.text).utf8.count
        case .ping, .pong: 1 + 8
        case .bye: 2
        case .join: 1 + 32 + 64
        case let .presence(presence): 1 + 1 + 4 + presence.ticket.utf8.count
        case let .wantBodies(wants): 1 + 4 + wants.count * (48 + 32)
        case let .bodies(bodies): 1 + 4 + bodies.reduce(0) { $0 + 48 + 4 + $1.body.count }
        case .vectorDigest: 1 + 4 + SyncLimits.vectorDigestBytes
        case .wantVector: 1
        case let .vector(vector): 1 + Self.encodedLength(of: vector)
        case let .prune(authors), let .graft(authors): 1 + 4 + 32 * authors.count
        }
    }

    /// The encoded length of a `batch` message carrying `batch`.
    public static func encodedLength(ofBatch batch: OpBatch) -> Int {
        var total = 1 + 8 + 4 + 4 + batch.seals.count * Seal.encodedLength
        for op in batch.ops {
            total += OpHeader.encodedLength + 1 + (op.body.map { 4 + $0.count } ?? 0)
        }
        return total
    }

    static func encodedLength(of vector: VersionVector) -> Int {
        4 + vector.entries.values.count(where: { $0 > 0 }) * SyncLimits.vectorEntryBytes
    }

    /// A vector: `u32` count, then (author, epoch, seq) entries in ascending (author, epoch) order,
    /// zero entries left out.
    static func encode(_ vector: VersionVector, into w: inout ByteWriter) {
        let entries = vector.entries.filter { $0.value > 0 }.sorted { $0.key < $1.key }
        w.u32(UInt32(entries.count))
        for (log, seq) in entries {
            w.bytes32(log.author.key)
            w.u64(log.epoch)
            w.u64(seq)
        }
    }
}

// MARK: decoding

extension SyncMessage {
    /// Decodes exactly one message, checking every count and length against ``SyncLimits`` before
    /// allocating, and rejecting anything non-canonical or left over.
    public static func decode(_ bytes: [UInt8]) throws(ByteDecodingError) -> SyncMessage {
        if bytes.count > SyncLimits.maxMessageBytes {
            throw .tooLarge(field: "message", length: bytes.count, limit: SyncLimits.maxMessageBytes)
        }
        return try ByteReader.decodeAll(bytes) { r throws(ByteDecodingError) in try decode(from: &r) }
    }

    /// Reads one message.
    public static func decode(from r: inout ByteReader) throws(ByteDecodingError) -> SyncMessage {
        let rawTag = try r.u8("message.tag")
        guard let tag = Tag(rawValue: rawTag) else { throw .invalidTag(field: "message.tag", value: UInt64(rawTag)) }
        switch tag {
        case .hello:
            let version = try r.u16("hello.protocolVersion")
            let node = AuthorID(key: try r.bytes32("hello.node"))
            let window = try r.u16("hello.window")
            if window == 0 { throw .invalidTag(field: "hello.window", value: 0) }
            if Int(window) > SyncLimits.maxWindow {
                throw .tooLarge(field: "hello.window", length: Int(window), limit: SyncLimits.maxWindow)
            }
            let vector = try decodeVector(from: &r, field: "hello.vector")
            return .hello(SyncHello(protocolVersion: version, node: node, window: window, vector: vector))
        case .have:
            return .have(try decodeVector(from: &r, field: "have.vector"))
        case .batch:
            let id = try r.u64("batch.id")
            return .batch(id: id, try decodeBatch(from: &r))
        case .runs:
            let id = try r.u64("runs.id")
            return .runs(id: id, try decodeRuns(from: &r))
        case .runsV2:
            let id = try r.u64("runsV2.id")
            // At least the run count; the session decodes the rest with its dictionaries (SPEC-format-2.md §2.6).
            guard r.remaining >= 1 else { throw .truncated(field: "runsV2.batch") }
            return .runsV2(id: id, batch: try r.raw(r.remaining, "runsV2.batch"))
        case .subscribe:
            return .subscribe(try PartialWire.decodeSubscription(try r.raw(r.remaining, "subscribe")))
        case .wantScope:
            return .wantScope(try PartialWire.decodeWantScopes(try r.raw(r.remaining, "wantScope")))
        case .haveScope:
            return .haveScope(try PartialWire.decodeHaveScopes(try r.raw(r.remaining, "haveScope")))
        case .partialBatch:
            // At least the batch number; the session decodes the rest with its dictionary (SPEC-partial.md §P.3b).
            guard r.remaining >= 1 else { throw .truncated(field: "partialBatch") }
            return .partialBatch(try r.raw(r.remaining, "partialBatch"))
        case .partialAck:
            return .partialAck(try PartialWire.decodeAck(try r.raw(r.remaining, "partialAck")))
        case .ack:
            let id = try r.u64("ack.id")
            let applied = try r.u32("ack.applied")
            if Int(applied) > SyncLimits.maxBatchOps {
                throw .tooLarge(field: "ack.applied", length: Int(applied), limit: SyncLimits.maxBatchOps)
            }
            return .ack(id: id, applied: Int(applied))
        case .reject:
            let id = try r.u64("reject.id")
            let rawCode = try r.u16("reject.code")
            guard let code = SyncRejectCode(rawValue: rawCode) else {
                throw .invalidTag(field: "reject.code", value: UInt64(rawCode))
            }
            let op: OpRef?
            switch try r.u8("reject.hasOp") {
            case 0: op = nil
            case 1: op = try r.opRef("reject.op")
            case let flag: throw .invalidTag(field: "reject.hasOp", value: UInt64(flag))
            }
            let text = try r.string("reject.text", limit: SyncLimits.maxReasonBytes)
            return .reject(id: id, SyncRejection(code: code, op: op, text: text))
        case .ping:
            return .ping(nonce: try r.u64("ping.nonce"))
        case .pong:
            return .pong(nonce: try r.u64("pong.nonce"))
        case .bye:
            let raw = try r.u8("bye.code")
            guard let code = SyncByeCode(rawValue: raw) else { throw .invalidTag(field: "bye.code", value: UInt64(raw)) }
            return .bye(code)
        case .join:
            let key = try r.bytes32("join.inviteKey")
            let signature = try r.bytes32("join.signature").bytes + r.bytes32("join.signature").bytes
            return .join(SyncJoin(inviteKey: key, signature: signature))
        case .presence:
            let raw = try r.u8("presence.activity")
            guard let activity = SyncPresence.Activity(rawValue: raw) else {
                throw .invalidTag(field: "presence.activity", value: UInt64(raw))
            }
            return .presence(SyncPresence(ticket: try r.string("presence.ticket", limit: SyncPresence.maxTicketBytes),
                                          activity: activity))
        case .wantBodies:
            let count = Int(try r.u32("wantBodies.count"))
            if count == 0 { throw .notCanonical("want-bodies names no op") }
            if count > SyncLimits.maxWantBodies {
                throw .tooLarge(field: "wantBodies.count", length: count, limit: SyncLimits.maxWantBodies)
            }
            if count * 80 > r.remaining { throw .truncated(field: "wantBodies") }
            var wants: [BodyWant] = []
            wants.reserveCapacity(count)
            for _ in 0..<count {
                let ref = try r.opRef("wantBodies.op")
                if let last = wants.last, !(last.ref < ref) { throw .notCanonical("want-bodies positions not strictly ascending") }
                wants.append(BodyWant(ref: ref, hash: try r.bytes32("wantBodies.hash")))
            }
            return .wantBodies(wants)
        case .bodies:
            let count = Int(try r.u32("bodies.count"))
            if count > SyncLimits.maxWantBodies {
                throw .tooLarge(field: "bodies.count", length: count, limit: SyncLimits.maxWantBodies)
            }
            if count * 52 > r.remaining { throw .truncated(field: "bodies") }
            var bodies: [HeldBody] = []
            bodies.reserveCapacity(count)
            for _ in 0..<count {
                let ref = try r.opRef("bodies.op")
                if let last = bodies.last, !(last.ref < ref) { throw .notCanonical("bodies positions not strictly ascending") }
                bodies.append(HeldBody(ref: ref, body: try r.lengthPrefixed("bodies.body", limit: Limits.maxBodyBytes)))
            }
            return .bodies(bodies)
        case .vectorDigest:
            let count = try r.u32("vectorDigest.count")
            if Int(count) > SyncLimits.maxVectorEntries {
                throw .tooLarge(field: "vectorDigest.count", length: Int(count), limit: SyncLimits.maxVectorEntries)
            }
            let digest = try r.raw(SyncLimits.vectorDigestBytes, "vectorDigest.digest")
            return .vectorDigest(VectorDigest(count: count, digest: digest))
        case .wantVector:
            return .wantVector
        case .vector:
            return .vector(try decodeVector(from: &r, field: "vector.vector"))
        case .prune:
            return .prune(try decodeAuthors(from: &r, field: "prune.authors"))
        case .graft:
            return .graft(try decodeAuthors(from: &r, field: "graft.authors"))
        }
    }

    /// A `prune` or `graft` list: `u32` count (1…``SyncLimits/maxVectorEntries``), then author ids in strictly
    /// ascending byte order.
    static func decodeAuthors(from r: inout ByteReader, field: String) throws(ByteDecodingError) -> [AuthorID] {
        let count = Int(try r.u32(field + ".count"))
        if count == 0 { throw .notCanonical("\(field) names no author") }
        if count > SyncLimits.maxVectorEntries {
            throw .tooLarge(field: field, length: count, limit: SyncLimits.maxVectorEntries)
        }
        if count * 32 > r.remaining { throw .truncated(field: field) }
        var authors: [AuthorID] = []
        authors.reserveCapacity(count)
        for _ in 0..<count {
            let author = AuthorID(key: try r.bytes32(field))
            if let last = authors.last, !(last < author) { throw .notCanonical("\(field) not strictly ascending") }
            authors.append(author)
        }
        return authors
    }

    static func decodeVector(from r: inout ByteReader, field: String) throws(ByteDecodingError) -> VersionVector {
        let count = Int(try r.u32(field + ".count"))
        if count > SyncLimits.maxVectorEntries {
            throw .tooLarge(field: field, length: count, limit: SyncLimits.maxVectorEntries)
        }
        if count * SyncLimits.vectorEntryBytes > r.remaining { throw .truncated(field: field) }
        var entries: [LogID: UInt64] = [:]
        entries.reserveCapacity(count)
        var previous: LogID?
        for _ in 0..<count {
            let author = AuthorID(key: try r.bytes32(field + ".author"))
            let epoch = try r.u64(field + ".epoch")
            let seq = try r.u64(field + ".seq")
            if seq == 0 { throw .notCanonical("\(field) has a zero entry") }
            for (name, value) in [(".epoch", epoch), (".seq", seq)] where value > Limits.maxOrdinal {
                throw .tooLarge(field: field + name, length: Int(clamping: value), limit: Int(Limits.maxOrdinal))
            }
            let log = LogID(author: author, epoch: epoch)
            if let previous, !(previous < log) { throw .notCanonical("\(field) entries are not in ascending order") }
            previous = log
            entries[log] = seq
        }
        return VersionVector(entries)
    }

    static func decodeBatch(from r: inout ByteReader) throws(ByteDecodingError) -> OpBatch {
        let opCount = Int(try r.u32("batch.opCount"))
        if opCount > SyncLimits.maxBatchOps {
            throw .tooLarge(field: "batch.ops", length: opCount, limit: SyncLimits.maxBatchOps)
        }
        if opCount * SyncLimits.minOpBytes > r.remaining { throw .truncated(field: "batch.ops") }
        var ops: [Op] = []
        ops.reserveCapacity(opCount)
        for _ in 0..<opCount {
            let header = try OpHeader.decode(from: &r)
            switch try r.u8("batch.op.hasBody") {
            case 0:
                ops.append(Op(header: header, body: nil))
            case 1:
                ops.append(Op(header: header, body: try r.lengthPrefixed("batch.op.body", limit: Limits.maxBodyBytes)))
            case let flag:
                throw .invalidTag(field: "batch.op.hasBody", value: UInt64(flag))
            }
        }
        let sealCount = Int(try r.u32("batch.sealCount"))
        if sealCount > SyncLimits.maxBatchSeals {
            throw .tooLarge(field: "batch.seals", length: sealCount, limit: SyncLimits.maxBatchSeals)
        }
        if sealCount * Seal.encodedLength > r.remaining { throw .truncated(field: "batch.seals") }
        var seals: [Seal] = []
        seals.reserveCapacity(sealCount)
        for _ in 0..<sealCount {
            // 144 bytes read as 18 big-endian words, then checked by the seal's own decoder.
            var w = ByteWriter(capacity: Seal.encodedLength)
            for _ in 0..<(Seal.encodedLength / 8) { w.u64(try r.u64("batch.seal")) }
            seals.append(try Seal.decode(w.bytes))
        }
        return OpBatch(ops: ops, seals: seals)
    }
}
