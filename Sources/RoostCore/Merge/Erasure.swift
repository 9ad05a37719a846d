/// A replicated erasure: a lead or admin names ops whose bodies every node drops (a customer's right to be
/// forgotten, a deleted tweet, a retention policy). It is an ordinary `insert` on `erasure/<id>` (SPEC.md §1.9),
/// so it travels, chains and verifies like every other op, and it carries no customer text: only the
/// positions and header hashes of the ops it erases, and each op's **residue** (the op with its personal
/// fields removed, ``Redaction/residue(of:)``), which every node materializes in place of the body, whether
/// it ever held the body or not. Reports (first response, resolution, per-agent counts) read only residue
/// fields, so an erasure leaves them unchanged.
public struct Erasure: Hashable, Sendable {
    /// One erased op.
    public struct Target: Hashable, Sendable {
        /// The op's position.
        public var ref: OpRef
        /// The op's header hash: a node erases the op it holds at `ref` only when the hashes match.
        public var hash: Bytes32
        /// What the op materializes to once erased (same kind and entity, personal fields removed).
        public var residue: OpBody

        /// Creates a target.
        public init(ref: OpRef, hash: Bytes32, residue: OpBody) {
            self.ref = ref; self.hash = hash; self.residue = residue
        }
    }

    /// Why the erasure was made (`gdpr`, `deleted-tweet`, `retention`, or a lead's words: no customer text).
    public var reason: String
    /// The customer it erases (user id), when it erases one.
    public var customer: String?
    /// The erased ops, sorted by position, without duplicates.
    public var targets: [Target]

    /// Creates an erasure; targets are sorted and deduplicated by position.
    public init(reason: String, customer: String?, targets: [Target]) {
        self.reason = reason
        self.customer = customer
        var seen = Set<OpRef>()
        self.targets = targets.sorted { $0.ref < $1.ref }.filter { seen.insert($0.ref).inserted }
    }

    /// The `insert` body that carries the erasure, on `erasure/<id>` (`id`: 32 hex digits chosen by the writer).
    public func body(id: String) -> OpBody {
        var fields = [Field(ErasureSchema.reason, .string(reason)), Field(ErasureSchema.targets, .bytes(Self.encode(targets)))]
        if let customer { fields.append(Field(ErasureSchema.customer, .string(customer))) }
        return .makeInsert(EntityRef(ErasureSchema.collection, id), fields)
    }

    /// Reads an erasure from an insert's fields; nil when the insert is not a well-formed erasure (it then
    /// stays an ordinary entity and erases nothing).
    public init?(fields: [Field]) {
        var reason: String?, customer: String?, targets: [Target]?
        for field in fields {
            switch (field.name, field.value) {
            case (ErasureSchema.reason, let .string(text)): reason = text
            case (ErasureSchema.customer, let .string(text)): customer = text
            case (ErasureSchema.targets, let .bytes(bytes)): targets = try? Self.decode(bytes)
            default: break
            }
        }
        guard let reason, let targets, !targets.isEmpty else { return nil }
        self.init(reason: reason, customer: customer, targets: targets)
    }

    /// Encoded size of one target in the `targets` field.
    public static func encodedSize(of target: Target) -> Int { 32 + 8 + 8 + 32 + 2 + 4 + target.residue.encoded().count }

    /// The `targets` field: per target, author (32 bytes), epoch and seq (u64 big-endian), header hash
    /// (32 bytes), the residue's kind (u16) and its canonical body encoding (u32 length prefix).
    public static func encode(_ targets: [Target]) -> [UInt8] {
        var w = ByteWriter(capacity: targets.count * 160)
        for target in targets {
            w.opRef(target.ref)
            w.bytes32(target.hash)
            w.u16(target.residue.kind.rawValue)
            w.lengthPrefixed(target.residue.encoded())
        }
        return w.bytes
    }

    /// Decodes the `targets` field: positions strictly ascending, residues canonical.
    public static func decode(_ bytes: [UInt8]) throws(ByteDecodingError) -> [Target] {
        try ByteReader.decodeAll(bytes) { r throws(ByteDecodingError) in
            var targets: [Target] = []
            while r.remaining > 0 {
                let ref = try r.opRef("erasure.target")
                let hash = try r.bytes32("erasure.hash")
                let rawKind = try r.u16("erasure.kind")
                guard let kind = OpKind(rawValue: rawKind) else { throw .invalidTag(field: "erasure.kind", value: UInt64(rawKind)) }
                let residue = try OpBody.decode(kind: kind, bytes: try r.lengthPrefixed("erasure.residue", limit: Limits.maxBodyBytes))
                if let last = targets.last, !(last.ref < ref) { throw .notCanonical("erasure targets not ascending") }
                targets.append(Target(ref: ref, hash: hash, residue: residue))
            }
            return targets
        }
    }
}

/// Names of the erasure entity.
public enum ErasureSchema {
    /// `erasure/<id>`: inserted once, by a lead or an admin.
    public static let collection = "erasure"
    /// Fields of the insert.
    public static let reason = "reason", customer = "customer", targets = "targets"
    /// The reason of a gateway's erasure of tweets deleted on X (the one erasure a `gateway` member may make).
    public static let deletedOnXReason = "deleted on X"
    /// Most bytes of targets one erasure op carries (a customer with more ops gets several erasure ops).
    public static let maxTargetBytes = 60_000
}

/// What an erased op leaves behind: the same op without personal data. Deterministic, so a node holding the
/// body can check an erasure's residues, and the same on every node.
public enum Redaction {
    /// What a message whose text was erased shows in a thread.
    public static let erasedText = "[erased]"

    /// Field names that hold personal data wherever they appear: message text, a customer's handle, name
    /// and notes, contact details.
    public static let personalFields: Set<String> = ["text", "handle", "name", "notes", "email", "phone", "crm"]

    /// The residue of `body`: an insert loses its personal fields; a register set on a customer, or of a
    /// personal field, keeps its stamp but its value becomes null; tags and claims are unchanged.
    public static func residue(of body: OpBody) -> OpBody {
        switch body {
        case let .insert(entity, fields):
            return .insert(entity: entity, fields: fields.filter { !personalFields.contains($0.name) })
        case let .set(entity, field, value):
            if entity.collection == Desk.customer || personalFields.contains(field) {
                return .set(entity: entity, field: field, value: .null)
            }
            return .set(entity: entity, field: field, value: value)
        case .tagAdd, .tagRemove, .claim:
            return body
        }
    }
}

extension Role {
    /// Whether the role may erase customer data (``Erasure``): leads and admins.
    public var mayErase: Bool { self == .lead || self == .admin }
}

extension RosterState {
    /// Whether the erasure op at `stamp`, with `reason`, is effective by this roster (SPEC.md §1.9, "Who may erase"):
    /// the roster admits its position and its author was a lead or an admin just before it; or its author was a
    /// `gateway`, the reason is exactly ``ErasureSchema/deletedOnXReason`` and every target's residue is an insert on
    /// `message/*` (`onlyMessageInserts`, asked only in that case). Without a team (no roster) every erasure is.
    public func mayErase<E: Error>(at stamp: Stamp, reason: String,
                                   onlyMessageInserts: () throws(E) -> Bool) throws(E) -> Bool {
        guard admission(of: stamp.ref) == .member, let role = role(of: stamp.ref.author, before: stamp) else { return false }
        if role.mayErase { return true }
        guard role == .gateway, reason == ErasureSchema.deletedOnXReason else { return false }
        return try onlyMessageInserts()
    }
}

extension Erasure {
    /// Whether every target's residue is an insert on `message/*` (what a gateway may erase).
    public var erasesOnlyMessageInserts: Bool {
        targets.allSatisfy { target in
            if case let .insert(entity, _) = target.residue { return entity.collection == Desk.message }
            return false
        }
    }
}
