import Foundation
import RoostTestSupport
import Testing

/// Every executable answers `--help` at once with its usage, exit status 0, and no side effects: it opens no
/// port (it exits by itself instead of serving) and writes no file in its working directory or home.
@Suite struct HelpTests {
    struct Outcome {
        var status: Int32
        var stdout: String
        var exitedByItself: Bool
        var filesLeft: [String]
    }

    /// Runs `name --help` in an empty directory that is also its HOME; kills it if it has not exited in 60 s.
    static func help(_ name: String, _ arguments: [String] = ["--help"]) throws -> Outcome {
        let sandbox = FileManager.default.temporaryDirectory.appendingPathComponent("roost-help-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: sandbox, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: sandbox) }
        let runner = ProcessRunner(BuiltProduct.url(name), environment: ["HOME": sandbox.path], currentDirectory: sandbox)
        let output = try runner.run(arguments, timeoutSeconds: 60)
        let left = try FileManager.default.contentsOfDirectory(atPath: sandbox.path)
        return Outcome(status: output.status, stdout: output.stdout, exitedByItself: !output.timedOut, filesLeft: left)
    }

    @Test(arguments: [
        ("roost", ["--help"]), ("roost", ["run", "--help"]), ("roost", ["import-twcs", "--help"]),
        ("roost", ["gateway", "--help"]), ("roost-inspect", ["--help"]), ("roost-fake-x", ["--help"]),
    ])
    func helpPrintsUsageAndDoesNothingElse(name: String, arguments: [String]) throws {
        #expect(FileManager.default.isExecutableFile(atPath: BuiltProduct.url(name).path), "\(name) is not built")
        let outcome = try Self.help(name, arguments)
        #expect(outcome.exitedByItself, "\(name) \(arguments) kept running (serving?) instead of printing help")
        #expect(outcome.status == 0)
        #expect(outcome.stdout.contains("USAGE:"), "\(outcome.stdout)")
        #expect(outcome.filesLeft.isEmpty, "\(name) \(arguments) wrote \(outcome.filesLeft)")
    }
}
