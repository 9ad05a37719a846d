import ArgumentParser
import Foundation
import RoostCore
import RoostStore  // value types only; every read goes through RoostInspection
import RoostNode
import RoostInspection
import RoostConsole

/// `diff A B`: two homes or database files compared.
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two node homes or database files: vectors, missing ops both ways, tickets whose state differs.",
        discussion: "Exit 0 when identical, 3 when they differ only by ops not synced yet, 1 when ops diverge or state differs unexplained.")

    @Argument(help: "The first node home or .sqlite file.") var a: String
    @Argument(help: "The second node home or .sqlite file.") var b: String
    @Flag(name: .long, help: "Print JSON instead of a table.") var json = false

    struct MissingOp: Encodable {
        var op: String
        var hlc: String
        var kind: String
        var entity: String?
    }

    struct Side: Encodable {
        var path: String
        var node: String?
        var vector: [VectorEntry]
        var ops: Int
    }

    struct Result: Encodable {
        var a: Side
        var b: Side
        var onlyInA: [MissingOp]
        var onlyInB: [MissingOp]
        var divergent: [String]
        var ticketsAwaitingSync: [String]
        var unexplainedDifferences: [TicketStateDifferenceRow]
        var verdict: String
    }

    struct TicketStateDifferenceRow: Encodable {
        var ticket: String
        var a: String?
        var b: String?
    }

    static func missing(_ refs: [OpRef], in store: Inspection) throws(StoreError) -> [MissingOp] {
        try store.storedOps(at: refs).sorted { $0.ref < $1.ref }.map {
            MissingOp(op: "\($0.ref)", hlc: Format.hlc($0.header.hlc), kind: "\($0.header.kind)",
                      entity: $0.decoded.map { "\($0.entity)" })
        }
    }

    func run() throws {
        var code = InspectExit.ok
        try RoostInspect.guarded {
            let left = try InspectTarget(path: a)
            let right = try InspectTarget(path: b)
            let diff = try left.read { store in try store.diff(against: right.inspection) }
            let onlyA = try left.read { store in try Self.missing(diff.onlyInA, in: store) }
            let onlyB = try right.read { store in try Self.missing(diff.onlyInB, in: store) }
            let verdict: String
            if !diff.divergent.isEmpty || !diff.unexplained.isEmpty {
                verdict = "DIVERGED: " + (diff.divergent.isEmpty
                    ? "ticket state differs where no missing op explains it (run `roost-inspect verify` on both)"
                    : "the same position holds different ops (fork or tampering; run `roost-inspect verify` on both)")
                code = InspectExit.problem
            } else if !diff.onlyInA.isEmpty || !diff.onlyInB.isEmpty {
                verdict = "BEHIND: they differ only by ops not synced yet"
                code = InspectExit.behind
            } else {
                verdict = "IDENTICAL: same ops, same state"
            }
            let result = Result(
                a: Side(path: a, node: left.local?.author.text, vector: VectorEntry.entries(of: diff.vectorA),
                        ops: try left.read { try $0.opCount() }),
                b: Side(path: b, node: right.local?.author.text, vector: VectorEntry.entries(of: diff.vectorB),
                        ops: try right.read { try $0.opCount() }),
                onlyInA: onlyA, onlyInB: onlyB, divergent: diff.divergent.map { "\($0)" },
                ticketsAwaitingSync: diff.ticketsAwaitingSync,
                unexplainedDifferences: diff.unexplained.map { TicketStateDifferenceRow(ticket: $0.ticket, a: $0.lineA, b: $0.lineB) },
                verdict: verdict)
            if json { return Console.printJSON(result) }
            print("A: \(a) (node \(left.local.map { $0.author.short } ?? "-"), \(result.a.ops) ops)")
            print("B: \(b) (node \(right.local.map { $0.author.short } ?? "-"), \(result.b.ops) ops)")
            print("")
            let logs = Set(diff.vectorA.entries.keys).union(diff.vectorB.entries.keys).sorted()
            Console.printTable(["LOG", "A", "B", ""], logs.map { log in
                let x = diff.vectorA[log], y = diff.vectorB[log]
                return [Format.log(log), "\(x)", "\(y)", x == y ? "" : x > y ? "B lacks \(x - y)" : "A lacks \(y - x)"]
            })
            for (title, ops) in [("Only in A", onlyA), ("Only in B", onlyB)] {
                print("")
                print("\(title) (\(ops.count) op(s))" + (ops.isEmpty ? ": none" : ":"))
                if !ops.isEmpty {
                    Console.printTable(["OP", "HLC", "KIND", "ENTITY"], ops.map { [$0.op, $0.hlc, $0.kind, $0.entity ?? "(no body)"] })
                }
            }
            print("")
            print("Same position, different op: " + (diff.divergent.isEmpty ? "none" : diff.divergent.map { "\($0)" }.joined(separator: ", ")))
            print("Tickets touched by missing ops: " + (diff.ticketsAwaitingSync.isEmpty ? "none" : diff.ticketsAwaitingSync.joined(separator: ", ")))
            print("Tickets whose state differs with no missing op to explain it" + (diff.unexplained.isEmpty ? ": none" : ":"))
            for difference in diff.unexplained {
                print("  \(difference.ticket)")
                print("    A: \(difference.lineA ?? "(no row)")")
                print("    B: \(difference.lineB ?? "(no row)")")
            }
            print("")
            print(verdict)
        }
        if code != InspectExit.ok { throw ExitCode(code) }
    }
}
