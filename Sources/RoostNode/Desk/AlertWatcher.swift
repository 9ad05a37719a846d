import AsyncHTTPClient
import Foundation
public import Logging
import NIOCore
import NIOHTTP1
import RoostCore
public import ServiceLifecycle

/// Evaluates the home's listening alerts every ``DeskAlertLimits/checkSeconds`` while `roost run` runs, and
/// POSTs each alert that starts firing (once per alert and window) as JSON to the config's `alertWebhooks`,
/// retrying with doubling waits; a webhook that still fails is one log line (its URL's host and the status, never
/// the alert's customer data, which it does not carry anyway).
public struct AlertWatcher: Service {
    let node: Node
    let logger: Logger

    /// Watches `node`'s alerts.
    public init(node: Node, logger: Logger) {
        self.node = node
        self.logger = logger
    }

    /// The JSON a webhook receives.
    struct Payload: Encodable {
        var alert: String
        var kind: String
        var windowStartMs: UInt64
        var windowEndMs: UInt64
        var count: Int
        var total: Int?
        var baseline: Double
        var sharePercent: Double?
        var node: String
    }

    public func run() async throws {
        let webhooks = node.config.alertWebhooks ?? []
        var posted: [String: UInt64] = [:]  // alert name -> window start already sent
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let rules = node.home.rules()
            if !rules.alerts.isEmpty {
                let desk = DeskService(node: node)
                if let statuses = try? desk.alerts(rules.alerts, at: SystemClock().nowMillis()) {
                    for status in statuses where status.firing && posted[status.name] != status.windowStartMillis {
                        posted[status.name] = status.windowStartMillis
                        logger.notice("alert firing", metadata: ["alert": "\(status.name)", "count": "\(status.count)"])
                        let payload = Payload(alert: status.name, kind: status.kind, windowStartMs: status.windowStartMillis,
                                              windowEndMs: status.windowEndMillis, count: status.count, total: status.total,
                                              baseline: status.baseline, sharePercent: status.sharePercent, node: node.id.text)
                        for url in webhooks { await Self.post(payload, to: url, logger: logger) }
                    }
                }
            }
            // A graceful shutdown (SIGINT) ends the wait at once.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(nanoseconds: DeskAlertLimits.checkSeconds * 1_000_000_000) }
        }
    }

    /// POSTs `payload` to `url`, retrying ``DeskAlertLimits/webhookAttempts`` times with doubling waits.
    static func post(_ payload: some Encodable, to url: String, logger: Logger,
                     firstBackoffMillis: UInt64 = DeskAlertLimits.webhookFirstBackoffMillis) async {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let body = try? encoder.encode(payload) else { return }
        let host = URL(string: url)?.host ?? "?"
        var wait = firstBackoffMillis
        var last = ""
        for attempt in 1...DeskAlertLimits.webhookAttempts {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
            do {
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(DeskAlertLimits.webhookTimeoutSeconds))
                if (200..<300).contains(response.status.code) { return }
                last = "HTTP \(response.status.code)"
            } catch {
                last = "\(type(of: error))"
            }
            if attempt < DeskAlertLimits.webhookAttempts {
                try? await Task.sleep(nanoseconds: wait * 1_000_000)
                wait *= 2
            }
        }
        logger.error("alert webhook failed", metadata: ["host": "\(host)", "attempts": "\(DeskAlertLimits.webhookAttempts)", "last": "\(last)"])
    }
}
