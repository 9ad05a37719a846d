import Foundation
import RoostNode
import RoostStore

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

