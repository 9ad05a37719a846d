import Foundation
import Testing
import RoostCore
import RoostNode
import RoostStore
import RoostTwitter

/// Only leads and admins reassign: refused up front for an agent, and a reassign that slips through loses
/// as not permitted on every node.
@Suite(.serialized) struct ReassignTests {
    @Test func leadsReassignAgentsCannot() throws {
        let homes = try BundleTests.Homes()
        defer { homes.cleanup() }
        let (ana, kenji) = (homes.ana, homes.kenji)
        let sync = homes.sync
        let parsed = XPayload.parse(jsonl: try Data(contentsOf: XIngestTests.sample))
        var report = IngestReport()
        try DeskService(node: ana).ingestX(parsed.items, brandHandles: ["AcmeCare"], brandIDs: [], rules: .empty, report: &report)
        let ticket = "p1850000000000000001"
        _ = try DeskService(node: ana).claim(ticket)
        try sync()

        // Kenji, an agent, is refused before anything is written.
        #expect(throws: DeskError.self) { try DeskService(node: kenji).reassign(ticket, to: kenji.id.text) }
        // A reassign op written anyway loses as not permitted, on his node and on Ana's.
        let current = try kenji.store.state.claim(on: EntityRef(Desk.ticket, ticket))
        _ = try kenji.append([.claim(entity: EntityRef(Desk.ticket, ticket), action: .reassign, holder: kenji.id,
                                     leaseSeconds: 600, observed: current?.current)])
        try sync()
        for node in [ana, kenji] {
            #expect(try node.store.state.claim(on: EntityRef(Desk.ticket, ticket))?.holder == ana.id)
            #expect(try node.store.state.claimConflicts(on: EntityRef(Desk.ticket, ticket)).first?.reason == .notPermitted)
        }
        // Ana (admin) reassigns it to Kenji; after a promotion to lead, Kenji may reassign it back.
        _ = try DeskService(node: ana).reassign(ticket, to: kenji.id.text)
        try ana.home.setRole(.lead, of: kenji.id, node: ana)
        try sync()
        #expect(try kenji.store.state.claim(on: EntityRef(Desk.ticket, ticket))?.holder == kenji.id)
        _ = try DeskService(node: kenji).reassign(ticket, to: ana.id.text)
        try sync()
        #expect(try ana.store.state.claim(on: EntityRef(Desk.ticket, ticket))?.holder == ana.id)
        #expect(try ana.store.stateHash() == kenji.store.stateHash())
    }
}
