import FakeXServer
import Foundation
import RoostCore
import RoostNode
import RoostStore
import Testing
import RoostTestSupport

/// Runs the built `roost` binary against a home, with no X settings from this process's environment.
struct RoostCLI {
    let home: URL

    var runner: ProcessRunner {
        ProcessRunner(product: "roost", trailingArguments: ["--home", home.path],
                      removing: ["ROOST_X_API_BASE", "ROOST_X_BEARER_TOKEN"])
    }

    /// A configured, not yet started process (for `roost run`).
    func process(_ arguments: [String]) -> Process { runner.process(arguments) }

    /// Waited for on a Dispatch thread: a command that calls this process's in-process fake X must not hold a
    /// cooperative thread while it waits, or on 2 cores the fake X can be left without one (a full run deadlocked
    /// so: `roost x lookup` waiting on the fake X, the fake X waiting for a thread).
    @discardableResult
    func runOffPool(_ arguments: [String]) async throws -> ProcessOutput { try await runner.runOffPool(arguments) }

    @discardableResult
    func run(_ arguments: [String]) throws -> ProcessOutput { try runner.run(arguments) }
}

@Suite(.serialized) struct GatewayCLITests {
    @Test func gatewayAndOutboxCommandsAsAnAdminAndAnAgentWouldTypeThem() async throws {
        let node = try GatewayTestNode(name: "Ana Lopez", initials: "AL")
        defer { node.cleanup() }
        let cli = RoostCLI(home: node.home)

        let unknown = try await cli.runOffPool(["gateway", "assign", "acmecare", "--member", "Ana Lopez"])
        #expect(unknown.status != 0 && unknown.stderr.contains("--x-user-id"))
        let assigned = try await cli.runOffPool(["gateway", "assign", "@AcmeCare", "--x-user-id", "1000000001", "--member", "Ana Lopez"])
        #expect(assigned.status == 0, "\(assigned.stderr)")
        #expect(assigned.stdout == "@AcmeCare (X user 1000000001): gateway is now Ana Lopez\n")

        let tokenFile = node.home.appendingPathComponent("token").path
        try Data("secret-token-value\n".utf8).write(to: URL(fileURLWithPath: tokenFile))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: tokenFile)
        let open = try await cli.runOffPool(["gateway", "configure", "--token-file", tokenFile])
        #expect(open.status != 0 && open.stderr.contains("chmod 600") && !open.stderr.contains("secret-token-value"))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: tokenFile)
        let configured = try await cli.runOffPool(["gateway", "configure", "--base-url", "http://127.0.0.1:9", "--token-file", tokenFile,
                                      "--poll-seconds", "5"])
        #expect(configured.status == 0, "\(configured.stderr)")
        #expect(try GatewaySettings.load(NodeHome(path: node.home.path), environment: [:]).baseURL == "http://127.0.0.1:9")

        // A held draft, as the gateway leaves one.
        var report = IngestReport()
        let desk = node.desk(at: realNow())
        try desk.ingest([IncomingMessage(
            id: "555", ticketKey: "p555", channel: .public, conversation: "555", direction: .inbound, author: "2001",
            customer: "2001", customerHandle: "marta_lx", customerName: nil, followers: nil, verified: nil, brand: "AcmeCare",
            text: "@acmecare help", createdMillis: realNow(), replyTo: nil, signature: nil, mentions: ["acmecare"])],
            rules: .empty, report: &report)
        let held = try desk.reply("p555", text: "On it")
        let other = try desk.reply("p555", text: "Second thought")
        try desk.append(held.messageID, state: .held, reason: "Kenji Sato replied 3 min ago; your draft is held")

        let status = try await cli.runOffPool(["gateway", "status"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(status.stdout.contains("@AcmeCare (X user 1000000001)"))
        #expect(status.stdout.contains("gateway:         Ana Lopez (this node)"))
        #expect(status.stdout.contains("outbox:          1 queued, 0 posting, 1 held, 0 failed"))
        #expect(status.stdout.contains("daemon:          not running"))

        let list = try await cli.runOffPool(["outbox", "list"])
        #expect(list.stdout.contains(held.messageID) && list.stdout.contains("Kenji Sato replied 3 min ago; your draft is held"))
        let show = try await cli.runOffPool(["show", "p555"])
        #expect(show.stdout.contains("[held: Kenji Sato replied 3 min ago; your draft is held]"))
        #expect(show.stdout.contains("[queued]"))

        #expect(try await cli.runOffPool(["outbox", "send-anyway", other.messageID]).status != 0)  // queued, not held
        let sent = try await cli.runOffPool(["outbox", "send-anyway", held.messageID])
        #expect(sent.status == 0, "\(sent.stderr)")
        let discarded = try await cli.runOffPool(["outbox", "discard", other.messageID])
        #expect(discarded.stdout == "\(other.messageID) discarded\n")
        let rows = try node.node.store.outbox.rows()
        #expect(rows.first { $0.id == held.messageID }.map { ($0.state, $0.override) } ?? (.failed, false) == (.queued, true))
        #expect(rows.first { $0.id == other.messageID }?.state == .discarded)
        #expect(try await cli.runOffPool(["outbox", "discard", other.messageID]).status != 0)
    }

    /// `roost run` on the assigned node starts the gateway: a mention becomes a ticket, a reply is posted once.
    @Test func roostRunServesTheHandleItIsTheGatewayOf() async throws {
        let fake = try await FakeX.start()
        defer { Task { await fake.server.stop() } }
        let node = try GatewayTestNode(name: "Gateway Lisbon", initials: "GW")
        defer { node.cleanup() }
        let cli = try await Self.serveAcmecare(node, against: fake, member: "Gateway Lisbon")
        let mention = await fake.state.tweet(from: customer(1), text: "@acmecare is the Lisbon store open today?")

        let (daemon, log) = try Self.startDaemon(cli)
        defer { if daemon.isRunning { daemon.terminate() } }
        func eventually(_ what: String, _ check: () async throws -> Bool) async throws {
            #expect(try await RoostTestSupport.eventually(seconds: 60, pollNanoseconds: 100_000_000, check), "timed out waiting for \(what)")
        }
        try await eventually("the mention") { try node.node.store.state.exists(EntityRef(Desk.message, mention.id)) }
        let reply = try node.desk(at: realNow()).reply("p" + mention.id, text: "Yes, until 8pm")
        try await eventually("the post") { try node.node.store.outbox.rows().first { $0.id == reply.messageID }?.state == .posted }
        let status = try await cli.runOffPool(["gateway", "status"])
        #expect(status.stdout.split(separator: "\n").contains { $0.hasPrefix("  last error:") && $0.hasSuffix(" none") },
                "\(status.stdout)")
        #expect(status.stdout.contains("rate GET /2/users/:id/mentions"))
        daemon.terminate()
        daemon.waitUntilExit()
        #expect(await fake.state.created == [reply.text])
        let output = String(decoding: log.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(!output.contains("Lisbon store") && !output.contains(token), "customer text or token in the log")
    }
}

extension GatewayCLITests {
    /// Makes `node` (a new team's only member) the gateway of @acmecare against `fake`, polling and draining every
    /// second, as an admin would type it; answers the CLI bound to its home.
    static func serveAcmecare(_ node: GatewayTestNode, against fake: FakeX, member: String) async throws -> RoostCLI {
        let cli = RoostCLI(home: node.home)
        #expect(try await cli.runOffPool(["team", "create", "--name", "Acme"]).status == 0)
        let configURL = node.home.appendingPathComponent("config.json")
        var config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
        config["listen"] = "127.0.0.1:\(freePort())"
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        let tokenFile = node.home.appendingPathComponent("token").path
        FileManager.default.createFile(atPath: tokenFile, contents: Data(token.utf8), attributes: [.posixPermissions: 0o600])
        #expect(try await cli.runOffPool(["gateway", "assign", "acmecare", "--x-user-id", brand.id, "--member", member]).status == 0)
        #expect(try await cli.runOffPool(["gateway", "configure", "--base-url", fake.server.baseURL, "--token-file", tokenFile,
                                          "--poll-seconds", "1", "--drain-seconds", "1"]).status == 0)
        return cli
    }

    /// `roost run` on the CLI's home, its output captured.
    static func startDaemon(_ cli: RoostCLI) throws -> (Process, Pipe) {
        let daemon = cli.process(["run", "--log-level", "warning"])
        let log = Pipe()
        daemon.standardError = log
        daemon.standardOutput = log
        try daemon.run()
        return (daemon, log)
    }
}

extension GatewayCLITests {
    /// A 429 on mentions makes ingest wait for X's reset (10 minutes here); replies are posted meanwhile,
    /// because posting has its own loop and client (issue 16: one shared loop held them until the reset).
    @Test func aRateLimitOnMentionsDoesNotHoldTheOutbox() async throws {
        let fake = try await FakeX.start()
        defer { Task { await fake.server.stop() } }
        let node = try GatewayTestNode(name: "Gateway Porto", initials: "GP")
        defer { node.cleanup() }
        let cli = try await Self.serveAcmecare(node, against: fake, member: "Gateway Porto")
        let mention = await fake.state.tweet(from: customer(1), text: "@acmecare is the Porto store open today?")

        let (daemon, log) = try Self.startDaemon(cli)
        defer { if daemon.isRunning { daemon.terminate() } }
        func eventually(_ what: String, _ check: () async throws -> Bool) async throws {
            #expect(try await RoostTestSupport.eventually(seconds: 60, pollNanoseconds: 100_000_000, check), "timed out waiting for \(what)")
        }
        try await eventually("the mention") { try node.node.store.state.exists(EntityRef(Desk.message, mention.id)) }
        // X now rate-limits mentions with a reset 10 minutes away; the next poll takes the 429 and waits.
        for _ in 0..<3 { await fake.state.inject(.rateLimit(resetInSeconds: 600), on: "/2/users/mentions") }
        try await eventually("a 429 served on mentions") { await fake.state.pendingFaults < 3 }
        let reply = try node.desk(at: realNow()).reply("p" + mention.id, text: "Yes, until 8pm")
        try await eventually("the post while ingest waits") {
            try node.node.store.outbox.rows().first { $0.id == reply.messageID }?.state == .posted
        }
        #expect(await fake.state.pendingFaults >= 1, "ingest was still held by the rate limit")
        daemon.terminate()
        daemon.waitUntilExit()
        #expect(await fake.state.created == [reply.text])
    }
}

extension DeskService {
    /// Sets an outbox item's state and reason as the gateway would.
    func append(_ id: String, state: OutboxState, reason: String) throws {
        try node.store.append([
            .set(entity: EntityRef(Desk.message, id), field: "outbox", value: .string(state.rawValue)),
            .set(entity: EntityRef(Desk.message, id), field: "outbox.reason", value: .string(reason)),
        ], by: node.author, clock: FixedClock(millis: realNow()))
    }
}
