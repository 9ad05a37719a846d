public import RoostCrypto

/// The sending half of a secure connection: turns payloads into data frames
/// (Protocol/SPEC-peers.md §2a.5).
///
/// One `crypto_secretstream_xchacha20poly1305` stream under the session's
/// send key. Every frame is `u32 length ‖ body`; the 4 length bytes are the
/// secret stream's additional data, so the prefix is authenticated too. The
/// first frame's body starts with the 24-byte stream header. ``finish()``
/// seals the empty FINAL frame that lets the receiver tell a clean close
/// from a cut connection. Both ends rekey after every
/// ``WireLimits/rekeyInterval`` frames.
///
/// Noncopyable: a copy would encrypt two frames under one key and nonce.
public struct FrameSealer: ~Copyable, Sendable {
    private var stream: SecretStreamPush
    /// Whether the stream header has yet to be sent (it goes in the first frame).
    private var headerPending = true

    /// The number of frames sealed so far, FINAL included.
    public private(set) var framesSealed: UInt64 = 0

    /// Whether the FINAL frame has been sealed; no frame can follow.
    public var isFinished: Bool { stream.isFinished }

    /// Starts the stream under `key` (a session's ``Handshake/Session/sendKey``).
    ///
    /// - Throws: ``CryptoError/invalidLength(what:expected:actual:)`` unless
    ///   `key` has ``SecretStream/keyLength`` bytes.
    public init(key: SecretBytes) throws(CryptoError) {
        var bytes = key.copyBytes()
        defer { SecretBytes.wipe(&bytes) }
        stream = try SecretStreamPush(key: bytes)
    }

    /// Seals `payload` into one frame, length prefix included.
    ///
    /// - Throws: ``FrameError/payloadTooLarge(length:limit:)`` over
    ///   ``WireLimits/maxFramePayloadBytes`` (nothing is consumed: the
    ///   stream can go on); ``FrameError/alreadyFinished`` after ``finish()``.
    public mutating func seal(_ payload: [UInt8]) throws(FrameError) -> [UInt8] {
        guard payload.count <= WireLimits.maxFramePayloadBytes else {
            throw .payloadTooLarge(length: payload.count, limit: WireLimits.maxFramePayloadBytes)
        }
        return try frame(payload, final: false)
    }

    /// Seals the FINAL frame (empty payload) that ends the stream cleanly.
    ///
    /// - Throws: ``FrameError/alreadyFinished`` if it was already sealed.
    public mutating func finish() throws(FrameError) -> [UInt8] {
        try frame([], final: true)
    }

    private mutating func frame(_ payload: [UInt8], final: Bool) throws(FrameError) -> [UInt8] {
        guard !stream.isFinished else { throw .alreadyFinished }
        let header = headerPending ? stream.header : []
        let length = header.count + payload.count + SecretStream.overheadLength
        let prefix = FrameLayout.prefix(length)
        let ciphertext: [UInt8]
        do {
            ciphertext = try stream.push(payload, additionalData: prefix, final: final)
        } catch {
            // Not finished, and the payload is far below libsodium's limit.
            preconditionFailure("secret stream push failed: \(error)")
        }
        headerPending = false
        framesSealed += 1
        if framesSealed % UInt64(WireLimits.rekeyInterval) == 0 {
            stream.rekey()
        }
        var frame = prefix
        frame.reserveCapacity(DataFrameDecoder.prefixLength + length)
        frame += header
        frame += ciphertext
        return frame
    }
}

/// Frame layout helpers shared by the sealer and the opener.
enum FrameLayout {
    /// The u32 big-endian length prefix, also the frame's additional data.
    static func prefix(_ length: Int) -> [UInt8] {
        let value = UInt32(length)
        return [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    /// The shortest valid first frame body: header and overhead.
    static let minimumFirstFrame = SecretStream.headerLength + SecretStream.overheadLength
}
