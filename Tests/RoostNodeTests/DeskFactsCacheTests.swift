import Foundation
import Testing
import RoostCore
import RoostNode
import RoostStore

/// The dashboard's facts kept up to date op by op equal a full re-read, after random desk work.
@Suite struct DeskFactsCacheTests {
    @Test(arguments: [UInt64(0xD05E), UInt64.random(in: 1...UInt64.max)])
    func incrementalFactsEqualAFullRecomputation(seed: UInt64) throws {
        print("DeskFactsCacheTests seed: \(seed)")
        var random = SplitMix64(seed: seed)
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("roost-facts-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let node = try NodeHome(path: home.path).initialize(config: NodeConfig(name: "Ana Lopez", initials: "AL"))
        let now = SystemClock().nowMillis()
        let desk = DeskService(node: node, clock: FixedClock(millis: now))
        let eager = DeskFactsCache(), lazy = DeskFactsCache()
        #expect(try eager.refresh(node.store).full)
        var roots: [String] = []
        var nextID = 1_000
        var fullRefreshes = 0

        func check(_ cache: DeskFactsCache, _ step: Int) throws {
            let snapshot = try node.store.desk.deskSnapshot()
            let held = cache.all()
            #expect(held.tickets == snapshot.tickets, "seed \(seed) step \(step)")
            #expect(held.messages == snapshot.messages, "seed \(seed) step \(step)")
            let names = { (author: String) in (try? AuthorID(text: author)).flatMap { try? desk.memberName($0) } ?? author }
            let fromCache = DeskReport.compute(tickets: held.tickets, messages: held.messages,
                                               conflicts: try node.store.desk.ticketClaimConflicts(), sla: try desk.slaTargets(),
                                               scope: .init(), now: now, agentName: names)
            let direct = try desk.report(.init())
            #expect(fromCache == direct, "seed \(seed) step \(step): \(fromCache) vs \(direct)")
            // The per-ticket summaries the dashboard reads: one per ticket with a customer message, and the same
            // report over everything and over a week.
            let summaries = cache.summaries()
            #expect(summaries.count == snapshot.tickets.filter { $0.firstInboundMillis != nil }.count, "seed \(seed) step \(step)")
            #expect(Set(summaries.map(\.key)).count == summaries.count, "seed \(seed) step \(step): a ticket summarized twice")
            for since in [nil, now - 7 * 86_400_000] as [UInt64?] {
                let scope = DeskReport.Scope(since: since)
                let fromSummaries = DeskReport.compute(summaries: summaries, conflicts: try node.store.desk.ticketClaimConflicts(),
                                                       sla: try desk.slaTargets(), scope: scope, now: now, agentName: names)
                #expect(fromSummaries == (try desk.report(scope)), "seed \(seed) step \(step) since \(String(describing: since))")
            }
        }

        for step in 0..<120 {
            nextID += 1
            let id = String(nextID)
            // Old imported history and recent work, interleaved.
            let at = Bool.random(using: &random) ? 1_509_000_000_000 + UInt64.random(in: 0..<86_400_000, using: &random)
                                                 : now - UInt64.random(in: 0..<(8 * 86_400_000), using: &random)
            var report = IngestReport()
            switch Int.random(in: 0..<10, using: &random) {
            case 0...2 where roots.count < 40 || roots.isEmpty:
                roots.append(id)
                try desk.ingest([Self.message(id, root: id, inbound: true, at: at)], rules: .empty, report: &report)
            case 3 where !roots.isEmpty:
                let root = roots.randomElement(using: &random)!
                try desk.ingest([Self.message(id, root: root, inbound: Bool.random(using: &random), at: at,
                                              signature: ["JD", "MK", "AB", nil].randomElement(using: &random)!)],
                                rules: .empty, report: &report)
            case 4 where !roots.isEmpty:
                _ = try? desk.reply("p" + roots.randomElement(using: &random)!, text: "On it")
            case 5 where !roots.isEmpty:
                _ = try? desk.resolve("p" + roots.randomElement(using: &random)!,
                                      as: ["answered", "taken-to-dm", "escalated-elsewhere"].randomElement(using: &random)!)
            case 6 where !roots.isEmpty:
                _ = try? desk.tag("p" + roots.randomElement(using: &random)!, "billing")
            case 7 where !roots.isEmpty:
                _ = try? desk.setPriority("p" + roots.randomElement(using: &random)!, ["urgent", "high", "low"].randomElement(using: &random)!)
            case 8 where !roots.isEmpty:
                _ = try? desk.claim("p" + roots.randomElement(using: &random)!)
            case 9 where !roots.isEmpty:
                _ = try? desk.note("p" + roots.randomElement(using: &random)!, "called back")
            default:
                roots.append(id)
                try desk.ingest([Self.message(id, root: id, inbound: true, at: at)], rules: .empty, report: &report)
            }
            if try eager.refresh(node.store).full { fullRefreshes += 1 }
            if step % 10 == 9 { try check(eager, step) }
            if step % 37 == 36 {  // the lazy cache catches up over many ops at once
                try lazy.refresh(node.store)
                try check(lazy, step)
            }
        }
        try lazy.refresh(node.store)
        try check(lazy, 120)
        try check(eager, 120)
        #expect(fullRefreshes == 0, "seed \(seed): desk work should refresh only the tickets it touched")
    }

    static func message(_ id: String, root: String, inbound: Bool, at millis: UInt64, signature: String? = nil) -> IncomingMessage {
        IncomingMessage(
            id: id, ticketKey: Desk.publicTicketKey(rootTweetID: root), channel: .public, conversation: root,
            direction: inbound ? .inbound : .outbound, author: inbound ? "9\(root)" : "AcmeCare", customer: "9\(root)",
            customerHandle: nil, customerName: nil, followers: nil, verified: nil, brand: "AcmeCare",
            text: inbound ? "@AcmeCare help" : "On it", createdMillis: millis, replyTo: inbound ? nil : root,
            signature: signature, mentions: inbound ? ["acmecare"] : [])
    }
}
