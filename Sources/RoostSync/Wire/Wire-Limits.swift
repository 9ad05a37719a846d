public import NIOCore
import RoostCrypto

/// Every size, count and time limit of the peer wire protocol (handshake
/// and frames, Protocol/SPEC-peers.md §2a.6), named in one place.
///
/// Decoders check a length prefix against these limits *before* they wait
/// for, reserve or copy the bytes it announces, so a hostile peer cannot make
/// a node hold memory it was never going to need.
public enum WireLimits {
    /// Largest handshake message payload (after its u16 length prefix), in
    /// bytes. Version 1 messages are 64 to 112 bytes; the slack is for later
    /// versions, whose messages a version 1 node must still be able to frame.
    public static let maxHandshakeMessageBytes = 1024

    /// Largest data frame body (the u32 length prefix's value: the stream
    /// header on the first frame, the ciphertext and its 17-byte tag), in
    /// bytes: 16 MiB.
    public static let maxFrameBytes = 16 * 1024 * 1024

    /// Largest payload one frame can carry: ``maxFrameBytes`` less the stream
    /// header (which only the first frame carries, but the limit is the same
    /// for every frame) and the secret stream's 17-byte overhead.
    public static let maxFramePayloadBytes = maxFrameBytes - SecretStream.headerLength - SecretStream.overheadLength

    /// After every this many frames in one direction, both ends call the
    /// secret stream's `rekey`: frames are numbered from 0, and the rekey
    /// follows frames 1023, 2047, ... (deterministic, never signalled).
    public static let rekeyInterval = 1024

    /// The `maximumBufferSize` for a `ByteToMessageHandler` (or processor)
    /// running ``HandshakeFrameDecoder``: one whole message and its prefix.
    public static let maxBufferedHandshakeBytes = 2 + maxHandshakeMessageBytes

    /// The `maximumBufferSize` for ``DataFrameDecoder`` (and for the secure
    /// channel's composite decoder): one whole frame and its prefix. After
    /// every complete frame has been decoded, less than this remains.
    public static let maxBufferedFrameBytes = 4 + maxFrameBytes

    /// How long ``SecureChannelHandler`` waits for the handshake to complete
    /// after the channel becomes active, unless configured otherwise.
    public static let defaultHandshakeTimeout = TimeAmount.seconds(10)
}
