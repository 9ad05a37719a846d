import Foundation
import Hummingbird
public import Logging
import NIOConcurrencyHelpers
import NIOCore
import RoostCore
public import RoostNode
public import ServiceLifecycle

/// `roost run`'s web app and local API as a swift-service-lifecycle service: serves the config's `api` address
/// (default `127.0.0.1:7171`), with live events from a ``WebEventHub``. On graceful shutdown open event streams
/// end first, so the server can close.
public struct WebServer: Service {
    let node: Node
    let logger: Logger
    let onListening: @Sendable (_ port: Int) async -> Void
    let relay: PresenceRelay?

    /// Creates the server of an open node. `onListening` gets the bound port (useful with port 0); `presence`
    /// carries presence to and from peers (the sync daemon's side of the same relay).
    public init(node: Node, logger: Logger, presence: PresenceRelay? = nil,
                onListening: @escaping @Sendable (_ port: Int) async -> Void = { _ in }) {
        self.node = node
        self.logger = logger
        self.onListening = onListening
        self.relay = presence
    }

    /// Splits `host:port` (IPv6 in brackets), refusing anything else.
    public static func parseAddress(_ text: String) throws(NodeError) -> (host: String, port: Int) {
        var host = Substring(text)
        guard let colon = host.lastIndex(of: ":"), let port = Int(host[host.index(after: colon)...]), (0...65_535).contains(port) else {
            throw .invalidArgument("api address \"\(text)\" is not host:port")
        }
        host = host[..<colon]
        if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard !host.isEmpty else { throw .invalidArgument("api address \"\(text)\" has no host") }
        return (String(host), port)
    }

    /// Whether a host is loopback-only.
    public static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    /// The URL that signs a browser in: what `roost open` prints. It carries a one-time ``LoginCode``, never the
    /// API token.
    public static func loginURL(api: String, code: String) throws(NodeError) -> String {
        var (host, port) = try parseAddress(api)
        if host == "0.0.0.0" || host == "::" { host = "127.0.0.1" }
        let shown = host.contains(":") ? "[\(host)]" : host
        return "http://\(shown):\(port)/login?code=\(code)"
    }

    public func run() async throws {
        let token = try APIToken.ensure(in: node.home)
        let (host, port) = try Self.parseAddress(node.config.api)
        if !Self.isLoopback(host) {
            logger.warning("the web app and API listen on a non-loopback address: anyone who can reach it can try the token; prefer 127.0.0.1",
                           metadata: ["address": "\(node.config.api)"])
        }
        let hub = WebEventHub(node: node, logger: logger)
        let board = PresenceBoard(relay: relay)
        if let relay {
            let node = node
            relay.attachWeb { message, member in
                let name = (try? DeskService(node: node).memberName(member)) ?? member.short
                board.received(message, from: name, atMillis: SystemClock().nowMillis())
                // Open pages of that ticket redraw their "who is here" list without a reload.
                hub.publish(WebEvent(kind: .presence, ticket: message.ticket, by: name, local: false,
                                     detail: "\(message.activity)"))
            }
        }
        let web = WebApp(node: node, token: token, events: hub, presence: board, logger: logger)
        let logger = logger, onListening = onListening, home = node.home
        let listening = NIOLockedValueBox(false)
        defer { NodeAPIFile.remove(home) }
        let app = Application(
            router: web.router(),
            configuration: .init(address: .hostname(host, port: port), serverName: "roost"),
            onServerRunning: { channel in
                listening.withLockedValue { $0 = true }
                let bound = channel.localAddress?.port ?? port
                web.hosts.bind(port: bound)
                logger.info("web app listening; run `roost open` for the sign-in URL", metadata: ["address": "\(host):\(bound)"])
                // The CLI finds the running node here and sends desk commands through this API.
                let reachable = host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host
                let shown = reachable.contains(":") ? "[\(reachable)]" : reachable
                do {
                    try NodeAPIFile(pid: getpid(), address: "\(shown):\(bound)", writtenMillis: SystemClock().nowMillis()).write(home)
                } catch {
                    logger.warning("cannot write api.json: CLI commands will open the store directly", metadata: ["error": "\(error)"])
                }
                await onListening(bound)
            },
            logger: logger)
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await hub.run() }
                group.addTask { try await app.run() }
                // The first failure ends the other task too (waitForAll would wait for the hub forever).
                while try await group.next() != nil {}
            }
        } catch where !listening.withLockedValue({ $0 }) && !(error is CancellationError) {
            // The address is taken (another node on this machine?) or not ours: keep syncing without the web app.
            logger.error("the web app could not start; set another `api` address in config.json",
                         metadata: ["address": "\(node.config.api)", "error": "\(error)"])
            hub.close()
            try await gracefulShutdown()
        }
    }
}
