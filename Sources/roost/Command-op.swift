import ArgumentParser
import Foundation
import RoostCore
import RoostNode
import RoostStore

/// Low-level operations on replicated entities: the primitives tickets are built from.
struct OpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "op",
        abstract: "Append low-level ops (insert, set, tag, claim) and show an entity's merged state.",
        discussion: "ENTITY is COLLECTION/KEY, e.g. ticket/1042. Later commands (inbox, claim, reply) build on these.",
        subcommands: [Insert.self, SetField.self, Tag.self, Untag.self, Claim.self, Release.self, Show.self])

    struct Insert: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Insert an entity once (grow-only set) with NAME=VALUE fields.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "COLLECTION/KEY") var entity: String
        @Argument(help: "Fields as NAME=VALUE.") var fields: [String] = []

        func run() throws {
            let ref = try parseEntity(entity)
            let parsed = try fields.map { item -> Field in
                guard let eq = item.firstIndex(of: "=") else { throw CLIError("field \"\(item)\" is not NAME=VALUE") }
                return Field(String(item[..<eq]), .string(String(item[item.index(after: eq)...])))
            }
            guard Set(parsed.map(\.name)).count == parsed.count else { throw CLIError("a field name is repeated") }
            try appendAndReport(.makeInsert(ref, parsed), global: global)
        }
    }

    struct SetField: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Write a field (last writer wins).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "COLLECTION/KEY") var entity: String
        @Argument var field: String
        @Argument var value: String

        func run() throws {
            try appendAndReport(.set(entity: try parseEntity(entity), field: field, value: .string(value)), global: global)
        }
    }

    struct Tag: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a tag (add-wins set).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "COLLECTION/KEY") var entity: String
        @Argument var tag: String

        func run() throws {
            try appendAndReport(.tagAdd(entity: try parseEntity(entity), tag: tag), global: global)
        }
    }

    struct Untag: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a tag: the adds of it this node has seen.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "COLLECTION/KEY") var entity: String
        @Argument var tag: String

        func run() throws {
            let ref = try parseEntity(entity)
            let node = try withNodeErrors { try NodeHome.resolve(option: global.home).open() }
            let adds = try withStore { () throws(StoreError) in try node.store.observedTagAdds(ref, tag: tag) }
            guard !adds.isEmpty else { throw CLIError("\(entity) has no tag \"\(tag)\"") }
            try appendAndReport(.tagRemove(entity: ref, tag: tag, observed: adds), global: global, node: node)
        }
    }

    struct Claim: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Claim an entity with a lease.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "COLLECTION/KEY") var entity: String
        @Option(help: "Lease length in minutes.") var lease: UInt32 = 30

        func run() throws {
            let ref = try parseEntity(entity)
            let node = try withNodeErrors { try NodeHome.resolve(option: global.home).open() }
            let current = try withStore { () throws(StoreError) in try node.store.claim(on: ref) }
            let now = SystemClock().nowMillis()
            var action = ClaimAction.claim
            if let current, let holder = current.holder, holder != node.id {
                guard now >= current.leaseEndsMillis else {
                    throw CLIError("\(entity) is claimed by \(holder.short) until lease end; ask for a hand-off")
                }
                action = .takeover
            }
            guard lease >= 1, lease <= Limits.maxLeaseSeconds / 60 else {
                throw CLIError("--lease must be 1...\(Limits.maxLeaseSeconds / 60) minutes")
            }
            try appendAndReport(.claim(entity: ref, action: action, holder: node.id, leaseSeconds: lease * 60,
                                       observed: current?.current), global: global, node: node)
        }
    }

    struct Release: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Release your claim on an entity.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "COLLECTION/KEY") var entity: String

        func run() throws {
            let ref = try parseEntity(entity)
            let node = try withNodeErrors { try NodeHome.resolve(option: global.home).open() }
            let current = try withStore { () throws(StoreError) in try node.store.claim(on: ref) }
            guard let current, let holder = current.holder else { throw CLIError("\(entity) is not claimed") }
            guard holder == node.id || SystemClock().nowMillis() >= current.leaseEndsMillis else {
                throw CLIError("\(entity) is claimed by \(holder.short), not by you")
            }
            try appendAndReport(.claim(entity: ref, action: .release, holder: nil, leaseSeconds: 0,
                                       observed: current.current), global: global, node: node)
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an entity's merged state.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "COLLECTION/KEY") var entity: String

        struct Result: Encodable {
            var entity: String
            var inserted: [String: String]?
            var fields: [String: String]
            var tags: [String]
            var holder: String?
            var conflicts: Int
        }

        func run() throws {
            let ref = try parseEntity(entity)
            let node = try withNodeErrors { try NodeHome.resolve(option: global.home).open() }
            let result: Result = try withStore { () throws(StoreError) in
                    let inserted = try node.store.entity(ref)
                    let fields = try node.store.registers(of: ref)
                    return Result(
                        entity: ref.description,
                        inserted: inserted.map { Dictionary(uniqueKeysWithValues: $0.map { ($0.name, $0.value.description) }) },
                        fields: Dictionary(uniqueKeysWithValues: fields.map { ($0.0, $0.1.description) }),
                        tags: try node.store.tags(of: ref), holder: try node.store.claim(on: ref)?.holder?.text,
                        conflicts: try node.store.claimConflicts(on: ref).count)
            }
            if global.json { return printJSON(result) }
            guard result.inserted != nil || !result.fields.isEmpty || !result.tags.isEmpty || result.holder != nil else {
                throw CLIError("\(entity) has no ops on this node")
            }
            var rows: [(String, String)] = [("Entity", result.entity)]
            for (name, value) in (result.inserted ?? [:]).sorted(by: { $0.key < $1.key }) { rows.append((name, value)) }
            for (name, value) in result.fields.sorted(by: { $0.key < $1.key }) { rows.append((name, value)) }
            rows.append(("Tags", result.tags.isEmpty ? "none" : result.tags.joined(separator: ", ")))
            rows.append(("Claimed by", result.holder.map { String($0.prefix(7)) } ?? "nobody"))
            if result.conflicts > 0 { rows.append(("Claim conflicts", String(result.conflicts))) }
            printRows(rows)
        }
    }
}

func parseEntity(_ text: String) throws -> EntityRef {
    guard let slash = text.firstIndex(of: "/"), slash != text.startIndex, text.index(after: slash) != text.endIndex else {
        throw CLIError("\"\(text)\" is not COLLECTION/KEY (e.g. ticket/1042)")
    }
    return EntityRef(String(text[..<slash]), String(text[text.index(after: slash)...]))
}

func appendAndReport(_ body: OpBody, global: GlobalOptions, node: Node? = nil) throws {
    let node = try node ?? withNodeErrors { try NodeHome.resolve(option: global.home).open() }
    let appended = try withNodeErrors { try node.append([body]) }
    let header = appended.headers[0]
    if global.json {
        printJSON(["op": header.ref.description, "kind": header.kind.description, "hlc": header.hlc.description])
    } else {
        print("Appended \(header.kind) op \(header.ref) on \(body.entity)")
    }
}
