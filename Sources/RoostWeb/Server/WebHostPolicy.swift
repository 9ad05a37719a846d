import Foundation
import NIOConcurrencyHelpers

/// Which `Host` a request may name: this node's configured API address, so a page on another site cannot reach
/// the node through a DNS name that resolves to 127.0.0.1 (DNS rebinding). Bound to loopback, the node answers to
/// `127.0.0.1:PORT`, `localhost:PORT` and `[::1]:PORT`; bound elsewhere, to the configured host and port. The
/// port is the one actually bound (config port 0 picks one), set by ``bind(port:)`` once listening.
public final class WebHostPolicy: Sendable {
    private let names: Set<String>
    private let port: NIOLockedValueBox<Int>
    private let exact: Set<String>

    /// The policy for an `api` address (`host:port`).
    public init(api: String) {
        let parsed = (try? WebServer.parseAddress(api)) ?? (host: "127.0.0.1", port: 0)
        let host = parsed.host.lowercased()
        if WebServer.isLoopback(host) {
            names = ["127.0.0.1", "localhost", "[::1]"]
        } else if host == "0.0.0.0" || host == "::" {
            // Every interface: the loopback names, as `roost open` prints one of them.
            names = ["127.0.0.1", "localhost", "[::1]"]
        } else {
            names = [host.contains(":") ? "[\(host)]" : host]
        }
        port = NIOLockedValueBox(parsed.port)
        exact = []
    }

    /// A policy accepting exactly these authorities (as sent in `Host`); for in-process test servers.
    public init(exactly authorities: Set<String>) {
        names = []
        port = NIOLockedValueBox(0)
        exact = Set(authorities.map { $0.lowercased() })
    }

    /// Records the port the server is listening on.
    public func bind(port bound: Int) { port.withLockedValue { $0 = bound } }

    /// Whether a request's authority (`Host`) is acceptable.
    public func accepts(_ authority: String?) -> Bool {
        guard let authority = authority?.lowercased(), !authority.isEmpty else { return false }
        if exact.contains(authority) { return true }
        guard let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") else { return false }
        let name = String(authority[..<colon]), portText = authority[authority.index(after: colon)...]
        guard let sent = Int(portText) else { return false }
        return names.contains(name) && sent == port.withLockedValue { $0 }
    }
}
