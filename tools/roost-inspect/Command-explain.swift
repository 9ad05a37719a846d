import ArgumentParser
import Foundation
import RoostCore
import RoostInspection
import RoostConsole

/// `explain TICKET [FIELD]`: why each field has its value.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "For each field of a ticket: the winning op, every losing one, and the merge rule that decided.",
        discussion: """
            TICKET is a ticket key (p123, d456, or the bare number when unambiguous) or any entity as COLLECTION/KEY.
            FIELD is insert, a register (status, priority, tier, queue, resolution...), tag:NAME, tags, or claim.
            Values are recomputed from the op log with RoostCore's merge rules and compared with the materialized state.
            """)

    @Argument(help: "The ticket key, or COLLECTION/KEY.") var ticket: String
    @Argument(help: "Only this field.") var field: String?
    @OptionGroup var target: TargetOptions

    struct OpRow: Encodable {
        var op: String
        var author: String
        var hlc: String
        var seal: String
        var action: String
        var why: String?
    }

    struct FieldRow: Encodable {
        var field: String
        var rule: String
        var ruleExplanation: String
        var value: String
        var materialized: String
        var agrees: Bool
        var winner: OpRow?
        var losers: [OpRow]
        var chain: [OpRow]
    }

    struct Result: Encodable {
        var entity: String
        var fields: [FieldRow]
    }

    /// Resolves a ticket key as typed to an entity the store holds.
    static func entity(_ text: String, in t: InspectTarget) throws -> EntityRef {
        if let slash = text.firstIndex(of: "/") {
            return EntityRef(String(text[..<slash]), String(text[text.index(after: slash)...]))
        }
        let keys = Set(try t.read { try $0.ticketKeys() })
        if keys.contains(text) { return EntityRef(Desk.ticket, text) }
        let candidates = ["p" + text, "d" + text].filter(keys.contains)
        guard candidates.count == 1 else {
            throw InspectError(candidates.isEmpty ? "no ticket \(text) in this node"
                               : "\(text) is ambiguous: \(candidates.joined(separator: " or "))")
        }
        return EntityRef(Desk.ticket, candidates[0])
    }

    func run() throws {
        try RoostInspect.guarded {
            let t = try target.open()
            let entity = try Self.entity(ticket, in: t)
            let fields = try t.read { store in try store.explain(entity, field: field) }
            if fields.isEmpty {
                throw InspectError(field.map { "\(entity) has no field \($0)" } ?? "no op on \(entity) in this node")
            }
            func row(_ op: ExplainedOp) -> OpRow {
                OpRow(op: "\(op.ref)", author: t.label(op.ref.author), hlc: Format.hlc(op.hlc), seal: "\(op.seal)",
                      action: op.action, why: op.why)
            }
            let result = Result(entity: "\(entity)", fields: fields.map {
                FieldRow(field: $0.field, rule: $0.rule.rawValue, ruleExplanation: $0.rule.explanation, value: $0.value,
                         materialized: $0.materialized, agrees: $0.agrees, winner: $0.winner.map(row),
                         losers: $0.losers.map(row), chain: $0.chain.map(row))
            })
            if target.json { return Console.printJSON(result) }
            print("\(entity)")
            for field in result.fields {
                print("")
                print("\(field.field) = \(field.value)")
                print("  rule:    \(field.rule) (\(field.ruleExplanation))")
                if let winner = field.winner {
                    print("  winner:  \(winner.op)  \(winner.author)  \(winner.hlc)  \(winner.seal)  \(winner.action)")
                }
                if field.rule == MergeRule.claimResolver.rawValue {
                    for (index, step) in field.chain.enumerated() {
                        print("  chain \(index + 1): \(step.op)  \(step.author)  \(step.hlc)  \(step.seal)  \(step.action)")
                    }
                }
                for loser in field.losers {
                    print("  loser:   \(loser.op)  \(loser.author)  \(loser.hlc)  \(loser.seal)  \(loser.action)")
                    print("           lost: \(loser.why ?? "-")")
                }
                if field.losers.isEmpty { print("  losers:  none") }
                print("  stored:  " + (field.agrees ? "matches the recomputation" : "DIFFERS: the materialized state says \(field.materialized)"))
            }
        }
    }
}
