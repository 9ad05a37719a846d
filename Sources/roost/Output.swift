import Foundation
import RoostNode
import RoostStore

/// Prints an encodable value as stable, pretty JSON.
func printJSON(_ value: some Encodable) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
    print(String(decoding: data, as: UTF8.self))
}

/// A JSON answer with `"via": "api"` added when the running node did the work.
struct ViaAPI<Wrapped: Encodable>: Encodable {
    private enum Key: String, CodingKey { case via }
    var wrapped: Wrapped
    var viaAPI: Bool

    func encode(to encoder: any Encoder) throws {
        try wrapped.encode(to: encoder)
        if viaAPI {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode("api", forKey: .via)
        }
    }
}

/// Prints aligned `label: value` rows.
func printRows(_ rows: [(String, String)]) {
    let width = (rows.map(\.0.count).max() ?? 0) + 1
    for (label, value) in rows {
        print((label + ":").padding(toLength: width + 1, withPad: " ", startingAt: 0) + value)
    }
}

/// A command-line error: one clear line, exit code 1.
struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs node work, turning layer errors into one-line CLI errors.
func withNodeErrors<T>(_ work: () throws -> T) throws -> T {
    do {
        return try work()
    } catch let error as NodeError {
        throw CLIError(error.description)
    }
}

/// Runs store work, turning its typed error into a one-line CLI error.
func withStore<T>(_ work: () throws(StoreError) -> T) throws -> T {
    do { return try work() } catch { throw CLIError(error.description) }
}
