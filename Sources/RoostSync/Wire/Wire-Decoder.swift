import NIOCore

/// The inbound framing of a secure connection: exactly two handshake
/// messages (u16-prefixed), then data frames (u32-prefixed).
///
/// Each end receives two handshake messages (the initiator M2 and M4, the
/// responder M1 and M3), and the peer may send its first data frame in the
/// same TCP segment as its last handshake message. Counting messages lets
/// one decoder switch framing at the exact byte where the handshake ends,
/// inside one `NIOSingleStepByteToMessageProcessor`, instead of swapping
/// `ByteToMessageHandler`s in the pipeline and forwarding leftover bytes.
struct WireDecoder: NIOSingleStepByteToMessageDecoder {
    enum Message {
        case handshake([UInt8])
        case frame(ByteBuffer)
    }

    typealias InboundOut = Message

    /// Handshake messages each end receives.
    static let inboundHandshakeMessages = 2

    private var handshakeMessagesLeft = Self.inboundHandshakeMessages
    private var handshake = HandshakeFrameDecoder()
    private var frames = DataFrameDecoder()

    mutating func decode(buffer: inout ByteBuffer) throws -> Message? {
        if handshakeMessagesLeft > 0 {
            guard let message = try handshake.decode(buffer: &buffer) else { return nil }
            handshakeMessagesLeft -= 1
            return .handshake(message)
        }
        return try frames.decode(buffer: &buffer).map(Message.frame)
    }

    mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> Message? {
        try decode(buffer: &buffer)
    }
}
