public import Foundation

/// What posting a tweet or DM returned.
public struct XPosted: Sendable, Hashable {
    /// The new tweet's id, or the DM event's id.
    public var id: String
    /// For a DM, the conversation it went to.
    public var dmConversationID: String?
}

extension XAPIClient {
    /// `tweet.fields` asked for on every tweet listing.
    public static let tweetFields = "created_at,conversation_id,in_reply_to_user_id,referenced_tweets,author_id,lang"
    /// `user.fields` asked for with `expansions=author_id`.
    public static let userFields = "username,name,verified,public_metrics"
    /// `dm_event.fields` asked for on DM events.
    public static let dmEventFields = "id,text,event_type,created_at,dm_conversation_id,sender_id"

    /// One page of `GET /2/users/:id/mentions`, newest first, after `sinceID`.
    public func mentionsPage(sinceID: String?, paginationToken: String?) async throws(XAPIError) -> XPage {
        var query = [("max_results", String(limits.pageSize)), ("tweet.fields", Self.tweetFields),
                     ("expansions", "author_id"), ("user.fields", Self.userFields)]
        if let sinceID { query.append(("since_id", sinceID)) }
        if let paginationToken { query.append(("pagination_token", paginationToken)) }
        let endpoint = "GET /2/users/:id/mentions"
        return try parse(try await send(.get, endpoint: endpoint, path: "/2/users/\(userID)/mentions", query: query), endpoint)
    }

    /// One page of `GET /2/tweets/search/recent?query=conversation_id:ID`: the rest of a thread.
    public func conversationPage(_ conversationID: String, paginationToken: String?) async throws(XAPIError) -> XPage {
        guard !conversationID.isEmpty, conversationID.allSatisfy(\.isASCIIDigit) else {
            throw .invalidRequest("conversation id must be digits")
        }
        var query = [("query", "conversation_id:" + conversationID), ("max_results", String(max(10, limits.pageSize))),
                     ("tweet.fields", Self.tweetFields), ("expansions", "author_id"), ("user.fields", Self.userFields)]
        if let paginationToken { query.append(("next_token", paginationToken)) }
        let endpoint = "GET /2/tweets/search/recent"
        return try parse(try await send(.get, endpoint: endpoint, path: "/2/tweets/search/recent", query: query), endpoint)
    }

    /// One page of `GET /2/dm_events` (`MessageCreate` only), newest first.
    public func dmEventsPage(paginationToken: String?) async throws(XAPIError) -> XPage {
        var query = [("max_results", String(limits.pageSize)), ("event_types", "MessageCreate"),
                     ("dm_event.fields", Self.dmEventFields), ("expansions", "sender_id"), ("user.fields", Self.userFields)]
        if let paginationToken { query.append(("pagination_token", paginationToken)) }
        let endpoint = "GET /2/dm_events"
        return try parse(try await send(.get, endpoint: endpoint, path: "/2/dm_events", query: query), endpoint)
    }

    /// Every mention after `sinceID`, all pages, oldest first. Throws rather than returning a partial list.
    public func mentions(sinceID: String?) async throws(XAPIError) -> [XTweet] {
        var tweets: [XTweet] = []
        var token: String? = nil
        var pages = 0
        repeat {
            pages += 1
            guard pages <= limits.maxPages else { throw .malformed(endpoint: "GET /2/users/:id/mentions", reason: "more than \(limits.maxPages) pages") }
            let page = try await mentionsPage(sinceID: sinceID, paginationToken: token)
            for case let .tweet(tweet) in page.items { tweets.append(tweet) }
            token = page.nextToken
        } while token != nil
        return tweets.sorted { XIDs.precedes($0.id, $1.id) }
    }

    /// Every tweet of a conversation X's recent search still has, oldest first.
    public func conversation(_ conversationID: String) async throws(XAPIError) -> [XTweet] {
        var tweets: [XTweet] = []
        var token: String? = nil
        var pages = 0
        repeat {
            pages += 1
            guard pages <= limits.maxPages else { throw .malformed(endpoint: "GET /2/tweets/search/recent", reason: "more than \(limits.maxPages) pages") }
            let page = try await conversationPage(conversationID, paginationToken: token)
            for case let .tweet(tweet) in page.items { tweets.append(tweet) }
            token = page.nextToken
        } while token != nil
        return tweets.sorted { XIDs.precedes($0.id, $1.id) }
    }

    /// DM events newer than `afterID` (all of them when nil), oldest first: pages are read newest first
    /// until one reaches `afterID`, or holds an event created before `notBeforeMillis`.
    public func directMessages(after afterID: String?, notBeforeMillis: UInt64? = nil) async throws(XAPIError) -> [XDirectMessage] {
        try await directMessageListing(after: afterID, notBeforeMillis: notBeforeMillis).messages
    }

    /// ``directMessages(after:notBeforeMillis:)`` with the senders' profiles (`includes.users`).
    public func directMessageListing(after afterID: String?, notBeforeMillis: UInt64? = nil)
        async throws(XAPIError) -> (messages: [XDirectMessage], users: [String: XUser])
    {
        var messages: [XDirectMessage] = []
        var users: [String: XUser] = [:]
        var token: String? = nil
        var pages = 0
        repeat {
            pages += 1
            guard pages <= limits.maxPages else { throw .malformed(endpoint: "GET /2/dm_events", reason: "more than \(limits.maxPages) pages") }
            let page = try await dmEventsPage(paginationToken: token)
            users.merge(page.users) { first, _ in first }
            var reachedCursor = false
            for case let .dm(message) in page.items {
                if let afterID, !XIDs.precedes(afterID, message.id) { reachedCursor = true; continue }
                if let notBeforeMillis, message.createdAtMillis < notBeforeMillis { reachedCursor = true; continue }
                messages.append(message)
            }
            token = reachedCursor ? nil : page.nextToken
        } while token != nil
        return (messages.sorted { XIDs.precedes($0.id, $1.id) }, users)
    }

    /// `POST /2/tweets`: posts `text` as a reply to `inReplyTo` (a plain tweet when nil).
    public func postTweet(_ text: String, inReplyTo: String?) async throws(XAPIError) -> XPosted {
        struct Reply: Encodable { var in_reply_to_tweet_id: String }
        struct Body: Encodable { var text: String; var reply: Reply? }
        let endpoint = "POST /2/tweets"
        let json = try encode(Body(text: text, reply: inReplyTo.map(Reply.init)), endpoint)
        let data = try await send(.post, endpoint: endpoint, path: "/2/tweets", json: json)
        struct Created: Decodable { struct Tweet: Decodable { var id: String }; var data: Tweet }
        guard let created = try? JSONDecoder().decode(Created.self, from: data), created.data.id.allSatisfy(\.isASCIIDigit) else {
            throw .malformed(endpoint: endpoint, reason: "no data.id")
        }
        return XPosted(id: created.data.id, dmConversationID: nil)
    }

    /// `POST /2/dm_conversations/with/:participant_id/messages`: sends a DM.
    public func sendDirectMessage(_ text: String, to participantID: String) async throws(XAPIError) -> XPosted {
        guard !participantID.isEmpty, participantID.allSatisfy(\.isASCIIDigit) else { throw .invalidRequest("participant id must be digits") }
        struct Body: Encodable { var text: String }
        let endpoint = "POST /2/dm_conversations/with/:participant_id/messages"
        let json = try encode(Body(text: text), endpoint)
        let data = try await send(.post, endpoint: endpoint, path: "/2/dm_conversations/with/\(participantID)/messages", json: json)
        struct Created: Decodable {
            struct Event: Decodable { var dm_conversation_id: String; var dm_event_id: String }
            var data: Event
        }
        guard let created = try? JSONDecoder().decode(Created.self, from: data) else {
            throw .malformed(endpoint: endpoint, reason: "no data.dm_event_id")
        }
        return XPosted(id: created.data.dm_event_id, dmConversationID: created.data.dm_conversation_id)
    }

    private func parse(_ data: Data, _ endpoint: String) throws(XAPIError) -> XPage {
        do { return try XPayload.parse(line: data) } catch {
            if case let .malformed(_, reason) = error { throw .malformed(endpoint: endpoint, reason: reason) }
            throw .malformed(endpoint: endpoint, reason: "unreadable")
        }
    }

    private func encode(_ body: some Encodable, _ endpoint: String) throws(XAPIError) -> Data {
        do { return try JSONEncoder().encode(body) } catch { throw .invalidRequest("cannot encode the body of \(endpoint)") }
    }
}

/// X ids: decimal strings too large for a double, compared as numbers.
public enum XIDs {
    /// Whether id `a` is smaller than id `b` (shorter first, then character by character).
    public static func precedes(_ a: String, _ b: String) -> Bool { Threading.precedes(a, b) }

    /// The larger of two ids.
    public static func max(_ a: String?, _ b: String) -> String {
        guard let a else { return b }
        return precedes(a, b) ? b : a
    }
}
