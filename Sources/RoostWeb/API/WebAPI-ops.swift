import Hummingbird
import RoostCore
import RoostNode

/// `POST /api/v1/ops`: the low-level ops of `roost op` (insert, set, tag, untag, claim, release), so that while
/// `roost run` serves a home these writes go through the node too.
extension WebAPI {
    struct OpResult: Encodable {
        var ok = true
        var op: String
        var kind: String
        var hlc: String
        var entity: String
    }

    @Sendable static func appendOp(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["kind", "entity", "fields", "field", "value", "tag", "leaseMinutes"])
        let kind = try body.requiredString("kind")
        let entity: EntityRef
        do { entity = try LowLevelOp.parseEntity(try body.requiredString("entity")) } catch let error as DeskError {
            throw WebError.badRequest(field: "entity", reason: error.description)
        }
        let op: LowLevelOp
        switch kind {
        case "insert":
            do { op = .insert(entity, try LowLevelOp.parseFields(try body.strings("fields") ?? [])) } catch let error as DeskError {
                throw WebError.badRequest(field: "fields", reason: error.description)
            }
        case "set": op = .set(entity, field: try body.requiredString("field"), value: try body.requiredString("value"))
        case "tag": op = .tag(entity, try body.requiredString("tag"))
        case "untag": op = .untag(entity, try body.requiredString("tag"))
        case "claim":
            let lease = try body.int("leaseMinutes", in: 1...Int(Limits.maxLeaseSeconds / 60)) ?? 30
            op = .claim(entity, leaseMinutes: UInt32(lease))
        case "release": op = .release(entity)
        default: throw WebError.badRequest(field: "kind", reason: "must be one of: \(LowLevelOp.kinds.joined(separator: ", "))")
        }
        let made = try app.node.append(op)
        return JSON.response(OpResult(op: made.ref.description, kind: made.kind.description, hlc: made.hlc.description,
                                      entity: entity.description), status: .created)
    }
}
