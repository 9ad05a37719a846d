import ArgumentParser
import RoostNode
import RoostWeb
import RoostConsole

struct Open: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a one-time link that signs a browser in to this node's web app (served by `roost run`).",
        discussion: """
            The link carries a one-time login code, never the API token. The code is written into the home \
            (login-codes/, mode 0600, stored as its hash), so this works whether or not `roost run` is up; it must \
            be opened within \(SignInLimits.loginCodeSeconds / 60) minutes and works once. Opening it starts a \
            server-side session (an HttpOnly, SameSite=Strict cookie) that ends on sign-out, after \
            \(SignInLimits.sessionIdleSeconds / 3600) hours unused, after \(SignInLimits.sessionAbsoluteSeconds / 86_400) \
            days, on `roost token rotate`, or when the node restarts.
            """)
    @OptionGroup var global: GlobalOptions

    struct Result: Encodable {
        var url: String
        var api: String
        var expiresInSeconds: UInt64
    }

    func run() throws {
        let home = NodeHome.resolve(option: global.home)
        let node = try withNodeErrors { try home.open() }
        _ = try withNodeErrors { try APIToken.ensure(in: home) }
        let code = try withNodeErrors { try LoginCode.issue(in: home, nowMillis: SystemClock().nowMillis()) }
        let url = try withNodeErrors { try WebServer.loginURL(api: node.config.api, code: code) }
        if global.json { return Console.printJSON(Result(url: url, api: node.config.api, expiresInSeconds: SignInLimits.loginCodeSeconds)) }
        print("Open this link in your browser within \(SignInLimits.loginCodeSeconds / 60) minutes; it works once (`roost run` must be running):")
        print("    \(url)")
    }
}
