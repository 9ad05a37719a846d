import Foundation
public import PostgresNIO

/// A `postgres://` (or `postgresql://`) URL read into a client configuration: user, optional password, host,
/// port (5432), database (the user's name when left out), and `sslmode` (`disable`, `prefer` (default) or
/// `require`). A host starting with `/` (percent-encoded) is a Unix socket directory.
public struct MirrorURL: Sendable, Equatable {
    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    public var sslMode: String

    /// Reads `text`; one clear error names what is wrong.
    public init(_ text: String) throws(MirrorError) {
        guard let components = URLComponents(string: text) else { throw .badURL("not a URL") }
        guard let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme.lowercased()) else {
            throw .badURL("the scheme must be postgres:// or postgresql://")
        }
        guard let user = components.user, !user.isEmpty else { throw .badURL("no user name") }
        guard let host = components.host, !host.isEmpty else { throw .badURL("no host") }
        self.user = user.removingPercentEncoding ?? user
        password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.host = host.removingPercentEncoding ?? host
        if let port = components.port {
            guard (1...65_535).contains(port) else { throw .badURL("the port must be 1-65535") }
            self.port = port
        } else {
            port = 5432
        }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !path.contains("/") else { throw .badURL("the path must be just the database name") }
        database = path.isEmpty ? self.user : (path.removingPercentEncoding ?? path)
        sslMode = "prefer"
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let value = item.value, ["disable", "prefer", "require"].contains(value) else {
                    throw .badURL("sslmode must be disable, prefer or require")
                }
                sslMode = value
            default:
                throw .badURL("unknown parameter \(item.name) (only sslmode is read)")
            }
        }
    }

    /// The URL with the password left out, for messages.
    public var redacted: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    /// The client configuration.
    public var configuration: PostgresClient.Configuration {
        if host.hasPrefix("/") {
            let socket = host.hasSuffix(".s.PGSQL.\(port)") ? host : "\(host)/.s.PGSQL.\(port)"
            return PostgresClient.Configuration(unixSocketPath: socket, username: user, password: password, database: database)
        }
        let tls: PostgresClient.Configuration.TLS = switch sslMode {
        case "disable": .disable
        case "require": .require(.makeClientConfiguration())
        default: .prefer(.makeClientConfiguration())
        }
        return PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
    }
}
