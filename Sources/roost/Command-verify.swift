import ArgumentParser
import RoostNode
import RoostConsole

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-fold the whole log from scratch, check every chain and seal, and compare with the materialized state.",
        discussion: "Exits 0 when everything verifies, 1 when a problem is found (the first is named first).")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let node = try withNodeErrors { () throws(NodeError) in try NodeHome.resolve(option: global.home).open() }
        let total = try withNodeErrors { () throws(NodeError) in try node.opCount() }
        let progress = ProgressReporter(phase: "re-fold", unit: "ops", total: total)
        let report = try withNodeErrors { () throws(NodeError) in try node.verify { done in progress.update(done) } }
        progress.finish(report.ops)
        let result = VerifySummary(report)
        if global.json {
            Console.printJSON(result)
        } else {
            print("Checked \(result.logs) log(s), \(result.ops) op(s), \(result.seals) seal(s).")
            if let refold = result.refoldStateHash, refold == result.stateHash {
                print("Re-fold matches the materialized state.")
            }
            print("State hash: \(result.stateHash)")
            for note in result.notes { print("Note: \(note)") }
            if result.ok {
                print("OK")
            } else {
                print("FAILED: \(result.problems.count) problem(s); first: \(result.problems[0])")
                for problem in result.problems.dropFirst().prefix(20) { print("  also: \(problem)") }
            }
        }
        if !report.isOK { throw ExitCode(1) }
    }
}
