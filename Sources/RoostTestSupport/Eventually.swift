import Foundation

/// Polls `condition` until it holds or `seconds` pass, then checks it once more; returns whether it held.
/// The one bounded wait of the test suites: a condition that never holds fails the test instead of hanging it.
public func eventually(seconds: Double = 600, pollNanoseconds: UInt64 = 50_000_000,
                       _ condition: () async throws -> Bool) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(nanoseconds: pollNanoseconds)
    }
    return try await condition()
}
