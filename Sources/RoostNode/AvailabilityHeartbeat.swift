import Foundation
public import Logging
import RoostCore
public import ServiceLifecycle

/// While `roost run` runs on a team member's node, writes a heartbeat op when the member wrote nothing for
/// ``AvailabilityRules/heartbeatAfterMillis`` (and is not offline), so peers keep counting them available;
/// a node that stops counts as offline ``AvailabilityRules/silentAfterMillis`` after its newest op.
public struct AvailabilityHeartbeat: Service {
    /// How often it looks.
    public static let checkSeconds: UInt64 = 60
    let node: Node
    let logger: Logger

    /// Heartbeats for `node`'s member.
    public init(node: Node, logger: Logger) {
        self.node = node
        self.logger = logger
    }

    public func run() async throws {
        await repeatUntilShutdown(every: Self.checkSeconds) {
            guard (try? node.store.roster()) != nil else { return }
            do {
                try DeskService(node: node).heartbeatIfQuiet()
            } catch {
                logger.warning("availability heartbeat failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
