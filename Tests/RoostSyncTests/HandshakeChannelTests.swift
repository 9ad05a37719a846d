import NIOCore
import NIOEmbedded
import RoostCore
import RoostCrypto
@testable import RoostSync
import Testing

/// Records what a ``SecureChannelHandler`` fires: payloads, events, errors.
final class SecureChannelRecorder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    var payloads: [[UInt8]] = []
    var events: [SecureChannelEvent] = []
    var errors: [SecureChannelError] = []
    var otherErrors: [any Error] = []
    /// Called on `.established`, before queued writes are flushed.
    var onEstablished: ((ChannelHandlerContext) -> Void)?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        payloads.append(Array(buffer: unwrapInboundIn(data)))
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? SecureChannelEvent {
            events.append(event)
            if case .established = event { onEstablished?(context) }
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// Close the channel on any error, as ``PeeringSessionHandler`` does (the close goes back through
    /// the secure handler).
    var closeOnError = false

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? SecureChannelError { errors.append(error) } else { otherErrors.append(error) }
        if closeOnError { context.close(promise: nil) }
    }
}

/// Two embedded channels joined by a test-controlled wire.
final class SecureEmbeddedPair {
    let initiator: EmbeddedChannel
    let responder: EmbeddedChannel
    let initiatorRecorder = SecureChannelRecorder()
    let responderRecorder = SecureChannelRecorder()
    /// Every batch of bytes that left each side, in order.
    var sentByInitiator: [[UInt8]] = []
    var sentByResponder: [[UInt8]] = []

    init(
        initiator: Handshake.Configuration,
        responder: Handshake.Configuration,
        handshakeTimeout: TimeAmount? = WireLimits.defaultHandshakeTimeout
    ) throws {
        self.initiator = EmbeddedChannel()
        self.responder = EmbeddedChannel()
        try self.initiator.pipeline.syncOperations.addHandlers([
            SecureChannelHandler(role: .initiator, configuration: initiator, handshakeTimeout: handshakeTimeout),
            initiatorRecorder,
        ])
        try self.responder.pipeline.syncOperations.addHandlers([
            SecureChannelHandler(role: .responder, configuration: responder, handshakeTimeout: handshakeTimeout),
            responderRecorder,
        ])
    }

    convenience init(_ initiator: SigningKey, _ responder: SigningKey, responderKey: NetworkKey = HandshakeFixture.networkKey) throws {
        try self.init(
            initiator: HandshakeFixture.configuration(initiator),
            responder: HandshakeFixture.configuration(responder, networkKey: responderKey))
    }

    static let address = try! SocketAddress(ipAddress: "127.0.0.1", port: 7000)

    func connect() throws {
        try responder.connect(to: Self.address).wait()
        try initiator.connect(to: Self.address).wait()
    }

    /// Moves bytes both ways until neither side has anything to send. Each
    /// batch is passed through `tamper`, then delivered in the chunks
    /// `split` cuts it into.
    func pump(
        split: ([UInt8]) -> [[UInt8]] = { [$0] },
        tamper: (Handshake.Role, inout [UInt8]) -> Void = { _, _ in }
    ) throws {
        var moved = true
        while moved {
            moved = false
            for role in [Handshake.Role.initiator, .responder] {
                let (from, to) = role == .initiator ? (initiator, responder) : (responder, initiator)
                var batch: [UInt8] = []
                while let buffer = try from.readOutbound(as: ByteBuffer.self) {
                    batch += Array(buffer: buffer)
                }
                guard !batch.isEmpty else { continue }
                moved = true
                if role == .initiator { sentByInitiator.append(batch) } else { sentByResponder.append(batch) }
                tamper(role, &batch)
                guard to.isActive else { continue }
                for chunk in split(batch) where to.isActive {
                    try to.writeInbound(ByteBuffer(bytes: chunk))
                }
            }
        }
    }

    /// Tells each side that is still open that its peer's connection is gone
    /// (what TCP reports after the other end closed).
    func deliverCloses() {
        if !initiator.isActive, responder.isActive { responder.pipeline.fireChannelInactive() }
        if !responder.isActive, initiator.isActive { initiator.pipeline.fireChannelInactive() }
    }

    func write(_ payload: [UInt8], from role: Handshake.Role) -> EventLoopFuture<Void> {
        let channel = role == .initiator ? initiator : responder
        return channel.writeAndFlush(ByteBuffer(bytes: payload))
    }
}

@Suite("Secure channel handler")
struct HandshakeChannelTests {
    @Test("handshake, payloads both ways, clean close with FINAL")
    func establishAndExchange() throws {
        let pair = try SecureEmbeddedPair(HandshakeFixture.alice, HandshakeFixture.bob)
        // Written before the channel is even active: queued until established.
        let early = pair.write(Array("early".utf8), from: .initiator)
        try pair.connect()
        try pair.pump()
        #expect(pair.initiatorRecorder.events == [.established(peer: HandshakeFixture.bob.authorID)])
        #expect(pair.responderRecorder.events == [.established(peer: HandshakeFixture.alice.authorID)])
        #expect(try pair.initiator.pipeline.syncOperations.handler(type: SecureChannelHandler.self).peer == HandshakeFixture.bob.authorID)
        try early.wait()

        // Wire format: u16-prefixed M1 (70) and M2 (64) first.
        let m1 = pair.sentByInitiator[0]
        #expect(Array(m1.prefix(8)) == [0x00, 0x46] + Array("ROOST".utf8) + [0x01])
        #expect(m1.count == 72)
        #expect(pair.sentByResponder[0].count == 66 && Array(pair.sentByResponder[0].prefix(2)) == [0x00, 0x40])

        for index in 0..<5 {
            pair.write([UInt8](repeating: UInt8(index), count: index * 100), from: .initiator).whenFailure { Issue.record("\($0)") }
            pair.write(Array("pong \(index)".utf8), from: .responder).whenFailure { Issue.record("\($0)") }
        }
        try pair.pump()
        #expect(pair.responderRecorder.payloads == [Array("early".utf8)] + (0..<5).map { [UInt8](repeating: UInt8($0), count: $0 * 100) })
        #expect(pair.initiatorRecorder.payloads == (0..<5).map { Array("pong \($0)".utf8) })

        // The initiator closes: its FINAL reaches the responder first.
        try pair.initiator.close().wait()
        try pair.pump()
        #expect(pair.responderRecorder.events.last == .peerFinished)
        pair.deliverCloses()
        #expect(pair.responderRecorder.errors.isEmpty)
        #expect(pair.initiatorRecorder.errors.isEmpty)
        #expect(pair.responderRecorder.otherErrors.isEmpty && pair.initiatorRecorder.otherErrors.isEmpty)
    }

    @Test("a peer without the network key gets no answer and no identity")
    func wrongNetworkKey() throws {
        let pair = try SecureEmbeddedPair(HandshakeFixture.alice, HandshakeFixture.bob, responderKey: HandshakeFixture.otherNetworkKey)
        let queued = pair.write(Array("secret".utf8), from: .initiator)
        try pair.connect()
        try pair.pump()
        #expect(pair.responderRecorder.errors == [.handshake(.wrongNetworkKey(message: .m1))])
        #expect(pair.sentByResponder.isEmpty, "the responder must not answer")
        #expect(!pair.responder.isActive)
        pair.deliverCloses()
        #expect(pair.initiatorRecorder.errors == [.handshake(.connectionClosed)])
        #expect(pair.sentByInitiator.map(\.count) == [72])
        #expect(!WireTestBytes.contains(pair.sentByInitiator.flatMap { $0 }, HandshakeFixture.alice.publicKey))
        // The write queued before the handshake fails with the reason.
        #expect(throws: SecureChannelError.handshake(.connectionClosed)) { try queued.wait() }
        #expect(pair.initiatorRecorder.events.isEmpty && pair.responderRecorder.events.isEmpty)
    }

    @Test("an unknown initiator is refused: the responder never sends M4 or its identity")
    func unknownIdentity() throws {
        let pair = try SecureEmbeddedPair(HandshakeFixture.carol, HandshakeFixture.bob)
        try pair.connect()
        try pair.pump()
        #expect(pair.responderRecorder.errors == [.handshake(.unknownIdentity(HandshakeFixture.carol.authorID))])
        #expect(pair.sentByResponder.map(\.count) == [66], "M2 only")
        #expect(!WireTestBytes.contains(pair.sentByResponder.flatMap { $0 }, HandshakeFixture.bob.publicKey))
        #expect(!pair.responder.isActive)
        pair.deliverCloses()
        #expect(pair.initiatorRecorder.errors == [.handshake(.connectionClosed)])
    }

    @Test("a revoked initiator is refused with revokedIdentity")
    func revokedIdentity() throws {
        let pair = try SecureEmbeddedPair(HandshakeFixture.mallory, HandshakeFixture.bob)
        try pair.connect()
        try pair.pump()
        #expect(pair.responderRecorder.errors == [.handshake(.revokedIdentity(HandshakeFixture.mallory.authorID))])
        #expect(pair.sentByResponder.map(\.count) == [66])
    }

    @Test("data frames that arrive in the same read as M4 are opened")
    func framesRightAfterM4() throws {
        let pair = try SecureEmbeddedPair(HandshakeFixture.alice, HandshakeFixture.bob)
        pair.responderRecorder.onEstablished = { context in
            for word in ["one", "two", "three"] {
                context.write(NIOAny(ByteBuffer(bytes: Array(word.utf8))), promise: nil)
            }
        }
        try pair.connect()
        try pair.pump()
        #expect(pair.initiatorRecorder.payloads == ["one", "two", "three"].map { Array($0.utf8) })
        // M4 and the three frames left the responder in one batch.
        #expect(pair.sentByResponder.count == 2)
        #expect(pair.sentByResponder[1].count > 2 + 112 + 3 * (4 + 17))
    }

    @Test("the whole conversation delivered one byte at a time, and at random splits")
    func splitDelivery() throws {
        let seed = UInt64.random(in: 0...UInt64.max)
        print("HandshakeChannelTests.splitDelivery seed: \(seed)")
        var rng = SplitMix64(seed: seed)
        let splits: [([UInt8]) -> [[UInt8]]] = [
            { $0.map { [$0] } },
            { bytes in
                var chunks: [[UInt8]] = []
                var start = 0
                while start < bytes.count {
                    let length = Int.random(in: 1...max(1, min(40, bytes.count - start)), using: &rng)
                    chunks.append(Array(bytes[start..<start + length]))
                    start += length
                }
                return chunks
            },
        ]
        for split in splits {
            let pair = try SecureEmbeddedPair(HandshakeFixture.bob, HandshakeFixture.alice)
            try pair.connect()
            _ = pair.write(Array("hello".utf8), from: .initiator)
            try pair.pump(split: split)
            _ = pair.write([UInt8](repeating: 9, count: 300), from: .responder)
            _ = pair.write([], from: .responder)
            try pair.pump(split: split)
            #expect(pair.responderRecorder.payloads == [Array("hello".utf8)], "seed \(seed)")
            #expect(pair.initiatorRecorder.payloads == [[UInt8](repeating: 9, count: 300), []], "seed \(seed)")
            #expect(pair.initiatorRecorder.errors.isEmpty && pair.responderRecorder.errors.isEmpty, "seed \(seed)")
        }
    }

    @Test("a tampered data frame closes the channel without delivering it")
    func tamperedFrame() throws {
        let pair = try SecureEmbeddedPair(HandshakeFixture.alice, HandshakeFixture.bob)
        try pair.connect()
        try pair.pump()
        _ = pair.write(Array("pay 100 to bob".utf8), from: .initiator)
        try pair.pump(tamper: { role, bytes in
            if role == .initiator { bytes[bytes.count - 20] ^= 0x01 }
        })
        #expect(pair.responderRecorder.payloads.isEmpty)
        #expect(pair.responderRecorder.errors == [.frame(.decryptionFailed)])
        #expect(!pair.responder.isActive)
        // The initiator then sees the connection cut: its side had sent no FINAL
        // but it closed nothing itself; it was the peer that vanished.
        pair.deliverCloses()
        #expect(pair.initiatorRecorder.errors == [.frame(.truncated)])
    }

    @Test("after a tampered or oversized frame nothing more is sent, not even FINAL, when the layer above closes on the error (SPEC-peers §2a.5)")
    func noFinalAfterAFailedFrame() throws {
        for oversized in [false, true] {
            let pair = try SecureEmbeddedPair(HandshakeFixture.alice, HandshakeFixture.bob)
            pair.responderRecorder.closeOnError = true
            try pair.connect()
            try pair.pump()
            _ = pair.write(Array("pay 100 to bob".utf8), from: .initiator)
            let sentBefore = pair.sentByResponder.count
            try pair.pump(tamper: { role, bytes in
                guard role == .initiator else { return }
                if oversized {
                    let length = UInt32(WireLimits.maxFrameBytes + 1)
                    bytes = [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
                } else {
                    bytes[bytes.count - 20] ^= 0x01
                }
            })
            #expect(pair.responderRecorder.payloads.isEmpty)
            #expect(pair.responderRecorder.errors.count == 1)
            #expect(!pair.responder.isActive)
            #expect(pair.sentByResponder.count == sentBefore, "the responder sent bytes (a FINAL) after the failed frame")
            pair.deliverCloses()
            #expect(pair.initiatorRecorder.errors == [.frame(.truncated)])
        }
    }

    @Test("a peer connection that ends without FINAL is reported as truncated")
    func truncated() throws {
        let pair = try SecureEmbeddedPair(HandshakeFixture.alice, HandshakeFixture.bob)
        try pair.connect()
        try pair.pump()
        _ = pair.write([1, 2, 3], from: .initiator)
        try pair.pump()
        pair.responder.pipeline.fireChannelInactive()
        #expect(pair.responderRecorder.payloads == [[1, 2, 3]])
        #expect(pair.responderRecorder.errors == [.frame(.truncated)])
    }

    @Test("bytes after the peer's FINAL, in the same read or a later one, fail with dataAfterEnd")
    func dataAfterFinal() throws {
        for sameRead in [true, false] {
            let pair = try SecureEmbeddedPair(HandshakeFixture.alice, HandshakeFixture.bob)
            try pair.connect()
            try pair.pump()
            try pair.initiator.close().wait()
            try pair.pump(tamper: { role, bytes in
                if sameRead, role == .initiator { bytes.append(0) }
            })
            #expect(pair.responderRecorder.events.last == .peerFinished)
            if !sameRead {
                #expect(pair.responderRecorder.errors.isEmpty)
                try pair.responder.writeInbound(ByteBuffer(bytes: [0]))
            }
            #expect(pair.responderRecorder.errors == [.frame(.dataAfterEnd)], "same read: \(sameRead)")
            #expect(!pair.responder.isActive)
        }
    }

    @Test("a handshake that does not complete in time fails with timedOut")
    func timeout() throws {
        let pair = try SecureEmbeddedPair(HandshakeFixture.alice, HandshakeFixture.bob)
        try pair.responder.connect(to: SecureEmbeddedPair.address).wait()
        pair.responder.embeddedEventLoop.advanceTime(by: WireLimits.defaultHandshakeTimeout - .milliseconds(1))
        #expect(pair.responder.isActive)
        pair.responder.embeddedEventLoop.advanceTime(by: .milliseconds(1))
        #expect(pair.responderRecorder.errors == [.handshake(.timedOut)])
        #expect(!pair.responder.isActive)

        // A completed handshake is not timed out later.
        let done = try SecureEmbeddedPair(HandshakeFixture.alice, HandshakeFixture.bob)
        try done.connect()
        try done.pump()
        done.responder.embeddedEventLoop.advanceTime(by: .seconds(60))
        done.initiator.embeddedEventLoop.advanceTime(by: .seconds(60))
        #expect(done.responderRecorder.errors.isEmpty && done.initiatorRecorder.errors.isEmpty)
        #expect(done.responder.isActive && done.initiator.isActive)
    }

    @Test("oversized length prefixes are refused from the prefix alone")
    func oversizedPrefixes() throws {
        let handshake = try SecureEmbeddedPair(HandshakeFixture.alice, HandshakeFixture.bob)
        try handshake.responder.connect(to: SecureEmbeddedPair.address).wait()
        try handshake.responder.writeInbound(ByteBuffer(bytes: [0x04, 0x01]))
        #expect(handshake.responderRecorder.errors == [.handshake(.messageTooLarge(length: 1025, limit: 1024))])
        #expect(!handshake.responder.isActive)

        let frames = try SecureEmbeddedPair(HandshakeFixture.alice, HandshakeFixture.bob)
        try frames.connect()
        try frames.pump()
        try frames.responder.writeInbound(ByteBuffer(bytes: [0x01, 0x00, 0x00, 0x01]))
        #expect(frames.responderRecorder.errors == [.frame(.frameTooLarge(length: WireLimits.maxFrameBytes + 1, limit: WireLimits.maxFrameBytes))])
        #expect(!frames.responder.isActive)
    }

    @Test("an oversized payload fails its write only; the channel goes on")
    func oversizedWrite() throws {
        let pair = try SecureEmbeddedPair(HandshakeFixture.alice, HandshakeFixture.bob)
        try pair.connect()
        try pair.pump()
        let tooLarge = [UInt8](repeating: 0, count: WireLimits.maxFramePayloadBytes + 1)
        #expect(throws: SecureChannelError.frame(.payloadTooLarge(length: tooLarge.count, limit: WireLimits.maxFramePayloadBytes))) {
            try pair.write(tooLarge, from: .initiator).wait()
        }
        try pair.write([7], from: .initiator).wait()
        try pair.pump()
        #expect(pair.initiator.isActive)
        #expect(pair.responderRecorder.payloads == [[7]])
    }
}

@Suite("Frame decoders in ByteToMessageHandler")
struct FrameDecoderTests {
    @Test("HandshakeFrameDecoder: messages in any split; oversized prefix refused")
    func handshakeDecoder() throws {
        let channel = EmbeddedChannel(
            handler: ByteToMessageHandler(HandshakeFrameDecoder(), maximumBufferSize: WireLimits.maxBufferedHandshakeBytes))
        let messages: [[UInt8]] = [[1, 2, 3], [], [UInt8](repeating: 5, count: 1024)]
        let stream = messages.flatMap(HandshakeFrame.encode)
        for byte in stream {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        for message in messages {
            #expect(try channel.readInbound(as: [UInt8].self) == message)
        }
        #expect(throws: HandshakeError.messageTooLarge(length: 1025, limit: 1024)) {
            try channel.writeInbound(ByteBuffer(bytes: [0x04, 0x01]))
        }
    }

    @Test("DataFrameDecoder: frames in any split; oversized and undersized prefixes refused; partial frame at EOF")
    func dataDecoder() throws {
        let key = SecretBytes.random(count: 32)
        var sealer = try FrameSealer(key: key)
        let frames = try [sealer.seal([1, 2]), sealer.seal([]), sealer.finish()]
        let channel = EmbeddedChannel(
            handler: ByteToMessageHandler(DataFrameDecoder(), maximumBufferSize: WireLimits.maxBufferedFrameBytes))
        for byte in frames.flatMap({ $0 }) {
            try channel.writeInbound(ByteBuffer(bytes: [byte]))
        }
        var opener = try FrameOpener(key: key)
        var outputs: [FrameOpener.Output] = []
        while let body = try channel.readInbound(as: ByteBuffer.self) {
            outputs.append(try opener.open(body: Array(buffer: body)))
        }
        #expect(outputs == [.payload([1, 2]), .payload([]), .end])

        #expect(throws: FrameError.frameTooLarge(length: Int(UInt32.max), limit: WireLimits.maxFrameBytes)) {
            try channel.writeInbound(ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF]))
        }
        let short = EmbeddedChannel(handler: ByteToMessageHandler(DataFrameDecoder()))
        #expect(throws: FrameError.frameTooShort(length: 3, minimum: 17)) {
            try short.writeInbound(ByteBuffer(bytes: [0, 0, 0, 3]))
        }
        var partial = DataFrameDecoder()
        var buffer = ByteBuffer(bytes: [0, 0, 0, 20, 1, 2])
        #expect(try partial.decode(buffer: &buffer) == nil)
        #expect(throws: FrameError.truncated) { try partial.decodeLast(buffer: &buffer, seenEOF: true) }
    }
}
