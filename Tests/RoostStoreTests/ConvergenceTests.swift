import Foundation
import GRDB
import Testing
import RoostCore
import RoostCrypto
import RoostStore

/// Convergence, proven by seeded property tests (issue: "Roost core", item 7).
///
/// For random ops from 2 to 6 authors, who partly sync with each other while they work, every delivery
/// order that keeps each author's order, with duplicates and overlapping batches, must give
/// byte-identical materialized state and the same state hash on every replica; every claimed item must
/// have exactly one resolved holder equal to an independent resolution of all its claim ops; registers must
/// equal an independent last-writer-wins fold; and `verify` must pass on each replica.
///
/// Seeds: `ROOST_SEED` (default 0x5EED) plus 0..<(chunks × perChunk). A failure names its seed; replay it
/// with `ROOST_SEED=<seed> ROOST_SEEDS=1 swift test --filter ConvergenceTests`.
@Suite struct ConvergenceTests {
    static let baseSeed = UInt64(ProcessInfo.processInfo.environment["ROOST_SEED"] ?? "") ?? 0x5EED
    static let seedsPerChunk = Int(ProcessInfo.processInfo.environment["ROOST_SEEDS"] ?? "") ?? 100
    static let chunks = 0..<(ProcessInfo.processInfo.environment["ROOST_SEEDS"] == nil ? 11 : 1)

    @Test("random histories converge on every replica", arguments: chunks)
    func converges(chunk: Int) throws {
        let first = Self.baseSeed &+ UInt64(chunk * Self.seedsPerChunk)
        print("ConvergenceTests: seeds \(first)...\(first &+ UInt64(Self.seedsPerChunk - 1))")
        for offset in 0..<Self.seedsPerChunk {
            let seed = first &+ UInt64(offset)
            do {
                try Scenario.run(seed: seed)
            } catch {
                Issue.record("seed \(seed): \(error)")
                return
            }
        }
    }
}

struct ConvergenceFailure: Error, CustomStringConvertible {
    var description: String
}

/// One random history and its delivery to fresh replicas.
enum Scenario {
    static let entities = (1...3).map { EntityRef("ticket", String($0)) } + [EntityRef("customer", "c1")]
    static let fieldNames = ["status", "priority"]
    static let tagNames = ["billing", "outage", "vip"]

    static func run(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let authorCount = Int.random(in: 2...6, using: &rng)
        var authors: [TestAuthor] = []
        for _ in 0..<authorCount { authors.append(try TestAuthor(using: &rng)) }
        let skews = authors.map { _ in Int64.random(in: -60_000...60_000, using: &rng) }
        var now = baseMillis
        let steps = Int.random(in: 10...40, using: &rng)
        for _ in 0..<steps {
            now += UInt64.random(in: 0...90_000, using: &rng)
            let index = Int.random(in: 0..<authorCount, using: &rng)
            let author = authors[index]
            let time = UInt64(Int64(now) + skews[index])
            if Int.random(in: 0..<4, using: &rng) == 0 {
                // Partial sync from one other author: later ops observe what it brought.
                let source = authors[(index + Int.random(in: 1..<authorCount, using: &rng)) % authorCount]
                let batch = try source.store.batch(after: try author.store.versionVector(), limit: Int.random(in: 1...50, using: &rng))
                try author.store.apply(batch, clock: FixedClock(millis: time))
                continue
            }
            var bodies: [OpBody] = []
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                if let body = try randomBody(by: author, others: authors.map(\.id), time: time, rng: &rng) {
                    bodies.append(body)
                }
            }
            if !bodies.isEmpty { try author.append(bodies, at: time) }
        }

        // Deliver every author's sealed transactions to fresh replicas in random interleavings.
        let segments = try authors.map { try $0.segments() }
        let deliveryClock = FixedClock(millis: now + 120_000)
        var replicas: [OpStore] = []
        for _ in 0..<3 {
            let replica = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
            var next = Array(repeating: 0, count: authorCount)
            var delivered: [OpBatch] = []
            while let pick = (0..<authorCount).filter({ next[$0] < segments[$0].count }).randomElement(using: &rng) {
                var batch = segments[pick][next[pick]]
                next[pick] += 1
                if Int.random(in: 0..<5, using: &rng) == 0, next[pick] >= 2 {
                    // Overlap: resend the previous transaction with this one (duplicates + new ops).
                    let previous = segments[pick][next[pick] - 2]
                    batch = OpBatch(ops: previous.ops + batch.ops, seals: previous.seals + batch.seals)
                }
                if Int.random(in: 0..<4, using: &rng) == 0,
                   let other = (0..<authorCount).filter({ $0 != pick && next[$0] < segments[$0].count }).randomElement(using: &rng) {
                    // Several logs in one batch.
                    let extra = segments[other][next[other]]
                    next[other] += 1
                    batch = OpBatch(ops: batch.ops + extra.ops, seals: batch.seals + extra.seals)
                }
                try replica.apply(batch, clock: deliveryClock)
                delivered.append(batch)
                if Int.random(in: 0..<6, using: &rng) == 0, let again = delivered.randomElement(using: &rng) {
                    let report = try replica.apply(again, clock: deliveryClock)
                    guard report.applied == 0 else {
                        throw ConvergenceFailure(description: "re-delivery applied \(report.applied) ops")
                    }
                }
            }
            replicas.append(replica)
        }
        // The authors themselves catch up from a replica and must agree too.
        for author in authors {
            try author.store.apply(try replicas[0].batch(after: try author.store.versionVector()), clock: deliveryClock)
        }

        let stores = replicas + authors.map(\.store)
        let reference = try stores[0].stateDump()
        let referenceHash = try stores[0].stateHash()
        for (index, store) in stores.enumerated().dropFirst() {
            guard try store.stateHash() == referenceHash else {
                let table = try store.stateDump().first { reference[$0.key] != $0.value }?.key ?? "?"
                throw ConvergenceFailure(description: "store \(index) diverges from store 0 in \(table)")
            }
            guard try store.stateDump() == reference else {
                throw ConvergenceFailure(description: "store \(index) has the same hash but a different dump")
            }
        }
        try checkAgainstOracle(replicas[0], allOps: segments.flatMap { $0.flatMap(\.ops) })
        for (index, replica) in replicas.enumerated() {
            let report = try replica.verify()
            guard report.isOK else {
                throw ConvergenceFailure(description: "verify failed on replica \(index): \(report.problems[0])")
            }
        }
    }

    static func randomBody<G: RandomNumberGenerator>(
        by author: TestAuthor, others: [AuthorID], time: UInt64, rng: inout G
    ) throws -> OpBody? {
        let entity = entities.randomElement(using: &rng)!
        switch Int.random(in: 0..<10, using: &rng) {
        case 0 where entity.collection == "ticket" && Bool.random(using: &rng):
            // A desk ticket: two nodes may insert it with different payloads; the earliest stamp's wins.
            return .makeInsert(entity, [
                Field("channel", .string(Bool.random(using: &rng) ? "public" : "dm")),
                Field("customer", .string("c\(Int.random(in: 1...2, using: &rng))")), Field("brand", .string("acme")),
            ])
        case 0:
            // A desk message (projected into desk_message and its ticket's desk_ticket row).
            let direction = ["inbound", "outbound", "note"].randomElement(using: &rng)!
            return .makeInsert(EntityRef("message", String(Int.random(in: 1...6, using: &rng))), [
                Field("text", .string("text \(Int.random(in: 0...999, using: &rng))")),
                Field("ticket", .string(entities.filter { $0.collection == "ticket" }.randomElement(using: &rng)!.key)),
                Field("direction", .string(direction)), Field("author", .string(author.id.short)),
                Field("created_ms", .int(Int64(time) + Int64.random(in: -600_000...0, using: &rng))),
            ])
        case 1, 2:
            let value: Value = switch Int.random(in: 0..<5, using: &rng) {
            case 0: .null
            case 1: .int(Int64.random(in: -5...5, using: &rng))
            case 2: .bool(Bool.random(using: &rng))
            case 3: .string(["urgent", "high", "normal", "low"].randomElement(using: &rng)!)
            default: .string(["new", "open", "pending", "resolved"].randomElement(using: &rng)!)
            }
            return .set(entity: entity, field: fieldNames.randomElement(using: &rng)!, value: value)
        case 3, 4:
            return .tagAdd(entity: entity, tag: tagNames.randomElement(using: &rng)!)
        case 5:
            let tag = tagNames.randomElement(using: &rng)!
            let adds = try author.store.state.observedTagAdds(entity, tag: tag)
            return adds.isEmpty ? nil : .tagRemove(entity: entity, tag: tag, observed: adds)
        default:
            let current = try author.store.state.claim(on: entity)
            let lease = UInt32.random(in: 30...300, using: &rng)
            let someone = others.randomElement(using: &rng)!
            guard let current else {
                return .claim(entity: entity, action: .claim, holder: author.id, leaseSeconds: lease, observed: nil)
            }
            switch Int.random(in: 0..<7, using: &rng) {
            case 0: // Did not see the current claim (or ignores it): a concurrent first claim.
                return .claim(entity: entity, action: .claim, holder: author.id, leaseSeconds: lease, observed: nil)
            case 1:
                return .claim(entity: entity, action: .release, holder: nil, leaseSeconds: 0, observed: current.current)
            case 2:
                return .claim(entity: entity, action: .handoff, holder: someone, leaseSeconds: lease, observed: current.current)
            case 3:
                return .claim(entity: entity, action: .takeover, holder: author.id, leaseSeconds: lease, observed: current.current)
            case 4:
                return .claim(entity: entity, action: .reassign, holder: someone, leaseSeconds: lease, observed: current.current)
            default:
                return .claim(entity: entity, action: .claim, holder: author.id, leaseSeconds: lease, observed: current.current)
            }
        }
    }

    /// Independent folds of all ops, straight from the bodies, compared with what the store materialized.
    static func checkAgainstOracle(_ store: OpStore, allOps: [Op]) throws {
        var registers: [String: (Stamp, Value)] = [:]
        var claims: [EntityRef: [ClaimRecord]] = [:]
        for op in allOps {
            let stamp = Stamp(hlc: op.header.hlc, ref: op.header.ref)
            switch try OpBody.decode(kind: op.header.kind, bytes: op.body!) {
            case let .set(entity, field, value):
                let key = "\(entity)#\(field)"
                if registers[key].map({ $0.0 < stamp }) ?? true { registers[key] = (stamp, value) }
            case let .claim(entity, action, holder, lease, observed):
                claims[entity, default: []].append(
                    ClaimRecord(stamp: stamp, action: action, holder: holder, leaseSeconds: lease, observed: observed))
            default:
                continue
            }
        }
        for (key, expected) in registers {
            let parts = key.split(separator: "#")
            let entityParts = parts[0].split(separator: "/")
            let value = try store.state.register(EntityRef(String(entityParts[0]), String(entityParts[1])), String(parts[1]))
            guard value == expected.1 else {
                throw ConvergenceFailure(description: "register \(key) is \(String(describing: value)), oracle says \(expected.1)")
            }
        }
        for (entity, records) in claims {
            let expected = ClaimResolver.resolve(records)
            let status = try store.state.claim(on: entity)
            guard let current = expected.current, let status else {
                throw ConvergenceFailure(description: "claimed item \(entity) has no resolved holder")
            }
            guard status.current == current.ref, status.holder == current.holder else {
                throw ConvergenceFailure(description: "claim on \(entity): store says \(status.current), oracle \(current.ref)")
            }
            let conflicts = try store.state.claimConflicts(on: entity)
            guard conflicts.count == expected.conflicts.count else {
                throw ConvergenceFailure(description: "claim conflicts on \(entity): \(conflicts.count) vs \(expected.conflicts.count)")
            }
        }
    }
}
