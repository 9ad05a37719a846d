public import AsyncHTTPClient
public import Foundation
public import Logging
import NIOCore
import NIOHTTP1
public import RoostCore

/// A client of the X API v2 for one brand account: mentions, conversation search, DM events, posting
/// replies and DMs.
///
/// Every GET is retried on network errors and 5xx with jittered exponential backoff, and waits out a
/// 429 until `x-rate-limit-reset`; a page is either returned whole or the listing fails, so no page is
/// ever skipped. A POST is retried only on 429 (X did not take it); after a network error or 5xx its
/// outcome is unknown and the call throws ``XAPIError/uncertain(endpoint:cause:)`` so the caller can
/// look on X before trying again. The clock, sleeper and jitter are injected so tests are deterministic.
public actor XAPIClient {
    /// Where the API lives: `https://api.x.com` for X, a local address for the fake server.
    public nonisolated let baseURL: String
    /// The brand account's numeric user id.
    public nonisolated let userID: String
    private let token: String
    private let http: HTTPClient
    let limits: XAPILimits
    private let clock: any WallClock
    private let sleeper: any XSleeper
    private let jitter: any XJitter
    private let logger: Logger
    private var rateLimits: [String: XRateLimit] = [:]

    /// Creates a client. `token` is the bearer token (see ``XCredentials``).
    public init(
        baseURL: String, userID: String, token: String, http: HTTPClient = .shared, limits: XAPILimits = .standard,
        clock: any WallClock, sleeper: any XSleeper = XTaskSleeper(), jitter: any XJitter = XRandomJitter(),
        logger: Logger = Logger(label: "roost.x")
    ) throws(XAPIError) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        guard let url = URL(string: base), let scheme = url.scheme, scheme == "https" || scheme == "http", url.host != nil else {
            throw .invalidRequest("base URL must be http(s)://host[:port]")
        }
        guard !userID.isEmpty, userID.allSatisfy(\.isASCIIDigit) else { throw .invalidRequest("user id must be digits") }
        self.baseURL = base
        self.userID = userID
        self.token = token
        self.http = http
        self.limits = limits
        self.clock = clock
        self.sleeper = sleeper
        self.jitter = jitter
        self.logger = logger
    }

    /// The rate-limit state last reported, by endpoint (`GET /2/users/:id/mentions`...).
    public func rateLimitStates() -> [String: XRateLimit] { rateLimits }

    // MARK: requests

    enum Method: String { case get = "GET", post = "POST" }

    /// Sends one request with the retry rules above and returns the 2xx body.
    func send(_ method: Method, endpoint: String, path: String, query: [(String, String)] = [], json: Data? = nil)
        async throws(XAPIError) -> Data
    {
        var components = URLComponents()
        components.path = path
        if !query.isEmpty { components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) } }
        // `+` and `:` are legal in a query but X reads `+` as a space: escape both.
        guard let relative = components.percentEncodedQuery.map({
            path + "?" + $0.replacingOccurrences(of: "+", with: "%2B").replacingOccurrences(of: ":", with: "%3A")
        }) ?? (query.isEmpty ? path : nil) else { throw .invalidRequest("cannot encode the query of \(endpoint)") }
        var request = HTTPClientRequest(url: baseURL + relative)
        request.method = method == .get ? .GET : .POST
        request.headers.add(name: "Authorization", value: "Bearer " + token)
        request.headers.add(name: "User-Agent", value: "roost-gateway")
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: json))
        }

        var failures = 0, waits = 0
        while true {
            try await waitIfExhausted(endpoint)
            let status: Int, headers: HTTPHeaders, body: ByteBuffer
            do {
                let response = try await http.execute(request, timeout: .seconds(limits.requestTimeoutSeconds), logger: nil)
                status = Int(response.status.code)
                headers = response.headers
                body = try await response.body.collect(upTo: limits.maxResponseBytes)
            } catch is CancellationError {
                throw .unavailable(endpoint: endpoint, attempts: failures + 1, cause: "cancelled")
            } catch {
                let cause = Self.describe(error)
                if method == .post { throw .uncertain(endpoint: endpoint, cause: cause) }
                failures += 1
                guard failures < limits.maxAttempts else { throw .unavailable(endpoint: endpoint, attempts: failures, cause: cause) }
                try await backoff(endpoint, attempt: failures, cause: cause)
                continue
            }
            record(endpoint, headers: headers, throttled: status == 429)
            switch status {
            case 200..<300:
                return Data(body.readableBytesView)
            case 429:
                waits += 1
                let reset = rateLimits[endpoint]?.resetEpochSeconds
                guard waits <= limits.maxRateLimitWaits else { throw .rateLimited(endpoint: endpoint, resetEpochSeconds: reset) }
                let wait = resetWait(reset)
                logger.notice("X rate limit hit; waiting for the reset",
                              metadata: ["endpoint": "\(endpoint)", "wait_ms": "\(wait)"])
                try await pause(wait, endpoint)
                rateLimits[endpoint]?.remaining = nil
            case 500..<600:
                let cause = "HTTP \(status)"
                if method == .post { throw .uncertain(endpoint: endpoint, cause: cause) }
                failures += 1
                guard failures < limits.maxAttempts else { throw .unavailable(endpoint: endpoint, attempts: failures, cause: cause) }
                try await backoff(endpoint, attempt: failures, cause: cause)
            default:
                throw .rejected(endpoint: endpoint, status: status, detail: Self.problemDetail(Data(body.readableBytesView)))
            }
        }
    }

    private func backoff(_ endpoint: String, attempt: Int, cause: String) async throws(XAPIError) {
        let full = limits.backoff(attempt: attempt)
        let wait = jitter.pick(full / 2...full)
        logger.info("X API request failed; retrying",
                    metadata: ["endpoint": "\(endpoint)", "cause": "\(cause)", "attempt": "\(attempt)", "wait_ms": "\(wait)"])
        try await pause(wait, endpoint)
    }

    private func pause(_ millis: UInt64, _ endpoint: String) async throws(XAPIError) {
        do { try await sleeper.sleep(millis: millis) } catch {
            throw .unavailable(endpoint: endpoint, attempts: 0, cause: "cancelled")
        }
    }

    /// Milliseconds until `reset` (Unix seconds) plus the margin, capped; the longest backoff when unknown.
    private func resetWait(_ reset: Int64?) -> UInt64 {
        guard let reset, reset > 0 else { return limits.maxBackoffMillis }
        let target = UInt64(reset) * 1000 + limits.resetMarginMillis
        let now = clock.nowMillis()
        return min(limits.maxResetWaitMillis, target > now ? target - now : limits.resetMarginMillis)
    }

    /// Waits for the reset before sending when X said no request is left in the window.
    private func waitIfExhausted(_ endpoint: String) async throws(XAPIError) {
        guard let state = rateLimits[endpoint], state.remaining == 0, let reset = state.resetEpochSeconds,
              UInt64(max(0, reset)) * 1000 > clock.nowMillis() else { return }
        try await pause(resetWait(reset), endpoint)
        rateLimits[endpoint]?.remaining = nil
    }

    private func record(_ endpoint: String, headers: HTTPHeaders, throttled: Bool) {
        var state = rateLimits[endpoint] ?? XRateLimit()
        if let value = headers.first(name: "x-rate-limit-limit").flatMap({ Int($0) }) { state.limit = value }
        if let value = headers.first(name: "x-rate-limit-remaining").flatMap({ Int($0) }) { state.remaining = value }
        if let value = headers.first(name: "x-rate-limit-reset").flatMap({ Int64($0) }) { state.resetEpochSeconds = value }
        if throttled {
            state.throttled += 1
            state.remaining = 0
        }
        rateLimits[endpoint] = state
    }

    /// The error's type and case, without any payload that could hold request data.
    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError { return error.shortDescription }
        return String(describing: type(of: error))
    }

    /// X's problem `detail` (else `title`) from an error body, trimmed to one line.
    static func problemDetail(_ body: Data) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else { return nil }
        let text = (object["detail"] as? String) ?? (object["title"] as? String)
            ?? ((object["errors"] as? [[String: Any]])?.first?["message"] as? String)
        return text.map { String($0.prefix(300)).replacingOccurrences(of: "\n", with: " ") }
    }
}

extension HTTPClientError {
    var shortDescription: String {
        switch self {
        case .remoteConnectionClosed: "remote connection closed"
        case .readTimeout: "read timeout"
        case .connectTimeout: "connect timeout"
        case .deadlineExceeded: "deadline exceeded"
        default: String(description.prefix(80))
        }
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
