public import RoostCore
import RoostCrypto
public import RoostStore

/// The `runs` encoding of a batch (Protocol/SPEC-sync.md §2b.18): per log at consecutive seqs, only what the
/// receiver cannot recompute. Decoding rebuilds every 127-byte header; the batch is then applied as any other.
extension SyncMessage {
    /// The batch a `batch` or `runs` message carries, with its id; nil for every other message.
    /// Whether the message carries ops: `batch`, `runs` or `runs-v2` (acknowledged, counted in the window).
    public var isBatch: Bool {
        switch self {
        case .batch, .runs, .runsV2: true
        default: false
        }
    }

    public var carriedBatch: (id: UInt64, batch: OpBatch)? {
        switch self {
        case let .batch(id, batch), let .runs(id, batch): (id, batch)
        default: nil
        }
    }

    /// Per-op flags of a run op.
    enum RunFlag {
        static let body: UInt8 = 1
        static let prev: UInt8 = 2
        static let fields: UInt8 = 4
        static let all: UInt8 = body | prev | fields
    }

    /// Bytes a run adds at most besides its ops: author, epoch, first seq, prev, op count.
    static let runBoundBytes = 32 + Varint.maxBytes + Varint.maxBytes + 32 + 5
    /// Bytes an op of a run takes at most besides its body: flags, hlc, kind, prev, length, hash, body length.
    static let runOpBoundBytes = 1 + Varint.maxBytes + 3 + 32 + 5 + 32 + 5

    /// An upper bound of the `runs` message's length for `batch`, computed without hashing (a sender checks it
    /// against ``SyncLimits/maxMessageBytes``; the store's batch read budgets `batch`'s encoding).
    public static func encodedLengthBound(ofRuns batch: OpBatch) -> Int {
        var total = 1 + 8 + 5 + 5 + batch.seals.count * Seal.encodedLength
        var runs = 0
        var last: (log: LogID, seq: UInt64)?
        for op in batch.ops {
            let log = op.header.ref.log
            if last?.log != log || last?.seq != op.header.seq &- 1 { runs += 1 }
            last = (log, op.header.seq)
            total += runOpBoundBytes + (op.body?.count ?? 0)
        }
        return total + runs * runBoundBytes
    }

    /// `batch` as a `runs` message decodes it: its ops grouped by log (§2b.18), its seals as they are.
    public static func runsOrder(of batch: OpBatch) -> OpBatch {
        OpBatch(ops: runs(of: batch).ordered, seals: batch.seals)
    }

    /// The batch's ops grouped by log (in the order of each log's first op, each log's ops in batch order) and cut
    /// where seqs are not consecutive: the runs of §2b.18, as ranges of `ordered`.
    static func runs(of batch: OpBatch) -> (ordered: [Op], runs: [Range<Int>]) {
        var ordered: [Op] = []
        ordered.reserveCapacity(batch.ops.count)
        var runs: [Range<Int>] = []
        for (log, ops) in batch.opsByLog {
            for op in ops {
                // The last run ends at the last op placed, so it continues when this op follows that one.
                if let last = ordered.last, last.header.ref.log == log, last.header.seq &+ 1 == op.header.seq {
                    runs[runs.count - 1] = runs[runs.count - 1].lowerBound..<(ordered.count + 1)
                } else {
                    runs.append(ordered.count..<(ordered.count + 1))
                }
                ordered.append(op)
            }
        }
        return (ordered, runs)
    }

    static func encodeRuns(_ batch: OpBatch, into w: inout ByteWriter) {
        let (ordered, runs) = Self.runs(of: batch)
        w.varint(UInt64(runs.count))
        for run in runs {
            let first = ordered[run.lowerBound].header
            w.bytes32(first.author.key)
            w.varint(first.epoch)
            w.varint(first.seq)
            w.bytes32(first.prev)
            w.varint(UInt64(run.count))
            var previous: OpHeader?
            for op in ordered[run] {
                let header = op.header
                var flags: UInt8 = 0
                if let previous, header.prev != OpCrypto.headerHash(previous) { flags |= RunFlag.prev }
                if let body = op.body {
                    flags |= RunFlag.body
                    if header.bodyLength != UInt32(body.count) || header.bodyHash != OpCrypto.bodyHash(body) {
                        flags |= RunFlag.fields
                    }
                }
                w.u8(flags)
                if let previous {
                    w.varint(Varint.zigzag(Int64(bitPattern: header.hlc.rawValue &- previous.hlc.rawValue)))
                } else {
                    w.varint(header.hlc.rawValue)
                }
                w.varint(UInt64(header.kind.rawValue))
                if flags & RunFlag.prev != 0 { w.bytes32(header.prev) }
                if flags & RunFlag.body == 0 || flags & RunFlag.fields != 0 {
                    w.varint(UInt64(header.bodyLength))
                    w.bytes32(header.bodyHash)
                }
                if let body = op.body { w.varBytes(body) }
                previous = header
            }
        }
        w.varint(UInt64(batch.seals.count))
        for seal in batch.seals { w.raw(seal.encoded()) }
    }

    static func decodeRuns(from r: inout ByteReader) throws(ByteDecodingError) -> OpBatch {
        let runCount = try r.varLength("runs.runCount", limit: SyncLimits.maxBatchOps)
        // A run is at least 32 + 1 + 1 + 32 + 1 bytes and one 4-byte op.
        if runCount * 71 > r.remaining { throw .truncated(field: "runs.runs") }
        var ops: [Op] = []
        var previousRun: (log: LogID, end: UInt64)?
        var logsSeen = Set<LogID>()
        for _ in 0..<runCount {
            let author = AuthorID(key: try r.bytes32("runs.run.author"))
            let epoch = try r.ordinal("runs.run.epoch")
            let firstSeq = try r.ordinal("runs.run.firstSeq")
            if firstSeq == 0 { throw .invalidTag(field: "runs.run.firstSeq", value: 0) }
            let firstPrev = try r.bytes32("runs.run.prev")
            let opCount = try r.varLength("runs.run.opCount", limit: SyncLimits.maxBatchOps - ops.count)
            if opCount == 0 { throw .notCanonical("a run holds no op") }
            if opCount * 4 > r.remaining { throw .truncated(field: "runs.run.ops") }
            let log = LogID(author: author, epoch: epoch)
            if let previousRun, previousRun.log == log {
                if previousRun.end == firstSeq { throw .notCanonical("a run continues the run before it") }
            } else if logsSeen.contains(log) {
                throw .notCanonical("a log's runs are separated by another log's")
            }
            logsSeen.insert(log)
            ops.reserveCapacity(ops.count + opCount)
            var previous: OpHeader?
            for index in 0..<opCount {
                let flags = try r.u8("runs.op.flags")
                if flags & ~RunFlag.all != 0 { throw .invalidTag(field: "runs.op.flags", value: UInt64(flags)) }
                let rawHLC = try r.varint("runs.op.hlc")
                let hlc: UInt64
                if let previous {
                    let delta = Varint.unzigzag(rawHLC)
                    let (value, overflow) = previous.hlc.rawValue.addingReportingOverflow(UInt64(bitPattern: delta))
                    if (delta >= 0) == overflow { throw .tooLarge(field: "runs.op.hlc", length: Int(clamping: rawHLC), limit: Int(Limits.maxOrdinal)) }
                    hlc = value
                } else {
                    hlc = rawHLC
                }
                let rawKind = try r.varint("runs.op.kind")
                guard rawKind <= UInt64(UInt16.max), let kind = OpKind(rawValue: UInt16(rawKind)) else {
                    throw .invalidTag(field: "runs.op.kind", value: rawKind)
                }
                let computedPrev = previous.map(OpCrypto.headerHash) ?? firstPrev
                var prev = computedPrev
                if flags & RunFlag.prev != 0 {
                    if previous == nil { throw .notCanonical("a run's first op has an explicit prev") }
                    prev = try r.bytes32("runs.op.prev")
                    if prev == computedPrev { throw .notCanonical("an explicit prev equals the computed one") }
                }
                if flags & RunFlag.fields != 0 && flags & RunFlag.body == 0 {
                    throw .notCanonical("explicit body fields on an erased op")
                }
                var sent: (length: UInt32, hash: Bytes32)?
                if flags & RunFlag.body == 0 || flags & RunFlag.fields != 0 {
                    let length = try r.varLength("runs.op.bodyLength", limit: Limits.maxBodyBytes)
                    sent = (UInt32(length), try r.bytes32("runs.op.bodyHash"))
                }
                var body: [UInt8]?
                var bodyLength: UInt32, bodyHash: Bytes32
                if flags & RunFlag.body != 0 {
                    let bytes = try r.varBytes("runs.op.body", limit: Limits.maxBodyBytes)
                    let computed = (UInt32(bytes.count), OpCrypto.bodyHash(bytes))
                    if let sent {
                        if sent.length == computed.0 && sent.hash == computed.1 {
                            throw .notCanonical("explicit body fields equal the body's")
                        }
                        (bodyLength, bodyHash) = sent
                    } else {
                        (bodyLength, bodyHash) = computed
                    }
                    body = bytes
                } else {
                    (bodyLength, bodyHash) = sent!
                }
                let (seq, seqOverflow) = firstSeq.addingReportingOverflow(UInt64(index))
                if seqOverflow { throw .tooLarge(field: "header.seq", length: Int.max, limit: Int(Limits.maxOrdinal)) }
                let header = OpHeader(author: author, epoch: epoch, seq: seq, prev: prev, hlc: HLC(rawValue: hlc),
                                      kind: kind, bodyLength: bodyLength, bodyHash: bodyHash)
                try header.checkRanges()
                ops.append(Op(header: header, body: body))
                previous = header
            }
            previousRun = (log, firstSeq &+ UInt64(opCount))
        }
        let sealCount = try r.varLength("runs.sealCount", limit: SyncLimits.maxBatchSeals)
        if sealCount * Seal.encodedLength > r.remaining { throw .truncated(field: "runs.seals") }
        var seals: [Seal] = []
        seals.reserveCapacity(sealCount)
        for _ in 0..<sealCount { seals.append(try Seal.decode(try r.raw(Seal.encodedLength, "runs.seal"))) }
        return OpBatch(ops: ops, seals: seals)
    }
}
