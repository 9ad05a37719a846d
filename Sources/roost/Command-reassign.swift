import ArgumentParser
import RoostCore
import RoostNode

struct Reassign: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Reassign a ticket to any member (leads and admins).")
    @OptionGroup var global: GlobalOptions
    @Argument var ticket: String
    @Option(help: "The member: node id, id prefix or name.") var to: String

    func run() async throws {
        let ((key, member), viaAPI) = try await throughNode(global) { api in
            let answer = try await api.send("POST", LocalAPI.ticket(ticket) + "/reassign", ["to": to])
            guard let text = answer["member"] as? String, let member = try? AuthorID(text: text) else {
                throw CLIError("the running node answered without the member")
            }
            return (answer["ticket"] as? String ?? ticket, member)
        } local: {
            let desk = try openDesk(global)
            return try withDesk { () throws(DeskError) in try desk.reassign(ticket, to: to) }
        }
        let reader = try openDesk(global)
        let name = try withDesk { () throws(DeskError) in try reader.memberName(member) }
        confirm(global, "Reassigned \(key) to \(name)", ["ticket": key, "to": member.text], viaAPI: viaAPI)
    }
}
