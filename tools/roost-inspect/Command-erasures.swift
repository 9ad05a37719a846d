import ArgumentParser
import Foundation
import RoostCore
import RoostConsole

/// `erasures`: every replicated erasure this node holds: when, by whom, why, how many bodies (no customer text).
struct ErasuresCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erasures",
        abstract: "Every erasure this node holds: when, by which member, why, and how many bodies it dropped here.",
        discussion: """
            An erasure is effective when its author was a lead or an admin just before it, refused otherwise, and \
            pending while the roster is not known. It names customers by user id: their handles are gone.
            """)

    @OptionGroup var target: TargetOptions

    struct Row: Encodable {
        var id: String
        var at: String
        var by: String
        var byAuthor: String
        var op: String
        var reason: String
        var customer: String?
        var targets: Int
        var erased: Int
        var state: String
    }

    func run() throws {
        try RoostInspect.guarded {
            let t = try target.open()
            let rows = try t.read { try $0.erasures() }.map { record in
                Row(id: record.id, at: Format.hlc(record.hlc), by: t.label(record.ref.author), byAuthor: record.ref.author.text,
                    op: "\(record.ref)", reason: record.reason, customer: record.customer, targets: record.targets,
                    erased: record.erased, state: record.state)
            }
            if target.json { return Console.printJSON(rows) }
            if rows.isEmpty { return print("No erasures.") }
            Console.printTable(["AT", "BY", "STATE", "CUSTOMER", "OPS", "ERASED HERE", "REASON"], rows.map {
                [$0.at, $0.by, $0.state, $0.customer ?? "-", String($0.targets), String($0.erased), $0.reason]
            })
        }
    }
}
