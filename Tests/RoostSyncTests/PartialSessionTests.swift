import Foundation
import RoostCore
import RoostCrypto
import RoostStore
@testable import RoostSync
import Testing

/// Partial sessions' rounds (Protocol/SPEC-partial.md §P.3b) between two `PartialReplica`s, every message encoded and
/// decoded as a sync message: the partial node ends with what direct pulls give it, its own log reaches the hub, a
/// ticket moved into its queue arrives after a `have`, and every break of the message order ends the session.
@Suite struct PartialSessionTests {
    typealias R = PartialReplicaTests

    /// Two replicas and their rounds, messages delivered in order, the driver's work done at once.
    struct Pair {
        var replicas: [PartialReplica]
        var rounds: [PartialSession.Rounds]
        var sent: [[SyncMessage]] = [[], []]
        var violations: [String] = []

        init(_ a: PartialReplica, _ b: PartialReplica) {
            replicas = [a, b]
            rounds = [PartialSession.Rounds(peerIsFull: b.isFull), PartialSession.Rounds(peerIsFull: a.isFull)]
        }

        func peer(of side: Int) -> AuthorID { replicas[1 - side].author }

        /// Both sides send their first request (after the hellos).
        mutating func start() throws {
            let first = (0...1).map { side in rounds[side].request(replicas[side].request(to: peer(of: side))) }
            try run([(0, first[0]), (1, first[1])])
        }

        /// `side` has news: it sends `have`, and the peer asks.
        mutating func hint(from side: Int) throws {
            try run([(side, [.send(.have(VersionVector(replicas[side].request(to: peer(of: side)).vector)))])])
        }

        mutating func run(_ initial: [(Int, [PartialSession.Action])]) throws {
            var queue = initial.flatMap { side, actions in actions.map { (side, $0) } }
            while !queue.isEmpty {
                let (side, action) = queue.removeFirst()
                var next: [PartialSession.Action] = []
                switch action {
                case let .send(message):
                    sent[side].append(message)
                    let decoded = try SyncMessage.decode(message.encoded())
                    queue += rounds[1 - side].received(decoded).map { (1 - side, $0) }
                    continue
                case .requestDue:
                    next = rounds[side].request(replicas[side].request(to: peer(of: side)))
                case let .answer(request):
                    let batch = replicas[side].answer(request, from: peer(of: side))
                    next = rounds[side].answered(batch)
                case let .receive(batch, fromFull):
                    replicas[side].receive(batch, from: peer(of: side), fromFull: fromFull)
                    next = rounds[side].applied()
                case let .peerSubscribed(subscription):
                    replicas[side].subscribe(peer: peer(of: side), subscription)
                case let .violation(reason):
                    violations.append(reason)
                }
                queue += next.map { (side, $0) }
            }
        }
    }

    /// `receiver` pulls from `sender` until nothing more comes: what the rounds must reach.
    static func pullUntilQuiet(_ receiver: inout PartialReplica, from sender: inout PartialReplica) {
        for _ in 0..<20 {
            let batch = sender.answer(receiver.request(to: sender.author), from: receiver.author)
            receiver.receive(batch, from: sender.author, fromFull: sender.isFull)
            if batch.runs.isEmpty && batch.backfill.isEmpty { return }
        }
    }

    @Test func roundsGiveAPartialNodeWhatDirectPullsGive() throws {
        var (hub, paris) = R.hubAndAgent(queues: ["paris"])
        try hub.write(R.ticket("p1", queue: "paris", customer: "u1") + R.ticket("r1", queue: "rome", customer: "u2")
                      + [.makeInsert(EntityRef(Desk.customer, "u1"), [Field("handle", .string("@u1"))])], at: R.hlc(1))
        try hub.write(R.ticket("p2", queue: "paris", customer: "u3"), at: R.hlc(2))
        var (twinHub, twinParis) = (hub, paris)
        Self.pullUntilQuiet(&twinParis, from: &twinHub)

        var pair = Pair(hub, paris)
        try pair.start()
        #expect(pair.violations.isEmpty)
        #expect(pair.replicas[1].heldOps == twinParis.heldOps)
        #expect(pair.replicas[1].heldTickets == ["p1", "p2"])
        // Every op went in a partial-batch; a request is want/have, vector, partial-ack.
        #expect(!pair.sent[0].contains { [.batch, .runs, .runsV2].contains($0.tag) })
        let requestTags = pair.sent[1].map(\.tag).filter { $0 != .partialBatch }
        #expect(Set(requestTags).isSubset(of: [.wantScope, .haveScope, .vector, .partialAck]))
        #expect(requestTags.last == .partialAck)

        // The agent works in p1: her own log reaches the hub in her answer to its request.
        try pair.replicas[1].write([.tagAdd(entity: EntityRef(Desk.ticket, "p1"), tag: "vip")], at: R.hlc(3))
        let own = pair.replicas[1].ownLog
        try pair.hint(from: 1)
        #expect(pair.replicas[0].request(to: pair.replicas[1].author).vector[own] == 1)

        // The hub moves r1 into paris; after its hint the agent asks and gets the ticket whole.
        try pair.replicas[0].write([R.move("r1", to: "paris")], at: R.hlc(4))
        try pair.hint(from: 0)
        #expect(pair.replicas[1].heldTickets == ["p1", "p2", "r1"])
        #expect(pair.violations.isEmpty)
        // The partial-batches after the first named authors and scopes by the session dictionary: a fresh one fails.
        let batches = pair.sent[0].compactMap { if case let .partialBatch(bytes) = $0 { bytes } else { nil } }
        var carried = RunDictionary()
        let decoded = try batches.map { try PartialWire.decodeBatch($0, dictionary: &carried) }
        let later = try #require(decoded.indices.dropFirst().last { !decoded[$0].runs.isEmpty && decoded[..<$0].contains { !$0.runs.isEmpty } })
        var fresh = RunDictionary()
        #expect(throws: ByteDecodingError.self) { _ = try PartialWire.decodeBatch(batches[later], dictionary: &fresh) }
    }

    @Test func aSubscriptionChangeReachesThePeer() throws {
        var (hub, paris) = R.hubAndAgent(queues: ["paris"])
        try hub.write(R.ticket("r1", queue: "rome", customer: "u2"), at: R.hlc(1))
        var pair = Pair(hub, paris)
        try pair.start()
        #expect(pair.replicas[1].heldTickets.isEmpty)
        pair.replicas[1].resubscribe(Subscription(queues: ["paris", "rome"]))
        try pair.run([(1, [.send(.subscribe(pair.replicas[1].subscription))])])
        try pair.hint(from: 0)
        #expect(pair.replicas[1].heldTickets == ["r1"])
    }

    @Test func messagesOutOfOrderEndTheSession() throws {
        let scope = R.t("p1")
        let cases: [(String, [SyncMessage])] = [
            ("partial-batch that answers no request", [.partialBatch([0, 0, 0, 0, 0])]),
            ("partial-ack without a vector", [.partialAck(0)]),
            ("want-scope inside a request", [.vector(VersionVector()), .wantScope([scope])]),
            ("have-scope out of order", [.haveScope([scope]), .haveScope([scope])]),
            ("two vectors in one request", [.vector(VersionVector()), .vector(VersionVector())]),
            ("a request while one is unanswered", [.vector(VersionVector()), .partialAck(0), .vector(VersionVector()), .partialAck(0)]),
            ("runs in a partial session", [.runs(id: 1, OpBatch())]),
            ("runsV2 in a partial session", [.runsV2(id: 1, batch: [0])]),
            ("wantVector in a partial session", [.wantVector]),
        ]
        for (name, messages) in cases {
            var rounds = PartialSession.Rounds(peerIsFull: true)
            var actions: [PartialSession.Action] = []
            for message in messages { actions += rounds.received(message) }
            #expect(actions.contains { if case let .violation(reason) = $0 { reason.contains(name.components(separatedBy: " in a ")[0]) } else { false } },
                    "\(name): \(actions)")
            // Nothing more is done after a violation.
            #expect(rounds.received(.partialAck(0)).isEmpty && rounds.request(PartialRequest(vector: [:], want: [])).isEmpty)
        }
        // An undecodable batch, once a request is out.
        var rounds = PartialSession.Rounds(peerIsFull: true)
        _ = rounds.request(PartialRequest(vector: [:], want: []))
        #expect(rounds.received(.partialBatch([1, 5])).contains { if case .violation = $0 { true } else { false } })
    }

    /// A full peer's format 1 history travels as `runs` ahead of its `partial-batch` (SPEC-partial.md §P.3c).
    @Test func theFormatOneHistoryComesBeforeTheAnswer() throws {
        let store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        let author = LocalAuthor(key: R.key(1), epoch: 1, format: 1)
        try store.append(R.ticket("old", queue: "rome", customer: "u1"), by: author, clock: NowClock())
        let history = try store.batch(after: VersionVector())
        #expect(history.ops.count == 3)

        // The sender: `runs` first, then the batch.
        var full = PartialSession.Rounds(peerIsFull: false)
        _ = full.received(.vector(VersionVector()))
        _ = full.received(.partialAck(0))
        let sent = full.answered(PartialBatch(runs: [], backfill: [], covered: [:], history: [history]))
        let tags: [SyncMessage.Tag?] = sent.map { action -> SyncMessage.Tag? in if case let .send(m) = action { m.tag } else { nil } }
        #expect(tags == [.runs, .partialBatch])

        // The receiver hands the history to the driver with the answer, and asks again.
        var partial = PartialSession.Rounds(peerIsFull: true)
        _ = partial.request(PartialRequest(vector: [:], want: []))
        var received: [PartialSession.Action] = []
        for case let .send(message) in sent { received += partial.received(try SyncMessage.decode(message.encoded())) }
        guard case let .receive(batch, true)? = received.first, received.count == 1 else {
            Issue.record("one answer, with its history: \(received)")
            return
        }
        #expect(batch.history.map(\.ops.count) == [3] && batch.history[0].ops.map(\.header) == history.ops.map(\.header))
        #expect(partial.applied().count == 1, "an answer that carried history: another request is due")

        // `runs` from a partial peer, outside an answer, or more than the limit before one batch end the session.
        var fromPartial = PartialSession.Rounds(peerIsFull: false)
        _ = fromPartial.request(PartialRequest(vector: [:], want: []))
        #expect(fromPartial.received(.runs(id: 0, history)).contains { if case .violation = $0 { true } else { false } })
        var unasked = PartialSession.Rounds(peerIsFull: true)
        #expect(unasked.received(.runs(id: 0, history)).contains { if case .violation = $0 { true } else { false } })
        var flooded = PartialSession.Rounds(peerIsFull: true)
        _ = flooded.request(PartialRequest(vector: [:], want: []))
        var actions: [PartialSession.Action] = []
        for _ in 0...SyncLimits.partialHistoryMessages { actions += flooded.received(.runs(id: 0, history)) }
        #expect(actions.count == 1 && actions.contains { if case .violation = $0 { true } else { false } }, "\(actions)")
    }

    @Test func aSecondRequestWaitsForTheAnswer() throws {
        var rounds = PartialSession.Rounds(peerIsFull: true)
        let first = rounds.request(PartialRequest(vector: [:], want: [R.t("p1")]))
        let tags: [SyncMessage.Tag?] = first.map { action -> SyncMessage.Tag? in if case let .send(m) = action { m.tag } else { nil } }
        #expect(tags == [.wantScope, .vector, .partialAck])
        #expect(rounds.request(PartialRequest(vector: [:], want: [])).isEmpty, "one request out at a time")
        var dictionary = RunDictionary()
        let empty = PartialWire.encode(PartialBatch(runs: [], backfill: [], covered: [:]), dictionary: &dictionary)
        guard case .receive(_, true)? = rounds.received(.partialBatch(empty)).first else {
            Issue.record("the answer is handed to the driver")
            return
        }
        // The answer was empty, but a request was asked for meanwhile: it is due now.
        #expect(rounds.applied().count == 1)
        #expect(rounds.applied().isEmpty)
    }

    /// Two `PartialReplica`s behind two `SyncSession.StateMachine`s: the whole session of §P.3b, from `subscribe` and
    /// the hellos on.
    struct SessionPair {
        var replicas: [PartialReplica]
        var machines: [SyncSession.StateMachine]
        var now = syncBaseMillis
        var closes: [SyncSession.CloseReason] = []
        var sent: [[SyncMessage]] = [[], []]

        init(hub: PartialReplica, node: PartialReplica, hubServes: Bool = true, hubVersion: UInt16 = SyncLimits.protocolVersion,
             configuration: SyncConfiguration = .init()) {
            replicas = [hub, node]
            machines = [
                SyncSession.StateMachine(local: hub.author, expectedPeer: node.author, configuration: configuration,
                                         helloVersion: hubVersion, servesPartial: hubServes, now: syncBaseMillis),
                SyncSession.StateMachine(local: node.author, expectedPeer: hub.author, configuration: configuration,
                                         subscription: node.subscription, now: syncBaseMillis),
            ]
        }

        func vector(_ side: Int) -> VersionVector { VersionVector(replicas[side].request(to: replicas[1 - side].author).vector) }

        mutating func start() throws {
            let first = (0...1).map { side in machines[side].start(localVector: vector(side)) }
            try run(first[0].map { (0, $0) } + first[1].map { (1, $0) })
        }

        mutating func changed(_ side: Int) throws {
            try run(machines[side].localChanged(localVector: vector(side), now: now).map { (side, $0) })
        }

        mutating func tick(_ side: Int) throws {
            try run(machines[side].tick(localVector: vector(side), now: now).map { (side, $0) })
        }

        mutating func run(_ initial: [(Int, SyncSession.Action)]) throws {
            var queue = initial
            while !queue.isEmpty {
                let (side, action) = queue.removeFirst()
                let peer = replicas[1 - side].author
                var next: [SyncSession.Action] = []
                switch action {
                case let .send(message):
                    sent[side].append(message)
                    let decoded = try SyncMessage.decode(message.encoded())
                    queue += machines[1 - side].received(decoded, localVector: vector(1 - side), now: now).map { (1 - side, $0) }
                    continue
                case .partialRequestDue:
                    next = machines[side].partialRequest(replicas[side].request(to: peer), now: now)
                case let .partialAnswer(request):
                    next = machines[side].partialAnswered(replicas[side].answer(request, from: peer), now: now)
                case let .partialReceive(batch, fromFull):
                    replicas[side].receive(batch, from: peer, fromFull: fromFull)
                    next = machines[side].partialApplied(now: now)
                case let .peerSubscribed(subscription):
                    replicas[side].subscribe(peer: peer, subscription)
                case let .close(reason):
                    closes.append(reason)
                default:
                    break
                }
                queue += next.map { (side, $0) }
            }
        }
    }

    @Test func aPartialNodesSessionRunsRoundsFromItsSubscribeOn() throws {
        // The hub has not heard the agent's subscription: the session's `subscribe` tells it.
        var hub = PartialReplica(key: R.key(1), subscription: .full)
        let paris = PartialReplica(key: R.key(2), subscription: Subscription(queues: ["paris"]))
        try hub.write(R.ticket("p1", queue: "paris", customer: "u1") + R.ticket("r1", queue: "rome", customer: "u2"), at: R.hlc(1))
        var twinHub = hub, twinParis = paris
        twinHub.subscribe(peer: paris.author, paris.subscription)
        Self.pullUntilQuiet(&twinParis, from: &twinHub)

        let rounds = SyncConfiguration(antiEntropyIntervalMillis: 5_000)
        var pair = SessionPair(hub: hub, node: paris, configuration: rounds)
        try pair.start()
        #expect(pair.closes.isEmpty)
        #expect(pair.sent[1].first?.tag == .subscribe && pair.sent[1].dropFirst().first?.tag == .hello, "subscribe, then hello")
        #expect(pair.machines[0].isPartial && pair.machines[1].isPartial && pair.machines[0].sessionVersion == 4)
        #expect(pair.replicas[1].heldOps == twinParis.heldOps)
        #expect(pair.replicas[1].heldTickets == ["p1"])

        // The agent writes: her `have` hint makes the hub ask, and her log reaches it.
        try pair.replicas[1].write([.tagAdd(entity: EntityRef(Desk.ticket, "p1"), tag: "vip")], at: R.hlc(2))
        try pair.changed(1)
        #expect(pair.replicas[0].request(to: pair.replicas[1].author).vector[pair.replicas[1].ownLog] == 1)
        // A move into paris reaches the agent at the next anti-entropy round, without a hint.
        try pair.replicas[0].write([R.move("r1", to: "paris")], at: R.hlc(3))
        pair.now += rounds.antiEntropyIntervalMillis
        try pair.tick(1)
        #expect(pair.replicas[1].heldTickets == ["p1", "r1"])
        #expect(pair.closes.isEmpty)
        #expect(!pair.sent[0].contains { [.batch, .runs, .runsV2, .vectorDigest].contains($0.tag) }, "every op in a partial-batch")
    }

    @Test func aPartialSessionNeedsAServingVersion4Peer() throws {
        let hub = PartialReplica(key: R.key(1), subscription: .full)
        let paris = PartialReplica(key: R.key(2), subscription: Subscription(queues: ["paris"]))
        var refusing = SessionPair(hub: hub, node: paris, hubServes: false)
        try refusing.start()
        #expect(refusing.closes.contains { $0 == .protocolViolation("this node does not serve partial nodes") }, "\(refusing.closes)")
        var old = SessionPair(hub: hub, node: paris, hubVersion: 3)
        try old.start()
        #expect(old.closes.contains { if case let .protocolViolation(text) = $0 { text.contains("needs protocol version 4") } else { false } },
                "\(old.closes)")
        // Two full nodes never run rounds.
        var full = SyncSession.StateMachine(local: hub.author, servesPartial: true, now: syncBaseMillis)
        _ = full.start(localVector: VersionVector())
        _ = full.received(.hello(SyncHello(node: paris.author, window: 2, vector: VersionVector())), localVector: VersionVector(), now: syncBaseMillis)
        #expect(full.isActive && !full.isPartial)
    }
}
