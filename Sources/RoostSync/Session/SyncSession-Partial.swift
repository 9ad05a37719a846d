public import RoostCore

/// A partial session inside a sync session (Protocol/SPEC-partial.md §P.3b): the same handshake, frames and liveness
/// as a full session, and instead of batches, rounds (``PartialSession/Rounds``).
extension SyncSession.StateMachine {
    /// The state of an established partial session.
    struct PartialActive: Sendable {
        let peer: AuthorID
        let version: UInt16
        let peerHelloVersion: UInt16
        var liveness: Liveness
        var rounds: PartialSession.Rounds
        /// The vector entries the peer was told of (`hello`, `have` hints).
        var announced: VersionVector
    }
}

extension SyncSession.StateMachine {
    /// Whether the session runs partial rounds (this node or the peer is partial).
    public var isPartial: Bool {
        if case .partial = state { return true }
        return false
    }

    /// The driver's request to the peer, built as ``SyncSession/Action/partialRequestDue`` asked.
    public mutating func partialRequest(_ request: PartialRequest, now: UInt64) -> [SyncSession.Action] {
        withPartial { rounds in rounds.request(request) }
    }

    /// The driver's answer to ``SyncSession/Action/partialAnswer(_:)``.
    public mutating func partialAnswered(_ batch: PartialBatch, now: UInt64) -> [SyncSession.Action] {
        withPartial { rounds in rounds.answered(batch) }
    }

    /// The driver applied the batch of ``SyncSession/Action/partialReceive(_:fromFull:)``.
    public mutating func partialApplied(now: UInt64) -> [SyncSession.Action] {
        withPartial { rounds in rounds.applied() }
    }

    // MARK: transitions (called by the machine)

    /// Both hellos are in and one side is partial: the session runs rounds, at version 4 or more, with a full peer
    /// that serves partial nodes or a partial one (which answers with its own log).
    mutating func acceptPartial(_ hello: SyncHello, waiting: HelloSent, version: UInt16, localVector: VersionVector,
                                now: UInt64) -> [SyncSession.Action] {
        guard version >= SyncLimits.runsV2ProtocolVersion else {
            return close(.protocolViolation("a partial session needs protocol version 4 (the session runs at \(version))"))
        }
        if waiting.peerSubscription != nil && subscription == nil && !servesPartial {
            return close(.protocolViolation("this node does not serve partial nodes"))
        }
        var liveness = waiting.liveness
        liveness.lastReceivedAt = max(liveness.lastReceivedAt, now)
        state = .partial(PartialActive(
            peer: hello.node, version: version, peerHelloVersion: hello.protocolVersion, liveness: liveness,
            rounds: PartialSession.Rounds(peerIsFull: waiting.peerSubscription == nil), announced: waiting.announced))
        var actions: [SyncSession.Action] = [.established(peer: hello.node, vector: hello.vector)]
        if let peerSubscription = waiting.peerSubscription { actions.append(.peerSubscribed(peerSubscription)) }
        actions.append(.partialRequestDue)
        return actions
    }

    mutating func partialReceived(_ message: SyncMessage, localVector: VersionVector, now: UInt64) -> [SyncSession.Action] {
        guard case var .partial(partial) = state else { return [] }
        partial.liveness.lastReceivedAt = max(partial.liveness.lastReceivedAt, now)
        var actions: [SyncSession.Action] = []
        switch message {
        case let .ping(nonce):
            actions = [.send(.pong(nonce: nonce))]
        case let .pong(nonce):
            if partial.liveness.pingOutstanding == nonce { partial.liveness.pingOutstanding = nil }
        case let .bye(code):
            state = .partial(partial)
            return close(.peerBye(code))
        case .presence, .wantBodies, .bodies:
            // Presence goes to the node before the machine sees it; bodies are not fetched again in partial
            // sessions yet (SPEC-partial.md §P.3b, status).
            break
        default:
            let rounds = partial.rounds.received(message)
            state = .partial(partial)
            return map(rounds)
        }
        state = .partial(partial)
        return actions
    }

    mutating func partialTick(now: UInt64) -> [SyncSession.Action] {
        guard case var .partial(partial) = state else { return [] }
        let quiet = now >= partial.liveness.lastReceivedAt ? now - partial.liveness.lastReceivedAt : 0
        if quiet >= configuration.idleTimeoutMillis { return close(.idleTimeout) }
        var actions: [SyncSession.Action] = []
        if partial.liveness.pingOutstanding == nil && quiet >= configuration.pingIntervalMillis {
            partial.liveness.pingOutstanding = partial.liveness.nextNonce
            actions.append(.send(.ping(nonce: partial.liveness.nextNonce)))
            partial.liveness.nextNonce &+= 1
        }
        if now >= partial.liveness.nextAntiEntropyAt {
            partial.liveness.nextAntiEntropyAt = now &+ configuration.antiEntropyIntervalMillis
            actions.append(.partialRequestDue)
        }
        state = .partial(partial)
        return actions
    }

    /// The store gained ops: the peer is told which entries moved (`have`, a hint it answers with a request).
    mutating func partialLocalChanged(localVector: VersionVector, now: UInt64) -> [SyncSession.Action] {
        guard case var .partial(partial) = state else { return [] }
        let delta = localVector.entries.filter { $0.value > partial.announced[$0.key] }
        guard !delta.isEmpty else { return [] }
        partial.announced.formMax(VersionVector(delta))
        state = .partial(partial)
        return [.send(.have(VersionVector(delta)))]
    }

    private mutating func withPartial(_ body: (inout PartialSession.Rounds) -> [PartialSession.Action]) -> [SyncSession.Action] {
        guard case var .partial(partial) = state else { return [] }
        let actions = body(&partial.rounds)
        state = .partial(partial)
        return map(actions)
    }

    /// The rounds' actions as the session's; a violation closes the session.
    private mutating func map(_ actions: [PartialSession.Action]) -> [SyncSession.Action] {
        var out: [SyncSession.Action] = []
        for action in actions {
            switch action {
            case let .send(message): out.append(.send(message))
            case .requestDue: out.append(.partialRequestDue)
            case let .answer(request): out.append(.partialAnswer(request))
            case let .receive(batch, fromFull): out.append(.partialReceive(batch, fromFull: fromFull))
            case let .peerSubscribed(subscription): out.append(.peerSubscribed(subscription))
            case let .violation(reason): return out + close(.protocolViolation(reason))
            }
        }
        return out
    }
}
