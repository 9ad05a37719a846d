import Foundation
public import Logging
import RoostCore
public import ServiceLifecycle

/// A piece of node work `roost run` does every few seconds or hours until it shuts down gracefully: the
/// retention pass, the availability heartbeat and push routing (the factories below). Each pass is its own
/// short transaction; a failed pass is one log line and the next one runs as usual.
public struct PeriodicPass: Service {
    /// What it is, for logs.
    public let name: String
    /// Seconds between passes.
    public let everySeconds: UInt64
    /// Seconds before the first pass.
    public let firstAfterSeconds: UInt64
    let pass: @Sendable () async -> Void

    public func run() async throws {
        await repeatUntilShutdown(every: everySeconds, firstAfter: firstAfterSeconds, pass)
    }

    /// Applies the team's retention policies hourly (the first pass a minute after start, once synced) on a lead's
    /// or an admin's node: the erasure ops it writes name the ops, so every node erases the same ones. Other nodes
    /// do nothing.
    public static func retention(node: Node, logger: Logger) -> PeriodicPass {
        PeriodicPass(name: "retention", everySeconds: 3_600, firstAfterSeconds: 60) {
            let desk = DeskService(node: node)
            guard let roster = try? node.store.team.roster(), roster.currentRole(of: node.id)?.mayErase == true,
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

    /// Every minute on a team member's node: a heartbeat op when the member wrote nothing for
    /// ``AvailabilityRules/heartbeatAfterMillis`` (and is not offline), so peers keep counting them available; a
    /// node that stops counts as offline ``AvailabilityRules/silentAfterMillis`` after its newest op.
    public static func availabilityHeartbeat(node: Node, logger: Logger) -> PeriodicPass {
        PeriodicPass(name: "availability heartbeat", everySeconds: 60, firstAfterSeconds: 0) {
            guard (try? node.store.team.roster()) != nil else { return }
            do {
                try DeskService(node: node).heartbeatIfQuiet()
            } catch {
                logger.warning("availability heartbeat failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Push routing (issue 15), every 5 s: claims the waiting tickets of routed queues that the shared routing
    /// function names this node's member for. Every node runs the same function on the same replicated state, so
    /// no dispatcher is needed and no two agents are pushed the same ticket; a named agent whose node does not
    /// claim within the queue's timeout is passed over for the next one.
    public static func routing(node: Node, logger: Logger) -> PeriodicPass {
        PeriodicPass(name: "routing", everySeconds: 5, firstAfterSeconds: 0) {
            do {
                let claimed = try DeskService(node: node).routeOnce()
                if !claimed.isEmpty { logger.info("routing: claimed tickets pushed to this member", metadata: ["count": "\(claimed.count)"]) }
            } catch {
                logger.warning("routing pass failed", metadata: ["error": "\(error)"])
            }
        }
    }
}

/// Runs `pass` every `seconds` (the first after `firstAfter` seconds) until `roost run` shuts down gracefully.
func repeatUntilShutdown(every seconds: UInt64, firstAfter: UInt64 = 0, _ pass: () async -> Void) async {
    if firstAfter > 0 { try? await cancelWhenGracefulShutdown { try await Task.sleep(nanoseconds: firstAfter * 1_000_000_000) } }
    while !Task.isShuttingDownGracefully && !Task.isCancelled {
        await pass()
        try? await cancelWhenGracefulShutdown { try await Task.sleep(nanoseconds: seconds * 1_000_000_000) }
    }
}
