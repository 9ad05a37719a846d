import CSodium
import RoostCore

/// Ed25519 signatures (RFC 8032) through libsodium's `crypto_sign`.
///
/// Sign with a ``SigningKey``; verify with `verify(signature:message:publicKey:)`.
public enum Ed25519 {
    /// The length in bytes of a public key: 32.
    public static let publicKeyLength = Int(crypto_sign_ed25519_PUBLICKEYBYTES)

    /// The length in bytes of a detached signature: 64.
    public static let signatureLength = Int(crypto_sign_ed25519_BYTES)

    /// The length in bytes of the seed a ``SigningKey`` is derived from: 32.
    public static let seedLength = Int(crypto_sign_ed25519_SEEDBYTES)

    /// The length of libsodium's expanded secret key (seed followed by the
    /// public key): 64.
    static let secretKeyLength = Int(crypto_sign_ed25519_SECRETKEYBYTES)

    /// Returns whether `signature` is a valid Ed25519 signature of `message`
    /// by `publicKey`.
    ///
    /// Returns `false`, never traps, when `signature` or `publicKey` has the
    /// wrong length or `publicKey` is not a valid point.
    public static func verify(signature: [UInt8], message: UnsafeRawBufferPointer, publicKey: [UInt8]) -> Bool {
        guard signature.count == signatureLength, publicKey.count == publicKeyLength else {
            return false
        }
        Sodium.ensureInitialized()
        return crypto_sign_ed25519_verify_detached(signature, message.uint8Base, UInt64(message.count), publicKey) == 0
    }

    /// Returns whether `signature` is a valid Ed25519 signature of `message`
    /// by `publicKey`; `false` for wrong lengths.
    public static func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        message.withUnsafeBytes { verify(signature: signature, message: $0, publicKey: publicKey) }
    }
}

/// An Ed25519 private key: a node's long-term identity.
///
/// Holds libsodium's 64-byte secret key (seed and public key) in storage that
/// is wiped when the last copy is released. Its `description`, debug
/// description and mirror show only the public key.
public struct SigningKey: Sendable {
    private let secretKey: SecureBytes

    /// The 32-byte Ed25519 public key.
    public let publicKey: [UInt8]

    private init(secretKey: SecureBytes) {
        self.secretKey = secretKey
        self.publicKey = secretKey.withUnsafeBytes { Array($0.suffix(Ed25519.publicKeyLength)) }
    }

    /// Creates a new key from the system's secure random generator.
    public static func generate() -> SigningKey {
        Sodium.ensureInitialized()
        var publicKey = [UInt8](repeating: 0, count: Ed25519.publicKeyLength)
        let secretKey = SecureBytes(count: Ed25519.secretKeyLength) { buffer in
            let status = crypto_sign_ed25519_keypair(&publicKey, buffer.uint8Base!)
            precondition(status == 0, "crypto_sign_ed25519_keypair failed")
        }
        return SigningKey(secretKey: secretKey)
    }

    /// Derives the key deterministically from a 32-byte seed (RFC 8032's
    /// "private key"), as read from a key file or a test vector.
    ///
    /// - Throws: ``CryptoError/invalidLength(what:expected:actual:)`` unless
    ///   `seed` has ``Ed25519/seedLength`` bytes.
    public init(seed: [UInt8]) throws(CryptoError) {
        guard seed.count == Ed25519.seedLength else {
            throw .invalidLength(what: "Ed25519 seed", expected: Ed25519.seedLength, actual: seed.count)
        }
        Sodium.ensureInitialized()
        var publicKey = [UInt8](repeating: 0, count: Ed25519.publicKeyLength)
        let secretKey = SecureBytes(count: Ed25519.secretKeyLength) { buffer in
            let status = crypto_sign_ed25519_seed_keypair(&publicKey, buffer.uint8Base!, seed)
            precondition(status == 0, "crypto_sign_ed25519_seed_keypair failed")
        }
        self.init(secretKey: secretKey)
    }

    /// The 32-byte seed this key derives from, for writing the key file.
    /// Secret: handle the returned bytes with care.
    public var seed: [UInt8] {
        secretKey.withUnsafeUInt8Pointer { secret in
            [UInt8](unsafeUninitializedCapacity: Ed25519.seedLength) { buffer, initializedCount in
                let status = crypto_sign_ed25519_sk_to_seed(buffer.baseAddress!, secret)
                precondition(status == 0, "crypto_sign_ed25519_sk_to_seed failed")
                initializedCount = Ed25519.seedLength
            }
        }
    }

    /// Returns the 64-byte detached Ed25519 signature of `message`.
    public func sign(_ message: UnsafeRawBufferPointer) -> [UInt8] {
        secretKey.withUnsafeUInt8Pointer { secret in
            [UInt8](unsafeUninitializedCapacity: Ed25519.signatureLength) { buffer, initializedCount in
                let status = crypto_sign_ed25519_detached(
                    buffer.baseAddress!, nil, message.uint8Base, UInt64(message.count), secret
                )
                precondition(status == 0, "crypto_sign_ed25519_detached failed")
                initializedCount = Ed25519.signatureLength
            }
        }
    }

    /// Returns the 64-byte detached Ed25519 signature of `message`.
    public func sign(_ message: [UInt8]) -> [UInt8] {
        message.withUnsafeBytes { sign($0) }
    }

    /// Calls `body` with libsodium's 64-byte secret key, for conversions
    /// within this module. The pointer must not escape `body`.
    func withSecretKey<R, E: Error>(_ body: (UnsafePointer<UInt8>) throws(E) -> R) throws(E) -> R {
        try secretKey.withUnsafeUInt8Pointer(body)
    }
}

extension SigningKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// `SigningKey(public: <hex>)`; never the seed.
    public var description: String {
        "SigningKey(public: \(Hex.encode(publicKey)))"
    }

    /// Same as ``description``; never the seed.
    public var debugDescription: String {
        description
    }

    /// A mirror exposing only the public key, so `dump` and debuggers cannot
    /// print the secret.
    public var customMirror: Mirror {
        Mirror(self, children: ["publicKey": Hex.encode(publicKey)], displayStyle: .struct)
    }
}
