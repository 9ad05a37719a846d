/// One row of the TWCS ("Customer Support on Twitter") dataset, validated.
public struct TWCSRecord: Sendable, Hashable {
    /// The columns of the dataset, in order, exactly as its header names them.
    public static let columns = [
        "tweet_id", "author_id", "inbound", "created_at", "text", "response_tweet_id", "in_response_to_tweet_id",
    ]

    /// Physical line (1-based, counting LF bytes; the header is line 1) on which the record starts.
    public var line: Int
    /// Anonymized tweet id, decimal digits.
    public var tweetID: String
    /// A brand's handle for company tweets, an anonymized number for customers.
    public var authorID: String
    /// True when the tweet is from a customer to a company.
    public var inbound: Bool
    /// `created_at` as milliseconds since 1970 UTC.
    public var createdAtMillis: UInt64
    /// Tweet text with HTML entities decoded.
    public var text: String
    /// Ids of the tweets replying to this one (may name tweets outside the file).
    public var responseTweetIDs: [String]
    /// Id of the tweet this one replies to (the file writes it as a float, `3.0`; this holds `3`).
    public var inResponseToTweetID: String?

    /// Creates a record from already-validated values.
    public init(
        line: Int, tweetID: String, authorID: String, inbound: Bool, createdAtMillis: UInt64, text: String,
        responseTweetIDs: [String], inResponseToTweetID: String?
    ) {
        self.line = line
        self.tweetID = tweetID
        self.authorID = authorID
        self.inbound = inbound
        self.createdAtMillis = createdAtMillis
        self.text = text
        self.responseTweetIDs = responseTweetIDs
        self.inResponseToTweetID = inResponseToTweetID
    }
}
