public import RoostCore
public import RoostCrypto

/// Writes one author's format 2 log as SPEC-format-2.md §2.4–§2.5 say: each op's scope (§2.2), its prev and scope prev,
/// its header and hash, and a seal v2 over each batch with its scopes root. The store only applies format 2 so far
/// (DESIGN-format-2.md F2.9, step (a)); tests and the benchmarks write with this. A message op that is not its insert
/// is scoped by the messages this writer inserted (a node's own append will ask its store, step (b)).
public struct Format2LogWriter: Sendable {
    /// The author's key.
    public let key: SigningKey
    /// The log's epoch.
    public let epoch: UInt64
    /// The last op's seq (0 before the first).
    public private(set) var seq: UInt64 = 0
    /// The last op's hash.
    public private(set) var prev = Bytes32.zero
    /// Every op's hash, by seq.
    public private(set) var hashes: [UInt64: Bytes32] = [:]
    private var lastInScope: [ScopeID: UInt64] = [:]
    private var messageTickets: [String: String] = [:]
    private var sealedThrough: UInt64 = 0
    private var range: [(scope: ScopeID, hash: Bytes32)] = []

    /// A writer of a new log.
    public init(key: SigningKey, epoch: UInt64) { self.key = key; self.epoch = epoch }

    /// The log written.
    public var log: LogID { LogID(author: key.authorID, epoch: epoch) }

    /// The next op of the log.
    public mutating func op(_ body: OpBody, hlc: HLC) -> OpBatchV2.Op {
        seq += 1
        if case let .insert(entity, fields) = body, entity.collection == "message",
           case let .string(ticket)? = fields.first(where: { $0.name == "ticket" })?.value {
            messageTickets[entity.key] = ticket
        }
        let tickets = messageTickets
        let scope = OpCryptoV2.scopeID(Scope.name(of: body) { tickets[$0] })
        let (header, bytes) = OpCryptoV2.makeHeader(author: key.authorID, epoch: epoch, seq: seq, prev: prev, hlc: hlc, scope: scope,
                                                    scopePrev: lastInScope[scope] ?? 0, body: body)
        let hash = OpCryptoV2.opHash(header)
        prev = hash
        hashes[seq] = hash
        lastInScope[scope] = seq
        range.append((scope, hash))
        return OpBatchV2.Op(header: header, body: bytes)
    }

    /// The seal over the ops since the last one.
    public mutating func seal() -> SealV2 {
        let seal = OpCryptoV2.seal(key: key, epoch: epoch, fromSeq: sealedThrough + 1, seq: seq, head: prev,
                                   scopesRoot: OpCryptoV2.root(OpCryptoV2.leaves(of: range)))
        sealedThrough = seq
        range = []
        return seal
    }

    /// A sealed batch of `bodies`, the n-th at `hlc(n)`.
    public mutating func batch(_ bodies: [OpBody], hlc: (Int) -> HLC) -> OpBatchV2 {
        let ops = bodies.enumerated().map { op($0.element, hlc: hlc($0.offset)) }
        return OpBatchV2(ops: ops, seals: [seal()])
    }
}
