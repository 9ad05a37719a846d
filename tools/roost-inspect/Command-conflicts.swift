import ArgumentParser
import Foundation
import RoostCore
import RoostInspection
import RoostConsole

/// `conflicts`: claim conflicts and register overwrites between members.
struct ConflictsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conflicts",
        abstract: "Claim conflicts and overwrites between members (who won, who lost, when), optionally for one queue.")

    @OptionGroup var target: TargetOptions
    @Option(name: .long, help: "Only tickets in this queue.") var queue: String?

    struct ClaimRow: Encodable {
        var ticket: String
        var queue: String?
        var loser: String
        var loserAuthor: String
        var loserHLC: String
        var wantedFor: String?
        var winner: String?
        var winnerAuthor: String?
        var winnerHLC: String?
        var reason: String
    }

    struct OverwriteRow: Encodable {
        var ticket: String
        var queue: String?
        var field: String
        var loser: String
        var loserAuthor: String
        var loserHLC: String
        var loserValue: String
        var winner: String
        var winnerAuthor: String
        var winnerHLC: String
        var winnerValue: String
    }

    struct Result: Encodable {
        var claimConflicts: [ClaimRow]
        var overwrites: [OverwriteRow]
        var note: String
    }

    func run() throws {
        try RoostInspect.guarded {
            let t = try target.open()
            let conflicts = try t.read { try $0.claimConflicts() }.filter { $0.entity.collection == Desk.ticket }
            let stamps = Dictionary(try t.read { store in
                try store.storedOps(at: conflicts.flatMap { [$0.loser] + ($0.winner.map { [$0] } ?? []) })
            }.map { ($0.ref, $0.header.hlc) }, uniquingKeysWith: { a, _ in a })
            func queueOf(_ key: String) -> String? { (try? t.inspection.queue(ofTicket: key)) ?? nil }
            let claims = conflicts.filter { queue == nil || queueOf($0.entity.key) == queue }.map { conflict in
                ClaimRow(ticket: conflict.entity.key, queue: queueOf(conflict.entity.key), loser: "\(conflict.loser)",
                         loserAuthor: t.label(conflict.loser.author), loserHLC: stamps[conflict.loser].map(Format.hlc) ?? "?",
                         wantedFor: conflict.loserHolder.map(t.label), winner: conflict.winner.map { "\($0)" },
                         winnerAuthor: conflict.winner.map { t.label($0.author) },
                         winnerHLC: conflict.winner.flatMap { stamps[$0] }.map(Format.hlc), reason: conflict.reason.rawValue)
            }
            let overwrites = try t.read { try $0.registerOverwrites() }.filter { queue == nil || queueOf($0.entity.key) == queue }.map {
                OverwriteRow(ticket: $0.entity.key, queue: queueOf($0.entity.key), field: $0.field, loser: "\($0.loser.ref)",
                             loserAuthor: t.label($0.loser.ref.author), loserHLC: Format.hlc($0.loser.hlc),
                             loserValue: "\($0.loserValue)", winner: "\($0.winner.ref)", winnerAuthor: t.label($0.winner.ref.author),
                             winnerHLC: Format.hlc($0.winner.hlc), winnerValue: "\($0.winnerValue)")
            }
            let note = "An overwrite is a register write that lost to a later write by another member; ops carry no causal "
                + "context, so whether the winner had seen it is not known."
            if target.json { return Console.printJSON(Result(claimConflicts: claims, overwrites: overwrites, note: note)) }
            print("Claim conflicts (\(claims.count))" + (claims.isEmpty ? ": none" : ":"))
            if !claims.isEmpty {
                Console.printTable(["TICKET", "QUEUE", "LOSER", "BY", "AT", "WINNER", "BY", "AT", "REASON"], claims.map {
                    [$0.ticket, $0.queue ?? "-", $0.loser, $0.loserAuthor, $0.loserHLC, $0.winner ?? "-", $0.winnerAuthor ?? "-",
                     $0.winnerHLC ?? "-", $0.reason]
                })
            }
            print("")
            print("Overwrites between members (\(overwrites.count))" + (overwrites.isEmpty ? ": none" : ":"))
            if !overwrites.isEmpty {
                Console.printTable(["TICKET", "QUEUE", "FIELD", "LOST", "BY", "AT", "WON", "BY", "AT"], overwrites.map {
                    [$0.ticket, $0.queue ?? "-", $0.field, $0.loserValue, $0.loserAuthor, $0.loserHLC, $0.winnerValue,
                     $0.winnerAuthor, $0.winnerHLC]
                })
            }
            print("")
            print(note)
        }
    }
}
