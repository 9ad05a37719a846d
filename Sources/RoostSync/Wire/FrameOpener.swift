public import NIOCore
public import RoostCrypto

/// The receiving half of a secure connection: authenticates and decrypts
/// data frames (Protocol/SPEC-peers.md §2a.5).
///
/// Feed it raw bytes in any split with ``receive(_:_:)`` (it
/// frames them with ``DataFrameDecoder``, refusing an oversized length prefix
/// before buffering for it), or frame bodies already split by a
/// `DataFrameDecoder` with ``open(body:)``; use one or the other for a
/// stream, not both. Call ``endOfInput()`` when the transport ends: a stream
/// without its FINAL frame is ``FrameError/truncated``.
///
/// After any error the opener stays failed and throws that error again: the
/// peer's stream cannot be trusted any more.
public struct FrameOpener: ~Copyable, Sendable {
    /// What one frame yielded.
    public enum Output: Sendable, Hashable {
        /// An authenticated payload.
        case payload([UInt8])
        /// The FINAL frame: the peer closed its stream cleanly.
        case end
    }

    /// The receive key, until the first frame brings the stream header.
    private var key: SecretBytes?
    private var stream: SecretStreamPull?
    private var buffered = ByteBuffer()
    private var decoder = DataFrameDecoder()
    private var failure: FrameError?

    /// The number of frames opened so far, FINAL included.
    public private(set) var framesOpened: UInt64 = 0

    /// Whether the FINAL frame has been opened.
    public private(set) var isFinished = false

    /// Prepares to open the stream under `key` (a session's
    /// ``Handshake/Session/receiveKey``).
    ///
    /// - Throws: ``CryptoError/invalidLength(what:expected:actual:)`` unless
    ///   `key` has ``SecretStream/keyLength`` bytes.
    public init(key: SecretBytes) throws(CryptoError) {
        guard key.count == SecretStream.keyLength else {
            throw .invalidLength(what: "secret stream key", expected: SecretStream.keyLength, actual: key.count)
        }
        self.key = key
    }

    /// Appends raw stream bytes and opens every frame they complete, passing
    /// each output to `deliver` as soon as its frame has authenticated (so
    /// the payloads before a bad frame are delivered whatever the split).
    ///
    /// - Throws: any ``FrameError`` of the decoder or ``open(body:)``, and
    ///   ``FrameError/dataAfterEnd`` for any byte after the FINAL frame.
    public mutating func receive(_ bytes: ByteBuffer, _ deliver: (Output) -> Void) throws(FrameError) {
        if let failure { throw failure }
        var bytes = bytes
        buffered.writeBuffer(&bytes)
        while true {
            if isFinished {
                // Nothing may follow FINAL, not even part of a frame.
                guard buffered.readableBytes == 0 else { throw record(.dataAfterEnd) }
                break
            }
            let body: ByteBuffer?
            do {
                body = try decoder.decode(buffer: &buffered)
            } catch {
                throw record(error as? FrameError ?? .decryptionFailed)
            }
            guard let body else { break }
            deliver(try open(body: Array(buffer: body)))
        }
        buffered.discardReadBytes()
    }

    /// Appends raw stream bytes; see ``receive(_:_:)``.
    public mutating func receive(_ bytes: [UInt8], _ deliver: (Output) -> Void) throws(FrameError) {
        try receive(ByteBuffer(bytes: bytes), deliver)
    }

    /// Opens one frame body (the bytes after its length prefix; the prefix
    /// is recomputed from the body's length for the additional data).
    ///
    /// - Throws: ``FrameError/dataAfterEnd`` after FINAL;
    ///   ``FrameError/frameTooLarge(length:limit:)``,
    ///   ``FrameError/frameTooShort(length:minimum:)``,
    ///   ``FrameError/decryptionFailed`` or
    ///   ``FrameError/malformedFinalFrame`` for a bad frame.
    public mutating func open(body: [UInt8]) throws(FrameError) -> Output {
        if let failure { throw failure }
        guard !isFinished else { throw record(.dataAfterEnd) }
        guard body.count <= WireLimits.maxFrameBytes else {
            throw record(.frameTooLarge(length: body.count, limit: WireLimits.maxFrameBytes))
        }
        var ciphertext = body[...]
        if stream == nil {
            guard body.count >= FrameLayout.minimumFirstFrame else {
                throw record(.frameTooShort(length: body.count, minimum: FrameLayout.minimumFirstFrame))
            }
            var keyBytes = key!.copyBytes()
            defer { SecretBytes.wipe(&keyBytes) }
            let header = Array(body[..<SecretStream.headerLength])
            // Key and header have their fixed lengths.
            stream = try! SecretStreamPull(key: keyBytes, header: header)
            key = nil
            ciphertext = body[SecretStream.headerLength...]
        } else {
            guard body.count >= SecretStream.overheadLength else {
                throw record(.frameTooShort(length: body.count, minimum: SecretStream.overheadLength))
            }
        }
        let message: [UInt8]
        let isFinal: Bool
        do {
            (message, isFinal) = try stream!.pull(Array(ciphertext), additionalData: FrameLayout.prefix(body.count))
        } catch {
            throw record(.decryptionFailed)
        }
        framesOpened += 1
        if framesOpened % UInt64(WireLimits.rekeyInterval) == 0 {
            stream!.rekey()
        }
        guard isFinal else { return .payload(message) }
        guard message.isEmpty else { throw record(.malformedFinalFrame) }
        isFinished = true
        return .end
    }

    /// Reports the end of the input.
    ///
    /// - Throws: ``FrameError/truncated`` unless the FINAL frame was opened
    ///   (bytes of a partial frame left over also count as truncation).
    public mutating func endOfInput() throws(FrameError) {
        if let failure { throw failure }
        guard isFinished else { throw record(.truncated) }
    }

    private mutating func record(_ error: FrameError) -> FrameError {
        failure = error
        return error
    }
}
