import CSodium

/// Keyed BLAKE2b (RFC 7693 §2.5: the key is the first block) through
/// libsodium's `crypto_generichash` with a key: a MAC and a key-derivation
/// function in one primitive.
///
/// Absorb input piece by piece with `update`, then finish with ``finalizeMAC()``
/// for a public tag or ``finalizeKey()`` for a derived secret that stays in
/// wiped storage. The hasher is noncopyable and single-use: its state holds
/// the key and is wiped when it is finalized or dropped. Owning its state
/// alone is what makes the `Sendable` conformance sound.
///
/// ```swift
/// var hasher = KeyedBlake2b(key: networkKey)
/// hasher.update(Array("label".utf8))
/// hasher.update(sharedSecret)
/// let derived = hasher.finalizeKey()
/// ```
public struct KeyedBlake2b: ~Copyable, @unchecked Sendable {
    /// The shortest key: 16 bytes (`crypto_generichash_KEYBYTES_MIN`).
    public static let minimumKeyLength = Int(crypto_generichash_KEYBYTES_MIN)

    /// The longest key: 64 bytes (`crypto_generichash_KEYBYTES_MAX`).
    public static let maximumKeyLength = Int(crypto_generichash_KEYBYTES_MAX)

    /// A heap `crypto_generichash_state` (opaque to Swift: it is packed and
    /// 64-byte aligned), wiped on deinit because a keyed state holds the key.
    private let pointer: UnsafeMutableRawPointer

    private static let stateByteCount = crypto_generichash_statebytes()
    private static let stateAlignment = 64

    /// The length in bytes of the tag or key this hasher produces.
    public let outputLength: Int

    /// Starts a keyed hash producing `outputLength` bytes (BLAKE2b-256 by
    /// default).
    ///
    /// - Precondition: `key` has ``minimumKeyLength``...``maximumKeyLength``
    ///   bytes and `outputLength` is within
    ///   ``Blake2b/minimumOutputLength``...``Blake2b/maximumOutputLength``.
    public init(key: SecretBytes, outputLength: Int = Blake2b.digestLength) {
        precondition(
            (Self.minimumKeyLength...Self.maximumKeyLength).contains(key.count),
            "KeyedBlake2b key must be \(Self.minimumKeyLength)...\(Self.maximumKeyLength) bytes, got \(key.count)"
        )
        precondition(
            (Blake2b.minimumOutputLength...Blake2b.maximumOutputLength).contains(outputLength),
            "KeyedBlake2b output length must be \(Blake2b.minimumOutputLength)...\(Blake2b.maximumOutputLength), got \(outputLength)"
        )
        Sodium.ensureInitialized()
        self.outputLength = outputLength
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: Self.stateByteCount, alignment: Self.stateAlignment)
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: Self.stateByteCount)
        self.pointer = pointer
        let status = key.withUnsafeBytes { key in
            crypto_generichash_init(OpaquePointer(pointer), key.uint8Base, key.count, outputLength)
        }
        precondition(status == 0, "crypto_generichash_init failed")
    }

    deinit {
        sodium_memzero(pointer, Self.stateByteCount)
        pointer.deallocate()
    }

    /// Absorbs `data`.
    public mutating func update(_ data: UnsafeRawBufferPointer) {
        let status = crypto_generichash_update(OpaquePointer(pointer), data.uint8Base, UInt64(data.count))
        precondition(status == 0, "crypto_generichash_update failed")
    }

    /// Absorbs `bytes`.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Absorbs secret bytes without copying them out of wiped storage.
    public mutating func update(_ secret: SecretBytes) {
        secret.withUnsafeBytes { update($0) }
    }

    /// Finishes the hash as a public tag (a MAC or an identifier).
    public consuming func finalizeMAC() -> [UInt8] {
        let length = outputLength
        let state = OpaquePointer(pointer)
        return [UInt8](unsafeUninitializedCapacity: length) { buffer, initializedCount in
            let status = crypto_generichash_final(state, buffer.baseAddress!, length)
            precondition(status == 0, "crypto_generichash_final failed")
            initializedCount = length
        }
    }

    /// Finishes the hash as a derived secret key, kept in wiped storage.
    public consuming func finalizeKey() -> SecretBytes {
        let length = outputLength
        let state = OpaquePointer(pointer)
        return SecretBytes(
            storage: SecureBytes(count: length) { buffer in
                let status = crypto_generichash_final(state, buffer.uint8Base!, length)
                precondition(status == 0, "crypto_generichash_final failed")
            })
    }

    /// One-shot keyed BLAKE2b-256 of the concatenation of `parts`, as a
    /// public tag.
    public static func mac(key: SecretBytes, _ parts: [UInt8]...) -> [UInt8] {
        var hasher = KeyedBlake2b(key: key)
        for part in parts { hasher.update(part) }
        return hasher.finalizeMAC()
    }
}

/// Constant-time comparison for MACs and other authenticators.
public enum ConstantTime {
    /// Whether `a` and `b` are equal, in time independent of where they
    /// differ (`sodium_memcmp`). Different lengths return `false` at once.
    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        Sodium.ensureInitialized()
        return a.withUnsafeBytes { a in
            b.withUnsafeBytes { b in sodium_memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 }
        }
    }
}
