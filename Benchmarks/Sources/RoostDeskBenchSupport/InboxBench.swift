import Foundation
import GRDB
import RoostBenchSupport
public import RoostCore
public import RoostNode
@_spi(StoreInternals) public import RoostStore

// Desk benchmark D2: `DeskService.inbox` (what `roost inbox` runs) on a FILE node home holding
// 100,000 tickets, built with `DeskService.ingest` like a real import and cached between runs.

/// The synthetic desk: `tickets` customers with one public ticket each.
///
/// Per ticket `i` (0-based), first customer message at `base + i * 7 days / tickets`, where `base` is
/// 7 days before the build (so the newest tickets are minutes old and most unanswered ones breach):
/// - 1–3 inbound messages (`1 + i % 3`), 3 minutes apart; texts pick the triage outcome below;
/// - an outbound reply from the brand for every even `i` (5–104 minutes after the first message);
/// - triage rules (`DeskShape.rules`), applied by `ingest`: 5% outage → urgent, queue `network`,
///   tag `outage`; 15% billing → high, queue `billing`; 20% thanks → low; 60% normal, no queue;
///   verified customers (10%) → tier `service`;
/// - then direct ops, 1,000 per transaction: 2% priority set to urgent (as `roost priority` does);
///   status: 50% new (never set), 15% open, 15% pending, 15% resolved (with a resolution), 5% closed;
///   10% claimed by this node (7-day lease).
public struct DeskShape: Sendable, Hashable {
    public var tickets: Int
    /// Customers per `ingest` call.
    public var chunk: Int

    public init(tickets: Int = 100_000, chunk: Int = 5_000) {
        self.tickets = tickets
        self.chunk = chunk
    }

    /// Changing the generator below must change this, so cached homes are rebuilt.
    static let generatorVersion = "desk-v1"

    public static let rulesTOML = """
        [[rule]]
        name = "Outages"
        keywords = ["outage", "down"]
        priority = "urgent"
        queue = "network"
        tags = ["outage"]

        [[rule]]
        name = "Billing"
        keywords = ["refund", "charged", "bill"]
        priority = "high"
        queue = "billing"

        [[rule]]
        name = "Thanks"
        keywords = ["thanks"]
        priority = "low"

        [[rule]]
        name = "Verified customers"
        verified = true
        tier = "service"
        """

    static let texts: [(Int, [String])] = [
        // (share out of 20, texts)
        (1, ["@brandcare my internet is down again, third outage this week in my area, any ETA?",
             "@brandcare outage in the whole street since this morning, nothing works"]),
        (3, ["@brandcare I was charged twice for my plan this month, I need a refund please",
             "@brandcare why is my bill higher than last month? nobody told me about a price change"]),
        (4, ["@brandcare thanks for sorting that out yesterday, all good now",
             "@brandcare got it working, thanks a lot for the quick help"]),
        (12, ["@brandcare how do I change the email address on my account? the app keeps failing",
              "@brandcare my order has not arrived yet, tracking says it left the depot two days ago",
              "@brandcare can I upgrade my plan without a new contract? I could not find it online"]),
    ]

    static func text(_ i: Int, _ k: Int) -> String {
        var slot = i % 20
        for (share, options) in texts {
            if slot < share { return options[(i / 20 + k) % options.count] }
            slot -= share
        }
        return texts.last!.1[0]
    }

    /// The messages of customers `range`.
    func messages(_ range: Range<Int>, base: UInt64, now: UInt64) -> [IncomingMessage] {
        let spacing = UInt64(7 * 24 * 3_600_000) / UInt64(max(tickets, 1))
        var result: [IncomingMessage] = []
        result.reserveCapacity(range.count * 3)
        for i in range {
            let root = String(100_000_000 + i * 10)
            let ticket = Desk.publicTicketKey(rootTweetID: root)
            let customer = String(5_000_000 + i)
            let first = base + UInt64(i) * spacing
            for k in 0..<(1 + i % 3) {
                let id = k == 0 ? root : String(100_000_000 + i * 10 + k)
                let text = Self.text(i, k)
                result.append(IncomingMessage(
                    id: id, ticketKey: ticket, channel: .public, conversation: root, direction: .inbound, author: customer,
                    customer: customer, customerHandle: "cust\(i)", customerName: i % 4 == 0 ? "Customer \(i)" : nil,
                    followers: i % 1000, verified: i % 10 == 0, brand: "brandcare", text: text,
                    createdMillis: first + UInt64(k) * 180_000, replyTo: k == 0 ? nil : root, signature: nil,
                    mentions: ["brandcare"]))
            }
            let replyAt = first + UInt64(5 + i % 100) * 60_000
            if i % 2 == 0, replyAt <= now {
                result.append(IncomingMessage(
                    id: String(100_000_000 + i * 10 + 5), ticketKey: ticket, channel: .public, conversation: root,
                    direction: .outbound, author: "brandcare", customer: customer, customerHandle: nil, customerName: nil,
                    followers: nil, verified: nil, brand: "brandcare",
                    text: "@cust\(i) Sorry to hear that! Please send us a DM with your account number and we'll look into it. ^BA",
                    createdMillis: replyAt, replyTo: root, signature: "BA", mentions: ["cust\(i)"]))
            }
        }
        return result
    }

    /// The direct ops after the import, for tickets `range`.
    func followUps(_ range: Range<Int>, holder: AuthorID) -> [OpBody] {
        var bodies: [OpBody] = []
        for i in range {
            let entity = EntityRef(Desk.ticket, Desk.publicTicketKey(rootTweetID: String(100_000_000 + i * 10)))
            if i % 50 == 25 { bodies.append(.set(entity: entity, field: "priority", value: .string(Priority.urgent.rawValue))) }
            switch (i / 7) % 20 {
            case 10...12: bodies.append(.set(entity: entity, field: "status", value: .string(TicketStatus.open.rawValue)))
            case 13...15: bodies.append(.set(entity: entity, field: "status", value: .string(TicketStatus.pending.rawValue)))
            case 16...18:
                bodies.append(.set(entity: entity, field: "status", value: .string(TicketStatus.resolved.rawValue)))
                bodies.append(.set(entity: entity, field: "resolution", value: .string("answered")))
            case 19: bodies.append(.set(entity: entity, field: "status", value: .string(TicketStatus.closed.rawValue)))
            default: break
            }
            if (i / 3) % 10 == 0 {
                bodies.append(.claim(entity: entity, action: .claim, holder: holder, leaseSeconds: Limits.maxLeaseSeconds,
                                     observed: nil))
            }
        }
        return bodies
    }
}

/// A node home with the synthetic desk, opened (and built on first use, then cached).
public final class DeskFixture: @unchecked Sendable {
    public let home: NodeHome
    public let node: Node
    public let desk: DeskService
    public let shape: DeskShape
    /// Seconds the build took, when this process built it.
    public let buildSeconds: Double?
    /// `ingest`'s totals, when this process built it.
    public let report: IngestReport?

    /// The cache folder: `$ROOST_DESK_CACHE`, else `$TMPDIR/roost-desk-bench` (`/tmp` by default).
    public static var cacheRoot: URL {
        if let path = ProcessInfo.processInfo.environment["ROOST_DESK_CACHE"], !path.isEmpty { return URL(fileURLWithPath: path) }
        return FileManager.default.temporaryDirectory.appendingPathComponent("roost-desk-bench")
    }

    /// The home for `shape`: `tickets-N-<fingerprint>` (see `fingerprint()`).
    public static func homeURL(_ shape: DeskShape) throws -> URL {
        cacheRoot.appendingPathComponent("tickets-\(shape.tickets)-\(try fingerprint())")
    }

    /// FNV-1a of the generator version, of the schema this binary creates (`sqlite_master` of a fresh
    /// store: a binary built before a schema change must not reuse a home built after it, or the reverse),
    /// and of the sources that decide what the built database holds (core, store, ingest, triage), so a
    /// home built by older code is not reused.
    public static func fingerprint() throws -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ bytes: some Sequence<UInt8>) {
            for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        }
        mix(DeskShape.generatorVersion.utf8)
        let schema = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis).writer.read { db in
            try String.fetchAll(db, sql: "SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master ORDER BY type, name")
        }
        for line in schema { mix(line.utf8) }
        let fm = FileManager.default
        let sources = BenchPaths.repository.appendingPathComponent("Sources")
        var files: [URL] = []
        for folder in ["RoostCore", "RoostStore"] {
            let dir = sources.appendingPathComponent(folder)
            files += ((try? fm.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(".swift") }.sorted()
                .map { dir.appendingPathComponent($0) }
        }
        files.append(sources.appendingPathComponent("RoostNode/Desk/DeskIngest.swift"))
        files.append(sources.appendingPathComponent("RoostNode/Desk/TriageRules.swift"))
        for file in files {
            mix(file.lastPathComponent.utf8)
            if let data = fm.contents(atPath: file.path) { mix(data) }
        }
        return String(hash, radix: 16)
    }

    /// Opens the cached home for `shape`, or builds it (`rebuild` forces a new build).
    public init(shape: DeskShape = DeskShape(), rebuild: Bool = false, log: (String) -> Void = { _ in }) throws {
        self.shape = shape
        let url = try Self.homeURL(shape)
        let marker = url.appendingPathComponent("bench-complete")
        let fm = FileManager.default
        if rebuild || (fm.fileExists(atPath: url.path) && !fm.fileExists(atPath: marker.path)) {
            try? fm.removeItem(at: url)  // our own cache entry (incomplete or unwanted), nothing else
        }
        home = NodeHome(path: url.path)
        if fm.fileExists(atPath: marker.path) {
            node = try home.open()
            desk = DeskService(node: node)
            buildSeconds = nil
            report = nil
            log("desk: using the cached home \(url.path)")
            return
        }
        try fm.createDirectory(at: Self.cacheRoot, withIntermediateDirectories: true)
        log("desk: building \(shape.tickets) tickets in \(url.path) (once; cached afterwards)")
        let start = nowNanos()
        node = try home.initialize(config: NodeConfig(name: "Bench Agent", initials: "BA"))
        desk = DeskService(node: node)
        let rules = try TriageRules.parse(DeskShape.rulesTOML, file: "bench-rules.toml")
        let now = RoostNode.SystemClock().nowMillis()
        let base = now - 7 * 24 * 3_600_000
        var report = IngestReport()
        var done = 0
        while done < shape.tickets {
            let range = done..<min(done + shape.chunk, shape.tickets)
            try desk.ingest(shape.messages(range, base: base, now: now), rules: rules, report: &report)
            done = range.upperBound
            log("desk: ingested \(done) customers, \(report.messages) messages (\(Int(Double(nowNanos() - start) / 1e9)) s)")
        }
        done = 0
        while done < shape.tickets {
            let range = done..<min(done + 400, shape.tickets)
            try node.append(shape.followUps(range, holder: node.id))
            done = range.upperBound
        }
        try node.store.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        buildSeconds = Double(nowNanos() - start) / 1e9
        self.report = report
        try Data("\(shape.tickets) tickets, \(report.messages) messages, built in \(buildSeconds!) s\n".utf8).write(to: marker)
        log("desk: built in \(String(format: "%.1f", buildSeconds!)) s: \(report.tickets) tickets, \(report.messages) messages, \(try node.store.opCount()) ops")
        // Older cache entries of this benchmark (other source fingerprints) are stale: remove them.
        for name in (try? fm.contentsOfDirectory(atPath: Self.cacheRoot.path)) ?? []
        where name.hasPrefix("tickets-\(shape.tickets)-") && name != url.lastPathComponent {
            try? fm.removeItem(at: Self.cacheRoot.appendingPathComponent(name))
        }
    }

    /// The inbox variants timed (the `roost inbox` flags they stand for).
    public var inboxCases: [(name: String, filter: InboxFilter)] {
        var queue = InboxFilter(); queue.queue = "billing"
        var unassigned = InboxFilter(); unassigned.unassigned = true
        var breaching = InboxFilter(); breaching.breaching = true
        var all = InboxFilter(); all.all = true
        var mine = InboxFilter(); mine.holder = node.id
        var escalated = InboxFilter(); escalated.escalated = true
        return [("(default)", InboxFilter()), ("--queue billing", queue), ("--unassigned", unassigned),
                ("--breaching", breaching), ("--all", all), ("--mine", mine), ("--escalated", escalated)]
    }

    /// Counts of the desk: tickets, open work, and rows per status.
    public func counts() throws -> String {
        try node.store.writer.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM desk_ticket") ?? 0
            let open = try Int.fetchOne(db, sql: "SELECT count(*) FROM desk_ticket WHERE status IN ('new', 'open', 'pending')") ?? 0
            let messages = try Int.fetchOne(db, sql: "SELECT count(*) FROM desk_message") ?? 0
            let held = try Int.fetchOne(db, sql: "SELECT count(*) FROM desk_ticket WHERE holder IS NOT NULL") ?? 0
            return "\(total) tickets (\(open) open work, \(held) claimed), \(messages) messages"
        }
    }
}

/// What-if (not the shipped schema): `ROOST_BENCH_DESK_INDEXES=old` puts back the `desk_ticket` inbox
/// indexes of the schema before commit 23a83c7 (status first, then priority: the inbox sorted every open
/// ticket), to compare the import cost and the inbox before and after. See README.md, "Inbox".
public enum DeskWhatIf {
    public static let name: String? = ProcessInfo.processInfo.environment["ROOST_BENCH_DESK_INDEXES"].flatMap {
        $0.isEmpty ? nil : $0
    }

    public static var indexes: String? {
        switch name {
        case nil: nil
        case "old": oldIndexSQL
        case let other?: fatalError("ROOST_BENCH_DESK_INDEXES=\(other): use old (or unset it)")
        }
    }

    /// The indexes of `desk_ticket` before 23a83c7.
    public static let oldIndexSQL = """
        DROP INDEX IF EXISTS desk_ticket_open;
        DROP INDEX IF EXISTS desk_ticket_order;
        DROP INDEX IF EXISTS desk_ticket_queue;
        DROP INDEX IF EXISTS desk_ticket_tier;
        DROP INDEX IF EXISTS desk_ticket_holder;
        DROP INDEX IF EXISTS desk_ticket_inbox;
        CREATE INDEX desk_ticket_inbox ON desk_ticket (status, priority_rank, first_inbound_ms IS NULL, first_inbound_ms);
        CREATE INDEX desk_ticket_queue ON desk_ticket (queue, status, priority_rank);
        CREATE INDEX desk_ticket_holder ON desk_ticket (holder, status);
        """

    /// Applies the what-if indexes to `node`'s database (nothing unless the variable is set).
    public static func apply(to node: Node) throws {
        guard let sql = indexes else { return }
        try node.store.writer.writeWithoutTransaction { db in try db.execute(sql: sql) }
    }

    /// A copy of `home` in `directory` with the what-if indexes, opened.
    public static func copy(_ home: NodeHome, into directory: ScratchDirectory) throws -> Node {
        let target = URL(fileURLWithPath: directory.path("home"))
        try FileManager.default.copyItem(at: home.url, to: target)
        let node = try NodeHome(path: target.path).open()
        try apply(to: node)
        return node
    }
}

/// Times `desk.inbox(filter)`: `warmup` untimed calls, then `runs` timed ones.
public func timeInbox(_ desk: DeskService, _ filter: InboxFilter, runs: Int, warmup: Int = 3) throws -> (Samples, rows: Int) {
    var rows = 0
    for _ in 0..<warmup { rows = try desk.inbox(filter).count }
    var samples = Samples()
    for _ in 0..<runs {
        let start = nowNanos()
        rows = try desk.inbox(filter).count
        samples.add(nowNanos() - start)
    }
    return (samples, rows)
}
