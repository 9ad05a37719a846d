import ArgumentParser
import Foundation
import RoostCore
import RoostNode
import RoostStore

struct TeamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "team", abstract: "Create a team, invite members, join a team.",
        subcommands: [Create.self, Invite.self, Join.self, Show.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make this node the first member of a new team (creates the network key).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The team's name.") var name: String

        func run() throws {
            let home = NodeHome.resolve(option: global.home)
            let team = try withNodeErrors { () throws -> Team in
                let node = try home.open()
                return try home.createTeam(name: name, node: node)
            }
            confirm(global, "Created team \"\(team.name)\"; its network key is in \(home.teamKeyPath) (mode 0600). "
                    + "Invite members with `roost team invite`.", ["team": team.name])
        }
    }

    struct Invite: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a one-time invite (a secret: share it privately).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Address the new member connects to (default: this node's listen address).") var address: String?
        @Option(help: "Hours until the invite expires.") var hours = Team.defaultInviteHours

        func run() throws {
            let home = NodeHome.resolve(option: global.home)
            let invite = try withNodeErrors { () throws -> RoostNode.Invite in
                let node = try home.open()
                guard let team = try home.team(of: node) else {
                    throw NodeError.invalidArgument("this node has no team yet; run `roost team create --name NAME`")
                }
                guard (1...24 * 30).contains(hours) else { throw NodeError.invalidArgument("--hours must be 1...720") }
                return RoostNode.Invite(
                    networkKey: team.networkKey, inviter: node.id, address: address ?? node.config.listen,
                    teamName: team.name, expiresMillis: SystemClock().nowMillis() + UInt64(hours) * 3_600_000)
            }
            if global.json { return printJSON(["invite": invite.text, "expires_ms": String(invite.expiresMillis)]) }
            print("Invite to \"\(invite.teamName)\" (valid \(hours) h; anyone holding it can join):")
            print("")
            print("    roost team join \(invite.text)")
        }
    }

    struct Join: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Join a team with an invite; the inviter becomes a peer.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The invite text (roost-invite-1:...).") var invite: String

        func run() throws {
            let home = NodeHome.resolve(option: global.home)
            let parsed = try withNodeErrors { try RoostNode.Invite(text: invite) }
            let config = try withNodeErrors { () throws -> NodeConfig in
                let node = try home.open()
                return try home.join(parsed, node: node, now: SystemClock().nowMillis())
            }
            confirm(global, "Joined \"\(parsed.teamName)\"; peers: \(config.peers.joined(separator: ", ")). Start syncing with `roost run`.",
                    ["team": parsed.teamName])
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The team's name, members seen, and this node's peers.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let home = NodeHome.resolve(option: global.home)
            let node = try withNodeErrors { try home.open() }
            guard let team = try withNodeErrors({ try home.team(of: node) }) else {
                throw CLIError("this node has no team yet; run `roost team create --name NAME` or `roost team join INVITE`")
            }
            let desk = DeskService(node: node)
            let members = try withStore { () throws(StoreError) in try node.store.logs() }.map(\.log.author)
            let rows = try members.map { id in
                [id.short, try withDesk { () throws(DeskError) in try desk.memberName(id) }, id == node.id ? "this node" : ""]
            }
            if global.json { return printJSON(["team": team.name, "members": members.map(\.text).joined(separator: ",")]) }
            print("Team \"\(team.name)\"")
            printTable([["MEMBER", "NAME", ""]] + rows)
            print("Peers: " + (node.config.peers.isEmpty ? "none" : node.config.peers.joined(separator: ", ")))
        }
    }
}
