import ArgumentParser
import RoostNode

/// `roost token`: the node's local secrets for the API and the admin port.
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Replace the API token (ends every web session) or the admin port's token.",
        subcommands: [Rotate.self])

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace api.token with a fresh random one: scripts need the new one, every browser session ends, pending sign-in links stop working.",
            discussion: "A running node notices the new file on its next request; no restart is needed. With --admin, replace admin.token (the admin port's /metrics token) instead.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Replace admin.token instead of api.token.") var admin = false

        func run() throws {
            let home = NodeHome.resolve(option: global.home)
            _ = try withNodeErrors { try home.open() }
            if admin {
                _ = try withNodeErrors { try AdminToken.rotate(in: home) }
                confirm(global, "Replaced \(home.adminTokenPath) (mode 0600); update the scraper's credentials_file if it copies it.",
                        ["file": home.adminTokenPath])
            } else {
                _ = try withNodeErrors { try APIToken.rotate(in: home) }
                confirm(global, "Replaced \(home.apiTokenPath) (mode 0600); every web session has ended. Run `roost open` to sign in again.",
                        ["file": home.apiTokenPath])
            }
        }
    }
}
