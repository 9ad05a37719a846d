/// Why a call to the X API failed. Messages name the endpoint and the status, never the token or any
/// tweet or message text.
public enum XAPIError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The bearer token could not be read: missing, empty, or a credentials file others can read.
    case credentials(String)
    /// The base URL or a parameter could not form a request.
    case invalidRequest(String)
    /// X answered with a status the client does not retry (4xx other than 429). `detail` is X's
    /// `detail` or `title` from the problem JSON, when it had one.
    case rejected(endpoint: String, status: Int, detail: String?)
    /// Still rate limited (429) after waiting for the reset `attempts` times.
    case rateLimited(endpoint: String, resetEpochSeconds: Int64?)
    /// A network error or 5xx on every attempt; the last cause is named.
    case unavailable(endpoint: String, attempts: Int, cause: String)
    /// A POST whose outcome is unknown: the connection failed or X answered 5xx after the request may have
    /// been sent, so the tweet or DM may or may not exist. The caller must check X before trying again.
    case uncertain(endpoint: String, cause: String)
    /// A 2xx response whose body is not the documented shape.
    case malformed(endpoint: String, reason: String)

    public var description: String {
        switch self {
        case let .credentials(reason): "X credentials: \(reason)"
        case let .invalidRequest(reason): "X API request: \(reason)"
        case let .rejected(endpoint, status, detail): "X API \(endpoint) refused (\(status))" + (detail.map { ": \($0)" } ?? "")
        case let .rateLimited(endpoint, reset):
            "X API \(endpoint) rate limited" + (reset.map { " until \($0) (Unix seconds)" } ?? "")
        case let .unavailable(endpoint, attempts, cause): "X API \(endpoint) unavailable after \(attempts) attempts: \(cause)"
        case let .uncertain(endpoint, cause): "X API \(endpoint) outcome unknown: \(cause)"
        case let .malformed(endpoint, reason): "X API \(endpoint) answered an unexpected body: \(reason)"
        }
    }

    /// Whether X said the request itself is wrong for this item (deleted tweet, blocked user, duplicate
    /// content...), as opposed to a failure of the service or the network.
    public var isRejection: Bool {
        if case .rejected = self { return true }
        return false
    }
}
