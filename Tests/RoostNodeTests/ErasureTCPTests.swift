import Foundation
import NIOPosix
import Testing
import RoostCore
import RoostNode
@_spi(StoreInternals) import RoostStore
import RoostSync
import RoostTestSupport

/// Issue 14's acceptance test: a customer erased across five nodes over TCP on 127.0.0.1, one of them offline
/// during the erase, then a sixth node that joins afterwards. The proof is a plain byte scan of every file
/// under each node's home (database, -wal, -shm), as `grep -a` would do it.
extension RosterTCPTests {
    /// Texts only the erased customer's ops hold (their message, a reply quoting it, a note, handle and name),
    /// with the lowercase forms the full-text index stores.
    static let erasedTexts = ["Quokkaberry", "quokkaberry", "07700900123", "Zanzibar", "zanzibar", "Xylophonic", "xylophonic"]
    /// A text of another customer, which must stay.
    static let keptText = "Marmalade-kept-9"

    /// Occurrences of `needle` in every file under `home`.
    static func occurrences(of needle: String, under home: URL) throws -> [String: Int] {
        var found: [String: Int] = [:]
        let pattern = Data(needle.utf8)
        for name in try FileManager.default.contentsOfDirectory(atPath: home.path) {
            let data = try Data(contentsOf: home.appendingPathComponent(name))
            var count = 0
            var start = data.startIndex
            while let range = data.range(of: pattern, in: start..<data.endIndex) { count += 1; start = range.upperBound }
            if count > 0 { found[name] = count }
        }
        return found
    }

    /// Where the erased bytes are: file, offset, the page and what SQLite's dbstat says it holds (diagnostics).
    static func locate(under home: URL, store: OpStore) -> String {
        var lines: [String] = []
        for text in erasedTexts {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: home.path)) ?? [] {
                guard let data = try? Data(contentsOf: home.appendingPathComponent(name)) else { continue }
                var start = data.startIndex
                while let range = data.range(of: Data(text.utf8), in: start..<data.endIndex) {
                    let offset = range.lowerBound - data.startIndex
                    let page = offset / 4096 + 1
                    let owner = (try? store.writer.read { db in
                        try String.fetchOne(db, sql: "SELECT name || ':' || pagetype FROM dbstat WHERE pageno = ?", arguments: [page])
                    }) ?? nil
                    lines.append("\(text) in \(name) at \(offset) (page \(page): \(owner ?? "not in dbstat: free or unused"))")
                    start = range.upperBound
                }
            }
        }
        let wal = (try? FileManager.default.attributesOfItem(atPath: home.appendingPathComponent("node.sqlite-wal").path)[.size]) ?? "none"
        return lines.joined(separator: "; ") + " — wal size \(wal)"
    }

    static func erasedBytes(under home: URL) throws -> [String: [String: Int]] {
        var found: [String: [String: Int]] = [:]
        for text in erasedTexts {
            let hits = try occurrences(of: text, under: home)
            if !hits.isEmpty { found[text] = hits }
        }
        return found
    }

    static func customerOps(ticket: String, customer: String, handle: String, texts: (inbound: String, reply: String)) -> [OpBody] {
        let ticketRef = EntityRef(Desk.ticket, ticket)
        return [
            .makeInsert(ticketRef, [Field("channel", .string("public")), Field("conversation", .string(ticket)),
                                    Field("customer", .string(customer)), Field("brand", .string("AcmeCare"))]),
            .makeInsert(EntityRef(Desk.customer, customer), [Field("handle", .string(handle))]),
            .makeInsert(EntityRef(Desk.message, ticket + "-in"), [
                Field("ticket", .string(ticket)), Field("direction", .string("inbound")), Field("author", .string(customer)),
                Field("text", .string(texts.inbound)), Field("created_ms", .int(1_700_000_000_000)),
            ]),
            .makeInsert(EntityRef(Desk.message, ticket + "-out"), [
                Field("ticket", .string(ticket)), Field("direction", .string("outbound")), Field("author", .string("AcmeCare")),
                Field("text", .string(texts.reply)), Field("created_ms", .int(1_700_000_600_000)), Field("signature", .string("AL")),
            ]),
        ]
    }

    @Test func aCustomerErasedOnFiveNodesLeavesNoBytesAndTheSameReport() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("roost-erase-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let (anaNode, ana, port) = try await Self.foundingAna(root: root, group: group)
        let now = SystemClock().nowMillis()
        var peers = [ana]
        for (name, initials, role) in [("Lea Park", "LP", Role.lead), ("Kenji Sato", "KS", .agent),
                                       ("Mia Chen", "MC", .agent), ("Omar Haddad", "OH", .agent)] {
            let invite = try anaNode.home.invite(name: name, role: role, hours: 1, address: "127.0.0.1:\(port)", node: anaNode, now: now)
            let peer = try Peer(try Self.joiner(name, initials, invite: invite, root: root), root: root, group: group)
            try peer.dial(ana, port: port)
            peers.append(peer)
        }
        let (lea, kenji, mia, omar) = (peers[1], peers[2], peers[3], peers[4])
        #expect(try await eventually(seconds: 180) { try peers.allSatisfy { try ana.role(of: $0) != nil && $0.role(of: $0) != nil } })

        // The erased customer (a message, a reply quoting them, a name, a note) and another customer who stays.
        try ana.append(Self.customerOps(ticket: "p900", customer: "u900", handle: "zanzibar_quinn",
                                        texts: ("@AcmeCare my Quokkaberry order, call 07700900123", "@zanzibar_quinn sorry about the Quokkaberry ^AL")))
        try ana.append([.set(entity: EntityRef(Desk.customer, "u900"), field: "name", value: .string("Zanzibar Quinn"))])
        try ana.append(Self.customerOps(ticket: "p901", customer: "u901", handle: "other_customer",
                                        texts: ("@AcmeCare \(Self.keptText) please", "@other_customer done ^AL")))
        func converged(_ group: [Peer]) throws -> Bool {
            let vectors = try group.map { try $0.node.store.versionVector() }
            return vectors.allSatisfy { $0 == vectors[0] }
        }
        #expect(try await eventually(seconds: 180) { try converged(peers) })
        _ = try DeskService(node: mia.node).note("p900", "Xylophonic detail the customer gave")
        mia.hub.storeMayHaveChanged()
        #expect(try await eventually(seconds: 180) { try converged(peers) })
        for peer in peers { #expect(try !Self.erasedBytes(under: peer.root.appendingPathComponent(peer.node.config.initials)).isEmpty) }
        let reportBefore = try DeskService(node: anaNode).report(DeskReport.Scope())

        // Omar goes offline; an agent's erasure is refused on every node; a lead's goes everywhere.
        await omar.service.shutdown()
        #expect(throws: DeskError.self) { try DeskService(node: kenji.node).eraseCustomer("@zanzibar_quinn", reason: "test") }
        let targets = try kenji.node.store.erasures.targets(customer: "u900")
        try kenji.append([Erasure(reason: "not allowed", customer: "u900", targets: targets).body(id: "00000000000000000000000000000001")])
        #expect(try await eventually(seconds: 180) { try [ana, lea, mia].allSatisfy { try $0.node.store.erasures.records().contains { $0.state == "refused" } } })
        for peer in [ana, lea, kenji, mia] {
            #expect(try peer.node.store.erasures.records().allSatisfy { $0.state == "refused" && $0.erased == 0 })
            #expect(try DeskService(node: peer.node).ticketView("p900").thread.contains { $0.text.contains("Quokkaberry") })
        }

        let erased = try DeskService(node: lea.node).eraseCustomer("@zanzibar_quinn", reason: "GDPR request 1234")
        lea.hub.storeMayHaveChanged()
        #expect(erased.customer == "u900")
        #expect(erased.ops == 5, "the customer's insert and name, their message, the reply, Mia's note")
        let online = [ana, lea, kenji, mia]
        func home(_ peer: Peer) -> URL { peer.root.appendingPathComponent(peer.node.config.initials) }
        #expect(try await eventually(seconds: 180) { try online.allSatisfy { try Self.erasedBytes(under: home($0)).isEmpty } },
                "erased bytes left: \(online.map { Self.locate(under: home($0), store: $0.node.store) })")
        #expect(try !Self.erasedBytes(under: home(omar)).isEmpty, "Omar was offline")

        // An old bundle with the bodies (Omar's, made before he learns of the erasure) changes nothing on Ana.
        let oldBundle = try omar.node.home.exportBundle(node: omar.node, for: [anaNode.id])
        let imported = try anaNode.home.importBundle(oldBundle, node: anaNode)
        #expect(imported.applied == 0 && imported.duplicates > 0)
        #expect(try Self.erasedBytes(under: home(ana)).isEmpty, "\(Self.locate(under: home(ana), store: anaNode.store))")

        // Omar comes back: his copies go too.
        try await omar.restart(group: group)
        try omar.dial(ana, port: port)
        #expect(try await eventually(seconds: 180) { try Self.erasedBytes(under: home(omar)).isEmpty },
                "Omar's erased bytes: \(Self.locate(under: home(omar), store: omar.node.store))")

        // A node that joins afterwards receives the erased ops as headers with their residues.
        let zoeInvite = try anaNode.home.invite(name: "Zoe Ward", role: .agent, hours: 1, address: "127.0.0.1:\(port)",
                                                node: anaNode, now: SystemClock().nowMillis())
        let zoe = try Peer(try Self.joiner("Zoe Ward", "ZW", invite: zoeInvite, root: root), root: root, group: group)
        try zoe.dial(ana, port: port)
        peers.append(zoe)
        #expect(try await eventually(seconds: 180) { try converged(peers) })
        let hash = try anaNode.store.stateHash()
        for peer in peers {
            #expect(try peer.node.store.stateHash() == hash, "\(peer.node.config.name)")
            let report = try peer.node.store.verify()
            #expect(report.isOK, "\(peer.node.config.name): \(report.problems.prefix(3))")
            #expect(report.erasedBodies == 5)
            #expect(report.erasedBy == [lea.node.id: 5])
            #expect(report.refoldStateHash == report.stateHash, "the re-fold merges residues")
            #expect(try Self.erasedBytes(under: home(peer)).isEmpty, "\(Self.locate(under: home(peer), store: peer.node.store))")
            #expect(try !Self.occurrences(of: Self.keptText, under: home(peer)).isEmpty, "another customer's text stays")
            let view = try DeskService(node: peer.node).ticketView("p900")
            #expect(view.thread.map(\.text) == [Redaction.erasedText, Redaction.erasedText, Redaction.erasedText])
        }
        // Reports (first response, resolution, counts) are what they were.
        let reportAfter = try DeskService(node: anaNode).report(DeskReport.Scope())
        #expect(reportAfter == reportBefore)
        // Erasing again, or exporting, says so.
        let again = #expect(throws: DeskError.customerErased("u900", detail: .alreadyErased(nothingLeft: true))) {
            try DeskService(node: anaNode).eraseCustomer("u900", reason: "again")
        }
        #expect(again?.description == "customer u900 was already erased: nothing of theirs is left on this node")
        let export = #expect(throws: DeskError.customerErased("u900", detail: .nothingToExport)) {
            try DeskService(node: anaNode).exportCustomer("u900")
        }
        #expect(export?.description == "customer u900 was erased: nothing about them is left to export")
        #expect(throws: DeskError.self) { try DeskService(node: anaNode).eraseCustomer("@zanzibar_quinn", reason: "again") }

        for peer in peers { await peer.service.shutdown() }
        try await group.shutdownGracefully()
    }
}
