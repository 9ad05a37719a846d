public import Foundation
public import Logging
import RoostCore
import RoostTwitter

/// The gateway loop `roost run` starts: every few seconds it looks for the handles this node is the
/// assigned gateway of (assignments arrive by sync, so a node can become or stop being a gateway while
/// running), polls X for each at the poll interval and drains the outbox at the drain interval, and
/// writes `gateway.json` for `roost gateway status`. Does nothing on a node that serves no handle; reads
/// the X token only once it serves one.
public struct GatewayService: Sendable {
    let node: Node
    let logger: Logger
    let environment: [String: String]

    /// Creates the loop of an open node.
    public init(node: Node, logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.node = node
        self.logger = logger
        self.environment = environment
    }

    /// The two independent loops of the gateway. Ingest (polling mentions and DMs) and posting (draining
    /// the outbox) each have their own loop and their own X client, so a rate limit on one (X answers 429
    /// and the client waits for the reset, up to ~15 minutes on real X) never holds the other.
    enum Loop: String, Sendable, CaseIterable {
        case ingest, post
    }

    /// Runs both loops until the task is cancelled.
    public func run() async {
        let board = GatewayBoard()
        await withTaskGroup(of: Void.self) { group in
            for loop in Loop.allCases {
                group.addTask { await self.run(loop, board: board) }
            }
            group.addTask { await self.runLease() }
        }
        try? FileManager.default.removeItem(at: GatewayStatusFile.url(node.home))
    }

    /// How often the lease loop looks at the handles with standby gateways: 5 s (a 60-s lease is renewed once two
    /// thirds of it is left, so at 20-25 s; a standby notices an expired lease within 5 s).
    static let leaseCheckSeconds: UInt64 = 5

    /// The failover loop (SPEC.md §1b.14): for every handle with standby gateways that names this node, renews or
    /// acquires the gateway lease when its turn comes. Its own loop, so a poll waiting out X's rate limit never lets
    /// the lease lapse.
    func runLease() async {
        let desk = DeskService(node: node)
        var serving = Set<String>()
        while !Task.isCancelled {
            for handle in (try? desk.gatewayHandles()) ?? [] {
                guard (try? desk.failoverEnabled(handle)) == true, (try? desk.gatewayCandidates(handle).contains(node.id)) == true else {
                    continue
                }
                do {
                    let decision = try desk.maintainGatewayLease(handle)
                    let serves = try desk.servesAsGateway(handle)
                    if case let .acquire(takeover) = decision {
                        logger.notice("gateway lease acquired", metadata: ["handle": "\(handle.username)", "takeover": "\(takeover)"])
                    }
                    if serves != serving.contains(handle.userID) {
                        if serves { serving.insert(handle.userID) } else {
                            serving.remove(handle.userID)
                            logger.notice("gateway lease lost or lapsed; standing by", metadata: ["handle": "\(handle.username)"])
                        }
                    }
                } catch {
                    logger.warning("gateway lease step failed", metadata: ["handle": "\(handle.username)", "error": "\(error)"])
                }
            }
            try? await Task.sleep(nanoseconds: Self.leaseCheckSeconds * 1_000_000_000)
        }
    }

    /// One loop: every round it looks for the handles this node serves and, for each, polls (ingest, at the
    /// poll interval) or drains the outbox (post, at the drain interval), then writes `gateway.json`.
    func run(_ loop: Loop, board: GatewayBoard) async {
        let desk = DeskService(node: node)
        var clients: [String: (client: XAPIClient, token: String)] = [:]
        var warned = Set<String>()
        var polls: [String: Int] = [:]
        while !Task.isCancelled {
            let settings: GatewaySettings
            do { settings = try GatewaySettings.load(node.home, environment: environment) } catch {
                if warned.insert("settings").inserted { logger.error("gateway settings unreadable", metadata: ["error": "\(error)"]) }
                try? await Task.sleep(nanoseconds: 5_000_000_000)
                continue
            }
            let mine = ((try? desk.gatewayHandles()) ?? []).filter { (try? desk.servesAsGateway($0)) ?? false }
            for handle in mine {
                guard !Task.isCancelled else { break }
                // The token is read on every round, so a refreshed token file is picked up without a restart.
                let client: XAPIClient
                do {
                    let token = try XCredentials.bearerToken(file: settings.tokenFile, environment: environment)
                    if let existing = clients[handle.userID], existing.client.baseURL == settings.baseURL, existing.token == token {
                        client = existing.client
                    } else {
                        client = try XAPIClient(baseURL: settings.baseURL, userID: handle.userID, token: token,
                                                clock: SystemClock(), logger: logger)
                        if clients[handle.userID] == nil, loop == .ingest {
                            logger.info("serving as X gateway", metadata: ["handle": "\(handle.username)", "api": "\(settings.baseURL)"])
                        }
                        clients[handle.userID] = (client, token)
                    }
                    warned.remove("credentials" + handle.userID)
                } catch {
                    await board.update(handle, loop) { $0.error = error.description }
                    if warned.insert("credentials" + handle.userID).inserted, loop == .ingest {
                        logger.error("X gateway cannot start", metadata: ["handle": "\(handle.username)", "error": "\(error)"])
                    }
                    continue
                }
                let gateway = XGateway(desk: desk, userID: handle.userID, client: client, rules: loadRules(), limits: settings.limits,
                                       logger: logger)
                switch loop {
                case .ingest:
                    await board.update(handle, loop) { $0.error = nil }
                    do {
                        let report = try await gateway.poll()
                        await board.update(handle, loop) { $0.lastMillis = SystemClock().nowMillis() }
                        // Deleted tweets: one lookup every pollsPerDeletionSweep polls (the first right after start).
                        let count = polls[handle.userID, default: 0]
                        polls[handle.userID] = count + 1
                        if count % XGateway.pollsPerDeletionSweep == 0 {
                            do { _ = try await gateway.sweepDeletions() } catch {
                                logger.warning("X deletion sweep failed", metadata: ["handle": "\(handle.username)", "error": "\(error)"])
                            }
                        }
                        if report.ingested.messages > 0 {
                            logger.info("ingested from X", metadata: ["handle": "\(handle.username)",
                                "messages": "\(report.ingested.messages)", "tickets": "\(report.ingested.tickets)"])
                        }
                    } catch {
                        await board.update(handle, loop) { $0.error = error.description }
                        logger.warning("X poll failed", metadata: ["handle": "\(handle.username)", "error": "\(error)"])
                    }
                case .post:
                    await board.update(handle, loop) { $0.error = nil }
                    do {
                        let report = try await gateway.drain()
                        await board.update(handle, loop) { $0.lastMillis = SystemClock().nowMillis() }
                        if report != .init() {
                            logger.info("outbox drained", metadata: ["handle": "\(handle.username)", "posted": "\(report.posted)",
                                "recovered": "\(report.recovered)", "held": "\(report.held)", "failed": "\(report.failed)"])
                        }
                    } catch {
                        await board.update(handle, loop) { $0.error = error.description }
                        logger.warning("outbox drain failed", metadata: ["handle": "\(handle.username)", "error": "\(error)"])
                    }
                }
                let rates = (await client.rateLimitStates()).mapValues {
                    GatewayStatusFile.Handle.RateLimit(limit: $0.limit, remaining: $0.remaining, resetEpochSeconds: $0.resetEpochSeconds,
                                                       throttled: $0.throttled)
                }
                await board.update(handle, loop) { $0.rateLimits = rates }
            }
            await board.write(serving: Set(mine.map(\.userID)), home: node.home)
            let seconds = loop == .ingest ? settings.limits.pollSeconds : settings.limits.drainSeconds
            try? await Task.sleep(nanoseconds: UInt64(max(1, seconds)) * 1_000_000_000)
        }
    }

    /// The home's `rules.toml`, when present and valid.
    func loadRules() -> TriageRules { node.home.rules() }
}

/// What the two gateway loops report, merged into one `gateway.json`.
actor GatewayBoard {
    /// One loop's view of one handle.
    struct Part: Sendable {
        var lastMillis: UInt64?
        var error: String?
        var rateLimits: [String: GatewayStatusFile.Handle.RateLimit] = [:]
    }

    private var handles: [String: (username: String, parts: [GatewayService.Loop: Part])] = [:]

    func update(_ handle: GatewayHandle, _ loop: GatewayService.Loop, _ change: @Sendable (inout Part) -> Void) {
        var entry = handles[handle.userID] ?? (handle.username, [:])
        var part = entry.parts[loop] ?? Part()
        change(&part)
        entry.parts[loop] = part
        handles[handle.userID] = entry
    }

    /// The status of the handles served now (both loops' rate limits; the ingest error first).
    func status(serving: Set<String>) -> [GatewayStatusFile.Handle] {
        handles.filter { serving.contains($0.key) }.map { userID, entry in
            let ingest = entry.parts[.ingest] ?? Part(), post = entry.parts[.post] ?? Part()
            return GatewayStatusFile.Handle(userID: userID, username: entry.username, lastPollMillis: ingest.lastMillis,
                                            lastDrainMillis: post.lastMillis, lastError: ingest.error ?? post.error,
                                            rateLimits: ingest.rateLimits.merging(post.rateLimits) { $1 })
        }.sorted { $0.username < $1.username }
    }

    func write(serving: Set<String>, home: NodeHome) {
        if serving.isEmpty {
            try? FileManager.default.removeItem(at: GatewayStatusFile.url(home))
        } else {
            let file = GatewayStatusFile(writtenMillis: SystemClock().nowMillis(), handles: status(serving: serving))
            try? JSONEncoder().encode(file).write(to: GatewayStatusFile.url(home), options: .atomic)
        }
    }
}
