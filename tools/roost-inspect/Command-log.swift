import ArgumentParser
import Foundation
import RoostCore
import RoostStore  // value types only; every read goes through RoostInspection
import RoostConsole

/// `log`: stored ops, bodies redacted unless asked for.
struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Stored ops in merge order; --json prints JSON lines. Bodies are redacted unless --with-bodies.")

    @OptionGroup var target: TargetOptions
    @Option(name: .long, help: "Only ops by this node id (full id or its first group, e.g. ABCDEFG).") var author: String?
    @Option(name: .long, help: "Only ops at or after this time (2026-01-01, an ISO 8601 time, or Unix ms).") var since: String?
    @Option(name: .long, help: "Only ops of this kind: insert, set, tag-add, tag-remove, claim.") var kind: String?
    @Flag(name: .long, help: "Include op bodies (they may hold customer text).") var withBodies = false

    struct Line: Encodable {
        var op: String
        var author: String
        var epoch: String
        var seq: UInt64
        var hlc: String
        var hlcRaw: UInt64
        var kind: String
        var seal: String
        var hash: String
        var entity: String?
        var field: String?
        var body: String
    }

    static func body(_ op: StoredOp, full: Bool) -> (entity: String?, field: String?, body: String) {
        guard let decoded = op.decoded else {
            return (nil, nil, op.body == nil ? (op.erased ? "erased" : "missing") : "invalid")
        }
        switch decoded {
        case let .insert(entity, fields):
            return ("\(entity)", nil, full ? fields.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
                                          : "redacted (\(fields.count) fields)")
        case let .set(entity, name, value):
            return ("\(entity)", name, full ? "\(value)" : "redacted")
        case let .tagAdd(entity, tag):
            return ("\(entity)", "tag:" + tag, "add")
        case let .tagRemove(entity, tag, observed):
            return ("\(entity)", "tag:" + tag, "remove \(observed.count) observed add(s)")
        case let .claim(entity, action, holder, lease, observed):
            return ("\(entity)", "claim", "\(action)" + (holder.map { " for \($0.short)" } ?? "")
                + (lease > 0 ? " lease \(lease)s" : "") + " observing " + (observed.map { "\($0)" } ?? "none"))
        }
    }

    func run() throws {
        try RoostInspect.guarded {
            let t = try target.open()
            var filter = StoredOpFilter()
            if let author {
                if let id = try? AuthorID(text: author) {
                    filter.author = id
                } else {
                    let matches = try t.read { try $0.logs() }.map(\.log.author).filter { $0.short == author.uppercased() }
                    guard let id = Set(matches).first, Set(matches).count == 1 else { throw InspectError("no author \(author) in this node") }
                    filter.author = id
                }
            }
            if let since {
                guard let millis = Format.parseTime(since) else {
                    throw ValidationError("--since: expected 2026-01-01, an ISO 8601 time or Unix ms")
                }
                filter.sinceMillis = millis
            }
            if let kind {
                guard let value = OpKind.allCases.first(where: { "\($0)" == kind }) else {
                    throw ValidationError("--kind: one of " + OpKind.allCases.map { "\($0)" }.joined(separator: ", "))
                }
                filter.kind = value
            }
            let ops = try t.read { store in try store.storedOps(filter) }
            let seals = try t.read { store in try store.sealStatuses(of: ops) }
            let lines = ops.map { op in
                let (entity, field, body) = Self.body(op, full: withBodies)
                return Line(op: "\(op.ref)", author: op.ref.author.text, epoch: String(op.ref.epoch, radix: 16), seq: op.ref.seq,
                            hlc: Format.hlc(op.header.hlc), hlcRaw: op.header.hlc.rawValue, kind: "\(op.header.kind)",
                            seal: "\(seals[op.ref] ?? .unsealed)", hash: op.hash.hex, entity: entity, field: field, body: body)
            }
            if target.json {
                for line in lines { print(Console.jsonLine(line)) }
                return
            }
            Console.printTable(["OP", "HLC", "KIND", "SEAL", "ENTITY", "FIELD", "BODY"], lines.map {
                [$0.op, $0.hlc, $0.kind, $0.seal, $0.entity ?? "-", $0.field ?? "-", $0.body]
            })
        }
    }
}
