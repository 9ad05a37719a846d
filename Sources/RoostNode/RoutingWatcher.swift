import Foundation
public import Logging
import RoostCore
public import ServiceLifecycle

/// Push routing on this node (issue 15): every ``checkSeconds`` while `roost run` runs, claims the waiting
/// tickets of routed queues that the shared routing function names this node's member for. Every node runs the
/// same function on the same replicated state, so no dispatcher is needed and no two agents are pushed the same
/// ticket; a named agent whose node does not claim within the queue's timeout is passed over for the next one.
public struct RoutingWatcher: Service {
    /// How often a pass runs.
    public static let checkSeconds: UInt64 = 5
    let node: Node
    let logger: Logger

    /// Routes for `node`'s member.
    public init(node: Node, logger: Logger) {
        self.node = node
        self.logger = logger
    }

    public func run() async throws {
        await repeatUntilShutdown(every: Self.checkSeconds) {
            do {
                let claimed = try DeskService(node: node).routeOnce()
                if !claimed.isEmpty { logger.info("routing: claimed tickets pushed to this member", metadata: ["count": "\(claimed.count)"]) }
            } catch {
                logger.warning("routing pass failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
