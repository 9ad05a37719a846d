import ArgumentParser
import Foundation
import RoostCore
import RoostNode
import RoostConsole

/// `roost routing`: push routing per queue (issue 15).
struct RoutingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "routing",
        abstract: "Push routing per queue: every node names the same agent for each waiting ticket, and that agent's node claims it.",
        discussion: """
            Opt-in per queue (`default` is the queue of tickets without one). Only online agents under their capacity, \
            in the queue (roost agent queues), speaking the ticket's language and holding its skill:<name> tags are \
            named; if the named agent's node has not claimed within the timeout, the next one is. Manual claims keep \
            working. Leads and admins turn it on, off, pause and resume it.
            """,
        subcommands: [Show.self, On.self, Off.self, Pause.self, Resume.self], defaultSubcommand: Show.self)

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Routed queues, and who each waiting ticket is pushed to now.")
        @OptionGroup var global: GlobalOptions

        func run() throws {
            let desk = try openDesk(global)
            let queues = try withDesk { () throws(DeskError) in try desk.routingView() }
            if global.json { return Console.printJSON(queues) }
            if queues.isEmpty { return print("No queue is routed; turn one on with `roost routing on QUEUE`.") }
            for queue in queues {
                print("\(queue.queue): \(queue.mode), timeout \(queue.timeoutSeconds) s\(queue.paused ? ", paused" : ""); \(queue.waiting.count) waiting")
                for pushed in queue.waiting.prefix(20) { print("  \(pushed.ticket)  -> \(pushed.to ?? "nobody eligible")") }
                if queue.waiting.count > 20 { print("  … \(queue.waiting.count - 20) more") }
            }
        }
    }

    /// Sends a routing change through the running node, or writes it directly.
    static func change(_ global: GlobalOptions, _ body: [String: Any], local: (DeskService) throws(DeskError) -> Void) async throws -> Bool {
        try await throughNode(global) { api in
            _ = try await api.send("POST", "/routing", body)
        } local: {
            let desk = try openDesk(global)
            try withDesk { () throws(DeskError) in try local(desk) }
        }.1
    }

    struct On: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Turn push routing on for a queue.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The queue (default: tickets without one).") var queue: String
        @Option(help: "least-loaded or round-robin.") var mode: String = RoutingMode.leastLoaded.rawValue
        @Option(help: "Seconds a named agent has to claim before the next one is named (10-3600).") var timeout: UInt64?

        func run() async throws {
            guard let parsed = RoutingMode(rawValue: mode) else { throw CLIError("mode must be least-loaded or round-robin (got \"\(mode)\")") }
            var body: [String: Any] = ["queue": queue, "mode": parsed.rawValue]
            if let timeout { body["timeoutSeconds"] = timeout }
            let viaAPI = try await RoutingCommand.change(global, body) { desk throws(DeskError) in
                try desk.setRouting(queue: queue, mode: parsed, timeoutSeconds: timeout)
            }
            confirm(global, "Routing \(queue): \(parsed.rawValue).", ["queue": queue, "mode": parsed.rawValue], viaAPI: viaAPI)
        }
    }

    struct Off: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Turn push routing off for a queue (tickets wait to be pulled).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The queue.") var queue: String

        func run() async throws {
            let viaAPI = try await RoutingCommand.change(global, ["queue": queue, "mode": "off"]) { desk throws(DeskError) in
                try desk.setRouting(queue: queue, mode: nil)
            }
            confirm(global, "Routing \(queue): off.", ["queue": queue, "mode": "off"], viaAPI: viaAPI)
        }
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pause pushing in a queue; manual claims keep working.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The queue.") var queue: String

        func run() async throws {
            let viaAPI = try await RoutingCommand.change(global, ["queue": queue, "paused": true]) { desk throws(DeskError) in
                try desk.pauseRouting(queue: queue, paused: true)
            }
            confirm(global, "Routing \(queue): paused.", ["queue": queue, "paused": "true"], viaAPI: viaAPI)
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume pushing in a paused queue.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The queue.") var queue: String

        func run() async throws {
            let viaAPI = try await RoutingCommand.change(global, ["queue": queue, "paused": false]) { desk throws(DeskError) in
                try desk.pauseRouting(queue: queue, paused: false)
            }
            confirm(global, "Routing \(queue): resumed.", ["queue": queue, "paused": "false"], viaAPI: viaAPI)
        }
    }
}
