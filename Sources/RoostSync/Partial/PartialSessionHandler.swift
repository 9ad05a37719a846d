import Dispatch
import NIOConcurrencyHelpers
public import NIOCore
public import RoostCore
import RoostStore

/// A partial node shared by its sessions (one per full peer): its ``PartialStoreNode``, used on one serial queue so
/// that store writes never run on an event loop and two sessions never interleave inside one change.
public final class PartialNodeBox: Sendable {
    private let node: NIOLockedValueBox<PartialStoreNode>
    /// Where every change to the node runs.
    let queue = DispatchQueue(label: "roost.partial-node")
    /// The clock the store stamps with.
    let clock: any WallClock

    /// Shares `node`, writing with `clock`.
    public init(_ node: PartialStoreNode, clock: any WallClock) {
        self.node = NIOLockedValueBox(node)
        self.clock = clock
    }

    /// The replica as of now (a copy).
    public var replica: PartialReplica { node.withLockedValue { $0.replica } }

    private let sessions = NIOLockedValueBox<[AuthorID: PeerStatus]>([:])

    /// Each full peer this node has had a session with, as `roost peers` shows it: `opsBehind` is how far the peer's
    /// last request was behind this node's own log, `opsAhead` how many ops its last batch carried (0 once the node
    /// has caught up with it).
    public var peerStatuses: [PeerStatus] { sessions.withLockedValue { Array($0.values) }.sorted { $0.node < $1.node } }

    /// Updates the status of the session with `peer`.
    func session(_ peer: AuthorID, _ update: (inout PeerStatus) -> Void) {
        sessions.withLockedValue { all in
            var status = all[peer] ?? PeerStatus(node: peer.text, address: nil, connected: false, lastSeenMillis: nil, opsBehind: 0, opsAhead: 0)
            update(&status)
            all[peer] = status
        }
    }

    /// Runs `body` on the node; on ``queue`` only.
    func change<T>(_ body: (inout PartialStoreNode) -> T) -> T {
        dispatchPrecondition(condition: .onQueue(queue))
        return node.withLockedValue { body(&$0) }
    }
}

/// The partial side of a session with a full peer (Protocol/SPEC-partial.md §P.3b), after the secure channel: it
/// sends `subscribe` and `hello`, then runs rounds — its request (the node's vector, wanted scopes, last batch applied),
/// the peer's batch held and written to the store, the peer's requests for this node's own log answered. Every round
/// interval it takes the store's own appends into the replica (desk writes go through the store) and tells the
/// session when the own log grew. The full side is ``PeeringSessionHandler``.
///
/// State machine calls run on the channel's event loop; the node's changes run on the box's queue and hop back.
public final class PartialSessionHandler: ChannelInboundHandler, @unchecked Sendable {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private let box: PartialNodeBox
    private let roundInterval: TimeAmount
    private var machine: SyncSession.StateMachine?
    private var context: ChannelHandlerContext?
    private var timer: RepeatedTask?
    private var peer: AuthorID?
    private var vector = VersionVector()
    private let outcome = NIOLockedValueBox<(partial: Bool, closeReasons: [String], storeErrors: Int)>((false, [], 0))

    private let join: @Sendable (AuthorID) -> SyncJoin?
    private let onEstablished: (@Sendable (AuthorID) -> Void)?
    private let address: String?

    /// A session of the node in `box`, which adopts its own appends and ticks every `roundInterval`. `join` gives the
    /// `join` to send a peer first while this node is not on the team's roster yet (``PeerAdmission/join``);
    /// `onEstablished` is told the peer once the secure channel is up.
    public init(box: PartialNodeBox, roundInterval: TimeAmount = .milliseconds(100), address: String? = nil,
                join: @escaping @Sendable (AuthorID) -> SyncJoin? = { _ in nil },
                onEstablished: (@Sendable (AuthorID) -> Void)? = nil) {
        self.box = box
        self.address = address
        self.roundInterval = roundInterval
        self.join = join
        self.onEstablished = onEstablished
    }

    /// Whether the session runs partial rounds, why it closed (if it did), and how many store writes failed.
    public var status: (partial: Bool, closeReasons: [String], storeErrors: Int) { outcome.withLockedValue { $0 } }

    private var now: UInt64 { box.clock.nowMillis() }

    public func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case let .established(peer)? = event as? SecureChannelEvent {
            self.peer = peer
            onEstablished?(peer)
            let (address, now) = (address, now)
            box.session(peer) { status in
                status.connected = true
                status.lastSeenMillis = now
                if let address { status.address = address }
            }
            // An applicant's first message is its `join` (SPEC-roster.md), as on a full node's session.
            if let join = join(peer) {
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: SyncMessage.join(join).encoded())),
                                      promise: nil)
            }
            let replica = box.replica
            vector = VersionVector(replica.vector)
            var machine = SyncSession.StateMachine(local: replica.author, expectedPeer: peer,
                                                   subscription: replica.subscription, now: now)
            let actions = machine.start(localVector: vector)
            self.machine = machine
            perform(actions)
            timer = context.eventLoop.scheduleRepeatedTask(initialDelay: roundInterval, delay: roundInterval) { _ in
                self.onNode({ node in
                    self.counting { () throws(PartialNodeError) in try node.adoptLocalAppends(clock: self.box.clock) }
                    return VersionVector(node.replica.vector)
                }, then: { grown in
                    if grown != self.vector {
                        self.vector = grown
                        self.run { $0.localChanged(localVector: grown, now: self.now) }
                    }
                    self.run { $0.tick(localVector: self.vector, now: self.now) }
                })
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        run { machine in
            do throws(ByteDecodingError) {
                return machine.received(try SyncMessage.decode(bytes), localVector: self.vector, now: self.now)
            } catch {
                return machine.receiveFailed(error)
            }
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        if let peer { box.session(peer) { $0.connected = false } }
        machine?.closed()
        machine = nil
        context.fireChannelInactive()
    }

    private func run(_ event: (inout SyncSession.StateMachine) -> [SyncSession.Action]) {
        guard var machine else { return }
        let actions = event(&machine)
        self.machine = machine
        perform(actions)
    }

    /// Runs `work` on the node's queue, then `then` with its result on the event loop.
    private func onNode<T: Sendable>(_ work: @escaping @Sendable (inout PartialStoreNode) -> T,
                                     then: @escaping @Sendable (T) -> Void) {
        guard let loop = context?.eventLoop else { return }
        box.queue.async {
            let result = self.box.change(work)
            loop.execute { then(result) }
        }
    }

    /// Runs a change that may fail on the store: a failure is counted and the session goes on (the node's replica was
    /// rebuilt from its store, and its next request asks again for what the failed change brought).
    private func counting(_ change: () throws(PartialNodeError) -> Void) {
        do { try change() } catch {
            outcome.withLockedValue { $0.storeErrors += 1 }
            if let peer { box.session(peer) { $0.storeErrors = ($0.storeErrors ?? 0) + 1 } }
        }
    }

    private func perform(_ actions: [SyncSession.Action]) {
        guard let context, let peer else { return }
        for action in actions {
            switch action {
            case let .send(message):
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: message.encoded())), promise: nil)
            case .partialRequestDue:
                onNode({ node in node.request(to: peer) }, then: { request in self.run { $0.partialRequest(request, now: self.now) } })
            case let .partialAnswer(request):
                onNode({ node in
                    let own = node.replica.ownLog
                    let behind = node.replica.ownTop - min(node.replica.ownTop, request.vector[own] ?? 0)
                    self.box.session(peer) { $0.opsBehind = behind }
                    return node.answer(request, from: peer)
                }, then: { batch in self.run { $0.partialAnswered(batch, now: self.now) } })
            case let .partialReceive(batch, fromFull):
                let (carried, now) = (UInt64(batch.opCount), now)
                box.session(peer) { status in
                    status.lastSeenMillis = now
                    status.opsAhead = carried
                }
                onNode({ node in
                    self.counting { () throws(PartialNodeError) in
                        try node.receive(batch, from: peer, fromFull: fromFull, clock: self.box.clock)
                    }
                    return VersionVector(node.replica.vector)
                }, then: { vector in
                    self.vector = vector
                    self.run { $0.partialApplied(now: self.now) }
                })
            case .established:
                outcome.withLockedValue { $0.partial = self.machine?.isPartial ?? false }
            case let .close(reason):
                outcome.withLockedValue { $0.closeReasons.append("\(reason)") }
                context.close(promise: nil)
            default:
                break
            }
        }
    }
}
