/// Names one replicated object: a collection (`ticket`, `message`, `customer`...) and a key in it
/// (an external id such as a tweet id, or a generated one).
public struct EntityRef: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The collection name.
    public var collection: String
    /// The key within the collection.
    public var key: String

    /// Creates a reference.
    public init(_ collection: String, _ key: String) {
        self.collection = collection
        self.key = key
    }

    public var description: String { "\(collection)/\(key)" }

    /// Byte-wise UTF-8 order of the collection, then of the key.
    public static func < (lhs: EntityRef, rhs: EntityRef) -> Bool {
        if lhs.collection != rhs.collection {
            return lhs.collection.utf8.lexicographicallyPrecedes(rhs.collection.utf8)
        }
        return lhs.key.utf8.lexicographicallyPrecedes(rhs.key.utf8)
    }

    func encode(into w: inout ByteWriter) {
        w.string(collection)
        w.string(key)
    }

    static func decode(from r: inout ByteReader) throws(ByteDecodingError) -> EntityRef {
        let collection = try r.string("entity.collection", limit: Limits.maxIdentifierBytes)
        let key = try r.string("entity.key", limit: Limits.maxIdentifierBytes)
        if collection.isEmpty { throw .notCanonical("empty collection name") }
        return EntityRef(collection, key)
    }
}
