import Foundation
import RoostTestSupport
import Testing
@testable import roost

/// Every `roost …` line in README.md's ```sh blocks parses with the CLI's own ArgumentParser tree, so the
/// README cannot show a command or option that does not exist. New blocks are picked up automatically.
@Suite struct ReadmeCommandTests {
    /// The command lines of every ```sh block of README.md, each as arguments after `roost`, with its
    /// README line number.
    static func readmeCommands() throws -> [(line: Int, arguments: [String])] {
        let text = try String(contentsOf: ExampleTests.root.appendingPathComponent("README.md"), encoding: .utf8)
        var commands: [(Int, [String])] = []
        var inShell = false
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("```") {
                inShell = !inShell && (trimmed == "```sh" || trimmed == "```bash" || trimmed == "```shell")
                continue
            }
            guard inShell else { continue }
            for words in ShellWords.commands(in: String(line)) where words.first == "roost" {
                commands.append((index + 1, Array(words.dropFirst())))
            }
        }
        return commands
    }

    @Test func everyReadmeCommandParses() throws {
        let commands = try Self.readmeCommands()
        // The README shows the node, desk, team, gateway and web commands: far more than a handful.
        #expect(commands.count >= 30, "found only \(commands.count) roost commands in README.md's sh blocks")
        for (line, arguments) in commands {
            do {
                _ = try Roost.parseAsRoot(arguments)
            } catch {
                let problem = "README.md:\(line): `roost \(arguments.joined(separator: " "))` does not parse: " + Roost.message(for: error)
                Issue.record(Comment(rawValue: problem))
            }
        }
    }

    @Test func aMistypedCommandIsCaught() throws {
        // The check above can fail: an option the CLI does not have is refused.
        #expect(throws: (any Error).self) { _ = try Roost.parseAsRoot(["inbox", "--sideways"]) }
        #expect(throws: (any Error).self) { _ = try Roost.parseAsRoot(["inbox", "--sort", "alphabetical"]) }
        #expect(ShellWords.commands(in: #"roost tag p1 "a b"; roost report [--format table|csv]  # note"#)
                == [["roost", "tag", "p1", "a b"], ["roost", "report", "--format", "table"]])
    }
}

/// Just enough shell word splitting for README lines: quotes, `;` between commands, `#` comments, and the
/// README's notation for optional parts (`[--all]`, kept) and alternatives (`table|csv|json`, the first).
enum ShellWords {
    static func commands(in line: String) -> [[String]] {
        var commands: [[String]] = [], words: [String] = []
        var word = "", inWord = false, quote: Character?
        func endWord() {
            if inWord {
                words.append(word.contains("|") ? String(word.split(separator: "|", omittingEmptySubsequences: false)[0]) : word)
            }
            word = ""; inWord = false
        }
        for character in line {
            if let open = quote {
                if character == open { quote = nil } else { word.append(character == "|" ? "\u{1}" : character) }
                continue
            }
            switch character {
            case "\"", "'": quote = character; inWord = true
            case " ", "\t": endWord()
            case ";": endWord(); if !words.isEmpty { commands.append(words) }; words = []
            case "#" where !inWord: endWord(); if !words.isEmpty { commands.append(words) }; return commands.map(restore)
            case "[", "]": continue
            default: word.append(character); inWord = true
            }
        }
        endWord()
        if !words.isEmpty { commands.append(words) }
        return commands.map(restore)
    }

    /// Puts back `|` that were inside quotes.
    static func restore(_ words: [String]) -> [String] { words.map { $0.replacingOccurrences(of: "\u{1}", with: "|") } }
}

/// `make demo` from a bare clone: the demo script and what it reads, copied where no `shared/` lies beside.
@Suite(.serialized) struct BareDemoTests {
    @Test func theDemoNeedsNothingBesideTheRepository() throws {
        let bare = FileManager.default.temporaryDirectory.appendingPathComponent("roost-bare-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: bare) }
        let copy = bare.appendingPathComponent("roost")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: ExampleTests.root.appendingPathComponent("examples"), to: copy.appendingPathComponent("examples"))
        #expect(!FileManager.default.fileExists(atPath: bare.appendingPathComponent("shared").path))
        let bash = ProcessRunner(URL(fileURLWithPath: "/bin/bash"),
                                 environment: ["ROOST": CLI.binary.path, "DEMO_HOME": bare.appendingPathComponent("home").path],
                                 removing: ["DEMO_CSV"], currentDirectory: bare)
        let demo = try bash.run([copy.appendingPathComponent("examples/demo.sh").path])
        let output = demo.stdout + demo.stderr
        #expect(demo.status == 0, "\(output.suffix(3000))")
        #expect(!output.contains("not found"))
        // Every step ran: the import of the repository's sample, the escalation and the verify.
        #expect(output.contains("$ roost import-twcs --file examples/data/twcs-demo.csv"))
        #expect(output.contains("$ roost escalate "))
        #expect(output.contains("Re-fold matches the materialized state.\n"))
    }
}
