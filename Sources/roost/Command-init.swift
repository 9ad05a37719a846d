import ArgumentParser
import RoostCore
import RoostNode
import RoostConsole

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a node home: identity key, log epoch, config and database.")

    @OptionGroup var global: GlobalOptions

    @Option(help: "Your display name, e.g. \"Ana Lopez\".")
    var name: String

    @Option(help: "Your initials, used as your reply signature (^AL).")
    var initials: String

    @Option(help: ArgumentHelp("""
        The op format of this node's log: 1, or 2 (Protocol/SPEC-format-2.md, fixed for the log's epoch). Only peers \
        speaking sync protocol version 4 receive a format 2 log.
        """, valueName: "1|2"))
    var logFormat: Int = 1

    @Option(help: ArgumentHelp("""
        Make this a partial node holding only these queues' tickets (comma-separated; `default` names tickets without         a queue), the tickets its agent works on, their customers, and the team's roster and settings         (Protocol/SPEC-partial.md). Implies --log-format 2; its peers must be full nodes of a format 2 team.
        """, valueName: "queue,..."))
    var queues: String?

    /// The subscribed queues, parsed.
    var queueList: [String]? {
        queues.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
    }

    func validate() throws {
        if let list = queueList, list.isEmpty { throw ValidationError("--queues names at least one queue") }
    }

    struct Result: Encodable {
        var home: String
        var nodeId: String
        var epoch: String
        var name: String
        var initials: String
        var logFormat: Int?
        var queues: [String]?
    }

    func run() throws {
        let home = NodeHome.resolve(option: global.home)
        let partial = queueList
        let node = try withNodeErrors {
            try home.initialize(config: NodeConfig(name: name, initials: initials.uppercased()), logFormat: partial == nil ? logFormat : 2,
                                queues: partial)
        }
        // The member profile (name, initials) is the node's first op, so peers show names, not ids.
        try withDesk { () throws(DeskError) in try DeskService(node: node).publishProfile() }
        // The local API token (api.token, 0600) for the web app; `roost open` prints the sign-in URL.
        _ = try withNodeErrors { try APIToken.ensure(in: home) }
        let result = Result(
            home: home.url.path, nodeId: node.id.text, epoch: String(node.author.epoch, radix: 16),
            name: node.config.name, initials: node.config.initials, logFormat: node.author.format == 1 ? nil : node.author.format,
            queues: partial)
        if global.json { return Console.printJSON(result) }
        print("Created node \"\(result.name)\" (\(result.initials)) in \(result.home)")
        Console.printRows([
            ("Node id", result.nodeId),
            ("Log epoch", result.epoch),
            ("Secret key", home.keyPath + " (mode 0600, never share it)"),
        ] + (node.author.format == 1 ? [] : [("Log format", "\(node.author.format) (sync protocol version 4 peers only)")])
          + (partial.map { [("Queues", $0.joined(separator: ", ") + " (a partial node: these queues' tickets and the ones you work on)")] } ?? []))
    }
}
