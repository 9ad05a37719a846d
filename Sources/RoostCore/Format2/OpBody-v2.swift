/// Body version 2 (Protocol/SPEC-format-2.md §2.3): the values of SPEC.md §1.7 with varint lengths and counts,
/// zigzag varint integers, and one-byte codes for the desk's collections.
extension OpBody {
    /// Collection codes, permanent: index + 1 is the code. A collection not listed travels as code 0 and its name.
    public static let collectionCodes: [String] = [
        Desk.ticket, Desk.message, Desk.customer, Desk.team, Desk.canned, Desk.resolutionType, Desk.queue,
        RosterSchema.member, RosterSchema.invite, ErasureSchema.collection, "handle", "xpost",
    ]

    private static let codeOfCollection: [String: UInt8] = Dictionary(
        uniqueKeysWithValues: collectionCodes.enumerated().map { ($0.element, UInt8($0.offset + 1)) })

    /// The version 2 encoding (hashed as the body hash of a version 2 header).
    public func encodedV2() -> [UInt8] {
        var w = ByteWriter(capacity: 64)
        if let code = Self.codeOfCollection[entity.collection] {
            w.u8(code)
        } else {
            w.u8(0)
            w.varString(entity.collection)
        }
        w.varString(entity.key)
        switch self {
        case let .insert(_, fields):
            w.varint(UInt64(fields.count))
            for field in fields {
                w.varString(field.name)
                field.value.encodeV2(into: &w)
            }
        case let .set(_, field, value):
            w.varString(field)
            value.encodeV2(into: &w)
        case let .tagAdd(_, tag):
            w.varString(tag)
        case let .tagRemove(_, tag, observed):
            w.varString(tag)
            w.varint(UInt64(observed.count))
            for ref in observed { w.opRefV2(ref) }
        case let .claim(_, action, holder, lease, observed):
            w.u8(action.rawValue)
            if let holder { w.u8(1); w.bytes32(holder.key) } else { w.u8(0) }
            w.varint(UInt64(lease))
            if let observed { w.u8(1); w.opRefV2(observed) } else { w.u8(0) }
        }
        return w.bytes
    }

    /// Decodes a version 2 body of `kind`, rejecting anything non-canonical or over the limits of SPEC.md §1.2.
    public static func decodeV2(kind: OpKind, bytes: [UInt8]) throws(ByteDecodingError) -> OpBody {
        if bytes.count > Limits.maxBodyBytes {
            throw .tooLarge(field: "body", length: bytes.count, limit: Limits.maxBodyBytes)
        }
        return try ByteReader.decodeAll(bytes) { r throws(ByteDecodingError) in try decodeV2(kind: kind, from: &r) }
    }

    private static func decodeV2(kind: OpKind, from r: inout ByteReader) throws(ByteDecodingError) -> OpBody {
        let code = try r.u8("entity.collection")
        let collection: String
        if code == 0 {
            collection = try r.varString("entity.collection", limit: Limits.maxIdentifierBytes)
            if collection.isEmpty { throw .notCanonical("empty collection name") }
            if codeOfCollection[collection] != nil { throw .notCanonical("collection \(collection) spelled out instead of its code") }
        } else if Int(code) <= collectionCodes.count {
            collection = collectionCodes[Int(code) - 1]
        } else {
            throw .invalidTag(field: "entity.collection", value: UInt64(code))
        }
        let entity = EntityRef(collection, try r.varString("entity.key", limit: Limits.maxIdentifierBytes))
        switch kind {
        case .insert:
            let count = try r.varLength("insert.count", limit: Limits.maxInsertFields)
            var fields: [Field] = []
            fields.reserveCapacity(count)
            for _ in 0..<count {
                let name = try r.varString("insert.field", limit: Limits.maxIdentifierBytes)
                if let last = fields.last, !last.name.utf8.lexicographicallyPrecedes(name.utf8) {
                    throw .notCanonical("insert fields not strictly sorted by name")
                }
                fields.append(Field(name, try Value.decodeV2(from: &r, field: "insert.value")))
            }
            return .insert(entity: entity, fields: fields)
        case .set:
            let field = try r.varString("set.field", limit: Limits.maxIdentifierBytes)
            return .set(entity: entity, field: field, value: try Value.decodeV2(from: &r, field: "set.value"))
        case .tagAdd:
            return .tagAdd(entity: entity, tag: try r.varString("tag", limit: Limits.maxIdentifierBytes))
        case .tagRemove:
            let tag = try r.varString("tag", limit: Limits.maxIdentifierBytes)
            let count = try r.varLength("tagRemove.count", limit: Limits.maxObservedAdds)
            if count == 0 { throw .notCanonical("tag removal observes no add") }
            var observed: [OpRef] = []
            observed.reserveCapacity(count)
            for _ in 0..<count {
                let ref = try r.opRefV2("tagRemove.observed")
                if let last = observed.last, !(last < ref) { throw .notCanonical("observed adds not strictly sorted") }
                observed.append(ref)
            }
            return .tagRemove(entity: entity, tag: tag, observed: observed)
        case .claim:
            let rawAction = try r.u8("claim.action")
            guard let action = ClaimAction(rawValue: rawAction) else {
                throw .invalidTag(field: "claim.action", value: UInt64(rawAction))
            }
            let holder: AuthorID?
            switch try r.u8("claim.holder.flag") {
            case 0: holder = nil
            case 1: holder = AuthorID(key: try r.bytes32("claim.holder"))
            case let flag: throw .invalidTag(field: "claim.holder.flag", value: UInt64(flag))
            }
            let lease = try r.varint("claim.lease")
            if lease > UInt64(Limits.maxLeaseSeconds) {
                throw .tooLarge(field: "claim.lease", length: Int(clamping: lease), limit: Int(Limits.maxLeaseSeconds))
            }
            let observed: OpRef?
            switch try r.u8("claim.observed.flag") {
            case 0: observed = nil
            case 1: observed = try r.opRefV2("claim.observed")
            case let flag: throw .invalidTag(field: "claim.observed.flag", value: UInt64(flag))
            }
            if (action == .release) != (holder == nil) {
                throw .notCanonical("a release has no holder, every other claim action has one")
            }
            if action == .release && lease != 0 { throw .notCanonical("a release carries no lease") }
            return .claim(entity: entity, action: action, holder: holder, leaseSeconds: UInt32(lease), observed: observed)
        }
    }
}

extension Value {
    /// Appends the version 2 encoding: the tag byte, then nothing, a 0/1 byte, a zigzag varint, or a varint-length string or bytes.
    public func encodeV2(into w: inout ByteWriter) {
        switch self {
        case .null: w.u8(0)
        case let .bool(b): w.u8(1); w.u8(b ? 1 : 0)
        case let .int(i): w.u8(2); w.varint(Varint.zigzag(i))
        case let .string(s): w.u8(3); w.varString(s)
        case let .bytes(b): w.u8(4); w.varBytes(b)
        }
    }

    /// Reads one version 2 value.
    public static func decodeV2(from r: inout ByteReader, field: String) throws(ByteDecodingError) -> Value {
        switch try r.u8(field + ".tag") {
        case 0: return .null
        case 1:
            let b = try r.u8(field)
            guard b <= 1 else { throw .invalidTag(field: field, value: UInt64(b)) }
            return .bool(b == 1)
        case 2: return .int(Varint.unzigzag(try r.varint(field)))
        case 3: return .string(try r.varString(field, limit: Limits.maxStringBytes))
        case 4: return .bytes(try r.varBytes(field, limit: Limits.maxStringBytes))
        case let tag: throw .invalidTag(field: field + ".tag", value: UInt64(tag))
        }
    }
}

extension ByteWriter {
    /// Writes a version 2 op reference: author (32), varint epoch, varint seq.
    public mutating func opRefV2(_ ref: OpRef) {
        bytes32(ref.author.key)
        varint(ref.epoch)
        varint(ref.seq)
    }
}

extension ByteReader {
    /// Reads a version 2 op reference (seq from 1, ordinals at most ``Limits/maxOrdinal``).
    public mutating func opRefV2(_ field: String) throws(ByteDecodingError) -> OpRef {
        let author = AuthorID(key: try bytes32(field + ".author"))
        let epoch = try ordinal(field + ".epoch")
        let seq = try ordinal(field + ".seq")
        if seq == 0 { throw .invalidTag(field: field + ".seq", value: 0) }
        return OpRef(author: author, epoch: epoch, seq: seq)
    }
}
