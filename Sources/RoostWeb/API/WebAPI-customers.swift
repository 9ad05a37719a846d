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
            throw WebError(error)
        }
    }

    @Sendable static func exportCustomer(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let handle = customerHandle(context)
        do {
            return JSON.response(try app.desk.exportCustomer(handle))
        } catch {
            throw WebError(error)
        }
    }

    @Sendable static func retentionList(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        do { return JSON.response(try app.desk.retentionPolicies()) } catch { throw WebError(error) }
    }

    @Sendable static func retentionSet(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["days", "queue"])
        let days = try body.int("days", in: 1...DeskService.maxRetentionDays)
        let queue = try body.string("queue")
        do {
            try app.desk.setRetention(days: days, queue: queue)
            return JSON.response(try app.desk.retentionPolicies())
        } catch {
            throw WebError(error)
        }
    }

    @Sendable static func retentionApply(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        do { return JSON.response(try app.desk.applyRetention()) } catch { throw WebError(error) }
    }

    static func customerHandle(_ context: BasicRequestContext) -> String {
        let raw = context.parameters.get("handle") ?? ""
        return (raw.removingPercentEncoding ?? raw).trimmingCharacters(in: CharacterSet(charactersIn: "@"))
    }
}
