import Foundation
import Testing
import RoostCore
import RoostNode
import RoostStore
import RoostTestSupport

/// The rest of the writing commands go through a running node too (issue 17, "one writer"): team create,
/// invite, role and revoke; handoff and reassign; canned responses, SLA targets and customer profiles; gateway
/// assignment; and the long jobs (TWCS import, X ingest, bundle import), whose progress and result stream back
/// from the node.
@Suite(.serialized) struct OneWriterWritesTests {
    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    @Test func writingCommandsGoThroughTheRunningNode() async throws {
        let ana = try CLI(), kenji = try CLI()
        defer { ana.cleanup(); kenji.cleanup() }
        #expect(try await ana.runOffPool(["init", "--name", "Ana Lopez", "--initials", "al"]).status == 0)
        #expect(try await kenji.runOffPool(["init", "--name", "Kenji Sato", "--initials", "ks"]).status == 0)
        let anaPort = freePort()
        try DaemonTests.setListen(ana, anaPort)
        try DaemonTests.setListen(kenji, freePort())
        let anaHome = try NodeHome(path: ana.home.path)

        let anaDaemon = try DaemonTests.Daemon(home: ana.home)
        defer { anaDaemon.stop() }
        #expect(try await eventually(seconds: 120) { NodeAPIFile.live(anaHome) != nil }, "\(anaDaemon.output)")

        // The team is made and the invite written by the running node.
        let created = try await ana.runOffPool(["team", "create", "--name", "Acme Care", "--json"])
        #expect(created.status == 0 && Self.json(created.stdout)["via"] as? String == "api", "\(created.stdout)\(created.stderr)")
        let invite = try await ana.runOffPool(["team", "invite", "--name", "Kenji Sato", "--role", "agent"])
        #expect(invite.status == 0, "\(invite.stderr)")
        #expect(invite.stdout.contains("roost team join roost-invite-"))
        #expect(invite.stdout.contains("127.0.0.1:\(anaPort)"), "the invite carries the node's listen address")

        // Long jobs: progress and result come back from the node.
        let csv = ProgressTests.repositoryRoot.appendingPathComponent("examples/data/twcs-demo.csv").path
        let imported = try await ana.runOffPool(["import-twcs", "--file", csv, "--json"])
        #expect(imported.status == 0, "\(imported.stderr)")
        let report = Self.json(imported.stdout)
        #expect(report["via"] as? String == "api")
        #expect(report["messages"] as? Int == 336 && report["tickets"] as? Int == 122, "\(imported.stdout)")
        #expect(imported.stderr.contains("import-twcs: 336/336 messages (100%)"), "\(imported.stderr)")
        let again = try await ana.runOffPool(["import-twcs", "--file", csv, "--json"])
        #expect(Self.json(again.stdout)["duplicates"] as? Int == 336, "\(again.stdout)\(again.stderr)")
        let sample = ProgressTests.repositoryRoot.appendingPathComponent("examples/x-sample.jsonl").path
        let ingested = try await ana.runOffPool(["ingest", "--file", sample, "--brand-handles", "AcmeCare", "--json"])
        #expect(ingested.status == 0 && Self.json(ingested.stdout)["via"] as? String == "api", "\(ingested.stdout)\(ingested.stderr)")
        // A bad file is one clear error from the node, and nothing is written.
        let opsBefore = try OpStore(readOnlyPath: anaHome.databasePath).opCount()
        let missing = try await ana.runOffPool(["import-twcs", "--file", "/nonexistent/file.csv"])
        #expect(missing.status != 0 && missing.stderr.split(separator: "\n").count == 1, "\(missing.stderr)")

        // Desk settings.
        let canned = try await ana.runOffPool(["canned", "add", "thanks", "Thanks {customer}, {agent} here.", "--json"])
        #expect(Self.json(canned.stdout)["via"] as? String == "api", "\(canned.stdout)\(canned.stderr)")
        #expect(try await ana.runOffPool(["sla", "high", "17"]).status == 0)
        let customer = try await ana.runOffPool(["customer", "@200015", "--vip", "true", "--json"])
        #expect(customer.status == 0 && Self.json(customer.stdout)["vip"] as? Bool == true, "\(customer.stdout)\(customer.stderr)")
        #expect(try OpStore(readOnlyPath: anaHome.databasePath).opCount() > opsBefore)

        // Kenji joins and is admitted by Ana's running node; then Ana hands off, reassigns, changes his role and
        // revokes him, all through her node.
        let joined = try await kenji.runOffPool(["team", "join", try DaemonTests.inviteText(invite.stdout)])
        #expect(joined.status == 0, "\(joined.stderr)")
        let anaOps = try OpStore(readOnlyPath: anaHome.databasePath).opCount()
        let kenjiDaemon = try DaemonTests.Daemon(home: kenji.home)
        defer { kenjiDaemon.stop() }
        let kenjiID = try NodeHome(path: kenji.home.path).open().id
        #expect(try await eventually { ((try? anaHome.rosterLines(node: anaHome.open())) ?? []).contains { $0.member == kenjiID } },
                "\(anaDaemon.output)\(kenjiDaemon.output)")

        // Kenji follows his initial sync until he holds everything Ana holds.
        let synced = try await kenji.runOffPool(["peers", "--until-synced", "--timeout", "600", "--json"])
        #expect(synced.status == 0 && Self.json(synced.stdout)["synced"] as? String == "yes", "\(synced.stdout)\(synced.stderr)")
        let kenjiOps = try OpStore(readOnlyPath: NodeHome(path: kenji.home.path).databasePath).opCount()
        #expect(kenjiOps > anaOps, "Kenji holds Ana's \(anaOps) ops and his own after --until-synced (\(kenjiOps) ops)")

        let desk = DeskService(node: try anaHome.open())
        let key = try #require(try desk.inbox(InboxFilter()).first?.key)
        #expect(try await ana.runOffPool(["claim", key]).status == 0)
        let handed = try await ana.runOffPool(["handoff", key, "--to", "Kenji Sato", "--json"])
        #expect(handed.status == 0 && Self.json(handed.stdout)["via"] as? String == "api", "\(handed.stdout)\(handed.stderr)")
        #expect(Self.json(handed.stdout)["to"] as? String == kenjiID.text)
        let other = try #require(try desk.inbox(InboxFilter()).first { $0.key != key }?.key)
        let reassigned = try await ana.runOffPool(["reassign", other, "--to", kenjiID.text, "--json"])
        #expect(reassigned.status == 0 && Self.json(reassigned.stdout)["via"] as? String == "api", "\(reassigned.stdout)\(reassigned.stderr)")
        #expect(try desk.ticketView(other).holder == "Kenji Sato")

        let role = try await ana.runOffPool(["team", "role", String(kenjiID.text.prefix(7)), "lead", "--json"])
        #expect(role.status == 0 && Self.json(role.stdout)["via"] as? String == "api", "\(role.stdout)\(role.stderr)")
        // Both daemons published the sync protocol they speak at start: Ana moves the team to op format 2 through her
        // node, and her next op (the gateway assignment) starts her format 2 epoch.
        #expect(try await eventually { (try? anaHome.logFormat(node: anaHome.open()).notReady.isEmpty) == true })
        let format = try await ana.runOffPool(["team", "format", "2", "--json"])
        #expect(format.status == 0 && Self.json(format.stdout)["via"] as? String == "api", "\(format.stdout)\(format.stderr)")
        #expect(Self.json(format.stdout)["asked"] as? Int == 2 && (Self.json(format.stdout)["notReady"] as? [String]) == [])
        let gateway = try await ana.runOffPool(["gateway", "assign", "@AcmeCare", "--x-user-id", "1234", "--member", "Ana Lopez", "--json"])
        #expect(gateway.status == 0 && Self.json(gateway.stdout)["via"] as? String == "api", "\(gateway.stdout)\(gateway.stderr)")
        let revoked = try await ana.runOffPool(["team", "revoke", kenjiID.text, "--json"])
        #expect(revoked.status == 0 && Self.json(revoked.stdout)["via"] as? String == "api", "\(revoked.stdout)\(revoked.stderr)")
        #expect(try anaHome.rosterLines(node: anaHome.open()).first { $0.member == kenjiID }?.revoked == true)
        #expect(try anaHome.open().status().logFormat == 2)

        // A bundle written by Kenji for Ana is applied by her node.
        let bundle = kenji.home.appendingPathComponent("for-ana.rstb").path
        kenjiDaemon.stop()
        let exported = try await kenji.runOffPool(["bundle", "export", "--all", "--out", bundle])
        #expect(exported.status == 0, "\(exported.stderr)")
        #expect(exported.stderr.contains("bundle export:"), "bundle export shows progress: \(exported.stderr)")
        let applied = try await ana.runOffPool(["bundle", "import", bundle, "--json"])
        #expect(applied.status == 0 && Self.json(applied.stdout)["via"] as? String == "api", "\(applied.stdout)\(applied.stderr)")
        #expect(try OpStore(readOnlyPath: anaHome.databasePath).verify().isOK)
    }
}
