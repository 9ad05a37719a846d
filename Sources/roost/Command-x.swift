import ArgumentParser
import Foundation
import RoostNode
import RoostTwitter

/// `roost x`: questions to the X API through this node's gateway settings.
struct XCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "x", abstract: "Ask the X API through this node's gateway settings (see `roost gateway configure`).",
        subcommands: [Lookup.self])

    struct Lookup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Resolve an X handle to its numeric user id (GET /2/users/by/username).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The X username, @ optional.") var handle: String

        func run() async throws {
            let home = NodeHome.resolve(option: global.home)
            _ = try withNodeErrors { try home.open() }
            guard let user = try await resolveHandle(handle, home: home) else {
                throw CLIError("X has no user @\(XHandle.normalize(handle) ?? handle)")
            }
            confirm(global, "@\(user.username): X user \(user.id) (\(user.name))",
                    ["username": user.username, "x_user_id": user.id, "name": user.name])
        }
    }
}

/// Looks a handle up through the gateway settings of `home`, turning X errors into one CLI line.
func resolveHandle(_ handle: String, home: NodeHome) async throws -> XUser? {
    do { return try await GatewayLookup.user(handle, home: home) } catch { throw CLIError(error.description) }
}
