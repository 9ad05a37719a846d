import Foundation
import Testing
import RoostCore
import RoostNode
import RoostStore
import RoostTestSupport

/// README.md's walk-throughs, executed line by line with the built `roost` (issue 17: "every command the README
/// shows is run by a test"): "A new team's first hour" (Ana's block on her node, Kenji's on his), "Using a node"
/// (on a fresh node), "Peers" (that node founds a team; the lines marked "on Kenji's node" run on a second one) and
/// "The web app". Every `roost` line must exit 0. Substitutions: `roost run` starts the node in the background (once
/// per home); the invite placeholder `roost-invite-2:...` is the invite printed just before; `KENJI` is the joined
/// member's id; `examples/...` and `kenji.rstb` become absolute paths; optional parts in brackets are left out.
/// Not run: lines that are not `roost` commands (`git clone`, `make demo` — CI runs it in a bare copy —, `swift
/// build`), and the gateway section, which needs the X API (its commands run against roost-fake-x in
/// Tests/RoostGatewayTests); every README line still parses (ReadmeCommandTests).
@Suite(.serialized) struct ReadmeWalkthroughTests {
    /// The `roost` command lines (arguments after `roost`, optional `[...]` parts removed) of each ```sh block
    /// under the heading `section`, with each line's comment, in order.
    static func blocks(under section: String) throws -> [[(arguments: [String], comment: String)]] {
        let text = try String(contentsOf: ExampleTests.root.appendingPathComponent("README.md"), encoding: .utf8)
        var blocks: [[([String], String)]] = [], current: [([String], String)]? = nil, inSection = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("## ") { inSection = line == "## " + section; continue }
            guard inSection else { continue }
            if line.hasPrefix("```") {
                if let block = current { blocks.append(block); current = nil } else if line == "```sh" { current = [] }
                continue
            }
            guard current != nil else { continue }
            let (code, comment) = splitComment(line)
            let withoutOptional = code.replacingOccurrences(of: #"\[[^\]]*\]"#, with: "", options: .regularExpression)
            for words in ShellWords.commands(in: withoutOptional) where words.first == "roost" {
                current?.append((Array(words.dropFirst()), comment))
            }
        }
        return blocks.map { $0.map { (arguments: $0.0, comment: $0.1) } }
    }

    /// A line's code and its `#` comment (outside quotes).
    static func splitComment(_ line: String) -> (String, String) {
        var quote: Character?
        for index in line.indices {
            let character = line[index]
            if let open = quote { if character == open { quote = nil }; continue }
            if character == "\"" || character == "'" { quote = character }
            if character == "#" { return (String(line[..<index]), String(line[line.index(after: index)...])) }
        }
        return (line, "")
    }

    /// The homes of the walk-through and what runs on them.
    final class Walk {
        var nodes: [String: CLI] = [:]
        var daemons: [String: DaemonTests.Daemon] = [:]
        var invite: String?
        var kenji: String?
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("roost-readme-\(UUID().uuidString)")
        var ran: [String] = []

        func node(_ name: String) throws -> CLI {
            if let cli = nodes[name] { return cli }
            let cli = try CLI()
            nodes[name] = cli
            return cli
        }

        func substitute(_ arguments: [String]) -> [String] {
            arguments.map { word in
                if word.hasPrefix("roost-invite-"), let invite { return invite }
                if word == "KENJI", let kenji { return kenji }
                if word.hasPrefix("examples/") { return ExampleTests.root.appendingPathComponent(word).path }
                if word.hasSuffix(".rstb") { return scratch.appendingPathComponent(word).path }
                return word
            }
        }

        /// Runs one README line on `name`'s home; `roost run` starts that node in the background.
        func run(_ arguments: [String], on name: String, line: String) async throws {
            let cli = try node(name)
            var words = substitute(arguments)
            // A node that never comes up must fail the line in minutes, not after the hour --until-synced waits.
            if words.contains("--until-synced") && !words.contains("--timeout") { words += ["--timeout", "300"] }
            ran.append("\(name): roost \(words.joined(separator: " "))")
            if words == ["run"] {
                guard daemons[name] == nil else { return }
                let home = try NodeHome(path: cli.home.path)
                for attempt in 1...3 {
                    let daemon = try DaemonTests.Daemon(home: cli.home)
                    daemons[name] = daemon
                    _ = try await eventually(seconds: 300) { NodeAPIFile.live(home) != nil || !daemon.process.isRunning }
                    if NodeAPIFile.live(home) != nil { return }
                    // Another test bound the port between freePort() and this bind (the suite runs in parallel):
                    // the node says so and exits; give it new ports and start it again.
                    if attempt < 3 && daemon.output.contains("Address already in use") {
                        try DaemonTests.setListen(cli, freePort())
                        continue
                    }
                    Issue.record("\(line): roost run did not come up: \(daemon.output)")
                    return
                }
                return
            }
            // The CLI process is waited for on a Dispatch thread: blocking one of the two cooperative threads for
            // every README line starved other suites' async HTTP tests (read timeouts) in the full run.
            let arguments = words
            let result = try await withCheckedThrowingContinuation { continuation in
                DispatchQueue.global().async { continuation.resume(with: Result { try cli.run(arguments) }) }
            }
            #expect(result.status == 0, "README line `roost \(line)` on \(name): exit \(result.status): \(result.stderr)")
            if words.first == "init" { try DaemonTests.setListen(cli, freePort()) }
            if words.starts(with: ["team", "invite"]) { invite = try DaemonTests.inviteText(result.stdout) }
        }

        func stop() {
            for daemon in daemons.values { daemon.stop() }
            for cli in nodes.values { cli.cleanup() }
            try? FileManager.default.removeItem(at: scratch)
        }
    }

    @Test func theReadmeWalkthroughsRunAsWritten() async throws {
        let walk = Walk()
        defer { walk.stop() }
        try FileManager.default.createDirectory(at: walk.scratch, withIntermediateDirectories: true)

        // A new team's first hour: Ana's block on her node, Kenji's on his.
        let firstHour = try Self.blocks(under: "A new team's first hour")
        #expect(firstHour.count == 2, "expected Ana's and Kenji's blocks")
        for (arguments, _) in firstHour[0] { try await walk.run(arguments, on: "ana", line: arguments.joined(separator: " ")) }
        for (arguments, _) in firstHour[1] { try await walk.run(arguments, on: "kenji", line: arguments.joined(separator: " ")) }
        // Kenji's answer reaches Ana: her node shows p1207 resolved by him.
        let anaHome = try NodeHome(path: try walk.node("ana").home.path)
        #expect(try await eventually { (try? DeskService(node: anaHome.open()).ticketView("p1207").resolution) == "answered" })

        // Using a node, on a node of its own.
        let using = try Self.blocks(under: "Using a node")
        #expect(using.first?.count ?? 0 >= 20, "the Using a node block lost its commands")
        for (arguments, _) in using.first ?? [] { try await walk.run(arguments, on: "user", line: arguments.joined(separator: " ")) }

        // Peers: that node founds a team; "on Kenji's node" lines run on a second node. KENJI is the joined member.
        let peers = try Self.blocks(under: "Peers")
        #expect(peers.count == 1)
        for (arguments, comment) in peers.first ?? [] {
            let onKenji = comment.contains("on Kenji's node")
            if arguments == ["run"] {
                try await walk.run(arguments, on: "user", line: "run")
                try await walk.run(arguments, on: "kenji2", line: "run")
                continue
            }
            if arguments.starts(with: ["team", "show"]) {
                // The founder's node admits Kenji once his node dials it: wait for that before naming him.
                let user = try NodeHome(path: try walk.node("user").home.path)
                let kenjiID = try NodeHome(path: try walk.node("kenji2").home.path).open().id
                #expect(try await eventually { ((try? user.rosterLines(node: user.open())) ?? []).contains { $0.member == kenjiID } })
                walk.kenji = String(kenjiID.text.prefix(7))
            }
            if arguments.starts(with: ["team", "join"]) {
                _ = try walk.node("kenji2")
                if walk.nodes["kenji2"].map({ !FileManager.default.fileExists(atPath: $0.home.appendingPathComponent("config.json").path) }) ?? true {
                    try await walk.run(["init", "--name", "Kenji Sato", "--initials", "KS"], on: "kenji2", line: "init (Kenji's node)")
                }
            }
            try await walk.run(arguments, on: onKenji || arguments.starts(with: ["team", "join"]) ? "kenji2" : "user",
                               line: arguments.joined(separator: " "))
        }

        // The web app: run (already running), open, token rotate.
        let web = try Self.blocks(under: "The web app")
        #expect(web.first?.contains { $0.arguments == ["open"] } == true)
        for (arguments, _) in web.first ?? [] { try await walk.run(arguments, on: "user", line: arguments.joined(separator: " ")) }

        print("ReadmeWalkthroughTests ran \(walk.ran.count) README lines:\n" + walk.ran.joined(separator: "\n"))
        #expect(walk.ran.count >= 45)
    }
}
