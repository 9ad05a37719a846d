import ArgumentParser
import Foundation
import RoostCore
import RoostNode
import RoostStore
import RoostConsole

/// Low-level operations on replicated entities: the primitives tickets are built from.
struct OpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "op",
        abstract: "Append low-level ops (insert, set, tag, claim) and show an entity's merged state.",
        discussion: "ENTITY is COLLECTION/KEY, e.g. ticket/1042. Later commands (inbox, claim, reply) build on these.",
        subcommands: [Insert.self, SetField.self, Tag.self, Untag.self, Claim.self, Release.self, Show.self])

    struct Insert: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Insert an entity once (grow-only set) with NAME=VALUE fields.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "COLLECTION/KEY") var entity: String
        @Argument(help: "Fields as NAME=VALUE.") var fields: [String] = []

        func run() async throws {
            let op = LowLevelOp.insert(try withDesk { () throws(DeskError) in try LowLevelOp.parseEntity(entity) },
                                       try withDesk { () throws(DeskError) in try LowLevelOp.parseFields(fields) })
            try await appendAndReport(op, ["kind": "insert", "entity": entity, "fields": fields], global: global)
        }
    }

    struct SetField: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Write a field (last writer wins).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "COLLECTION/KEY") var entity: String
        @Argument var field: String
        @Argument var value: String

        func run() async throws {
            let op = LowLevelOp.set(try withDesk { () throws(DeskError) in try LowLevelOp.parseEntity(entity) }, field: field, value: value)
            try await appendAndReport(op, ["kind": "set", "entity": entity, "field": field, "value": value], global: global)
        }
    }

    struct Tag: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a tag (add-wins set).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "COLLECTION/KEY") var entity: String
        @Argument var tag: String

        func run() async throws {
            let op = LowLevelOp.tag(try withDesk { () throws(DeskError) in try LowLevelOp.parseEntity(entity) }, tag)
            try await appendAndReport(op, ["kind": "tag", "entity": entity, "tag": tag], global: global)
        }
    }

    struct Untag: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a tag: the adds of it this node has seen.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "COLLECTION/KEY") var entity: String
        @Argument var tag: String

        func run() async throws {
            let op = LowLevelOp.untag(try withDesk { () throws(DeskError) in try LowLevelOp.parseEntity(entity) }, tag)
            try await appendAndReport(op, ["kind": "untag", "entity": entity, "tag": tag], global: global)
        }
    }

    struct Claim: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Claim an entity with a lease.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "COLLECTION/KEY") var entity: String
        @Option(help: "Lease length in minutes.") var lease: UInt32 = 30

        func run() async throws {
            guard lease >= 1, lease <= Limits.maxLeaseSeconds / 60 else {
                throw CLIError("--lease must be 1...\(Limits.maxLeaseSeconds / 60) minutes")
            }
            let op = LowLevelOp.claim(try withDesk { () throws(DeskError) in try LowLevelOp.parseEntity(entity) }, leaseMinutes: lease)
            try await appendAndReport(op, ["kind": "claim", "entity": entity, "leaseMinutes": Int(lease)], global: global)
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Release your claim on an entity.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "COLLECTION/KEY") var entity: String

        func run() async throws {
            let op = LowLevelOp.release(try withDesk { () throws(DeskError) in try LowLevelOp.parseEntity(entity) })
            try await appendAndReport(op, ["kind": "release", "entity": entity], global: global)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an entity's merged state.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "COLLECTION/KEY") var entity: String

        func run() throws {
            let ref = try withDesk { () throws(DeskError) in try LowLevelOp.parseEntity(entity) }
            let result = try withNodeErrors { () throws(NodeError) in try NodeHome.resolve(option: global.home).open().entityState(ref) }
            if global.json { return Console.printJSON(result) }
            guard !result.isEmpty else {
                throw CLIError("\(entity) has no ops on this node")
            }
            var rows: [(String, String)] = [("Entity", result.entity)]
            for (name, value) in (result.inserted ?? [:]).sorted(by: { $0.key < $1.key }) { rows.append((name, value)) }
            for (name, value) in result.fields.sorted(by: { $0.key < $1.key }) { rows.append((name, value)) }
            rows.append(("Tags", result.tags.isEmpty ? "none" : result.tags.joined(separator: ", ")))
            rows.append(("Claimed by", result.holder.map { String($0.prefix(7)) } ?? "nobody"))
            if result.conflicts > 0 { rows.append(("Claim conflicts", String(result.conflicts))) }
            Console.printRows(rows)
        }
    }
}

/// Appends `op` through the running node's local API when `roost run` serves this home (`request` is its
/// `POST /ops` body), else on the store; prints the op made.
func appendAndReport(_ op: LowLevelOp, _ request: [String: Any], global: GlobalOptions) async throws {
    let (made, viaAPI) = try await throughNode(global, remote: { api in
        let answer = try await api.send("POST", "/ops", request)
        return (answer["op"] as? String ?? "", answer["kind"] as? String ?? "", answer["hlc"] as? String ?? "")
    }, local: {
        let node = try withNodeErrors { try NodeHome.resolve(option: global.home).open() }
        let made = try withDesk { () throws(DeskError) in try node.append(op) }
        return (made.ref.description, made.kind.description, made.hlc.description)
    })
    if global.json {
        var json = ["op": made.0, "kind": made.1, "hlc": made.2]
        if viaAPI { json["via"] = "api" }
        Console.printJSON(json)
    } else {
        print("Appended \(made.1) op \(made.0) on \(op.entity)")
    }
}
