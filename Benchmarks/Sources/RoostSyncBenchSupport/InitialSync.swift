import Foundation
public import RoostCore
public import RoostStore
import RoostSync
import RoostBenchSupport

/// The initial sync benchmark (issue 12; `roost-bench-sync --only initial` and package-benchmark benchmark 6): a
/// sender whose log holds N ops in sealed transactions of 1,000 (register sets on 10,000 tickets), and a fresh
/// receiver that dials it through a counting proxy and syncs until its vector equals the sender's.
public enum InitialSync {
    /// One sync's figures.
    public struct Result: Sendable {
        /// Wall time from the dial to the receiver holding every op.
        public var seconds: Double
        /// Bytes on the wire, both directions.
        public var wireBytes: Int
    }

    /// Appends `ops` ops to `sender`'s own log, 1,000 per transaction.
    public static func writeLog(_ sender: SyncPeer, ops: Int) throws {
        var written = 0
        while written < ops {
            let count = min(1_000, ops - written)
            try sender.store.append((0..<count).map { index in
                let n = written + index
                return .set(entity: EntityRef("ticket", "p\(n % 10_000)"), field: "f\(n % 10)", value: .int(Int64(n)))
            }, by: sender.author, clock: SystemClock())
            written += count
        }
    }

    /// Syncs `receiver` from `sender` (listening on `senderPort`) over encrypted loopback TCP through a counting
    /// proxy, polling the receiver's vector every 10 ms; throws when it does not hold every op within `timeout`.
    public static func run(from sender: SyncPeer, port senderPort: Int, to receiver: SyncPeer,
                           timeout: Double = 1_800) async throws -> Result {
        let proxy = CountingProxy()
        try await proxy.start(target: senderPort)
        let target = try sender.store.versionVector()
        let start = nowNanos()
        try receiver.dial(proxy.port, sender)
        let deadline = start + UInt64(timeout * 1e9)
        while try receiver.store.versionVector() != target {
            guard nowNanos() < deadline else {
                await proxy.stop()
                throw StoreError.invalidOperation("the initial sync did not finish in \(timeout) s")
            }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        let result = Result(seconds: Double(nowNanos() - start) / 1e9, wireBytes: proxy.bytes.withLockedValue { $0 })
        await proxy.stop()
        return result
    }
}
