import Foundation
import Testing
import RoostCore
import RoostCrypto
import RoostNode
import RoostStore
import RoostSync

/// Offline bundles between node homes: sealed to members only, applied like a peer's batches, and
/// refused whole when a byte is altered.
@Suite(.serialized) struct BundleTests {
    struct Homes {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("roost-bundle-\(UUID().uuidString)")
        let ana: Node, kenji: Node, mallory: Node

        init() throws {
            ana = try RosterTCPTests.makeNode("Ana Lopez", "AL", root: root)
            kenji = try RosterTCPTests.makeNode("Kenji Sato", "KS", root: root)
            mallory = try RosterTCPTests.makeNode("Mallory", "MM", root: root)
            _ = try ana.home.createTeam(name: "Hilton Suggests", node: ana)
            // Kenji is admitted by the founder; his node pins the founder as a joining node does.
            _ = try ana.append([RosterChange.body(member: kenji.id, .role(.agent))])
            try kenji.store.team.setFounder(ana.id)
            try mallory.store.team.setFounder(ana.id)
        }

        /// Ana and Kenji exchange bundles both ways (Ana's sealed to Kenji, Kenji's to everyone).
        func sync() throws {
            _ = try kenji.home.importBundle(try ana.home.exportBundle(node: ana, for: [kenji.id]), node: kenji)
            _ = try ana.home.importBundle(try kenji.home.exportBundle(node: kenji, for: nil), node: ana)
        }

        func cleanup() { try? FileManager.default.removeItem(at: root) }
    }

    @Test func aBundleCarriesOpsBothWaysToMembersOnly() throws {
        let homes = try Homes()
        defer { homes.cleanup() }
        _ = try homes.ana.append([.set(entity: EntityRef(Desk.ticket, "p1"), field: "priority", value: .string("high"))])
        let toKenji = try homes.ana.home.exportBundle(node: homes.ana, for: [homes.kenji.id])
        var steps: [(Int, Int)] = []
        let imported = try homes.kenji.home.importBundle(toKenji, node: homes.kenji) { steps.append(($0, $1)) }
        // Progress per batch, in ops: rising to the bundle's total.
        #expect(!steps.isEmpty && steps.last.map { $0.0 == $0.1 } == true && steps.last!.1 >= imported.applied)
        #expect(zip(steps, steps.dropFirst()).allSatisfy { $0.0 < $1.0 })
        #expect(imported.applied == (try homes.ana.store.versionVector()).entries.values.reduce(0, +))
        #expect(try homes.kenji.store.state.register(EntityRef(Desk.ticket, "p1"), "priority") == .string("high"))
        #expect(try homes.kenji.store.state.register(EntityRef("team", "info"), "name") == .string("Hilton Suggests"))
        // Importing twice changes nothing.
        #expect(try homes.kenji.home.importBundle(toKenji, node: homes.kenji).applied == 0)

        // Back the other way, sealed to every member: Ana gets Kenji's profile.
        let back = try homes.kenji.home.exportBundle(node: homes.kenji, for: nil)
        _ = try homes.ana.home.importBundle(back, node: homes.ana)
        #expect(try DeskService(node: homes.ana).memberName(homes.kenji.id) == "Kenji Sato")
        #expect(try homes.ana.store.stateHash() == homes.kenji.store.stateHash())

        // Not addressed to Mallory (not a member): refused, nothing applied.
        #expect(throws: NodeError.invalidArgument("this bundle is not addressed to this node")) {
            try homes.mallory.home.importBundle(toKenji, node: homes.mallory)
        }
        #expect(throws: NodeError.self) { try homes.ana.home.exportBundle(node: homes.ana, for: [homes.mallory.id]) }
    }

    /// A node that holds a format 2 log (a member writing format 2, received over a version 4 session) exports it too, as
    /// `runs-v2` entries after the format 1 batches (SPEC-sync.md §2b.11, §2b.19); before, bundles carried format 1 only.
    @Test func aBundleCarriesAFormat2Log() throws {
        let homes = try Homes()
        defer { homes.cleanup() }
        let lena = LocalAuthor(key: try SigningKey(seed: [UInt8](repeating: 51, count: 32)), epoch: 9, format: 2)
        _ = try homes.ana.append([RosterChange.body(member: lena.id, .role(.agent))])
        let lenaStore = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        for round in 0..<3 {
            let appended = try lenaStore.append(v2: [
                .set(entity: EntityRef(Desk.ticket, "p\(round % 2)"), field: "priority", value: .string("p\(round)")),
                .tagAdd(entity: EntityRef(Desk.ticket, "p\(round)"), tag: "format2")], by: lena, clock: SystemClock())
            _ = try homes.ana.store.apply(v2: appended.batch, clock: SystemClock())
        }
        let bytes = try homes.ana.home.exportBundle(node: homes.ana, for: [homes.kenji.id])
        let opened = try OfflineBundle.open(bytes, as: homes.kenji.author.key)
        #expect(opened.runsV2.joined().map(\.author) == [lena.id] && opened.runsV2.joined().reduce(0) { $0 + $1.ops.count } == 6)
        let imported = try homes.kenji.home.importBundle(bytes, node: homes.kenji)
        let held = try homes.ana.store.opCount()
        #expect(imported.batches == opened.entryCount && imported.applied == held)
        #expect(try homes.kenji.store.versionVector()[lena.log] == 6)
        #expect(try homes.kenji.store.state.tags(of: EntityRef(Desk.ticket, "p2")) == ["format2"])
        #expect(try homes.kenji.home.importBundle(bytes, node: homes.kenji).applied == 0, "importing twice changes nothing")
        // Back the other way: Kenji's own ops, and Lena's format 2 log again (all duplicates at Ana).
        let back = try homes.ana.home.importBundle(try homes.kenji.home.exportBundle(node: homes.kenji, for: nil), node: homes.ana)
        #expect(back.duplicates >= 6)
        #expect(try homes.kenji.store.stateHash() == homes.ana.store.stateHash())
        for node in [homes.ana, homes.kenji] { #expect(try node.store.verify().problems == []) }
    }

    @Test func anAlteredOrTruncatedBundleIsRefusedWhole() throws {
        let homes = try Homes()
        defer { homes.cleanup() }
        let bundle = try homes.ana.home.exportBundle(node: homes.ana, for: [homes.kenji.id])
        let before = try homes.kenji.store.stateHash()
        var positions = [0, 5, 8, 40, 150, bundle.count / 2, bundle.count - 1]
        var generator = SystemRandomNumberGenerator()
        positions += (0..<8).map { _ in Int.random(in: 0..<bundle.count, using: &generator) }
        for position in positions {
            var altered = bundle
            altered[position] ^= 0x01
            #expect(throws: NodeError.self, "byte \(position)") { try homes.kenji.home.importBundle(altered, node: homes.kenji) }
        }
        for length in [0, 4, 10, bundle.count - 1] {
            #expect(throws: NodeError.self, "length \(length)") {
                try homes.kenji.home.importBundle(Array(bundle.prefix(length)), node: homes.kenji)
            }
        }
        #expect(try homes.kenji.store.stateHash() == before)
        #expect(try homes.kenji.home.importBundle(bundle, node: homes.kenji).applied > 0)
    }
}
