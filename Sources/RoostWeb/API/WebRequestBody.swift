import Foundation
import Hummingbird

/// A JSON object request body, read field by field so a bad one is refused naming the field.
struct WebRequestBody {
    /// One JSON value, as far as the API needs to tell them apart.
    enum Value: Decodable {
        case null, bool(Bool), number(Double), string(String), strings([String]), other

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() { self = .null }
            else if let bool = try? container.decode(Bool.self) { self = .bool(bool) }
            else if let number = try? container.decode(Double.self) { self = .number(number) }
            else if let string = try? container.decode(String.self) { self = .string(string) }
            else if let strings = try? container.decode([String].self) { self = .strings(strings) }
            else { self = .other }
        }
    }

    private var object: [String: Value]

    /// Reads the body of `request` (empty means `{}`); refuses anything but a JSON object, and unknown fields.
    static func read(_ request: Request, allowed: Set<String>) async throws -> WebRequestBody {
        var request = request
        let buffer = try await request.collectBody(upTo: WebLimits.maxRequestBody)
        let bytes = Data(buffer.readableBytesView)
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return WebRequestBody(object: [:]) }
        let object: [String: Value]
        do {
            object = try JSONDecoder().decode([String: Value].self, from: bytes)
        } catch {
            let isJSON = (try? JSONSerialization.jsonObject(with: bytes, options: [.fragmentsAllowed])) != nil
            throw WebError.badRequest(field: "body", reason: isJSON ? "expected a JSON object" : "not valid JSON")
        }
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw WebError.badRequest(field: unknown, reason: "unknown field (expected one of: \(allowed.sorted().joined(separator: ", ")))")
        }
        return WebRequestBody(object: object)
    }

    /// A string field; nil when absent, refused when not a string or too long.
    func string(_ field: String) throws(WebError) -> String? {
        switch object[field] {
        case nil, .null?: return nil
        case let .string(text)?:
            guard text.count <= WebLimits.maxTextField else {
                throw .badRequest(field: field, reason: "longer than \(WebLimits.maxTextField) characters")
            }
            return text
        default: throw .badRequest(field: field, reason: "expected a string")
        }
    }

    /// A required string field.
    func requiredString(_ field: String) throws(WebError) -> String {
        guard let text = try string(field) else { throw .badRequest(field: field, reason: "required") }
        return text
    }

    /// A list of strings; nil when absent, refused when not a list of strings or too long.
    func strings(_ field: String) throws(WebError) -> [String]? {
        switch object[field] {
        case nil, .null?: return nil
        case let .strings(list)?:
            guard list.count <= WebLimits.maxListField, list.allSatisfy({ $0.count <= WebLimits.maxTextField }) else {
                throw .badRequest(field: field, reason: "more than \(WebLimits.maxListField) items or an item over \(WebLimits.maxTextField) characters")
            }
            return list
        default: throw .badRequest(field: field, reason: "expected a list of strings")
        }
    }

    /// A boolean field; nil when absent.
    func bool(_ field: String) throws(WebError) -> Bool? {
        switch object[field] {
        case nil, .null?: return nil
        case let .bool(value)?: return value
        default: throw .badRequest(field: field, reason: "expected true or false")
        }
    }

    /// An integer field in `range`; nil when absent.
    func int(_ field: String, in range: ClosedRange<Int>) throws(WebError) -> Int? {
        switch object[field] {
        case nil, .null?: return nil
        case let .number(number)?:
            guard let int = Int(exactly: number) else { throw .badRequest(field: field, reason: "expected an integer") }
            guard range.contains(int) else {
                throw .badRequest(field: field, reason: "must be \(range.lowerBound)...\(range.upperBound)")
            }
            return int
        default: throw .badRequest(field: field, reason: "expected an integer")
        }
    }
}
