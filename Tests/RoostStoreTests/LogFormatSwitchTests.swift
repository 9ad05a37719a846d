import Testing
import RoostCore
import RoostCrypto
@testable import RoostStore

/// The team's `log_format` setting (DESIGN-format-2.md F2.9 point 1): when an admin's write of `team/settings`
/// `log_format` says 2, each node's next local append starts a new epoch in format 2; its format 1 log stays as it was.
@Suite struct LogFormatSwitchTests {
    static let settings = EntityRef(Desk.team, "settings")
    static func ticket(_ n: Int) -> OpBody { .set(entity: EntityRef(Desk.ticket, "p\(n % 3)"), field: "status", value: .string("open-\(n)")) }
    static func ask(_ format: Int) -> OpBody { .set(entity: settings, field: OpStore.logFormatSetting, value: .int(Int64(format))) }

    /// Copies everything `from` holds that `to` lacks, format 1 batches then format 2 batches.
    static func copy(_ from: OpStore, to: OpStore, at millis: UInt64) throws {
        let clock = FixedClock(millis: millis)
        try to.apply(try from.batch(after: try to.versionVector(), limit: 100_000), clock: clock)
        for batch in try from.batchesV2(after: try to.versionVector(), limit: 100_000) { try to.apply(v2: batch, clock: clock) }
    }

    @Test func anAdminsLogFormat2MovesEachNodeToFormat2InANewEpoch() throws {
        let founder = try TestAuthor(seed: 61, epoch: 11)
        let kenji = try TestAuthor(seed: 62, epoch: 22)
        for author in [founder, kenji] {
            try author.store.bindLocalLog(author.local.log)
            try author.store.team.setFounder(founder.id)
        }
        var millis = baseMillis
        func tick() -> FixedClock { millis += 10; return FixedClock(millis: millis) }
        try founder.store.appendLocal([RosterChange.body(member: kenji.id, .role(.agent)), Self.ticket(0)], by: founder.local, clock: tick())
        try Self.copy(founder.store, to: kenji.store, at: millis)
        try kenji.store.appendLocal([Self.ticket(1)], by: kenji.local, clock: tick())

        // An agent's write is not the team's: nobody switches.
        try kenji.store.appendLocal([Self.ask(2)], by: kenji.local, clock: tick())
        try Self.copy(kenji.store, to: founder.store, at: millis)
        #expect(try founder.store.teamLogFormat() == 1)
        #expect(try founder.store.currentLocalAuthor(founder.local).log == founder.local.log)

        // The founder (an admin) asks; the op asking is still format 1, the next one starts a format 2 epoch.
        let asked = try founder.store.appendLocal([Self.ask(2)], by: founder.local, clock: tick())
        #expect(asked.ops[0].ref.log == founder.local.log)
        #expect(try founder.store.teamLogFormat() == 2)
        let next = try founder.store.appendLocal([Self.ticket(2)], by: founder.local, clock: tick())
        let newLog = next.ops[0].ref.log
        #expect(newLog.author == founder.id && newLog.epoch != founder.local.epoch && next.ops[0].ref.seq == 1)
        #expect(try founder.store.localLog() == newLog)
        #expect(try founder.store.localLogFormat() == 2)
        #expect(try founder.store.format2Logs() == [newLog])
        let oldHead = try founder.store.versionVector()[founder.local.log]
        // Appended again: the same new epoch, not another.
        try founder.store.appendLocal([Self.ticket(3)], by: founder.local, clock: tick())
        #expect(try founder.store.versionVector()[newLog] == 2)
        #expect(try founder.store.versionVector()[founder.local.log] == oldHead)

        // Kenji merges the setting and moves too, at his next append.
        try Self.copy(founder.store, to: kenji.store, at: millis)
        #expect(try kenji.store.localLogFormat() == 1, "nothing switches before an append")
        try kenji.store.appendLocal([Self.ticket(4)], by: kenji.local, clock: tick())
        let kenjiNew = try #require(try kenji.store.localLog())
        #expect(kenjiNew.epoch != kenji.local.epoch)
        #expect(try kenji.store.localLogFormat() == 2)

        // Asking for format 1 again does not move a node back: a log's format is fixed, and format 2 logs stay.
        try founder.store.appendLocal([Self.ask(1)], by: founder.local, clock: tick())
        try founder.store.appendLocal([Self.ticket(5)], by: founder.local, clock: tick())
        #expect(try founder.store.localLog() == newLog)

        // Everything converges on a fresh replica and verifies.
        try Self.copy(kenji.store, to: founder.store, at: millis)
        try Self.copy(founder.store, to: kenji.store, at: millis)
        let replica = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        try replica.team.setFounder(founder.id)
        try Self.copy(founder.store, to: replica, at: millis)
        #expect(try replica.versionVector() == founder.store.versionVector())
        #expect(try replica.stateHash() == founder.store.stateHash())
        #expect(try kenji.store.stateHash() == founder.store.stateHash())
        #expect(try replica.format2Logs() == [newLog, kenjiNew])
        for store in [founder.store, kenji.store, replica] { #expect(try store.verify().problems == []) }
    }

    @Test func aScratchStoreAndANodeWithoutATeamKeepTheirFormat() throws {
        let solo = try TestAuthor(seed: 63, epoch: 7)
        // No team: a `log_format` write is nobody's to judge, so it asks for nothing.
        try solo.store.bindLocalLog(solo.local.log)
        try solo.store.appendLocal([Self.ask(2)], by: solo.local, clock: FixedClock(millis: baseMillis))
        try solo.store.appendLocal([Self.ticket(0)], by: solo.local, clock: FixedClock(millis: baseMillis + 1))
        #expect(try solo.store.localLog() == solo.local.log)
        // A database bound to another node refuses to append as this one.
        let other = try TestAuthor(seed: 64, epoch: 8)
        #expect(throws: StoreError.self) {
            try solo.store.appendLocal([Self.ticket(1)], by: other.local, clock: FixedClock(millis: baseMillis + 2))
        }
    }
}
