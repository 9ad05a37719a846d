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

    struct Result: Encodable {
        var home: String
        var nodeId: String
        var epoch: String
        var name: String
        var initials: String
    }

    func run() throws {
        let home = NodeHome.resolve(option: global.home)
        let node = try withNodeErrors { try home.initialize(config: NodeConfig(name: name, initials: initials.uppercased())) }
        // The member profile (name, initials) is the node's first op, so peers show names, not ids.
        try withDesk { () throws(DeskError) in try DeskService(node: node).publishProfile() }
        // The local API token (api.token, 0600) for the web app; `roost open` prints the sign-in URL.
        _ = try withNodeErrors { try APIToken.ensure(in: home) }
        let result = Result(
            home: home.url.path, nodeId: node.id.text, epoch: String(node.author.epoch, radix: 16),
            name: node.config.name, initials: node.config.initials)
        if global.json { return Console.printJSON(result) }
        print("Created node \"\(result.name)\" (\(result.initials)) in \(result.home)")
        Console.printRows([
            ("Node id", result.nodeId),
            ("Log epoch", result.epoch),
            ("Secret key", home.keyPath + " (mode 0600, never share it)"),
        ])
    }
}
