public import Foundation
public import RoostTwitter
import RoostCore

/// Resolving X handles to user ids through this node's gateway settings (base URL and bearer token of
/// `roost gateway configure`), for `roost x lookup` and `roost gateway assign --handle`.
public enum GatewayLookup {
    /// The X user `handle` (`@name` or `name`) names, or nil when X has none. Throws when the handle is not
    /// a valid username, the token is unavailable, or X cannot be reached.
    public static func user(_ handle: String, home: NodeHome,
                            environment: [String: String] = ProcessInfo.processInfo.environment)
        async throws(XAPIError) -> XUser?
    {
        let settings: GatewaySettings
        do { settings = try GatewaySettings.load(home, environment: environment) } catch {
            throw .credentials(error.description)
        }
        let token = try XCredentials.bearerToken(file: settings.tokenFile, environment: environment)
        // A lookup reads no brand timeline, so the client's brand user id is not used: "0" stands in.
        let client = try XAPIClient(baseURL: settings.baseURL, userID: "0", token: token, clock: SystemClock())
        return try await client.user(username: handle)
    }
}
