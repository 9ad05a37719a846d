import ArgumentParser
import Foundation
import Logging
import RoostCore
import RoostNode
import RoostSync
import RoostWeb
import ServiceLifecycle
import RoostConsole

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
        var services: [any Service] = [WebServer(node: node, logger: logger, presence: presence),  // `api` in config.json
                                       AlertWatcher(node: node, logger: logger),  // rules.toml [[alert]] -> alertWebhooks
                                       PeriodicPass.retention(node: node, logger: logger),  // retention policies, on leads' and admins' nodes
                                       PeriodicPass.availabilityHeartbeat(node: node, logger: logger),  // keeps a quiet member counted available
                                       PeriodicPass.routing(node: node, logger: logger)]  // claims what push routing names this member for
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

struct Peers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Peers: state, last seen, and how far behind each is (from `roost run`).",
        discussion: "--watch follows the initial sync with each peer (ops received of the ops it holds that this node lacks, rate, time left) on standard error; --until-synced exits 0 once no connected peer holds an op this node lacks, and 1 after --timeout seconds.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Follow the catch-up with each peer until interrupted.") var watch = false
    @Flag(help: "Follow the catch-up and exit once this node holds every op its connected peers hold.") var untilSynced = false
    @Option(help: "With --until-synced: give up after this many seconds.") var timeout = 3_600

    func run() async throws {
        if watch || untilSynced { return try await follow() }
        let home = NodeHome.resolve(option: global.home)
        let node = try withNodeErrors { try home.open() }
        let file = PeersFile.load(home)
        let running = file.map { SystemClock().nowMillis() - $0.writtenMillis < 5_000 } ?? false
        if global.json { return Console.printJSON(["running": running ? "yes" : "no"].merging(["peers": String(file?.peers.count ?? 0)]) { $1 }) }
        print(running ? "Daemon running." : "Daemon not running (start it with `roost run`); configured peers: "
              + (node.config.peers.isEmpty ? "none" : node.config.peers.joined(separator: ", ")))
        guard running, let peers = file?.peers, !peers.isEmpty else { return }
        let desk = DeskService(node: node)
        let rows = peers.map { peer -> [String] in
            let id = try? AuthorID(text: peer.node)
            let name = id.flatMap { id in try? withDesk { () throws(DeskError) in try desk.memberName(id) } }
            // A partial peer (SPEC-partial.md) says which queues it holds: "behind" counts those only.
            var state = peer.queues.map { "\(peer.state), partial: " + $0.joined(separator: " ") } ?? peer.state
            // A partial node's store that refused writes of this peer's answers (asked for again).
            if let failed = peer.storeErrors { state += ", \(failed) store write(s) failed" }
            return [String(peer.node.prefix(7)), name ?? "?", peer.address ?? "(inbound)", state,
                    peer.lastSeenMillis.map(DeskClock.format) ?? "-", String(peer.opsBehind), String(peer.opsAhead)]
        }
        Console.printTable([["PEER", "NAME", "ADDRESS", "STATE", "LAST SEEN", "BEHIND", "AHEAD"]] + rows)
    }
}

extension Peers {
    /// Polls the daemon's peers.json once a second and shows each peer's catch-up as a job with progress.
    func follow() async throws {
        let home = NodeHome.resolve(option: global.home)
        _ = try withNodeErrors { try home.open() }
        var tracker = CatchUpTracker()
        var reporters: [String: (reporter: ProgressReporter, total: Int)] = [:]
        let start = SystemClock().nowMillis()
        var wasBehind = false
        while true {
            let now = SystemClock().nowMillis()
            let file = PeersFile.load(home)
            let running = file.map { now - $0.writtenMillis < 5_000 } ?? false
            let peers = running ? file?.peers ?? [] : []
            var behind = false
            for peer in peers {
                let ahead = peer.connected ? peer.opsAhead : 0
                if ahead > 0 { behind = true }
                guard let progress = tracker.observe(peer: peer.node, opsAhead: ahead, atMillis: now) else {
                    if let job = reporters.removeValue(forKey: peer.node) { job.reporter.finish(job.total) }
                    continue
                }
                let reporter = reporters[peer.node]?.reporter ?? ProgressReporter(
                    phase: "initial sync from " + String(peer.node.prefix(7)), unit: "ops", total: progress.total)
                reporters[peer.node] = (reporter, progress.total ?? progress.done)
                reporter.setTotal(progress.total)
                reporter.update(progress.done)
            }
            let synced = running && !peers.isEmpty && peers.contains(where: \.connected) && !behind
            if untilSynced, synced {
                for job in reporters.values { job.reporter.finish(job.total) }
                return confirm(global, wasBehind ? "In sync with every connected peer." : "Already in sync with every connected peer.",
                               ["synced": "yes", "peers": String(peers.filter(\.connected).count)])
            }
            wasBehind = wasBehind || behind
            if untilSynced, now - start > UInt64(max(1, timeout)) * 1_000 {
                throw CLIError(running ? "not in sync after \(timeout) s (see `roost peers`)" : "no `roost run` is serving this home")
            }
            try await Task.sleep(nanoseconds: 1_000_000_000)
        }
    }
}
