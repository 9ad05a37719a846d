public import RoostCore

/// The payloads of partial replication's messages (Protocol/SPEC-partial.md §P.3): `subscribe` (tag 13),
/// `want-scope` (tag 14), `partial-batch` (tag 20), `partial-ack` (tag 21) and `have-scope` (tag 22). Canonical: lists sorted and without duplicates; limits checked
/// before anything is allocated.
public enum PartialWire {
    /// Most queues one subscription names.
    public static let maxQueues = 1_024
    /// Longest queue name in bytes (RoutingRules: 1 to 64 characters).
    public static let maxQueueBytes = 256
    /// Most scopes one `want-scope` or `have-scope` names.
    public static let maxWantScopes = 1_024

    // MARK: subscribe

    /// `u8 everything` ‖ `varint count` ‖ `string queue × count` (sorted, unique; count 0 when everything is 1).
    public static func encode(_ subscription: Subscription) -> [UInt8] {
        var w = ByteWriter()
        w.u8(subscription.everything ? 1 : 0)
        let queues = subscription.everything ? [] : subscription.queues.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        w.varint(UInt64(queues.count))
        for queue in queues { w.varBytes(Array(queue.utf8)) }
        return w.bytes
    }

    /// Decodes a `subscribe` payload.
    public static func decodeSubscription(_ bytes: [UInt8]) throws(ByteDecodingError) -> Subscription {
        try ByteReader.decodeAll(bytes) { r throws(ByteDecodingError) in
            let everything = try r.u8("subscribe.everything")
            guard everything <= 1 else { throw .invalidTag(field: "subscribe.everything", value: UInt64(everything)) }
            let count = try r.varLength("subscribe.queues", limit: maxQueues)
            if everything == 1 {
                guard count == 0 else { throw .notCanonical("a full subscription names no queue") }
                return .full
            }
            var queues: [String] = []
            var previous: [UInt8]?
            for _ in 0..<count {
                let raw = try r.varBytes("subscribe.queue", limit: maxQueueBytes)
                guard !raw.isEmpty, let queue = String(validating: raw, as: UTF8.self) else {
                    throw raw.isEmpty ? .notCanonical("an empty queue name") : .invalidUTF8(field: "subscribe.queue")
                }
                if let previous, !previous.lexicographicallyPrecedes(raw) { throw .notCanonical("queues not sorted and unique") }
                previous = raw
                queues.append(queue)
            }
            return Subscription(queues: Set(queues))
        }
    }

    // MARK: want-scope and have-scope

    /// A `want-scope` payload: `varint count` (1…1,024) ‖ `scope id × count` (sorted, unique).
    public static func encode(wantScopes scopes: Set<ScopeID>) -> [UInt8] { encodeScopeList(scopes, message: "want-scope") }

    /// Decodes a `want-scope` payload.
    public static func decodeWantScopes(_ bytes: [UInt8]) throws(ByteDecodingError) -> Set<ScopeID> {
        try decodeScopeList(bytes, message: "want-scope")
    }

    /// A `have-scope` payload, laid out as `want-scope`'s: scopes the sender received whole from another full peer
    /// since this peer's last batch (SPEC-partial.md §P.3).
    public static func encode(haveScopes scopes: Set<ScopeID>) -> [UInt8] { encodeScopeList(scopes, message: "have-scope") }

    /// Decodes a `have-scope` payload.
    public static func decodeHaveScopes(_ bytes: [UInt8]) throws(ByteDecodingError) -> Set<ScopeID> {
        try decodeScopeList(bytes, message: "have-scope")
    }

    private static func encodeScopeList(_ scopes: Set<ScopeID>, message: String) -> [UInt8] {
        precondition(!scopes.isEmpty && scopes.count <= maxWantScopes, "a \(message) names 1 to \(maxWantScopes) scopes")
        var w = ByteWriter()
        w.varint(UInt64(scopes.count))
        for scope in scopes.sorted() { w.scope(scope) }
        return w.bytes
    }

    private static func decodeScopeList(_ bytes: [UInt8], message: String) throws(ByteDecodingError) -> Set<ScopeID> {
        try ByteReader.decodeAll(bytes) { r throws(ByteDecodingError) in
            let count = try r.varLength(message + ".count", limit: maxWantScopes)
            guard count >= 1 else { throw .notCanonical("a \(message) names at least one scope") }
            return try sortedScopes(&r, count: count, field: message + ".scope")
        }
    }

    // MARK: partial-batch

    /// `varint number` ‖ `u8 complete` (0 or 1; 0 when n is 0) ‖ `varint n` ‖ `scope id × n` (the scopes sent whole,
    /// sorted, unique) ‖ `varint m` ‖ m × (`author` (32) ‖
    /// `varint epoch` ‖ `varint seq`) (covered, sorted by author then epoch, unique, seq ≥ 1) ‖ runs (SPEC-format-2.md
    /// §2.6, with the direction's dictionary).
    public static func encode(_ batch: PartialBatch, dictionary: inout RunDictionary) -> [UInt8] {
        var w = ByteWriter()
        precondition(!batch.complete || !batch.backfill.isEmpty, "only a batch with whole scopes says whether they are complete")
        w.varint(batch.number)
        w.u8(batch.complete ? 1 : 0)
        w.varint(UInt64(batch.backfill.count))
        for scope in batch.backfill.sorted() { w.scope(scope) }
        w.varint(UInt64(batch.covered.count))
        for (log, seq) in batch.covered.sorted(by: { $0.key < $1.key }) {
            w.bytes32(log.author.key)
            w.varint(log.epoch)
            w.varint(seq)
        }
        w.raw(RunV2.encode(batch.runs, dictionary: &dictionary))
        return w.bytes
    }

    /// Decodes a `partial-batch` payload.
    public static func decodeBatch(_ bytes: [UInt8], dictionary: inout RunDictionary) throws(ByteDecodingError) -> PartialBatch {
        let head: Result<(UInt64, Bool, Set<ScopeID>, [LogID: UInt64], Int), ByteDecodingError> = bytes.withUnsafeBytes { buffer in
            var r = ByteReader(buffer)
            return Result { () throws(ByteDecodingError) -> (UInt64, Bool, Set<ScopeID>, [LogID: UInt64], Int) in
                let number = try r.ordinal("partial-batch.number")
                let complete = try r.u8("partial-batch.complete")
                guard complete <= 1 else { throw .invalidTag(field: "partial-batch.complete", value: UInt64(complete)) }
                let backfillCount = try r.varLength("partial-batch.backfill", limit: SyncLimits.maxBatchOps)
                guard complete == 0 || backfillCount > 0 else { throw .notCanonical("complete is 0 when no scope is sent whole") }
                let backfill = try sortedScopes(&r, count: backfillCount, field: "partial-batch.backfill")
                let coveredCount = try r.varLength("partial-batch.covered", limit: SyncLimits.maxBatchOps)
                var covered: [LogID: UInt64] = [:]
                var previous: LogID?
                for _ in 0..<coveredCount {
                    let log = LogID(author: AuthorID(key: try r.bytes32("covered.author")), epoch: try r.ordinal("covered.epoch"))
                    let seq = try r.ordinal("covered.seq")
                    guard seq >= 1 else { throw .notCanonical("a covered seq is at least 1") }
                    if let previous, !(previous < log) { throw .notCanonical("covered logs not sorted and unique") }
                    previous = log
                    covered[log] = seq
                }
                return (number, complete == 1, backfill, covered, r.offset)
            }
        }
        let (number, complete, backfill, covered, offset) = try head.get()
        let runs = try RunV2.decode(Array(bytes[offset...]), dictionary: &dictionary)
        return PartialBatch(runs: runs, backfill: backfill, covered: covered, number: number, complete: complete)
    }

    // MARK: partial-ack

    /// `varint number`: the last `partial-batch` the sender applied from the receiver (tag 21).
    public static func encode(ack number: UInt64) -> [UInt8] {
        var w = ByteWriter()
        w.varint(number)
        return w.bytes
    }

    /// Decodes a `partial-ack` payload.
    public static func decodeAck(_ bytes: [UInt8]) throws(ByteDecodingError) -> UInt64 {
        try ByteReader.decodeAll(bytes) { r throws(ByteDecodingError) in try r.ordinal("partial-ack.number") }
    }

    private static func sortedScopes(_ r: inout ByteReader, count: Int, field: String) throws(ByteDecodingError) -> Set<ScopeID> {
        var scopes: Set<ScopeID> = []
        var previous: ScopeID?
        for _ in 0..<count {
            let scope = try r.scope(field)
            if let previous, !(previous < scope) { throw .notCanonical("\(field): not sorted and unique") }
            previous = scope
            scopes.insert(scope)
        }
        return scopes
    }
}
