import CSodium

/// Immutable heap storage for secret key material that is wiped with
/// `sodium_memzero` when the last reference goes away.
///
/// Keys built on it (``SigningKey``, ``X25519KeyPair``) stay cheap-to-copy
/// value types: copies share one buffer, and the bytes are erased once.
/// The bytes are written only inside `init` and never mutated afterwards,
/// which is what makes the `@unchecked Sendable` conformance sound.
final class SecureBytes: @unchecked Sendable {
    /// Alignment of the buffer; generous enough for any libsodium key type.
    private static let alignment = 16

    /// The number of bytes held.
    let count: Int
    private let pointer: UnsafeMutableRawPointer

    /// Allocates `count` bytes and lets `body` write all of them. If `body`
    /// throws, the buffer is wiped and freed before the error propagates.
    init<E: Error>(
        count: Int,
        initializingWith body: (UnsafeMutableRawBufferPointer) throws(E) -> Void
    ) throws(E) {
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: Self.alignment)
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: count)
        do {
            try body(UnsafeMutableRawBufferPointer(start: pointer, count: count))
        } catch {
            sodium_memzero(pointer, count)
            pointer.deallocate()
            throw error
        }
        self.count = count
        self.pointer = pointer
    }

    /// Copies `bytes` into new secure storage.
    convenience init(copying bytes: [UInt8]) {
        self.init(count: bytes.count) { (buffer: UnsafeMutableRawBufferPointer) in
            buffer.copyBytes(from: bytes)
        }
    }

    deinit {
        sodium_memzero(pointer, count)
        pointer.deallocate()
    }

    /// Calls `body` with read-only access to the bytes. The buffer must not
    /// escape `body`.
    func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// The bytes as `unsigned char *` for libsodium; must not escape `body`.
    func withUnsafeUInt8Pointer<R, E: Error>(_ body: (UnsafePointer<UInt8>) throws(E) -> R) throws(E) -> R {
        try body(UnsafePointer(pointer.assumingMemoryBound(to: UInt8.self)))
    }
}
