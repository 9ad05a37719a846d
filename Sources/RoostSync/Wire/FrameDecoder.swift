public import NIOCore
import RoostCrypto

/// Splits a byte stream into data frames: a u32 big-endian length, then
/// that many bytes of frame body (Protocol/SPEC-peers.md §2a.5).
///
/// The length is checked against ``WireLimits/maxFrameBytes`` and the
/// secret stream's minimum as soon as its 4 bytes arrive, before the decoder
/// waits for the body, so a hostile prefix is refused without buffering or
/// allocating for it. The body is a slice of the input buffer (no copy).
/// Use it in a pipeline as
/// `ByteToMessageHandler(DataFrameDecoder(), maximumBufferSize: WireLimits.maxBufferedFrameBytes)`.
///
/// The decoder only frames; ``FrameOpener`` authenticates and decrypts.
public struct DataFrameDecoder: NIOSingleStepByteToMessageDecoder, Sendable {
    /// A frame body (the length prefix removed; it is the body's length).
    public typealias InboundOut = ByteBuffer

    /// The bytes before each frame body: a u32 length.
    public static let prefixLength = 4

    /// Creates a decoder.
    public init() {}

    /// Returns the next frame body, or `nil` until it has fully arrived.
    ///
    /// - Throws: ``FrameError/frameTooLarge(length:limit:)`` or
    ///   ``FrameError/frameTooShort(length:minimum:)`` as soon as the prefix
    ///   is readable.
    public mutating func decode(buffer: inout ByteBuffer) throws -> ByteBuffer? {
        guard let prefix = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: UInt32.self) else {
            return nil
        }
        let length = Int(prefix)
        guard length <= WireLimits.maxFrameBytes else {
            throw FrameError.frameTooLarge(length: length, limit: WireLimits.maxFrameBytes)
        }
        guard length >= SecretStream.overheadLength else {
            throw FrameError.frameTooShort(length: length, minimum: SecretStream.overheadLength)
        }
        guard buffer.readableBytes >= Self.prefixLength + length else { return nil }
        buffer.moveReaderIndex(forwardBy: Self.prefixLength)
        return buffer.readSlice(length: length)
    }

    /// Returns the frames still complete at the end of input.
    ///
    /// - Throws: ``FrameError/truncated`` if a partial frame is left.
    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> ByteBuffer? {
        if let body = try decode(buffer: &buffer) { return body }
        guard buffer.readableBytes == 0 else { throw FrameError.truncated }
        return nil
    }
}
