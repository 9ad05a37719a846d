import Foundation
import Testing
import RoostCore
import RoostNode
import RoostStore
import RoostTestSupport

/// While `roost run` serves a home, desk commands go through its local API (the node is the one writer of
/// its store); with no node running, or once it stops, they open the store directly.
@Suite(.serialized) struct OneWriterTests {
    @Test func deskCommandsGoThroughTheRunningNodeAndFallBackToTheStore() async throws {
        let cli = try CLI()
        defer { cli.cleanup() }
        #expect(try await cli.runOffPool(["init", "--name", "Ana Lopez", "--initials", "al"]).status == 0)
        let sample = ProgressTests.repositoryRoot.appendingPathComponent("examples/x-sample.jsonl").path
        #expect(try await cli.runOffPool(["ingest", "--file", sample, "--brand-handles", "AcmeCare"]).status == 0)
        try DaemonTests.setListen(cli, freePort())
        let home = try NodeHome(path: cli.home.path)
        let key = try #require(try DeskService(node: home.open()).inbox(InboxFilter()).first?.key)

        // No node running: direct, and no api.json is left behind by anyone.
        let direct = try await cli.runOffPool(["claim", key, "--json"])
        #expect(direct.status == 0, "\(direct.stderr)")
        #expect(!direct.stdout.contains("\"via\""))
        #expect(NodeAPIFile.read(home) == nil)

        let daemon = try DaemonTests.Daemon(home: cli.home)
        defer { daemon.stop() }
        #expect(try await eventually(seconds: 120) { NodeAPIFile.live(home) != nil }, "\(daemon.output)")
        #expect(NodeAPIFile.live(home)?.pid == daemon.process.processIdentifier)

        let claimed = try await cli.runOffPool(["claim", key, "--lease", "45", "--json"])
        #expect(claimed.status == 0, "\(claimed.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(claimed.stdout.utf8)) as? [String: String]
        #expect(object == ["ticket": key, "lease_minutes": "45", "via": "api"])
        let tagged = try await cli.runOffPool(["tag", key, "billing", "vip"])
        #expect(tagged.status == 0 && tagged.stdout == "Tagged \(key): billing, vip\n", "\(tagged.stderr)")
        let noted = try await cli.runOffPool(["note", key, "called the store", "--json"])
        #expect(noted.stdout.contains("\"via\" : \"api\""), "\(noted.stdout)")
        let untagged = try await cli.runOffPool(["untag", key, "vip"])
        #expect(untagged.stdout == "Removed tag vip from \(key)\n", "\(untagged.stderr)")
        // An error from the node is one line, as the direct path gives it.
        let bad = try await cli.runOffPool(["resolve", key, "--as", "nonsense"])
        #expect(bad.status != 0 && bad.stderr.contains("nonsense") && bad.stderr.split(separator: "\n").count == 1, "\(bad.stderr)")
        let missing = try await cli.runOffPool(["claim", "p999999999", "--json"])
        #expect(missing.status != 0 && !missing.stderr.isEmpty)
        let resolved = try await cli.runOffPool(["resolve", key, "--as", "answered", "--json"])
        #expect(resolved.stdout.contains("\"via\" : \"api\""), "\(resolved.stdout)\(resolved.stderr)")

        let view = try DeskService(node: home.open()).ticketView(key)
        #expect(view.tags == ["billing"])
        #expect(view.resolution == "answered")
        #expect(view.thread.contains { $0.direction == .note && $0.text == "called the store" })

        // The node stops: api.json goes with it, and commands open the store again.
        daemon.stop()
        #expect(NodeAPIFile.read(home) == nil)
        let after = try await cli.runOffPool(["tag", key, "after", "--json"])
        #expect(after.status == 0 && !after.stdout.contains("\"via\""), "\(after.stdout)\(after.stderr)")

        // A file left by a process that is gone is ignored.
        try NodeAPIFile(pid: daemon.process.processIdentifier, address: "127.0.0.1:9", writtenMillis: 0).write(home)
        #expect(NodeAPIFile.live(home) == nil)
        let stale = try await cli.runOffPool(["untag", key, "after", "--json"])
        #expect(stale.status == 0 && !stale.stdout.contains("\"via\""), "\(stale.stderr)")
    }

    /// `roost op …` writes go through the running node as well, refuse the same way, and fall back to the store.
    @Test func lowLevelOpsGoThroughTheRunningNode() async throws {
        let cli = try CLI()
        defer { cli.cleanup() }
        #expect(try await cli.runOffPool(["init", "--name", "Ana Lopez", "--initials", "al"]).status == 0)
        try DaemonTests.setListen(cli, freePort())
        let home = try NodeHome(path: cli.home.path)
        let daemon = try DaemonTests.Daemon(home: cli.home)
        defer { daemon.stop() }
        #expect(try await eventually(seconds: 120) { NodeAPIFile.live(home) != nil }, "\(daemon.output)")

        func json(_ text: String) -> [String: String] {
            (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: String] ?? [:]
        }
        let opsBefore = try OpStore(readOnlyPath: home.databasePath).opCount()
        for (args, kind) in [(["insert", "widget/1", "color=red", "size=m"], "insert"), (["set", "widget/1", "color", "blue"], "set"),
                             (["tag", "widget/1", "urgent"], "tag"), (["claim", "widget/1", "--lease", "10"], "claim")] {
            let made = try await cli.runOffPool(["op"] + args + ["--json"])
            #expect(made.status == 0, "\(args): \(made.stderr)")
            #expect(json(made.stdout)["via"] == "api" && json(made.stdout)["kind"]?.hasPrefix(kind) == true, "\(made.stdout)")
        }
        #expect(try OpStore(readOnlyPath: home.databasePath).opCount() == opsBefore + 4)
        // Refusals come from the node as one line, and write nothing.
        let noTag = try await cli.runOffPool(["op", "untag", "widget/1", "missing"])
        #expect(noTag.status != 0 && noTag.stderr == "Error: widget/1 has no tag \"missing\"\n", "\(noTag.stderr)")
        let badLease = try await cli.runOffPool(["op", "claim", "widget/1", "--lease", "0"])
        #expect(badLease.status != 0 && badLease.stderr.split(separator: "\n").count == 1, "\(badLease.stderr)")
        let badEntity = try await cli.runOffPool(["op", "set", "widget", "color", "red"])
        #expect(badEntity.status != 0 && badEntity.stderr.contains("is not COLLECTION/KEY"), "\(badEntity.stderr)")
        #expect(try OpStore(readOnlyPath: home.databasePath).opCount() == opsBefore + 4)
        let untagged = try await cli.runOffPool(["op", "untag", "widget/1", "urgent", "--json"])
        #expect(json(untagged.stdout)["via"] == "api", "\(untagged.stdout)\(untagged.stderr)")
        let released = try await cli.runOffPool(["op", "release", "widget/1", "--json"])
        #expect(json(released.stdout)["via"] == "api", "\(released.stdout)\(released.stderr)")

        let shown = try await cli.runOffPool(["op", "show", "widget/1", "--json"])
        let state = try #require(try JSONSerialization.jsonObject(with: Data(shown.stdout.utf8)) as? [String: Any])
        #expect((state["fields"] as? [String: String])?["color"] == "\"blue\"")
        #expect((state["inserted"] as? [String: String])?["size"] == "\"m\"")
        #expect((state["tags"] as? [String]) == [] && state["holder"] == nil)

        // Once the node stops, the same command opens the store.
        daemon.stop()
        let direct = try await cli.runOffPool(["op", "tag", "widget/1", "later", "--json"])
        #expect(direct.status == 0 && json(direct.stdout)["via"] == nil && json(direct.stdout)["kind"] != nil, "\(direct.stdout)\(direct.stderr)")
    }
}
