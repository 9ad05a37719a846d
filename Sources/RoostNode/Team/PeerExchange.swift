import Foundation
import Logging
import RoostCore
import RoostStore
import RoostSync

/// Peer exchange: every member publishes the address it listens on as `member/<id>.address` (an op, so it
/// travels with sync), and every daemon dials the published addresses of current members it does not dial
/// yet. A member can set the address peers should use with the config key `advertise` (needed when it
/// listens on a wildcard such as `0.0.0.0`, which names no host).
struct PeerExchange {
    let node: Node
    let logger: Logger

    /// How often the daemon looks for newly published addresses.
    static let intervalNanoseconds: UInt64 = 5_000_000_000

    /// The address this node tells its team, if it has one to tell.
    var advertised: String? {
        if let advertise = node.config.advertise { return advertise }
        guard let listen = try? PeerAddress(parsing: node.config.listen),
              !["0.0.0.0", "::", ""].contains(listen.host) else { return nil }
        return node.config.listen
    }

    /// Publishes this node's address, and the sync protocol version it speaks (`member/<id>.protocol`, which an
    /// admin's `roost team format 2` waits for), when either differs from what the team last heard: one append.
    func publish() {
        let entity = EntityRef(RosterSchema.member, node.id.text)
        var bodies: [OpBody] = []
        if let address = advertised, (try? node.store.team.memberAddresses())?[node.id] != address {
            bodies.append(.set(entity: entity, field: "address", value: .string(address)))
        }
        if (try? node.store.team.memberProtocols())?[node.id] != Int(SyncLimits.protocolVersion) {
            bodies.append(.set(entity: entity, field: "protocol", value: .int(Int64(SyncLimits.protocolVersion))))
        }
        guard !bodies.isEmpty else { return }
        do {
            _ = try node.append(bodies)
        } catch {
            logger.warning("cannot publish this node's address and protocol version", metadata: ["reason": "\(error)"])
        }
    }

    /// Current members' published addresses that are not this node's and not yet dialled.
    func newPeers(dialled: Set<AuthorID>) -> [PeerAddress] {
        guard let roster = try? node.store.team.roster(), let addresses = try? node.store.team.memberAddresses() else { return [] }
        return addresses.keys.sorted().compactMap { member in
            guard member != node.id, !dialled.contains(member), roster.currentRole(of: member) != nil,
                  let address = try? PeerAddress(parsing: "\(member.text)@\(addresses[member]!)")
            else { return nil }
            return address
        }
    }
}
