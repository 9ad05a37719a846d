/// Every limit and interval of the web app and local API, in one place.
public enum WebLimits {
    /// Largest JSON request body accepted (bytes); bigger ones get 413.
    public static let maxRequestBody = 64 * 1024
    /// Rows on one inbox page (the API's `limit` defaults to this).
    public static let inboxPage = 50
    /// Queue counts are exact up to this; above it a badge shows `999+` (so counting stays an index walk).
    public static let queueCountCap = 999
    /// Most rows one inbox request may ask for.
    public static let maxInboxLimit = 500
    /// Largest `offset` an inbox request may ask for (paging deeper than this is a search's job).
    public static let maxInboxOffset = 1_000_000
    /// How often the event watcher looks for new ops in the store (ms).
    public static let storePollMillis: UInt64 = 200
    /// How often the event watcher re-reads the peers file for peer up/down (ms).
    public static let peerPollMillis: UInt64 = 1_000
    /// Most ops the watcher describes per poll; more are summarized as one `bulk` event.
    public static let maxOpsPerPoll = 2_000
    /// Events kept per subscriber when it reads slower than they arrive (oldest are dropped).
    public static let subscriberBuffer = 256
    /// Seconds between SSE keep-alive comments.
    public static let keepAliveSeconds: UInt64 = 15
    /// Longest canned-response name, note, reply draft or reason accepted before the desk's own checks (characters).
    public static let maxTextField = 10_000
    /// How long the pages' alert banner reuses an evaluation (ms).
    public static let alertCacheMillis: UInt64 = 30_000
    /// Results the search box shows while the agent types (the search page shows up to ``SearchLimits/maxResults``).
    public static let searchAsYouTypeResults = 8
    /// Most items in a list field of a request body (e.g. an insert's fields).
    public static let maxListField = 256
    /// Presence entries older than this are forgotten (ms).
    public static let presenceTTLMillis: UInt64 = 30_000
    /// Prefix of the session cookie's name (the API port follows: `roost_session_7171`).
    public static let sessionCookie = "roost_session"

    /// A long job's stream (import, ingest, bundle import through the API): least time between progress lines.
    public static let jobProgressIntervalMillis: UInt64 = 200
    /// Lines a job's stream holds for a slow reader (older progress lines are dropped first; the result never is).
    public static let jobBufferedLines = 64
}
