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

    /// Publishes this node's address when it differs from what the team last heard.
    func publish() {
        guard let address = advertised else { return }
        let entity = EntityRef(RosterSchema.member, node.id.text)
        if (try? node.store.team.memberAddresses())?[node.id] == address { return }
        do {
            _ = try node.append([.set(entity: entity, field: "address", value: .string(address))])
        } catch {
            logger.warning("cannot publish this node's address", metadata: ["reason": "\(error)"])
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
