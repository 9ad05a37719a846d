/// An X account, as found in a response's `includes.users`.
public struct XUser: Sendable, Hashable {
    /// Numeric user id, as a string.
    public var id: String
    /// The handle, without `@`.
    public var username: String
    /// Display name.
    public var name: String
    /// Whether X marks the account verified, when the response says.
    public var verified: Bool?
    /// `public_metrics.followers_count`, when the response has it.
    public var followers: Int?

    /// Creates a user.
    public init(id: String, username: String, name: String, verified: Bool? = nil, followers: Int? = nil) {
        self.id = id
        self.username = username
        self.name = name
        self.verified = verified
        self.followers = followers
    }
}

/// A tweet from an X API v2 response.
public struct XTweet: Sendable, Hashable {
    /// Tweet id, as a string.
    public var id: String
    /// Tweet text with HTML entities decoded (X escapes `&`, `<` and `>` in tweet text).
    public var text: String
    /// Id of the author.
    public var authorID: String
    /// Id of the conversation's first tweet.
    public var conversationID: String
    /// `created_at` as milliseconds since 1970 UTC.
    public var createdAtMillis: UInt64
    /// Id of the user this tweet replies to.
    public var inReplyToUserID: String?
    /// Id of the tweet this one replies to (its `referenced_tweets` entry of type `replied_to`).
    public var repliedToTweetID: String?
    /// Language X detected (BCP 47), when requested.
    public var lang: String?
    /// The author, when the response's `includes.users` holds them.
    public var author: XUser?

    /// Creates a tweet.
    public init(
        id: String, text: String, authorID: String, conversationID: String, createdAtMillis: UInt64,
        inReplyToUserID: String? = nil, repliedToTweetID: String? = nil, lang: String? = nil, author: XUser? = nil
    ) {
        self.id = id
        self.text = text
        self.authorID = authorID
        self.conversationID = conversationID
        self.createdAtMillis = createdAtMillis
        self.inReplyToUserID = inReplyToUserID
        self.repliedToTweetID = repliedToTweetID
        self.lang = lang
        self.author = author
    }
}

/// A direct message (`MessageCreate` event) from an X API v2 DM events response.
public struct XDirectMessage: Sendable, Hashable {
    /// Event id, as a string.
    public var id: String
    /// The event type; always `MessageCreate` (other events are skipped).
    public var eventType: String
    /// Message text, as sent.
    public var text: String
    /// Id of the sender.
    public var senderID: String
    /// `dm_conversation_id` (for one-to-one conversations, the two user ids joined by `-`).
    public var conversationID: String
    /// `created_at` as milliseconds since 1970 UTC.
    public var createdAtMillis: UInt64

    /// Creates a direct message.
    public init(id: String, eventType: String, text: String, senderID: String, conversationID: String, createdAtMillis: UInt64) {
        self.id = id
        self.eventType = eventType
        self.text = text
        self.senderID = senderID
        self.conversationID = conversationID
        self.createdAtMillis = createdAtMillis
    }
}

/// One thing read from an X API payload.
public enum XItem: Sendable, Hashable {
    /// A tweet (mention, reply, timeline entry).
    case tweet(XTweet)
    /// A direct message.
    case dm(XDirectMessage)
}
