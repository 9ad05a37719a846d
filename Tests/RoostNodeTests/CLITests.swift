import Foundation
import Testing
import RoostCore
import RoostNode
@_spi(StoreInternals) import RoostStore
import RoostTestSupport

/// Runs the built `roost` binary end to end, as a new user would type it, and checks exact output.
struct CLI {
    let home: URL

    init() throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("roost-cli-\(UUID().uuidString)")
    }

    static var binary: URL { BuiltProduct.url("roost") }

    typealias Result = ProcessOutput

    /// The built `roost`, run against this home unless `useHome` is false.
    func runner(useHome: Bool = true) -> ProcessRunner {
        ProcessRunner(product: "roost", trailingArguments: useHome ? ["--home", home.path] : [])
    }

    /// ``run(_:environment:useHome:)`` waited for on a Dispatch thread (see `ProcessRunner.runOffPool`): a command
    /// that runs for seconds (an import through a node, `peers --until-synced`) must not hold a cooperative thread.
    @discardableResult
    func runOffPool(_ arguments: [String], environment: [String: String] = [:], useHome: Bool = true) async throws -> Result {
        try await runner(useHome: useHome).runOffPool(arguments, environment: environment)
    }

    @discardableResult
    func run(_ arguments: [String], environment: [String: String] = [:], useHome: Bool = true) throws -> Result {
        try runner(useHome: useHome).run(arguments, environment: environment)
    }

    func cleanup() { try? FileManager.default.removeItem(at: home) }
}

@Suite(.serialized) struct CLITests {
    /// `roost reply --after` gets the desk's replied-first guard: on examples/x-sample.jsonl the brand answered
    /// Lucy's first mention (…0002 after …0001), so a reply sent after reading only …0001 is refused, naming who
    /// replied, and nothing is queued; after reading …0002 it is queued.
    @Test func replyAfterAMessageSomeoneAnsweredSinceIsRefused() throws {
        let cli = try CLI()
        defer { cli.cleanup() }
        #expect(try cli.run(["init", "--name", "Ana Lopez", "--initials", "al"]).status == 0)
        let sample = ProgressTests.repositoryRoot.appendingPathComponent("examples/x-sample.jsonl").path
        #expect(try cli.run(["ingest", "--file", sample, "--brand-handles", "AcmeCare"]).status == 0)
        let refused = try cli.run(["reply", "p1850000000000000001", "On it", "--after", "1850000000000000001"])
        #expect(refused.status != 0)
        #expect(refused.stderr == "Error: @AcmeCare ^AL replied after the last message you saw; send anyway?\n", "\(refused.stderr)")
        #expect(try NodeHome(path: cli.home.path).open().store.outbox.rows().isEmpty)
        let sent = try cli.run(["reply", "p1850000000000000001", "On it", "--after", "1850000000000000002"])
        #expect(sent.status == 0, "\(sent.stderr)")
        #expect(try NodeHome(path: cli.home.path).open().store.outbox.rows().count == 1)
    }

    @Test func initThenVerifyAsANewUserWouldTypeIt() throws {
        let cli = try CLI()
        defer { cli.cleanup() }
        let created = try cli.run(["init", "--name", "Ana Lopez", "--initials", "al"])
        #expect(created.status == 0, "\(created.stderr)")
        let node = try NodeHome(path: cli.home.path).open()
        #expect(created.stdout == """
            Created node "Ana Lopez" (AL) in \(cli.home.path)
            Node id:    \(node.id.text)
            Log epoch:  \(String(node.author.epoch, radix: 16))
            Secret key: \(cli.home.path)/identity.key (mode 0600, never share it)

            """)
        let mode = try FileManager.default.attributesOfItem(atPath: cli.home.path + "/identity.key")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try AuthorID(text: node.id.text) == node.id)

        let verified = try cli.run(["verify"])
        #expect(verified.status == 0)
        let state = try node.store.stateHash().hex
        #expect(try node.store.state.entity(EntityRef("member", node.id.text))?.first?.value == .string("AL"))
        #expect(verified.stdout == """
            Checked 1 log(s), 1 op(s), 1 seal(s).
            Re-fold matches the materialized state.
            State hash: \(state)
            Note: no team: roster authority not checked
            OK

            """)
    }

    @Test func initRefusesAnExistingHomeAndKeepsTheKey() throws {
        let cli = try CLI()
        defer { cli.cleanup() }
        try cli.run(["init", "--name", "Ana Lopez", "--initials", "AL"])
        let key = try Data(contentsOf: cli.home.appendingPathComponent("identity.key"))
        let again = try cli.run(["init", "--name", "Someone Else", "--initials", "SE"])
        #expect(again.status != 0)
        #expect(again.stdout.isEmpty)
        #expect(again.stderr == "Error: a node already exists in \(cli.home.path); refusing to overwrite it (use --home for another node)\n")
        #expect(try Data(contentsOf: cli.home.appendingPathComponent("identity.key")) == key)
    }

    @Test func refusesAKeyFileOthersCanRead() throws {
        let cli = try CLI()
        defer { cli.cleanup() }
        try cli.run(["init", "--name", "Ana Lopez", "--initials", "AL"])
        let keyPath = cli.home.path + "/identity.key"
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keyPath)
        let status = try cli.run(["status"])
        #expect(status.status != 0)
        #expect(status.stderr == "Error: \(keyPath) is readable by other users (mode 644); run `chmod 600 \(keyPath)`\n")
    }

    @Test func roostHomeEnvironmentVariableSelectsTheHome() throws {
        let cli = try CLI()
        defer { cli.cleanup() }
        let created = try cli.run(["init", "--name", "Kenji Sato", "--initials", "KS"], environment: ["ROOST_HOME": cli.home.path],
                                  useHome: false)
        #expect(created.status == 0)
        #expect(FileManager.default.fileExists(atPath: cli.home.path + "/node.sqlite"))
        let status = try cli.run(["status", "--json"], environment: ["ROOST_HOME": cli.home.path], useHome: false)
        #expect(status.stdout.contains("\"name\" : \"Kenji Sato\""))
    }

    @Test func rejectsBadInputWithOneClearLine() throws {
        let cli = try CLI()
        defer { cli.cleanup() }
        let badInitials = try cli.run(["init", "--name", "Ana", "--initials", "A1"])
        #expect(badInitials.stderr == "Error: initials must be 1 to 4 letters (got \"A1\")\n")
        #expect(!FileManager.default.fileExists(atPath: cli.home.path))
        let noNode = try cli.run(["status"])
        #expect(noNode.stderr == "Error: no node in \(cli.home.path); run `roost init --name NAME --initials XX` first\n")
        try cli.run(["init", "--name", "Ana", "--initials", "A"])
        try Data("{\"name\": \"Ana\", \"initials\": \"A\", \"peer\": []}".utf8).write(to: cli.home.appendingPathComponent("config.json"))
        let badConfig = try cli.run(["status"])
        #expect(badConfig.stderr == "Error: \(cli.home.path)/config.json: unknown key \"peer\"\n")
        try Data("{\"name\": \"Ana\", \"initials\": \"A\"}".utf8).write(to: cli.home.appendingPathComponent("config.json"))
        let badEntity = try cli.run(["op", "set", "ticket", "status", "open"])
        #expect(badEntity.stderr == "Error: \"ticket\" is not COLLECTION/KEY (e.g. ticket/1042)\n")
    }

    @Test func opsMergeAndSurviveARestart() throws {
        let cli = try CLI()
        defer { cli.cleanup() }
        try cli.run(["init", "--name", "Ana Lopez", "--initials", "AL"])
        let node = try NodeHome(path: cli.home.path).open()
        let me = node.id
        let log = "\(me.short)/\(String(node.author.epoch, radix: 16))"
        #expect(try cli.run(["op", "insert", "ticket/1042", "subject=Wifi down", "channel=twitter"]).stdout
                == "Appended insert op \(log)/2 on ticket/1042\n")
        #expect(try cli.run(["op", "set", "ticket/1042", "status", "open"]).stdout == "Appended set op \(log)/3 on ticket/1042\n")
        #expect(try cli.run(["op", "tag", "ticket/1042", "billing"]).stdout == "Appended tag-add op \(log)/4 on ticket/1042\n")
        #expect(try cli.run(["op", "tag", "ticket/1042", "outage"]).stdout == "Appended tag-add op \(log)/5 on ticket/1042\n")
        #expect(try cli.run(["op", "untag", "ticket/1042", "billing"]).stdout == "Appended tag-remove op \(log)/6 on ticket/1042\n")
        #expect(try cli.run(["op", "claim", "ticket/1042"]).stdout == "Appended claim op \(log)/7 on ticket/1042\n")
        #expect(try cli.run(["op", "set", "ticket/1042", "status", "pending"]).status == 0)
        let shown = try cli.run(["op", "show", "ticket/1042"])
        #expect(shown.stdout == """
            Entity:     ticket/1042
            channel:    "twitter"
            subject:    "Wifi down"
            status:     "pending"
            Tags:       outage
            Claimed by: \(me.short)

            """)
        let release = try cli.run(["op", "release", "ticket/1042"])
        #expect(release.status == 0)
        let again = try cli.run(["op", "release", "ticket/1042"])
        #expect(again.stderr == "Error: ticket/1042 is not claimed\n")
        let verified = try cli.run(["verify"])
        #expect(verified.status == 0)
        #expect(verified.stdout.hasPrefix("Checked 1 log(s), 9 op(s), 9 seal(s).\nRe-fold matches the materialized state.\n"))
    }

    @Test func verifyFailsAndNamesTheFirstDivergingRow() throws {
        let cli = try CLI()
        defer { cli.cleanup() }
        try cli.run(["init", "--name", "Ana Lopez", "--initials", "AL"])
        try cli.run(["op", "set", "ticket/7", "status", "open"])
        let node = try NodeHome(path: cli.home.path).open()
        try node.store.writer.write { db in try db.execute(sql: "UPDATE mv_register SET value = x'0300000001'") }
        let verified = try cli.run(["verify"])
        #expect(verified.status == 1)
        #expect(verified.stdout.contains(
            "FAILED: 1 problem(s); first: materialized state differs from the re-fold: mv_register(collection=ticket, key=7, field=status): column value differs\n"))
    }
}

extension CLITests {
    /// Regression: `lease * 60` overflowed UInt32 and trapped for a huge --lease.
    @Test func hugeLeaseIsRefusedNotACrash() throws {
        let cli = try CLI()
        defer { cli.cleanup() }
        try cli.run(["init", "--name", "Ana Lopez", "--initials", "AL"])
        let claimed = try cli.run(["op", "claim", "ticket/1", "--lease", "4294967295"])
        #expect(claimed.status == 1)
        #expect(claimed.stderr == "Error: --lease must be 1...10080 minutes\n")
    }
}

/// The examples run end to end, as the README tells a new user to run them.
@Suite(.serialized) struct ExampleTests {
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    @Test func exampleRulesFileParses() throws {
        let rules = try TriageRules.load(path: Self.root.appendingPathComponent("examples/rules.toml").path)
        #expect(rules.rules.map(\.name) == ["Outage reports", "Billing", "Executive mentions", "Influencers", "Repeat contacts this week",
                                          "Spanish and Portuguese"])
        #expect(rules.rules.last?.languages == ["es", "pt"])
        #expect(rules.crisisKeywords == ["lawsuit", "data breach"])
        #expect(rules.spike?.tag == "outage" && rules.spike?.count == 25)
    }

    @Test func demoScriptWorksATicketEndToEnd() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("roost-demo-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let bash = ProcessRunner(URL(fileURLWithPath: "/bin/bash"), environment: ["ROOST": CLI.binary.path, "DEMO_HOME": home.path])
        let demo = try bash.run([Self.root.appendingPathComponent("examples/demo.sh").path])
        let stdout = demo.stdout
        #expect(demo.status == 0, "\(stdout.suffix(2000)) \(demo.stderr.suffix(1000))")
        #expect(stdout.contains("(refused, as it should be: over 280 characters)"))
        #expect(stdout.contains(" as taken-to-dm\n"))
        #expect(stdout.contains("Re-fold matches the materialized state.\n"))
        #expect(stdout.hasSuffix("inbox --breaching\n"))
        let node = try NodeHome(path: home.path).open()
        #expect(try node.store.verify().isOK)
    }
}

@Suite(.serialized) struct TeamCLITests {
    @Test func createInviteJoin() throws {
        let ana = try CLI(), kenji = try CLI()
        defer { ana.cleanup(); kenji.cleanup() }
        try ana.run(["init", "--name", "Ana Lopez", "--initials", "AL"])
        try kenji.run(["init", "--name", "Kenji Sato", "--initials", "KS"])
        #expect(try ana.run(["team", "invite", "--name", "Kenji Sato"]).stderr
                == "Error: this node has no team yet; run `roost team create --name NAME`\n")
        let created = try ana.run(["team", "create", "--name", "Hilton Suggests"])
        #expect(created.status == 0)
        let mode = try FileManager.default.attributesOfItem(atPath: ana.home.path + "/team.key")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try ana.run(["team", "invite", "--name", "Kenji Sato", "--role", "boss"]).stderr
                == "Error: --role must be agent, lead, admin or gateway\n")
        let printed = try ana.run(["team", "invite", "--name", "Kenji Sato", "--role", "lead", "--address", "127.0.0.1:7170"]).stdout
        let line = try #require(printed.split(separator: "\n").first { $0.hasPrefix("    roost team join ") })
        let invite = try RoostNode.Invite(text: line.replacingOccurrences(of: "    roost team join ", with: ""))
        let anaNode = try NodeHome(path: ana.home.path).open()
        #expect(invite.inviter == anaNode.id && invite.founder == anaNode.id && invite.address == "127.0.0.1:7170"
                && invite.teamName == "Hilton Suggests")
        #expect(invite.networkKey == (try NodeHome(path: ana.home.path).team(of: anaNode))?.networkKey)
        // The invite is recorded as an op naming its public key and the role it grants.
        let recorded = try NodeHome(path: ana.home.path).invites(node: anaNode)
        #expect(recorded.map(\.key) == [invite.publicKey] && recorded.first?.role == .lead && recorded.first?.usedBy == nil)
        let shown = try ana.run(["team", "show"]).stdout
        #expect(shown.contains("Open invites: Kenji Sato (lead)"))
        #expect(shown.contains("\(anaNode.id.short)  Ana Lopez  admin  this node"))
        // The team's op format: Ana's node has not published its protocol version (`roost run` does), so format 2 waits.
        #expect(try ana.run(["team", "format"]).stdout == """
            Team asks for:     format 1
            This node writes:  format 1
            Not at protocol 4: \(anaNode.id.short)

            """)
        #expect(try ana.run(["team", "format", "2"]).stderr == """
            Error: 1 member(s) have not said their node speaks sync protocol version 4 and could not hold format 2 logs: \
            \(anaNode.id.short); upgrade and start them (`roost run` publishes it), or pass --anyway

            """)
        #expect(try ana.run(["team", "format", "1"]).stderr
                == "Error: the team can be asked for format 2 only (a log never goes back to format 1)\n")
        let joined = try kenji.run(["team", "join", invite.text])
        #expect(joined.status == 0)
        let kenjiNode = try NodeHome(path: kenji.home.path).open()
        #expect(kenjiNode.config.peers == ["\(anaNode.id.text)@127.0.0.1:7170"])
        #expect(try kenjiNode.store.team.founder() == anaNode.id)
        let seedMode = try FileManager.default.attributesOfItem(atPath: kenji.home.path + "/join.key")[.posixPermissions] as? Int
        #expect(seedMode == 0o600)
        #expect(try kenji.run(["team", "join", invite.text]).status == 0)  // idempotent
        // Not admitted yet (no sync has happened): Kenji cannot invite or revoke.
        #expect(try kenji.run(["team", "invite", "--name", "Eve"]).stderr
                == "Error: only admins may invite members; this node is not yet admitted\n")
        #expect(try ana.run(["team", "revoke", anaNode.id.text]).stderr == "Error: the founder cannot be revoked\n")
        let expired = RoostNode.Invite(networkKey: invite.networkKey, inviter: invite.inviter, founder: invite.founder,
                                       seed: invite.seed, address: invite.address, teamName: invite.teamName, expiresMillis: 1)
        #expect(try kenji.run(["team", "join", expired.text]).stderr == "Error: the invite expired; ask for a new one\n")
        var damaged = invite.text
        damaged.removeLast(2)
        #expect(try kenji.run(["team", "join", damaged]).stderr.hasPrefix("Error: the invite is damaged"))
    }
}
