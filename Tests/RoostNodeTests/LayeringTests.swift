import Foundation
import Testing

/// One door per layer (issue 19): the front-ends (the `roost` CLI and the web app) go through the node's services
/// (`Node`, `DeskService`), never around them into its store, so a rule or a typed error added at the node reaches
/// every front-end. The admin tool reads a database without a node, through its own door (RoostInspection's
/// `Inspection`), and never names the store either.
@Suite struct LayeringTests {
    static let frontEnds = ["Sources/roost", "Sources/RoostWeb", "tools/roost-inspect"]

    @Test func frontEndsDoNotReachIntoTheStore() throws {
        var offending: [String] = []
        for folder in Self.frontEnds {
            let url = ProgressTests.repositoryRoot.appendingPathComponent(folder)
            let files = try #require(FileManager.default.enumerator(at: url, includingPropertiesForKeys: nil)?.allObjects as? [URL])
            #expect(!files.isEmpty, "\(folder) has no files")
            for file in files where file.pathExtension == "swift" {
                let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
                for (index, line) in lines.enumerated() {
                    let code = line.trimmingCharacters(in: .whitespaces)
                    guard !code.hasPrefix("//") else { continue }
                    if code.range(of: #"\.store\.|\bOpStore\b|\.store\)|\(store:"#, options: .regularExpression) != nil {
                        offending.append("\(folder)/\(file.lastPathComponent):\(index + 1): \(code)")
                    }
                }
            }
        }
        #expect(offending.isEmpty, "front-ends reaching into the store:\n\(offending.joined(separator: "\n"))")
    }
}
