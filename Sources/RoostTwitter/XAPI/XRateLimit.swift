/// The rate-limit state X last reported for one endpoint (`x-rate-limit-*` headers).
public struct XRateLimit: Sendable, Hashable, Codable {
    /// `x-rate-limit-limit`: requests per window.
    public var limit: Int?
    /// `x-rate-limit-remaining`: requests left in the window.
    public var remaining: Int?
    /// `x-rate-limit-reset`: when the window resets, Unix seconds.
    public var resetEpochSeconds: Int64?
    /// How many 429 answers this endpoint has had since the client started.
    public var throttled: Int

    /// Creates a state.
    public init(limit: Int? = nil, remaining: Int? = nil, resetEpochSeconds: Int64? = nil, throttled: Int = 0) {
        self.limit = limit
        self.remaining = remaining
        self.resetEpochSeconds = resetEpochSeconds
        self.throttled = throttled
    }
}
