/// Unsigned LEB128 varints and zigzag-mapped signed integers (Protocol/SPEC-format-2.md §2.1).
public enum Varint {
    /// The longest encoding of a 64-bit value.
    public static let maxBytes = 10

    /// Maps a signed integer to an unsigned one so small magnitudes stay short: 0 → 0, −1 → 1, 1 → 2.
    @inlinable public static func zigzag(_ n: Int64) -> UInt64 { UInt64(bitPattern: (n << 1) ^ (n >> 63)) }

    /// The inverse of ``zigzag(_:)``.
    @inlinable public static func unzigzag(_ n: UInt64) -> Int64 { Int64(bitPattern: n >> 1) ^ -Int64(bitPattern: n & 1) }

    /// How many bytes `value` takes.
    public static func length(_ value: UInt64) -> Int {
        var v = value, n = 1
        while v >= 0x80 { v >>= 7; n += 1 }
        return n
    }
}

extension ByteWriter {
    /// Writes an unsigned LEB128 varint (shortest form).
    public mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            u8(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        u8(UInt8(v))
    }

    /// Writes a varint length, then the bytes (format 2 strings and byte strings).
    public mutating func varBytes(_ value: some Collection<UInt8>) {
        varint(UInt64(value.count))
        raw(value)
    }

    /// Writes a string as a varint length and its UTF-8.
    public mutating func varString(_ value: String) { varBytes(value.utf8) }
}

extension ByteReader {
    /// Reads a canonical (shortest-form) unsigned LEB128 varint of at most 10 bytes.
    public mutating func varint(_ field: String) throws(ByteDecodingError) -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        for index in 0..<Varint.maxBytes {
            let byte = try u8(field)
            let group = UInt64(byte & 0x7F)
            if index == Varint.maxBytes - 1 && byte > 1 {
                throw .tooLarge(field: field, length: Varint.maxBytes, limit: Varint.maxBytes - 1)
            }
            value |= group << shift
            if byte & 0x80 == 0 {
                if byte == 0 && index > 0 { throw .notCanonical("\(field) is a varint with a trailing zero group") }
                return value
            }
            shift += 7
        }
        throw .tooLarge(field: field, length: Varint.maxBytes + 1, limit: Varint.maxBytes)
    }

    /// Reads a varint that is an epoch, seq or HLC: at most ``Limits/maxOrdinal``.
    public mutating func ordinal(_ field: String) throws(ByteDecodingError) -> UInt64 {
        let value = try varint(field)
        if value > Limits.maxOrdinal { throw .tooLarge(field: field, length: Int(clamping: value), limit: Int(Limits.maxOrdinal)) }
        return value
    }

    /// Reads a varint length (checked against `limit` before anything is allocated).
    public mutating func varLength(_ field: String, limit: Int) throws(ByteDecodingError) -> Int {
        let length = try varint(field)
        if length > UInt64(limit) { throw .tooLarge(field: field, length: Int(clamping: length), limit: limit) }
        return Int(length)
    }

    /// Reads a varint-length byte string.
    public mutating func varBytes(_ field: String, limit: Int) throws(ByteDecodingError) -> [UInt8] {
        let length = try varLength(field, limit: limit)
        return try raw(length, field)
    }

    /// Reads a varint-length UTF-8 string.
    public mutating func varString(_ field: String, limit: Int) throws(ByteDecodingError) -> String {
        let bytes = try varBytes(field, limit: limit)
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .invalidUTF8(field: field) }
        return text
    }
}
