/// The 16-byte id of a scope: BLAKE2b-128 of its name (Protocol/SPEC-format-2.md §2.2). Ordered by its bytes.
public struct ScopeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    // Big-endian halves: comparing (hi, lo) compares the bytes lexicographically.
    private var hi: UInt64
    private var lo: UInt64

    /// Encoded length in bytes.
    public static let length = 16

    /// Reads exactly 16 bytes; nil for any other length.
    public init?(_ bytes: [UInt8]) {
        // Concrete, for the callers in other modules: the generic one below is not specialized across the module
        // boundary and paid for generic metadata on every call (a fifth of a store's answer to a partial peer).
        guard bytes.count == Self.length else { return nil }
        var hi: UInt64 = 0, lo: UInt64 = 0
        for index in 0..<8 { hi = hi << 8 | UInt64(bytes[index]) }
        for index in 8..<16 { lo = lo << 8 | UInt64(bytes[index]) }
        self.hi = hi
        self.lo = lo
    }

    /// The id whose 16 bytes are `bytes`; nil when they are not 16.
    public init?(_ bytes: some Collection<UInt8>) {
        guard bytes.count == Self.length else { return nil }
        var hi: UInt64 = 0, lo: UInt64 = 0
        for (index, byte) in bytes.enumerated() {
            if index < 8 { hi = hi << 8 | UInt64(byte) } else { lo = lo << 8 | UInt64(byte) }
        }
        self.hi = hi
        self.lo = lo
    }

    /// The 16 bytes.
    public var bytes: [UInt8] {
        (0..<16).map { index in UInt8(truncatingIfNeeded: (index < 8 ? hi >> (8 * (7 - index)) : lo >> (8 * (15 - index)))) }
    }

    public static func < (lhs: ScopeID, rhs: ScopeID) -> Bool { (lhs.hi, lhs.lo) < (rhs.hi, rhs.lo) }

    public var description: String { Hex.encode(bytes) }
}

extension ByteWriter {
    /// Writes a scope id's 16 bytes.
    public mutating func scope(_ id: ScopeID) { raw(id.bytes) }
}

extension ByteReader {
    /// Reads a 16-byte scope id.
    public mutating func scope(_ field: String) throws(ByteDecodingError) -> ScopeID {
        ScopeID(try raw(ScopeID.length, field))!
    }
}

/// Which scope an op belongs to (Protocol/SPEC-format-2.md §2.2): the unit a partial node subscribes to.
public enum Scope {
    /// The global scope: the roster, team settings and erasures. A ticket's routing registers (`queue`, `status`,
    /// `tier`) are in the ticket's own scope: full nodes evaluate which queue a ticket sits in and send the whole
    /// ticket to the nodes subscribed to that queue (Protocol/SPEC-partial.md §P.2).
    public static let global = "g"

    /// The scope name of a ticket's own ops.
    public static func ticket(_ key: String) -> String { "t/" + key }
    /// The scope name of a customer's profile.
    public static func customer(_ id: String) -> String { "c/" + id }

    /// The scope name of `body`. `ticketOfMessage` answers which ticket a message the author holds belongs to
    /// (only asked for an op on a message that is not its insert).
    public static func name(of body: OpBody, ticketOfMessage: (String) -> String? = { _ in nil }) -> String {
        let entity = body.entity
        switch entity.collection {
        case Desk.ticket:
            return ticket(entity.key)
        case Desk.message:
            if case let .insert(_, fields) = body {
                if case let .string(key)? = fields.first(where: { $0.name == "ticket" })?.value { return ticket(key) }
                return global
            }
            return ticketOfMessage(entity.key).map(ticket) ?? global
        case Desk.customer:
            return customer(entity.key)
        default:
            return global
        }
    }
}
