import Foundation
import NIOPosix
import Testing
import RoostCore
import RoostNode
import RoostStore
import RoostTestSupport

/// `roost run` as separate processes on 127.0.0.1: a team of three formed with invites alone finds its
/// members through peer exchange, and a node killed with SIGKILL in the middle of a sync loses nothing.
@Suite(.serialized) struct DaemonTests {
    /// A `roost run` process.
    final class Daemon: @unchecked Sendable {
        let process: Process
        let log: URL

        init(home: URL) throws {
            log = home.appendingPathComponent("run.log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            process = ProcessRunner(product: "roost").process(["run", "--home", home.path, "--log-level", "info"])
            let handle = try FileHandle(forWritingTo: log)
            process.standardError = handle
            process.standardOutput = handle
            try process.run()
        }

        func stop() {
            guard process.isRunning else { return }
            process.terminate()
            process.waitUntilExit()
        }

        func kill9() {
            guard process.isRunning else { return }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }

        var output: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }
    }

    static func setListen(_ cli: CLI, _ port: Int) throws {
        let url = cli.home.appendingPathComponent("config.json")
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        object["listen"] = "127.0.0.1:\(port)"
        object["api"] = "127.0.0.1:\(freePort())"  // each node's web app on its own port
        try JSONSerialization.data(withJSONObject: object).write(to: url)
    }

    static func inviteText(_ output: String) throws -> String {
        let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("    roost team join ") })
        return line.replacingOccurrences(of: "    roost team join ", with: "")
    }

    static func vector(_ cli: CLI) throws -> VersionVector {
        try OpStore(readOnlyPath: cli.home.appendingPathComponent("node.sqlite").path).versionVector()
    }

    @Test func aTeamFormedByInvitesFindsItsMembersThroughPeerExchange() async throws {
        let ana = try CLI(), kenji = try CLI(), lea = try CLI()
        var daemons: [Daemon] = []
        defer {
            for daemon in daemons { daemon.stop() }
            for cli in [ana, kenji, lea] { cli.cleanup() }
        }
        try await ana.runOffPool(["init", "--name", "Ana Lopez", "--initials", "AL"])
        try await kenji.runOffPool(["init", "--name", "Kenji Sato", "--initials", "KS"])
        try await lea.runOffPool(["init", "--name", "Lea Park", "--initials", "LP"])
        let ports = (0..<3).map { _ in freePort() }
        for (cli, port) in zip([ana, kenji, lea], ports) { try Self.setListen(cli, port) }
        try await ana.runOffPool(["team", "create", "--name", "Hilton Suggests"])
        // Both invites point at Ana only; Kenji and Lea learn each other's address from the team.
        let kenjiInvite = try Self.inviteText(try await ana.runOffPool(["team", "invite", "--name", "Kenji Sato"]).stdout)
        let leaInvite = try Self.inviteText(try await ana.runOffPool(["team", "invite", "--name", "Lea Park", "--role", "lead"]).stdout)
        #expect(try await kenji.runOffPool(["team", "join", kenjiInvite]).status == 0)
        #expect(try await lea.runOffPool(["team", "join", leaInvite]).status == 0)
        daemons = try [ana, kenji, lea].map { try Daemon(home: $0.home) }
        // The clocks below start once every daemon runs: under a loaded full run a debug `roost run` took
        // over 20 s to start, which once ate the whole window for peer exchange.
        let running = await eventually(seconds: 240) {
            [ana, kenji, lea].allSatisfy { PeersFile.load(NodeHome(path: $0.home.path)) != nil }
        }
        #expect(running, "\(daemons.map { String($0.output.suffix(1000)) })")

        let shown = await eventually(seconds: 30) {
            let out = (try? ana.run(["team", "show"]).stdout) ?? ""
            return out.contains("Kenji Sato  agent") && out.contains("Lea Park    lead")
        }
        let roster = try await ana.runOffPool(["team", "show"]).stdout
        #expect(shown, "\(roster)\n\(daemons[0].output.suffix(3000))")
        let kenjiID = try NodeHome(path: kenji.home.path).open().id
        let leaID = try NodeHome(path: lea.home.path).open().id
        // Lea dials Kenji (or he her) at the address he published, though neither config names the other.
        let linked = await eventually(seconds: 90) {
            guard let peers = PeersFile.load(NodeHome(path: lea.home.path))?.peers else { return false }
            return peers.contains { $0.node == kenjiID.text && $0.connected }
        }
        #expect(linked, "\(daemons[2].output.suffix(3000))")
        // Work on one node shows on the others.
        let noted = try await kenji.runOffPool(["op", "set", "ticket/p1", "status", "open"])
        #expect(noted.status == 0, "\(noted.stderr)")
        #expect(await eventually(seconds: 90) { (try? Self.vector(lea)) == (try? Self.vector(kenji)) })
        #expect(try Self.vector(ana) == Self.vector(lea))
        _ = leaID
        for daemon in daemons { daemon.stop() }
        // A clean shutdown: no error logged, every store verifies.
        for cli in [ana, kenji, lea] { #expect(try await cli.runOffPool(["verify"]).status == 0) }
    }

    @Test func aNodeKilledMidSyncLosesNothingAndConverges() async throws {
        let ana = try CLI(), kenji = try CLI()
        var daemons: [Daemon] = []
        defer {
            for daemon in daemons { daemon.kill9() }
            for cli in [ana, kenji] { cli.cleanup() }
        }
        try await ana.runOffPool(["init", "--name", "Ana Lopez", "--initials", "AL"])
        try await kenji.runOffPool(["init", "--name", "Kenji Sato", "--initials", "KS"])
        let anaPort = freePort()
        try Self.setListen(ana, anaPort)
        try Self.setListen(kenji, freePort())
        try await ana.runOffPool(["team", "create", "--name", "Hilton Suggests"])
        let invite = try Self.inviteText(try await ana.runOffPool(["team", "invite", "--name", "Kenji Sato"]).stdout)
        #expect(try await kenji.runOffPool(["team", "join", invite]).status == 0)
        // 150,000 ops on Ana's node, in sealed runs of 1,000.
        let anaNode = try NodeHome(path: ana.home.path).open()
        for run in 0..<150 {
            _ = try anaNode.append((0..<1_000).map { index in
                .set(entity: EntityRef(Desk.ticket, "p\(run)"), field: "note.\(index)", value: .int(Int64(run * 1_000 + index)))
            })
        }
        let anaLog = LogID(author: anaNode.id, epoch: anaNode.author.epoch)
        let total = try anaNode.store.versionVector()[anaLog]

        daemons.append(try Daemon(home: ana.home))
        var kenjiDaemon = try Daemon(home: kenji.home)
        daemons.append(kenjiDaemon)
        // Watched and killed from a Dispatch thread: a poller on the cooperative pool was starved for the whole sync
        // in a loaded full run (2 cores) and saw it only once it had finished.
        let killing = kenjiDaemon
        let partial = await withCheckedContinuation { (done: CheckedContinuation<Bool, Never>) in
            DispatchQueue.global().async {
                let deadline = Date().addingTimeInterval(60)
                while Date() < deadline {
                    let held = (try? Self.vector(kenji))?[anaLog] ?? 0
                    if held > 0 && held < total {
                        killing.kill9()
                        return done.resume(returning: true)
                    }
                    usleep(2_000)
                }
                done.resume(returning: false)
            }
        }
        kenjiDaemon.kill9()
        let heldAtKill = try Self.vector(kenji)[anaLog]
        #expect(partial, "caught the sync in the middle (held \(heldAtKill) of \(total))")
        // What was committed survives the kill: the store opens, verifies, and holds a sealed prefix.
        let verifiedAfterKill = try await kenji.runOffPool(["verify"])
        #expect(verifiedAfterKill.status == 0, "\(verifiedAfterKill.stdout)")
        #expect(try Self.vector(kenji)[anaLog] == heldAtKill)

        kenjiDaemon = try Daemon(home: kenji.home)
        daemons.append(kenjiDaemon)
        // Ana's daemon adds a few ops of its own (Kenji's admission, its address): compare with hers now.
        let converged = await eventually(seconds: 120) {
            let held = (try? Self.vector(kenji))?[anaLog] ?? 0
            return held >= total && held == (try? Self.vector(ana))?[anaLog]
        }
        let heldNow = try Self.vector(kenji)[anaLog]
        #expect(converged, "held \(heldNow) of \(total)\n\(kenjiDaemon.output.suffix(3000))\n--- ana\n\(daemons[0].output.suffix(3000))")
        kenjiDaemon.stop()
        let verified = try await kenji.runOffPool(["verify"])
        #expect(verified.status == 0, "\(verified.stdout)")
        daemons[0].stop()
        #expect(try Self.vector(kenji) == Self.vector(ana))
        #expect(try OpStore(readOnlyPath: kenji.home.appendingPathComponent("node.sqlite").path).stateHash()
                == anaNode.store.stateHash())
    }
}
