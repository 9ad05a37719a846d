import Foundation
import Testing
import RoostCore
import RoostCrypto
@testable import RoostStore

/// Replicated erasure (SPEC.md §1.9): residues, the targets codec, role checks judged again when the roster
/// changes, order independence (bodies erased, withheld, or arriving late), and the bytes gone from the file.
@Suite struct ErasureTests {
    static let clock = FixedClock(millis: baseMillis + 3_600_000)
    static let secret = "Quokkaberry 07700900123"

    /// A ticket of customer u1 (handle, name, their message, a reply) and one of u2, written by `author`.
    static func customerBodies() -> [OpBody] {
        [
            .makeInsert(EntityRef(Desk.ticket, "p1"), [Field("channel", .string("public")), Field("conversation", .string("1")),
                                                      Field("customer", .string("u1")), Field("brand", .string("acme"))]),
            .makeInsert(EntityRef(Desk.customer, "u1"), [Field("handle", .string("quinn"))]),
            .set(entity: EntityRef(Desk.customer, "u1"), field: "name", value: .string("Zanzibar Quinn")),
            .makeInsert(EntityRef(Desk.message, "m1"), [
                Field("ticket", .string("p1")), Field("direction", .string("inbound")), Field("author", .string("u1")),
                Field("text", .string("@acme " + secret)), Field("created_ms", .int(Int64(baseMillis))),
            ]),
            .makeInsert(EntityRef(Desk.message, "m2"), [
                Field("ticket", .string("p1")), Field("direction", .string("outbound")), Field("author", .string("acme")),
                Field("text", .string("@quinn sorry about the Quokkaberry")), Field("created_ms", .int(Int64(baseMillis + 60_000))),
            ]),
            .makeInsert(EntityRef(Desk.ticket, "p2"), [Field("channel", .string("public")), Field("conversation", .string("2")),
                                                      Field("customer", .string("u2")), Field("brand", .string("acme"))]),
            .makeInsert(EntityRef(Desk.message, "m3"), [
                Field("ticket", .string("p2")), Field("direction", .string("inbound")), Field("author", .string("u2")),
                Field("text", .string("@acme Marmalade stays")), Field("created_ms", .int(Int64(baseMillis))),
            ]),
        ]
    }

    @Test func residuesDropPersonalFieldsOnly() {
        let message = OpBody.makeInsert(EntityRef(Desk.message, "m1"), [
            Field("author", .string("u1")), Field("created_ms", .int(5)), Field("text", .string("hi")), Field("ticket", .string("p1")),
        ])
        #expect(Redaction.residue(of: message) == .makeInsert(EntityRef(Desk.message, "m1"), [
            Field("author", .string("u1")), Field("created_ms", .int(5)), Field("ticket", .string("p1")),
        ]))
        let vip = OpBody.set(entity: EntityRef(Desk.customer, "u1"), field: "vip", value: .bool(true))
        #expect(Redaction.residue(of: vip) == .set(entity: EntityRef(Desk.customer, "u1"), field: "vip", value: .null))
        let status = OpBody.set(entity: EntityRef(Desk.ticket, "p1"), field: "status", value: .string("open"))
        #expect(Redaction.residue(of: status) == status)
        let tag = OpBody.tagAdd(entity: EntityRef(Desk.ticket, "p1"), tag: "refund")
        #expect(Redaction.residue(of: tag) == tag)
    }

    @Test func targetsRoundTripAndRefuseUnsortedLists() throws {
        let author = AuthorID(key: Bytes32([UInt8](repeating: 7, count: 32))!)
        let a = Erasure.Target(ref: OpRef(author: author, epoch: 1, seq: 2), hash: Bytes32([UInt8](repeating: 1, count: 32))!,
                               residue: .set(entity: EntityRef(Desk.customer, "u1"), field: "name", value: .null))
        let b = Erasure.Target(ref: OpRef(author: author, epoch: 1, seq: 3), hash: Bytes32([UInt8](repeating: 2, count: 32))!,
                               residue: .makeInsert(EntityRef(Desk.message, "m"), [Field("ticket", .string("p"))]))
        let erasure = Erasure(reason: "gdpr", customer: "u1", targets: [b, a, b])
        #expect(erasure.targets == [a, b])
        guard case let .insert(_, fields) = erasure.body(id: "00") else { Issue.record("not an insert"); return }
        #expect(Erasure(fields: fields) == erasure)
        #expect(throws: ByteDecodingError.notCanonical("erasure targets not ascending")) {
            try Erasure.decode(Erasure.encode([b]) + Erasure.encode([a]))
        }
        #expect(throws: ByteDecodingError.self) { try Erasure.decode(Array(Erasure.encode([a]).dropLast())) }
        // Without targets it is an ordinary entity.
        #expect(Erasure(fields: [Field("reason", .string("x")), Field("targets", .bytes([]))]) == nil)
    }

    /// Founder F (admin) writes the customer's ops; lead L erases u1. Returns both and L's erasure batch.
    struct Scenario {
        let founder: TestAuthor, lea: TestAuthor
        let founderBatches: [OpBatch], leaBatches: [OpBatch]

        init(eraser role: Role = .lead, reason: String = "GDPR 1", messagesOnly: Bool = false) throws {
            founder = try TestAuthor(seed: 1, epoch: 11)
            lea = try TestAuthor(seed: 3, epoch: 33)
            for author in [founder, lea] {
                try author.store.bindLocalLog(author.local.log)
                try author.store.team.setFounder(founder.id)
            }
            try founder.append([RosterChange.body(member: lea.id, .role(role))], at: baseMillis + 10)
            try founder.append(ErasureTests.customerBodies(), at: baseMillis + 20)
            try lea.store.apply(try founder.segments()[0], clock: ErasureTests.clock)
            try lea.store.apply(try founder.segments()[1], clock: ErasureTests.clock)
            var targets = try lea.store.erasures.targets(customer: "u1")
            #expect(targets.count == 4, "customer insert, name, two messages")
            if messagesOnly { targets = try lea.store.erasures.targets(messages: ["m1"]) }
            try lea.append([Erasure(reason: reason, customer: "u1", targets: targets).body(id: "0123456789abcdef0123456789abcdef")],
                           at: baseMillis + 30)
            founderBatches = try founder.segments()
            leaBatches = try lea.segments()
        }

        func replica() throws -> OpStore {
            let store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
            try store.team.setFounder(founder.id)
            return store
        }
    }

    static func search(_ store: OpStore, _ text: String) throws -> [SearchHit] {
        try store.search.hits(SearchPlan(query: try SearchQuery.parse(text), nowMillis: baseMillis))
    }

    static func texts(_ store: OpStore) throws -> [String] {
        try store.desk.thread("p1").map(\.text) + store.desk.thread("p2").map(\.text)
    }

    @Test func aLeadsErasureGoesEverywhereInAnyOrder() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        print("ErasureTests.aLeadsErasureGoesEverywhereInAnyOrder seed: \(seed)")
        var rng = SplitMix64(seed: seed)
        let scenario = try Scenario()
        let reference = scenario.lea.store
        #expect(try Self.texts(reference) == [Redaction.erasedText, Redaction.erasedText, "@acme Marmalade stays"])
        #expect(try reference.erasures.records().map(\.state) == ["effective"])
        let expected = try reference.stateHash()
        // The eraser now sends the erased ops as headers alone (withheld at a receiver until the erasure comes).
        let stripped = try reference.batch(after: VersionVector())
        #expect(stripped.ops.filter { $0.body == nil }.count == 4)
        for round in 0..<20 {
            let replica = try scenario.replica()
            // Per log in order; logs interleaved at random; the lead's ops wait for her admission.
            var queues = [scenario.founderBatches, scenario.leaBatches]
            if round % 2 == 1 { queues = [[stripped]] }
            while queues.contains(where: { !$0.isEmpty }) {
                let ready = queues.indices.filter { !queues[$0].isEmpty }
                let pick = ready[Int.random(in: 0..<ready.count, using: &rng)]
                let result = Result { () throws(StoreError) in try replica.apply(queues[pick][0], clock: Self.clock) }
                switch result {
                case .success: queues[pick].removeFirst()
                case .failure(.rejected(_, .notMember)): continue
                case let .failure(error): throw error
                }
            }
            #expect(try replica.stateHash() == expected, "seed \(seed) round \(round)")
            #expect(try Self.texts(replica) == [Redaction.erasedText, Redaction.erasedText, "@acme Marmalade stays"])
            let report = try replica.verify()
            #expect(report.isOK, "seed \(seed) round \(round): \(report.problems)")
            #expect(report.erasedBodies == 4)
            #expect(report.erasedBy == [scenario.lea.id: 4])
            #expect(report.refoldStateHash == report.stateHash)
            // An old batch with the bodies changes nothing.
            _ = try replica.apply(scenario.founderBatches[1], clock: Self.clock)
            #expect(try Self.texts(replica).filter { $0.contains("Quokkaberry") }.isEmpty)
        }
    }

    /// Simulation seed 20986 (SPEC.md §1.9a, formerly §1.15 open issue 3): on one node, a lead's erasure that arrives
    /// before the lead's revocation is carried out (the bodies are dropped); the revocation, whose cut keeps none of
    /// the lead's ops, then removes the erasure op. A node that merged the revocation first refuses the erasure and
    /// keeps the bodies. The first node now wants those bodies (no effective erasure names them), fetches them from
    /// the second (hash-checked against its headers), and both end with the same state. Before the fix the states
    /// stayed different for good.
    @Test func anErasureCutOffByALaterRevocationHasItsBodiesFetchedAgain() throws {
        let scenario = try Scenario()
        try scenario.founder.append([RosterChange.body(member: scenario.lea.id, .revoke(RevocationCut(kept: [:])))],
                                    at: baseMillis + 40)
        let founderBatches = try scenario.founder.segments()
        #expect(founderBatches.count == 3)
        let early = try scenario.replica(), late = try scenario.replica()
        for batch in founderBatches.prefix(2) {
            _ = try early.apply(batch, clock: Self.clock)
            _ = try late.apply(batch, clock: Self.clock)
        }
        _ = try early.apply(scenario.leaBatches[0], clock: Self.clock)
        #expect(try Self.texts(early).contains(Redaction.erasedText), "carried out before the revocation arrives")
        _ = try early.apply(founderBatches[2], clock: Self.clock)
        _ = try late.apply(founderBatches[2], clock: Self.clock)
        #expect(throws: StoreError.self) { try late.apply(scenario.leaBatches[0], clock: Self.clock) }
        #expect(try early.versionVector() == late.versionVector())
        #expect(try early.opCount() == late.opCount())
        #expect(try !Self.texts(late).contains(Redaction.erasedText), "the void erasure erased nothing here")
        #expect(try early.stateHash() != late.stateHash(), "until the bodies come back")

        let wanted = try early.wantedBodies(limit: 100)
        let lateWants = try late.wantedBodies(limit: 100)
        #expect(!wanted.isEmpty && lateWants.isEmpty)
        // A body that does not match its header is ignored; the genuine ones restore the ops.
        let held = try late.heldBodies(wanted)
        #expect(held.count == wanted.count)
        #expect(try early.restoreBodies(held.map { HeldBody(ref: $0.ref, body: $0.body + [0]) }) == 0)
        #expect(try early.restoreBodies(held) == wanted.count)
        #expect(try early.wantedBodies(limit: 100).isEmpty)
        #expect(try early.stateHash() == late.stateHash())
        #expect(try Self.texts(early) == Self.texts(late))
        #expect(try early.verify().isOK)
        #expect(try early.restoreBodies(held) == 0, "restoring twice changes nothing")
    }

    /// Simulation seed 24524: two leads erase the same messages; the first is then revoked with a cut that keeps none
    /// of her ops, and the revocation arrives in the same batch as the second lead's erasure, at a node that had carried
    /// out the first. The cut voided the first erasure but left its mark on the ops it had erased (`op_erasure`), so
    /// when the second erasure was judged right after, it took them for already erased and never merged their
    /// residues: that node lacked the message rows every other node had. The cut now clears those marks unless
    /// another effective erasure names the op.
    @Test func aSecondErasureStillTakesEffectWhenTheFirstIsVoidedInTheSameBatch() throws {
        let scenario = try Scenario()
        let max = try TestAuthor(seed: 5, epoch: 55)
        try max.store.bindLocalLog(max.local.log)
        try max.store.team.setFounder(scenario.founder.id)
        try scenario.founder.append([RosterChange.body(member: max.id, .role(.lead))], at: baseMillis + 35)
        for batch in try scenario.founder.segments() { try max.store.apply(batch, clock: Self.clock) }
        let targets = try max.store.erasures.targets(customer: "u1")
        #expect(targets.count == 4)
        try max.append([Erasure(reason: "GDPR 2", customer: "u1", targets: targets).body(id: "fedcba9876543210fedcba9876543210")],
                       at: baseMillis + 40)
        try scenario.founder.append([RosterChange.body(member: scenario.lea.id, .revoke(RevocationCut(kept: [:])))],
                                    at: baseMillis + 50)
        let founder = try scenario.founder.segments(), maxBatches = try max.segments()
        #expect(founder.count == 4)
        let revocation = founder[3], maxErasure = try #require(maxBatches.last)
        let together = OpBatch(ops: revocation.ops + maxErasure.ops, seals: revocation.seals + maxErasure.seals)

        let early = try scenario.replica(), late = try scenario.replica()
        for batch in founder.prefix(3) { try early.apply(batch, clock: Self.clock) }
        try early.apply(scenario.leaBatches[0], clock: Self.clock)
        for batch in maxBatches.dropLast() { try early.apply(batch, clock: Self.clock) }
        try early.apply(together, clock: Self.clock)

        for batch in founder { try late.apply(batch, clock: Self.clock) }
        for batch in maxBatches { try late.apply(batch, clock: Self.clock) }
        #expect(throws: StoreError.self) { try late.apply(scenario.leaBatches[0], clock: Self.clock) }

        #expect(try early.versionVector() == late.versionVector())
        #expect(try early.erasures.records().map(\.state) == ["effective"])
        #expect(try early.wantedBodies(limit: 10).isEmpty && late.wantedBodies(limit: 10).isEmpty)
        #expect(try Self.texts(early) == Self.texts(late))
        #expect(try early.stateHash() == late.stateHash())
        #expect(try early.verify().isOK)
    }

    /// A node that carried out an effective erasure has nothing to give and wants nothing back.
    @Test func anEffectiveErasureIsNeverUndoneByFetchingBodies() throws {
        let scenario = try Scenario()
        let erased = try scenario.replica(), keeper = try scenario.replica()
        for batch in scenario.founderBatches + scenario.leaBatches { try erased.apply(batch, clock: Self.clock) }
        for batch in scenario.founderBatches { try keeper.apply(batch, clock: Self.clock) }
        #expect(try erased.wantedBodies(limit: 100).isEmpty, "an effective erasure names every body it dropped")
        let targets = try scenario.founderBatches.flatMap(\.ops).map { BodyWant(ref: $0.header.ref, hash: OpCrypto.headerHash($0.header)) }
        let fromKeeper = try keeper.heldBodies(targets)
        #expect(!fromKeeper.isEmpty)
        let before = try erased.stateHash()
        #expect(try erased.restoreBodies(fromKeeper) == 0, "bodies an effective erasure names are not taken back")
        #expect(try erased.stateHash() == before)
        #expect(try erased.heldBodies(targets).count < fromKeeper.count, "and not served to others")
    }

    @Test func bodiesArrivingAfterTheErasureAreStoredWithout() throws {
        let scenario = try Scenario()
        let replica = try scenario.replica()
        // The roster op and the erasure first (the founder's first run holds only the admission), then the bodies.
        try replica.apply(scenario.founderBatches[0], clock: Self.clock)
        for batch in scenario.leaBatches { try replica.apply(batch, clock: Self.clock) }
        let report = try replica.apply(scenario.founderBatches[1], clock: Self.clock)
        #expect(report.applied == scenario.founderBatches[1].ops.count)
        #expect(try Self.texts(replica) == [Redaction.erasedText, Redaction.erasedText, "@acme Marmalade stays"])
        #expect(try replica.stateHash() == scenario.lea.store.stateHash())
        #expect(try replica.state.register(EntityRef(Desk.customer, "u1"), "name") == .null)
    }

    @Test func anAgentsErasureIsRefusedUntilTheRosterSaysOtherwise() throws {
        let scenario = try Scenario(eraser: .agent)
        let replica = try scenario.replica()
        for batch in scenario.founderBatches + scenario.leaBatches { try replica.apply(batch, clock: Self.clock) }
        #expect(try replica.erasures.records().map(\.state) == ["refused"])
        #expect(try Self.texts(replica).contains { $0.contains("Quokkaberry") }, "nothing is lost")
        #expect(try replica.verify().isOK)
        // The founder made her a lead before her erasure (the role op's HLC is below the erasure's), and that
        // roster op reaches this node late: the erasure is judged again and becomes effective.
        try scenario.founder.append([RosterChange.body(member: scenario.lea.id, .role(.lead))], at: baseMillis + 25)
        let promoted = try #require(try scenario.founder.segments().last)
        #expect(try #require(promoted.ops.last?.header.hlc) < #require(scenario.leaBatches.last?.ops.last?.header.hlc))
        let report = try replica.apply(promoted, clock: Self.clock)
        #expect(report.erased == 4)
        #expect(try replica.erasures.records().map(\.state) == ["effective"])
        #expect(try Self.texts(replica).filter { $0.contains("Quokkaberry") }.isEmpty)
        #expect(try replica.verify().isOK)
    }

    @Test func aGatewayMayEraseOnlyTweetsDeletedOnX() throws {
        for (reason, messagesOnly, effective) in [(ErasureSchema.deletedOnXReason, true, true), ("GDPR 1", true, false),
                                                  (ErasureSchema.deletedOnXReason, false, false)] {
            let scenario = try Scenario(eraser: .gateway, reason: reason, messagesOnly: messagesOnly)
            let replica = try scenario.replica()
            for batch in scenario.founderBatches + scenario.leaBatches { try replica.apply(batch, clock: Self.clock) }
            #expect(try replica.erasures.records().map(\.state) == [effective ? "effective" : "refused"], "\(reason) \(messagesOnly)")
            #expect(try Self.texts(replica).first == (effective ? Redaction.erasedText : "@acme " + Self.secret))
        }
    }

    @Test func theErasedBytesAreGoneFromTheDatabaseFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("roost-erase-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("node.sqlite").path
        let scenario = try Scenario()
        let store = try OpStore(path: path)
        try store.team.setFounder(scenario.founder.id)
        for batch in scenario.founderBatches { try store.apply(batch, clock: Self.clock) }
        // The search index holds the terms too.
        #expect(try Self.search(store, "quokkaberry").count == 1, "one ticket")
        func hits(_ needle: String) throws -> Int {
            var total = 0
            for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
                let data = try Data(contentsOf: directory.appendingPathComponent(name))
                var start = data.startIndex
                while let range = data.range(of: Data(needle.utf8), in: start..<data.endIndex) { total += 1; start = range.upperBound }
            }
            return total
        }
        #expect(try hits("Quokkaberry") > 0)
        for batch in scenario.leaBatches { try store.apply(batch, clock: Self.clock) }
        for needle in ["Quokkaberry", "quokkaberry", "07700900123", "Zanzibar", "zanzibar"] {
            #expect(try hits(needle) == 0, "\(needle) still on disk")
        }
        #expect(try hits("Marmalade") > 0)
        #expect(try Self.search(store, "quokkaberry").isEmpty)
        #expect(try Self.search(store, "marmalade").count == 1)
    }
}
