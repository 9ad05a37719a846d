public import RoostCore
public import RoostStore

/// One low-level op an agent asks for (`roost op …`, `POST /api/v1/ops`): the primitives tickets are built
/// from. The CLI and the local API build the op body here, against the node's current state, so a command does
/// the same whether it runs on the store or through the running node.
public enum LowLevelOp: Sendable {
    /// Insert an entity once (grow-only set) with these fields.
    case insert(EntityRef, [Field])
    /// Write a field (last writer wins).
    case set(EntityRef, field: String, value: String)
    /// Add a tag (add-wins set).
    case tag(EntityRef, String)
    /// Remove a tag: the adds of it this node has seen.
    case untag(EntityRef, String)
    /// Claim with a lease; an expired claim of another member is taken over.
    case claim(EntityRef, leaseMinutes: UInt32)
    /// Release this node's claim, or an expired one.
    case release(EntityRef)

    /// The names a request uses for each kind, in the order `roost op` lists them.
    public static let kinds = ["insert", "set", "tag", "untag", "claim", "release"]

    /// The entity the op is about.
    public var entity: EntityRef {
        switch self {
        case let .insert(ref, _), let .set(ref, _, _), let .tag(ref, _), let .untag(ref, _), let .claim(ref, _),
             let .release(ref): ref
        }
    }

    /// `COLLECTION/KEY` (e.g. `ticket/1042`) as an entity, or one clear refusal.
    public static func parseEntity(_ text: String) throws(DeskError) -> EntityRef {
        guard let slash = text.firstIndex(of: "/"), slash != text.startIndex, text.index(after: slash) != text.endIndex else {
            throw .invalid(field: "entity", rule: "\"\(text)\" is not COLLECTION/KEY (e.g. ticket/1042)")
        }
        return EntityRef(String(text[..<slash]), String(text[text.index(after: slash)...]))
    }

    /// `NAME=VALUE` pairs as insert fields; a pair without `=` or a repeated name is refused.
    public static func parseFields(_ pairs: [String]) throws(DeskError) -> [Field] {
        var fields: [Field] = []
        for item in pairs {
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                throw .invalid(field: "fields", rule: "field \"\(item)\" is not NAME=VALUE")
            }
            fields.append(Field(String(item[..<eq]), .string(String(item[item.index(after: eq)...]))))
        }
        guard Set(fields.map(\.name)).count == fields.count else { throw .invalid(field: "fields", rule: "a field name is repeated") }
        return fields
    }

    /// The op body this request makes on `node` at `nowMillis`, or one clear refusal (nothing is written).
    public func body(on node: Node, nowMillis: UInt64) throws(DeskError) -> OpBody {
        let store = node.store
        func read<T>(_ work: () throws(StoreError) -> T) throws(DeskError) -> T {
            do { return try work() } catch { throw .store(error) }
        }
        switch self {
        case let .insert(ref, fields):
            return .makeInsert(ref, fields)
        case let .set(ref, field, value):
            guard !field.isEmpty else { throw .invalid(field: "field", rule: "the field name is empty") }
            return .set(entity: ref, field: field, value: .string(value))
        case let .tag(ref, tag):
            guard !tag.isEmpty else { throw .invalid(field: "tag", rule: "the tag is empty") }
            return .tagAdd(entity: ref, tag: tag)
        case let .untag(ref, tag):
            let adds = try read { () throws(StoreError) in try store.state.observedTagAdds(ref, tag: tag) }
            guard !adds.isEmpty else { throw .noSuchTag(entity: "\(ref)", tag: tag, quoted: true) }
            return .tagRemove(entity: ref, tag: tag, observed: adds)
        case let .claim(ref, lease):
            guard lease >= 1, lease <= Limits.maxLeaseSeconds / 60 else {
                throw .invalid(field: "leaseMinutes", rule: "the lease must be 1...\(Limits.maxLeaseSeconds / 60) minutes")
            }
            let current = try read { () throws(StoreError) in try store.state.claim(on: ref) }
            var action = ClaimAction.claim
            if let current, let holder = current.holder, holder != node.id {
                guard nowMillis >= current.leaseEndsMillis else {
                    throw .heldUntilLeaseEnd(entity: "\(ref)", holder: holder.short)
                }
                action = .takeover
            }
            return .claim(entity: ref, action: action, holder: node.id, leaseSeconds: lease * 60, observed: current?.current)
        case let .release(ref):
            let current = try read { () throws(StoreError) in try store.state.claim(on: ref) }
            guard let current, let holder = current.holder else { throw .notClaimed(entity: "\(ref)") }
            guard holder == node.id || nowMillis >= current.leaseEndsMillis else {
                throw .notHolder(entity: "\(ref)", holder: holder.short)
            }
            return .claim(entity: ref, action: .release, holder: nil, leaseSeconds: 0, observed: current.current)
        }
    }
}

extension Node {
    /// Builds `op` against this node's state and appends it, signed and stamped by `clock`; answers the new op.
    public func append(_ op: LowLevelOp, clock: some WallClock = SystemClock()) throws(DeskError) -> HeldOp {
        let body = try op.body(on: self, nowMillis: clock.nowMillis())
        do { return try append([body], clock: clock).ops[0] } catch let .store(error) {
            throw .store(error)
        } catch {
            throw .node(error)
        }
    }
}
