/// A register or payload value.
///
/// Encoding: one tag byte, then `0` nothing, `1` one byte 0/1, `2` a big-endian Int64,
/// `3` a length-prefixed UTF-8 string, `4` length-prefixed bytes.
public enum Value: Hashable, Sendable, CustomStringConvertible {
    /// No value: clears a register.
    case null
    /// A boolean.
    case bool(Bool)
    /// A signed 64-bit integer.
    case int(Int64)
    /// UTF-8 text.
    case string(String)
    /// Opaque bytes.
    case bytes([UInt8])

    public var description: String {
        switch self {
        case .null: "null"
        case let .bool(b): b ? "true" : "false"
        case let .int(i): String(i)
        case let .string(s): "\"\(s)\""
        case let .bytes(b): "0x" + Hex.encode(b)
        }
    }

    /// The text, when this is a string.
    public var stringValue: String? { if case let .string(s) = self { s } else { nil } }
    /// The integer, when this is an int.
    public var intValue: Int64? { if case let .int(i) = self { i } else { nil } }

    /// Appends the canonical encoding.
    public func encode(into w: inout ByteWriter) {
        switch self {
        case .null: w.u8(0)
        case let .bool(b): w.u8(1); w.u8(b ? 1 : 0)
        case let .int(i): w.u8(2); w.i64(i)
        case let .string(s): w.u8(3); w.string(s)
        case let .bytes(b): w.u8(4); w.lengthPrefixed(b)
        }
    }

    /// The canonical encoding alone (stored in materialized rows).
    public var encoded: [UInt8] {
        var w = ByteWriter(capacity: 16)
        encode(into: &w)
        return w.bytes
    }

    /// Reads one value.
    public static func decode(from r: inout ByteReader, field: String) throws(ByteDecodingError) -> Value {
        switch try r.u8(field + ".tag") {
        case 0: return .null
        case 1:
            let b = try r.u8(field)
            guard b <= 1 else { throw .invalidTag(field: field, value: UInt64(b)) }
            return .bool(b == 1)
        case 2: return .int(Int64(bitPattern: try r.u64(field)))
        case 3: return .string(try r.string(field, limit: Limits.maxStringBytes))
        case 4: return .bytes(try r.lengthPrefixed(field, limit: Limits.maxStringBytes))
        case let tag: throw .invalidTag(field: field + ".tag", value: UInt64(tag))
        }
    }

    /// Decodes a value stored alone (as in ``encoded``).
    public static func decode(_ bytes: [UInt8]) throws(ByteDecodingError) -> Value {
        try ByteReader.decodeAll(bytes) { r throws(ByteDecodingError) in try decode(from: &r, field: "value") }
    }
}
