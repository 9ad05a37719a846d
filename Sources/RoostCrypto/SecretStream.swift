import CSodium

/// Sizes and key generation for libsodium's
/// `crypto_secretstream_xchacha20poly1305`: a sequence of authenticated
/// messages under one key, where reordering, dropping, duplicating or
/// tampering with any message is detected, and the end of the stream is
/// marked by a message tagged FINAL.
///
/// The sender creates a ``SecretStreamPush``, sends its ``SecretStreamPush/header``
/// first, then each pushed ciphertext; the receiver creates a
/// ``SecretStreamPull`` from the same key and that header. Both stream types
/// are noncopyable: a copied push state would encrypt two messages under the
/// same key and nonce.
public enum SecretStream {
    /// The length in bytes of a stream key: 32.
    public static let keyLength = Int(crypto_secretstream_xchacha20poly1305_keybytes())

    /// The length in bytes of the header that starts a stream: 24.
    public static let headerLength = Int(crypto_secretstream_xchacha20poly1305_headerbytes())

    /// The bytes each ciphertext adds to its message (libsodium's `ABYTES`):
    /// 17, a one-byte tag and a 16-byte authenticator.
    public static let overheadLength = Int(crypto_secretstream_xchacha20poly1305_abytes())

    /// The longest message one push can encrypt (libsodium's
    /// `MESSAGEBYTES_MAX`, about 256 GiB on 64-bit platforms; the `size_t`
    /// Swift imports as `Int` is read back as unsigned).
    public static let maximumMessageLength = Int(
        clamping: UInt(bitPattern: crypto_secretstream_xchacha20poly1305_messagebytes_max())
    )

    /// Returns a fresh random stream key.
    public static func generateKey() -> [UInt8] {
        SecureRandom.bytes(keyLength)
    }

    /// The tag of an ordinary message (`TAG_MESSAGE`).
    static let tagMessage = crypto_secretstream_xchacha20poly1305_tag_message()
    /// The tag of the last message of a stream (`TAG_FINAL`).
    static let tagFinal = crypto_secretstream_xchacha20poly1305_tag_final()

    /// Throws unless `key` has ``keyLength`` bytes.
    static func checkKey(_ key: [UInt8]) throws(CryptoError) {
        guard key.count == keyLength else {
            throw .invalidLength(what: "secret stream key", expected: keyLength, actual: key.count)
        }
    }
}

/// The sending side of a secret stream.
///
/// ```swift
/// var push = try SecretStreamPush(key: key)
/// send(push.header)
/// send(try push.push(chunk))
/// send(try push.push(lastChunk, final: true))
/// ```
public struct SecretStreamPush: ~Copyable, Sendable {
    private let state = SecretStreamState()

    /// The 24-byte header the receiver needs to open the stream; send it
    /// before the first ciphertext. It is not secret.
    public let header: [UInt8]

    /// Whether a message tagged FINAL has been pushed; no more can follow.
    public private(set) var isFinished = false

    /// Starts a stream under `key`, choosing a random header.
    ///
    /// - Throws: ``CryptoError/invalidLength(what:expected:actual:)`` unless
    ///   `key` has ``SecretStream/keyLength`` bytes.
    public init(key: [UInt8]) throws(CryptoError) {
        try SecretStream.checkKey(key)
        Sodium.ensureInitialized()
        var header = [UInt8](repeating: 0, count: SecretStream.headerLength)
        let status = crypto_secretstream_xchacha20poly1305_init_push(state.pointer, &header, key)
        precondition(status == 0, "crypto_secretstream_xchacha20poly1305_init_push failed")
        self.header = header
    }

    /// Encrypts `message`, authenticating `additionalData` with it (the same
    /// additional data must be given to the pull). Set `final` on the last
    /// message so the receiver can tell a complete stream from a cut one.
    ///
    /// - Returns: the ciphertext, ``SecretStream/overheadLength`` bytes longer
    ///   than `message`.
    /// - Throws: ``CryptoError/streamAlreadyFinished`` after a final message;
    ///   ``CryptoError/messageTooLarge(limit:)`` beyond
    ///   ``SecretStream/maximumMessageLength``.
    public mutating func push(
        _ message: [UInt8],
        additionalData: [UInt8] = [],
        final: Bool = false
    ) throws(CryptoError) -> [UInt8] {
        guard !isFinished else { throw .streamAlreadyFinished }
        guard message.count <= SecretStream.maximumMessageLength else {
            throw .messageTooLarge(limit: SecretStream.maximumMessageLength)
        }
        let length = message.count + SecretStream.overheadLength
        let tag = final ? SecretStream.tagFinal : SecretStream.tagMessage
        let ciphertext = [UInt8](unsafeUninitializedCapacity: length) { buffer, initializedCount in
            let status = message.withUnsafeBytes { message in
                additionalData.withUnsafeBytes { additionalData in
                    crypto_secretstream_xchacha20poly1305_push(
                        state.pointer,
                        buffer.baseAddress, nil,
                        message.uint8Base, UInt64(message.count),
                        additionalData.uint8Base, UInt64(additionalData.count),
                        tag
                    )
                }
            }
            precondition(status == 0, "crypto_secretstream_xchacha20poly1305_push failed")
            initializedCount = length
        }
        isFinished = final
        return ciphertext
    }

    /// Derives a new key for the following messages and forgets the old one
    /// (forward secrecy within the stream). The receiver must call
    /// ``SecretStreamPull/rekey()`` at the same point in the stream.
    public mutating func rekey() {
        crypto_secretstream_xchacha20poly1305_rekey(state.pointer)
    }
}

/// The receiving side of a secret stream.
///
/// A stream whose input ends before a message with `isFinal == true` was
/// truncated: check ``isFinished`` or call ``requireFinished()`` at the end
/// of input.
public struct SecretStreamPull: ~Copyable, Sendable {
    private let state = SecretStreamState()

    /// Whether the message tagged FINAL has been pulled; no more can follow.
    public private(set) var isFinished = false

    /// Opens the stream started with `header` under `key`.
    ///
    /// A wrong key or header is only detected by the first ``pull(_:additionalData:)``.
    ///
    /// - Throws: ``CryptoError/invalidLength(what:expected:actual:)`` if `key`
    ///   or `header` has the wrong size.
    public init(key: [UInt8], header: [UInt8]) throws(CryptoError) {
        try SecretStream.checkKey(key)
        guard header.count == SecretStream.headerLength else {
            throw .invalidLength(what: "secret stream header", expected: SecretStream.headerLength, actual: header.count)
        }
        Sodium.ensureInitialized()
        let status = crypto_secretstream_xchacha20poly1305_init_pull(state.pointer, header, key)
        precondition(status == 0, "crypto_secretstream_xchacha20poly1305_init_pull failed")
    }

    /// Decrypts and authenticates the next ciphertext of the stream.
    ///
    /// A failed pull leaves the stream as it was, but the peer has sent
    /// something corrupt or forged: callers should usually drop the stream.
    ///
    /// - Returns: the message and whether it was tagged FINAL.
    /// - Throws: ``CryptoError/streamAlreadyFinished`` after the final
    ///   message; ``CryptoError/decryptionFailed`` if the ciphertext is too
    ///   short, out of order, tampered with, or under another key or
    ///   additional data.
    public mutating func pull(
        _ ciphertext: [UInt8],
        additionalData: [UInt8] = []
    ) throws(CryptoError) -> (message: [UInt8], isFinal: Bool) {
        guard !isFinished else { throw .streamAlreadyFinished }
        guard ciphertext.count >= SecretStream.overheadLength else { throw .decryptionFailed }
        let capacity = ciphertext.count - SecretStream.overheadLength
        var tag: UInt8 = 0
        var status: Int32 = -1
        let message = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initializedCount in
            var length: UInt64 = 0
            status = ciphertext.withUnsafeBytes { ciphertext in
                additionalData.withUnsafeBytes { additionalData in
                    crypto_secretstream_xchacha20poly1305_pull(
                        state.pointer,
                        buffer.baseAddress, &length, &tag,
                        ciphertext.uint8Base, UInt64(ciphertext.count),
                        additionalData.uint8Base, UInt64(additionalData.count)
                    )
                }
            }
            initializedCount = status == 0 ? Int(length) : 0
        }
        guard status == 0 else { throw .decryptionFailed }
        let isFinal = tag == SecretStream.tagFinal
        isFinished = isFinal
        return (message, isFinal)
    }

    /// Derives the next key, mirroring ``SecretStreamPush/rekey()`` at the
    /// same point in the stream.
    public mutating func rekey() {
        crypto_secretstream_xchacha20poly1305_rekey(state.pointer)
    }

    /// Throws ``CryptoError/streamTruncated`` unless the final message has
    /// been pulled. Call it when the transport reports the end of input.
    public func requireFinished() throws(CryptoError) {
        guard isFinished else { throw .streamTruncated }
    }
}

/// Owns one heap-allocated `crypto_secretstream_xchacha20poly1305_state`
/// (the current key and nonce) and wipes it with `sodium_memzero` on deinit.
///
/// Noncopyable, so the state has exactly one owner; that makes the
/// `@unchecked Sendable` conformance sound.
struct SecretStreamState: ~Copyable, @unchecked Sendable {
    let pointer: UnsafeMutablePointer<crypto_secretstream_xchacha20poly1305_state>

    init() {
        pointer = .allocate(capacity: 1)
        pointer.initialize(to: crypto_secretstream_xchacha20poly1305_state())
    }

    deinit {
        sodium_memzero(pointer, MemoryLayout<crypto_secretstream_xchacha20poly1305_state>.size)
        pointer.deallocate()
    }
}
