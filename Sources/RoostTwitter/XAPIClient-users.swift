public import Foundation

/// X usernames (handles) as users type them.
public enum XHandle {
    /// The longest username X allows.
    public static let maxLength = 15

    /// `@Name` or `Name` as the bare username, or nil when it is not 1-15 letters, digits or `_`.
    public static func normalize(_ typed: String) -> String? {
        let bare = typed.hasPrefix("@") ? String(typed.dropFirst()) : typed
        guard !bare.isEmpty, bare.count <= maxLength,
              bare.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) else { return nil }
        return bare
    }
}

extension XAPIClient {
    /// `GET /2/users/by/username/:username`: the X user a handle names, or nil when X says there is none
    /// (a 200 with only `errors`, as X answers for an unknown or suspended handle).
    public func user(username typed: String) async throws(XAPIError) -> XUser? {
        guard let username = XHandle.normalize(typed) else { throw .invalidRequest("an X username is 1-15 letters, digits or _") }
        let endpoint = "GET /2/users/by/username/:username"
        let data = try await send(.get, endpoint: endpoint, path: "/2/users/by/username/\(username)",
                                  query: [("user.fields", Self.userFields)])
        struct Answer: Decodable {
            struct User: Decodable {
                struct Metrics: Decodable { var followers_count: Int? }
                var id: String
                var username: String
                var name: String
                var verified: Bool?
                var public_metrics: Metrics?
            }
            struct Problem: Decodable { var title: String? }
            var data: User?
            var errors: [Problem]?
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: data) else {
            throw .malformed(endpoint: endpoint, reason: "not a user object")
        }
        guard let user = answer.data else {
            if answer.errors?.isEmpty == false { return nil }
            throw .malformed(endpoint: endpoint, reason: "neither data nor errors")
        }
        guard !user.id.isEmpty, user.id.allSatisfy(\.isASCIIDigit) else { throw .malformed(endpoint: endpoint, reason: "data.id is not digits") }
        return XUser(id: user.id, username: user.username, name: user.name, verified: user.verified,
                     followers: user.public_metrics?.followers_count)
    }
}
