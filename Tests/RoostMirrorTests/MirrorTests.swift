import Foundation
import Logging
import Testing
import RoostCore
import RoostCrypto
import RoostMirror
import RoostNode
import RoostStore
import RoostSync
import RoostTestSupport

/// The warehouse mirror against a real PostgreSQL server (`TestPostgres`: Debian's postgresql, a fresh cluster).
@Suite(.serialized) struct MirrorTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let reportSQL = repositoryRoot.appendingPathComponent("examples/mirror/report.sql")
    static let logger = Logger(label: "roost.mirror.test")

    @Test func urlsAreReadOrRefusedWithOneReason() throws {
        let url = try MirrorURL("postgres://ana:s%40cret@db.example:6432/desk?sslmode=require")
        #expect(url.user == "ana" && url.password == "s@cret" && url.host == "db.example")
        #expect((url.port, url.database, url.sslMode) == (6432, "desk", "require"))
        #expect(url.redacted == "postgres://ana@db.example:6432/desk")
        let plain = try MirrorURL("postgresql://roost@127.0.0.1")
        #expect((plain.port, plain.database, plain.sslMode, plain.password) == (5432, "roost", "prefer", nil))
        for (text, reason) in [
            ("mysql://ana@db/desk", "the scheme must be postgres:// or postgresql://"),
            ("postgres://db.example/desk", "no user name"),
            ("postgres://ana@db.example:0/desk", "the port must be 1-65535"),
            ("postgres://ana@db.example/desk/more", "the path must be just the database name"),
            ("postgres://ana@db.example/desk?sslmode=maybe", "sslmode must be disable, prefer or require"),
            ("postgres://ana@db.example/desk?timeout=3", "unknown parameter timeout (only sslmode is read)"),
        ] {
            #expect(throws: MirrorError.badURL(reason)) { try MirrorURL(text) }
        }
        // The password never shows in an error or the redacted form.
        #expect(!MirrorError.badURL("no host").description.contains("s@cret"))
    }

    /// Random desk work; every few steps a mirror pass through a new connection pool (a restarted `roost mirror`)
    /// resumes from the stored cursor, and every figure of the report equals the SQL in examples/mirror/report.sql.
    @Test(arguments: [UInt64(0x3A11), UInt64.random(in: 1...UInt64.max)])
    func theWarehouseAgreesWithTheReportAcrossRestarts(seed: UInt64) async throws {
        print("MirrorTests seed: \(seed)")
        let server = try TestPostgres()
        defer { server.stop() }
        let url = try MirrorURL(server.url)
        var random = SplitMix64(seed: seed)
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("roost-mirror-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let node = try NodeHome(path: home.path).initialize(config: NodeConfig(name: "Ana Lopez", initials: "AL"))
        let now = SystemClock().nowMillis()
        let desk = DeskService(node: node, clock: FixedClock(millis: now))
        var roots: [String] = [], nextID = 1_000, passes = 0, fullPasses = 0

        func pass() async throws -> MirrorPassReport {
            let pageTickets = 1 + passes % 4
            let report = try await PostgresMirror.with(url, logger: Self.logger) { mirror throws(MirrorError) in
                try await mirror.prepare()
                // Full passes write a few tickets a page, so every full pass here crosses pages (and the figures
                // below would differ if a page lost or repeated a ticket).
                return try await mirror.pass(desk, now: now, pageTickets: pageTickets)
            }
            passes += 1
            if report.full { fullPasses += 1 }
            #expect(report.passes == passes, "seed \(seed): the warehouse counts every pass")
            return report
        }

        func check(_ step: Int) throws { try Self.check(server, desk, node, now: now, "seed \(seed) step \(step)") }

        #expect(try await pass().full, "the first pass copies everything")
        for step in 0..<150 {
            nextID += 1
            let id = String(nextID)
            let at = Bool.random(using: &random) ? 1_509_000_000_000 + UInt64.random(in: 0..<86_400_000, using: &random)
                                                 : now - UInt64.random(in: 0..<(8 * 86_400_000), using: &random)
            var ingest = IngestReport()
            let ticket = roots.isEmpty ? nil : "p" + roots.randomElement(using: &random)!
            switch (Int.random(in: 0..<11, using: &random), ticket) {
            case let (3, ticket?):
                try desk.ingest([Self.message(id, root: String(ticket.dropFirst()), inbound: Bool.random(using: &random), at: at,
                                              signature: ["JD", "MK", nil].randomElement(using: &random)!)],
                                rules: .empty, report: &ingest)
            case let (4, ticket?): _ = try? desk.reply(ticket, text: "On it")
            case let (5, ticket?):
                _ = try? desk.resolve(ticket, as: ["answered", "taken-to-dm", "escalated-elsewhere"].randomElement(using: &random)!)
            case let (6, ticket?): _ = try? desk.tag(ticket, ["billing", "outage"].randomElement(using: &random)!)
            case let (7, ticket?): _ = try? desk.setPriority(ticket, ["urgent", "high", "low"].randomElement(using: &random)!)
            case let (8, ticket?): _ = try? desk.claim(ticket)
            case let (9, ticket?): _ = try? desk.note(ticket, "called back")
            default:
                roots.append(id)
                // About half the new tickets name billing, and the triage rule puts those in the "billing" queue (the
                // report's queue scope then selects real tickets).
                let text = Bool.random(using: &random) ? "@AcmeCare billing help" : "@AcmeCare help"
                try desk.ingest([Self.message(id, root: id, inbound: true, at: at, text: text)], rules: Self.billingRules,
                                report: &ingest)
            }
            if step % 15 == 14 {
                let report = try await pass()
                #expect(!report.full, "seed \(seed) step \(step): desk work refreshes only what it touched (\(report.reason ?? ""))")
                try check(step)
                if step % 45 == 44 {
                    // Replaying finds nothing to do and changes nothing.
                    let again = try await pass()
                    #expect((again.full, again.opsRead, again.tickets, again.events) == (false, 0, 0, 0), "seed \(seed) step \(step)")
                    try check(step)
                }
            }
        }
        // A member's new name reaches every row that shows it: a full pass.
        try desk.publishProfile()
        let renamed = try await pass()
        #expect(renamed.full && renamed.reason == "member changed", "\(renamed)")
        try check(150)
        // A customer erased on the node is gone from the warehouse after the next pass (a full one), as on the node.
        let erased = "9" + roots[0]
        _ = try desk.eraseCustomer(erased, reason: "GDPR request 1")
        let afterErasure = try await pass()
        #expect(afterErasure.full, "\(afterErasure)")
        try check(151)
        let held = try node.store.desk.deskSnapshot().messages.filter { $0.author == erased }.count
        #expect(try server.psql("SELECT count(*) FROM roost_messages WHERE author = '\(erased)'")
                    .trimmingCharacters(in: .whitespacesAndNewlines) == String(held), "seed \(seed)")
        #expect(fullPasses == 3, "seed \(seed)")
        #expect(try desk.report(DeskReport.Scope(queue: "billing")).tickets > 0, "seed \(seed): the queue scope selects tickets")
    }

    /// A partial node's warehouse holds what the node holds (Protocol/SPEC-partial.md §P.7): its queue's tickets, and
    /// after a ticket moves in or out a full pass brings the warehouse to the node again; its cursor says what it
    /// covers, and every figure of the report equals the SQL on the warehouse.
    @Test func aPartialNodesMirrorCoversWhatItHolds() async throws {
        let server = try TestPostgres()
        defer { server.stop() }
        let url = try MirrorURL(server.url)
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("roost-mirror-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let node = try NodeHome(path: home.path).initialize(config: NodeConfig(name: "Kenji Sato", initials: "KS"), logFormat: 2,
                                                            queues: ["billing"])
        let now = SystemClock().nowMillis()
        let desk = DeskService(node: node, clock: FixedClock(millis: now))
        var partial = try PartialStoreNode(key: node.author.key, epoch: node.author.epoch, founder: nil, store: node.store)
        var hub = PartialReplica(key: try SigningKey(seed: [UInt8](repeating: 1, count: 32)), subscription: .full)
        hub.subscribe(peer: partial.replica.author, partial.replica.subscription)
        var ms: UInt64 = 0
        @discardableResult
        func write(_ bodies: [OpBody]) throws -> PartialBatch {
            ms += 1
            try hub.write(bodies, at: HLC(physicalMillis: now - 3_600_000 + ms, logical: 0))
            let batch = hub.answer(partial.request(to: hub.author), from: partial.replica.author)
            try partial.receive(batch, from: hub.author, fromFull: true, clock: FixedClock(millis: now))
            return batch
        }
        func ticket(_ key: String, queue: String) -> [OpBody] {
            [.makeInsert(EntityRef(Desk.ticket, key), [Field("customer", .string("u-" + key))]),
             .makeInsert(EntityRef(Desk.message, "m-" + key), [
                Field("author", .string("u-" + key)), Field("created_ms", .int(Int64(now - 3_000_000))),
                Field("direction", .string("inbound")), Field("text", .string("help")), Field("ticket", .string(key)),
             ]),
             .set(entity: EntityRef(Desk.ticket, key), field: "queue", value: .string(queue))]
        }
        func pass() async throws -> MirrorPassReport {
            try await PostgresMirror.with(url, logger: Self.logger) { mirror throws(MirrorError) in
                try await mirror.prepare()
                return try await mirror.pass(desk, now: now)
            }
        }
        func mirrored() throws -> [String] {
            try server.psql("SELECT key FROM roost_tickets ORDER BY key").split(separator: "\n")
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }

        let first = try write(ticket("b1", queue: "billing") + ticket("s1", queue: "sales"))
        #expect(try await pass().full)
        #expect(try mirrored() == ["b1"], "only the ticket the node holds")
        let covers = try server.psql("SELECT cursor->>'covers' FROM roost_mirror_state").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(covers.contains("queues billing"), "\(covers)")
        try Self.check(server, desk, node, now: now, "partial, first pass")
        let again = try await pass()
        #expect(!again.full && again.tickets == 0, "nothing changed: \(again)")
        // The same batch once more (a peer that resends it): duplicates change nothing it holds, no full pass.
        try partial.receive(first, from: hub.author, fromFull: true, clock: FixedClock(millis: now))
        let duplicates = try await pass()
        #expect(!duplicates.full && duplicates.tickets == 0, "duplicates: \(duplicates)")

        try write([.set(entity: EntityRef(Desk.ticket, "s1"), field: "queue", value: .string("billing"))])
        let moved = try await pass()
        #expect(moved.full && moved.reason == "what this partial node holds changed", "\(moved)")
        #expect(try mirrored() == ["b1", "s1"])
        try write([.set(entity: EntityRef(Desk.ticket, "b1"), field: "queue", value: .string("sales"))])
        #expect(try await pass().full)
        #expect(try mirrored() == ["s1"], "a ticket that left the node's queues left the warehouse")
        try Self.check(server, desk, node, now: now, "partial, after moves")
    }

    static let billingRules = try! TriageRules.parse("""
        [[rule]]
        name = "billing"
        keywords = ["billing"]
        queue = "billing"
        """, file: "billing.toml")

    /// Every figure of the report, in each scope (all, since, until, a queue, the busiest agent, an agent with no
    /// work), equals examples/mirror/report.sql on the warehouse; the tickets, messages and reply events are the
    /// node's, row for row.
    static func check(_ server: TestPostgres, _ desk: DeskService, _ node: Node, now: UInt64, _ label: String) throws {
        var scopes = [DeskReport.Scope(), DeskReport.Scope(since: now - 7 * 86_400_000), DeskReport.Scope(until: now - 86_400_000),
                      DeskReport.Scope(queue: "billing"), DeskReport.Scope(agent: "nobody at all")]
        if let busiest = try desk.report(DeskReport.Scope()).agents.first?.agent {
            scopes.append(DeskReport.Scope(since: now - 7 * 86_400_000, agent: busiest))
        }
        for scope in scopes {
            let expected = try desk.report(scope)
            let rows = try server.psql(file: Self.reportSQL, variables: [
                "since": scope.since.map(String.init) ?? "NULL", "until": scope.until.map(String.init) ?? "NULL",
                "queue": scope.queue ?? "", "agent": scope.agent ?? "", "now": String(now),
            ])
            var figures: [String: String] = [:], agents: [DeskReport.Agent] = []
            for row in rows {
                if row[0] == "agent" {
                    agents.append(DeskReport.Agent(agent: row[1], replies: Int(row[2]) ?? -1, resolutions: Int(row[3]) ?? -1))
                } else {
                    figures[row[0]] = row[1]
                }
            }
            let context = "\(label) scope \(scope)"
            func int(_ name: String) -> Int? { figures[name].flatMap { Int($0) } }
            func double(_ name: String) -> Double? { figures[name].flatMap { $0.isEmpty ? nil : Double($0) } }
            #expect(int("tickets") == expected.tickets, "\(context)")
            #expect(int("responded") == expected.responded, "\(context)")
            #expect(double("response_rate") == expected.responseRate, "\(context)")
            #expect(double("first_response_median_minutes") == expected.firstResponseMedianMinutes, "\(context)")
            #expect(double("first_response_p90_minutes") == expected.firstResponseP90Minutes, "\(context)")
            #expect(int("resolved") == expected.resolved, "\(context)")
            #expect(double("resolution_rate") == expected.resolutionRate, "\(context)")
            #expect(double("resolution_median_minutes") == expected.resolutionMedianMinutes, "\(context)")
            #expect(double("resolution_p90_minutes") == expected.resolutionP90Minutes, "\(context)")
            #expect(double("in_channel_resolution_rate") == expected.inChannelResolutionRate, "\(context)")
            #expect(double("taken_to_dm_share") == expected.takenToDMShare, "\(context)")
            #expect(int("sla_breaches") == expected.slaBreaches, "\(context)")
            #expect(int("claim_conflicts") == expected.claimConflicts, "\(context)")
            #expect(agents == expected.agents, "\(context)")
        }
        // Row for row: the tickets and messages the node holds, one reply event per outbound message.
        let snapshot = try node.store.desk.deskSnapshot()
        #expect(try server.psql("SELECT count(*) FROM roost_tickets").trimmingCharacters(in: .whitespacesAndNewlines)
                == String(snapshot.tickets.count), "\(label)")
        #expect(try server.psql("SELECT string_agg(id, ',' ORDER BY id) FROM roost_messages").trimmingCharacters(in: .whitespacesAndNewlines)
                == snapshot.messages.map(\.id).sorted().joined(separator: ","), "\(label)")
        let outbound = snapshot.messages.filter { $0.direction == .outbound }.count
        #expect(try server.psql("SELECT count(*) FROM roost_events WHERE kind = 'reply'").trimmingCharacters(in: .whitespacesAndNewlines)
                == String(outbound), "\(label)")
    }

    /// `roost mirror` killed with SIGKILL at random moments of its passes, while desk work goes on: after each
    /// kill the warehouse holds whole passes, and after a last `--once` every figure matches the node.
    @Test func aMirrorKilledMidPassResumesFromItsLastWholePass() async throws {
        let seed = UInt64.random(in: 1...UInt64.max)
        print("MirrorTests kill seed: \(seed)")
        var random = SplitMix64(seed: seed)
        let server = try TestPostgres()
        defer { server.stop() }
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("roost-mirror-kill-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let node = try NodeHome(path: home.path).initialize(config: NodeConfig(name: "Ana Lopez", initials: "AL"))
        let now = SystemClock().nowMillis()
        let desk = DeskService(node: node, clock: FixedClock(millis: now))
        let roost = ProcessRunner(product: "roost")
        var next = 10_000
        func work(_ tickets: Int) throws {
            var ingest = IngestReport()
            for _ in 0..<tickets {
                next += 1
                let root = String(next)
                let at = now - UInt64.random(in: 0..<(8 * 86_400_000), using: &random)
                try desk.ingest([Self.message(root, root: root, inbound: true, at: at),
                                 Self.message(String(next + 500_000), root: root, inbound: false, at: at + 600_000, signature: "JD")],
                                rules: .empty, report: &ingest)
                if Bool.random(using: &random) { _ = try? desk.resolve("p" + root, as: "answered") }
            }
        }
        try work(300)
        var killed = 0
        for cycle in 0..<6 {
            let process = roost.process(["mirror", "--home", home.path, "--postgres", server.url, "--interval", "0.1"])
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            try await Task.sleep(for: .milliseconds(Int.random(in: 150...900, using: &random)))
            try work(40)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if process.terminationReason == .uncaughtSignal { killed += 1 }
            // Whatever the kill interrupted, the warehouse holds whole passes: at most one cursor row.
            let state = try server.psql("SELECT count(*) FROM roost_mirror_state").trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(["0", "1"].contains(state), "cycle \(cycle)")
        }
        #expect(killed == 6, "every cycle ended with SIGKILL")
        let passes = try server.psql("SELECT passes FROM roost_mirror_state").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect((Int(passes) ?? 0) >= 1, "the killed mirrors completed passes before the last run (\(passes))")
        let last = try roost.run(["mirror", "--home", home.path, "--postgres", server.url, "--once"], timeoutSeconds: 120)
        #expect(last.status == 0, "\(last.stderr)")
        try Self.check(server, desk, node, now: now, "after 6 kills (seed \(seed))")
    }

    static func message(_ id: String, root: String, inbound: Bool, at millis: UInt64, signature: String? = nil,
                        text: String? = nil) -> IncomingMessage {
        IncomingMessage(
            id: id, ticketKey: Desk.publicTicketKey(rootTweetID: root), channel: .public, conversation: root,
            direction: inbound ? .inbound : .outbound, author: inbound ? "9\(root)" : "AcmeCare", customer: "9\(root)",
            customerHandle: nil, customerName: nil, followers: nil, verified: nil, brand: "AcmeCare",
            text: text ?? (inbound ? "@AcmeCare help" : "On it"), createdMillis: millis, replyTo: inbound ? nil : root,
            signature: signature, mentions: inbound ? ["acmecare"] : [])
    }
}
