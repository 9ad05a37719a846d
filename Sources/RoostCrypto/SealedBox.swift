import CSodium

/// Anonymous public-key encryption with libsodium's `crypto_box_seal`: the
/// sender encrypts to a Curve25519 public key with a throwaway key pair, and
/// only the holder of the matching secret key can open the box. The box
/// authenticates its contents but not the sender.
public enum SealedBox {
    /// The bytes a sealed box adds to its message: 48, an ephemeral public
    /// key and a 16-byte authenticator (`crypto_box_SEALBYTES`).
    public static let overheadLength = Int(crypto_box_sealbytes())

    /// The longest message that can be sealed.
    ///
    /// libsodium's limit is a `size_t` near `SIZE_MAX`, which Swift imports
    /// as a negative `Int`; it is reinterpreted as unsigned and clamped.
    public static let maximumMessageLength =
        Int(clamping: UInt(bitPattern: crypto_box_messagebytes_max())) - overheadLength

    /// Encrypts `message` to the X25519 public key `recipient`.
    ///
    /// - Returns: the box, ``overheadLength`` bytes longer than `message`.
    /// - Throws: ``CryptoError/invalidLength(what:expected:actual:)`` for a
    ///   key of the wrong size; ``CryptoError/invalidPublicKey`` for a
    ///   low-order key; ``CryptoError/messageTooLarge(limit:)``.
    public static func seal(_ message: [UInt8], to recipient: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard recipient.count == X25519.publicKeyLength else {
            throw .invalidLength(what: "X25519 public key", expected: X25519.publicKeyLength, actual: recipient.count)
        }
        guard message.count <= maximumMessageLength else {
            throw .messageTooLarge(limit: maximumMessageLength)
        }
        Sodium.ensureInitialized()
        let length = message.count + overheadLength
        var status: Int32 = -1
        let box = [UInt8](unsafeUninitializedCapacity: length) { buffer, initializedCount in
            status = message.withUnsafeBytes { message in
                crypto_box_seal(buffer.baseAddress!, message.uint8Base, UInt64(message.count), recipient)
            }
            initializedCount = status == 0 ? length : 0
        }
        guard status == 0 else { throw .invalidPublicKey }
        return box
    }

    /// Encrypts `message` to the holder of the Ed25519 public key
    /// `recipient`, converted to its Curve25519 form; open it with
    /// `open(_:with:)`.
    ///
    /// - Throws: as ``seal(_:to:)``, and ``CryptoError/keyConversionFailed``
    ///   if `recipient` is not a valid Ed25519 key.
    public static func seal(_ message: [UInt8], toEd25519 recipient: [UInt8]) throws(CryptoError) -> [UInt8] {
        try seal(message, to: X25519.publicKey(fromEd25519: recipient))
    }

    /// Opens a box sealed to `recipient.publicKey`.
    ///
    /// - Throws: ``CryptoError/decryptionFailed`` if the box is too short,
    ///   tampered with, or sealed to another key.
    public static func open(_ box: [UInt8], with recipient: X25519KeyPair) throws(CryptoError) -> [UInt8] {
        guard box.count >= overheadLength else { throw .decryptionFailed }
        Sodium.ensureInitialized()
        let length = box.count - overheadLength
        var status: Int32 = -1
        let message = [UInt8](unsafeUninitializedCapacity: length) { buffer, initializedCount in
            status = recipient.withSecretKey { secret in
                box.withUnsafeBytes { box in
                    crypto_box_seal_open(
                        buffer.baseAddress, box.uint8Base!, UInt64(box.count), recipient.publicKey, secret
                    )
                }
            }
            initializedCount = status == 0 ? length : 0
        }
        guard status == 0 else { throw .decryptionFailed }
        return message
    }

    /// Opens a box sealed with ``seal(_:toEd25519:)`` to
    /// `recipient.publicKey`.
    ///
    /// - Throws: ``CryptoError/decryptionFailed`` if the box is too short,
    ///   tampered with, or sealed to another key.
    public static func open(_ box: [UInt8], with recipient: SigningKey) throws(CryptoError) -> [UInt8] {
        try open(box, with: X25519KeyPair(signingKey: recipient))
    }
}
