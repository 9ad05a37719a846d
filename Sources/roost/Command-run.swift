import ArgumentParser
import Foundation
import Logging
import RoostCore
import RoostNode
import RoostSync
import RoostWeb
import ServiceLifecycle

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the node: sync with peers over encrypted TCP and serve the web app until SIGINT or SIGTERM.",
        discussion: "Listens on the config's `listen` address (default 0.0.0.0:7170) and dials its `peers`. CLI commands keep working meanwhile; their ops are pushed at once. Serves the web app and local API on the config's `api` address (default 127.0.0.1:7171; `roost open` prints the sign-in URL).")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Log level: trace, debug, info, notice, warning, error.") var logLevel = "info"

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else { throw CLIError("--log-level must be trace, debug, info, notice, warning or error") }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let node = try withNodeErrors { try NodeHome.resolve(option: global.home).open() }
        let logger = Logger(label: "roost")
        // Presence ("Kenji is viewing") travels between the web app and peers through one relay.
        let presence = PresenceRelay()
        var services: [any Service] = [WebServer(node: node, logger: logger, presence: presence)]  // `api` in config.json
        if try withNodeErrors({ try node.home.team(of: node) }) == nil {
            logger.notice("this node has no team yet: serving the web app; syncing starts once a team is created or joined (the web app's Team page, `roost team create` or `roost team join`)")
        }
        services.insert(NodeDaemon(node: node, logger: logger, presence: presence, waitsForTeam: true), at: 0)
        let group = ServiceGroup(configuration: .init(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch let error as NodeError {
            throw CLIError(error.description)
        } catch let error as PeeringError {
            throw CLIError(error.description)
        }
    }
}

struct Peers: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Peers: state, last seen, and how far behind each is (from `roost run`).")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        let home = NodeHome.resolve(option: global.home)
        let node = try withNodeErrors { try home.open() }
        let file = PeersFile.load(home)
        let running = file.map { SystemClock().nowMillis() - $0.writtenMillis < 5_000 } ?? false
        if global.json { return printJSON(["running": running ? "yes" : "no"].merging(["peers": String(file?.peers.count ?? 0)]) { $1 }) }
        print(running ? "Daemon running." : "Daemon not running (start it with `roost run`); configured peers: "
              + (node.config.peers.isEmpty ? "none" : node.config.peers.joined(separator: ", ")))
        guard running, let peers = file?.peers, !peers.isEmpty else { return }
        let desk = DeskService(node: node)
        let rows = peers.map { peer -> [String] in
            let id = try? AuthorID(text: peer.node)
            let name = id.flatMap { id in try? withDesk { () throws(DeskError) in try desk.memberName(id) } }
            return [String(peer.node.prefix(7)), name ?? "?", peer.address ?? "(inbound)", peer.state,
                    peer.lastSeenMillis.map(DeskClock.format) ?? "-", String(peer.opsBehind), String(peer.opsAhead)]
        }
        printTable([["PEER", "NAME", "ADDRESS", "STATE", "LAST SEEN", "BEHIND", "AHEAD"]] + rows)
    }
}
