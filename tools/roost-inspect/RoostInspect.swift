import ArgumentParser
import Foundation

/// `roost-inspect`: read-only admin tool for a node home or a copied database file.
@main
struct RoostInspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roost-inspect",
        abstract: "Inspect, explain and verify a Roost node's sync state (read-only; safe while the node runs).",
        discussion: """
            Exit codes: 0 ok; 1 a problem was found (verify failed, diff found divergent ops or unexplained state);
            3 diff: the nodes differ only by ops not synced yet; 4 the home or database cannot be read, or a
            ticket or author named does not exist; 64 bad arguments.
            """,
        subcommands: [
            StatusCommand.self, PeersCommand.self, VectorsCommand.self, DiffCommand.self, ExplainCommand.self,
            LogCommand.self, VerifyCommand.self, ConflictsCommand.self, EventsCommand.self, ErasuresCommand.self,
        ]
    )

    /// Runs a command body, turning inspector errors into one line on stderr and exit code 4.
    static func guarded(_ work: () throws -> Void) throws {
        do {
            try work()
        } catch let error as InspectError {
            FileHandle.standardError.write(Data("roost-inspect: \(error.description)\n".utf8))
            throw ExitCode(InspectExit.cannotRead)
        }
    }
}
