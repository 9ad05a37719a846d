import ArgumentParser
import RoostCore
import RoostNode
import RoostStore
import RoostConsole

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-fold the whole log from scratch, check every chain and seal, and compare with the materialized state.",
        discussion: "Exits 0 when everything verifies, 1 when a problem is found (the first is named first).")

    @OptionGroup var global: GlobalOptions

    struct Result: Encodable {
        var ok: Bool
        var logs: Int
        var ops: Int
        var seals: Int
        var erasedBodies: Int
        /// Erased bodies by the node id of the member whose erasure dropped them.
        var erasedBy: [String: Int]
        var forks: Int
        var stateHash: String
        var refoldStateHash: String?
        var problems: [String]
        var notes: [String]
    }

    func run() throws {
        let home = NodeHome.resolve(option: global.home)
        let node = try withNodeErrors { try home.open() }
        let total = try withStore { () throws(StoreError) in try node.store.opCount() }
        let progress = ProgressReporter(phase: "re-fold", unit: "ops", total: total)
        let report = try withStore { () throws(StoreError) in try node.store.verify { done in progress.update(done) } }
        progress.finish(report.ops)
        let result = Result(
            ok: report.isOK, logs: report.logs, ops: report.ops, seals: report.seals, erasedBodies: report.erasedBodies,
            erasedBy: Dictionary(uniqueKeysWithValues: report.erasedBy.map { ($0.key.text, $0.value) }),
            forks: report.forks, stateHash: report.stateHash.hex, refoldStateHash: report.refoldStateHash?.hex,
            problems: report.problems, notes: report.notes)
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
