public import Foundation

/// This node's local X gateway settings (`<home>/x-gateway.json`, written by `roost gateway configure`).
/// Local only: credentials never enter the op log, and agents' nodes need none of this.
public struct GatewaySettings: Sendable, Codable, Equatable {
    /// The X API base URL (`https://api.x.com`; a local address for the fake server).
    public var baseURL: String
    /// The file holding the OAuth 2.0 user-context bearer token (mode 0600); nil to read
    /// `ROOST_X_BEARER_TOKEN` from the environment.
    public var tokenFile: String?
    /// Timings.
    public var limits: GatewayLimits

    /// The environment variable that overrides ``baseURL``.
    public static let baseURLVariable = "ROOST_X_API_BASE"
    /// The real X API.
    public static let realBaseURL = "https://api.x.com"

    /// Creates settings.
    public init(baseURL: String = GatewaySettings.realBaseURL, tokenFile: String? = nil, limits: GatewayLimits = .standard) {
        self.baseURL = baseURL
        self.tokenFile = tokenFile
        self.limits = limits
    }

    /// The settings file of a home.
    public static func url(_ home: NodeHome) -> URL { home.url.appendingPathComponent("x-gateway.json") }

    /// The home's settings (defaults when there is no file), with the environment's base URL override.
    public static func load(_ home: NodeHome, environment: [String: String] = ProcessInfo.processInfo.environment)
        throws(NodeError) -> GatewaySettings
    {
        var settings = GatewaySettings()
        if let data = FileManager.default.contents(atPath: url(home).path) {
            do { settings = try JSONDecoder().decode(GatewaySettings.self, from: data) } catch {
                throw .badConfig(path: url(home).path, reason: "not valid gateway settings")
            }
        }
        if let base = environment[baseURLVariable], !base.isEmpty { settings.baseURL = base }
        return settings
    }

    /// Writes the settings file.
    public func save(_ home: NodeHome) throws(NodeError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do { try encoder.encode(self).write(to: Self.url(home), options: .atomic) } catch {
            throw .io(path: Self.url(home).path, reason: "cannot write")
        }
    }
}

/// What `roost run` last wrote about the gateway (`<home>/gateway.json`), for `roost gateway status`.
public struct GatewayStatusFile: Sendable, Codable, Equatable {
    /// One handle this node serves.
    public struct Handle: Sendable, Codable, Equatable {
        public var userID: String
        public var username: String
        public var lastPollMillis: UInt64?
        public var lastDrainMillis: UInt64?
        public var lastError: String?
        public var rateLimits: [String: RateLimit]

        /// An endpoint's rate-limit state (X's `x-rate-limit-*` headers).
        public struct RateLimit: Sendable, Codable, Equatable {
            public var limit: Int?
            public var remaining: Int?
            public var resetEpochSeconds: Int64?
            public var throttled: Int
        }
    }

    /// When it was written (Unix ms).
    public var writtenMillis: UInt64
    /// The handles.
    public var handles: [Handle]

    /// The file of a home.
    public static func url(_ home: NodeHome) -> URL { home.url.appendingPathComponent("gateway.json") }

    /// Reads the file of a home, if any.
    public static func load(_ home: NodeHome) -> GatewayStatusFile? {
        guard let data = FileManager.default.contents(atPath: url(home).path) else { return nil }
        return try? JSONDecoder().decode(GatewayStatusFile.self, from: data)
    }
}
