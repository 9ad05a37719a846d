/// Why a data frame could not be sealed or opened (Protocol/SPEC-peers.md
/// §2a.7).
///
/// Cases carry lengths and limits only, never key or payload bytes. Every
/// case but ``payloadTooLarge(length:limit:)`` and ``alreadyFinished`` (local
/// misuse) means the peer's stream is corrupt, forged or cut: drop the
/// connection.
public enum FrameError: Error, Hashable, Sendable {
    /// A frame's u32 length prefix is over ``WireLimits/maxFrameBytes``
    /// (checked before the frame is read).
    case frameTooLarge(length: Int, limit: Int)

    /// A frame is shorter than the stream header (first frame) plus the
    /// secret stream's overhead: it cannot be a valid frame.
    case frameTooShort(length: Int, minimum: Int)

    /// A payload to seal is over ``WireLimits/maxFramePayloadBytes``.
    case payloadTooLarge(length: Int, limit: Int)

    /// A frame does not authenticate: a byte (length prefix included) was
    /// altered, frames were dropped, reordered or replayed, or the stream
    /// is under another key.
    case decryptionFailed

    /// A frame tagged FINAL carries a payload; the final frame must be
    /// empty.
    case malformedFinalFrame

    /// A frame arrived after the FINAL frame.
    case dataAfterEnd

    /// ``FrameSealer`` was asked to seal after its FINAL frame.
    case alreadyFinished

    /// The input ended before the FINAL frame (inside a frame or between
    /// frames): the stream was cut.
    case truncated
}

extension FrameError: CustomStringConvertible {
    /// A human-readable reason that never contains key or payload bytes.
    public var description: String {
        switch self {
        case let .frameTooLarge(length, limit):
            "frame of \(length) bytes is over the limit of \(limit)"
        case let .frameTooShort(length, minimum):
            "frame of \(length) bytes is shorter than the minimum of \(minimum)"
        case let .payloadTooLarge(length, limit):
            "payload of \(length) bytes is over the frame limit of \(limit)"
        case .decryptionFailed:
            "frame failed authentication: altered, reordered, replayed, or under another key"
        case .malformedFinalFrame:
            "the final frame carries a payload"
        case .dataAfterEnd:
            "a frame arrived after the final frame"
        case .alreadyFinished:
            "the stream has already sent its final frame"
        case .truncated:
            "the stream ended before its final frame"
        }
    }
}
