/// The numeric kind of an operation, carried in its header.
public enum OpKind: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    /// Grow-only set insert keyed by an external id.
    case insert = 1
    /// Last-writer-wins register write.
    case set = 2
    /// Add-wins observed-remove set: add a tag.
    case tagAdd = 3
    /// Add-wins observed-remove set: remove the adds this author observed.
    case tagRemove = 4
    /// A claim with a lease, or a release, hand-off, reassignment or take-over of one.
    case claim = 5

    public var description: String {
        switch self {
        case .insert: "insert"
        case .set: "set"
        case .tagAdd: "tag-add"
        case .tagRemove: "tag-remove"
        case .claim: "claim"
        }
    }
}

/// What a claim operation does to the claim it observed.
public enum ClaimAction: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    /// Take an unclaimed item for oneself, or renew one's own lease.
    case claim = 1
    /// Give the item up (holder becomes none). Only the holder, or anyone once the lease expired.
    case release = 2
    /// The holder passes the item to a named member.
    case handoff = 3
    /// A lead moves the item to a named member (role checked with the roster).
    case reassign = 4
    /// Take for oneself an item whose lease has expired (or that nobody holds).
    case takeover = 5

    public var description: String {
        switch self {
        case .claim: "claim"
        case .release: "release"
        case .handoff: "handoff"
        case .reassign: "reassign"
        case .takeover: "takeover"
        }
    }
}

/// A named field of an `insert` payload.
public struct Field: Hashable, Sendable {
    /// Field name.
    public var name: String
    /// Field value.
    public var value: Value
    /// Creates a field.
    public init(_ name: String, _ value: Value) { self.name = name; self.value = value }
}

/// The body of an operation: what it does. Its canonical encoding is hashed into the header.
public enum OpBody: Hashable, Sendable {
    /// Adds `entity` to its grow-only set with an immutable payload. Fields must be sorted by name, unique.
    case insert(entity: EntityRef, fields: [Field])
    /// Writes `value` to the register `field` of `entity` (last writer wins by (HLC, author, epoch, seq)).
    case set(entity: EntityRef, field: String, value: Value)
    /// Adds `tag` to `entity`. The add is identified by this op's ``OpRef``.
    case tagAdd(entity: EntityRef, tag: String)
    /// Removes the adds of `tag` on `entity` that the author had observed (sorted, unique, non-empty).
    case tagRemove(entity: EntityRef, tag: String, observed: [OpRef])
    /// A claim-chain step on `entity`: see ``ClaimAction`` and the merge rules in ``ClaimResolver``.
    case claim(entity: EntityRef, action: ClaimAction, holder: AuthorID?, leaseSeconds: UInt32, observed: OpRef?)

    /// The header kind for this body.
    public var kind: OpKind {
        switch self {
        case .insert: .insert
        case .set: .set
        case .tagAdd: .tagAdd
        case .tagRemove: .tagRemove
        case .claim: .claim
        }
    }

    /// The entity the op is about.
    public var entity: EntityRef {
        switch self {
        case let .insert(e, _), let .set(e, _, _), let .tagAdd(e, _), let .tagRemove(e, _, _),
            let .claim(e, _, _, _, _):
            e
        }
    }

    /// Builds an insert, sorting the fields into canonical order.
    public static func makeInsert(_ entity: EntityRef, _ fields: [Field]) -> OpBody {
        .insert(entity: entity, fields: fields.sorted { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) })
    }

    /// The canonical encoding (hashed as the body hash).
    public func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: 96)
        entity.encode(into: &w)
        switch self {
        case let .insert(_, fields):
            w.u32(UInt32(fields.count))
            for f in fields {
                w.string(f.name)
                f.value.encode(into: &w)
            }
        case let .set(_, field, value):
            w.string(field)
            value.encode(into: &w)
        case let .tagAdd(_, tag):
            w.string(tag)
        case let .tagRemove(_, tag, observed):
            w.string(tag)
            w.u32(UInt32(observed.count))
            for ref in observed { w.opRef(ref) }
        case let .claim(_, action, holder, lease, observed):
            w.u8(action.rawValue)
            if let holder { w.u8(1); w.bytes32(holder.key) } else { w.u8(0) }
            w.u32(lease)
            if let observed { w.u8(1); w.opRef(observed) } else { w.u8(0) }
        }
        return w.bytes
    }

    /// Decodes a body of `kind`, rejecting anything non-canonical or over the limits.
    public static func decode(kind: OpKind, bytes: [UInt8]) throws(ByteDecodingError) -> OpBody {
        if bytes.count > Limits.maxBodyBytes {
            throw .tooLarge(field: "body", length: bytes.count, limit: Limits.maxBodyBytes)
        }
        return try ByteReader.decodeAll(bytes) { r throws(ByteDecodingError) in try decode(kind: kind, from: &r) }
    }

    private static func decode(kind: OpKind, from r: inout ByteReader) throws(ByteDecodingError) -> OpBody {
        let entity = try EntityRef.decode(from: &r)
        switch kind {
        case .insert:
            let count = Int(try r.u32("insert.count"))
            if count > Limits.maxInsertFields {
                throw .tooLarge(field: "insert.count", length: count, limit: Limits.maxInsertFields)
            }
            var fields: [Field] = []
            fields.reserveCapacity(count)
            for _ in 0..<count {
                let name = try r.string("insert.field", limit: Limits.maxIdentifierBytes)
                if let last = fields.last, !last.name.utf8.lexicographicallyPrecedes(name.utf8) {
                    throw .notCanonical("insert fields not strictly sorted by name")
                }
                fields.append(Field(name, try Value.decode(from: &r, field: "insert.value")))
            }
            return .insert(entity: entity, fields: fields)
        case .set:
            let field = try r.string("set.field", limit: Limits.maxIdentifierBytes)
            return .set(entity: entity, field: field, value: try Value.decode(from: &r, field: "set.value"))
        case .tagAdd:
            return .tagAdd(entity: entity, tag: try r.string("tag", limit: Limits.maxIdentifierBytes))
        case .tagRemove:
            let tag = try r.string("tag", limit: Limits.maxIdentifierBytes)
            let count = Int(try r.u32("tagRemove.count"))
            if count > Limits.maxObservedAdds {
                throw .tooLarge(field: "tagRemove.count", length: count, limit: Limits.maxObservedAdds)
            }
            if count == 0 { throw .notCanonical("tag removal observes no add") }
            var observed: [OpRef] = []
            observed.reserveCapacity(count)
            for _ in 0..<count {
                let ref = try r.opRef("tagRemove.observed")
                if let last = observed.last, !(last < ref) {
                    throw .notCanonical("observed adds not strictly sorted")
                }
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
            let lease = try r.u32("claim.lease")
            if lease > Limits.maxLeaseSeconds {
                throw .tooLarge(field: "claim.lease", length: Int(lease), limit: Int(Limits.maxLeaseSeconds))
            }
            let observed: OpRef?
            switch try r.u8("claim.observed.flag") {
            case 0: observed = nil
            case 1: observed = try r.opRef("claim.observed")
            case let flag: throw .invalidTag(field: "claim.observed.flag", value: UInt64(flag))
            }
            // A release has no holder and no lease; every other action names a holder.
            if (action == .release) != (holder == nil) {
                throw .notCanonical("a release has no holder, every other claim action has one")
            }
            if action == .release && lease != 0 { throw .notCanonical("a release carries no lease") }
            return .claim(entity: entity, action: action, holder: holder, leaseSeconds: lease, observed: observed)
        }
    }
}
