import ArgumentParser
import Foundation
import RoostCore
import RoostStore  // value types only; every read goes through RoostInspection
import RoostNode
import RoostConsole

/// `verify`: every chain, seal and signature, fork evidence, and the re-fold; exit 1 naming the first problem.
struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every chain, seal and body hash, fork evidence, and re-fold equals the materialized state.",
        discussion: "Exit 1 with the first problem named. With a team, every op held must be admitted by the roster.")

    @OptionGroup var target: TargetOptions

    func run() throws {
        var failed = false
        try RoostInspect.guarded {
            let t = try target.open()
            let report: VerifyReport
            do {
                report = try t.inspection.verify()
            } catch {
                // A stored row that cannot even be read back (e.g. a flipped kind) is a problem found, not a read failure.
                if target.json {
                    Console.printJSON(["ok": "false", "problems": "stored ops cannot be read: \(error)"])
                } else {
                    print("FAILED: stored ops cannot be read: \(error)")
                }
                failed = true
                return
            }
            failed = !report.isOK
            let result = VerifySummary(report, rosterAuthority: try t.read { try $0.founder() } == nil
                ? "no team: every signed op is accepted"
                : (report.problems.contains { $0.contains("revocation") || $0.contains("not a member") }
                    ? "FAILED (see problems)" : "every op held is admitted by the roster"))
            if target.json { return Console.printJSON(result) }
            print("Checked \(report.logs) log(s), \(report.ops) op(s), \(report.seals) seal(s); fork evidence: \(report.forks).")
            print("Chains, body hashes, seals: \(report.problems.isEmpty ? "OK" : "see problems below")")
            print(report.refoldStateHash == nil ? "Re-fold: not compared" : "Re-fold state hash: \(report.refoldStateHash!.hex)")
            print("State hash: \(report.stateHash.hex)")
            print("Roster authority: \(result.rosterAuthority ?? "-")")
            for note in report.notes { print("Note: \(note)") }
            if let first = report.problems.first {
                print("")
                print("\(report.problems.count) problem(s):")
                for problem in report.problems { print("  \(problem)") }
                print("FAILED: \(first)")
            } else {
                print("OK")
            }
        }
        if failed { throw ExitCode(InspectExit.problem) }
    }
}
