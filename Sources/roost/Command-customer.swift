import ArgumentParser
import Foundation
import RoostCore
import RoostNode
import RoostStore
import RoostConsole

/// Percent-encodes a handle or id for a path segment of the local API.
func customerPath(_ handle: String) -> String {
    "/customers/" + (handle.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? handle)
}

struct CustomerErase: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "erase",
        abstract: "Erase a customer on every node of the team: their profile, messages, and the replies and notes of their tickets.",
        discussion: """
            Leads and admins only (every node checks the role again). Writes signed erasure ops that carry no customer \
            text; each node drops the bodies when it merges them, including nodes offline today, and reports stay the \
            same. The handle is gone afterwards: `roost-inspect erasures` lists erasures by user id.
            """)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Handle (with or without @) or user id.") var handle: String
    @Option(help: "Why (kept on every node: a case number or a short phrase, never customer text).") var reason: String

    func run() async throws {
        let result: CustomerErasure
        if let api = try LocalAPI.attach(global) {
            let reply = try await api.send("POST", customerPath(handle) + "/erase", ["reason": reason])
            result = CustomerErasure(customer: reply["customer"] as? String ?? "?", ops: reply["ops"] as? Int ?? 0,
                                     erasureOps: reply["erasureOps"] as? Int ?? 0, erasedHere: reply["erasedHere"] as? Int ?? 0)
        } else {
            let desk = try openDesk(global)
            result = try withDesk { () throws(DeskError) in try desk.eraseCustomer(handle, reason: reason) }
        }
        if global.json { return Console.printJSON(result) }
        print("Erased customer \(result.customer): \(result.ops) op(s) named in \(result.erasureOps) erasure op(s); "
              + "\(result.erasedHere) bodies dropped on this node. Peers drop theirs when they sync.")
    }
}

struct CustomerExportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Everything this node holds about a customer, as JSON (schema: Protocol/customer-export.schema.json).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Handle (with or without @) or user id.") var handle: String
    @Option(help: "Write to this file instead of standard output.") var out: String?

    func run() async throws {
        let desk = try openDesk(global)
        let export = try withDesk { () throws(DeskError) in try desk.exportCustomer(handle) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(export)
        guard let out else { return print(String(decoding: data, as: UTF8.self)) }
        do {
            try data.write(to: URL(fileURLWithPath: out), options: .atomic)
        } catch {
            throw CLIError("cannot write \(out): \(error.localizedDescription)")
        }
        print("Wrote \(export.tickets.count) ticket(s) of @\(export.customer.handle) to \(out)")
    }
}

struct Retention: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Retention policies: erase the message bodies of tickets resolved or closed more than N days ago.",
        discussion: """
            Admins set policies (for every ticket, or per queue); the nodes of leads and admins running `roost run` \
            apply them hourly with replicated erasure ops, so every node erases the same messages. Reports stay the same.
            """,
        subcommands: [RetentionShow.self, RetentionSet.self, RetentionClear.self, RetentionApply.self],
        defaultSubcommand: RetentionShow.self)
}

struct RetentionShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "The policies in force.")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let desk = try openDesk(global)
        let policies = try withDesk { () throws(DeskError) in try desk.retentionPolicies() }
        if global.json { return Console.printJSON(policies) }
        if policies.isEmpty { return print("No retention policy: message bodies are kept until someone erases them.") }
        for policy in policies {
            print("\(policy.queue.map { "Queue \($0)" } ?? "Every ticket"): \(policy.days) days after resolution (set by \(policy.setBy))")
        }
    }
}

/// Sends a retention change through the running node, or writes it here.
private func changeRetention(_ global: GlobalOptions, days: Int?, queue: String?) async throws {
    if let api = try LocalAPI.attach(global) {
        var body: [String: Any] = [:]
        if let days { body["days"] = days }
        if let queue { body["queue"] = queue }
        _ = try await api.send("POST", "/retention", body)
    } else {
        let desk = try openDesk(global)
        try withDesk { () throws(DeskError) in try desk.setRetention(days: days, queue: queue) }
    }
}

struct RetentionSet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "set", abstract: "Set a policy (admins).")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Days after a ticket's resolution (1 to 3650).") var days: Int
    @Option(help: "Only this queue (default: every ticket).") var queue: String?

    func run() async throws {
        try await changeRetention(global, days: days, queue: queue)
        print("\(queue.map { "Queue \($0)" } ?? "Every ticket"): message bodies are erased \(days) days after resolution.")
    }
}

struct RetentionClear: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "clear", abstract: "Clear a policy (admins).")
    @OptionGroup var global: GlobalOptions
    @Option(help: "The queue's policy (default: the policy for every ticket).") var queue: String?

    func run() async throws {
        try await changeRetention(global, days: nil, queue: queue)
        print("\(queue.map { "Queue \($0)" } ?? "Every ticket"): no retention policy.")
    }
}

struct RetentionApply: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "apply", abstract: "Run a retention pass now (leads and admins).")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        let result: RetentionRun
        if let api = try LocalAPI.attach(global) {
            let reply = try await api.send("POST", "/retention/apply", [:])
            result = RetentionRun(tickets: reply["tickets"] as? Int ?? 0, ops: reply["ops"] as? Int ?? 0,
                                  erasureOps: reply["erasureOps"] as? Int ?? 0)
        } else {
            let desk = try openDesk(global)
            result = try withDesk { () throws(DeskError) in try desk.applyRetention() }
        }
        if global.json { return Console.printJSON(result) }
        print("Retention: \(result.ops) message(s) of \(result.tickets) ticket(s) erased in \(result.erasureOps) erasure op(s).")
    }
}
