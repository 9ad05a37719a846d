import Foundation
import Hummingbird
import RoostNode

/// Customer data rights: erasure and export (`roost customer erase|export` through the running node).
extension WebAPI {
    @Sendable static func eraseCustomer(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["reason"])
        guard let reason = try body.string("reason") else { throw WebError.badRequest(field: "reason", reason: "required") }
        let handle = customerHandle(context)
        do {
            return JSON.response(try app.desk.eraseCustomer(handle, reason: reason))
        } catch {
            throw customerError(error)
        }
    }

    @Sendable static func exportCustomer(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let handle = customerHandle(context)
        do {
            return JSON.response(try app.desk.exportCustomer(handle))
        } catch {
            throw customerError(error)
        }
    }

    static func customerHandle(_ context: BasicRequestContext) -> String {
        let raw = context.parameters.get("handle") ?? ""
        return (raw.removingPercentEncoding ?? raw).trimmingCharacters(in: CharacterSet(charactersIn: "@"))
    }
}
