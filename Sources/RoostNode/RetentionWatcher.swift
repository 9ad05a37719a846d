import Foundation
public import Logging
import RoostCore
public import ServiceLifecycle

/// Applies the team's retention policies every ``checkSeconds`` while `roost run` runs on a lead's or an admin's
/// node: the erasure ops it writes name the ops, so every node erases the same ones. Other nodes do nothing.
public struct RetentionWatcher: Service {
    /// How often a pass runs.
    public static let checkSeconds: UInt64 = 3_600
    let node: Node
    let logger: Logger

    /// Watches `node`'s retention policies.
    public init(node: Node, logger: Logger) {
        self.node = node
        self.logger = logger
    }

    public func run() async throws {
        // A first pass a minute after start (sync first), then hourly.
        await repeatUntilShutdown(every: Self.checkSeconds, firstAfter: 60) {
            let desk = DeskService(node: node)
            guard let roster = try? node.store.roster(), roster.currentRole(of: node.id)?.mayErase == true,
                  let policies = try? desk.retentionPolicies(), !policies.isEmpty else { return }
            do {
                let pass = try desk.applyRetention()
                if pass.ops > 0 {
                    logger.notice("retention: bodies erased", metadata: ["ops": "\(pass.ops)", "erasure_ops": "\(pass.erasureOps)"])
                }
            } catch {
                logger.warning("retention pass failed", metadata: ["error": "\(error)"])
            }
        }
    }
}

/// Runs `pass` every `seconds` (the first after `firstAfter` seconds) until `roost run` shuts down gracefully:
/// the loop of the node's periodic services (retention, heartbeat, routing).
func repeatUntilShutdown(every seconds: UInt64, firstAfter: UInt64 = 0, _ pass: () async -> Void) async {
    if firstAfter > 0 { try? await cancelWhenGracefulShutdown { try await Task.sleep(nanoseconds: firstAfter * 1_000_000_000) } }
    while !Task.isShuttingDownGracefully && !Task.isCancelled {
        await pass()
        try? await cancelWhenGracefulShutdown { try await Task.sleep(nanoseconds: seconds * 1_000_000_000) }
    }
}
