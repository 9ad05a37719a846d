import ArgumentParser
import Foundation
import RoostCore
import RoostNode
import RoostStore
import RoostConsole

struct TeamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "team", abstract: "Create a team, invite members, join a team.",
        subcommands: [Create.self, Invite.self, Join.self, Show.self, SetRole.self, Revoke.self, Format.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make this node the first member of a new team (creates the network key).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The team's name.") var name: String

        func run() async throws {
            let home = NodeHome.resolve(option: global.home)
            let (team, viaAPI) = try await throughNode(global) { api in
                try await api.send("POST", "/team", ["name": name])["team"] as? String ?? name
            } local: {
                try withNodeErrors { () throws -> String in try home.createTeam(name: name, node: try home.open()).name }
            }
            confirm(global, "Created team \"\(team)\"; its network key is in \(home.teamKeyPath) (mode 0600). "
                    + "Invite members with `roost team invite`.", ["team": team], viaAPI: viaAPI)
        }
    }

    struct Invite: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a one-time invite for a new member (a secret: share it privately). Admins only.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The new member's name, e.g. \"Kenji Sato\".") var name: String
        @Option(help: "The role the new member gets: agent, lead, admin or gateway.") var role = "agent"
        @Option(help: "Address the new member connects to (default: this node's listen address).") var address: String?
        @Option(help: "Hours until the invite expires.") var hours = Team.defaultInviteHours

        func run() async throws {
            let home = NodeHome.resolve(option: global.home)
            guard let role = Role(rawValue: role) else { throw CLIError("--role must be agent, lead, admin or gateway") }
            let (invite, _) = try await throughNode(global) { api in
                var body: [String: Any] = ["name": name, "role": role.rawValue, "hours": hours]
                if let address { body["address"] = address }
                let answer = try await api.send("POST", "/team/invites", body)
                guard let text = answer["invite"] as? String else { throw CLIError("the running node answered without an invite") }
                return try withNodeErrors { try RoostNode.Invite(text: text) }
            } local: {
                try withNodeErrors { () throws -> RoostNode.Invite in
                    let node = try home.open()
                    return try home.invite(name: name, role: role, hours: hours, address: address ?? node.config.listen,
                                           node: node, now: SystemClock().nowMillis())
                }
            }
            if global.json { return Console.printJSON(["invite": invite.text, "expires_ms": String(invite.expiresMillis)]) }
            print("Invite for \(name) (\(role.rawValue)) to \"\(invite.teamName)\" (valid \(hours) h, one use; anyone holding it can join):")
            print("")
            print("    roost team join \(invite.text)")
            print("")
            print("Keep `roost run` going here: the new node connects to \(invite.address) and is admitted by an admin-signed roster op.")
        }
    }

    struct SetRole: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "role", abstract: "Change a member's role. Admins only.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The member (node id, or a prefix of 4+ characters).") var member: String
        @Argument(help: "agent, lead, admin or gateway.") var role: String

        func run() async throws {
            let home = NodeHome.resolve(option: global.home)
            guard let role = Role(rawValue: role) else { throw CLIError("the role must be agent, lead, admin or gateway") }
            let (id, viaAPI) = try await throughNode(global) { api in
                let answer = try await api.send("POST", LocalAPI.member(member) + "/role", ["role": role.rawValue])
                guard let text = answer["member"] as? String, let id = try? AuthorID(text: text) else {
                    throw CLIError("the running node answered without the member")
                }
                return id
            } local: {
                try withNodeErrors { () throws -> AuthorID in
                    let node = try home.open()
                    let id = try withDesk { () throws(DeskError) in try DeskService(node: node).resolveMember(member) }
                    try home.setRole(role, of: id, node: node)
                    return id
                }
            }
            confirm(global, "\(id.short) is now \(role.rawValue).", ["member": id.text, "role": role.rawValue], viaAPI: viaAPI)
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a member: its later ops are refused by every node and its handshakes fail. Admins only.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The member (node id, or a prefix of 4+ characters).") var member: String

        func run() async throws {
            let home = NodeHome.resolve(option: global.home)
            let ((id, cut), viaAPI) = try await throughNode(global) { api in
                let answer = try await api.send("POST", LocalAPI.member(member) + "/revoke", [:])
                guard let text = answer["member"] as? String, let id = try? AuthorID(text: text) else {
                    throw CLIError("the running node answered without the member")
                }
                return (id, answer["cut"] as? String ?? "")
            } local: {
                try withNodeErrors { () throws -> (AuthorID, String) in
                    let node = try home.open()
                    let id = try withDesk { () throws(DeskError) in try DeskService(node: node).resolveMember(member) }
                    return (id, try home.revoke(id, node: node).description)
                }
            }
            confirm(global, "Revoked \(id.short); its ops up to \(cut.isEmpty ? "none" : cut) stay valid.",
                    ["member": id.text, "cut": cut], viaAPI: viaAPI)
        }
    }

    struct Format: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the team's op format, or move the team to format 2 (admins).",
            discussion: """
                With no argument: the format the team asks for, this node's, and the members whose node has not said it \
                speaks sync protocol version 4 (`roost run` publishes it). `roost team format 2` asks every node to write \
                op format 2 (Protocol/SPEC-format-2.md): each node's next op starts a new epoch in format 2; its older \
                log stays as it is. Refused while a member is not ready, unless --anyway: that member's node would not \
                receive the format 2 logs until it is upgraded. There is no way back to format 1.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "2, to ask for format 2.") var format: Int?
        @Flag(help: "Ask even though some members have not said their node speaks protocol version 4.") var anyway = false

        func run() async throws {
            let home = NodeHome.resolve(option: global.home)
            guard let format else {
                let node = try withNodeErrors { try home.open() }
                return Self.print(try withNodeErrors { try home.logFormat(node: node) }, global: global, viaAPI: false)
            }
            guard format == 2 else { throw CLIError("the team can be asked for format 2 only (a log never goes back to format 1)") }
            let (result, viaAPI) = try await throughNode(global) { api in
                let answer = try await api.send("POST", "/team/log-format", ["format": 2, "anyway": anyway])
                return TeamLogFormat(asked: answer["asked"] as? Int ?? 0, local: answer["local"] as? Int ?? 0,
                                     notReady: (answer["notReady"] as? [String] ?? []).compactMap { try? AuthorID(text: $0) })
            } local: {
                try withNodeErrors { () throws -> TeamLogFormat in try home.askLogFormat2(node: try home.open(), anyway: anyway) }
            }
            Self.print(result, global: global, viaAPI: viaAPI)
        }

        static func print(_ state: TeamLogFormat, global: GlobalOptions, viaAPI: Bool) {
            if global.json {
                struct Output: Encodable { var asked: Int, local: Int, notReady: [String], via: String? }
                return Console.printJSON(Output(asked: state.asked, local: state.local, notReady: state.notReady.map(\.text),
                                                via: viaAPI ? "api" : nil))
            }
            Console.printRows([
                ("Team asks for", "format \(state.asked)"),
                ("This node writes", "format \(state.local)" + (state.asked > state.local ? " (format \(state.asked) from its next op)" : "")),
                ("Not at protocol 4", state.notReady.isEmpty ? "none" : state.notReady.map(\.short).joined(separator: ", ")),
            ])
        }
    }

    struct Join: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Join a team with an invite; the inviter becomes a peer.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The invite text (roost-invite-1:...).") var invite: String

        func run() async throws {
            let home = NodeHome.resolve(option: global.home)
            let parsed = try withNodeErrors { try RoostNode.Invite(text: invite) }
            let (peers, viaAPI) = try await throughNode(global) { api in
                try await api.send("POST", "/team/join", ["invite": invite])["peers"] as? [String] ?? []
            } local: {
                try withNodeErrors { () throws -> [String] in
                    try home.join(parsed, node: try home.open(), now: SystemClock().nowMillis()).peers
                }
            }
            confirm(global, "Joined \"\(parsed.teamName)\"; peers: \(peers.joined(separator: ", ")). "
                    + (viaAPI ? "The running node syncs with them now." : "Start syncing with `roost run`."),
                    ["team": parsed.teamName], viaAPI: viaAPI)
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
            let lines = try withNodeErrors { try home.rosterLines(node: node) }
            let invites = try withNodeErrors { try home.invites(node: node) }
            if global.json {
                return Console.printJSON(["team": team.name, "members": lines.map(\.member.text).joined(separator: ",")])
            }
            print("Team \"\(team.name)\"")
            let rows = lines.map { line in
                [line.member.short, line.name, line.revoked ? "revoked" : line.role.rawValue, line.member == node.id ? "this node" : ""]
            }
            Console.printTable([["MEMBER", "NAME", "ROLE", ""]] + rows)
            let now = SystemClock().nowMillis()
            let pending = invites.filter { $0.usedBy == nil && $0.expiresMillis > now }
            if !pending.isEmpty {
                print("Open invites: " + pending.map { "\($0.name) (\($0.role.rawValue))" }.joined(separator: ", "))
            }
            print("Peers: " + (node.config.peers.isEmpty ? "none" : node.config.peers.joined(separator: ", ")))
        }
    }
}
