import CSodium

/// BLAKE2b (RFC 7693) through libsodium's `crypto_generichash`, unkeyed.
///
/// `hash256(_:)` hashes a whole `[UInt8]` or `UnsafeRawBufferPointer` at
/// once; `hash256(into:_:)` writes the digest into caller-owned memory
/// without allocating (the hot path of op hashing); ``Blake2bHasher`` absorbs
/// input piece by piece.
public enum Blake2b {
    /// The length in bytes of a `hash256` digest: 32 (libsodium's
    /// `crypto_generichash_BYTES`).
    public static let digestLength = Int(crypto_generichash_BYTES)

    /// The shortest digest ``Blake2bHasher`` can produce: 16 bytes
    /// (`crypto_generichash_BYTES_MIN`).
    public static let minimumOutputLength = Int(crypto_generichash_BYTES_MIN)

    /// The longest digest ``Blake2bHasher`` can produce: 64 bytes
    /// (`crypto_generichash_BYTES_MAX`).
    public static let maximumOutputLength = Int(crypto_generichash_BYTES_MAX)

    /// Returns the 32-byte BLAKE2b-256 digest of `data`.
    public static func hash256(_ data: UnsafeRawBufferPointer) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: digestLength) { buffer, initializedCount in
            hash256(into: UnsafeMutableRawBufferPointer(buffer), data)
            initializedCount = digestLength
        }
    }

    /// Returns the 32-byte BLAKE2b-256 digest of `bytes`.
    public static func hash256(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { hash256($0) }
    }

    /// Writes the 32-byte BLAKE2b-256 digest of `data` into `out`, without
    /// allocating.
    ///
    /// - Precondition: `out.count == Blake2b.digestLength` (32). Pass a
    ///   rebased slice to write into part of a larger buffer.
    public static func hash256(into out: UnsafeMutableRawBufferPointer, _ data: UnsafeRawBufferPointer) {
        precondition(
            out.count == digestLength,
            "Blake2b.hash256(into:_:) needs a \(digestLength)-byte output buffer, got \(out.count)"
        )
        Sodium.ensureInitialized()
        let status = crypto_generichash(out.uint8Base!, digestLength, data.uint8Base, UInt64(data.count), nil, 0)
        precondition(status == 0, "crypto_generichash failed")
    }
}

/// An incremental BLAKE2b hasher (libsodium's `crypto_generichash_state`).
///
/// A value type with copy-on-write storage: copying a hasher forks the
/// computation, so a common prefix can be absorbed once and finished in
/// several ways.
///
/// ```swift
/// var hasher = Blake2bHasher()
/// hasher.update(header)
/// hasher.update(body)
/// let digest = hasher.finalize()
/// ```
public struct Blake2bHasher: Sendable {
    private var storage: Blake2bState

    /// The length in bytes of the digests ``finalize()`` returns.
    public let outputLength: Int

    /// Creates a hasher producing `outputLength`-byte digests.
    ///
    /// - Precondition: `outputLength` is between
    ///   ``Blake2b/minimumOutputLength`` (16) and
    ///   ``Blake2b/maximumOutputLength`` (64). BLAKE2b-256 is the default.
    public init(outputLength: Int = Blake2b.digestLength) {
        precondition(
            (Blake2b.minimumOutputLength...Blake2b.maximumOutputLength).contains(outputLength),
            "Blake2bHasher output length must be \(Blake2b.minimumOutputLength)...\(Blake2b.maximumOutputLength), got \(outputLength)"
        )
        Sodium.ensureInitialized()
        self.outputLength = outputLength
        self.storage = Blake2bState()
        storage.reset(outputLength: outputLength)
    }

    /// Absorbs `data`.
    public mutating func update(_ data: UnsafeRawBufferPointer) {
        makeUnique()
        let status = crypto_generichash_update(storage.state, data.uint8Base, UInt64(data.count))
        precondition(status == 0, "crypto_generichash_update failed")
    }

    /// Absorbs `bytes`.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Returns the digest of everything absorbed since the hasher was created
    /// or last finalized, then resets the hasher so it can be reused.
    public mutating func finalize() -> [UInt8] {
        makeUnique()
        let length = outputLength
        let state = storage.state
        let digest = [UInt8](unsafeUninitializedCapacity: length) { buffer, initializedCount in
            let status = crypto_generichash_final(state, buffer.baseAddress!, length)
            precondition(status == 0, "crypto_generichash_final failed")
            initializedCount = length
        }
        storage.reset(outputLength: length)
        return digest
    }

    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) {
            storage = Blake2bState(copying: storage)
        }
    }
}

/// Heap storage for a `crypto_generichash_state`, which Swift cannot import
/// (it is declared packed and 64-byte aligned), so it is handled as raw
/// memory of `crypto_generichash_statebytes()` bytes.
///
/// `@unchecked Sendable` is sound because ``Blake2bHasher`` mutates it only
/// after `isKnownUniquelyReferenced`, copying it otherwise.
private final class Blake2bState: @unchecked Sendable {
    private static let byteCount = crypto_generichash_statebytes()
    private static let alignment = 64

    private let pointer: UnsafeMutableRawPointer

    init() {
        pointer = .allocate(byteCount: Self.byteCount, alignment: Self.alignment)
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: Self.byteCount)
    }

    init(copying other: Blake2bState) {
        pointer = .allocate(byteCount: Self.byteCount, alignment: Self.alignment)
        pointer.copyMemory(from: other.pointer, byteCount: Self.byteCount)
    }

    deinit {
        pointer.deallocate()
    }

    /// The state as libsodium's opaque `crypto_generichash_state *`.
    var state: OpaquePointer {
        OpaquePointer(pointer)
    }

    func reset(outputLength: Int) {
        let status = crypto_generichash_init(state, nil, 0, outputLength)
        precondition(status == 0, "crypto_generichash_init failed")
    }
}
