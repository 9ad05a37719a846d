import ArgumentParser
import RoostNode
import RoostWeb

struct Open: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the URL that opens this node's web app in a browser (served by `roost run`).",
        discussion: "The URL carries the node's API token (api.token, mode 0600): it signs the browser in with an HttpOnly, SameSite=Strict cookie. Treat it like a password.")
    @OptionGroup var global: GlobalOptions

    struct Result: Encodable {
        var url: String
        var api: String
    }

    func run() throws {
        let home = NodeHome.resolve(option: global.home)
        let node = try withNodeErrors { try home.open() }
        let token = try withNodeErrors { try APIToken.ensure(in: home) }
        let url = try withNodeErrors { try WebServer.loginURL(api: node.config.api, token: token) }
        if global.json { return printJSON(Result(url: url, api: node.config.api)) }
        print("Open this URL in your browser (keep it secret: it signs you in); `roost run` must be running:")
        print("    \(url)")
    }
}
