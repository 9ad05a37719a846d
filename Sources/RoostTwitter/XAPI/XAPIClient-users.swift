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

extension XAPIClient {
    /// Most tweet ids one `GET /2/tweets` lookup takes.
    public static let maxLookupIDs = 100

    /// `GET /2/tweets?ids=…`: which of `ids` X says no longer exist (deleted by their author, or their account
    /// gone): the ids of its `resource-not-found` errors. Tweets X withholds for other reasons (a protected
    /// account) are not reported.
    public func deletedTweets(among ids: [String]) async throws(XAPIError) -> Set<String> {
        guard !ids.isEmpty else { return [] }
        guard ids.count <= Self.maxLookupIDs, ids.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }) else {
            throw .invalidRequest("1 to \(Self.maxLookupIDs) tweet ids of digits")
        }
        let endpoint = "GET /2/tweets"
        let data = try await send(.get, endpoint: endpoint, path: "/2/tweets", query: [("ids", ids.joined(separator: ","))])
        struct Answer: Decodable {
            struct Tweet: Decodable { var id: String }
            struct Problem: Decodable {
                var resource_id: String?
                var value: String?
                var type: String?
            }
            var data: [Tweet]?
            var errors: [Problem]?
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: data) else {
            throw .malformed(endpoint: endpoint, reason: "not a tweet lookup answer")
        }
        let asked = Set(ids)
        let found = Set((answer.data ?? []).map(\.id))
        var deleted = Set<String>()
        for problem in answer.errors ?? [] where problem.type == "https://api.twitter.com/2/problems/resource-not-found" {
            if let id = problem.resource_id ?? problem.value, asked.contains(id), !found.contains(id) { deleted.insert(id) }
        }
        return deleted
    }
}
