import CSodium

/// Secret bytes (a symmetric key, a shared secret) in storage that is wiped
/// with `sodium_memzero` when the last copy is released.
///
/// A cheap-to-copy value type: copies share one immutable buffer. Its
/// `description`, debug description and mirror show only the length, so a
/// value can be logged, dumped or interpolated without leaking the bytes.
/// Equality is constant-time (`sodium_memcmp`).
///
/// Read the bytes with ``withUnsafeBytes(_:)``; ``copyBytes()`` makes an
/// ordinary array that is *not* wiped, for APIs that only take `[UInt8]`.
public struct SecretBytes: Sendable {
    let storage: SecureBytes

    init(storage: SecureBytes) {
        self.storage = storage
    }

    /// Copies `bytes` into wiped storage. The caller still owns (and should
    /// clear) `bytes`; prefer ``init(wiping:)`` when it is a temporary.
    public init(copying bytes: [UInt8]) {
        Sodium.ensureInitialized()
        storage = SecureBytes(copying: bytes)
    }

    /// Moves `bytes` into wiped storage and zeroes the array in place.
    public init(wiping bytes: inout [UInt8]) {
        Sodium.ensureInitialized()
        storage = SecureBytes(copying: bytes)
        SecretBytes.wipe(&bytes)
    }

    /// Returns `count` bytes from the system's secure random generator.
    public static func random(count: Int) -> SecretBytes {
        precondition(count >= 0, "SecretBytes.random needs a non-negative count, got \(count)")
        return SecretBytes(storage: SecureBytes(count: count) { SecureRandom.fill($0) })
    }

    /// The number of bytes held.
    public var count: Int { storage.count }

    /// Calls `body` with read-only access to the bytes. The buffer must not
    /// escape `body`.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try storage.withUnsafeBytes(body)
    }

    /// Copies the bytes into an ordinary array, which is not wiped: only for
    /// APIs that take keys as `[UInt8]` and for test vectors. Clear the copy
    /// with ``wipe(_:)`` when done.
    public func copyBytes() -> [UInt8] {
        storage.withUnsafeBytes { Array($0) }
    }

    /// Zeroes `bytes` in place with `sodium_memzero` (which the optimizer
    /// does not remove), keeping its length.
    public static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress, !buffer.isEmpty {
                sodium_memzero(base, buffer.count)
            }
        }
    }
}

extension SecretBytes: Equatable {
    /// Constant-time for equal lengths (`sodium_memcmp`); different lengths
    /// compare unequal at once (lengths are not secret).
    public static func == (lhs: SecretBytes, rhs: SecretBytes) -> Bool {
        guard lhs.count == rhs.count else { return false }
        if lhs.count == 0 { return true }
        return lhs.storage.withUnsafeBytes { left in
            rhs.storage.withUnsafeBytes { right in
                sodium_memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0
            }
        }
    }
}

extension SecretBytes: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// `SecretBytes(32 bytes)`; never the bytes.
    public var description: String { "SecretBytes(\(count) bytes)" }

    /// Same as ``description``.
    public var debugDescription: String { description }

    /// A mirror exposing only the length.
    public var customMirror: Mirror {
        Mirror(self, children: ["count": count], displayStyle: .struct)
    }
}

extension X25519 {
    /// Returns the X25519 shared secret between `secret` and the peer's
    /// 32-byte public key, in wiped storage.
    ///
    /// - Throws: as ``X25519/sharedSecret(secret:peerPublic:)``:
    ///   ``CryptoError/invalidLength(what:expected:actual:)`` or
    ///   ``CryptoError/invalidPublicKey`` for a low-order peer key.
    public static func sharedSecretBytes(secret: X25519KeyPair, peerPublic: [UInt8]) throws(CryptoError) -> SecretBytes {
        guard peerPublic.count == publicKeyLength else {
            throw .invalidLength(what: "X25519 public key", expected: publicKeyLength, actual: peerPublic.count)
        }
        Sodium.ensureInitialized()
        var status: Int32 = -1
        let storage = SecureBytes(count: sharedSecretLength) { buffer in
            status = secret.withSecretKey { scalar in
                crypto_scalarmult_curve25519(buffer.uint8Base!, scalar, peerPublic)
            }
        }
        // libsodium returns -1 for low-order inputs and all-zero results.
        guard status == 0 else { throw .invalidPublicKey }
        return SecretBytes(storage: storage)
    }
}
