/// The errors thrown by RoostCrypto.
///
/// Cases carry lengths and limits only, never key, seed or plaintext bytes,
/// so an error can be logged or shown as is.
public enum CryptoError: Error, Equatable, Sendable {
    /// An input had the wrong size: `what` names the input (for example
    /// `"Ed25519 seed"`), `expected` and `actual` are byte counts.
    case invalidLength(what: String, expected: Int, actual: Int)

    /// A ciphertext did not authenticate: it was tampered with, truncated,
    /// encrypted under another key, or is not a ciphertext at all.
    case decryptionFailed

    /// A secret stream ended before its final message was received.
    case streamTruncated

    /// A secret stream was used after its final message was pushed or pulled.
    case streamAlreadyFinished

    /// An Ed25519 key could not be converted to a Curve25519 key (the public
    /// key is not a valid curve point).
    case keyConversionFailed

    /// A public key was rejected for key agreement or encryption: it is of
    /// low order, so the shared secret would be all zeros.
    case invalidPublicKey

    /// A message exceeded the size the primitive can process.
    case messageTooLarge(limit: Int)
}

extension CryptoError: CustomStringConvertible {
    /// A human-readable description that never contains key material.
    public var description: String {
        switch self {
        case let .invalidLength(what, expected, actual):
            "\(what) must be \(expected) bytes, got \(actual)"
        case .decryptionFailed:
            "decryption failed: the ciphertext is corrupt, forged, or encrypted under another key"
        case .streamTruncated:
            "the encrypted stream ended before its final message"
        case .streamAlreadyFinished:
            "the encrypted stream has already finished"
        case .keyConversionFailed:
            "the Ed25519 key could not be converted to a Curve25519 key"
        case .invalidPublicKey:
            "the public key is invalid for key agreement (low-order point)"
        case let .messageTooLarge(limit):
            "the message is larger than the limit of \(limit) bytes"
        }
    }
}
