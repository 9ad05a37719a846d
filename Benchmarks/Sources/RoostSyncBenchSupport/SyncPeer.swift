import Foundation
public import Logging
public import NIOConcurrencyHelpers
public import NIOCore
public import NIOPosix
public import RoostCore
public import RoostCrypto
public import RoostStore
public import RoostSync
import RoostBenchSupport

/// Shared by every node of a sync benchmark run: a silent logger, one event loop group, one network key.
public enum SyncBench {
    public static let quiet: Logger = {
        var logger = Logger(label: "bench")
        logger.logLevel = .critical
        return logger
    }()
    public static let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    public static let networkKey = NetworkKey.generate()
}

/// A node of a sync benchmark: a store, its peering hub and the service that listens and dials on 127.0.0.1.
public final class SyncPeer: @unchecked Sendable {
    public let author: LocalAuthor
    public let store: OpStore
    public let hub: PeeringHub
    public let service: PeeringService

    /// A node whose key is `seed` repeated (its epoch is `seed` too), admitting every peer.
    public init(seed: UInt8, store: OpStore, configuration: SyncConfiguration = .init()) throws {
        author = LocalAuthor(key: try SigningKey(seed: [UInt8](repeating: seed, count: 32)), epoch: UInt64(seed))
        self.store = store
        hub = try PeeringHub(store: store, local: author.id, clock: SystemClock(), logger: SyncBench.quiet)
        service = PeeringService(hub: hub, identity: author.key, networkKey: SyncBench.networkKey, group: SyncBench.group,
                                 syncConfiguration: configuration, logger: SyncBench.quiet) { _ in .allow }
    }

    /// Dials `other`, listening on 127.0.0.1:`port` (its own port, or a proxy's).
    public func dial(_ port: Int, _ other: SyncPeer) throws {
        service.dial(try PeerAddress(parsing: "\(other.author.id.text)@127.0.0.1:\(port)"))
    }
}

/// Forwards bytes between a client and 127.0.0.1:`target`, counting them (both directions).
public final class CountingProxy: @unchecked Sendable {
    public let bytes = NIOLockedValueBox(0)
    public private(set) var port = 0
    private var server: (any Channel)?

    public init() {}

    /// Stops listening (connections already forwarded stay up until either side closes them).
    public func stop() async {
        try? await server?.close()
        server = nil
    }

    final class Forward: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let peer: any Channel
        let count: NIOLockedValueBox<Int>
        init(_ peer: any Channel, _ count: NIOLockedValueBox<Int>) { self.peer = peer; self.count = count }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            count.withLockedValue { $0 += buffer.readableBytes }
            peer.writeAndFlush(buffer, promise: nil)
        }
        func channelInactive(context: ChannelHandlerContext) { peer.close(promise: nil) }
    }

    /// Listens on an ephemeral port of 127.0.0.1 (``port``) and forwards each connection to `target`.
    public func start(target: Int) async throws {
        let count = bytes
        let server = try await ServerBootstrap(group: SyncBench.group)
            .childChannelInitializer { inbound in
                ClientBootstrap(group: inbound.eventLoop).connect(host: "127.0.0.1", port: target).flatMap { outbound in
                    outbound.pipeline.addHandler(Forward(inbound, count)).flatMap {
                        inbound.pipeline.addHandler(Forward(outbound, count))
                    }
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        self.server = server
        port = server.localAddress!.port!
    }
}
