import ArgumentParser
import Foundation
import RoostCore
import RoostStore  // value types only; every read goes through RoostInspection
import RoostInspection
import RoostNode

/// Exit codes of `roost-inspect` (documented in README.md next to this file).
enum InspectExit {
    /// Success: the command ran; `verify` found nothing wrong; `diff` found identical nodes.
    static let ok: Int32 = 0
    /// A problem was found: `verify` failed, or `diff` found divergent ops or state that no missing op explains.
    static let problem: Int32 = 1
    /// `diff` only: the nodes differ by ops one of them has not received yet (a sync lag, not damage).
    static let behind: Int32 = 3
    /// The home or database cannot be opened or read, or a ticket/author named does not exist.
    static let cannotRead: Int32 = 4
}

/// A one-line error that exits with ``InspectExit/cannotRead``.
struct InspectError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// What a command inspects: a node home (a folder with `node.sqlite`) or a copied `.sqlite` file,
/// opened read-only so it is safe while the node runs. Nothing is ever migrated or written.
struct InspectTarget {
    /// The path given.
    let path: String
    /// The home, when `path` is a folder.
    let home: NodeHome?
    /// The database file.
    let databasePath: String
    /// The database, opened read-only through the admin tool's door (RoostInspection).
    let inspection: Inspection
    /// The node's config, when the home has one.
    let config: NodeConfig?
    /// The node this database belongs to.
    let local: LogID?

    init(path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw InspectError("\(path): no such node home or database file")
        }
        if isDirectory.boolValue {
            let home = NodeHome(path: path)
            self.home = home
            databasePath = home.databasePath
            config = try? NodeConfig.load(from: home.configURL)
        } else {
            home = nil
            databasePath = path
            config = nil
        }
        self.path = path
        guard FileManager.default.fileExists(atPath: databasePath) else {
            throw InspectError("\(path): no node.sqlite in this folder")
        }
        do {
            inspection = try Inspection(readOnlyPath: databasePath)
            local = try inspection.localLog()
        } catch {
            throw InspectError("\(databasePath): cannot open the database read-only (\(error))")
        }
    }

    /// The target chosen by `--home`, else `ROOST_HOME`, else `~/.roost`.
    static func resolve(_ option: String?) throws -> InspectTarget {
        try InspectTarget(path: resolvedPath(option))
    }

    private static func resolvedPath(_ option: String?) -> String {
        if let option, !option.isEmpty { return (option as NSString).expandingTildeInPath }
        return NodeHome.resolve(option: nil).url.path
    }

    /// Store reads, with store errors as one-line inspector errors.
    func read<T>(_ work: (Inspection) throws -> T) throws -> T {
        do { return try work(inspection) } catch let error as StoreError { throw InspectError("\(databasePath): \(error)") }
    }

    /// A member's label: short id, and display name when published (`AAAAAAA Ana Lopez`).
    func label(_ author: AuthorID) -> String {
        let name = (try? inspection.memberName(author)) ?? nil
        return author.short + (name.map { " " + $0 } ?? "")
    }
}

/// Options every command takes.
struct TargetOptions: ParsableArguments {
    @Option(name: .long, help: "A node home or a copied .sqlite file (default: $ROOST_HOME, else ~/.roost). Opened read-only.")
    var home: String?

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    func open() throws -> InspectTarget { try InspectTarget.resolve(home) }
}
