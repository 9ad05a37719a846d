public import RoostCore

/// Why a handshake failed (Protocol/SPEC-peers.md §2a.7).
///
/// Cases carry message names, lengths, versions and public identities only,
/// never key material, so an error can be logged or shown as is. The peer is
/// never told the reason: the failing end just closes the connection.
public enum HandshakeError: Error, Hashable, Sendable {
    /// A handshake frame's u16 length prefix is over
    /// ``WireLimits/maxHandshakeMessageBytes`` (checked before reading it).
    case messageTooLarge(length: Int, limit: Int)

    /// A message does not have its version 1 length.
    case invalidLength(message: Handshake.Message, expected: Int, actual: Int)

    /// M1 does not start with `ROOST`: the peer does not speak this protocol.
    case badMagic

    /// M1 names a protocol version this node does not speak.
    case unsupportedVersion(UInt8)

    /// The MAC of M1 (at the responder) or M2 (at the initiator) does not
    /// verify: the peer holds another network key, or the message was
    /// altered in transit. Nothing about either identity has been sent.
    case wrongNetworkKey(message: Handshake.Message)

    /// The peer's ephemeral key is a low-order point (the shared secret
    /// would be all zeros).
    case invalidEphemeralKey

    /// M3 or M4 does not decrypt: it was altered, replayed from another
    /// connection, or made under another transcript.
    case decryptionFailed(message: Handshake.Message)

    /// The identity signature in M3 or M4 does not verify.
    case invalidSignature(message: Handshake.Message)

    /// The peer authenticated as this node's own identity.
    case connectedToSelf

    /// The peer authenticated, but not as the identity the configuration
    /// expected.
    case unexpectedPeer(expected: AuthorID, actual: AuthorID)

    /// The policy does not know the authenticated peer.
    case unknownIdentity(AuthorID)

    /// The policy says the authenticated peer's access was revoked.
    case revokedIdentity(AuthorID)

    /// A message arrived when none was expected: before ``Handshake/StateMachine/start()``
    /// or after completion.
    case unexpectedMessage

    /// The connection closed before the handshake completed.
    case connectionClosed

    /// The handshake did not complete in time.
    case timedOut
}

extension HandshakeError: CustomStringConvertible {
    /// A human-readable reason that never contains key material.
    public var description: String {
        switch self {
        case let .messageTooLarge(length, limit):
            "handshake message of \(length) bytes is over the limit of \(limit)"
        case let .invalidLength(message, expected, actual):
            "handshake \(message) must be \(expected) bytes, got \(actual)"
        case .badMagic:
            "the peer does not speak the Roost protocol (bad magic)"
        case let .unsupportedVersion(version):
            "the peer speaks protocol version \(version); this node speaks \(Handshake.version)"
        case let .wrongNetworkKey(message):
            "handshake \(message) failed authentication: the peer holds another network key, or the message was altered"
        case .invalidEphemeralKey:
            "the peer's ephemeral key is invalid (low-order point)"
        case let .decryptionFailed(message):
            "handshake \(message) does not decrypt: altered, replayed, or from another connection"
        case let .invalidSignature(message):
            "the identity signature in handshake \(message) does not verify"
        case .connectedToSelf:
            "the peer is this node's own identity"
        case let .unexpectedPeer(expected, actual):
            "expected peer \(expected), but \(actual) answered"
        case let .unknownIdentity(peer):
            "peer \(peer) is not a member of the team"
        case let .revokedIdentity(peer):
            "peer \(peer) has been revoked"
        case .unexpectedMessage:
            "unexpected handshake message"
        case .connectionClosed:
            "the connection closed during the handshake"
        case .timedOut:
            "the handshake timed out"
        }
    }
}
