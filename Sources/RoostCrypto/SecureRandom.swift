import CSodium

/// Cryptographically secure random bytes from libsodium's `randombytes_buf`
/// (the operating system's generator).
public enum SecureRandom {
    /// Returns `count` random bytes.
    ///
    /// - Precondition: `count >= 0`.
    public static func bytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0, "SecureRandom.bytes needs a non-negative count, got \(count)")
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initializedCount in
            fill(UnsafeMutableRawBufferPointer(buffer))
            initializedCount = count
        }
    }

    /// Fills `buffer` with random bytes, without allocating.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, !buffer.isEmpty else { return }
        Sodium.ensureInitialized()
        randombytes_buf(base, buffer.count)
    }

    /// Returns a uniformly distributed random `UInt64`.
    public static func uint64() -> UInt64 {
        var value: UInt64 = 0
        withUnsafeMutableBytes(of: &value) { fill($0) }
        return value
    }
}
