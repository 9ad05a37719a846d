public import NIOCore

/// Splits a byte stream into handshake messages: a u16 big-endian length,
/// then that many bytes of payload (Protocol/SPEC-peers.md §2a.3).
///
/// The length is checked against ``WireLimits/maxHandshakeMessageBytes`` as
/// soon as its 2 bytes arrive, before the decoder waits for the payload. Use
/// it in a pipeline as
/// `ByteToMessageHandler(HandshakeFrameDecoder(), maximumBufferSize: WireLimits.maxBufferedHandshakeBytes)`.
/// ``SecureChannelHandler`` runs it itself, then switches to
/// ``DataFrameDecoder`` at the exact byte where the handshake ends.
public struct HandshakeFrameDecoder: NIOSingleStepByteToMessageDecoder, Sendable {
    /// A handshake message payload.
    public typealias InboundOut = [UInt8]

    /// Creates a decoder.
    public init() {}

    /// Returns the next message payload, or `nil` until it has fully arrived.
    ///
    /// - Throws: ``HandshakeError/messageTooLarge(length:limit:)`` as soon as
    ///   the prefix is readable.
    public mutating func decode(buffer: inout ByteBuffer) throws -> [UInt8]? {
        guard let prefix = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt16.self) else {
            return nil
        }
        let length = Int(prefix)
        guard length <= WireLimits.maxHandshakeMessageBytes else {
            throw HandshakeError.messageTooLarge(length: length, limit: WireLimits.maxHandshakeMessageBytes)
        }
        guard buffer.readableBytes >= HandshakeFrame.prefixLength + length else { return nil }
        buffer.moveReaderIndex(forwardBy: HandshakeFrame.prefixLength)
        return buffer.readBytes(length: length)
    }

    /// Returns the messages still complete at the end of input.
    ///
    /// - Throws: ``HandshakeError/connectionClosed`` if a partial message is
    ///   left.
    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> [UInt8]? {
        if let message = try decode(buffer: &buffer) { return message }
        guard buffer.readableBytes == 0 else { throw HandshakeError.connectionClosed }
        return nil
    }
}

/// The framing of handshake messages on the wire.
public enum HandshakeFrame {
    /// The bytes before each message: a u16 length.
    public static let prefixLength = 2

    /// Returns `payload` with its u16 big-endian length prefix.
    ///
    /// - Precondition: `payload.count <= WireLimits.maxHandshakeMessageBytes`.
    public static func encode(_ payload: [UInt8]) -> [UInt8] {
        precondition(payload.count <= WireLimits.maxHandshakeMessageBytes, "handshake message over the limit")
        return [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)] + payload
    }

    /// Writes `payload` with its u16 big-endian length prefix to `buffer`.
    ///
    /// - Precondition: `payload.count <= WireLimits.maxHandshakeMessageBytes`.
    public static func write(_ payload: [UInt8], to buffer: inout ByteBuffer) {
        precondition(payload.count <= WireLimits.maxHandshakeMessageBytes, "handshake message over the limit")
        buffer.writeInteger(UInt16(payload.count), endianness: .big)
        buffer.writeBytes(payload)
    }
}
