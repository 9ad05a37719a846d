import Foundation
public import Logging
import NIOPosix
import RoostCore
import RoostCrypto
import RoostStore
public import RoostSync
public import ServiceLifecycle

/// `roost run`: the node's peering daemon as a swift-service-lifecycle service. Listens on the config's
/// address, keeps connections to the config's peers, pushes every new op (including ones the CLI writes
/// meanwhile, from another process), writes `peers.json` for `roost peers`, and on SIGINT/SIGTERM
/// closes every session cleanly (each stream ends with its FINAL frame; committed ops are never lost).
public struct NodeDaemon: Service {
    let node: Node
    let logger: Logger
    let presence: PresenceRelay?
    let waitsForTeam: Bool

    /// How often `peers.json` is rewritten.
    static let statusInterval: UInt64 = 1_000_000_000

    /// How often a daemon waiting for a team looks for one (ns).
    static let teamPollInterval: UInt64 = 500_000_000

    /// Creates the daemon of an open node. With `waitsForTeam`, a node without a team waits until one is created
    /// or joined (from the web app, or the CLI in another process), then starts syncing; without it, it refuses.
    public init(node: Node, logger: Logger, presence: PresenceRelay? = nil, waitsForTeam: Bool = false) {
        self.node = node
        self.logger = logger
        self.presence = presence
        self.waitsForTeam = waitsForTeam
    }

    public func run() async throws {
        if waitsForTeam {
            while try node.home.team(of: node) == nil {
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                try? await Task.sleep(nanoseconds: Self.teamPollInterval)
            }
            logger.notice("this node now belongs to a team: starting to sync")
        }
        guard let team = try node.home.team(of: node) else {
            throw NodeError.invalidArgument("this node has no team yet; run `roost team create` or `roost team join INVITE`")
        }
        let listen = try PeerAddress(parsing: node.config.listen)
        // A join made while waiting wrote the inviter into config.json after this node was opened: read it again.
        let peerList = waitsForTeam ? (try NodeConfig.load(from: node.home.configURL)).peers : node.config.peers
        let peers = try peerList.map { text throws(PeeringError) in try PeerAddress(parsing: text) }
        if listen.host != "127.0.0.1" && listen.host != "localhost" && listen.host != "::1" {
            logger.notice("listening for peers on a public interface", metadata: ["address": "\(node.config.listen)"])
        }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let hub = try PeeringHub(store: node.store, local: node.id, clock: SystemClock(), logger: logger)
        if let presence {
            hub.onPresence { message, peer in presence.received(message, from: peer) }
            presence.attachPeers { message in hub.broadcastPresence(message) }
        }
        let events = EventsFile(home: node.home)
        hub.telemetry.observe { events.append($0) }
        // The network key opens the handshake; the admin-signed roster decides who syncs and admits joiners.
        // A partial node (`roost init --queues`) runs partial sessions with full peers on its store's holdings.
        let partial = try Self.partialNode(node)
        if let partial {
            logger.info("partial node", metadata: ["queues": "\(partial.replica.subscription.queues.sorted().joined(separator: ","))"])
        }
        let service = PeeringService(hub: hub, identity: node.author.key, networkKey: try NetworkKey(bytes: team.networkKey),
                                     group: group, logger: logger, admission: node.home.admission(node: node), partial: partial)
        _ = try await service.listen(host: listen.host, port: listen.port)
        for peer in peers { service.dial(peer) }
        let exchange = PeerExchange(node: node, logger: logger)
        exchange.publish()
        var dialled = Set(peers.compactMap(\.node))
        let admin = try await AdminServer.startIfConfigured(node: node, hub: hub, group: group, logger: logger)
        let statusPath = node.home.url.appendingPathComponent("peers.json")
        let discovery = Task {
            while !Task.isCancelled {
                for peer in exchange.newPeers(dialled: dialled) {
                    logger.info("dialling a member's published address", metadata: ["peer": "\(peer)"])
                    dialled.insert(peer.node!)
                    service.dial(peer)
                }
                try? await Task.sleep(nanoseconds: PeerExchange.intervalNanoseconds)
            }
        }
        let status = Task {
            while !Task.isCancelled {
                let snapshot = PeersFile(writtenMillis: SystemClock().nowMillis(), peers: hub.peerStatuses + (partial?.peerStatuses ?? []))
                HeardVectorsFile.update(node.home, heard: hub.heardVectors, nowMillis: snapshot.writtenMillis)
                try? JSONEncoder().encode(snapshot).write(to: statusPath, options: .atomic)
                try? await Task.sleep(nanoseconds: Self.statusInterval)
            }
        }
        logger.info("node running", metadata: ["node": "\(node.id.short)", "peers": "\(peers.count)"])
        // The X gateway (GatewayService.swift): idle unless this node is the assigned gateway of a handle.
        let gateway = Task { await GatewayService(node: node, logger: logger).run() }
        try? await gracefulShutdown()
        logger.info("shutting down")
        gateway.cancel()
        await gateway.value
        status.cancel()
        discovery.cancel()
        await service.shutdown()
        await admin?.shutdown()
        try? FileManager.default.removeItem(at: statusPath)
        try await group.shutdownGracefully()
    }
}

extension NodeDaemon {
    /// The partial node of `node`'s store, when it is a partial node's (nil for a full node).
    static func partialNode(_ node: Node) throws -> PartialNodeBox? {
        guard try node.store.partialSubscription() != nil else { return nil }
        let founder = try node.store.team.founder()
        do {
            let partial = try PartialStoreNode(key: node.author.key, epoch: node.author.epoch, founder: founder, store: node.store)
            return PartialNodeBox(partial, clock: SystemClock())
        } catch {
            throw NodeError.invalidArgument("this partial node's store cannot be opened: \(error)")
        }
    }
}

/// What `roost run` last wrote about its peers.
public struct PeersFile: Codable, Sendable {
    /// When it was written (Unix ms); an old file means the daemon is not running.
    public var writtenMillis: UInt64
    /// The peers.
    public var peers: [PeerStatus]

    /// Reads the file of a home, if any.
    public static func load(_ home: NodeHome) -> PeersFile? {
        guard let data = FileManager.default.contents(atPath: home.url.appendingPathComponent("peers.json").path) else { return nil }
        return try? JSONDecoder().decode(PeersFile.self, from: data)
    }
}
