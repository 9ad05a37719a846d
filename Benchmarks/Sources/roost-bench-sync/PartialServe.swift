import Foundation
import RoostCore
import RoostCrypto
import RoostStore
import RoostSync

/// What answering a partial peer from a store costs (`--only partial`, issue 18, DESIGN-format-2.md F2.9 step (c)):
/// a hub's file store holds T tickets (default 20,000) in 40 queues, written in format 2 by one author in
/// transactions of 50 tickets (insert, first message, queue), then 10% of them moved to another queue; a partial
/// peer (a ``PartialReplica`` subscribed to 2 queues) pulls from a ``StorePartialServer`` over that store until
/// quiet (its catch-up: how many answers, ops, seconds), then the hub writes one move and one reply at a time and the
/// peer pulls once after each (steady state: the answer's time, p50 and p99 over 200 rounds). No TCP: the answer
/// alone. The store is left in place (its path printed) for the size of `desk_ticket_in_queue` (`dbstat`).
///
/// The peer is a partial node on its own file store (``PartialStoreNode``, `partial-node.sqlite`): its catch-up includes
/// writing what it holds, each steady round's apply (`receive`: checks, store transaction, desk) is timed too, and the
/// two stores' sizes (database and WAL) are compared at the end, and the node is reopened from its store (timed).
///
/// `history`: the tickets are written in format 1 (the team's history) and only the moves after it in format 2, as in a
/// team that moved with `roost team format 2`; each answer then carries the format 1 logs past the peer's entries, as
/// a full node's session adds them (SPEC-partial.md §P.3c), and the peer holds every ticket the history names.
enum PartialServeBench {
    struct Result {
        var tickets = 0, ops = 0
        var buildSeconds = 0.0, viewSeconds = 0.0
        var catchUpAnswers = 0, catchUpOps = 0, catchUpSeconds = 0.0, heldTickets = 0, heldOps = 0
        /// Ops in the partial node's store (the format 1 history included).
        var partialStoreOps = 0
        var steadyP50 = 0.0, steadyP99 = 0.0, applyP50 = 0.0, applyP99 = 0.0
        var storeBytes = 0, partialStoreBytes = 0, path = ""
        /// Reopening the partial node from its store (``PartialReplica/init(key:epoch:founder:restoring:)``).
        var reopenSeconds = 0.0
    }

    static func run(tickets count: Int, directory: String, history: Bool = false) throws -> Result {
        var result = Result(tickets: count)
        let path = directory + "/partial-hub.sqlite"
        let store = try OpStore(path: path)
        let author = LocalAuthor(key: try SigningKey(seed: [UInt8](repeating: 41, count: 32)), epoch: history ? 2 : 1, format: 2)
        let historian = LocalAuthor(key: author.key, epoch: 1, format: 1)
        func append(_ bodies: [OpBody]) throws {
            if history { try store.append(bodies, by: historian, clock: clock) } else { try store.append(v2: bodies, by: author, clock: clock) }
        }
        let clock = RealClock()
        let queues = (0..<40).map { "q\($0)" }
        var rng = SplitMix64(seed: 20_261_207)
        var started = now()
        var batch: [OpBody] = []
        for n in 0..<count {
            let key = "t\(n)"
            batch += [.makeInsert(EntityRef(Desk.ticket, key), [Field("customer", .string("u\(n % (count / 3 + 1))"))]),
                      .makeInsert(EntityRef(Desk.message, "m-" + key), [Field("text", .string(String(repeating: "x", count: 110))),
                                                                       Field("ticket", .string(key))]),
                      .set(entity: EntityRef(Desk.ticket, key), field: "queue", value: .string(queues.randomElement(using: &rng)!))]
            if batch.count >= 150 { try append(batch); batch = [] }
        }
        if !batch.isEmpty { try append(batch) }
        for _ in 0..<(count / 10) {
            let key = "t\(Int.random(in: 0..<count, using: &rng))"
            try store.append(v2: [.set(entity: EntityRef(Desk.ticket, key), field: "queue", value: .string(queues.randomElement(using: &rng)!))],
                             by: author, clock: clock)
        }
        result.buildSeconds = now() - started
        result.ops = try store.opCount()

        let partialPath = directory + "/partial-node.sqlite"
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: partialPath + suffix) }
        var peer = try PartialStoreNode(key: try SigningKey(seed: [UInt8](repeating: 42, count: 32)), epoch: 1, founder: nil,
                                        store: try OpStore(path: partialPath), queues: ["q3", "q17"])
        started = now()
        var server = try StorePartialServer(peer: peer.replica.author, subscription: peer.replica.subscription, store: store)
        result.viewSeconds = now() - started
        started = now()
        // What `PeeringHub.answerPartial` adds to the server's answer: the format 1 logs past the peer's entries.
        func answer(_ request: PartialRequest) throws -> PartialBatch {
            var answer = try server.answer(request, from: store)
            let past = try store.batch(after: VersionVector(request.vector), limit: Limits.maxBatchOps,
                                       maxBytes: SyncLimits.maxBatchReadBytes)
            if !past.isEmpty { answer.history = [past] }
            return answer
        }
        while result.catchUpAnswers < 100_000 {
            let answer = try answer(peer.request(to: author.id))
            try peer.receive(answer, from: author.id, fromFull: true, clock: clock)
            result.catchUpAnswers += 1
            result.catchUpOps += answer.opCount
            if answer.runs.isEmpty && answer.backfill.isEmpty && answer.history.isEmpty { break }
        }
        result.catchUpSeconds = now() - started
        result.heldTickets = peer.replica.heldTickets.count
        result.heldOps = peer.replica.heldOps.count
        result.partialStoreOps = try peer.store.opCount()

        var times: [Double] = [], applies: [Double] = []
        for round in 0..<200 {
            let key = "t\(Int.random(in: 0..<count, using: &rng))"
            try store.append(v2: [.set(entity: EntityRef(Desk.ticket, key), field: "queue", value: .string(queues.randomElement(using: &rng)!))],
                             by: author, clock: clock)
            try store.append(v2: [.makeInsert(EntityRef(Desk.message, "r\(round)"), [Field("text", .string("on it")),
                                                                                     Field("ticket", .string(key))])],
                             by: author, clock: clock)
            let request = peer.request(to: author.id)
            let begin = now()
            let answer = try answer(request)
            times.append(now() - begin)
            let applying = now()
            try peer.receive(answer, from: author.id, fromFull: true, clock: clock)
            applies.append(now() - applying)
        }
        times.sort()
        applies.sort()
        let reopening = now()
        let reopened = try PartialStoreNode(key: try SigningKey(seed: [UInt8](repeating: 42, count: 32)), epoch: 1, founder: nil,
                                            store: peer.store)
        result.reopenSeconds = now() - reopening
        precondition(reopened.replica.heldOps == peer.replica.heldOps, "the reopened node holds what it held")
        result.applyP50 = applies[applies.count / 2]
        result.applyP99 = applies[min(applies.count - 1, applies.count * 99 / 100)]
        result.steadyP50 = times[times.count / 2]
        result.steadyP99 = times[min(times.count - 1, times.count * 99 / 100)]
        func bytes(_ path: String) -> Int {
            [path, path + "-wal"].reduce(0) { $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0) }
        }
        result.storeBytes = bytes(path)
        result.partialStoreBytes = bytes(partialPath)
        result.path = path
        return result
    }
}
