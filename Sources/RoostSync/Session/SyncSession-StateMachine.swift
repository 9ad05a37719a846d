public import RoostCore
public import RoostStore

extension SyncSession {
    /// The protocol logic of one session, pure: no I/O, no clock (every event carries `now`, in ms), no
    /// randomness. Each mutating method takes one event and returns the ``Action``s to perform in order.
    ///
    /// ```
    ///  idle ──start──▶ helloSent ──peer hello ok──▶ active ──bye / violation / idle timeout──▶ closed
    ///                      │                                                  ▲
    ///                      └──────────── bye / violation / timeout ───────────┘
    /// ```
    ///
    /// Sending (per session): `sentVector` is what the peer will hold once every batch in flight is
    /// applied. While some log outside the blocked and deferred sets is ahead of it locally, fewer than
    /// `window` batches are unacknowledged and no fetch is outstanding, the machine asks for
    /// `store.batch(after: sentVector)`; the batch goes out and `sentVector` advances. An ack moves its
    /// batch into `peerVector` (what the peer is known to hold) and frees a slot; a reject rewinds
    /// `sentVector` to `peerVector` plus the batches still in flight, and blocks the refused log for the
    /// session unless the reason is transient. Because the store's batch carries every log it holds,
    /// ops are relayed: a node forwards third-party logs like its own. When the store gains ops, the
    /// machine first announces them (`have`). In a version 1 session it holds other authors' ops for
    /// ``SyncConfiguration/relayDelayMillis`` so that a neighbour that got them too can say so first; from version 2
    /// it holds only the authors the peer pruned (§2b.17), and anti-entropy rounds send a vector digest (§2b.16).
    ///
    /// Receiving: batch ids must follow each other from 1, and at most `window` (ours) may wait for
    /// their apply; the machine asks the driver to apply each and acks or rejects it when told the result.
    public struct StateMachine: Sendable {
        /// This node.
        public let local: AuthorID
        /// The node the transport authenticated, when it did; a hello from another node is refused.
        public let expectedPeer: AuthorID?
        /// The session's tunables.
        public let configuration: SyncConfiguration
        /// The protocol version our hello announces: ``SyncLimits/protocolVersion``, or a lower one for a peer
        /// known to refuse it (§2b.16).
        public let helloVersion: UInt16
        /// The format 2 logs the local vector names (SPEC-sync.md §2b.19), kept current by the driver. A session that
        /// does not carry format 2 logs never names them to its peer (hello, `have`, `vector`, digests): the peer could
        /// not hold them, and would otherwise look behind on them for ever.
        public var format2Logs: Set<LogID> = []
        /// This node's subscription when it is a partial node (SPEC-partial.md §P.3b); nil for a full node.
        public let subscription: Subscription?
        /// Whether this full node answers partial peers (its replica can build their batches); a partial peer's
        /// session is refused otherwise.
        public let servesPartial: Bool
        var state: State

        /// Creates the machine for a connection established at `now`.
        public init(local: AuthorID, expectedPeer: AuthorID? = nil, configuration: SyncConfiguration = .init(),
                    helloVersion: UInt16 = SyncLimits.protocolVersion, subscription: Subscription? = nil,
                    servesPartial: Bool = false, now: UInt64) {
            self.local = local
            self.subscription = subscription.flatMap { $0.everything ? nil : $0 }
            self.servesPartial = servesPartial
            self.expectedPeer = expectedPeer
            self.helloVersion = min(max(helloVersion, SyncLimits.minimumProtocolVersion), SyncLimits.protocolVersion)
            self.configuration = configuration
            self.state = .idle(createdAt: now)
        }

        // MARK: events

        /// Starts the session: sends our hello. Call once, before delivering any message.
        public mutating func start(localVector: VersionVector) -> [Action] {
            guard case let .idle(createdAt) = state else { return [] }
            let liveness = Liveness(lastReceivedAt: createdAt,
                                    nextAntiEntropyAt: createdAt &+ configuration.antiEntropyIntervalMillis)
            // Before the peer's hello our own version decides: a peer known to speak below 4 is not told of format 2
            // logs; one not known yet is, and learns otherwise from our first `vector` (§2b.19).
            let localVector = visible(localVector, carryingFormat2: helloVersion >= SyncLimits.runsV2ProtocolVersion)
            state = .helloSent(HelloSent(liveness: liveness, announced: localVector))
            let hello = SyncHello(protocolVersion: helloVersion, node: local, window: UInt16(configuration.window),
                                  vector: localVector)
            // A partial node says so before its hello (SPEC-partial.md §P.3b).
            return (subscription.map { [.send(.subscribe($0))] } ?? []) + [.send(.hello(hello))]
        }

        /// A message arrived from the peer.
        public mutating func received(_ message: SyncMessage, localVector: VersionVector, now: UInt64) -> [Action] {
            switch state {
            case .idle:
                return close(.protocolViolation("\(message.tag) received before the session started"))
            case let .helloSent(waiting):
                switch message {
                case let .hello(hello):
                    return accept(hello, waiting: waiting, localVector: localVector, now: now)
                case let .bye(code):
                    return close(.peerBye(code))
                case let .subscribe(peerSubscription) where waiting.peerSubscription == nil:
                    // A partial peer says so before its hello (SPEC-partial.md §P.3b).
                    var waiting = waiting
                    waiting.peerSubscription = peerSubscription.everything ? nil : peerSubscription
                    state = .helloSent(waiting)
                    return []
                default:
                    return close(.protocolViolation("\(message.tag) received before hello"))
                }
            case .partial:
                return partialReceived(message, localVector: localVector, now: now)
            case .active(var active):
                let context = context(localVector, now)
                state = .modifying
                active.liveness.lastReceivedAt = max(active.liveness.lastReceivedAt, now)
                let step = active.received(message, context)
                return finish(step, active)
            case .closed:
                return []
            case .modifying:
                preconditionFailure("reentrant SyncSession.StateMachine")
            }
        }

        /// The transport could not decode a frame from the peer: the session ends as a protocol violation.
        public mutating func receiveFailed(_ error: ByteDecodingError) -> [Action] {
            close(.protocolViolation("undecodable message: \(error)"))
        }

        /// The driver's answer to ``Action/fetch(after:limit:)``.
        public mutating func batchFetched(_ batch: OpBatch, localVector: VersionVector, now: UInt64) -> [Action] {
            batchFetched(.ops(batch), localVector: localVector, now: now)
        }

        /// The driver's answer to ``Action/fetch(after:limit:)`` in a session of version 4 or later, where the read
        /// may give format 2 runs instead (§2b.19): format 1 ops while there are any, then format 2 logs.
        public mutating func batchFetched(_ fetched: SyncSession.Fetched, localVector: VersionVector, now: UInt64) -> [Action] {
            let context = context(localVector, now)
            return withActive { active in active.fetched(fetched, context) }
        }

        /// Whether the session carries format 2 logs (`runs-v2`, version 4): a driver reads them only then.
        public var carriesFormat2: Bool {
            if case let .active(active) = state { return active.speaksVersion4 }
            return false
        }

        /// The driver's answer to ``Action/apply(id:_:)``: the report, or why the store refused the batch.
        public mutating func batchApplied(
            id: UInt64, result: Result<ApplyReport, SyncRejection>, localVector: VersionVector, now: UInt64
        ) -> [Action] {
            let context = context(localVector, now)
            return withActive { active in active.applied(id: id, result: result, context) }
        }

        /// The driver's answer to ``Action/readWantedBodies(limit:)``: the bodies this node lacks (§2b.15).
        public mutating func wantedBodiesRead(_ wants: [BodyWant], now: UInt64) -> [Action] {
            withActive { active in
                active.lastEventAt = max(active.lastEventAt, now)
                active.wantReadPending = false
                guard !wants.isEmpty else { return .stay([]) }
                active.wantOutstanding = true
                return .stay([.send(.wantBodies(Array(wants.sorted { $0.ref < $1.ref }.prefix(SyncLimits.maxWantBodies))))])
            }
        }

        /// The driver's answer to ``Action/readHeldBodies(_:)``: the bodies this node holds of what the peer asked
        /// for. They are sent in ascending order, as many as fit one message (the peer asks again for the rest).
        public mutating func heldBodiesRead(_ bodies: [HeldBody], now: UInt64) -> [Action] {
            withActive { active in
                active.lastEventAt = max(active.lastEventAt, now)
                var fitting: [HeldBody] = []
                var size = 1 + 4
                for item in bodies.sorted(by: { $0.ref < $1.ref }).prefix(SyncLimits.maxWantBodies) {
                    size += 48 + 4 + item.body.count
                    if size > SyncLimits.maxMessageBytes { break }
                    fitting.append(item)
                }
                return .stay([.send(.bodies(fitting))])
            }
        }

        /// The local store gained ops (appended here, or applied from any peer): push what the peer lacks,
        /// and announce what it may not know we hold.
        public mutating func localChanged(localVector: VersionVector, now: UInt64) -> [Action] {
            if case .partial = state { return partialLocalChanged(localVector: localVector, now: now) }
            let context = context(localVector, now)
            return withActive { active in
                var actions: [Action] = []
                active.lastEventAt = max(active.lastEventAt, now)
                active.starved = false
                active.announce(context, into: &actions)
                active.pump(context, into: &actions)
                return .stay(actions)
            }
        }

        /// Time passed: pings, the idle timeout, and the periodic anti-entropy round (`have`, or `vector-digest`
        /// from version 2, §2b.16). Call it at
        /// ``nextDeadline`` (calling it more often is harmless).
        public mutating func tick(localVector: VersionVector, now: UInt64) -> [Action] {
            switch state {
            case let .helloSent(waiting):
                if now.saturatingSub(waiting.liveness.lastReceivedAt) >= configuration.idleTimeoutMillis {
                    return close(.idleTimeout)
                }
                return []
            case .active:
                let context = context(localVector, now)
                return withActive { active in active.tick(context) }
            case .partial:
                return partialTick(now: now)
            case .idle, .closed, .modifying:
                return []
            }
        }

        /// Ends the session from this side: says `bye` and closes.
        public mutating func shutdown() -> [Action] {
            close(.localShutdown)
        }

        /// The roster withdrew the peer's admission: the session ends at once and emits nothing more, in
        /// this call or any later one (no `bye`: a revoked member is told nothing).
        public mutating func withdraw() -> [Action] {
            close(.admissionWithdrawn)
        }

        /// The connection is gone (closed by either side, or failed). Everything in flight is forgotten;
        /// later events are ignored.
        public mutating func closed() {
            state = .closed
        }

        // MARK: inspection

        /// Whether the hello exchange completed and the session is open.
        public var isActive: Bool {
            if case .active = state { return true }
            if case .partial = state { return true }
            return false
        }

        /// The session's protocol version once the hellos were exchanged (the lower of the two); nil before.
        public var sessionVersion: UInt16? {
            if case let .active(active) = state { return active.version }
            if case let .partial(partial) = state { return partial.version }
            return nil
        }

        /// The highest version the peer's hello announced; nil before it arrived.
        public var peerVersion: UInt16? {
            if case let .active(active) = state { return active.peerHelloVersion }
            if case let .partial(partial) = state { return partial.peerHelloVersion }
            return nil
        }

        /// Whether the session ended.
        public var isClosed: Bool {
            if case .closed = state { return true }
            return false
        }

        /// The peer, once its hello was accepted.
        public var peer: AuthorID? {
            if case let .active(active) = state { return active.peer }
            if case let .partial(partial) = state { return partial.peer }
            return nil
        }

        /// What the peer is known to hold, once its hello was accepted.
        public var peerVector: VersionVector? {
            if case let .active(active) = state { return active.peerVector }
            return nil
        }

        /// Batches sent and not yet acknowledged or refused.
        public var batchesInFlight: Int {
            if case let .active(active) = state { return active.inFlight.count }
            return 0
        }

        /// Logs this session no longer sends.
        public var blockedLogs: Set<LogID> {
            if case let .active(active) = state { return active.blocked }
            return []
        }

        /// When ``tick(localVector:now:)`` next has something to do; nil when the session is not running.
        public var nextDeadline: UInt64? {
            switch state {
            case let .helloSent(waiting):
                return waiting.liveness.lastReceivedAt &+ configuration.idleTimeoutMillis
            case let .active(active):
                let liveness = active.liveness
                var deadline = min(liveness.lastReceivedAt &+ configuration.idleTimeoutMillis, liveness.nextAntiEntropyAt)
                if liveness.pingOutstanding == nil {
                    deadline = min(deadline, liveness.lastReceivedAt &+ configuration.pingIntervalMillis)
                }
                if let relay = active.relayDeadline(delay: configuration.relayDelayMillis) {
                    deadline = min(deadline, relay)
                }
                return deadline
            case let .partial(partial):
                var deadline = min(partial.liveness.lastReceivedAt &+ configuration.idleTimeoutMillis, partial.liveness.nextAntiEntropyAt)
                if partial.liveness.pingOutstanding == nil {
                    deadline = min(deadline, partial.liveness.lastReceivedAt &+ configuration.pingIntervalMillis)
                }
                return deadline
            case .idle, .closed, .modifying:
                return nil
            }
        }

        // MARK: transitions

        private mutating func accept(
            _ hello: SyncHello, waiting: HelloSent, localVector: VersionVector, now: UInt64
        ) -> [Action] {
            // A session runs at the lower of the two versions (§2b.16); a peer below our minimum is refused.
            guard hello.protocolVersion >= SyncLimits.minimumProtocolVersion else {
                return close(.incompatibleVersion(hello.protocolVersion))
            }
            guard hello.node != local else { return close(.selfConnection) }
            if let expectedPeer, hello.node != expectedPeer { return close(.unexpectedPeer(hello.node)) }
            var liveness = waiting.liveness
            liveness.lastReceivedAt = max(liveness.lastReceivedAt, now)
            let version = min(helloVersion, hello.protocolVersion)
            if subscription != nil || waiting.peerSubscription != nil {
                return acceptPartial(hello, waiting: waiting, version: version, localVector: localVector, now: now)
            }
            let localVector = visible(localVector, carryingFormat2: version >= SyncLimits.runsV2ProtocolVersion)
            var active = Active(
                peer: hello.node, version: version, peerHelloVersion: hello.protocolVersion,
                window: min(configuration.window, Int(hello.window)), liveness: liveness,
                peerVector: hello.vector, announced: waiting.announced, fetchLimit: configuration.batchOpLimit)
            active.lastEventAt = now
            // Everything the peer lacks now is known from the hellos, so nothing can cross: no relay hold.
            for (log, seq) in localVector.entries where seq > hello.vector[log] { active.relayWaiting[log] = 0 }
            var actions: [Action] = [.established(peer: hello.node, vector: hello.vector), .peerProgress(hello.vector)]
            let context = Context(local: local, configuration: configuration, localVector: localVector, now: now)
            active.announce(context, into: &actions)
            active.pump(context, into: &actions)
            state = .active(active)
            return actions
        }

        /// The inputs of a transition: the local vector as this session may name it (``visible(_:carryingFormat2:)``).
        /// Read before the state is taken out for modifying.
        private func context(_ localVector: VersionVector, _ now: UInt64) -> Context {
            Context(local: local, configuration: configuration, localVector: visible(localVector, carryingFormat2: carriesFormat2),
                    now: now)
        }

        /// `localVector` without the format 2 logs when the session does not carry them (§2b.19).
        private func visible(_ localVector: VersionVector, carryingFormat2: Bool) -> VersionVector {
            carryingFormat2 ? localVector : localVector.removing(format2Logs)
        }

        mutating func close(_ reason: CloseReason) -> [Action] {
            switch state {
            case .closed: return []
            default:
                state = .closed
                var actions: [Action] = []
                if let bye = reason.byeCode { actions.append(.send(.bye(bye))) }
                actions.append(.close(reason))
                return actions
            }
        }

        private mutating func withActive(_ body: (inout Active) -> Step) -> [Action] {
            guard case .active(var active) = state else { return [] }
            state = .modifying
            let step = body(&active)
            return finish(step, active)
        }

        private mutating func finish(_ step: Step, _ active: Active) -> [Action] {
            switch step {
            case let .stay(actions):
                state = .active(active)
                return actions
            case let .close(actions, reason):
                state = .active(active)
                return actions + close(reason)
            }
        }
    }
}

// MARK: state

extension SyncSession.StateMachine {
    enum State: Sendable {
        case idle(createdAt: UInt64)
        case helloSent(HelloSent)
        case active(Active)
        /// A partial session's rounds (SPEC-partial.md §P.3b).
        case partial(PartialActive)
        case closed
        /// Transient, while an `active` value is being mutated outside the enum (avoids copying it).
        case modifying
    }

    /// What one transition of an active session produced.
    enum Step {
        case stay([SyncSession.Action])
        case close([SyncSession.Action], SyncSession.CloseReason)
    }

    /// The inputs every transition of an active session sees.
    struct Context {
        let local: AuthorID
        let configuration: SyncConfiguration
        let localVector: VersionVector
        let now: UInt64
    }

    struct Liveness: Sendable {
        var lastReceivedAt: UInt64
        var pingOutstanding: UInt64? = nil
        var nextNonce: UInt64 = 1
        var nextAntiEntropyAt: UInt64
    }

    struct HelloSent: Sendable {
        var liveness: Liveness
        /// The vector our hello carried.
        var announced: VersionVector
        /// The peer's `subscribe` before its hello, when it is a partial node.
        var peerSubscription: Subscription? = nil
    }

    struct InFlight: Sendable {
        var id: UInt64
        /// The highest seq of each log in the batch.
        var tops: VersionVector
        /// The fetch limit the batch was read with.
        var limit: Int
    }

    struct Active: Sendable {
        typealias Action = SyncSession.Action

        let peer: AuthorID
        /// The session's protocol version: the lower of the two hellos'.
        let version: UInt16
        /// The version the peer's hello announced (the highest it speaks).
        let peerHelloVersion: UInt16
        /// Effective send window: the smaller of ours and the peer's.
        let window: Int
        var liveness: Liveness

        // Sending.
        /// What the peer is known to hold: its hello and `have`s, our acked batches, the batches it sent.
        var peerVector: VersionVector
        /// What the peer will hold once the batches in flight are applied (≥ `peerVector`).
        var sentVector: VersionVector
        /// What the peer knows we hold: our hello and `have`s, the batches we sent and applied from it.
        var announced: VersionVector
        var inFlight: [InFlight] = []
        var nextBatchID: UInt64 = 1
        /// The generation the outstanding fetch was asked in; nil when none is outstanding.
        var fetchPending: UInt64? = nil
        /// Bumped by every rewind; a fetch asked in an older generation is discarded.
        var generation: UInt64 = 0
        var fetchLimit: Int
        /// The last fetch came back empty; no new fetch until something changes.
        var starved = false
        /// Logs the peer refused for good (or too large to send): never sent again in this session.
        var blocked: Set<LogID> = []
        /// Logs refused for a transient reason: retried at the next anti-entropy round.
        var deferred: Set<LogID> = []
        var consecutiveGaps: [LogID: Int] = [:]
        /// Other authors' logs we hold further than `sentVector`, with when that was first seen: they are
        /// pushed once ``SyncConfiguration/relayDelayMillis`` has passed (0: at once).
        var relayWaiting: [LogID: UInt64] = [:]
        /// The time of the latest event.
        var lastEventAt: UInt64 = 0

        // Fetching bodies again (§2b.15).
        /// A `want-bodies` was sent and its `bodies` has not come back.
        var wantOutstanding = false
        /// The driver was asked for the wanted bodies and has not answered.
        var wantReadPending = false

        // Receiving.
        var lastBatchReceived: UInt64 = 0
        /// Batches received and not yet applied, in order, with their tops.
        var pendingApply: [(id: UInt64, tops: VersionVector)] = []

        // Vector digests (§2b.16, version 2).
        /// `vector-digest`s we sent that the peer may still answer with `want-vector`.
        var digestsUnanswered = 0
        /// We sent `want-vector` and its `vector` has not come back.
        var wantVectorOutstanding = false
        /// Whether this session runs at version 2 or later: anti-entropy rounds send digests (§2b.16), relays are
        /// eager unless pruned (§2b.17), and the messages of both are allowed.
        var speaksVersion2: Bool { version >= SyncLimits.digestProtocolVersion }
        /// Whether this session runs at version 3 or later: batches are sent as `runs` (§2b.18).
        var speaksVersion3: Bool { version >= SyncLimits.runsProtocolVersion }
        /// Whether this session runs at version 4 or later: format 2 logs travel as `runs-v2` (§2b.19).
        var speaksVersion4: Bool { version >= SyncLimits.runsV2ProtocolVersion }

        // Format 2 runs (§2b.19, version 4): the session dictionaries of SPEC-format-2.md §2.6, one per direction.
        /// Authors and scopes the peer has been sent; updated only when a `runs-v2` is sent.
        var outboundRuns = RunDictionary()
        /// Authors and scopes the peer has sent; updated as each `runs-v2` is decoded.
        var inboundRuns = RunDictionary()

        // Relaying (§2b.17, version 2).
        /// Authors the peer pruned: their ops reach it first by other paths, so we relay them lazily (announced at
        /// once, pushed after the relay hold). Every other author's ops are pushed at once.
        var lazyFor: Set<AuthorID> = []
        /// Authors we pruned on this session.
        var pruned: Set<AuthorID> = []

        init(peer: AuthorID, version: UInt16, peerHelloVersion: UInt16, window: Int, liveness: Liveness, peerVector: VersionVector,
             announced: VersionVector, fetchLimit: Int) {
            self.peer = peer
            self.version = version
            self.peerHelloVersion = peerHelloVersion
            self.window = window
            self.liveness = liveness
            self.peerVector = peerVector
            self.sentVector = peerVector
            self.announced = announced
            self.fetchLimit = fetchLimit
        }

        // MARK: receiving messages

        mutating func received(_ message: SyncMessage, _ context: Context) -> SyncSession.StateMachine.Step {
            lastEventAt = max(lastEventAt, context.now)
            let configuration = context.configuration
            var actions: [Action] = []
            if !speaksVersion2 && SyncMessage.Tag.sinceVersion2.contains(message.tag) {
                return .close([], .protocolViolation("\(message.tag) in a version \(version) session"))
            }
            if !speaksVersion3 && SyncMessage.Tag.sinceVersion3.contains(message.tag) {
                return .close([], .protocolViolation("\(message.tag) in a version \(version) session"))
            }
            if !speaksVersion4 && SyncMessage.Tag.sinceVersion4.contains(message.tag) {
                return .close([], .protocolViolation("\(message.tag) in a version \(version) session"))
            }
            switch message {
            case .hello:
                return .close([], .protocolViolation("second hello"))
            case .subscribe(.full):
                // A full node's subscription says what its absence says (SPEC-partial.md §P.3).
                break
            case .subscribe, .wantScope, .haveScope, .partialBatch, .partialAck:
                // Partial replication's messages belong to partial sessions (SPEC-partial.md §P.3b).
                return .close([], .protocolViolation("\(message.tag) in a full session"))
            case .join:
                return .close([], .protocolViolation("join after the session started"))
            case .presence:
                // The driver hands presence to the node before the machine sees it; nothing to do here.
                return .stay([])

            case let .have(vector):
                let before = peerVector
                peerVector.formMax(vector)
                sentVector.formMax(vector)
                repair()
                if peerVector != before { actions.append(.peerProgress(peerVector)) }
                announce(context, into: &actions)
                pump(context, into: &actions)

            case let .vectorDigest(digest):
                if VectorDigest(of: peerVector) == digest {
                    // What we believe the peer holds is what it holds: the repair a whole vector would make.
                    repair()
                    pump(context, into: &actions)
                } else if !wantVectorOutstanding {
                    wantVectorOutstanding = true
                    actions.append(.send(.wantVector))
                }

            case .wantVector:
                guard digestsUnanswered > 0 else {
                    return .close([], .protocolViolation("want-vector without a vector-digest to answer"))
                }
                digestsUnanswered -= 1
                actions.append(.send(.vector(context.localVector)))
                announced.formMax(context.localVector)

            case let .prune(authors):
                lazyFor.formUnion(authors)

            case let .graft(authors):
                lazyFor.subtract(authors)
                // What waits for these authors goes now.
                for log in relayWaiting.keys where authors.contains(log.author) { relayWaiting[log] = 0 }
                pump(context, into: &actions)

            case let .vector(vector):
                guard wantVectorOutstanding else { return .close([], .protocolViolation("vector without a want-vector")) }
                wantVectorOutstanding = false
                // Set, not raised: the peer's vector may have come down (a revocation's cut). Sending resumes
                // from it and the batches in flight; at worst the peer gets duplicates, which it skips.
                let before = peerVector
                peerVector = vector
                rewind()
                if peerVector != before { actions.append(.peerProgress(peerVector)) }
                announce(context, into: &actions)
                pump(context, into: &actions)

            case let .batch(id, batch), let .runs(id, batch):
                guard id == lastBatchReceived &+ 1 else {
                    return .close([], .protocolViolation("batch \(id) received after batch \(lastBatchReceived)"))
                }
                guard pendingApply.count < configuration.window else {
                    return .close([], .protocolViolation("more than \(configuration.window) batches unacknowledged"))
                }
                lastBatchReceived = id
                pendingApply.append((id, VersionVector(topsOf: batch)))
                actions.append(.apply(id: id, batch))

            case let .runsV2(id, bytes):
                // Decoded here, in order, because the bytes update this direction's dictionaries (SPEC-format-2.md
                // §2.6): one that fails leaves them out of step with the sender's, so the session ends.
                let runs: [RunV2]
                do throws(ByteDecodingError) {
                    runs = try RunV2.decode(bytes, dictionary: &inboundRuns)
                } catch {
                    return .close([], .protocolViolation("undecodable runs-v2 \(id): \(error)"))
                }
                guard id == lastBatchReceived &+ 1 else {
                    return .close([], .protocolViolation("batch \(id) received after batch \(lastBatchReceived)"))
                }
                guard pendingApply.count < configuration.window else {
                    return .close([], .protocolViolation("more than \(configuration.window) batches unacknowledged"))
                }
                lastBatchReceived = id
                pendingApply.append((id, RunV2.tops(of: runs)))
                actions.append(.applyRunsV2(id: id, runs))

            case let .ack(id, _):
                guard let index = inFlight.firstIndex(where: { $0.id == id }) else {
                    return .close([], .protocolViolation("ack of batch \(id), which is not in flight"))
                }
                let entry = inFlight.remove(at: index)
                let before = peerVector
                peerVector.formMax(entry.tops)
                sentVector.formMax(entry.tops)
                for log in entry.tops.entries.keys { consecutiveGaps[log] = nil }
                starved = false
                if peerVector != before { actions.append(.peerProgress(peerVector)) }
                pump(context, into: &actions)

            case let .reject(id, rejection):
                guard let index = inFlight.firstIndex(where: { $0.id == id }) else {
                    return .close([], .protocolViolation("reject of batch \(id), which is not in flight"))
                }
                let entry = inFlight.remove(at: index)
                actions.append(.peerRejected(batchID: id, rejection))
                refused(entry, rejection, into: &actions)
                pump(context, into: &actions)

            case let .ping(nonce):
                actions.append(.send(.pong(nonce: nonce)))

            case let .pong(nonce):
                if liveness.pingOutstanding == nonce { liveness.pingOutstanding = nil }

            case let .bye(code):
                return .close([], .peerBye(code))

            case let .wantBodies(wants):
                actions.append(.readHeldBodies(wants))

            case let .bodies(bodies):
                guard wantOutstanding else {
                    return .close([], .protocolViolation("bodies without a want-bodies outstanding"))
                }
                wantOutstanding = false
                if !bodies.isEmpty { actions.append(.restoreBodies(bodies)) }
            }
            return .stay(actions)
        }

        /// The peer refused a batch: block or defer its log(s), then rewind to what the peer is known to hold.
        private mutating func refused(_ entry: InFlight, _ rejection: SyncRejection, into actions: inout [Action]) {
            let logs: [LogID]
            if let op = rejection.op, entry.tops[op.log] > 0 {
                logs = [op.log]
            } else {
                logs = entry.tops.entries.keys.sorted()
            }
            var permanent = !rejection.code.isTransient
            switch rejection.code {
            case .tooManyOps:
                // Our batch was over the peer's limit: ask the store for fewer ops; one sealed run that is
                // over it even alone can never be sent.
                if entry.limit <= 1 { permanent = true } else { fetchLimit = max(1, entry.limit / 2) }
            case .gap:
                // An earlier batch was refused, so this one no longer follows: resend after the rewind,
                // unless it keeps happening.
                for log in logs {
                    consecutiveGaps[log, default: 0] += 1
                    if consecutiveGaps[log]! > SyncSession.maxConsecutiveGaps { deferred.insert(log) }
                }
            default:
                if !permanent { deferred.formUnion(logs) }
            }
            if permanent {
                for log in logs where blocked.insert(log).inserted {
                    actions.append(.logBlocked(log, reason: "refused by the peer: \(rejection)"))
                }
            }
            rewind()
        }

        /// Anti-entropy repair: with nothing in flight, what we will have sent is exactly what the peer holds.
        private mutating func repair() {
            if inFlight.isEmpty && fetchPending == nil { sentVector = peerVector }
            starved = false
        }

        /// Duplicate suppression (§2b.17): an author whose ops in this batch were all held already reached us first
        /// by another path, so the peer relays it lazily from now on (`prune`); an author we pruned whose ops came new
        /// by this (lazy) path lost its faster path, so the peer relays it eagerly again (`graft`). The peer's own
        /// ops and ours are never pruned.
        private mutating func steerRelays(_ report: ApplyReport, _ context: Context, into actions: inout [Action]) {
            let fresh = Set(report.newLogs.map(\.author))
            var prune = Set(report.duplicateLogs.map(\.author)).subtracting(fresh).subtracting(pruned)
            prune.remove(peer)
            prune.remove(context.local)
            let graft = fresh.intersection(pruned)
            if !prune.isEmpty {
                pruned.formUnion(prune)
                actions.append(.send(.prune(prune.sorted())))
            }
            if !graft.isEmpty {
                pruned.subtract(graft)
                actions.append(.send(.graft(graft.sorted())))
            }
        }

        /// Forgets what was assumed about the batches not acknowledged: the peer holds `peerVector` plus
        /// whatever the batches still in flight bring. A fetch already asked for is discarded.
        private mutating func rewind() {
            sentVector = peerVector
            for entry in inFlight { sentVector.formMax(entry.tops) }
            generation &+= 1
            starved = false
        }

        // MARK: driver answers

        /// The driver read what to send: format 1 ops go as `runs` (version 3 on) or `batch`, format 2 runs as `runs-v2`
        /// (version 4), encoded with a copy of the outbound dictionaries that is kept only when the message goes out (a
        /// message too large to send, read again smaller, must not leave entries behind).
        mutating func fetched(_ fetched: SyncSession.Fetched, _ context: Context) -> SyncSession.StateMachine.Step {
            lastEventAt = max(lastEventAt, context.now)
            guard let asked = fetchPending else { return .stay([]) }
            fetchPending = nil
            var actions: [Action] = []
            guard asked == generation else {
                // Asked before a rewind: it may not follow what the peer holds. Ask again.
                pump(context, into: &actions)
                return .stay(actions)
            }
            let id = nextBatchID
            let message: SyncMessage, size: Int, ops: Int, firstLog: LogID, tops: VersionVector
            var dictionary = outboundRuns
            switch fetched {
            case let .ops(batch):
                guard !batch.isEmpty else {
                    starved = true
                    return .stay([])
                }
                size = speaksVersion3 ? SyncMessage.encodedLengthBound(ofRuns: batch) : SyncMessage.encodedLength(ofBatch: batch)
                message = speaksVersion3 ? .runs(id: id, batch) : .batch(id: id, batch)
                (ops, firstLog, tops) = (batch.ops.count, batch.ops[0].header.ref.log, VersionVector(topsOf: batch))
            case let .runsV2(runs):
                // Nothing to send (or a driver that read format 2 for a peer that cannot take it: send nothing).
                guard speaksVersion4, !runs.isEmpty else {
                    starved = true
                    return .stay([])
                }
                let bytes = RunV2.encode(runs, dictionary: &dictionary)
                size = 1 + 8 + bytes.count
                message = .runsV2(id: id, batch: bytes)
                (ops, firstLog, tops) = (runs.reduce(0) { $0 + $1.ops.count }, LogID(author: runs[0].author, epoch: runs[0].epoch),
                                         RunV2.tops(of: runs))
            }
            if size > SyncLimits.maxMessageBytes {
                if fetchLimit > 1 {
                    fetchLimit = max(1, min(fetchLimit, ops) / 2)
                } else {
                    blocked.insert(firstLog)
                    actions.append(.logBlocked(firstLog, reason: """
                        a sealed run of \(ops) ops encodes to \(size) bytes, over the \
                        \(SyncLimits.maxMessageBytes)-byte message limit
                        """))
                }
                pump(context, into: &actions)
                return .stay(actions)
            }
            outboundRuns = dictionary
            nextBatchID &+= 1
            sentVector.formMax(tops)
            announced.formMax(tops)
            inFlight.append(InFlight(id: id, tops: tops, limit: fetchLimit))
            fetchLimit = context.configuration.batchOpLimit
            actions.append(.send(message))
            pump(context, into: &actions)
            return .stay(actions)
        }

        mutating func applied(
            id: UInt64, result: Result<ApplyReport, SyncRejection>, _ context: Context
        ) -> SyncSession.StateMachine.Step {
            lastEventAt = max(lastEventAt, context.now)
            guard let index = pendingApply.firstIndex(where: { $0.id == id }) else { return .stay([]) }
            let entry = pendingApply.remove(at: index)
            var actions: [Action] = []
            switch result {
            case let .success(report):
                actions.append(.send(.ack(id: id, applied: report.applied)))
                if speaksVersion2 { steerRelays(report, context, into: &actions) }
                // The peer sent these ops, so it holds them; and it now knows we do.
                let before = peerVector
                peerVector.formMax(entry.tops)
                sentVector.formMax(entry.tops)
                announced.formMax(entry.tops)
                if peerVector != before { actions.append(.peerProgress(peerVector)) }
            case let .failure(rejection):
                actions.append(.send(.reject(id: id, rejection)))
            }
            announce(context, into: &actions)
            pump(context, into: &actions)
            return .stay(actions)
        }

        mutating func tick(_ context: Context) -> SyncSession.StateMachine.Step {
            lastEventAt = max(lastEventAt, context.now)
            let (configuration, now, localVector) = (context.configuration, context.now, context.localVector)
            let quiet = now.saturatingSub(liveness.lastReceivedAt)
            if quiet >= configuration.idleTimeoutMillis { return .close([], .idleTimeout) }
            var actions: [Action] = []
            if liveness.pingOutstanding == nil && quiet >= configuration.pingIntervalMillis {
                let nonce = liveness.nextNonce
                liveness.nextNonce &+= 1
                liveness.pingOutstanding = nonce
                actions.append(.send(.ping(nonce: nonce)))
            }
            if now >= liveness.nextAntiEntropyAt {
                liveness.nextAntiEntropyAt = now &+ configuration.antiEntropyIntervalMillis
                if speaksVersion2 {
                    // 21 bytes whatever the roster size; the peer asks for the vector when its belief differs.
                    actions.append(.send(.vectorDigest(VectorDigest(of: localVector))))
                    digestsUnanswered = min(digestsUnanswered + 1, Self.maxDigestsUnanswered)
                } else {
                    actions.append(.send(.have(localVector)))
                    announced.formMax(localVector)
                }
                deferred.removeAll()
                consecutiveGaps.removeAll()
                starved = false
                // Bodies this node lacks: asked of one peer per round at most per session, one request at a time.
                if !wantOutstanding && !wantReadPending {
                    wantReadPending = true
                    actions.append(.readWantedBodies(limit: SyncLimits.maxWantBodies))
                }
            }
            // Relayed ops whose hold ended, and anything the anti-entropy round unblocked.
            pump(context, into: &actions)
            return .stay(actions)
        }

        // MARK: sending

        /// Sends a `have` for the logs we hold further than the peer knows. Announcing at once what we
        /// are about to relay lets a neighbour that got the same ops tell us so before either pushes them.
        mutating func announce(_ context: Context, into actions: inout [Action]) {
            let delta = context.localVector.entries(above: announced)
            guard !delta.entries.isEmpty else { return }
            announced.formMax(delta)
            actions.append(.send(.have(delta)))
        }

        /// Asks for the next batch when the peer lacks something that may go now (not blocked, deferred or
        /// held for relay), a window slot is free, and no fetch is out.
        mutating func pump(_ context: Context, into actions: inout [Action]) {
            let (localVector, now) = (context.localVector, context.now)
            let delay = context.configuration.relayDelayMillis
            var skipped = blocked.union(deferred)
            var ready = false
            var waiting: [LogID: UInt64] = [:]
            for (log, seq) in localVector.entries where seq > sentVector[log] && !skipped.contains(log) {
                // Version 2 relays eagerly unless the peer pruned the author (§2b.17); version 1 holds every relay.
                if log.author == context.local || delay == 0 || (speaksVersion2 && context.configuration.eagerRelay && !lazyFor.contains(log.author)) {
                    ready = true
                    continue
                }
                let since = relayWaiting[log] ?? now
                waiting[log] = since
                if now.saturatingSub(since) >= delay { ready = true } else { skipped.insert(log) }
            }
            relayWaiting = waiting
            guard ready, fetchPending == nil, !starved, inFlight.count < window else { return }
            var after = sentVector
            for log in skipped { after[log] = Limits.maxOrdinal }
            fetchPending = generation
            actions.append(.fetch(after: after, limit: fetchLimit))
        }

        /// Most of our digests a peer may answer with `want-vector` at once (a slow peer's answers to old rounds).
        static let maxDigestsUnanswered = 4

        /// When a relay hold ends, if one is pending; nil otherwise.
        func relayDeadline(delay: UInt64) -> UInt64? {
            relayWaiting.values.map { $0 &+ delay }.filter { $0 > lastEventAt }.min()
        }
    }
}

extension UInt64 {
    /// `self - other`, or 0 when `other` is larger (a clock that stepped back).
    fileprivate func saturatingSub(_ other: UInt64) -> UInt64 { self >= other ? self - other : 0 }
}
