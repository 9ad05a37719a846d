import Foundation
public import Hummingbird
import RoostNode
import RoostStore

/// Why an API request was refused: each maps to one HTTP status and one JSON body
/// `{"error": {"code": ..., "message": ..., "field": ...}}`.
public enum WebError: Error, Sendable, Equatable {
    /// No token or session, or a wrong one (401).
    case unauthorized
    /// A cross-site request (403).
    case forbidden(String)
    /// A request whose Host is not this node's configured API address (421): DNS rebinding, or a proxy.
    case wrongHost(String)
    /// A missing or malformed field (400); `field` names it.
    case badRequest(field: String, reason: String)
    /// No such ticket, customer or route (404).
    case notFound(String)
    /// Another member holds the ticket (409).
    case conflict(String)
    /// Someone else replied after the last message the agent saw (409); send again with `force` to send anyway.
    case repliedFirst(String)
    /// The desk refused the command (422): too long, empty, not allowed now.
    case refused(field: String?, reason: String)
    /// Body over ``WebLimits/maxRequestBody`` (413).
    case tooLarge
    /// The store failed (500). The message names no customer text.
    case internalError(String)

    var status: HTTPResponse.Status {
        switch self {
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .wrongHost: .misdirectedRequest
        case .badRequest: .badRequest
        case .notFound: .notFound
        case .conflict, .repliedFirst: .conflict
        case .refused: .unprocessableContent
        case .tooLarge: .contentTooLarge
        case .internalError: .internalServerError
        }
    }

    var code: String {
        switch self {
        case .unauthorized: "unauthorized"
        case .forbidden: "forbidden"
        case .wrongHost: "wrong_host"
        case .badRequest: "bad_request"
        case .notFound: "not_found"
        case .conflict: "claimed_by_other"
        case .repliedFirst: "replied_first"
        case .refused: "refused"
        case .tooLarge: "too_large"
        case .internalError: "internal"
        }
    }

    var message: String {
        switch self {
        case .unauthorized: "missing or wrong API token; run `roost open` and open the URL it prints, or send Authorization: Bearer <api.token>"
        case let .forbidden(why): why
        case let .wrongHost(host): "Host \(host) is not this node's API address; open the URL `roost open` prints"
        case let .badRequest(field, reason): "\(field): \(reason)"
        case let .notFound(what): what
        case let .conflict(why), let .repliedFirst(why): why
        case let .refused(_, reason): reason
        case .tooLarge: "request body over \(WebLimits.maxRequestBody) bytes"
        case let .internalError(why): why
        }
    }

    var field: String? {
        switch self {
        case let .badRequest(field, _): field
        case let .refused(field, _): field
        default: nil
        }
    }

    /// The desk's refusal as an API error.
    init(_ error: DeskError) {
        switch error {
        case .unknownTicket: self = .notFound(error.description)
        case .ambiguousTicket: self = .badRequest(field: "ticket", reason: error.description)
        case .claimedByOther: self = .conflict(error.description)
        case .tooLong: self = .refused(field: "text", reason: error.description)
        case let .invalidValue(field, _, _): self = .badRequest(field: field, reason: error.description)
        case .badQuery: self = .badRequest(field: "q", reason: error.description)
        case .unknownCustomer, .unknownOutboxItem, .unknownHandle: self = .notFound(error.description)
        case .repliedFirst: self = .repliedFirst(error.description)
        case .store(.diskFull): self = .refused(field: nil, reason: StoreError.diskFull.description)
        case .store: self = .internalError("the store failed; see the node's log")
        default: self = .refused(field: error.field, reason: error.description)
        }
    }

    /// A node-level failure as the API's refusal (the store's failures as in ``init(_:)-DeskError``).
    init(_ error: NodeError) {
        switch error {
        case let .store(store): self.init(DeskError.store(store))
        default: self = .refused(field: nil, reason: error.description)
        }
    }

    struct Body: Encodable {
        struct Detail: Encodable {
            var code: String
            var message: String
            var field: String?
        }
        var error: Detail
    }

    /// The JSON response.
    public var response: Response {
        JSON.response(Body(error: .init(code: code, message: message, field: field)), status: status)
    }
}

/// JSON encoding shared by the API.
enum JSON {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static func data(_ value: some Encodable) -> Data {
        (try? encoder().encode(value)) ?? Data("{}".utf8)
    }

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
                 body: .init(byteBuffer: ByteBuffer(bytes: data(value))))
    }
}
