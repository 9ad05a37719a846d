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

    @Test func aPartialNodeHoldsItsQueueAndAnswersThroughItsNode() async throws {
        let ana = try CLI(), kenji = try CLI()
        defer { ana.cleanup(); kenji.cleanup() }
        #expect(try await ana.runOffPool(["init", "--name", "Ana Lopez", "--initials", "al", "--log-format", "2"]).status == 0)
        let made = try await kenji.runOffPool(["init", "--name", "Kenji Sato", "--initials", "ks", "--queues", "billing"])
        #expect(made.status == 0 && made.stdout.contains("Queues:     billing (a partial node: these queues' tickets and the ones you work on)"),
                "\(made.stdout)\(made.stderr)")
        try DaemonTests.setListen(ana, freePort())
        try DaemonTests.setListen(kenji, freePort())
        let anaHome = try NodeHome(path: ana.home.path)
        let anaDaemon = try DaemonTests.Daemon(home: ana.home)
        defer { anaDaemon.stop() }
        #expect(try await eventually(seconds: 120) { NodeAPIFile.live(anaHome) != nil }, "\(anaDaemon.output)")
        #expect(try await ana.runOffPool(["team", "create", "--name", "Acme Care"]).status == 0)
        let invite = try await ana.runOffPool(["team", "invite", "--name", "Kenji Sato", "--role", "agent"])
        #expect(invite.status == 0, "\(invite.stderr)")
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
        let verify = try await kenji.runOffPool(["verify"])
        #expect(verify.status == 0 && verify.stdout.contains("OK"), "\(verify.stdout)\(verify.stderr)")
    }
}
