/// Typed access to the members of one JSON object, throwing errors that name the member's path.
struct JSONFields {
    let members: [String: JSONValue]
    /// Path of this object (`data[2]`, `includes.users[0]`); empty for the top level.
    let path: String
    let line: Int

    func path(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func fail(_ reason: String) -> XPayloadError { .malformed(line: line, reason: reason) }

    /// The member, nil when absent or null.
    func value(_ key: String) -> JSONValue? {
        guard let value = members[key], value != .null else { return nil }
        return value
    }

    func required(_ key: String) throws(XPayloadError) -> JSONValue {
        guard let value = value(key) else { throw fail("\(path(key)) is missing") }
        return value
    }

    func string(_ key: String) throws(XPayloadError) -> String {
        try asString(try required(key), key)
    }

    func optionalString(_ key: String) throws(XPayloadError) -> String? {
        guard let value = value(key) else { return nil }
        return try asString(value, key)
    }

    private func asString(_ value: JSONValue, _ key: String) throws(XPayloadError) -> String {
        guard case let .string(text) = value else { throw fail("\(path(key)) is \(value.kind), expected a string") }
        return text
    }

    /// A decimal id written as a JSON string.
    func id(_ key: String) throws(XPayloadError) -> String {
        try asID(try required(key), key)
    }

    func optionalID(_ key: String) throws(XPayloadError) -> String? {
        guard let value = value(key) else { return nil }
        return try asID(value, key)
    }

    private func asID(_ value: JSONValue, _ key: String) throws(XPayloadError) -> String {
        switch value {
        case let .string(text):
            guard TWCSFields.isDecimalID(text) else { throw fail("\(path(key)) is not a decimal id") }
            return text
        case .number:
            throw fail("\(path(key)) is a number; ids must be strings")
        default:
            throw fail("\(path(key)) is \(value.kind), expected an id string")
        }
    }

    func optionalBool(_ key: String) throws(XPayloadError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case let .bool(flag) = value else { throw fail("\(path(key)) is \(value.kind), expected a boolean") }
        return flag
    }

    /// Largest integer a JSON number (a Double) carries exactly.
    private static let maxExactInteger = Double(1 << 53)

    func optionalInt(_ key: String) throws(XPayloadError) -> Int? {
        guard let value = value(key) else { return nil }
        guard case let .number(number) = value else { throw fail("\(path(key)) is \(value.kind), expected an integer") }
        guard number.rounded(.towardZero) == number, abs(number) <= Self.maxExactInteger else {
            throw fail("\(path(key)) is not an integer")
        }
        return Int(number)
    }

    /// An ISO 8601 timestamp (`2017-10-31T22:10:47.000Z`) as epoch millis.
    func time(_ key: String) throws(XPayloadError) -> UInt64 {
        let text = try string(key)
        guard let millis = CivilTime.parseISO8601(text) else { throw fail("\(path(key)) is not ISO 8601") }
        return millis
    }

    func optionalObject(_ key: String) throws(XPayloadError) -> JSONFields? {
        guard let value = value(key) else { return nil }
        return try Self.object(value, path: path(key), line: line)
    }

    func optionalArray(_ key: String) throws(XPayloadError) -> [JSONValue]? {
        guard let value = value(key) else { return nil }
        guard case let .array(elements) = value else { throw fail("\(path(key)) is \(value.kind), expected an array") }
        return elements
    }

    /// `value` as an object at `path`.
    static func object(_ value: JSONValue, path: String, line: Int) throws(XPayloadError) -> JSONFields {
        guard case let .object(members) = value else {
            throw .malformed(line: line, reason: "\(path.isEmpty ? "the line" : path) is \(value.kind), expected an object")
        }
        return JSONFields(members: members, path: path, line: line)
    }
}
