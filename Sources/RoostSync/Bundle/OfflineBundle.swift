public import RoostCore
public import RoostCrypto
public import RoostStore

/// An offline bundle: sync batches for sneakernet, email or any untrusted relay, readable only by the
/// members it is sealed to (Protocol/SPEC-sync.md §2b.11).
///
/// Layout: magic `RSTB`, version 1; u32 recipient count; per recipient its node id (32) and the 32-byte
/// content key sealed to it (libsodium sealed box to the Curve25519 form of its Ed25519 key, 80 bytes);
/// a 24-byte nonce; then the payload encrypted with XChaCha20-Poly1305 under the content key, with every
/// preceding byte as associated data. Payload: u32 entry count, then per entry a u32 length and a `batch`
/// message (§2b.3) or, for format 2 logs, a `runs-v2` message (§2b.19), ids counting from 1 across both, every
/// `batch` before the first `runs-v2`; the `runs-v2` entries share one run dictionary, started empty. A bundle
/// changes nothing until the receiver applies it like any batch from a peer: every op is still checked against its
/// author's seal and the roster.
public struct OfflineBundle: Sendable, Equatable {
    /// The batches of format 1 logs, in the order to apply them.
    public var batches: [OpBatch]
    /// The format 2 logs' runs, one entry per `runs-v2`, applied after ``batches`` in this order.
    public var runsV2: [[RunV2]]

    /// Creates a bundle of batches.
    public init(batches: [OpBatch], runsV2: [[RunV2]] = []) {
        self.batches = batches
        self.runsV2 = runsV2
    }

    /// Entries of the payload: format 1 batches and format 2 runs.
    public var entryCount: Int { batches.count + runsV2.count }
    /// Ops of all entries.
    public var opCount: Int { batches.reduce(0) { $0 + $1.ops.count } + runsV2.joined().reduce(0) { $0 + $1.ops.count } }

    /// Magic and version.
    static let magic: [UInt8] = Array("RSTB".utf8) + [1]
    /// Most recipients of one bundle.
    public static let maxRecipients = 4_096
    /// Largest bundle file this node reads (1 GiB).
    public static let maxBytes = 1 << 30
    static let sealedKeyLength = 32 + SealedBox.overheadLength

    /// Every batch of ops `store` holds beyond `vector`, cut at seals (at most `limit` ops and
    /// ``SyncLimits/maxMessageBytes`` encoded a batch, or one sealed run when a run alone is larger).
    /// `progress` gets the ops collected so far after each batch.
    public static func collect(from store: any SyncReplica, after vector: VersionVector = VersionVector(),
                               limit: Int = 10_000, progress: ((_ ops: Int) -> Void)? = nil) throws(StoreError) -> OfflineBundle {
        var vector = vector
        var batches: [OpBatch] = []
        var ops = 0
        while true {
            let batch = try store.batch(after: vector, limit: limit, maxBytes: SyncLimits.maxBatchReadBytes)
            guard !batch.seals.isEmpty else { break }
            for seal in batch.seals where seal.seq > vector[seal.log] { vector[seal.log] = seal.seq }
            batches.append(batch)
            ops += batch.ops.count
            progress?(ops)
        }
        // Format 2 logs (§2b.19): whole seal ranges from where `vector` stands, an entry no larger than a message.
        var runsV2: [[RunV2]] = []
        var dictionary = RunDictionary()
        var readLimit = limit
        while true {
            let read = try store.batchesV2(after: vector, limit: readLimit)
            guard !read.isEmpty else { break }
            let runs = read.map(RunV2.init(fullRangesOf:))
            var trial = dictionary
            if 1 + 8 + RunV2.encode(runs, dictionary: &trial).count > SyncLimits.maxMessageBytes, readLimit > 1 {
                readLimit = max(1, readLimit / 2)
                continue
            }
            dictionary = trial
            for batch in read { if let last = batch.ops.last?.header { vector[last.ref.log] = max(vector[last.ref.log], last.seq) } }
            runsV2.append(runs)
            ops += read.reduce(0) { $0 + $1.ops.count }
            readLimit = limit
            progress?(ops)
        }
        return OfflineBundle(batches: batches, runsV2: runsV2)
    }

    /// Seals the bundle to `recipients` (members' node ids).
    public func sealed(to recipients: [AuthorID]) throws(BundleError) -> [UInt8] {
        guard !recipients.isEmpty else { throw .noRecipients }
        guard recipients.count <= Self.maxRecipients else { throw .tooManyRecipients(recipients.count) }
        let key = SecretBytes.random(count: XChaCha20Poly1305.keyLength)
        var w = ByteWriter()
        w.raw(Self.magic)
        w.u32(UInt32(recipients.count))
        for recipient in recipients {
            w.bytes32(recipient.key)
            do {
                w.raw(try SealedBox.seal(key.copyBytes(), toEd25519: recipient.key.bytes))
            } catch {
                throw .badRecipient(recipient)
            }
        }
        let nonce = SecureRandom.bytes(XChaCha20Poly1305.nonceLength)
        w.raw(nonce)
        var payload = ByteWriter()
        payload.u32(UInt32(entryCount))
        for (index, batch) in batches.enumerated() {
            payload.lengthPrefixed(SyncMessage.batch(id: UInt64(index + 1), batch).encoded())
        }
        var dictionary = RunDictionary()
        for (index, runs) in runsV2.enumerated() {
            let id = UInt64(batches.count + index + 1)
            payload.lengthPrefixed(SyncMessage.runsV2(id: id, batch: RunV2.encode(runs, dictionary: &dictionary)).encoded())
        }
        let header = w.bytes
        do {
            let ciphertext = try XChaCha20Poly1305.seal(payload.bytes, additionalData: header, nonce: nonce, key: key)
            return header + ciphertext
        } catch {
            throw .tooLarge(payload.bytes.count)
        }
    }

    /// Opens a bundle with a member's identity key.
    public static func open(_ bytes: [UInt8], as identity: SigningKey) throws(BundleError) -> OfflineBundle {
        guard bytes.count <= maxBytes else { throw .tooLarge(bytes.count) }
        guard bytes.starts(with: magic) else { throw .notABundle }
        // Header: fixed-size fields, read with bounds checks before any allocation they size.
        var offset = magic.count
        func take(_ n: Int, _ what: String) throws(BundleError) -> ArraySlice<UInt8> {
            guard n <= bytes.count - offset else { throw .damaged("truncated in \(what)") }
            defer { offset += n }
            return bytes[offset..<offset + n]
        }
        let countBytes = try take(4, "recipient count")
        let count = countBytes.reduce(0) { $0 << 8 | Int($1) }
        guard count >= 1, count <= maxRecipients else { throw .tooManyRecipients(count) }
        var sealedKey: [UInt8]?
        for _ in 0..<count {
            let id = try take(32, "recipients")
            let box = try take(sealedKeyLength, "recipients")
            if Array(id) == identity.publicKey { sealedKey = Array(box) }
        }
        let nonce = Array(try take(XChaCha20Poly1305.nonceLength, "nonce"))
        let headerLength = offset
        guard let sealedKey else { throw .notForUs }
        let key: SecretBytes
        do { key = SecretBytes(copying: try SealedBox.open(sealedKey, with: identity)) } catch {
            throw .damaged("the content key does not open")
        }
        let payload: [UInt8]
        do {
            payload = try XChaCha20Poly1305.open(Array(bytes[headerLength...]), additionalData: Array(bytes[..<headerLength]),
                                                 nonce: nonce, key: key)
        } catch {
            throw .damaged("the contents fail authentication (altered or truncated)")
        }
        do {
            return try ByteReader.decodeAll(payload) { p throws(ByteDecodingError) in
                let batchCount = Int(try p.u32("batches"))
                if batchCount * 4 > p.remaining { throw .truncated(field: "batches") }
                var batches: [OpBatch] = [], runsV2: [[RunV2]] = []
                var dictionary = RunDictionary()
                for index in 0..<batchCount {
                    let message = try SyncMessage.decode(try p.lengthPrefixed("batch", limit: SyncLimits.maxMessageBytes))
                    switch message {
                    case let .batch(id, batch) where id == UInt64(index + 1) && runsV2.isEmpty:
                        batches.append(batch)
                    case let .runsV2(id, bytes) where id == UInt64(index + 1):
                        runsV2.append(try RunV2.decode(bytes, dictionary: &dictionary))
                    default:
                        throw .notCanonical("bundle entry \(index + 1) is not batch \(index + 1) (format 1 batches first)")
                    }
                }
                return OfflineBundle(batches: batches, runsV2: runsV2)
            }
        } catch {
            throw .damaged("\(error)")
        }
    }
}

/// Why a bundle could not be written or read.
public enum BundleError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file does not start with the bundle magic.
    case notABundle
    /// None of the recipients is this node.
    case notForUs
    /// A recipient count of 0 or over ``OfflineBundle/maxRecipients``.
    case tooManyRecipients(Int)
    /// A bundle with no recipient.
    case noRecipients
    /// A recipient key that is not a valid Ed25519 key.
    case badRecipient(AuthorID)
    /// Over ``OfflineBundle/maxBytes``.
    case tooLarge(Int)
    /// Truncated, altered or malformed.
    case damaged(String)

    public var description: String {
        switch self {
        case .notABundle: "not a Roost bundle"
        case .notForUs: "this bundle is not addressed to this node"
        case let .tooManyRecipients(count): "a bundle needs 1 to \(OfflineBundle.maxRecipients) recipients (it names \(count))"
        case .noRecipients: "no recipients: the team has no other member"
        case let .badRecipient(id): "member \(id.short) has no usable key"
        case let .tooLarge(count): "the bundle is too large (\(count) bytes; the limit is \(OfflineBundle.maxBytes))"
        case let .damaged(why): "the bundle is damaged: \(why)"
        }
    }
}
