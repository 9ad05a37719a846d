import Foundation
import Testing
import RoostCore
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
