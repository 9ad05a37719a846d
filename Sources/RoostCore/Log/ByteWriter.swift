/// Appends the canonical binary encoding's primitives: big-endian fixed-width integers and
/// length-prefixed byte strings. There is exactly one encoding of every value.
public struct ByteWriter: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]

    /// Starts an empty buffer with room for `capacity` bytes.
    public init(capacity: Int = 128) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Writes one byte.
    public mutating func u8(_ value: UInt8) { bytes.append(value) }
    /// Writes a big-endian `UInt16`.
    public mutating func u16(_ value: UInt16) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }
    /// Writes a big-endian `UInt32`.
    public mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }
    /// Writes a big-endian `UInt64`.
    public mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }
    /// Writes a big-endian two's-complement `Int64`.
    public mutating func i64(_ value: Int64) { u64(UInt64(bitPattern: value)) }
    /// Writes 32 raw bytes.
    public mutating func bytes32(_ value: Bytes32) { value.append(to: &bytes) }
    /// Writes raw bytes with no length prefix.
    public mutating func raw(_ value: some Sequence<UInt8>) { bytes.append(contentsOf: value) }
    /// Writes a `u32` length, then the bytes.
    public mutating func lengthPrefixed(_ value: some Collection<UInt8>) {
        u32(UInt32(value.count))
        bytes.append(contentsOf: value)
    }
    /// Writes a string as length-prefixed UTF-8.
    public mutating func string(_ value: String) { lengthPrefixed(value.utf8) }
    /// Writes an op reference: author (32), epoch (u64), seq (u64).
    public mutating func opRef(_ ref: OpRef) {
        bytes32(ref.author.key)
        u64(ref.epoch)
        u64(ref.seq)
    }
}
