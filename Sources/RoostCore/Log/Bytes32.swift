/// A fixed 32-byte value (a public key or a BLAKE2b-256 digest) stored inline, without a heap allocation.
///
/// Ordering is lexicographic over the bytes, which is the order the specification uses for tie-breaks.
public struct Bytes32: Hashable, Comparable, Sendable {
    // Big-endian words: comparing (w0, w1, w2, w3) compares the bytes lexicographically.
    @usableFromInline var w0: UInt64
    @usableFromInline var w1: UInt64
    @usableFromInline var w2: UInt64
    @usableFromInline var w3: UInt64

    /// Thirty-two zero bytes (the `prev` of the first op of a log).
    public static let zero = Bytes32(w0: 0, w1: 0, w2: 0, w3: 0)

    @inlinable init(w0: UInt64, w1: UInt64, w2: UInt64, w3: UInt64) {
        self.w0 = w0; self.w1 = w1; self.w2 = w2; self.w3 = w3
    }

    /// Reads 32 bytes; returns nil when `bytes` is not exactly 32 bytes long.
    public init?(_ bytes: some Collection<UInt8>) {
        guard bytes.count == 32 else { return nil }
        // Arrays, Data and slices of them: four loads instead of a byte-by-byte walk through an iterator.
        if let loaded = bytes.withContiguousStorageIfAvailable({ Bytes32(loadingFrom: UnsafeRawBufferPointer($0), at: 0) }) {
            self = loaded
            return
        }
        var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var i = 0
        for byte in bytes {
            switch i / 8 {
            case 0: words.0 = words.0 << 8 | UInt64(byte)
            case 1: words.1 = words.1 << 8 | UInt64(byte)
            case 2: words.2 = words.2 << 8 | UInt64(byte)
            default: words.3 = words.3 << 8 | UInt64(byte)
            }
            i += 1
        }
        self.init(w0: words.0, w1: words.1, w2: words.2, w3: words.3)
    }

    /// Reads 32 bytes at `offset` of a raw buffer the caller has bounds-checked.
    @inlinable public init(loadingFrom buffer: UnsafeRawBufferPointer, at offset: Int) {
        precondition(offset >= 0 && offset + 32 <= buffer.count)
        self.init(
            w0: UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self)),
            w1: UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)),
            w2: UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: offset + 16, as: UInt64.self)),
            w3: UInt64(bigEndian: buffer.loadUnaligned(fromByteOffset: offset + 24, as: UInt64.self)))
    }

    /// The 32 bytes, in order.
    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(32)
        append(to: &out)
        return out
    }

    /// Appends the 32 bytes to `out`.
    @inlinable public func append(to out: inout [UInt8]) {
        withUnsafeBytes { out.append(contentsOf: $0) }
    }

    /// Calls `body` with the 32 bytes in order, without allocating.
    @inlinable public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: (w0.bigEndian, w1.bigEndian, w2.bigEndian, w3.bigEndian)) { try body($0) }
    }

    /// Lower-case hexadecimal, 64 characters.
    public var hex: String { Hex.encode(bytes) }

    @inlinable public static func < (lhs: Bytes32, rhs: Bytes32) -> Bool {
        (lhs.w0, lhs.w1, lhs.w2, lhs.w3) < (rhs.w0, rhs.w1, rhs.w2, rhs.w3)
    }
}

/// Hexadecimal helpers shared by the text forms, logs and vectors.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Lower-case hexadecimal of `bytes`.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var chars = [UInt8]()
        for byte in bytes {
            chars.append(digits[Int(byte >> 4)])
            chars.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: chars, as: UTF8.self)
    }

    /// Parses hexadecimal (either case); nil on an odd length or a non-hex character.
    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var i = 0
        while i < utf8.count {
            guard let hi = nibble(utf8[i]), let lo = nibble(utf8[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
