import CSodium

/// XChaCha20-Poly1305 authenticated encryption with additional data
/// (draft-irtf-cfrg-xchacha) through libsodium's
/// `crypto_aead_xchacha20poly1305_ietf`.
///
/// The 24-byte nonce is long enough to be chosen at random; a caller that
/// uses each key exactly once may use a fixed nonce instead. Never encrypt
/// two different messages under the same key and nonce.
public enum XChaCha20Poly1305 {
    /// The length in bytes of a key: 32.
    public static let keyLength = Int(crypto_aead_xchacha20poly1305_ietf_KEYBYTES)

    /// The length in bytes of a nonce: 24.
    public static let nonceLength = Int(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)

    /// The bytes a ciphertext adds to its message: a 16-byte Poly1305 tag.
    public static let tagLength = Int(crypto_aead_xchacha20poly1305_ietf_ABYTES)

    /// The longest message one call can encrypt (libsodium's
    /// `MESSAGEBYTES_MAX`, read back as unsigned and clamped).
    public static let maximumMessageLength = Int(
        clamping: UInt(bitPattern: crypto_aead_xchacha20poly1305_ietf_messagebytes_max())
    )

    /// Encrypts and authenticates `message`, and authenticates
    /// `additionalData` (which is not encrypted and not included in the
    /// output; the receiver must supply the same bytes).
    ///
    /// - Returns: ciphertext followed by the tag, ``tagLength`` bytes longer
    ///   than `message`.
    /// - Throws: ``CryptoError/invalidLength(what:expected:actual:)`` for a
    ///   key or nonce of the wrong size; ``CryptoError/messageTooLarge(limit:)``.
    public static func seal(
        _ message: [UInt8],
        additionalData: [UInt8] = [],
        nonce: [UInt8],
        key: SecretBytes
    ) throws(CryptoError) -> [UInt8] {
        try check(key: key, nonce: nonce)
        guard message.count <= maximumMessageLength else {
            throw .messageTooLarge(limit: maximumMessageLength)
        }
        Sodium.ensureInitialized()
        let length = message.count + tagLength
        return [UInt8](unsafeUninitializedCapacity: length) { buffer, initializedCount in
            var written: UInt64 = 0
            let status = key.withUnsafeBytes { key in
                message.withUnsafeBytes { message in
                    additionalData.withUnsafeBytes { additionalData in
                        crypto_aead_xchacha20poly1305_ietf_encrypt(
                            buffer.baseAddress!, &written,
                            message.uint8Base, UInt64(message.count),
                            additionalData.uint8Base, UInt64(additionalData.count),
                            nil, nonce, key.uint8Base!
                        )
                    }
                }
            }
            precondition(status == 0 && written == UInt64(length), "crypto_aead_xchacha20poly1305_ietf_encrypt failed")
            initializedCount = length
        }
    }

    /// Verifies and decrypts a ciphertext made by ``seal(_:additionalData:nonce:key:)``.
    ///
    /// - Throws: ``CryptoError/invalidLength(what:expected:actual:)`` for a
    ///   key or nonce of the wrong size; ``CryptoError/decryptionFailed`` if
    ///   the ciphertext is shorter than a tag, was tampered with, or was made
    ///   under another key, nonce or additional data.
    public static func open(
        _ ciphertext: [UInt8],
        additionalData: [UInt8] = [],
        nonce: [UInt8],
        key: SecretBytes
    ) throws(CryptoError) -> [UInt8] {
        try check(key: key, nonce: nonce)
        guard ciphertext.count >= tagLength else { throw .decryptionFailed }
        Sodium.ensureInitialized()
        let capacity = ciphertext.count - tagLength
        var status: Int32 = -1
        let message = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initializedCount in
            var written: UInt64 = 0
            status = key.withUnsafeBytes { key in
                ciphertext.withUnsafeBytes { ciphertext in
                    additionalData.withUnsafeBytes { additionalData in
                        crypto_aead_xchacha20poly1305_ietf_decrypt(
                            buffer.baseAddress, &written, nil,
                            ciphertext.uint8Base!, UInt64(ciphertext.count),
                            additionalData.uint8Base, UInt64(additionalData.count),
                            nonce, key.uint8Base!
                        )
                    }
                }
            }
            initializedCount = status == 0 ? Int(written) : 0
        }
        guard status == 0 else { throw .decryptionFailed }
        return message
    }

    private static func check(key: SecretBytes, nonce: [UInt8]) throws(CryptoError) {
        guard key.count == keyLength else {
            throw .invalidLength(what: "XChaCha20-Poly1305 key", expected: keyLength, actual: key.count)
        }
        guard nonce.count == nonceLength else {
            throw .invalidLength(what: "XChaCha20-Poly1305 nonce", expected: nonceLength, actual: nonce.count)
        }
    }
}
