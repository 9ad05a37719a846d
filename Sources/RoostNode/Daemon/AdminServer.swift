import Foundation
public import Logging
public import NIOCore
public import RoostSync
import NIOHTTP1
import NIOPosix

/// The node's admin HTTP endpoint (`admin` in config.json): `GET /metrics` serves ``NodeMetrics`` in the
/// Prometheus text format, to requests carrying `Authorization: Bearer <admin.token>` (``AdminToken``; 401
/// without it); anything else is 404. Prefer a loopback address: the token is sent in clear text.
public final class AdminServer: Sendable {
    let metrics: NodeMetrics
    let token: WatchedSecret<AdminToken>
    let group: any EventLoopGroup
    private let channel: BoundChannel

    /// Creates the server of a home (creating its `admin.token` if missing); ``start(host:port:)`` binds it.
    public init(metrics: NodeMetrics, home: NodeHome, group: any EventLoopGroup) throws(NodeError) {
        _ = try AdminToken.ensure(in: home)
        let path = home.adminTokenPath
        self.metrics = metrics
        self.token = WatchedSecret(path: path) { () throws(NodeError) in try AdminToken.load(from: path) }
        self.group = group
        channel = BoundChannel()
    }

    /// Binds and serves; returns the bound port (port 0 picks a free one).
    @discardableResult
    public func start(host: String, port: Int) async throws -> Int {
        let metrics = metrics, token = token
        let bound = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(metrics: metrics, token: token))
                }
            }
            .bind(host: host, port: port).get()
        channel.set(bound)
        return bound.localAddress?.port ?? port
    }

    /// Starts the admin server of a running node when its config names an `admin` address; nil otherwise.
    public static func startIfConfigured(node: Node, hub: PeeringHub, group: any EventLoopGroup,
                                         logger: Logger) async throws -> AdminServer? {
        guard let address = node.config.admin else { return nil }
        let parsed = try PeerAddress(parsing: address)
        let server = try AdminServer(metrics: NodeMetrics(node: node, hub: hub), home: node.home, group: group)
        let port = try await server.start(host: parsed.host, port: parsed.port)
        logger.info("admin API listening", metadata: ["address": "\(parsed.host):\(port)", "metrics": "/metrics", "token_file": "\(node.home.adminTokenPath)"])
        return server
    }

    /// Stops listening.
    public func shutdown() async {
        try? await channel.get()?.close()
    }
}

/// A lock-protected optional channel (the bound server).
final class BoundChannel: @unchecked Sendable {
    private let lock = NSLock()
    private var value: (any Channel)?
    func set(_ channel: any Channel) { lock.withLock { value = channel } }
    func get() -> (any Channel)? { lock.withLock { value } }
}

/// Answers `GET /metrics` with the admin token; 401 without it; 404 for anything else.
final class MetricsHTTPHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let metrics: NodeMetrics
    let token: WatchedSecret<AdminToken>

    init(metrics: NodeMetrics, token: WatchedSecret<AdminToken>) {
        self.metrics = metrics
        self.token = token
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case let .head(request) = unwrapInboundIn(data) else { return }
        let path = request.uri.split(separator: "?").first.map(String.init) ?? request.uri
        let authorized = token.current().value?.authorizes(request.headers.first(name: "Authorization")) == true
        let (status, body, type): (HTTPResponseStatus, String, String) =
            !authorized ? (.unauthorized, "unauthorized: send Authorization: Bearer <the node's admin.token>\n", "text/plain; charset=utf-8")
            : request.method == .GET && path == "/metrics" ? (.ok, metrics.render(), "text/plain; version=0.0.4; charset=utf-8")
            : (.notFound, "not found: the admin API serves GET /metrics\n", "text/plain; charset=utf-8")
        var headers = HTTPHeaders()
        if !authorized { headers.add(name: "WWW-Authenticate", value: "Bearer realm=\"roost-admin\"") }
        headers.add(name: "Content-Type", value: type)
        headers.add(name: "Content-Length", value: "\(body.utf8.count)")
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))),
                      promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
    }
}
