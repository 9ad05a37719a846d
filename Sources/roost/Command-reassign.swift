import ArgumentParser
import RoostNode

struct Reassign: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Reassign a ticket to any member (leads and admins).")
    @OptionGroup var global: GlobalOptions
    @Argument var ticket: String
    @Option(help: "The member: node id, id prefix or name.") var to: String

    func run() throws {
        let desk = try openDesk(global)
        let (key, member) = try withDesk { () throws(DeskError) in try desk.reassign(ticket, to: to) }
        let name = try withDesk { () throws(DeskError) in try desk.memberName(member) }
        confirm(global, "Reassigned \(key) to \(name)", ["ticket": key, "to": member.text])
    }
}
