/// Helpers for handing Swift byte buffers to libsodium's `unsigned char *`
/// parameters.
extension UnsafeRawBufferPointer {
    /// The start of the buffer typed as `UInt8`, or `nil` for an empty buffer
    /// without storage (libsodium accepts `NULL` with a zero length).
    @inline(__always)
    var uint8Base: UnsafePointer<UInt8>? {
        baseAddress?.assumingMemoryBound(to: UInt8.self)
    }
}

extension UnsafeMutableRawBufferPointer {
    /// The start of the buffer typed as `UInt8`, or `nil` for an empty buffer.
    @inline(__always)
    var uint8Base: UnsafeMutablePointer<UInt8>? {
        baseAddress?.assumingMemoryBound(to: UInt8.self)
    }
}
