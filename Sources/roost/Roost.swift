import ArgumentParser
import Foundation
import RoostNode
import RoostStore

/// `roost`: the node and agent command line.
@main
struct Roost: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roost",
        abstract: "A serverless help desk node: tickets as signed ops, merged with CRDT rules, synced with peers.",
        subcommands: [
            Init.self, Status.self, Verify.self, TeamCommand.self, Run.self, Peers.self,
            Inbox.self, Show.self, ClaimTicket.self, ReleaseTicket.self, Handoff.self, Reassign.self, Reply.self, Note.self,
            TagTicket.self, UntagTicket.self, SetPriority.self, Escalate.self, Snooze.self, Mark.self, Resolve.self, Customer.self, Retention.self,
            Canned.self, SLA.self, RoutingCommand.self, PolicyCommand.self, Report.self, Search.self, Reindex.self, Agent.self, Alerts.self, Ingest.self, ImportTWCS.self, OpCommand.self, BundleCommand.self,
            GatewayCommand.self, OutboxCommand.self, XCommand.self,
            Open.self, TokenCommand.self, Mirror.self,
        ]
    )

    /// Sets the heap up for store work (``ProcessAllocator``) and sends the node's notices to standard error
    /// (``NodeNotices``), then parses and runs the command as `AsyncParsableCommand.main()` does.
    static func main() async {
        ProcessAllocator.configure()
        NodeNotices.setHandler { line in FileHandle.standardError.write(Data("roost: \(line)\n".utf8)) }
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The node home (default: $ROOST_HOME, else ~/.roost).")
    var home: String?

    @Flag(name: .long, help: "Print JSON instead of text.")
    var json = false
}
