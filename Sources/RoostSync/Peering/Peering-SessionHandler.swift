import Dispatch
import Logging
public import NIOCore
import RoostCore
import RoostStore

/// Drives a ``SyncSession/StateMachine`` on an authenticated channel: sits after ``SecureChannelHandler``,
/// reads decrypted payloads, performs the machine's actions (store work on the hub's queue), and
/// writes payloads for the secure handler to seal.
public final class PeeringSessionHandler: ChannelInboundHandler, @unchecked Sendable {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    /// How often the session's timers (pings, idle timeout, relay hold, anti-entropy) are checked.
    static let tickInterval: TimeAmount = .milliseconds(100)

    let hub: PeeringHub
    let configuration: SyncConfiguration
    let address: String?
    let admission: PeerAdmission
    private var machine: SyncSession.StateMachine?
    /// An applicant's messages held until its `join` is checked (nil when not waiting for one).
    private var awaitingJoin: [SyncMessage]?
    private var context: ChannelHandlerContext?
    private var timer: RepeatedTask?
    /// Ticks of the session timer so far (event loop only): every ``rosterCheckTicks``-th re-checks the roster.
    private var ticks = 0
    /// The authenticated peer, once the handshake completed.
    private(set) var peer: AuthorID?
    /// Called on the event loop when the session is established (dialers reset their backoff).
    var onEstablished: (@Sendable (AuthorID) -> Void)?

    /// Creates the handler for one connection (`address` when we dialled it).
    public init(hub: PeeringHub, configuration: SyncConfiguration = .init(), address: String? = nil,
                admission: PeerAdmission = PeerAdmission(verdict: { _ in .member })) {
        self.hub = hub
        self.configuration = configuration
        self.address = address
        self.admission = admission
    }

    var now: UInt64 { hub.clock.nowMillis() }

    public func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case let .established(peer)? = event as? SecureChannelEvent {
            self.peer = peer
            if let join = admission.join(peer) {
                // We are not on the roster yet: prove our invite before the session starts.
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: SyncMessage.join(join).encoded())),
                                      promise: nil)
            }
            if admission.verdict(peer) == .applicant {
                awaitingJoin = []
            } else {
                startSession(peer, context: context)
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func startSession(_ peer: AuthorID, context: ChannelHandlerContext) {
        var machine = SyncSession.StateMachine(local: hub.local, expectedPeer: peer, configuration: configuration,
                                               helloVersion: hub.helloVersion(for: peer), servesPartial: hub.servesPartial,
                                               now: now)
        machine.format2Logs = hub.format2Logs
        let actions = machine.start(localVector: hub.localVector)
        self.machine = machine
        hub.register(self)
        // Registered first, then checked: a revocation that lands from here on is seen by the hub's
        // check, and one that landed before is seen here.
        if hub.isWithdrawn(peer) {
            hub.logger.notice("refused a session: the roster withdrew this peer's admission", metadata: ["peer": "\(peer.short)"])
            self.machine = nil
            context.close(promise: nil)
            return
        }
        if case let .refused(why) = admission.verdict(peer) {
            hub.logger.notice("refused a session: the roster no longer admits the peer",
                              metadata: ["peer": "\(peer.short)", "reason": "\(why)"])
            self.machine = nil
            context.close(promise: nil)
            return
        }
        hub.connected(peer, address: address)
        hub.telemetry.record(.connected, peer: peer, address: address)
        perform(actions)
        timer = context.eventLoop.scheduleRepeatedTask(initialDelay: Self.tickInterval, delay: Self.tickInterval) { [weak self] _ in
            guard let self, var machine = self.machine else { return }
            machine.format2Logs = self.hub.format2Logs
            self.ticks += 1
            // A backstop only: roster changes are checked by the hub as they apply (``PeeringHub/checkRoster()``).
            if self.ticks % Self.rosterCheckTicks == 0, case let .refused(why) = self.admission.verdict(peer) {
                // Revoked (or dropped from the roster) while connected: the session ends now.
                self.hub.logger.notice("closing the session of a peer the roster no longer admits",
                                       metadata: ["peer": "\(peer.short)", "reason": "\(why)"])
                self.admissionWithdrawn()
                return
            }
            let actions = machine.tick(localVector: self.hub.localVector, now: self.now)
            self.machine = machine
            self.perform(actions)
        }
    }

    /// The roster withdrew the peer's admission (any thread): the session sends nothing more and closes.
    /// Sends are also refused by the hub from the moment it withdrew the peer, so nothing queued before
    /// this runs on the event loop reaches the peer either.
    func admissionWithdrawn() {
        context?.eventLoop.execute {
            guard let context = self.context else { return }
            _ = self.machine?.withdraw()
            self.machine = nil
            self.timer?.cancel()
            context.close(promise: nil)
        }
    }

    /// How many ticks between backstop checks that the roster still admits the peer (5 s).
    static let rosterCheckTicks = 50

    /// An applicant's first message must be a valid `join`; anything else ends the connection.
    private func receivedWhileAwaitingJoin(_ message: SyncMessage, context: ChannelHandlerContext) {
        guard let peer, var held = awaitingJoin else { return }
        guard held.isEmpty, case let .join(join) = message else {
            if case .join = held.first { held.append(message); awaitingJoin = held; return }
            hub.logger.warning("refused a peer: not a member, and it sent no join", metadata: ["peer": "\(peer.short)"])
            refuseApplicant(context)
            return
        }
        awaitingJoin = [message]
        let hub = hub, admission = admission, eventLoop = context.eventLoop
        hub.storeQueue.async {
            let refusal = admission.admit(peer, join)
            if refusal == nil {
                hub.checkRoster()
                _ = hub.refreshVector()
            }
            eventLoop.execute {
                guard let context = self.context else { return }
                if let refusal {
                    hub.logger.warning("refused a join", metadata: ["peer": "\(peer.short)", "reason": "\(refusal)"])
                    self.refuseApplicant(context)
                    return
                }
                hub.logger.notice("admitted a new member", metadata: ["peer": "\(peer.short)"])
                let rest = (self.awaitingJoin ?? []).dropFirst()
                self.awaitingJoin = nil
                self.startSession(peer, context: context)
                for message in rest { self.deliver(message) }
            }
        }
    }

    private func refuseApplicant(_ context: ChannelHandlerContext) {
        awaitingJoin = nil
        hub.telemetry.record(.handshakeRefused, peer: peer, address: address, reason: "join-refused")
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: SyncMessage.bye(.unexpectedPeer).encoded())),
                              promise: nil)
        context.close(promise: nil)
    }

    private func deliver(_ message: SyncMessage) {
        guard var machine else { return }
        machine.format2Logs = hub.format2Logs
        let actions = machine.received(message, localVector: hub.localVector, now: now)
        self.machine = machine
        if let peer { hub.heard(from: peer, vector: nil) }
        perform(actions)
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        hub.telemetry.received(bytes.count, from: peer)
        if awaitingJoin != nil {
            guard let message = try? SyncMessage.decode(bytes) else { return refuseApplicant(context) }
            return receivedWhileAwaitingJoin(message, context: context)
        }
        guard var machine else { return }
        machine.format2Logs = hub.format2Logs
        let actions: [SyncSession.Action]
        do {
            let message = try SyncMessage.decode(bytes)
            // A join to a node that already knows us (a retry after we were admitted) is harmless.
            if case .join = message { return }
            if case let .presence(presence) = message {
                if let peer { hub.presenceReceived(presence, from: peer) }
                return
            }
            actions = machine.received(message, localVector: hub.localVector, now: now)
        } catch {
            actions = machine.receiveFailed(error)
        }
        self.machine = machine
        if let peer { hub.heard(from: peer, vector: nil) }
        perform(actions)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        machine?.closed()
        timer?.cancel()
        hub.unregister(self, peer: peer)
        if let peer { hub.telemetry.record(.disconnected, peer: peer, address: address) }
        context.fireChannelInactive()
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        hub.telemetry.failed(error, peer: peer, address: address ?? SyncTelemetry.describe(context.channel.remoteAddress))
        hub.logger.notice("peer connection failed", metadata: ["peer": "\(peer?.short ?? "?")", "reason": "\(error)"])
        context.close(promise: nil)
    }

    /// Sends an ephemeral message (presence) once the session is established (any thread).
    func sendEphemeral(_ message: SyncMessage) {
        context?.eventLoop.execute {
            guard let context = self.context, self.machine?.isActive == true,
                  self.hub.mayAndWillSend(message, to: self.peer) else { return }
            context.writeAndFlush(self.wrapOutboundOut(context.channel.allocator.buffer(bytes: message.encoded())), promise: nil)
        }
    }

    /// The store gained ops: push what the peer lacks (any thread).
    func localChanged(_ vector: VersionVector) {
        context?.eventLoop.execute {
            guard var machine = self.machine else { return }
            machine.format2Logs = self.hub.format2Logs
            let actions = machine.localChanged(localVector: vector, now: self.now)
            self.machine = machine
            self.perform(actions)
        }
    }

    private func perform(_ actions: [SyncSession.Action]) {
        guard let context else { return }
        let eventLoop = context.eventLoop
        for action in actions {
            switch action {
            case let .send(message):
                guard hub.mayAndWillSend(message, to: peer) else {
                    // Withdrawn: not one more frame; the hub is closing the session.
                    admissionWithdrawn()
                    return
                }
                let encoded = message.encoded()
                hub.telemetry.sent(encoded.count, to: peer)
                context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: encoded)), promise: nil)
            case let .fetch(after, limit):
                let hub = hub
                let format2 = machine?.carriesFormat2 ?? false
                hub.storeQueue.async {
                    // Format 1 ops first; a version 4 session then gets the format 2 logs as runs (§2b.19).
                    let result = Result { () throws(StoreError) -> SyncSession.Fetched in
                        let batch = try hub.store.batch(after: after, limit: limit, maxBytes: SyncLimits.maxBatchReadBytes)
                        guard batch.isEmpty, format2 else { return .ops(batch) }
                        return .runsV2(try hub.store.batchesV2(after: after, limit: limit).map(RunV2.init(fullRangesOf:)))
                    }
                    // Checked after the read: a revocation the batch could contain is seen here, before
                    // the batch reaches the event loop (where the send is refused for a withdrawn peer).
                    hub.checkRoster()
                    eventLoop.execute { self.fetched(result) }
                }
            case let .apply(id, batch):
                // Applied with whatever other sessions' batches wait (group commit), in order.
                hub.enqueueApply(batch) { result, vector in
                    eventLoop.execute { self.applied(id: id, result: result, vector: vector) }
                }
            case let .applyRunsV2(id, runs):
                hub.enqueueApply(runsV2: runs) { result, vector in
                    eventLoop.execute { self.applied(id: id, result: result, vector: vector) }
                }
            case let .readWantedBodies(limit):
                let hub = hub
                hub.storeQueue.async {
                    let wants: [BodyWant]
                    do throws(StoreError) {
                        wants = try hub.store.wantedBodies(limit: limit)
                    } catch {
                        // Nothing is asked this round; the next round reads again.
                        hub.logger.error("cannot read the op bodies to fetch again", metadata: ["reason": "\(error)"])
                        wants = []
                    }
                    eventLoop.execute { self.answer { $0.wantedBodiesRead(wants, now: self.now) } }
                }
            case let .readHeldBodies(wants):
                let hub = hub
                hub.storeQueue.async {
                    let bodies: [HeldBody]
                    do throws(StoreError) {
                        bodies = try hub.store.heldBodies(wants)
                    } catch {
                        // The peer gets an empty answer and asks again at its next round.
                        hub.logger.error("cannot read op bodies a peer asked for", metadata: ["reason": "\(error)"])
                        bodies = []
                    }
                    eventLoop.execute { self.answer { $0.heldBodiesRead(bodies, now: self.now) } }
                }
            case let .restoreBodies(bodies):
                let hub = hub, peer = peer
                hub.storeQueue.async {
                    do throws(StoreError) {
                        let restored = try hub.store.restoreBodies(bodies)
                        // Counts only: bodies are customer text.
                        hub.logger.notice("op bodies fetched again from a peer", metadata: [
                            "peer": "\(peer?.short ?? "?")", "received": "\(bodies.count)", "restored": "\(restored)"])
                    } catch {
                        hub.logger.error("cannot restore op bodies from a peer", metadata: ["reason": "\(error)"])
                    }
                }
            case let .established(peer, vector):
                hub.heard(from: peer, vector: vector)
                let sessionVersion = machine?.sessionVersion ?? 0
                if let version = machine?.peerVersion { hub.heardVersion(version, from: peer) }
                hub.logger.info("peer session established", metadata: ["peer": "\(peer.short)", "version": "\(sessionVersion)"])
                onEstablished?(peer)
                for presence in hub.presenceToReplay() { sendEphemeral(.presence(presence)) }
            case let .peerProgress(vector):
                if let peer { hub.heard(from: peer, vector: vector) }
            case let .peerRejected(batchID, rejection):
                hub.telemetry.record(.refusedByPeer, peer: peer, reason: rejection.code.description, op: rejection.op)
                hub.logger.warning("peer refused a batch", metadata: ["peer": "\(peer?.short ?? "?")", "batch": "\(batchID)",
                                                                       "reason": "\(rejection)"])
            case let .logBlocked(log, reason):
                hub.logger.warning("stopped sending a log to a peer", metadata: ["peer": "\(peer?.short ?? "?")",
                                                                                  "log": "\(log)", "reason": "\(reason)"])
            case let .close(reason):
                hub.logger.info("peer session closed", metadata: ["peer": "\(peer?.short ?? "?")", "reason": "\(reason)"])
                context.close(promise: nil)
            case let .peerSubscribed(subscription):
                // Queued before any answer to the peer, on the same serial queue.
                let hub = hub
                guard let peer else { break }
                hub.heardSubscription(subscription, from: peer)
                hub.storeQueue.async {
                    do throws(StoreError) {
                        try hub.partialSubscribed(peer, subscription)
                    } catch {
                        hub.logger.error("cannot compute a partial peer's view", metadata: ["peer": "\(peer.short)", "reason": "\(error)"])
                        eventLoop.execute { self.context?.close(promise: nil) }
                    }
                }
            case let .partialAnswer(request):
                let hub = hub
                guard let peer else { break }
                // A partial peer's vector says how far it holds its scopes: what "behind" and stalls are judged by.
                hub.heard(from: peer, vector: VersionVector(request.vector))
                hub.storeQueue.async {
                    let result = Result { () throws(StoreError) in try hub.answerPartial(request, from: peer) }
                    hub.checkRoster()
                    eventLoop.execute {
                        switch result {
                        case let .success(batch):
                            self.answer { $0.partialAnswered(batch, now: self.now) }
                        case let .failure(error):
                            hub.logger.error("cannot read ops to send a partial peer", metadata: ["reason": "\(error)"])
                            self.context?.close(promise: nil)
                        }
                    }
                }
            case .partialRequestDue:
                let hub = hub
                guard let peer else { break }
                hub.storeQueue.async {
                    let request = hub.partialRequest(to: peer)
                    eventLoop.execute { self.answer { $0.partialRequest(request, now: self.now) } }
                }
            case let .partialReceive(batch, _):
                // A partial peer's answer: runs of its own log, applied as any peer's runs. A refused batch is
                // logged; the next request asks again from this node's vector.
                let hub = hub, peer = peer
                guard !batch.runs.isEmpty else {
                    hub.storeQueue.async {
                        if let peer, batch.number > 0 { hub.partialBatchesApplied[peer] = batch.number }
                        eventLoop.execute { self.answer { $0.partialApplied(now: self.now) } }
                    }
                    break
                }
                hub.enqueueApply(runsV2: batch.runs) { result, _ in
                    hub.telemetry.applied(result, from: peer)
                    if case let .failure(rejection) = result {
                        hub.logger.warning("refused a partial peer's batch", metadata: ["peer": "\(peer?.short ?? "?")",
                                                                                        "reason": "\(rejection)"])
                    }
                    hub.storeQueue.async {
                        if let peer, batch.number > 0 { hub.partialBatchesApplied[peer] = batch.number }
                        eventLoop.execute { self.answer { $0.partialApplied(now: self.now) } }
                    }
                }
            }
        }
    }

    /// Feeds the driver's answer to a store read into the machine and performs what comes out.
    private func answer(_ event: (inout SyncSession.StateMachine) -> [SyncSession.Action]) {
        guard var machine else { return }
        machine.format2Logs = hub.format2Logs
        let actions = event(&machine)
        self.machine = machine
        perform(actions)
    }

    private func fetched(_ result: Result<SyncSession.Fetched, StoreError>) {
        guard var machine else { return }
        machine.format2Logs = hub.format2Logs
        switch result {
        case let .success(batch):
            let actions = machine.batchFetched(batch, localVector: hub.localVector, now: now)
            self.machine = machine
            perform(actions)
        case let .failure(error):
            hub.logger.error("cannot read ops to send", metadata: ["reason": "\(error)"])
            context?.close(promise: nil)
        }
    }

    private func applied(id: UInt64, result: Result<ApplyReport, SyncRejection>, vector: VersionVector) {
        guard var machine else { return }
        machine.format2Logs = hub.format2Logs
        hub.telemetry.applied(result, from: peer)
        if case let .failure(rejection) = result {
            hub.logger.warning("refused a batch from a peer", metadata: ["peer": "\(peer?.short ?? "?")", "reason": "\(rejection)"])
        }
        let actions = machine.batchApplied(id: id, result: result, localVector: vector, now: now)
        self.machine = machine
        perform(actions)
    }
}
