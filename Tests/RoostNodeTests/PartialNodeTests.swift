import Foundation
import Testing
import RoostCore
import RoostNode
import RoostStore
import RoostTestSupport

/// A partial node run as users run it (Protocol/SPEC-partial.md; issue 18): `roost init --queues billing`, `roost team
/// join`, `roost run`. Two real daemons: the founder's full node imports the demo conversations with the example
/// triage rules, and the partial node must hold exactly the billing queue's tickets and messages, answer one through
/// its running node (the reply reaches the founder), and verify clean.
@Suite(.serialized) struct PartialNodeTests {
    /// The desk's tickets and their message counts, read from a home's database (the daemon keeps running).
    static func desk(_ home: URL, queue: String? = nil) throws -> [String: Int] {
        let snapshot = try OpStore(readOnlyPath: try NodeHome(path: home.path).databasePath).desk.deskSnapshot()
        var out: [String: Int] = [:]
        for ticket in snapshot.tickets where queue == nil || ticket.queue == queue { out[ticket.key] = 0 }
        for message in snapshot.messages where out[message.ticket] != nil { out[message.ticket]! += 1 }
        return out
    }

    /// Ana's node (`roost init` with `founderInit`), running, founds a team and invites Kenji, whose node is made
    /// partial (`--queues billing`); both listen on free ports. Returns Ana's daemon and the invite's output.
    static func founderAndPartialNode(_ ana: CLI, _ kenji: CLI, founderInit: [String]) async throws -> (DaemonTests.Daemon, CLI.Result) {
        #expect(try await ana.runOffPool(["init", "--name", "Ana Lopez", "--initials", "al"] + founderInit).status == 0)
        let made = try await kenji.runOffPool(["init", "--name", "Kenji Sato", "--initials", "ks", "--queues", "billing"])
        #expect(made.status == 0 && made.stdout.contains("Queues:     billing (a partial node: these queues' tickets and the ones you work on)"),
                "\(made.stdout)\(made.stderr)")
        try DaemonTests.setListen(ana, freePort())
        try DaemonTests.setListen(kenji, freePort())
        let anaHome = try NodeHome(path: ana.home.path)
        let anaDaemon = try DaemonTests.Daemon(home: ana.home)
        #expect(try await eventually(seconds: 120) { NodeAPIFile.live(anaHome) != nil }, "\(anaDaemon.output)")
        #expect(try await ana.runOffPool(["team", "create", "--name", "Acme Care"]).status == 0)
        let invite = try await ana.runOffPool(["team", "invite", "--name", "Kenji Sato", "--role", "agent"])
        #expect(invite.status == 0, "\(invite.stderr)")
        return (anaDaemon, invite)
    }

    @Test func aPartialNodeHoldsItsQueueAndAnswersThroughItsNode() async throws {
        let ana = try CLI(), kenji = try CLI()
        defer { ana.cleanup(); kenji.cleanup() }
        let (anaDaemon, invite) = try await Self.founderAndPartialNode(ana, kenji, founderInit: ["--log-format", "2"])
        defer { anaDaemon.stop() }
        let root = ProgressTests.repositoryRoot
        let imported = try await ana.runOffPool(["import-twcs", "--file", root.appendingPathComponent("examples/data/twcs-demo.csv").path,
                                                 "--rules", root.appendingPathComponent("examples/rules.toml").path])
        #expect(imported.status == 0, "\(imported.stderr)")
        let billing = try Self.desk(ana.home, queue: "billing")
        #expect(billing.count > 3 && billing.count < 30, "the demo's billing queue: \(billing.count) tickets")

        #expect(try await kenji.runOffPool(["team", "join", try DaemonTests.inviteText(invite.stdout)]).status == 0)
        let kenjiDaemon = try DaemonTests.Daemon(home: kenji.home)
        defer { kenjiDaemon.stop() }
        let held = await eventually(seconds: 120) { (try? Self.desk(kenji.home)) == billing }
        #expect(held, "the partial node holds the billing tickets and their messages, nothing else: \((try? Self.desk(kenji.home))?.count ?? -1) of \(billing.count)\n\(kenjiDaemon.output)")

        // Kenji answers a billing ticket through his running node; Ana's node gets the reply.
        let key = try #require(billing.keys.sorted().first)
        #expect(try await kenji.runOffPool(["claim", key]).status == 0)
        let reply = try await kenji.runOffPool(["reply", key, "We are refunding the double charge"])
        #expect(reply.status == 0, "\(reply.stderr)")
        #expect(await eventually(seconds: 60) { (try? Self.desk(ana.home)[key]) == billing[key]! + 1 }, "\(kenjiDaemon.output)")

        let status = try await kenji.runOffPool(["status"])
        #expect(status.stdout.contains("Partial node:  queues billing: \(billing.count) ticket(s) held"), "\(status.stdout)")
        // Its peers: Ana's node, in sync, in `roost peers`; Kenji's node in Ana's, as a partial peer of billing.
        #expect(await eventually(seconds: 30) { ((try? await kenji.runOffPool(["peers"]))?.stdout ?? "").contains("Ana Lopez") })
        let peers = try await kenji.runOffPool(["peers"])
        #expect(peers.stdout.contains("in-sync"), "\(peers.stdout)")
        #expect(await eventually(seconds: 30) { ((try? await ana.runOffPool(["peers"]))?.stdout ?? "").contains("partial: billing") })
        let report = try await kenji.runOffPool(["report"])
        #expect(report.stdout.contains("This partial node's report covers the \(billing.count) tickets of queues billing and 0 this agent worked on in other queues."),
                "\(report.stdout)")
        #expect(!(try await ana.runOffPool(["report"])).stdout.contains("partial node"), "a full node's report covers the team")
        let verify = try await kenji.runOffPool(["verify"])
        #expect(verify.status == 0 && verify.stdout.contains("OK"), "\(verify.stdout)\(verify.stderr)")
    }

    /// A team that worked in format 1, moved to format 2 (`roost team format 2`), then took a partial node: the node
    /// holds the format 1 history whole (the roster that admits it, every ticket from before the switch) and, after the
    /// switch, only its queue's new tickets (SPEC-partial.md §P.2 rule 5, §P.3c).
    @Test func aPartialNodeOfATeamThatMovedToFormat2() async throws {
        let ana = try CLI(), kenji = try CLI()
        defer { ana.cleanup(); kenji.cleanup() }
        let (anaDaemon, invite) = try await Self.founderAndPartialNode(ana, kenji, founderInit: [])
        defer { anaDaemon.stop() }
        let anaHome = try NodeHome(path: ana.home.path)
        // The demo's first half in format 1, the second after the switch (a reply to an older tweet lands in its ticket).
        let root = ProgressTests.repositoryRoot
        let lines = try String(contentsOf: root.appendingPathComponent("examples/data/twcs-demo.csv"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: true)
        let half = lines.count / 2
        let first = ana.home.appendingPathComponent("first.csv"), second = ana.home.appendingPathComponent("second.csv")
        try (lines[..<half].joined(separator: "\n") + "\n").write(to: first, atomically: true, encoding: .utf8)
        try ([lines[0]] + lines[half...]).joined(separator: "\n").appending("\n").write(to: second, atomically: true, encoding: .utf8)
        let rules = root.appendingPathComponent("examples/rules.toml").path
        #expect(try await ana.runOffPool(["import-twcs", "--file", first.path, "--rules", rules]).status == 0)
        let switched = try await ana.runOffPool(["team", "format", "2", "--anyway"])
        #expect(switched.status == 0, "\(switched.stdout)\(switched.stderr)")
        #expect(try await ana.runOffPool(["import-twcs", "--file", second.path, "--rules", rules]).status == 0)
        let store = try OpStore(readOnlyPath: anaHome.databasePath)
        let history = try store.historyTicketKeys()
        let all = try Self.desk(ana.home), billing = try Self.desk(ana.home, queue: "billing")
        #expect(!history.isEmpty && history.count < all.count, "\(history.count) of \(all.count) tickets from before the switch")
        let expected = all.filter { history.contains($0.key) || billing[$0.key] != nil }
        #expect(expected.count < all.count, "some tickets after the switch are not billing's")

        #expect(try await kenji.runOffPool(["team", "join", try DaemonTests.inviteText(invite.stdout)]).status == 0)
        let kenjiDaemon = try DaemonTests.Daemon(home: kenji.home)
        defer { kenjiDaemon.stop() }
        let held = await eventually(seconds: 120) { (try? Self.desk(kenji.home)) == expected }
        #expect(held, "the history and billing's new tickets: \((try? Self.desk(kenji.home))?.count ?? -1) of \(expected.count)\n\(kenjiDaemon.output)")

        let status = try await kenji.runOffPool(["status"])
        #expect(status.stdout.contains("and the team's format 1 history whole ("), "\(status.stdout)")
        let outside = expected.keys.filter { history.contains($0) && billing[$0] == nil }.count
        let report = try await kenji.runOffPool(["report"])
        #expect(report.stdout.contains("0 this agent worked on in other queues and \(outside) of the team's format 1 history in other queues."),
                "\(report.stdout)")
        let verify = try await kenji.runOffPool(["verify"])
        #expect(verify.status == 0 && verify.stdout.contains("OK"), "\(verify.stdout)\(verify.stderr)")
    }
}
