import Foundation
import Testing
import RoostCore
import RoostNode

/// Agents' availability (issue 15): set with a replicated op, judged the same on every node, offline once a
/// node has been silent too long, kept alive by heartbeats while a running node's member is quiet.
@Suite struct AvailabilityTests {
    @Test func theRuleCountsASilentNodeOfflineWhateverItSet() {
        let silent = AvailabilityRules.silentAfterMillis
        #expect(AvailabilityRules.effective(set: nil, lastOpMillis: t0, now: t0) == .online)
        #expect(AvailabilityRules.effective(set: .away, lastOpMillis: t0, now: t0 + silent) == .away)
        #expect(AvailabilityRules.effective(set: .online, lastOpMillis: t0, now: t0 + silent + 1) == .offline)
        #expect(AvailabilityRules.effective(set: .online, lastOpMillis: nil, now: t0) == .offline)
        #expect(AvailabilityRules.effective(set: .offline, lastOpMillis: t0, now: t0) == .offline)
        // A peer's clock ahead of ours: its newest op is "in the future", not silent.
        #expect(AvailabilityRules.effective(set: .online, lastOpMillis: t0 + 60_000, now: t0) == .online)
    }

    @Test func availabilityReplicatesAndEveryNodeJudgesItAlike() throws {
        let ana = try TestNode(), kenji = try TestNode(name: "Kenji Sato", initials: "KS")
        defer { ana.cleanup(); kenji.cleanup() }
        try kenji.desk(at: t0 + minute).setMyAvailability(.away)
        try ana.pull(from: kenji)
        try kenji.pull(from: ana)
        #expect(throws: DeskError.self) { try DeskService.availability("busy") }
        #expect(try DeskService.availability("Away") == .away)

        // Without a team only the node itself is listed: the roster decides who is a member.
        let anaMine = try ana.desk(at: t0 + 2 * minute).teamAvailability()
        #expect(anaMine.map(\.name) == ["Ana Lopez"])
        #expect(anaMine[0].isMe && anaMine[0].effective == .online && anaMine[0].set == nil)

        // Kenji's own view: away, set by him; the same op on Ana's node gives the same register.
        let kenjiMine = try kenji.desk(at: t0 + 2 * minute).teamAvailability()[0]
        #expect(kenjiMine.set == .away && kenjiMine.effective == .away && kenjiMine.lastOpMillis == t0 + minute)
        #expect(try ana.node.store.state.register(EntityRef("member", kenji.node.id.text), AvailabilityRules.field)?.stringValue == "away")
        #expect(try ana.node.store.lastOpMillisByAuthor()[kenji.node.id] == t0 + minute)

        // Silent past the limit: offline on both nodes at the same time.
        let later = t0 + minute + AvailabilityRules.silentAfterMillis + 1
        #expect(try kenji.desk(at: later).teamAvailability()[0].effective == .offline)
    }

    @Test func aQuietNodeHeartbeatsUnlessItsMemberIsOffline() throws {
        let ana = try TestNode()
        defer { ana.cleanup() }
        let opsBefore = try ana.node.store.opCount()
        // Just wrote (the profile at t0): nothing to do.
        #expect(try ana.desk(at: t0 + minute).heartbeatIfQuiet() == false)
        // Quiet for 5 minutes: one heartbeat, which resets the clock.
        let quiet = t0 + AvailabilityRules.heartbeatAfterMillis
        #expect(try ana.desk(at: quiet).heartbeatIfQuiet() == true)
        #expect(try ana.desk(at: quiet + minute).heartbeatIfQuiet() == false)
        #expect(try ana.node.store.opCount() == opsBefore + 1)
        #expect(try ana.node.store.lastOpMillisByAuthor()[ana.node.id] == quiet)
        // Offline by choice: no heartbeats, and after the silence limit the rule agrees.
        try ana.desk(at: quiet + minute).setMyAvailability(.offline)
        #expect(try ana.desk(at: quiet + 60 * minute).heartbeatIfQuiet() == false)
        #expect(try ana.desk(at: quiet + 60 * minute).teamAvailability()[0].effective == .offline)
    }
}

/// `roost agent status` end to end, with exact output.
@Suite struct AvailabilityCLITests {
    @Test func agentStatusSetsAndShowsTheTeamsAvailability() async throws {
        let ana = try CLI()
        defer { ana.cleanup() }
        _ = try await ana.runOffPool(["init", "--name", "Ana Lopez", "--initials", "AL"])
        _ = try await ana.runOffPool(["team", "create", "--name", "Hilton Suggests"])
        #expect(try await ana.runOffPool(["agent", "status"]).stdout == "  Ana Lopez  online   (you)\n")
        #expect(try await ana.runOffPool(["agent", "status", "away"]).stdout == "You are away.\n")
        #expect(try await ana.runOffPool(["agent", "status"]).stdout == "  Ana Lopez  away     (you)\n")
        let json = try await ana.runOffPool(["agent", "status", "--json"]).stdout
        let lines = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        #expect(lines.count == 1 && lines[0]["set"] as? String == "away" && lines[0]["effective"] as? String == "away")
        let bad = try await ana.runOffPool(["agent", "status", "busy"])
        #expect(bad.status != 0 && bad.stderr == "Error: status \"busy\" is not one of: online, away, offline\n")
        #expect(try await ana.runOffPool(["agent", "status"]).stdout == "  Ana Lopez  away     (you)\n")
    }
}
