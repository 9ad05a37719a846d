public import Logging
public import NIOCore
public import RoostCore
public import RoostCrypto

/// Events ``SecureChannelHandler`` fires inbound with
/// `fireUserInboundEventTriggered`.
public enum SecureChannelEvent: Sendable, Hashable {
    /// The handshake completed: `peer` is authenticated and allowed. Writes
    /// made before this were queued and are sent now.
    case established(peer: AuthorID)

    /// The peer sent its FINAL frame: it will send nothing more. The channel
    /// stays open for writing; close it when done.
    case peerFinished
}

/// Why ``SecureChannelHandler`` closed a channel, fired with
/// `fireErrorCaught` before it closes (or when the peer's close cut a
/// handshake or a stream short).
public enum SecureChannelError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The handshake failed.
    case handshake(HandshakeError)

    /// A data frame was refused, or the peer's stream was truncated.
    case frame(FrameError)

    /// A reason that never contains key material.
    public var description: String {
        switch self {
        case let .handshake(error): "handshake failed: \(error)"
        case let .frame(error): "secure stream failed: \(error)"
        }
    }
}

/// Runs the Roost handshake on a channel, then encrypts and decrypts its
/// traffic (Protocol/SPEC-peers.md §2a).
///
/// Put it first in the pipeline, on the raw TCP bytes. Inbound it reads
/// `ByteBuffer`s and fires decrypted payloads, one `ByteBuffer` per frame;
/// outbound it takes payload `ByteBuffer`s and writes one frame each
/// (payloads up to ``WireLimits/maxFramePayloadBytes``; larger writes fail
/// their promise with ``FrameError/payloadTooLarge(length:limit:)`` and the
/// channel stays open). Writes before the handshake completes are queued.
///
/// - When the channel becomes active it starts the handshake and a timeout.
/// - On completion it fires ``SecureChannelEvent/established(peer:)``.
/// - Closing the channel (output or all) first sends the FINAL frame.
/// - On any failure it fires a ``SecureChannelError``, fails queued writes,
///   and closes the channel without sending anything more. It logs the
///   reason at `notice` (reasons carry no key material).
///
/// Inbound bytes are framed by one `NIOSingleStepByteToMessageProcessor`
/// whose decoder switches from ``HandshakeFrameDecoder`` to
/// ``DataFrameDecoder`` after the two handshake messages this end receives,
/// with `maximumBufferSize` ``WireLimits/maxBufferedFrameBytes``.
public final class SecureChannelHandler: ChannelDuplexHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private enum State {
        case idle
        case handshaking
        case established
        /// Failed, or closed by either end: nothing more is read or sealed.
        case closed
    }

    private var state = State.idle
    private var handshake: Handshake.StateMachine
    private var sealer: FrameSealer?
    private var opener: FrameOpener?
    private let processor = NIOSingleStepByteToMessageProcessor(
        WireDecoder(), maximumBufferSize: WireLimits.maxBufferedFrameBytes)
    private var pendingWrites = CircularBuffer<(data: ByteBuffer, promise: EventLoopPromise<Void>?)>()
    private var closedLocally = false
    private let handshakeTimeout: TimeAmount?
    private var timeoutTask: Scheduled<Void>?
    private var logger: Logger

    /// The authenticated peer, once the handshake has completed.
    public private(set) var peer: AuthorID?

    /// Creates the handler of one connection.
    ///
    /// - Parameters:
    ///   - role: `.initiator` on a dialled connection, `.responder` on an
    ///     accepted one.
    ///   - ephemeral: the connection's X25519 key; leave it fresh except in
    ///     tests.
    ///   - handshakeTimeout: how long to wait for the handshake after the
    ///     channel becomes active; `nil` for no limit.
    ///   - logger: receives `debug` and `notice` messages; never key material.
    public init(
        role: Handshake.Role,
        configuration: Handshake.Configuration,
        ephemeral: X25519KeyPair = .generate(),
        handshakeTimeout: TimeAmount? = WireLimits.defaultHandshakeTimeout,
        logger: Logger = Logger(label: "roost.sync.secure-channel")
    ) {
        handshake = Handshake.StateMachine(role: role, configuration: configuration, ephemeral: ephemeral)
        self.handshakeTimeout = handshakeTimeout
        self.logger = logger
        self.logger[metadataKey: "roost.role"] = "\(role)"
    }

    // MARK: lifecycle

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive {
            start(context: context)
        }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        timeoutTask?.cancel()
        timeoutTask = nil
        failPendingWrites(ChannelError.ioOnClosedChannel)
    }

    public func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        endOfInput(context: context)
        state = .closed
        timeoutTask?.cancel()
        timeoutTask = nil
        failPendingWrites(ChannelError.ioOnClosedChannel)
        context.fireChannelInactive()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            endOfInput(context: context)
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func start(context: ChannelHandlerContext) {
        guard case .idle = state else { return }
        state = .handshaking
        if let handshakeTimeout {
            timeoutTask = context.eventLoop.assumeIsolated().scheduleTask(in: handshakeTimeout) {
                guard case .handshaking = self.state, case let .fail(error) = self.handshake.timedOut() else { return }
                self.fail(.handshake(error), context: context)
            }
        }
        do {
            try perform(handshake.start(), context: context)
        } catch {
            fail(error, context: context)
        }
    }

    // MARK: inbound

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state {
        case .handshaking, .established: break
        case .idle, .closed: return
        }
        let bytes = unwrapInboundIn(data)
        do {
            try processor.process(buffer: bytes) { message in
                try self.handle(message, context: context)
            }
            // Nothing may follow the peer's FINAL frame, not even part of a frame.
            if opener?.isFinished == true, processor.unprocessedBytes > 0 {
                throw FrameError.dataAfterEnd
            }
        } catch is FrameError where opener?.isFinished == true {
            // Bytes after FINAL that the decoder refused, or left over.
            fail(.frame(.dataAfterEnd), context: context)
        } catch let error as SecureChannelError {
            fail(error, context: context)
        } catch is StopReading {
            return
        } catch let error as FrameError {
            fail(.frame(error), context: context)
        } catch let error as HandshakeError {
            fail(.handshake(error), context: context)
        } catch {
            // `ByteToMessageDecoderError.PayloadTooLargeError`: unreachable
            // while the decoders check every prefix, kept as a backstop.
            fail(.frame(.frameTooLarge(length: processor.unprocessedBytes, limit: WireLimits.maxBufferedFrameBytes)), context: context)
        }
    }

    /// Thrown out of the processor's loop when the channel closed under it.
    private struct StopReading: Error {}

    private func handle(_ message: WireDecoder.Message, context: ChannelHandlerContext) throws {
        switch (state, message) {
        case let (.handshaking, .handshake(payload)):
            try perform(handshake.received(payload), context: context)
        case let (.established, .frame(body)):
            let output: FrameOpener.Output
            do {
                output = try opener!.open(body: Array(buffer: body))
            } catch {
                throw SecureChannelError.frame(error)
            }
            switch output {
            case let .payload(payload):
                context.fireChannelRead(wrapInboundOut(context.channel.allocator.buffer(bytes: payload)))
            case .end:
                logger.debug("peer finished its stream")
                context.fireUserInboundEventTriggered(SecureChannelEvent.peerFinished)
            }
        case (.closed, _):
            throw StopReading()
        case (.idle, _), (.handshaking, .frame), (.established, .handshake):
            // The decoder yields exactly two handshake messages, each of which
            // either advances the handshake or fails it.
            preconditionFailure("secure channel framing out of step with the handshake")
        }
    }

    private func perform(_ action: Handshake.Action, context: ChannelHandlerContext) throws(SecureChannelError) {
        switch action {
        case let .send(message):
            context.writeAndFlush(wrapOutboundOut(handshakeFrame(message, context: context)), promise: nil)
        case let .sendAndComplete(message, session):
            context.write(wrapOutboundOut(handshakeFrame(message, context: context)), promise: nil)
            establish(session, context: context)
        case let .complete(session):
            establish(session, context: context)
        case .wait:
            break
        case let .fail(error):
            throw .handshake(error)
        }
    }

    private func handshakeFrame(_ message: [UInt8], context: ChannelHandlerContext) -> ByteBuffer {
        var buffer = context.channel.allocator.buffer(capacity: HandshakeFrame.prefixLength + message.count)
        HandshakeFrame.write(message, to: &buffer)
        return buffer
    }

    private func establish(_ session: Handshake.Session, context: ChannelHandlerContext) {
        // Session keys always have the stream key length.
        sealer = try! FrameSealer(key: session.sendKey)
        opener = try! FrameOpener(key: session.receiveKey)
        state = .established
        peer = session.peer
        timeoutTask?.cancel()
        timeoutTask = nil
        logger.debug("secure channel established", metadata: ["roost.peer": "\(session.peer)"])
        context.fireUserInboundEventTriggered(SecureChannelEvent.established(peer: session.peer))
        while let (data, promise) = pendingWrites.popFirst() {
            seal(data, promise: promise, context: context)
        }
        context.flush()
    }

    private func endOfInput(context: ChannelHandlerContext) {
        switch state {
        case .handshaking:
            // A handshake this end abandoned by closing is not a failure to report.
            if case let .fail(error) = handshake.connectionClosed(), !closedLocally {
                report(.handshake(error), context: context)
            }
        case .established:
            guard !closedLocally else { return }
            do {
                try opener!.endOfInput()
            } catch {
                report(.frame(error), context: context)
            }
        case .idle, .closed:
            return
        }
        state = .closed
    }

    // MARK: outbound

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let payload = unwrapOutboundIn(data)
        switch state {
        case .idle, .handshaking:
            pendingWrites.append((payload, promise))
        case .established:
            seal(payload, promise: promise, context: context)
        case .closed:
            promise?.fail(ChannelError.ioOnClosedChannel)
        }
    }

    public func flush(context: ChannelHandlerContext) {
        switch state {
        case .idle, .handshaking: break  // queued writes are flushed on establishment
        case .established, .closed: context.flush()
        }
    }

    public func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard case .established = state, mode != .input, sealer?.isFinished == false else {
            if mode != .input { closedLocally = true }
            context.close(mode: mode, promise: promise)
            return
        }
        closedLocally = true
        // Not finished, so `finish` cannot throw.
        let final = try! sealer!.finish()
        context.writeAndFlush(wrapOutboundOut(context.channel.allocator.buffer(bytes: final)))
            .assumeIsolated()
            .whenComplete { _ in context.close(mode: mode, promise: promise) }
    }

    private func seal(_ payload: ByteBuffer, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext) {
        do {
            let frame = try sealer!.seal(Array(buffer: payload))
            context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: frame)), promise: promise)
        } catch {
            // Never silent: a payload the frame cannot carry is a sender bug (messages are sized to fit).
            logger.error("a payload was not sent: it does not fit one frame", metadata: [
                "roost.reason": "\(error)", "roost.limit": "\(WireLimits.maxFramePayloadBytes)"])
            promise?.fail(SecureChannelError.frame(error))
        }
    }

    // MARK: failure

    private func fail(_ error: any Error, context: ChannelHandlerContext) {
        let reason = error as? SecureChannelError ?? .frame(.decryptionFailed)
        fail(reason, context: context)
    }

    /// Reports `error`, drops queued writes and closes without sending more.
    private func fail(_ error: SecureChannelError, context: ChannelHandlerContext) {
        guard state != .closed else { return }
        // Closed before the layers above hear of it: a close they start in reaction must not send FINAL
        // (SPEC-peers §2a.5: a frame that fails a check ends the connection without FINAL).
        state = .closed
        report(error, context: context)
        context.close(promise: nil)
    }

    private func report(_ error: SecureChannelError, context: ChannelHandlerContext) {
        timeoutTask?.cancel()
        timeoutTask = nil
        logger.notice("secure channel failed", metadata: ["roost.reason": "\(error)"])
        failPendingWrites(error)
        context.fireErrorCaught(error)
    }

    private func failPendingWrites(_ error: any Error) {
        while let (_, promise) = pendingWrites.popFirst() {
            promise?.fail(error)
        }
    }
}

@available(*, unavailable)
extension SecureChannelHandler: Sendable {}
