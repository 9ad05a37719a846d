public import Hummingbird
import Foundation
import NIOCore
public import Logging
public import ServiceLifecycle

/// A local fake of the X API v2 endpoints the gateway uses, serving bodies shaped as in X's public API
/// reference (`data`, `includes.users`, `meta.next_token`, problem JSON on errors, `x-rate-limit-*`
/// headers), with faults injected through ``FakeXState/inject(_:on:)``.
///
/// Not a product: it lives under Tests/ for the gateway tests and the examples/gateway walk-through.
public struct FakeXServer: Sendable {
    /// The state served.
    public let state: FakeXState

    /// Creates a server over `state`.
    public init(state: FakeXState) { self.state = state }

    /// The Hummingbird application on `host:port` (port 0 picks a free port, reported to `onRunning`).
    public func application(host: String = "127.0.0.1", port: Int = 0, logger: Logger,
                            onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some Service {
        let router = Router()
        let state = self.state
        router.get("/2/users/:id/mentions") { request, context in
            try await Self.serve(state, request, "/2/users/mentions") {
                guard context.parameters.get("id") == state.brand.id else { return Self.problem(.notFound, "Not Found Error") }
                let query = request.uri.queryParameters
                let since = query.get("since_id")
                let (tweets, next) = await state.mentions(sinceID: since, token: query.get("pagination_token"))
                return Self.json(.ok, await Self.tweetsBody(tweets, next: next, state: state))
            }
        }
        router.get("/2/users/by/username/:username") { request, context in
            try await Self.serve(state, request, "/2/users/by/username") {
                let name = context.parameters.get("username") ?? ""
                guard let user = await state.user(username: name) else {
                    // X answers an unknown handle with 200 and only `errors`.
                    return Self.json(.ok, ["errors": [["title": "Not Found Error", "resource_type": "user", "parameter": "username",
                                                       "value": name, "detail": "Could not find user with username: [\(name)].",
                                                       "type": "https://api.twitter.com/2/problems/resource-not-found"]]])
                }
                return Self.json(.ok, ["data": Self.userObjects([user.id], users: [user.id: user])[0]])
            }
        }
        router.get("/2/tweets") { request, _ in
            try await Self.serve(state, request, "/2/tweets/lookup") {
                let ids = (request.uri.queryParameters.get("ids") ?? "").split(separator: ",").map(String.init)
                let (found, missing) = await state.lookup(ids)
                var body: [String: Any] = [:]
                if !found.isEmpty { body["data"] = found.map { ["id": $0.id, "text": $0.text] } }
                if !missing.isEmpty {
                    body["errors"] = missing.map { id -> [String: Any] in
                        ["value": id, "detail": "Could not find tweet with ids: [\(id)].", "title": "Not Found Error",
                         "resource_type": "tweet", "parameter": "ids", "resource_id": id,
                         "type": "https://api.twitter.com/2/problems/resource-not-found"]
                    }
                }
                return Self.json(.ok, body)
            }
        }
        router.get("/2/tweets/search/recent") { request, _ in
            try await Self.serve(state, request, "/2/tweets/search/recent") {
                let query = request.uri.queryParameters
                guard let text = query.get("query"), text.hasPrefix("conversation_id:") else {
                    return Self.problem(.badRequest, "Invalid Request")
                }
                let id = String(text.dropFirst("conversation_id:".count))
                let (tweets, next) = await state.conversation(id, token: query.get("next_token"))
                return Self.json(.ok, await Self.tweetsBody(tweets, next: next, state: state))
            }
        }
        router.get("/2/dm_events") { request, _ in
            try await Self.serve(state, request, "/2/dm_events") {
                let (events, next) = await state.dmEvents(token: request.uri.queryParameters.get("pagination_token"))
                var body: [String: Any] = ["meta": Self.meta(count: events.count, next: next)]
                if !events.isEmpty {
                    body["data"] = events.map(Self.dmObject)
                    body["includes"] = ["users": await Self.userObjects(Set(events.map(\.senderID)), state: state)]
                }
                return Self.json(.ok, body)
            }
        }
        router.post("/2/tweets") { request, _ in
            let data = try await request.body.collect(upTo: 1 << 20)
            return try await Self.serve(state, request, "/2/tweets", post: true) {
                guard let object = try? JSONSerialization.jsonObject(with: Data(data.readableBytesView)) as? [String: Any],
                      let text = object["text"] as? String else { return Self.problem(.badRequest, "Invalid Request") }
                let replyTo = (object["reply"] as? [String: Any])?["in_reply_to_tweet_id"] as? String
                switch await state.post(text: text, inReplyTo: replyTo) {
                case let .created(tweet): return Self.json(.created, ["data": ["id": tweet.id, "text": tweet.text]])
                case let .refused(detail): return Self.problem(.forbidden, "Forbidden", detail: detail)
                }
            }
        }
        router.post("/2/dm_conversations/with/:participant/messages") { request, context in
            let data = try await request.body.collect(upTo: 1 << 20)
            return try await Self.serve(state, request, "/2/dm_conversations", post: true) {
                guard let object = try? JSONSerialization.jsonObject(with: Data(data.readableBytesView)) as? [String: Any],
                      let text = object["text"] as? String, let participant = context.parameters.get("participant") else {
                    return Self.problem(.badRequest, "Invalid Request")
                }
                switch await state.sendDM(text: text, to: participant) {
                case let .created(dm):
                    return Self.json(.created, ["data": ["dm_conversation_id": dm.conversationID, "dm_event_id": dm.id]])
                case let .refused(detail): return Self.problem(.forbidden, "Forbidden", detail: detail)
                }
            }
        }
        // Walk-through helpers (not X endpoints): a customer tweets at the brand; what the brand posted.
        router.post("/fake/tweet") { request, _ in
            let data = try await request.body.collect(upTo: 1 << 20)
            guard let object = try? JSONSerialization.jsonObject(with: Data(data.readableBytesView)) as? [String: Any],
                  let text = object["text"] as? String, let username = object["username"] as? String else {
                return Self.problem(.badRequest, "Invalid Request").response
            }
            let user = FakeUser(id: object["user_id"] as? String ?? String(1_000_000 + abs(username.hashValue % 8_000_000)),
                                username: username, name: object["name"] as? String ?? username)
            let tweet = await state.tweet(from: user, text: text, inReplyTo: object["in_reply_to"] as? String)
            return Self.json(.created, ["data": ["id": tweet.id, "conversation_id": tweet.conversationID]]).response
        }
        // How many posting requests reached the fake (X's duplicate-content check hides a second post of the same text
        // from /fake/posted, so exactly-once is judged by this count).
        router.get("/fake/requests") { _, _ in
            let requests = await state.requests
            return Self.json(.ok, ["post_tweet": requests.filter { $0 == "POST /2/tweets" }.count,
                                   "post_dm": requests.filter { $0.hasPrefix("POST /2/dm_conversations") }.count]).response
        }
        router.get("/fake/posted") { _, _ in
            let tweets = await state.brandTweets, dms = await state.brandDMs
            return Self.json(.ok, ["tweets": tweets.map { ["id": $0.id, "in_reply_to": $0.repliedToID ?? "", "text": $0.text] },
                                   "dms": dms.map { ["id": $0.id, "text": $0.text] }]).response
        }
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "fake-x"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) }, logger: logger)
    }

    /// Checks the token, logs the request, and serves an injected fault instead of `work` when one matches.
    static func serve(_ state: FakeXState, _ request: Request, _ key: String, post: Bool = false,
                      _ work: @Sendable () async throws -> Reply) async throws -> Response {
        await state.log("\(request.method) \(request.uri.path)")
        guard request.headers[.authorization] == "Bearer " + state.token else { return problem(.unauthorized, "Unauthorized").response }
        var response: Response
        switch await state.takeFault(key) {
        case let .rateLimit(seconds)?:
            response = problem(.tooManyRequests, "Too Many Requests").response
            let reset = Int64(Date().timeIntervalSince1970) + seconds
            response.headers[FieldName("x-rate-limit-limit")!] = "450"
            response.headers[FieldName("x-rate-limit-remaining")!] = "0"
            response.headers[FieldName("x-rate-limit-reset")!] = String(reset)
            return response
        case .unavailable?:
            return problem(.serviceUnavailable, "Service Unavailable").response
        case .acceptThenUnavailable?:
            _ = try await work()
            return problem(.serviceUnavailable, "Service Unavailable").response
        case .cut?:
            let full = try await work()
            let half = full.data.prefix(max(1, full.data.count / 2))
            let body = ResponseBody(contentLength: full.data.count) { writer in
                try await writer.write(ByteBuffer(bytes: half))
                throw FakeCut()
            }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: body)
        case nil:
            response = try await work().response
        }
        let rate = await state.rateHeaders()
        response.headers[FieldName("x-rate-limit-limit")!] = String(rate.limit)
        response.headers[FieldName("x-rate-limit-remaining")!] = String(rate.remaining)
        response.headers[FieldName("x-rate-limit-reset")!] = String(rate.reset)
        return response
    }

    struct FakeCut: Error {}

    /// `HTTPField.Name`, reached through a type Hummingbird exports.
    typealias FieldName = HTTPFields.Element.Name

    /// A JSON answer before headers are added.
    struct Reply: Sendable {
        var status: HTTPResponse.Status
        var data: Data

        var response: Response {
            Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
    }

    static func json(_ status: HTTPResponse.Status, _ object: Any) -> Reply {
        Reply(status: status, data: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8))
    }

    static func problem(_ status: HTTPResponse.Status, _ title: String, detail: String? = nil) -> Reply {
        json(status, ["title": title, "detail": detail ?? title, "type": "about:blank", "status": Int(status.code)])
    }

    static func meta(count: Int, next: String?) -> [String: Any] {
        var meta: [String: Any] = ["result_count": count]
        if let next { meta["next_token"] = next }
        return meta
    }

    static func iso(_ millis: UInt64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }

    static func tweetsBody(_ tweets: [FakeTweet], next: String?, state: FakeXState) async -> [String: Any] {
        var body: [String: Any] = ["meta": meta(count: tweets.count, next: next)]
        guard !tweets.isEmpty else { return body }
        let users = await state.users
        body["data"] = tweets.map { tweet -> [String: Any] in
            var object: [String: Any] = [
                "id": tweet.id, "text": tweet.text, "author_id": tweet.authorID, "conversation_id": tweet.conversationID,
                "created_at": iso(tweet.createdMillis), "lang": tweet.lang, "edit_history_tweet_ids": [tweet.id],
            ]
            if let user = tweet.inReplyToUserID { object["in_reply_to_user_id"] = user }
            if let parent = tweet.repliedToID { object["referenced_tweets"] = [["type": "replied_to", "id": parent]] }
            return object
        }
        body["includes"] = ["users": userObjects(Set(tweets.map(\.authorID)), users: users)]
        return body
    }

    static func userObjects(_ ids: Set<String>, state: FakeXState) async -> [[String: Any]] {
        userObjects(ids, users: await state.users)
    }

    static func userObjects(_ ids: Set<String>, users: [String: FakeUser]) -> [[String: Any]] {
        ids.sorted().compactMap { users[$0] }.map { user -> [String: Any] in
            ["id": user.id, "username": user.username, "name": user.name, "verified": user.verified,
             "public_metrics": ["followers_count": user.followers, "following_count": 10, "tweet_count": 100, "listed_count": 0]]
        }
    }

    static func dmObject(_ dm: FakeDM) -> [String: Any] {
        ["id": dm.id, "event_type": "MessageCreate", "text": dm.text, "sender_id": dm.senderID,
         "dm_conversation_id": dm.conversationID, "created_at": iso(dm.createdMillis)]
    }
}

