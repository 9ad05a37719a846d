import Foundation

/// Polls `condition` until it holds or `seconds` of waiting pass, then checks it once more; returns whether
/// it held. The one bounded wait of the test suites: a condition that never holds fails the test instead of
/// hanging it.
///
/// Time counts only while the waiter gets to run: a step that overslept (the cooperative pool was held by
/// CPU-bound tests — on a 2-core machine two simulation tests hold all of it) counts as at most
/// `maxCountedStep` seconds, because whatever the condition waits for was starved too. CI's full suite
/// once held a dialer and this waiter for over 120 s, and a session that then came up in milliseconds
/// failed its test. The wait stays bounded: every step counts at least one poll interval.
public func eventually(seconds: Double = 600, pollNanoseconds: UInt64 = 50_000_000,
                       maxCountedStep: Double = 1.0, _ condition: () async throws -> Bool) async rethrows -> Bool {
    let poll = Double(pollNanoseconds) / 1e9
    var waited = 0.0
    var last = Date()
    while waited < seconds {
        if try await condition() { return true }
        try? await Task.sleep(nanoseconds: pollNanoseconds)
        let now = Date()
        waited += min(max(now.timeIntervalSince(last), poll), max(poll, maxCountedStep))
        last = now
    }
    return try await condition()
}

