import NIOCore
import RoostCore
import RoostCrypto
import RoostSync

/// Fuzzes RoostSync's wire layer. The first byte picks a mode, the rest is its input:
/// - 0: `SyncMessage.decode`; a message that decodes must re-encode to exactly the input (canonical).
/// - 1: raw bytes into a `FrameOpener` (length prefixes, stream header, authentication).
/// - 2: honest frames (payloads cut from the input, sealed) fed back at input-chosen split points: every payload
///      comes out once, in order, and the FINAL frame ends the stream.
/// - 3: the framing decoders (`DataFrameDecoder`, `HandshakeFrameDecoder`) over a buffer.
/// - 4: an honest handshake with one message replaced by input bytes: it must fail unless the bytes equal the
///      honest message.
/// - 5: raw bytes opened as an offline bundle; 6: input as the plaintext of a correctly sealed bundle.
/// - 254: partial replication's messages (Protocol/SPEC-partial.md §P.3); the next byte picks `subscribe`, `want-scope`,
///   `have-scope`, `partial-ack` or `partial-batch`. What decodes re-encodes to the same bytes; a batch is then received
///   by a fresh partial replica subscribed to `paris`, which must hold only ops of scopes it holds after settling.
/// - 255: a format 2 batch of runs (Protocol/SPEC-format-2.md §2.6): what decodes re-encodes to the same bytes through
///   a fresh dictionary, then each run is resolved and its seals checked against a receiver that holds nothing.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSync(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let input = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    if data[0] == 255 {
        decodeRuns(input)
        return 0
    }
    if data[0] == 254 {
        decodePartial(input)
        return 0
    }
    switch data[0] % 7 {
    case 0:
        if let message = try? SyncMessage.decode(input) {
            check(message.encoded() == input, "sync message decoded from non-canonical bytes")
        }
    case 1: openRaw(input)
    case 2: roundTripFrames(input)
    case 3: decodeFraming(input)
    case 4: tamperHandshake(input)
    case 5: _ = try? OfflineBundle.open(input, as: Fixture.bob)
    default: openSealedPlaintext(input)
    }
    return 0
}

enum Fixture {
    static let key = SecretBytes(copying: [UInt8](repeating: 0x6B, count: 32))
    static let networkKey = try! NetworkKey(bytes: [UInt8](repeating: 0x4E, count: 32))
    static let alice = try! SigningKey(seed: [UInt8](repeating: 0x01, count: 32))
    static let bob = try! SigningKey(seed: [UInt8](repeating: 0x02, count: 32))
}

func check(_ condition: Bool, _ what: @autoclosure () -> String) {
    if !condition { fatalError("fuzz: \(what())") }
}

private func openRaw(_ input: [UInt8]) {
    guard var opener = try? FrameOpener(key: Fixture.key) else { return }
    try? opener.receive(input) { _ in }
    try? opener.endOfInput()
}

/// Input: [count of payloads] then for each a length byte and that many bytes; the remaining bytes are split sizes.
private func roundTripFrames(_ input: [UInt8]) {
    var reader = input[...]
    guard let count = reader.popFirst() else { return }
    var payloads: [[UInt8]] = []
    for _ in 0..<Int(count % 16) {
        guard let length = reader.popFirst() else { break }
        let n = min(Int(length), reader.count)
        payloads.append(Array(reader.prefix(n)))
        reader = reader.dropFirst(n)
    }
    guard var sealer = try? FrameSealer(key: Fixture.key), var opener = try? FrameOpener(key: Fixture.key) else { return }
    var wire: [UInt8] = []
    do {
        for payload in payloads { wire += try sealer.seal(payload) }
        wire += try sealer.finish()
    } catch { fatalError("fuzz: sealing failed: \(error)") }
    var splits = Array(reader)
    if splits.isEmpty { splits = [255] }
    var outputs: [FrameOpener.Output] = []
    var offset = 0, index = 0
    while offset < wire.count {
        let step = max(1, Int(splits[index % splits.count]))
        index += 1
        let end = min(wire.count, offset + step)
        do { try opener.receive(Array(wire[offset..<end])) { outputs.append($0) } } catch {
            fatalError("fuzz: honest frames rejected at \(offset): \(error)")
        }
        offset = end
    }
    do { try opener.endOfInput() } catch { fatalError("fuzz: honest stream not ended cleanly: \(error)") }
    check(outputs == payloads.map { .payload($0) } + [.end], "frames reassembled wrongly")
}

private func decodeFraming(_ input: [UInt8]) {
    var buffer = ByteBuffer(bytes: input)
    var data = DataFrameDecoder()
    while let frame = try? data.decode(buffer: &buffer) {
        check(frame.readableBytes <= input.count, "data frame larger than its input")
    }
    buffer = ByteBuffer(bytes: input)
    var handshake = HandshakeFrameDecoder()
    while let frame = try? handshake.decode(buffer: &buffer) {
        check(frame.count <= input.count, "handshake frame larger than its input")
    }
}

/// Input: [which message 0-3] then the bytes that replace it.
private func tamperHandshake(_ input: [UInt8]) {
    guard let which = input.first else { return }
    let replacement = Array(input.dropFirst())
    let target = Int(which % 4)
    let allow: @Sendable (AuthorID) -> Handshake.PeerDecision = { _ in .allow }
    var initiator = Handshake.StateMachine(
        role: .initiator, configuration: .init(networkKey: Fixture.networkKey, identity: Fixture.alice, allowPeer: allow))
    var responder = Handshake.StateMachine(
        role: .responder, configuration: .init(networkKey: Fixture.networkKey, identity: Fixture.bob, allowPeer: allow))
    _ = responder.start()
    var action = initiator.start()
    var index = 0
    var tampered = false
    var completions = 0
    // Messages alternate: M1 to the responder, M2 to the initiator, M3 to the responder, M4 to the initiator.
    while index < 4 {
        var message: [UInt8]
        switch action {
        case let .send(bytes): message = bytes
        case let .sendAndComplete(bytes, _): message = bytes; completions += 1
        case .complete: completions += 1; index = 4; continue
        case .wait, .fail: index = 4; continue
        }
        if index == target {
            tampered = replacement != message
            message = replacement
        }
        action = index % 2 == 0 ? responder.received(message) : initiator.received(message)
        index += 1
    }
    if case .complete = action { completions += 1 }
    if tampered {
        check(!(initiator.isComplete && responder.isComplete), "handshake completed with message \(target + 1) altered")
    }
}

/// Seals `input` as a bundle's plaintext to Bob, so the parser behind the authentication is reached.
private func openSealedPlaintext(_ input: [UInt8]) {
    let contentKey = SecretBytes(copying: [UInt8](repeating: 0x33, count: XChaCha20Poly1305.keyLength))
    guard let box = try? SealedBox.seal(contentKey.copyBytes(), toEd25519: Fixture.bob.publicKey) else { return }
    var w = ByteWriter()
    w.raw(Array("RSTB".utf8) + [1])  // SPEC: bundle magic and version
    w.u32(1)
    w.raw(Fixture.bob.publicKey)
    w.raw(box)
    let nonce = [UInt8](repeating: 0x11, count: XChaCha20Poly1305.nonceLength)
    w.raw(nonce)
    let header = w.bytes
    guard let ciphertext = try? XChaCha20Poly1305.seal(input, additionalData: header, nonce: nonce, key: contentKey) else { return }
    if case .failure(let error) = Result(catching: { () throws(BundleError) in try OfflineBundle.open(header + ciphertext, as: Fixture.bob) }) {
        check(error != .notForUs && error != .notABundle, "a correctly sealed bundle was not recognised: \(error)")
    }
}

private func decodeRuns(_ input: [UInt8]) {
    var decoder = RunDictionary()
    guard let runs = try? RunV2.decode(input, dictionary: &decoder) else { return }
    var encoder = RunDictionary()
    check(RunV2.encode(runs, dictionary: &encoder) == input, "format 2 runs decoded from non-canonical bytes")
    for run in runs {
        if let resolved = try? run.resolve(held: NothingHeld()) { _ = try? run.verifySeals(resolved, held: NothingHeld()) }
    }
}

private func decodePartial(_ input: [UInt8]) {
    guard let kind = input.first else { return }
    let payload = Array(input.dropFirst())
    switch kind % 5 {
    case 0:
        if let subscription = try? PartialWire.decodeSubscription(payload) {
            check(PartialWire.encode(subscription) == payload, "subscribe decoded from non-canonical bytes")
        }
    case 1:
        if let scopes = try? PartialWire.decodeWantScopes(payload) {
            check(PartialWire.encode(wantScopes: scopes) == payload, "want-scope decoded from non-canonical bytes")
        }
    case 2:
        if let scopes = try? PartialWire.decodeHaveScopes(payload) {
            check(PartialWire.encode(haveScopes: scopes) == payload, "have-scope decoded from non-canonical bytes")
        }
    case 3:
        if let number = try? PartialWire.decodeAck(payload) {
            check(PartialWire.encode(ack: number) == payload, "partial-ack decoded from non-canonical bytes")
        }
    default:
        var decoder = RunDictionary()
        guard let batch = try? PartialWire.decodeBatch(payload, dictionary: &decoder) else { return }
        var encoder = RunDictionary()
        check(PartialWire.encode(batch, dictionary: &encoder) == payload, "partial-batch decoded from non-canonical bytes")
        var node = PartialReplica(key: Fixture.bob, subscription: Subscription(queues: ["paris"]))
        node.receive(batch, from: Fixture.alice.authorID, fromFull: true)
        for ref in node.heldOps.keys {
            check(node.scope(of: ref).map(node.holds) == true, "a partial replica holds an op of a scope it does not hold")
        }
    }
}

private struct NothingHeld: RunHeldHashes {
    func hash(at seq: UInt64) -> Bytes32? { nil }
    func lastSeq(in scope: ScopeID, before seq: UInt64) -> UInt64? { nil }
}
