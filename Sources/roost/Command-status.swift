import ArgumentParser
import RoostNode
import RoostConsole

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show this node's identity, logs and state hash.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let result = try withNodeErrors { () throws(NodeError) in try NodeHome.resolve(option: global.home).open().status() }
        if global.json { return Console.printJSON(result) }
        Console.printRows([
            ("Node", "\(result.name) (\(result.initials))"),
            ("Node id", result.nodeId),
            ("Home", result.home),
            ("Own log", "epoch \(result.epoch), seq \(result.seq)" + (result.logFormat == 1 ? "" : ", format \(result.logFormat)")),
            ("Ops stored", "\(result.ops) in \(result.logs.count) log(s)"),
        ] + (result.partial.map { partial in
            [("Partial node", "queues \(partial.queues.joined(separator: ", ")): \(partial.tickets) ticket(s) held, "
              + "\(partial.ops) op(s) of \(partial.logs) other log(s)"
              + (partial.historyOps == 0 ? "" : ", and the team's format 1 history whole (\(partial.historyOps) op(s))"))]
        } ?? []) + [
            ("Fork evidence", result.forks == 0 ? "none" : "\(result.forks) (run `roost verify`)"),
            ("Last HLC", result.lastHLC),
            ("State hash", result.stateHash),
            ("Database", "\(result.databaseBytes) bytes"),
        ])
        if !result.logs.isEmpty {
            print("")
            print("AUTHOR   EPOCH             SEQ     SEALED")
            for log in result.logs {
                let author = String(log.author.prefix(7)) + (log.local ? "*" : " ")
                print(author.padding(toLength: 9, withPad: " ", startingAt: 0)
                      + log.epoch.padding(toLength: 18, withPad: " ", startingAt: 0)
                      + String(log.seq).padding(toLength: 8, withPad: " ", startingAt: 0) + String(log.sealed))
            }
        }
    }
}
