import Foundation
public import Logging
public import NIOCore
public import RoostSync
import NIOHTTP1
import NIOPosix

/// The node's admin HTTP endpoint (`admin` in config.json): `GET /metrics` serves ``NodeMetrics`` in the
/// Prometheus text format; anything else is 404. Bind it to a loopback address: it is unauthenticated.
public final class AdminServer: Sendable {
    let metrics: NodeMetrics
    let group: any EventLoopGroup
    private let channel: BoundChannel

    /// Creates the server; ``start(host:port:)`` binds it.
    public init(metrics: NodeMetrics, group: any EventLoopGroup) {
        self.metrics = metrics
        self.group = group
        channel = BoundChannel()
    }

    /// Binds and serves; returns the bound port (port 0 picks a free one).
    @discardableResult
    public func start(host: String, port: Int) async throws -> Int {
        let metrics = metrics
        let bound = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(MetricsHTTPHandler(metrics: metrics))
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
        let server = AdminServer(metrics: NodeMetrics(node: node, hub: hub), group: group)
        let port = try await server.start(host: parsed.host, port: parsed.port)
        logger.info("admin API listening", metadata: ["address": "\(parsed.host):\(port)", "metrics": "/metrics"])
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

/// Answers `GET /metrics`; 404 otherwise.
final class MetricsHTTPHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let metrics: NodeMetrics

    init(metrics: NodeMetrics) { self.metrics = metrics }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case let .head(request) = unwrapInboundIn(data) else { return }
        let path = request.uri.split(separator: "?").first.map(String.init) ?? request.uri
        let (status, body, type): (HTTPResponseStatus, String, String) = request.method == .GET && path == "/metrics"
            ? (.ok, metrics.render(), "text/plain; version=0.0.4; charset=utf-8")
            : (.notFound, "not found: the admin API serves GET /metrics\n", "text/plain; charset=utf-8")
        var headers = HTTPHeaders()
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
