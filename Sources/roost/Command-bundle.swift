import ArgumentParser
import Foundation
import RoostCore
import RoostNode

struct BundleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bundle", abstract: "Offline sync: ops in a file only team members can read.",
        subcommands: [Export.self, Import.self])

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write this node's ops, sealed to members' keys, for sneakernet or any untrusted relay.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("for"), help: "A member (node id or a prefix of 4+ characters); repeatable.") var members: [String] = []
        @Flag(help: "Seal it to every current member.") var all = false
        @Option(help: "Write here instead of standard output.") var out: String?

        func run() throws {
            guard all != !members.isEmpty else { throw CLIError("give --for MEMBER (one or more) or --all") }
            let home = NodeHome.resolve(option: global.home)
            let bytes = try withNodeErrors { () throws -> [UInt8] in
                let node = try home.open()
                let desk = DeskService(node: node)
                let ids = try members.map { text in try withDesk { () throws(DeskError) in try desk.resolveMember(text) } }
                let progress = ProgressReporter(phase: "bundle export", unit: "ops", total: nil)
                return try home.exportBundle(node: node, for: all ? nil : ids) { done, total in
                    progress.setTotal(total)
                    if done < total { progress.update(done) } else { progress.finish(done) }
                }
            }
            if let out {
                do { try Data(bytes).write(to: URL(fileURLWithPath: out), options: .atomic) } catch {
                    throw CLIError("\(out): cannot write the bundle")
                }
                confirm(global, "Wrote \(bytes.count) bytes to \(out).", ["bytes": String(bytes.count), "file": out])
            } else {
                guard isatty(STDOUT_FILENO) == 0 else { throw CLIError("the bundle is binary: redirect it (> file) or use --out FILE") }
                FileHandle.standardOutput.write(Data(bytes))
            }
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply a bundle addressed to this node.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The bundle file.") var file: String

        struct Result: Decodable { var batches: Int; var applied: Int; var duplicates: Int }

        func run() async throws {
            if let api = try LocalAPI.attach(global) {
                guard FileManager.default.isReadableFile(atPath: file) else { throw CLIError("\(file): cannot read it") }
                let data = try await api.job("/jobs/bundle-import", ["file": LocalAPI.absolute(file)],
                                             progress: ProgressReporter(phase: "bundle import", unit: "ops", total: nil))
                let result = try JSONDecoder().decode(Result.self, from: data)
                return confirm(global, "Applied \(result.applied) new ops from \(result.batches) batches (\(result.duplicates) already held).",
                               ["applied": String(result.applied), "duplicates": String(result.duplicates), "batches": String(result.batches)],
                               viaAPI: true)
            }
            let home = NodeHome.resolve(option: global.home)
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: file),
                  let size = attributes[.size] as? Int else { throw CLIError("\(file): cannot read it") }
            guard size <= 1 << 30 else { throw CLIError("\(file): too large for a bundle (\(size) bytes)") }
            guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("\(file): cannot read it") }
            let progress = ProgressReporter(phase: "bundle import", unit: "ops", total: nil)
            let result = try withNodeErrors { () throws -> BundleImport in
                try home.importBundle([UInt8](data), node: try home.open()) { done, total in
                    progress.setTotal(total)
                    if done < total { progress.update(done) } else { progress.finish(done) }
                }
            }
            confirm(global, "Applied \(result.applied) new ops from \(result.batches) batches (\(result.duplicates) already held).",
                    ["applied": String(result.applied), "duplicates": String(result.duplicates), "batches": String(result.batches)])
        }
    }
}
