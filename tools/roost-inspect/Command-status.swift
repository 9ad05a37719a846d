import ArgumentParser
import Foundation
import RoostCore
import RoostNode
import RoostConsole

/// `status`: who this node is and what its database holds.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Node id, team, role, own log, ops by author, database.")

    @OptionGroup var target: TargetOptions

    struct AuthorRow: Encodable {
        var author: String
        var name: String?
        var logs: Int
        var ops: Int
        var unsealed: Int
    }

    struct Result: Encodable {
        var path: String
        var nodeId: String?
        var name: String?
        var team: String?
        var role: String?
        var rosterAuthority: String
        var epoch: String?
        var seq: UInt64
        var sealed: UInt64
        var ops: Int
        var unsealed: Int
        var forks: Int
        var lastHLC: String
        var lastCompaction: String
        var clockOffset: String
        var databaseBytes: Int64
        var authors: [AuthorRow]
    }

    func run() throws {
        try RoostInspect.guarded {
            let t = try target.open()
            let counts = try t.read { try $0.opCountsByAuthor() }
            let logs = try t.read { try $0.logs() }
            let own = logs.first { $0.log == t.local }
            let node = t.local?.author
            let result = Result(
                path: t.path, nodeId: node?.text,
                name: t.config.map { "\($0.name) (\($0.initials))" } ?? node.flatMap { try? t.inspection.memberName($0) },
                team: try t.read { try $0.teamName() },
                role: try node.flatMap { author in try t.read { try $0.memberRole(author) } },
                rosterAuthority: try t.read { try $0.founder() }.map { "founder \($0.short); ops admitted at apply, `verify` re-checks" }
                    ?? "no team: every signed op is accepted",
                epoch: t.local.map { String($0.epoch, radix: 16) }, seq: own?.seq ?? 0, sealed: own?.sealed ?? 0,
                ops: counts.reduce(0) { $0 + $1.ops }, unsealed: counts.reduce(0) { $0 + $1.unsealed },
                forks: try t.read { try $0.forks().count }, lastHLC: Format.hlc(try t.read { try $0.lastHLC() }),
                lastCompaction: "never (compaction is not implemented yet)",
                clockOffset: "not recorded (peers do not report their clocks yet)",
                databaseBytes: NodeHome.databaseBytes(atPath: t.databasePath),
                authors: counts.map {
                    AuthorRow(author: $0.author.text, name: try? t.inspection.memberName($0.author), logs: $0.logs, ops: $0.ops,
                              unsealed: $0.unsealed)
                })
            if target.json { return Console.printJSON(result) }
            Console.printRows([
                ("Node", result.name ?? "-"),
                ("Node id", result.nodeId ?? "none (this database belongs to no node)"),
                ("Team", result.team ?? "none"),
                ("Role", (result.role ?? "none") + " (roster: \(result.rosterAuthority))"),
                ("Own log", result.epoch.map { "epoch \($0), seq \(result.seq), sealed \(result.sealed)" } ?? "-"),
                ("Ops stored", "\(result.ops) in \(logs.count) log(s) by \(counts.count) author(s)"),
                ("Unsealed ops", "\(result.unsealed)"),
                ("Fork evidence", result.forks == 0 ? "none" : "\(result.forks) (run `roost-inspect verify`)"),
                ("Last HLC", result.lastHLC),
                ("Last compaction", result.lastCompaction),
                ("Clock offset", result.clockOffset),
                ("Database", "\(result.databaseBytes) bytes"),
            ])
            guard !counts.isEmpty else { return }
            print("")
            Console.printTable(["AUTHOR", "NAME", "LOGS", "OPS", "UNSEALED"], counts.map {
                [$0.author.short + ($0.author == node ? " (self)" : ""), (try? t.inspection.memberName($0.author)) ?? nil ?? "-",
                 "\($0.logs)", "\($0.ops)", "\($0.unsealed)"]
            })
        }
    }
}
