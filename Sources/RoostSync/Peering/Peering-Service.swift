import Foundation
public import Logging
import NIOConcurrencyHelpers
public import NIOCore
import NIOPosix
public import RoostCore
public import RoostCrypto

/// A peer to dial: `host:port`, optionally pinned to a node id as `NODEID@host:port`.
public struct PeerAddress: Sendable, Hashable, CustomStringConvertible {
    /// The node expected at the address (the handshake refuses another), when pinned.
    public var node: AuthorID?
    public var host: String
    public var port: Int

    /// Parses `host:port` or `NODEID@host:port`.
    public init(parsing text: String) throws(PeeringError) {
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        if let at = rest.firstIndex(of: "@") {
            guard let id = try? AuthorID(text: String(rest[..<at])) else { throw .badAddress(text, "the node id before @ is not valid") }
            node = id
            rest = rest[rest.index(after: at)...]
        } else {
            node = nil
        }
        guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]), (1...65_535).contains(port),
              colon != rest.startIndex
        else { throw .badAddress(text, "expected host:port") }
        host = String(rest[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        self.port = port
    }

    public var description: String { "\(node.map { $0.text + "@" } ?? "")\(host):\(port)" }
}

/// Errors of the peering service.
public enum PeeringError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An address that cannot be parsed.
    case badAddress(String, String)
    /// Listening failed.
    case cannotListen(String)

    public var description: String {
        switch self {
        case let .badAddress(text, why): "peer address \"\(text)\": \(why)"
        case let .cannotListen(why): "cannot listen: \(why)"
        }
    }
}

/// Listens for peers and dials known ones, running the handshake and a sync session on each connection.
public final class PeeringService: @unchecked Sendable {
    let hub: PeeringHub
    let identity: SigningKey
    let networkKey: NetworkKey
    let group: any EventLoopGroup
    let admission: PeerAdmission
    let syncConfiguration: SyncConfiguration
    let logger: Logger
    private let lock = NIOLock()
    private var channels: [ObjectIdentifier: any Channel] = [:]
    private var dialers: [Task<Void, Never>] = []
    private var server: (any Channel)?
    private var polling: RepeatedTask?
    /// A partial node's holdings: then every session is a partial one (``PartialSessionHandler``) with a full peer.
    let partial: PartialNodeBox?

    /// Creates the service. `admission` decides which authenticated identities may sync and admits new
    /// members (the roster).
    public init(
        hub: PeeringHub, identity: SigningKey, networkKey: NetworkKey, group: any EventLoopGroup,
        syncConfiguration: SyncConfiguration = .init(), logger: Logger = Logger(label: "roost.peering"),
        admission: PeerAdmission, partial: PartialNodeBox? = nil
    ) {
        self.hub = hub; self.identity = identity; self.networkKey = networkKey; self.group = group
        self.syncConfiguration = syncConfiguration; self.logger = logger; self.admission = admission
        self.partial = partial
        hub.useAdmission(admission.verdict)
        polling = hub.startPolling(on: group.next())
    }

    /// Creates the service with a handshake-only check: `allowPeer` decides, nobody joins.
    public convenience init(
        hub: PeeringHub, identity: SigningKey, networkKey: NetworkKey, group: any EventLoopGroup,
        syncConfiguration: SyncConfiguration = .init(), logger: Logger = Logger(label: "roost.peering"),
        allowPeer: @escaping @Sendable (AuthorID) -> Handshake.PeerDecision
    ) {
        self.init(hub: hub, identity: identity, networkKey: networkKey, group: group, syncConfiguration: syncConfiguration,
                  logger: logger, admission: PeerAdmission(allowPeer: allowPeer))
    }

    private func configure(_ channel: any Channel, role: Handshake.Role, expected: AuthorID?, address: String?,
                           onEstablished: (@Sendable (AuthorID) -> Void)?) -> EventLoopFuture<Void> {
        let configuration = Handshake.Configuration(networkKey: networkKey, identity: identity, expectedPeer: expected,
                                                    allowPeer: admission.handshakeDecision)
        let secure = SecureChannelHandler(role: role, configuration: configuration, logger: logger)
        track(channel)
        if let partial {
            let session = PartialSessionHandler(box: partial, address: address, join: admission.join, onEstablished: onEstablished)
            return channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandlers([secure, session])
            }
        }
        let session = PeeringSessionHandler(hub: hub, configuration: syncConfiguration, address: address, admission: admission)
        session.onEstablished = onEstablished
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandlers([secure, session])
        }
    }

    private func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        lock.withLock { channels[id] = channel }
        channel.closeFuture.whenComplete { _ in self.lock.withLock { _ = self.channels.removeValue(forKey: id) } }
    }

    /// Starts listening; returns the bound address (port 0 picks a free port).
    public func listen(host: String, port: Int) async throws -> SocketAddress {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                self.configure(channel, role: .responder, expected: nil, address: nil, onEstablished: nil)
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: host, port: port).get()
        } catch {
            throw PeeringError.cannotListen("\(host):\(port): \(error)")
        }
        lock.withLock { server = channel }
        logger.info("listening for peers", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")"])
        return channel.localAddress!
    }

    /// Keeps a connection to `peer` open: dials, and redials after a failure or close with jittered
    /// exponential backoff (reset once a session was established).
    public func dial(_ peer: PeerAddress) {
        let task = Task {
            var backoff = Backoff()
            while !Task.isCancelled {
                let established = NIOLockedValueBox(false)
                do {
                    let channel = try await ClientBootstrap(group: group)
                        .channelInitializer { channel in
                            self.configure(channel, role: .initiator, expected: peer.node, address: peer.description,
                                           onEstablished: { _ in established.withLockedValue { $0 = true } })
                        }
                        .connect(host: peer.host, port: peer.port).get()
                    try await channel.closeFuture.get()
                } catch {
                    logger.debug("dial failed", metadata: ["peer": "\(peer)", "reason": "\(error)"])
                }
                if established.withLockedValue({ $0 }) { backoff.reset() }
                let delay = backoff.nextDelayMillis()
                try? await Task.sleep(nanoseconds: delay * 1_000_000)
            }
        }
        lock.withLock { dialers.append(task) }
    }

    /// Stops dialing and listening and closes every connection (each sends its FINAL frame first).
    public func shutdown() async {
        let (tasks, server, open) = lock.withLock { (dialers, self.server, Array(channels.values)) }
        polling?.cancel()
        for task in tasks { task.cancel() }
        try? await server?.close()
        for channel in open { try? await channel.close() }
    }
}
