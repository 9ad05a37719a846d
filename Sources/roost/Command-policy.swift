import ArgumentParser
import Foundation
import RoostCore
import RoostNode
import RoostConsole

/// `roost policy`: the team's desk policy, business hours and SLA targets per queue (issue 15).
struct PolicyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Business hours, SLA targets and routing per queue, for the whole team (a TOML file; see examples/policy.toml).",
        discussion: """
            `check` reads a policy file and reports the first problem with its line; `apply` checks it and writes it for \
            the team (leads and admins). Every node then counts first-response, next-reply and resolution clocks the same \
            way: in business time where a queue says so, warning at its warn_percent.
            """,
        subcommands: [Show.self, Check.self, Apply.self], defaultSubcommand: Show.self)

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the team's policy as written.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let desk = try openDesk(global)
            let text = try withDesk { () throws(DeskError) in try desk.policyText() }
            if global.json { return Console.printJSON(["text": text ?? ""]) }
            print(text ?? "No desk policy: first-response targets per priority (roost sla), around the clock.", terminator: text == nil ? "\n" : "")
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check a policy file without writing it.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The policy file.") var file: String
        @Option(help: "Triage rules whose queues count as known (default: rules.toml in the node home).") var rules: String?

        func run() throws {
            let text = try PolicyCommand.read(file)
            let desk = try openDesk(global)
            let triage = try loadRules(rules, home: desk.node.home)
            let policy = try withDesk { () throws(DeskError) in
                try desk.applyPolicy(text: text, file: file, rules: triage, dryRun: true)
            }
            confirm(global, "\(file): valid; \(policy.queues.count) queue(s): \(policy.queues.map(\.name).joined(separator: ", ")).",
                    ["file": file, "queues": policy.queues.map(\.name).joined(separator: ",")])
        }
    }

    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check a policy file and write it for the team (leads and admins).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The policy file.") var file: String
        @Option(help: "Triage rules whose queues count as known (default: rules.toml in the node home).") var rules: String?

        func run() async throws {
            let text = try PolicyCommand.read(file)
            let checker = try openDesk(global)
            let triage = try loadRules(rules, home: checker.node.home)
            // Checked here against the rules named, then written (through the running node when there is one).
            _ = try withDesk { () throws(DeskError) in try checker.applyPolicy(text: text, file: file, rules: triage, dryRun: true) }
            let viaAPI = try await throughNode(global) { api in
                _ = try await api.send("POST", "/policy", ["text": text, "file": file, "knownQueues": triage.rules.compactMap(\.queue)])
            } local: {
                let desk = try openDesk(global)
                try withDesk { () throws(DeskError) in _ = try desk.applyPolicy(text: text, file: file, rules: triage) }
            }.1
            confirm(global, "Policy \(file) applied for the team.", ["file": file], viaAPI: viaAPI)
        }
    }

    static func read(_ file: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("cannot read \(file)") }
        guard data.count <= DeskPolicy.maxBytes else { throw CLIError("\(file): a policy holds at most \(DeskPolicy.maxBytes) bytes") }
        return String(decoding: data, as: UTF8.self)
    }
}
