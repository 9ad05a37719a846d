import Foundation
public import RoostCore

/// A wall clock reading the system's real time (Unix ms), as a running node would.
public struct SystemClock: WallClock {
    public init() {}
    public func nowMillis() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }
}

/// A deterministic, realistic stream of local op bodies for one agent.
///
/// Ops come in blocks of ten per new ticket, the shape of a help desk's day:
/// 4 inserts (the ticket and three ~140-character messages), 3 register sets (status twice,
/// priority), 2 tag adds and 1 claim by the agent: 40% inserts, 30% sets, 20% tags, 10% claims.
/// Every ticket and message key is new, so the claim/tag/register paths see a realistic
/// handful of rows per entity rather than one hot entity.
public struct Workload: Sendable {
    /// Distinguishes the key space of this stream (one per agent / store).
    public let prefix: String
    /// The agent whose claims the stream makes.
    public let holder: AuthorID
    /// Ops generated so far.
    public private(set) var generated = 0

    static let tags = ["billing", "shipping", "refund", "vip", "bug", "outage", "returns", "warranty",
                       "spam", "escalated", "twitter", "facebook", "email", "android", "ios", "web"]
    static let statuses = ["open", "pending", "solved"]
    static let filler = "Hi! My order arrived with a cracked screen and the courier left it at the wrong door. "
        + "Could you please help me get a replacement or a refund as soon as possible? Thanks a lot."

    public init(prefix: String, holder: AuthorID) {
        self.prefix = prefix
        self.holder = holder
    }

    /// A message text of about 140 characters, different for every `n`.
    static func text(_ n: Int) -> String {
        let head = "#\(n) "
        return head + String(filler.prefix(140 - head.count))
    }

    /// The next `count` bodies.
    public mutating func next(_ count: Int) -> [OpBody] {
        var out: [OpBody] = []
        out.reserveCapacity(count)
        for _ in 0..<count { out.append(nextBody()) }
        return out
    }

    /// The next body.
    public mutating func nextBody() -> OpBody {
        let n = generated
        generated += 1
        let ticketNo = n / 10
        let ticket = EntityRef("ticket", "\(prefix)-t\(ticketNo)")
        func message(_ k: Int) -> OpBody {
            .makeInsert(EntityRef("message", "\(prefix)-m\(ticketNo)-\(k)"), [
                Field("ticket", .string(ticket.key)),
                Field("text", .string(Self.text(n))),
                Field("from", .string("@customer\(ticketNo % 9973)")),
                Field("at", .int(1_700_000_000_000 + Int64(n))),
            ])
        }
        switch n % 10 {
        case 0:
            return .makeInsert(ticket, [
                Field("channel", .string("twitter")),
                Field("customer", .string("@customer\(ticketNo % 9973)")),
                Field("subject", .string("Order \(ticketNo) arrived damaged, need a replacement")),
            ])
        case 1: return message(1)
        case 2: return .set(entity: ticket, field: "status", value: .string("open"))
        case 3: return .tagAdd(entity: ticket, tag: Self.tags[ticketNo % Self.tags.count])
        case 4: return .claim(entity: ticket, action: .claim, holder: holder, leaseSeconds: 3600, observed: nil)
        case 5: return message(2)
        case 6: return .set(entity: ticket, field: "priority", value: .int(Int64(ticketNo % 4)))
        case 7: return message(3)
        case 8: return .tagAdd(entity: ticket, tag: Self.tags[(ticketNo / 7) % Self.tags.count])
        default: return .set(entity: ticket, field: "status", value: .string(Self.statuses[1 + ticketNo % 2]))
        }
    }
}

/// A fresh directory under the system's temporary directory (or `$ROOST_BENCH_TMPDIR`), removed on
/// `remove()`, on deinit, or by `ScratchDirectory.removeAll()` (fixtures that live until the process
/// exits are never deinitialized, so the benchmarks' teardown and roost-bench's end call it).
public final class ScratchDirectory: @unchecked Sendable {
    public let url: URL
    private static let lock = NSLock()
    nonisolated(unsafe) private static var live: Set<URL> = []

    public init(_ label: String) throws {
        let base = ProcessInfo.processInfo.environment["ROOST_BENCH_TMPDIR"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory
        url = base.appendingPathComponent("roost-bench-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        Self.lock.withLock { _ = Self.live.insert(url) }
    }

    /// A path inside the directory.
    public func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    public func remove() {
        try? FileManager.default.removeItem(at: url)
        Self.lock.withLock { _ = Self.live.remove(url) }
    }

    /// Removes every scratch directory this process made and has not removed yet.
    public static func removeAll() {
        let urls = lock.withLock { live }
        for url in urls { try? FileManager.default.removeItem(at: url) }
        lock.withLock { live.removeAll() }
    }

    deinit { remove() }
}

/// Opt-in what-if tuning, OFF by default (the reported numbers use the stores exactly as shipped):
/// `ROOST_BENCH_CACHE_MIB=N` sets `PRAGMA cache_size` of the benchmarked writer connections
/// (Roost's and the baseline's alike) to N MiB instead of SQLite's default 2 MiB.
public enum Tuning {
    public static let cacheMiB: Int? = ProcessInfo.processInfo.environment["ROOST_BENCH_CACHE_MIB"].flatMap { Int($0) }
}

/// Monotonic nanoseconds.
@inline(__always) public func nowNanos() -> UInt64 { DispatchTime.now().uptimeNanoseconds }
