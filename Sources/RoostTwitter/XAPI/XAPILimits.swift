/// Limits and timings of the X API client, named in one place.
public struct XAPILimits: Sendable, Hashable {
    /// Attempts per request (first try included) for network errors and 5xx answers.
    public var maxAttempts: Int
    /// Waits for a rate-limit reset per request before giving up with ``XAPIError/rateLimited(endpoint:resetEpochSeconds:)``.
    public var maxRateLimitWaits: Int
    /// First retry delay; doubled per attempt up to ``maxBackoffMillis``, with jitter in [half, full].
    public var baseBackoffMillis: UInt64
    /// Longest retry delay.
    public var maxBackoffMillis: UInt64
    /// Longest wait for a rate-limit reset (X's windows are 15 minutes); a reset further away is capped.
    public var maxResetWaitMillis: UInt64
    /// Margin added after the reset time before trying again.
    public var resetMarginMillis: UInt64
    /// Time a request may take, response body included.
    public var requestTimeoutSeconds: Int64
    /// Largest response body accepted.
    public var maxResponseBytes: Int
    /// `max_results` asked for per page (X allows 5...100 for mentions and search, 1...100 for DM events).
    public var pageSize: Int
    /// Most pages read in one listing; a listing needing more is an error rather than a silent cut.
    public var maxPages: Int

    /// The defaults for the real X API.
    public static let standard = XAPILimits(
        maxAttempts: 5, maxRateLimitWaits: 3, baseBackoffMillis: 500, maxBackoffMillis: 30_000,
        maxResetWaitMillis: 16 * 60_000, resetMarginMillis: 1_000, requestTimeoutSeconds: 30,
        maxResponseBytes: 8 * 1024 * 1024, pageSize: 100, maxPages: 500)

    /// Creates limits.
    public init(
        maxAttempts: Int, maxRateLimitWaits: Int, baseBackoffMillis: UInt64, maxBackoffMillis: UInt64,
        maxResetWaitMillis: UInt64, resetMarginMillis: UInt64, requestTimeoutSeconds: Int64, maxResponseBytes: Int,
        pageSize: Int, maxPages: Int
    ) {
        self.maxAttempts = maxAttempts; self.maxRateLimitWaits = maxRateLimitWaits
        self.baseBackoffMillis = baseBackoffMillis; self.maxBackoffMillis = maxBackoffMillis
        self.maxResetWaitMillis = maxResetWaitMillis; self.resetMarginMillis = resetMarginMillis
        self.requestTimeoutSeconds = requestTimeoutSeconds; self.maxResponseBytes = maxResponseBytes
        self.pageSize = pageSize; self.maxPages = maxPages
    }

    /// The delay before retry number `attempt` (1 for the first retry), before jitter.
    public func backoff(attempt: Int) -> UInt64 {
        let shift = UInt64(min(max(attempt - 1, 0), 30))
        return min(maxBackoffMillis, baseBackoffMillis << shift)
    }
}
