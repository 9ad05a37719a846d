import Foundation
import RoostTestSupport
import Testing
import RoostCore
import RoostNode
import RoostSync

/// `events` reads the daemon's `events.jsonl`; `--follow` streams lines appended while it runs.
@Suite(.serialized) struct InspectEventsTests {
    static func events(peer: String) -> [SyncEvent] {
        [
            SyncEvent(atMillis: baseMillis + 1_000, kind: .connected, peer: peer, address: "\(peer)@127.0.0.1:7171"),
            SyncEvent(atMillis: baseMillis + 1_200, kind: .batchApplied, peer: peer, ops: 12),
            SyncEvent(atMillis: baseMillis + 2_000, kind: .handshakeRefused, address: "10.0.0.9:7170", reason: "wrong-network-key"),
            SyncEvent(atMillis: baseMillis + 3_000, kind: .fork, peer: peer, reason: "fork", op: "ABCDEFG/1/3"),
            SyncEvent(atMillis: baseMillis + 4_000, kind: .disconnected, peer: peer),
        ]
    }

    @Test func eventsPrintsTheDaemonsEventFile() throws {
        let team = try FixtureTeam()
        defer { team.cleanup() }
        let home = NodeHome(path: team.ana.home.path)
        let empty = try Inspector.run(["events", "--home", home.url.path])
        #expect(empty.stdout == "No events yet (events.jsonl is written by `roost run`).\n")

        let file = EventsFile(home: home)
        let peer = team.ben.id.text
        for event in Self.events(peer: peer) { file.append(event) }
        let result = try Inspector.run(["events", "--home", home.url.path])
        #expect(result.status == 0, "\(result.stderr)")
        let b = team.ben.id.short
        #expect(result.stdout == """
            2026-01-01T00:00:01.000Z  connected          \(b)  address \(peer)@127.0.0.1:7171
            2026-01-01T00:00:01.200Z  batch-applied      \(b)  12 op(s)
            2026-01-01T00:00:02.000Z  handshake-refused  -------  address 10.0.0.9:7170, reason wrong-network-key
            2026-01-01T00:00:03.000Z  fork               \(b)  op ABCDEFG/1/3, reason fork
            2026-01-01T00:00:04.000Z  disconnected       \(b)

            """)
        let json = try Inspector.run(["events", "--home", home.url.path, "--json", "--last", "1"])
        #expect(json.stdout == "{\"atMillis\":\(baseMillis + 4_000),\"kind\":\"disconnected\",\"peer\":\"\(peer)\"}\n")
    }

    @Test func theEventsFileRotatesAtItsLimitKeepingOneOldGeneration() throws {
        let team = try FixtureTeam()
        defer { team.cleanup() }
        let home = NodeHome(path: team.ana.home.path)
        let peer = team.ben.id.text
        let line = try JSONEncoder().encode(Self.events(peer: peer)[0]).count + 1
        let file = EventsFile(home: home, limit: line * 3)
        for index in 0..<8 {
            file.append(SyncEvent(atMillis: baseMillis + UInt64(index), kind: .connected, peer: peer, address: "\(peer)@127.0.0.1:7171"))
        }
        // 8 lines of equal size, 3 per file: the current file holds the last 2, the rotated one the 3 before.
        let current = try String(contentsOf: file.url, encoding: .utf8).split(separator: "\n")
        let rotated = try String(contentsOf: file.rotatedURL, encoding: .utf8).split(separator: "\n")
        #expect(current.count == 2 && rotated.count == 3)
        let all = try Inspector.run(["events", "--home", home.url.path, "--json"])
        let times = all.stdout.split(separator: "\n").compactMap {
            (try? JSONDecoder().decode(SyncEvent.self, from: Data($0.utf8)))?.atMillis
        }
        #expect(times == (3..<8).map { baseMillis + UInt64($0) })
    }

    @Test func followStreamsEventsAppendedWhileItRuns() throws {
        let team = try FixtureTeam()
        defer { team.cleanup() }
        let home = NodeHome(path: team.ana.home.path)
        let file = EventsFile(home: home)
        let events = Self.events(peer: team.ben.id.text)
        file.append(events[0])

        let process = ProcessRunner(product: "roost-inspect").process(["events", "--follow", "--json", "--home", home.url.path])
        let out = Pipe()
        process.standardOutput = out
        let received = LockedLines()
        out.fileHandleForReading.readabilityHandler = { handle in received.append(handle.availableData) }
        try process.run()
        defer {
            process.terminate()
            // Never hang the suite: SIGKILL if SIGTERM did not end it.
            let deadline = Date().addingTimeInterval(5)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            out.fileHandleForReading.readabilityHandler = nil
        }
        #expect(received.waitFor(lines: 1, seconds: 20))
        file.append(events[1])
        file.append(events[2])
        #expect(received.waitFor(lines: 3, seconds: 20))
        let decoded = received.lines.compactMap { try? JSONDecoder().decode(SyncEvent.self, from: Data($0.utf8)) }
        #expect(decoded == Array(events[0...2]))
    }
}

/// Lines read from a pipe on another thread.
final class LockedLines: @unchecked Sendable {
    private let lock = NSLock()
    private var buffer = Data()

    func append(_ data: Data) { lock.withLock { buffer.append(data) } }

    var lines: [String] {
        lock.withLock { String(decoding: buffer, as: UTF8.self).split(separator: "\n").map(String.init) }
    }

    func waitFor(lines count: Int, seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if lines.count >= count { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return lines.count >= count
    }
}

/// `heard-vectors.json` keeps the last vector of every peer ever heard, across daemon restarts.
@Suite struct HeardVectorsFileTests {
    @Test func updatesMergeEntryWiseAndKeepPeersNotHeardSince() throws {
        let team = try FixtureTeam()
        defer { team.cleanup() }
        let home = NodeHome(path: team.ana.home.path)
        let ben = try team.ben.store.versionVector()
        HeardVectorsFile.update(home, heard: [team.ben.id: ben, team.cy.id: team.cyHeardVector], nowMillis: baseMillis + 1)
        // A restarted daemon has heard only Cy so far, and an older vector of it than the file holds.
        var older = team.cyHeardVector
        older[team.cy.local.log] = 1
        HeardVectorsFile.update(home, heard: [team.cy.id: older], nowMillis: baseMillis + 2)
        let file = try #require(HeardVectorsFile.load(home))
        #expect(file.writtenMillis == baseMillis + 2)
        let byNode = Dictionary(uniqueKeysWithValues: file.vectors.map { ($0.node, $0) })
        #expect(byNode[team.ben.id.text].map { VectorEntry.vector(of: $0.vector) } == ben)
        #expect(byNode[team.cy.id.text].map { VectorEntry.vector(of: $0.vector) } == team.cyHeardVector)
        // Nothing new was heard from Cy: its heard time stays the first one.
        #expect(byNode[team.cy.id.text]?.heardMillis == baseMillis + 1)
    }
}
