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

    /// Runs until the task is cancelled.
    public func run() async {
        let desk = DeskService(node: node)
        var clients: [String: (client: XAPIClient, token: String)] = [:]
        var status: [String: GatewayStatusFile.Handle] = [:]
        var lastPoll: [String: UInt64] = [:]
        var warned = Set<String>()
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
                var entry = status[handle.userID] ?? .init(userID: handle.userID, username: handle.username, rateLimits: [:])
                // The token is read on every round, so a refreshed token file is picked up without a restart.
                let client: XAPIClient
                do {
                    let token = try XCredentials.bearerToken(file: settings.tokenFile, environment: environment)
                    if let existing = clients[handle.userID], existing.client.baseURL == settings.baseURL, existing.token == token {
                        client = existing.client
                    } else {
                        client = try XAPIClient(baseURL: settings.baseURL, userID: handle.userID, token: token,
                                                clock: SystemClock(), logger: logger)
                        if clients[handle.userID] == nil {
                            logger.info("serving as X gateway", metadata: ["handle": "\(handle.username)", "api": "\(settings.baseURL)"])
                        }
                        clients[handle.userID] = (client, token)
                    }
                    warned.remove("credentials" + handle.userID)
                } catch {
                    entry.lastError = error.description
                    status[handle.userID] = entry
                    if warned.insert("credentials" + handle.userID).inserted {
                        logger.error("X gateway cannot start", metadata: ["handle": "\(handle.username)", "error": "\(error)"])
                    }
                    continue
                }
                let gateway = XGateway(desk: desk, userID: handle.userID, client: client, rules: loadRules(), limits: settings.limits,
                                       logger: logger)
                let now = SystemClock().nowMillis()
                entry.lastError = nil
                if now >= (lastPoll[handle.userID] ?? 0) + UInt64(max(1, settings.limits.pollSeconds)) * 1000 {
                    lastPoll[handle.userID] = now
                    do {
                        let report = try await gateway.poll()
                        entry.lastPollMillis = SystemClock().nowMillis()
                        if report.ingested.messages > 0 {
                            logger.info("ingested from X", metadata: ["handle": "\(handle.username)",
                                "messages": "\(report.ingested.messages)", "tickets": "\(report.ingested.tickets)"])
                        }
                    } catch {
                        entry.lastError = error.description
                        logger.warning("X poll failed", metadata: ["handle": "\(handle.username)", "error": "\(error)"])
                    }
                }
                do {
                    let report = try await gateway.drain()
                    entry.lastDrainMillis = SystemClock().nowMillis()
                    if report != .init() {
                        logger.info("outbox drained", metadata: ["handle": "\(handle.username)", "posted": "\(report.posted)",
                            "recovered": "\(report.recovered)", "held": "\(report.held)", "failed": "\(report.failed)"])
                    }
                } catch {
                    entry.lastError = error.description
                    logger.warning("outbox drain failed", metadata: ["handle": "\(handle.username)", "error": "\(error)"])
                }
                entry.rateLimits = (await client.rateLimitStates()).mapValues {
                    .init(limit: $0.limit, remaining: $0.remaining, resetEpochSeconds: $0.resetEpochSeconds, throttled: $0.throttled)
                }
                status[handle.userID] = entry
            }
            let served = Set(mine.map(\.userID))
            let file = GatewayStatusFile(writtenMillis: SystemClock().nowMillis(),
                                         handles: status.values.filter { served.contains($0.userID) }.sorted { $0.username < $1.username })
            if served.isEmpty {
                try? FileManager.default.removeItem(at: GatewayStatusFile.url(node.home))
            } else {
                try? JSONEncoder().encode(file).write(to: GatewayStatusFile.url(node.home), options: .atomic)
            }
            try? await Task.sleep(nanoseconds: UInt64(max(1, settings.limits.drainSeconds)) * 1_000_000_000)
        }
        try? FileManager.default.removeItem(at: GatewayStatusFile.url(node.home))
    }

    /// The home's `rules.toml`, when present and valid.
    func loadRules() -> TriageRules {
        let path = node.home.url.appendingPathComponent("rules.toml").path
        guard FileManager.default.fileExists(atPath: path) else { return .empty }
        return (try? TriageRules.load(path: path)) ?? .empty
    }
}
