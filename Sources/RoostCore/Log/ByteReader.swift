/// Why bytes could not be decoded as a canonical op, body or seal.
public enum ByteDecodingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input ended before the named field was complete.
    case truncated(field: String)
    /// Bytes remained after the value was complete.
    case trailingBytes(count: Int)
    /// A length exceeds its limit (checked before any allocation).
    case tooLarge(field: String, length: Int, limit: Int)
    /// A string is not valid UTF-8.
    case invalidUTF8(field: String)
    /// A tag, flag or version byte has a value the format does not define.
    case invalidTag(field: String, value: UInt64)
    /// The value is well-formed but not in canonical form (unsorted or duplicated list, empty list...).
    case notCanonical(String)

    public var description: String {
        switch self {
        case let .truncated(field): "input ends inside \(field)"
        case let .trailingBytes(count): "\(count) unexpected bytes after the value"
        case let .tooLarge(field, length, limit): "\(field) is \(length) bytes, over the limit of \(limit)"
        case let .invalidUTF8(field): "\(field) is not valid UTF-8"
        case let .invalidTag(field, value): "\(field) has undefined value \(value)"
        case let .notCanonical(why): "not canonical: \(why)"
        }
    }
}

/// Reads the primitives written by ``ByteWriter``, checking every length before allocating.
public struct ByteReader: ~Copyable {
    private let base: UnsafeRawBufferPointer
    /// Offset of the next unread byte.
    public private(set) var offset: Int

    /// Reads from `buffer`, which must outlive the reader.
    public init(_ buffer: UnsafeRawBufferPointer) {
        base = buffer
        offset = 0
    }

    /// Bytes not read yet.
    public var remaining: Int { base.count - offset }

    /// Fails unless every byte was consumed.
    public func expectEnd() throws(ByteDecodingError) {
        if remaining != 0 { throw .trailingBytes(count: remaining) }
    }

    private mutating func need(_ n: Int, _ field: String) throws(ByteDecodingError) {
        if n > remaining { throw .truncated(field: field) }
    }

    /// Reads one byte.
    public mutating func u8(_ field: String) throws(ByteDecodingError) -> UInt8 {
        try need(1, field)
        defer { offset += 1 }
        return base[offset]
    }

    /// Reads a big-endian `UInt16`.
    public mutating func u16(_ field: String) throws(ByteDecodingError) -> UInt16 {
        try need(2, field)
        defer { offset += 2 }
        return UInt16(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    /// Reads a big-endian `UInt32`.
    public mutating func u32(_ field: String) throws(ByteDecodingError) -> UInt32 {
        try need(4, field)
        defer { offset += 4 }
        return UInt32(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// Reads a big-endian `UInt64`.
    public mutating func u64(_ field: String) throws(ByteDecodingError) -> UInt64 {
        try need(8, field)
        defer { offset += 8 }
        return UInt64(bigEndian: base.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// Reads 32 raw bytes.
    public mutating func bytes32(_ field: String) throws(ByteDecodingError) -> Bytes32 {
        try need(32, field)
        defer { offset += 32 }
        return Bytes32(loadingFrom: base, at: offset)
    }

    /// Reads `count` raw bytes (the caller has checked `count` against its limit).
    public mutating func raw(_ count: Int, _ field: String) throws(ByteDecodingError) -> [UInt8] {
        try need(count, field)
        defer { offset += count }
        return Array(UnsafeRawBufferPointer(rebasing: base[offset..<offset + count]))
    }

    /// Reads a `u32` length (checked against `limit` first), then that many bytes.
    public mutating func lengthPrefixed(_ field: String, limit: Int) throws(ByteDecodingError) -> [UInt8] {
        let length = Int(try u32(field))
        if length > limit { throw .tooLarge(field: field, length: length, limit: limit) }
        try need(length, field)
        defer { offset += length }
        return Array(UnsafeRawBufferPointer(rebasing: base[offset..<offset + length]))
    }

    /// Reads a length-prefixed UTF-8 string.
    public mutating func string(_ field: String, limit: Int) throws(ByteDecodingError) -> String {
        let length = Int(try u32(field))
        if length > limit { throw .tooLarge(field: field, length: length, limit: limit) }
        try need(length, field)
        defer { offset += length }
        let slice = UnsafeRawBufferPointer(rebasing: base[offset..<offset + length])
        guard let text = String(validating: slice, as: UTF8.self) else { throw .invalidUTF8(field: field) }
        return text
    }

    /// Reads an op reference.
    public mutating func opRef(_ field: String) throws(ByteDecodingError) -> OpRef {
        let author = AuthorID(key: try bytes32(field + ".author"))
        let epoch = try u64(field + ".epoch")
        let seq = try u64(field + ".seq")
        if seq == 0 { throw .invalidTag(field: field + ".seq", value: 0) }
        if seq > Limits.maxOrdinal || epoch > Limits.maxOrdinal {
            throw .tooLarge(field: field, length: Int(clamping: max(seq, epoch)), limit: Int(Limits.maxOrdinal))
        }
        return OpRef(author: author, epoch: epoch, seq: seq)
    }
}

extension ByteReader {
    /// Runs `body` on a reader over all of `bytes` and requires that it consumes every byte.
    public static func decodeAll<T>(
        _ bytes: [UInt8], _ body: (inout ByteReader) throws(ByteDecodingError) -> T
    ) throws(ByteDecodingError) -> T {
        let result: Result<T, ByteDecodingError> = bytes.withUnsafeBytes { buffer in
            var reader = ByteReader(buffer)
            return Result { () throws(ByteDecodingError) -> T in
                let value = try body(&reader)
                try reader.expectEnd()
                return value
            }
        }
        return try result.get()
    }
}
