import Foundation
import Logging
import Testing
import RoostCore
import RoostNode
import RoostStore
@testable import RoostWeb
import RoostTestSupport

@Suite(.serialized) struct EventTests {
    /// Collects events from a running hub until `done` says so or `seconds` pass.
    func collect(_ hub: WebEventHub, until done: @escaping @Sendable ([WebEvent]) -> Bool, seconds: Double,
                 while act: @Sendable () async throws -> Void) async throws -> [WebEvent] {
        let stream = hub.subscribe()
        let running = Task { try await hub.run() }
        defer { running.cancel() }
        _ = await waitUntil(10) { hub.isWatching }  // ops from now on become events
        try await act()
        return await withTaskGroup(of: [WebEvent].self) { group in
            group.addTask {
                var events: [WebEvent] = []
                for await event in stream {
                    events.append(event)
                    if done(events) { break }
                }
                return events
            }
            group.addTask {
                try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
                hub.close()
                return []
            }
            var all: [WebEvent] = []
            for await part in group { all += part; if !part.isEmpty { group.cancelAll() } }
            return all
        }
    }

    @Test func localAndRemoteOpsBecomeEventsWithoutText() async throws {
        let ana = try WebFixture()
        let kenji = try WebFixture(name: "Kenji Sato", initials: "KS", sample: false)
        defer { ana.cleanup(); kenji.cleanup() }
        let key = try #require(try ana.web.desk.inbox(InboxFilter()).first?.key)
        try deliver(from: ana.node, to: kenji.node)
        let events = try await collect(ana.web.events, until: { events in [.tag, .note, .claim].allSatisfy { kind in events.contains { $0.kind == kind } } }, seconds: 5) {
            _ = try ana.web.desk.tag(key, "billing")                  // local
            _ = try kenji.web.desk.note(key, "secret customer words")  // remote, arrives as a peer's batch
            _ = try kenji.web.desk.claim(key)
            try deliver(from: kenji.node, to: ana.node)
        }
        let tag = try #require(events.first { $0.kind == .tag })
        #expect(tag.ticket == key && tag.local && tag.by == "Ana Lopez")
        let note = try #require(events.first { $0.kind == .note })
        #expect(note.ticket == key && !note.local && note.by == "Kenji Sato")
        let claim = try #require(events.first { $0.kind == .claim })
        #expect(claim.ticket == key && !claim.local && claim.detail == "claim")
        let encoded = String(decoding: try JSONEncoder().encode(events), as: UTF8.self)
        #expect(!encoded.contains("secret customer words"))
    }

    @Test func closingTheHubEndsEveryStream() async throws {
        let f = try WebFixture(sample: false)
        defer { f.cleanup() }
        let stream = f.web.events.subscribe()
        #expect(f.web.events.subscriberCount == 1)
        f.web.events.close()
        var count = 0
        for await _ in stream { count += 1 }
        #expect(count == 0)
        #expect(f.web.events.subscriberCount == 0)
        // A stream opened after closing ends at once.
        for await _ in f.web.events.subscribe() { Issue.record("no events after close") }
    }

    @Test func presenceExpires() {
        let board = PresenceBoard()
        board.report(.init(member: "Kenji Sato", ticket: "p1", activity: .replying, atMillis: 1_000, local: false))
        board.report(.init(member: "Ana Lopez", ticket: "p1", activity: .viewing, atMillis: 20_000, local: true))
        #expect(board.on("p1", now: 25_000).map(\.member) == ["Ana Lopez", "Kenji Sato"])
        #expect(board.on("p1", now: 1_000 + WebLimits.presenceTTLMillis + 1).map(\.member) == ["Ana Lopez"])
        #expect(board.on("p2", now: 25_000).isEmpty)
    }
}
