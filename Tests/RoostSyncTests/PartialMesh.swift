import Foundation
import RoostCore
import RoostStore
import RoostCrypto
import RoostSync

/// The partial replication simulation of issue 18 (Protocol/SPEC-partial.md): full "hub" replicas in a mesh (one of
/// them the gateway that imports tickets), partial replicas each subscribed to 1–3 queues and peered with two hubs,
/// agents claiming and answering tickets of their queues, tickets moving between queues, subscriptions changing,
/// a partition of the hubs, partial nodes going offline while their agents keep working, and lost batches. Every batch travels encoded and decoded (RunV2, one dictionary per direction).
///
/// An independent model records every op written — its position, scope name and size, each ticket's `queue` writes
/// and customer, who wrote in which ticket — and says which ops each node must hold once the team is quiet.
struct PartialMesh {
    struct Config {
        var seed: UInt64
        var queues = 40
        var partials = 120
        var hubs = 6
        var tickets = 2_000
        /// Tickets imported per gateway transaction.
        var importChunk = 50
        /// Agent actions (claim and reply) per imported ticket, on average.
        var actionsPerTicket = 0.5
        /// Share of agent actions that move the ticket to another queue instead.
        var moveShare = 0.1
        /// Text of a message, in characters (TWCS tweets average ~110).
        var messageLength = 110
        /// Percent of batches lost on the way (a connection that dropped).
        var lossPercent = 5
        /// Percent of partial nodes offline (a laptop on a plane) in each tenth of the run; their agents keep working.
        var offlinePercent = 10
        /// The first `storeTwins` partial nodes each have a twin that keeps what it holds in a store (`PartialStoreNode`
        /// on an in-memory `OpStore`), fed the same batches and writes, reopened from its store every tenth of the run:
        /// at the end each twin must hold what its node holds, with the desk showing its held tickets and verify clean.
        var storeTwins = 12
    }

    struct Figures {
        var ops = 0, bytes = 0
        var meanHeldShare = 0.0, maxHeldShare = 0.0, meanHeldOpShare = 0.0
        /// Share of the log's bytes that are routing register writes (what every node would hold were they in `g`).
        var routingShare = 0.0
        var rounds = 0, quietRounds = 0
        var wireBytes = 0, wireOps = 0, lostBatches = 0
        var counters = PartialCounters()
        /// Of the tickets in online partial nodes' queues, the share they held, sampled during the partition and outside
        /// it (how current a node is while the team works; the verdict is checked after the team is quiet).
        var heldDuringPartition = Share(), heldOutside = Share()
        /// Erasure ops written, and the ops they erased; erasure ops by agents (refused by the roster).
        var erasures = 0, erasedOps = 0, refusedErasures = 0
        var mismatches: [String] = []
    }

    /// A fraction counted over samples.
    struct Share {
        var held = 0, total = 0
        var value: Double { total == 0 ? 1 : Double(held) / Double(total) }
    }

    let config: Config
    var rng: SplitMix64
    var hubs: [PartialReplica]
    var partials: [PartialReplica]
    var hubsOf: [[Int]]
    var dictionaries: [String: RunDictionary] = [:]
    var tick: UInt64 = 0
    var figures = Figures()
    var partitioned = false
    /// Partial nodes offline in this stretch of the run.
    var offline: Set<Int> = []
    var lossRNG: SplitMix64
    var lost = 0
    /// Subscriptions changed while a node was offline: its hubs learn them (`subscribe`) when it is next online.
    var pendingSubscription: [Int: Subscription] = [:]
    /// The store-backed twins of the first ``Config/storeTwins`` partial nodes, and their keys (to reopen them).
    var twins: [Int: PartialStoreNode] = [:]
    var twinKeys: [Int: SigningKey] = [:]
    var twinRestarts = 0
    static let clock = FixedClock(millis: 1_767_225_600_000 + 100_000_000)

    // The model.
    struct ModelOp { var scope: String; var size: Int; var hash: Bytes32; var routing = false }
    var written: [OpRef: ModelOp] = [:]
    var queueOf: [String: (stamp: Stamp, queue: String?)] = [:]
    var customerOf: [String: String] = [:]
    var touchedBy: [AuthorID: Set<String>] = [:]
    var ticketCount = 0, customerCount = 0, messageCount = 0
    /// Ops that hold a customer's personal data (profile, messages of their tickets), by customer, with their bodies.
    var personal: [String: [OpRef]] = [:]
    var bodies: [OpRef: OpBody] = [:]
    /// Ops an effective erasure named.
    var erased: Set<OpRef> = []
    /// Erasure ops by agents, whom the roster does not let erase: every replica holds them refused.
    var refused: Set<OpRef> = []
    /// The model's tickets by queue, in arrays (a seed replays the same picks).
    var members: [String: [String]] = [:]
    var position: [String: Int] = [:]

    mutating func place(_ ticket: String, from old: String?, to new: String) {
        if let old, let at = position[ticket] {
            let last = members[old]!.removeLast()
            if last != ticket { members[old]![at] = last; position[last] = at }
        }
        position[ticket] = members[new, default: []].count
        members[new, default: []].append(ticket)
    }

    init(_ config: Config) {
        self.config = config
        rng = SplitMix64(seed: config.seed)
        lossRNG = SplitMix64(seed: config.seed ^ 0x1055)
        func key(_ index: Int) -> SigningKey {
            var seed = [UInt8](repeating: 0, count: 32)
            withUnsafeBytes(of: UInt64(index + 1).bigEndian) { for (i, b) in $0.enumerated() { seed[24 + i] = b } }
            withUnsafeBytes(of: config.seed.bigEndian) { for (i, b) in $0.enumerated() { seed[i] = b } }
            return try! SigningKey(seed: seed)
        }
        // Hub 0's author founded the team (pinned out of band): every replica judges erasures by the roster it holds.
        let founder = key(0).authorID
        hubs = (0..<config.hubs).map { PartialReplica(key: key($0), subscription: .full, founder: founder) }
        var rng = SplitMix64(seed: config.seed ^ 0x5eed)
        var partials: [PartialReplica] = []
        var hubsOf: [[Int]] = []
        for index in 0..<config.partials {
            let count = Int.random(in: 1...3, using: &rng)
            var queues: Set<String> = []
            while queues.count < count { queues.insert(Self.queue(Int.random(in: 0..<config.queues, using: &rng))) }
            partials.append(PartialReplica(key: key(config.hubs + index), subscription: Subscription(queues: queues),
                                           founder: founder))
            let first = index % config.hubs
            hubsOf.append([first, (first + 1 + Int.random(in: 0..<(config.hubs - 1), using: &rng)) % config.hubs])
        }
        self.partials = partials
        self.hubsOf = hubsOf
        for index in 0..<min(config.storeTwins, config.partials) {
            let store = try! OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
            twinKeys[index] = key(config.hubs + index)
            twins[index] = try! PartialStoreNode(key: key(config.hubs + index), epoch: partials[index].epoch, founder: founder,
                                                 store: store, queues: partials[index].subscription.queues)
        }
        for (index, partial) in partials.enumerated() {
            for hub in hubsOf[index] { hubs[hub].subscribe(peer: partial.author, partial.subscription) }
        }
    }

    static func queue(_ index: Int) -> String { "city-\(index)" }

    mutating func nextHLC() -> HLC {
        tick += 1
        return HLC(physicalMillis: 1_767_225_600_000 + tick, logical: 0)
    }

    // MARK: writing, recorded in the model

    /// A replica of the mesh.
    enum Node { case hub(Int), partial(Int) }

    /// Writes `bodies` as one transaction on `node` and records them in the model.
    mutating func write(_ bodies: [OpBody], on node: Node) {
        let hlc = nextHLC()
        let range: ClosedRange<UInt64>, replica: PartialReplica
        switch node {
        case let .hub(index): range = try! hubs[index].write(bodies, at: hlc); replica = hubs[index]
        case let .partial(index):
            range = try! partials[index].write(bodies, at: hlc)
            replica = partials[index]
            if twins[index] != nil { try! twins[index]!.write(bodies, at: hlc, clock: Self.clock) }
        }
        for (offset, seq) in range.enumerated() {
            let ref = OpRef(author: replica.author, epoch: replica.epoch, seq: seq)
            let body = bodies[offset]
            let name = Scope.name(of: body) { _ in nil }
            var isRouting = false
            if case let .set(entity, field, _) = body, entity.collection == Desk.ticket, ["queue", "status", "tier"].contains(field) {
                isRouting = true
            }
            written[ref] = ModelOp(scope: name, size: OpHeaderV2.encodedLength + body.encodedV2().count, hash: replica.hash(of: ref)!,
                                   routing: isRouting)
            if name.hasPrefix("t/") { touchedBy[replica.author, default: []].insert(String(name.dropFirst(2))) }
            if name.hasPrefix("c/") {
                personal[String(name.dropFirst(2)), default: []].append(ref)
                self.bodies[ref] = body
            } else if case let .insert(entity, _) = body, entity.collection == Desk.message,
                      let customer = customerOf[String(name.dropFirst(2))] {
                personal[customer, default: []].append(ref)
                self.bodies[ref] = body
            }
            switch body {
            case let .set(entity, "queue", value) where entity.collection == Desk.ticket:
                let full = Stamp(hlc: hlc, ref: ref)
                let current = queueOf[entity.key]
                if let current, !(current.stamp < full) { break }
                if case let .string(queue) = value { queueOf[entity.key] = (full, queue) } else { queueOf[entity.key] = (full, nil) }
                let before = current.map { $0.queue ?? RoutingRules.defaultQueue }
                let after = queueOf[entity.key]!.queue ?? RoutingRules.defaultQueue
                if before != after { place(entity.key, from: before, to: after) }
            case let .insert(entity, fields) where entity.collection == Desk.ticket:
                if case let .string(customer)? = fields.first(where: { $0.name == "customer" })?.value { customerOf[entity.key] = customer }
            default: break
            }
        }
    }

    /// The gateway imports `count` tickets in one transaction: customer (new, or one seen before), ticket, first
    /// message, and the queue the routing rules chose.
    mutating func importTickets(_ count: Int) {
        var bodies: [OpBody] = []
        for _ in 0..<count {
            ticketCount += 1
            let ticket = "tw\(ticketCount)"
            let customer: String
            if customerCount > 0 && Int.random(in: 0..<4, using: &rng) == 0 {
                customer = "u\(Int.random(in: 1...customerCount, using: &rng))"
            } else {
                customerCount += 1
                customer = "u\(customerCount)"
                bodies.append(.makeInsert(EntityRef(Desk.customer, customer), [Field("handle", .string("@\(customer)"))]))
            }
            bodies.append(.makeInsert(EntityRef(Desk.ticket, ticket), [Field("channel", .string("public")), Field("customer", .string(customer))]))
            messageCount += 1
            bodies.append(.makeInsert(EntityRef(Desk.message, "m\(messageCount)"), [
                Field("direction", .string("inbound")), Field("text", .string(text())), Field("ticket", .string(ticket))]))
            bodies.append(.set(entity: EntityRef(Desk.ticket, ticket), field: "queue",
                               value: .string(Self.queue(Int.random(in: 0..<config.queues, using: &rng)))))
        }
        write(bodies, on: .hub(0))
    }

    mutating func text() -> String {
        let words = ["router", "down", "again", "billing", "refund", "please", "help", "order", "late", "thanks", "why", "still"]
        var out = ""
        while out.count < config.messageLength { out += words[Int.random(in: 0..<words.count, using: &rng)] + " " }
        return out
    }

    /// A random agent claims and answers a ticket it holds in its queues, or moves it to another queue.
    mutating func agentAction() {
        let index = Int.random(in: 0..<partials.count, using: &rng)
        let agent = partials[index]
        guard let queue = agent.subscription.queues.sorted().randomElement(using: &rng),
              let ticket = members[queue]?.randomElement(using: &rng), agent.holdsTicket(ticket) else { return }
        let entity = EntityRef(Desk.ticket, ticket)
        if Double.random(in: 0..<1, using: &rng) < config.moveShare {
            write([.set(entity: entity, field: "queue", value: .string(Self.queue(Int.random(in: 0..<config.queues, using: &rng))))],
                  on: .partial(index))
        } else {
            messageCount += 1
            write([.claim(entity: entity, action: .claim, holder: agent.author, leaseSeconds: 900, observed: nil),
                   .makeInsert(EntityRef(Desk.message, "m\(messageCount)"), [
                       Field("direction", .string("outbound")), Field("text", .string(text())), Field("ticket", .string(ticket))])],
                  on: .partial(index))
        }
    }

    /// A lead on hub 1 moves a random imported ticket (nobody's touch).
    mutating func leadMove() {
        guard ticketCount > 0 else { return }
        let ticket = "tw\(Int.random(in: 1...ticketCount, using: &rng))"
        guard hubs[1].holdsTicket(ticket) else { return }
        write([.set(entity: EntityRef(Desk.ticket, ticket), field: "queue",
                    value: .string(Self.queue(Int.random(in: 0..<config.queues, using: &rng))))], on: .hub(1))
    }

    /// A lead on hub 1 erases a random customer (SPEC.md §1.9): their profile and the messages of their tickets, as
    /// far as hub 1 holds them.
    mutating func eraseCustomer() {
        guard customerCount > 0 else { return }
        let customer = "u\(Int.random(in: 1...customerCount, using: &rng))"
        let refs = (personal[customer] ?? []).filter { !erased.contains($0) && hubs[1].hash(of: $0) != nil }
        guard !refs.isEmpty else { return }
        var bodies: [OpBody] = []
        for chunk in stride(from: 0, to: refs.count, by: 200) {
            let targets = refs[chunk..<min(chunk + 200, refs.count)].map { ref in
                Erasure.Target(ref: ref, hash: hubs[1].hash(of: ref)!, residue: Redaction.residue(of: self.bodies[ref]!))
            }
            let id = String(format: "%016llx%016llx", rng.next(), rng.next())
            bodies.append(Erasure(reason: "gdpr", customer: customer, targets: targets).body(id: id))
        }
        write(bodies, on: .hub(1))
        erased.formUnion(refs)
        figures.erasures += bodies.count
        agentErasure()
    }

    /// An agent (a partial node) tries to erase a random customer's ops it holds: the roster does not let an agent
    /// erase, so every replica must hold the erasure and erase nothing by it.
    mutating func agentErasure() {
        let index = Int.random(in: 0..<partials.count, using: &rng)
        let tickets = partials[index].heldTickets.sorted()
        guard !tickets.isEmpty, let customer = customerOf[tickets[Int.random(in: 0..<tickets.count, using: &rng)]] else { return }
        let refs = (personal[customer] ?? []).filter { partials[index].hash(of: $0) != nil }.prefix(50)
        guard !refs.isEmpty else { return }
        let targets = refs.map { ref in
            Erasure.Target(ref: ref, hash: partials[index].hash(of: ref)!, residue: Redaction.residue(of: self.bodies[ref]!))
        }
        let id = String(format: "%016llx%016llx", rng.next(), rng.next())
        write([Erasure(reason: "gdpr", customer: customer, targets: Array(targets)).body(id: id)], on: .partial(index))
        refused.insert(OpRef(author: partials[index].author, epoch: partials[index].epoch, seq: partials[index].vector[partials[index].ownLog]!))
    }

    /// A partial node swaps one of its queues for another.
    mutating func changeSubscription() {
        let index = Int.random(in: 0..<partials.count, using: &rng)
        var queues = partials[index].subscription.queues
        queues.remove(queues.sorted().randomElement(using: &rng)!)
        queues.insert(Self.queue(Int.random(in: 0..<config.queues, using: &rng)))
        let subscription = Subscription(queues: queues)
        partials[index].resubscribe(subscription)
        if twins[index] != nil { try! twins[index]!.resubscribe(queues, clock: Self.clock) }
        // `subscribe` travels in a session: an offline node's hubs learn the change when it next connects.
        if offline.contains(index) {
            pendingSubscription[index] = subscription
        } else {
            for hub in hubsOf[index] { hubs[hub].subscribe(peer: partials[index].author, subscription) }
        }
    }

    // MARK: sync

    /// Carries `batch` over the wire: `PartialWire` encoded and decoded with the direction's dictionary; nil when
    /// the batch is lost (then the dictionaries of that direction start over, as a new session's would).
    mutating func wire(_ batch: PartialBatch, from: Node, to: Node) -> PartialBatch? {
        guard !batch.isEmpty else { return batch }
        if Int(lossRNG.next() % 100) < config.lossPercent {
            lost += 1
            dictionaries["\(from)>\(to)e"] = nil
            dictionaries["\(from)>\(to)d"] = nil
            return nil
        }
        let direction = "\(from)>\(to)"
        var encoder = dictionaries[direction + "e"] ?? RunDictionary()
        var decoder = dictionaries[direction + "d"] ?? RunDictionary()
        let bytes = PartialWire.encode(batch, dictionary: &encoder)
        let decoded = try! PartialWire.decodeBatch(bytes, dictionary: &decoder)
        dictionaries[direction + "e"] = encoder
        dictionaries[direction + "d"] = decoder
        figures.wireBytes += bytes.count
        figures.wireOps += batch.opCount
        return decoded
    }

    /// One round: hubs pull from each other (within their side of a partition), each partial node pulls from its hubs
    /// and each of its hubs pulls from it. Returns the ops carried.
    mutating func round() -> Int {
        figures.rounds += 1
        var carried = 0
        for a in hubs.indices {
            for b in hubs.indices where a != b && (!partitioned || (a < hubs.count / 2) == (b < hubs.count / 2)) {
                guard let batch = wire(hubs[b].answer(hubs[a].request(to: hubs[b].author), from: hubs[a].author),
                                       from: .hub(b), to: .hub(a)) else { carried += 1; continue }
                carried += batch.opCount
                hubs[a].receive(batch, from: hubs[b].author, fromFull: true)
            }
        }
        for index in partials.indices where !offline.contains(index) {
            if let subscription = pendingSubscription.removeValue(forKey: index) {
                for hub in hubsOf[index] { hubs[hub].subscribe(peer: partials[index].author, subscription) }
            }
            for hub in hubsOf[index] {
                if let down = wire(hubs[hub].answer(partials[index].request(to: hubs[hub].author), from: partials[index].author),
                                   from: .hub(hub), to: .partial(index)) {
                    carried += down.opCount
                    partials[index].receive(down, from: hubs[hub].author, fromFull: true)
                    if twins[index] != nil { try! twins[index]!.receive(down, from: hubs[hub].author, fromFull: true, clock: Self.clock) }
                } else {
                    carried += 1
                }
                let request = hubs[hub].request(to: partials[index].author)
                let answer = partials[index].answer(request, from: hubs[hub].author)
                if twins[index] != nil, twins[index]!.answer(request, from: hubs[hub].author).runs != answer.runs {
                    figures.mismatches.append("partial \(index)'s store twin answered its hub with other runs")
                }
                if let up = wire(answer, from: .partial(index), to: .hub(hub)) {
                    carried += up.opCount
                    hubs[hub].receive(up, from: partials[index].author, fromFull: false)
                } else {
                    carried += 1
                }
            }
        }
        return carried
    }

    /// Runs the workload: imports in chunks with agent actions, lead moves and subscription changes between rounds;
    /// the hubs partitioned in two for the middle third; then rounds until the team is quiet.
    mutating func run() -> Figures {
        let chunks = (config.tickets + config.importChunk - 1) / config.importChunk
        // The founder makes hub 1's author a lead, who may erase (a replica that gets an erasure first holds it refused
        // until this arrives), and every other node an agent: the store twins judge who may write (SPEC-partial.md §P.6).
        write([RosterChange.body(member: hubs[1].author, .role(.lead))]
              + (hubs.dropFirst(2).map(\.author) + partials.map(\.author)).map { RosterChange.body(member: $0, .role(.agent)) },
              on: .hub(0))
        for chunk in 0..<chunks {
            partitioned = chunk >= chunks / 3 && chunk < 2 * chunks / 3
            if chunk % max(1, chunks / 10) == 0 {
                offline = Set((0..<partials.count).filter { _ in Int.random(in: 0..<100, using: &rng) < config.offlinePercent })
                reopenTwins()
            }
            importTickets(min(config.importChunk, config.tickets - ticketCount))
            let actions = Int((Double(config.importChunk) * config.actionsPerTicket).rounded())
            for _ in 0..<actions { agentAction() }
            if chunk % 4 == 1 { leadMove() }
            if chunk % 3 == 1 { changeSubscription() }
            if chunk % 3 == 2 { eraseCustomer() }
            _ = round()
            if chunk % max(1, chunks / 50) == 0 { sampleCurrency() }
        }
        partitioned = false
        offline = []
        var quiet = 0
        while quiet < 2 && figures.quietRounds < 200 {
            figures.quietRounds += 1
            let carried = round()
            quiet = carried == 0 && partials.allSatisfy({ $0.wanted.isEmpty }) ? quiet + 1 : 0
        }
        check()
        checkTwins()
        figures.lostBatches = lost
        return figures
    }

    /// Reopens every store twin from its store, as a restarted node does.
    mutating func reopenTwins() {
        for (index, twin) in twins {
            twins[index] = try! PartialStoreNode(key: twinKeys[index]!, epoch: twin.replica.epoch, founder: twin.replica.founder,
                                                 store: twin.store)
            twinRestarts += 1
        }
    }

    /// Each store twin holds what its node holds; its desk shows the node's held tickets; its store verifies clean.
    mutating func checkTwins() {
        for index in twins.keys.sorted() {
            let (twin, partial) = (twins[index]!.replica, partials[index])
            if twin.heldOps != partial.heldOps || twin.heldScopes != partial.heldScopes || twin.vector != partial.vector
                || twin.bodilessOps != partial.bodilessOps {
                let vectorDiff = Set(twin.vector.keys).union(partial.vector.keys).filter { twin.vector[$0] != partial.vector[$0] }
                    .map { "\($0): \(twin.vector[$0].map(String.init) ?? "-") vs \(partial.vector[$0].map(String.init) ?? "-")" }
                figures.mismatches.append("partial \(index)'s store twin holds \(twin.heldOps.count) ops, the node \(partial.heldOps.count)"
                                          + " (ops \(twin.heldOps == partial.heldOps), scopes \(twin.heldScopes == partial.heldScopes),"
                                          + " vector \(vectorDiff.prefix(3)), bodiless \(twin.bodilessOps.count) vs \(partial.bodilessOps.count))")
            }
            let store = twins[index]!.store
            let desk = Set((try? store.desk.deskSnapshot().tickets.map(\.key)) ?? [])
            if desk != partial.heldTickets {
                figures.mismatches.append("partial \(index)'s store twin shows \(desk.count) tickets, the node holds \(partial.heldTickets.count)")
            }
            let problems = (try? store.verify().problems) ?? ["verify failed"]
            if !problems.isEmpty { figures.mismatches.append("partial \(index)'s store twin: \(problems.prefix(2))") }
        }
    }

    /// Samples how many of the tickets in each online partial node's queues it holds (the model says which).
    mutating func sampleCurrency() {
        var share = Share()
        for (index, partial) in partials.enumerated() where !offline.contains(index) {
            for queue in partial.subscription.queues {
                for ticket in members[queue] ?? [] {
                    share.total += 1
                    if partial.holdsTicket(ticket) { share.held += 1 }
                }
            }
        }
        if partitioned {
            figures.heldDuringPartition.held += share.held; figures.heldDuringPartition.total += share.total
        } else {
            figures.heldOutside.held += share.held; figures.heldOutside.total += share.total
        }
    }

    // MARK: the model's verdict

    /// What node `author` with `subscription` must hold: `g`, the tickets of its queues (by the last `queue` write)
    /// and those it wrote in, their customers' profiles, and its own log.
    func expected(_ author: AuthorID, _ subscription: Subscription) -> Set<OpRef> {
        var tickets = touchedBy[author] ?? []
        for (ticket, _) in customerOf where subscription.queues.contains(queueOf[ticket]?.queue ?? RoutingRules.defaultQueue) {
            tickets.insert(ticket)
        }
        var scopes: Set<String> = [Scope.global]
        for ticket in tickets {
            scopes.insert(Scope.ticket(ticket))
            if let customer = customerOf[ticket] { scopes.insert(Scope.customer(customer)) }
        }
        return Set(written.filter { $0.key.author == author || scopes.contains($0.value.scope) }.keys)
    }

    mutating func check() {
        let all = Set(written.keys)
        figures.ops = written.count
        figures.bytes = written.values.reduce(0) { $0 + $1.size }
        figures.routingShare = Double(written.values.reduce(0) { $0 + ($1.routing ? $1.size : 0) }) / Double(figures.bytes)
        figures.erasedOps = erased.count
        figures.refusedErasures = refused.count
        for (index, hub) in hubs.enumerated() {
            let held = hub.heldOps
            if Set(held.keys) != all { figures.mismatches.append("hub \(index): holds \(held.count) of \(all.count) ops") }
            checkErased(hub, "hub \(index)")
            add(hub.counters)
        }
        var shares: [Double] = [], opShares: [Double] = []
        for (index, partial) in partials.enumerated() {
            let held = partial.heldOps
            let want = expected(partial.author, partial.subscription)
            if Set(held.keys) != want {
                let missing = want.subtracting(held.keys).count, extra = Set(held.keys).subtracting(want).count
                let extraScopes = Set(Set(held.keys).subtracting(want).map { written[$0]?.scope ?? "?" }).sorted()
                let missingScopes = Set(want.subtracting(held.keys).map { written[$0]?.scope ?? "?" }).sorted()
                figures.mismatches.append("partial \(index): \(missing) missing \(missingScopes.prefix(4)), \(extra) extra \(extraScopes.prefix(4)) of \(want.count)")
            }
            checkErased(partial, "partial \(index)")
            for (ref, hash) in held where written[ref]?.hash != hash {
                figures.mismatches.append("partial \(index): \(ref) has another hash")
                break
            }
            // Figures are exact for what the node holds: its count of each subscribed queue is the team's.
            let coverage = partial.coverage
            for queue in partial.subscription.queues where coverage.ticketsByQueue[queue, default: 0] != members[queue]?.count ?? 0 {
                figures.mismatches.append("partial \(index): \(coverage.ticketsByQueue[queue, default: 0]) tickets in \(queue), the team has \(members[queue]?.count ?? 0)")
            }
            let elsewhere = (touchedBy[partial.author] ?? []).filter {
                !partial.subscription.queues.contains(queueOf[$0]?.queue ?? RoutingRules.defaultQueue)
            }.count
            if coverage.workedOnElsewhere != elsewhere {
                figures.mismatches.append("partial \(index): \(coverage) but worked on \(elsewhere) elsewhere")
            }
            shares.append(Double(partial.storage.bytes) / Double(figures.bytes))
            opShares.append(Double(held.count) / Double(figures.ops))
            add(partial.counters)
        }
        figures.meanHeldShare = shares.reduce(0, +) / Double(shares.count)
        figures.maxHeldShare = shares.max() ?? 0
        figures.meanHeldOpShare = opShares.reduce(0, +) / Double(opShares.count)
    }

    /// A replica holds without their bodies exactly the held ops an effective erasure named, and holds every agent's
    /// erasure refused.
    private mutating func checkErased(_ replica: PartialReplica, _ name: String) {
        let bodiless = replica.bodilessOps
        let want = erased.filter { replica.hash(of: $0) != nil }
        if bodiless != want {
            figures.mismatches.append("\(name): \(bodiless.subtracting(want).count) ops without their body not erased, \(want.subtracting(bodiless).count) erased ops with their body")
        }
        if Set(replica.refusedErasures.keys) != refused {
            figures.mismatches.append("\(name): \(replica.refusedErasures.count) erasures refused, the agents wrote \(refused.count)")
        }
    }

    private mutating func add(_ counters: PartialCounters) {
        figures.counters.refusedRuns += counters.refusedRuns
        figures.counters.scopeGaps += counters.scopeGaps
        figures.counters.unprovenScopes += counters.unprovenScopes
        figures.counters.duplicates += counters.duplicates
        figures.counters.dropped += counters.dropped
    }
}
