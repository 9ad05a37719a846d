import Foundation
public import Prometheus
public import RoostCore
import RoostStore
public import RoostSync

/// The node's Prometheus metrics, read at each scrape from what the peering hub and the store already keep
/// (no instrumentation on hot paths): ops applied, bytes in and out per peer, handshake failures by reason,
/// sync lag per peer in ops and seconds, outbox depth, SLA breaches.
public final class NodeMetrics: @unchecked Sendable {
    /// The registry the admin server renders.
    public let registry = PrometheusCollectorRegistry()
    let node: Node
    let hub: PeeringHub
    let clock: any WallClock
    private let lock = NSLock()
    /// Counter values already exported, by metric and labels: counters move by the difference.
    private var exported: [String: UInt64] = [:]

    /// Metrics of `node` whose peering runs on `hub`.
    public init(node: Node, hub: PeeringHub, clock: any WallClock = SystemClock()) {
        self.node = node
        self.hub = hub
        self.clock = clock
    }

    private func descriptor(_ name: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "roost", metricName: name, unitName: unit, helpText: help)
    }

    private func count(_ name: String, _ unit: String, _ help: String, labels: [(String, String)] = [], to value: UInt64) {
        let key = name + labels.map { "|\($0.0)=\($0.1)" }.joined()
        let counter = registry.makeCounter(descriptor: descriptor(name, unit, help), labels: labels)
        let delta = value &- (exported[key] ?? 0)
        if value > (exported[key] ?? 0) { counter.increment(by: Int64(delta)) }
        exported[key] = max(value, exported[key] ?? 0)
    }

    private func gauge(_ name: String, _ unit: String, _ help: String, labels: [(String, String)] = [], to value: Double) {
        registry.makeGauge(descriptor: descriptor(name, unit, help), labels: labels).set(value)
    }

    /// Reads the hub's counters and the store, and updates the registry.
    public func refresh() {
        lock.withLock {
            let counters = hub.telemetry.counters
            count("ops_applied", "total", "Ops applied from peers", to: counters.opsApplied)
            count("batches_applied", "total", "Batches applied from peers", to: counters.batchesApplied)
            count("forks", "total", "Fork evidence received from peers", to: counters.forks)
            count("stalls", "total", "Times a connected peer was behind with no progress", to: counters.stalls)
            for (reason, value) in counters.batchesRefused {
                count("batches_refused", "total", "Batches from peers refused, by reject code", labels: [("reason", reason)], to: value)
            }
            for (reason, value) in counters.refusedByPeers {
                count("batches_refused_by_peers", "total", "Batches sent that peers refused, by reject code",
                      labels: [("reason", reason)], to: value)
            }
            for (reason, value) in counters.handshakeFailures {
                count("handshake_failures", "total", "Handshakes failed or refused, by reason", labels: [("reason", reason)], to: value)
            }
            for (peer, value) in counters.bytesIn {
                count("peer_received", "bytes", "Sync payload bytes received, by peer", labels: [("peer", peer)], to: value)
            }
            for (peer, value) in counters.bytesOut {
                count("peer_sent", "bytes", "Sync payload bytes sent, by peer", labels: [("peer", peer)], to: value)
            }
            let heard = hub.heardVectors
            let now = clock.nowMillis()
            for status in hub.peerStatuses {
                let labels = [("peer", status.node)]
                gauge("peer_connected", "", "1 while a session with the peer is up", labels: labels, to: status.connected ? 1 : 0)
                gauge("peer_stalled", "", "1 while the peer is connected, behind, and making no progress", labels: labels,
                      to: status.stalledSinceMillis == nil ? 0 : 1)
                gauge("peer_lag", "ops", "Ops this node holds that the peer lacks, by its last heard vector", labels: labels,
                      to: Double(status.opsBehind))
                gauge("peer_ahead", "ops", "Ops the peer holds that this node lacks", labels: labels, to: Double(status.opsAhead))
                var lagSeconds = 0.0
                if let id = try? AuthorID(text: status.node), let vector = heard[id],
                   let oldest = try? node.store.oldestMissingHLC(for: vector) {
                    lagSeconds = Double(now &- min(now, oldest.physicalMillis)) / 1000
                }
                gauge("peer_lag", "seconds", "Age of the oldest op the peer lacks (0 when it lacks none)", labels: labels,
                      to: lagSeconds)
            }
            let outbox = (try? node.store.outbox.counts()) ?? [:]
            for state in OutboxState.allCases {
                gauge("outbox", "messages", "Outbound replies by outbox state", labels: [("state", state.rawValue)],
                      to: Double(outbox[state] ?? 0))
            }
            let desk = DeskService(node: node, clock: clock)
            var filter = InboxFilter()
            filter.breaching = true
            let breaching = (try? desk.inboxCount(filter)) ?? 0
            gauge("sla_breaches", "tickets", "Open tickets past their first-response or next-reply target", to: Double(breaching))
            let warning = (try? desk.slaTargets()).flatMap { try? node.store.desk.slaWarningCount(sla: $0, now: clock.nowMillis()) } ?? 0
            gauge("sla_warnings", "tickets", "Open tickets past their queue's warning share of a first-response or next-reply target, not overdue yet",
                  to: Double(warning))
            for status in (try? desk.alerts(node.home.rules().alerts, at: clock.nowMillis())) ?? [] {
                gauge("alert_firing", "", "1 while a listening alert (rules.toml [[alert]]) fires for the last complete window",
                      labels: [("alert", status.name)], to: status.firing ? 1 : 0)
            }
        }
    }

    /// The Prometheus text exposition, refreshed.
    public func render() -> String {
        refresh()
        return registry.emitToString()
    }
}
