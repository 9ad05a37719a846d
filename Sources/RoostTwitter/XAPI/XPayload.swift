public import Foundation

/// What one response line held.
public struct XPage: Sendable, Hashable {
    /// Tweets and direct messages, in the order of `data`.
    public var items: [XItem]
    /// DM events other than `MessageCreate` (participants joining or leaving), skipped.
    public var skippedEvents: Int
    /// `meta.next_token`: pass it as `pagination_token` to get the next page.
    public var nextToken: String?
    /// `includes.users` by id (for DM events: the senders, with `expansions=sender_id`).
    public var users: [String: XUser]

    /// Creates a page.
    public init(items: [XItem], skippedEvents: Int = 0, nextToken: String? = nil, users: [String: XUser] = [:]) {
        self.items = items
        self.skippedEvents = skippedEvents
        self.nextToken = nextToken
        self.users = users
    }
}

/// What a whole JSONL file held: the items of every good line and the errors of the others.
public struct XPayloadResult: Sendable, Hashable {
    /// Items of every line that parsed, in file order.
    public var items: [XItem]
    /// DM events skipped (not `MessageCreate`), over all good lines.
    public var skippedEvents: Int
    /// One error per rejected line; the caller decides whether any is fatal.
    public var errors: [XPayloadError]
    /// `meta.next_token` of the last line that had one.
    public var nextToken: String?
}

/// Parses X API v2 responses saved as JSONL, one response object per line:
/// - tweets (`GET /2/users/:id/mentions`, search, timelines): `{"data":[tweet…],"includes":{"users":[…]},"meta":{…}}`;
/// - one tweet (`GET /2/tweets/:id`): `{"data":{tweet}}`;
/// - DM events (`GET /2/dm_events`): `{"data":[{"id","event_type":"MessageCreate","text","sender_id","dm_conversation_id","created_at"}…]}`.
///
/// An element of `data` with an `event_type` is a DM event, any other a tweet. Ids must be JSON strings
/// of digits (X sends them as strings because they exceed a double's precision); a number is rejected.
/// A line with any bad element is rejected whole, with a reason naming the field
/// (`data[2].created_at is not ISO 8601`). A response with no `data` but a `meta` (no results) is an
/// empty page; one with only `errors` is rejected.
public enum XPayload {
    /// Parses one response object; `lineNumber` is used in errors.
    public static func parse(line: Data, lineNumber: Int = 1) throws(XPayloadError) -> XPage {
        func fail(_ reason: String) -> XPayloadError { .malformed(line: lineNumber, reason: reason) }
        guard line.count <= TwitterLimits.maxJSONLineBytes else {
            throw fail("line longer than \(TwitterLimits.maxJSONLineBytes) bytes")
        }
        guard let value = JSONValue.parse(line) else { throw fail("not valid JSON") }
        let top = try JSONFields.object(value, path: "", line: lineNumber)

        var users: [String: XUser] = [:]
        if let includes = try top.optionalObject("includes"), let list = try includes.optionalArray("users") {
            for (index, element) in list.enumerated() {
                let user = try Self.user(try JSONFields.object(element, path: "includes.users[\(index)]", line: lineNumber))
                users[user.id] = user
            }
        }
        let nextToken = try top.optionalObject("meta")?.optionalString("next_token")

        var page = XPage(items: [], nextToken: nextToken, users: users)
        switch top.value("data") {
        case nil:
            if let errors = try top.optionalArray("errors") {
                throw fail("no data; the response holds \(errors.count) X API error(s)")
            }
            guard top.value("meta") != nil else { throw fail("data is missing") }
        case let .array(elements)?:
            for (index, element) in elements.enumerated() {
                try add(element, path: "data[\(index)]", to: &page, users: users, line: lineNumber)
            }
        case let element?:
            try add(element, path: "data", to: &page, users: users, line: lineNumber)
        }
        return page
    }

    /// Parses every non-blank line of a JSONL file (LF or CRLF); a bad line is reported and skipped.
    public static func parse(jsonl: Data) -> XPayloadResult {
        var result = XPayloadResult(items: [], skippedEvents: 0, errors: [], nextToken: nil)
        var lineNumber = 0
        for var line in jsonl.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            lineNumber += 1
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            guard line.contains(where: { !isJSONWhitespace($0) }) else { continue }
            do {
                let page = try parse(line: Data(line), lineNumber: lineNumber)
                result.items += page.items
                result.skippedEvents += page.skippedEvents
                if let token = page.nextToken { result.nextToken = token }
            } catch {
                result.errors.append(error)
            }
        }
        return result
    }

    private static func isJSONWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private static let messageCreate = "MessageCreate"

    private static func add(
        _ element: JSONValue, path: String, to page: inout XPage, users: [String: XUser], line: Int
    ) throws(XPayloadError) {
        let fields = try JSONFields.object(element, path: path, line: line)
        if fields.members["event_type"] != nil {
            let eventType = try fields.string("event_type")
            guard eventType == messageCreate else {
                page.skippedEvents += 1
                return
            }
            page.items.append(.dm(XDirectMessage(
                id: try fields.id("id"), eventType: eventType, text: try fields.string("text"),
                senderID: try fields.id("sender_id"), conversationID: try fields.string("dm_conversation_id"),
                createdAtMillis: try fields.time("created_at"))))
        } else {
            page.items.append(.tweet(try tweet(fields, users: users)))
        }
    }

    private static func tweet(_ fields: JSONFields, users: [String: XUser]) throws(XPayloadError) -> XTweet {
        let id = try fields.id("id")
        let text = try fields.string("text")
        let authorID = try fields.id("author_id")
        let conversationID = try fields.id("conversation_id")
        let created = try fields.time("created_at")
        let inReplyTo = try fields.optionalID("in_reply_to_user_id")
        var repliedTo: String?
        if let references = try fields.optionalArray("referenced_tweets") {
            for (index, element) in references.enumerated() {
                let reference = try JSONFields.object(element, path: fields.path("referenced_tweets[\(index)]"), line: fields.line)
                let type = try reference.string("type")
                let referencedID = try reference.id("id")
                if type == "replied_to", repliedTo == nil { repliedTo = referencedID }
            }
        }
        return XTweet(
            id: id, text: HTMLEntities.decode(text), authorID: authorID, conversationID: conversationID,
            createdAtMillis: created, inReplyToUserID: inReplyTo, repliedToTweetID: repliedTo,
            lang: try fields.optionalString("lang"), author: users[authorID])
    }

    private static func user(_ fields: JSONFields) throws(XPayloadError) -> XUser {
        XUser(
            id: try fields.id("id"), username: try fields.string("username"), name: try fields.string("name"),
            verified: try fields.optionalBool("verified"),
            followers: try fields.optionalObject("public_metrics")?.optionalInt("followers_count"))
    }
}
