import RoostCore
import RoostCrypto
import RoostStore


/// A test author: a deterministic key, an epoch, and its own in-memory store.
struct TestAuthor {
    let local: LocalAuthor
    let store: OpStore
    var id: AuthorID { local.id }

    init(seed: UInt8, epoch: UInt64 = 1) throws {
        local = LocalAuthor(key: try SigningKey(seed: [UInt8](repeating: seed, count: 32)), epoch: epoch)
        store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
    }

    init<G: RandomNumberGenerator>(using rng: inout G) throws {
        let seed = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
        local = LocalAuthor(key: try SigningKey(seed: seed), epoch: UInt64.random(in: 0...Limits.maxOrdinal, using: &rng))
        store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
    }

    @discardableResult
    func append(_ bodies: [OpBody], at millis: UInt64) throws -> Appended {
        try store.append(bodies, by: local, clock: FixedClock(millis: millis))
    }

    /// This author's own log, one sealed transaction per element.
    func segments() throws -> [OpBatch] {
        var vector = try store.versionVector()
        for log in vector.entries.keys { vector[log] = vector[log] }
        var from: UInt64 = 0
        var result: [OpBatch] = []
        while true {
            var probe = vector
            probe[local.log] = from
            // Ask only for our own log: every other log is marked as fully held.
            let batch = try store.batch(after: probe, limit: 1)
            let own = OpBatch(ops: batch.ops.filter { $0.header.ref.log == local.log },
                              seals: batch.seals.filter { $0.log == local.log })
            guard let last = own.seals.last else { return result }
            result.append(own)
            from = last.seq
        }
    }
}

/// The base time of tests: 2026-01-01T00:00:00Z in Unix milliseconds.
let baseMillis: UInt64 = 1_767_225_600_000
