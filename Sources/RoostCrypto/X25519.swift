import CSodium
import RoostCore

/// X25519 key agreement (RFC 7748) through libsodium's `crypto_scalarmult`,
/// and conversion of Ed25519 identity keys to their Curve25519 form.
///
/// The raw shared secret is not uniformly random and must not be used as a
/// key directly: hash it together with both public keys (for example with
/// ``Blake2bHasher``) to derive session keys.
public enum X25519 {
    /// The length in bytes of a public key (a Montgomery u-coordinate): 32.
    public static let publicKeyLength = Int(crypto_scalarmult_curve25519_BYTES)

    /// The length in bytes of a secret key (a scalar): 32.
    public static let secretKeyLength = Int(crypto_scalarmult_curve25519_SCALARBYTES)

    /// The length in bytes of a shared secret: 32.
    public static let sharedSecretLength = Int(crypto_scalarmult_curve25519_BYTES)

    /// Returns the X25519 shared secret between `secret` and the peer's
    /// 32-byte public key.
    ///
    /// - Throws: ``CryptoError/invalidLength(what:expected:actual:)`` for a
    ///   peer key of the wrong size; ``CryptoError/invalidPublicKey`` when the
    ///   peer key is of low order, which would make the secret all zeros.
    public static func sharedSecret(secret: X25519KeyPair, peerPublic: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard peerPublic.count == publicKeyLength else {
            throw .invalidLength(what: "X25519 public key", expected: publicKeyLength, actual: peerPublic.count)
        }
        Sodium.ensureInitialized()
        var shared = [UInt8](repeating: 0, count: sharedSecretLength)
        let status = secret.withSecretKey { scalar in
            crypto_scalarmult_curve25519(&shared, scalar, peerPublic)
        }
        // libsodium returns -1 for low-order inputs and all-zero results.
        guard status == 0 else { throw .invalidPublicKey }
        return shared
    }

    /// Converts an Ed25519 public key to the X25519 public key of the same
    /// identity (`crypto_sign_ed25519_pk_to_curve25519`).
    ///
    /// - Throws: ``CryptoError/invalidLength(what:expected:actual:)`` for a
    ///   key of the wrong size; ``CryptoError/keyConversionFailed`` if it is
    ///   not a valid Ed25519 point.
    public static func publicKey(fromEd25519 edPublicKey: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard edPublicKey.count == Ed25519.publicKeyLength else {
            throw .invalidLength(what: "Ed25519 public key", expected: Ed25519.publicKeyLength, actual: edPublicKey.count)
        }
        Sodium.ensureInitialized()
        var converted = [UInt8](repeating: 0, count: publicKeyLength)
        guard crypto_sign_ed25519_pk_to_curve25519(&converted, edPublicKey) == 0 else {
            throw .keyConversionFailed
        }
        return converted
    }
}

/// An X25519 key pair: an ephemeral key for one key agreement, or the
/// Curve25519 form of a node's ``SigningKey``.
///
/// The secret scalar lives in storage wiped when the last copy is released
/// and is never exposed; `description` shows only the public key.
public struct X25519KeyPair: Sendable {
    private let secretKey: SecureBytes

    /// The 32-byte public key to send to the peer.
    public let publicKey: [UInt8]

    private init(secretKey: SecureBytes) {
        Sodium.ensureInitialized()
        var publicKey = [UInt8](repeating: 0, count: X25519.publicKeyLength)
        let status = secretKey.withUnsafeUInt8Pointer { scalar in
            crypto_scalarmult_curve25519_base(&publicKey, scalar)
        }
        precondition(status == 0, "crypto_scalarmult_curve25519_base failed")
        self.secretKey = secretKey
        self.publicKey = publicKey
    }

    /// Creates a fresh key pair from the system's secure random generator.
    public static func generate() -> X25519KeyPair {
        let secret = SecureBytes(count: X25519.secretKeyLength) { buffer in
            SecureRandom.fill(buffer)
        }
        return X25519KeyPair(secretKey: secret)
    }

    /// Creates the key pair for a given 32-byte secret scalar (clamped by
    /// libsodium as RFC 7748 specifies), as in test vectors.
    ///
    /// - Throws: ``CryptoError/invalidLength(what:expected:actual:)`` unless
    ///   `secretKey` has ``X25519/secretKeyLength`` bytes.
    public init(secretKey: [UInt8]) throws(CryptoError) {
        guard secretKey.count == X25519.secretKeyLength else {
            throw .invalidLength(what: "X25519 secret key", expected: X25519.secretKeyLength, actual: secretKey.count)
        }
        self.init(secretKey: SecureBytes(copying: secretKey))
    }

    /// Converts an Ed25519 signing key to the Curve25519 key pair of the same
    /// identity (`crypto_sign_ed25519_sk_to_curve25519`); its public key
    /// equals `X25519.publicKey(fromEd25519: signingKey.publicKey)`.
    public init(signingKey: SigningKey) {
        Sodium.ensureInitialized()
        let secret = SecureBytes(count: X25519.secretKeyLength) { buffer in
            let status = signingKey.withSecretKey { edSecret in
                crypto_sign_ed25519_sk_to_curve25519(buffer.uint8Base!, edSecret)
            }
            precondition(status == 0, "crypto_sign_ed25519_sk_to_curve25519 failed")
        }
        self.init(secretKey: secret)
    }

    /// Calls `body` with the 32-byte secret scalar, for use within this
    /// module. The pointer must not escape `body`.
    func withSecretKey<R, E: Error>(_ body: (UnsafePointer<UInt8>) throws(E) -> R) throws(E) -> R {
        try secretKey.withUnsafeUInt8Pointer(body)
    }
}

extension X25519KeyPair: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// `X25519KeyPair(public: <hex>)`; never the secret.
    public var description: String {
        "X25519KeyPair(public: \(Hex.encode(publicKey)))"
    }

    /// Same as ``description``; never the secret.
    public var debugDescription: String {
        description
    }

    /// A mirror exposing only the public key.
    public var customMirror: Mirror {
        Mirror(self, children: ["publicKey": Hex.encode(publicKey)], displayStyle: .struct)
    }
}
