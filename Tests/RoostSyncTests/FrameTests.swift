import RoostCore
import RoostCrypto
@testable import RoostSync
import Testing

/// An independent reading of SPEC-peers.md §2a.5 on raw secret streams, so
/// the sealer and opener are checked against the text and not only against
/// each other (a bug shared by both, such as a missing rekey, would still
/// round-trip).
enum SpecFrames {
    static func prefix(_ length: Int) -> [UInt8] {
        [UInt8(length >> 24 & 0xFF), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
    }

    /// Seals `payloads` (the last tagged FINAL when `final`), rekeying after
    /// every `rekeyEvery` frames.
    static func write(key: [UInt8], payloads: [[UInt8]], final: Bool, rekeyEvery: Int? = 1024) throws -> [[UInt8]] {
        var push = try SecretStreamPush(key: key)
        var frames: [[UInt8]] = []
        for (index, payload) in payloads.enumerated() {
            let header = index == 0 ? push.header : []
            let prefix = prefix(header.count + payload.count + SecretStream.overheadLength)
            let ciphertext = try push.push(payload, additionalData: prefix, final: final && index == payloads.count - 1)
            frames.append(prefix + header + ciphertext)
            if let rekeyEvery, (index + 1) % rekeyEvery == 0 { push.rekey() }
        }
        return frames
    }

    /// Opens whole frames; throws at the first that does not authenticate.
    static func read(
        key: [UInt8], frames: [[UInt8]], rekeyEvery: Int? = 1024
    ) throws -> [(payload: [UInt8], isFinal: Bool)] {
        var pull: SecretStreamPull? = nil
        var out: [(payload: [UInt8], isFinal: Bool)] = []
        for (index, frame) in frames.enumerated() {
            let prefix = Array(frame[..<4])
            let length = prefix.reduce(0) { $0 << 8 | Int($1) }
            #expect(length == frame.count - 4, "frame \(index) length prefix")
            var body = Array(frame[4...])
            if index == 0 {
                pull = try SecretStreamPull(key: key, header: Array(body[..<SecretStream.headerLength]))
                body = Array(body[SecretStream.headerLength...])
            }
            let (message, isFinal) = try pull!.pull(body, additionalData: prefix)
            out.append((message, isFinal))
            if let rekeyEvery, (index + 1) % rekeyEvery == 0 { pull!.rekey() }
        }
        return out
    }
}

/// Seals `payloads` and FINAL with a fresh key; returns the key and frames.
func sealedFrameStream(_ payloads: [[UInt8]], finish: Bool = true) throws -> (key: SecretBytes, frames: [[UInt8]]) {
    let key = SecretBytes.random(count: 32)
    var sealer = try FrameSealer(key: key)
    var frames = try payloads.map { try sealer.seal($0) }
    if finish { frames.append(try sealer.finish()) }
    return (key, frames)
}

/// Feeds `chunks` to a fresh opener, then reports the end of input. Returns
/// the outputs before the first error and that error.
func openFrameStream(key: SecretBytes, chunks: [[UInt8]]) -> (outputs: [FrameOpener.Output], error: FrameError?) {
    var opener = try! FrameOpener(key: key)
    var outputs: [FrameOpener.Output] = []
    do throws(FrameError) {
        for chunk in chunks {
            try opener.receive(chunk) { outputs.append($0) }
        }
        try opener.endOfInput()
        return (outputs, nil)
    } catch {
        return (outputs, error)
    }
}

@Suite("Frames")
struct FrameTests {
    static let payloads: [[UInt8]] = [
        Array("hello".utf8), [], [0x00], (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) },
        (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 1) }, Array("bye".utf8),
    ]

    @Test("payloads round-trip and end with FINAL")
    func roundTrip() throws {
        let (key, frames) = try sealedFrameStream(Self.payloads)
        let (outputs, error) = openFrameStream(key: key, chunks: [frames.flatMap { $0 }])
        #expect(error == nil)
        #expect(outputs == Self.payloads.map(FrameOpener.Output.payload) + [.end])

        var opener = try FrameOpener(key: key)
        for frame in frames.dropLast() {
            _ = try opener.open(body: Array(frame[4...]))
        }
        let opened = opener.framesOpened
        #expect(opened == UInt64(Self.payloads.count))
        #expect(try opener.open(body: Array(frames.last![4...])) == .end)
        let finished = opener.isFinished
        #expect(finished)
    }

    @Test("layout: u32 length prefix, header in the first frame only, 17 bytes of overhead")
    func layout() throws {
        let (key, frames) = try sealedFrameStream(Self.payloads)
        for (index, frame) in frames.enumerated() {
            let payloadLength = index < Self.payloads.count ? Self.payloads[index].count : 0
            let expected = (index == 0 ? 24 : 0) + payloadLength + 17
            #expect(frame.count == 4 + expected, "frame \(index)")
            #expect(Array(frame[..<4]) == SpecFrames.prefix(expected), "frame \(index)")
        }
        // The independent reader agrees, and the last frame is FINAL.
        let read = try SpecFrames.read(key: key.copyBytes(), frames: frames)
        #expect(read.map(\.payload) == Self.payloads + [[]])
        #expect(read.map(\.isFinal) == Array(repeating: false, count: Self.payloads.count) + [true])
        // The opener accepts what the independent writer produces.
        let written = try SpecFrames.write(key: key.copyBytes(), payloads: Self.payloads + [[]], final: true)
        let (outputs, error) = openFrameStream(key: key, chunks: written)
        #expect(error == nil)
        #expect(outputs == Self.payloads.map(FrameOpener.Output.payload) + [.end])
    }

    @Test("bytes fed one at a time, all at once, or split at random points give the same payloads")
    func splits() throws {
        let small = Self.payloads.map { Array($0.prefix(300)) }
        let (key, frames) = try sealedFrameStream(small)
        let stream = frames.flatMap { $0 }
        let expected = small.map(FrameOpener.Output.payload) + [.end]

        #expect(openFrameStream(key: key, chunks: [stream]).outputs == expected)
        let oneByOne = openFrameStream(key: key, chunks: stream.map { [$0] })
        #expect(oneByOne.error == nil)
        #expect(oneByOne.outputs == expected)

        let seed = UInt64.random(in: 0...UInt64.max)
        print("FrameTests.splits seed: \(seed)")
        var rng = SplitMix64(seed: seed)
        for round in 0..<200 {
            var chunks: [[UInt8]] = []
            var start = 0
            while start < stream.count {
                let length = Int.random(in: 0...min(64, stream.count - start), using: &rng)
                chunks.append(Array(stream[start..<start + length]))
                start += length
            }
            let result = openFrameStream(key: key, chunks: chunks)
            #expect(result.error == nil, "seed \(seed) round \(round)")
            #expect(result.outputs == expected, "seed \(seed) round \(round)")
        }
    }

    @Test("a flipped bit anywhere, length prefixes included, is an error and its frame is never delivered")
    func tamperEverywhere() throws {
        let payloads: [[UInt8]] = [Array("first".utf8), Array("second".utf8), Array("third".utf8)]
        let (key, frames) = try sealedFrameStream(payloads)
        let stream = frames.flatMap { $0 }
        let expected = payloads.map(FrameOpener.Output.payload) + [.end]
        var frameStart: [Int] = []
        var offset = 0
        for frame in frames {
            frameStart.append(offset)
            offset += frame.count
        }
        for position in stream.indices {
            let frameIndex = frameStart.lastIndex { $0 <= position }!
            for mask: UInt8 in [0x01, 0x10, 0x80] {
                var tampered = stream
                tampered[position] ^= mask
                for chunks in [[tampered], tampered.map { [$0] }] {
                    let (outputs, error) = openFrameStream(key: key, chunks: chunks)
                    #expect(error != nil, "byte \(position) mask \(mask)")
                    // Only frames before the tampered one come out, unaltered.
                    #expect(outputs.count <= frameIndex, "byte \(position) mask \(mask)")
                    #expect(Array(expected.prefix(outputs.count)) == outputs, "byte \(position) mask \(mask)")
                }
            }
        }
    }

    @Test("an oversized length prefix is refused from its 4 bytes alone")
    func oversizedPrefix() throws {
        let key = SecretBytes.random(count: 32)
        let limit = WireLimits.maxFrameBytes
        #expect(limit == 16 * 1024 * 1024)
        for (prefix, length) in [([0x01, 0x00, 0x00, 0x01] as [UInt8], limit + 1), ([0xFF, 0xFF, 0xFF, 0xFF], Int(UInt32.max))] {
            var opener = try FrameOpener(key: key)
            #expect(throws: FrameError.frameTooLarge(length: length, limit: limit)) { try opener.receive(prefix) { _ in } }
            // Sticky: the opener stays failed.
            #expect(throws: FrameError.frameTooLarge(length: length, limit: limit)) { try opener.receive([0]) { _ in } }
        }
        // At the limit the prefix is accepted and the opener waits for the body.
        var atLimit = try FrameOpener(key: key)
        var delivered = 0
        try atLimit.receive([0x01, 0x00, 0x00, 0x00]) { _ in delivered += 1 }
        #expect(delivered == 0)
        #expect(throws: FrameError.truncated) { try atLimit.endOfInput() }

        var tooShort = try FrameOpener(key: key)
        #expect(throws: FrameError.frameTooShort(length: 16, minimum: 17)) { try tooShort.receive([0, 0, 0, 16]) { _ in } }
        var firstTooShort = try FrameOpener(key: key)
        #expect(throws: FrameError.frameTooShort(length: 40, minimum: 41)) {
            try firstTooShort.receive([0, 0, 0, 40] + [UInt8](repeating: 0, count: 40)) { _ in }
        }
    }

    @Test("a stream that ends without FINAL is truncated")
    func truncation() throws {
        let payloads: [[UInt8]] = [Array("one".utf8), Array("two".utf8)]
        let (key, frames) = try sealedFrameStream(payloads)
        let delivered = payloads.map(FrameOpener.Output.payload)

        // FINAL dropped.
        let noFinal = openFrameStream(key: key, chunks: Array(frames.dropLast()))
        #expect(noFinal.outputs == delivered && noFinal.error == .truncated)
        // Cut inside the FINAL frame and inside a data frame.
        let cutFinal = openFrameStream(key: key, chunks: [Array(frames.flatMap { $0 }.dropLast())])
        #expect(cutFinal.outputs == delivered && cutFinal.error == .truncated)
        let cutData = openFrameStream(key: key, chunks: [frames[0], Array(frames[1].dropLast(3))])
        #expect(cutData.outputs == Array(delivered.prefix(1)) && cutData.error == .truncated)
        // Nothing at all.
        #expect(openFrameStream(key: key, chunks: []).error == .truncated)
        // A sealer never finished.
        let (openKey, openFrames) = try sealedFrameStream(payloads, finish: false)
        #expect(openFrameStream(key: openKey, chunks: openFrames).error == .truncated)
    }

    @Test("both ends rekey after exactly every 1024 frames")
    func rekeyInterval() throws {
        #expect(WireLimits.rekeyInterval == 1024)
        let count = 2 * WireLimits.rekeyInterval + 5
        let payloads = (0..<count).map { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] }
        let (key, frames) = try sealedFrameStream(payloads)
        let (outputs, error) = openFrameStream(key: key, chunks: frames)
        #expect(error == nil, "after \(outputs.count) outputs")
        let allDelivered = outputs == payloads.map(FrameOpener.Output.payload) + [.end]
        #expect(allDelivered)

        // The independent reader: right with a rekey after frames 1023 and
        // 2047, wrong exactly at frame 1024 without rekeying, and wrong at
        // frame 1023 when rekeying one frame early.
        let bytes = key.copyBytes()
        #expect(try SpecFrames.read(key: bytes, frames: frames).count == count + 1)
        #expect(try SpecFrames.read(key: bytes, frames: Array(frames.prefix(1024)), rekeyEvery: nil).count == 1024)
        #expect(throws: CryptoError.decryptionFailed) {
            try SpecFrames.read(key: bytes, frames: Array(frames.prefix(1025)), rekeyEvery: nil)
        }
        #expect(throws: CryptoError.decryptionFailed) {
            try SpecFrames.read(key: bytes, frames: Array(frames.prefix(1024)), rekeyEvery: 1023)
        }
        // And the opener accepts the independent writer's rekeyed stream.
        let written = try SpecFrames.write(key: bytes, payloads: payloads + [[]], final: true)
        #expect(openFrameStream(key: key, chunks: written).error == nil)
    }

    @Test("dropped, duplicated and reordered frames fail authentication")
    func reorder() throws {
        let payloads: [[UInt8]] = [[1], [2], [3]]
        let (key, f) = try sealedFrameStream(payloads)
        for (name, chunks) in [
            ("dropped", [f[0], f[2], f[3]]), ("duplicated", [f[0], f[1], f[1], f[2], f[3]]),
            ("swapped", [f[0], f[2], f[1], f[3]]),
        ] {
            #expect(openFrameStream(key: key, chunks: chunks).error == .decryptionFailed, "\(name)")
        }
        // Without the first frame, the second is read as one and is too short to hold a header.
        #expect(openFrameStream(key: key, chunks: [f[1], f[2], f[3]]).error == .frameTooShort(length: 18, minimum: 41))
        #expect(openFrameStream(key: SecretBytes.random(count: 32), chunks: f).error == .decryptionFailed)
    }

    @Test("a frame after FINAL, and a FINAL frame with a payload, are refused")
    func afterFinal() throws {
        let (key, frames) = try sealedFrameStream([[1], [2]])
        let after = openFrameStream(key: key, chunks: frames + [frames[1]])
        #expect(after.error == .dataAfterEnd)
        #expect(after.outputs == [.payload([1]), .payload([2]), .end])

        // Even part of a frame after FINAL is refused.
        let stray = openFrameStream(key: key, chunks: frames + [[0x00]])
        #expect(stray.error == .dataAfterEnd)
        #expect(stray.outputs == [.payload([1]), .payload([2]), .end])

        let key2 = SecretBytes.random(count: 32)
        let written = try SpecFrames.write(key: key2.copyBytes(), payloads: [[1], [9, 9]], final: true)
        let nonEmptyFinal = openFrameStream(key: key2, chunks: written)
        #expect(nonEmptyFinal.error == .malformedFinalFrame)
        #expect(nonEmptyFinal.outputs == [.payload([1])])
    }

    @Test("payload limit: the largest payload fits one frame, one byte more is refused without harm")
    func payloadLimit() throws {
        #expect(WireLimits.maxFramePayloadBytes == WireLimits.maxFrameBytes - 24 - 17)
        let key = SecretBytes.random(count: 32)
        var sealer = try FrameSealer(key: key)
        let tooLarge = [UInt8](repeating: 7, count: WireLimits.maxFramePayloadBytes + 1)
        #expect(throws: FrameError.payloadTooLarge(length: tooLarge.count, limit: WireLimits.maxFramePayloadBytes)) {
            try sealer.seal(tooLarge)
        }
        let largest = [UInt8](tooLarge.dropLast())
        let first = try sealer.seal(largest)
        #expect(first.count == 4 + WireLimits.maxFrameBytes)
        let second = try sealer.seal([1])
        let (outputs, error) = openFrameStream(key: key, chunks: [first, second, try sealer.finish()])
        #expect(error == nil)
        #expect(outputs == [.payload(largest), .payload([1]), .end])
    }

    @Test("sealing after FINAL is refused")
    func sealAfterFinish() throws {
        var sealer = try FrameSealer(key: SecretBytes.random(count: 32))
        _ = try sealer.finish()
        let finished = sealer.isFinished
        #expect(finished)
        #expect(throws: FrameError.alreadyFinished) { try sealer.seal([1]) }
        #expect(throws: FrameError.alreadyFinished) { try sealer.finish() }
        let sealed = sealer.framesSealed
        #expect(sealed == 1)
    }

    @Test("keys of the wrong length are refused")
    func keyLength() {
        #expect(throws: CryptoError.self) { _ = try FrameSealer(key: SecretBytes.random(count: 31)) }
        #expect(throws: CryptoError.self) { _ = try FrameOpener(key: SecretBytes.random(count: 33)) }
    }
}
