import Foundation
import RoostCrypto
@testable import RoostSync
import Testing

// Protocol/vectors/frames.json: data frame streams (SPEC-peers.md §2a.5,
// §2a.8). libsodium picks a secret stream's header at random, so a sealer
// cannot reproduce a vector byte for byte: the vectors fix the opening
// direction (key + wire bytes → payloads, FINAL, or the error), checked with
// FrameOpener and with an independent reader on raw secret streams. The
// sealing direction is checked structurally: with the vector's key and
// payloads, FrameSealer produces frames of the vector's lengths (the same
// length prefixes), which the independent reader opens.

/// One stream of frames.json.
struct FrameVectorStream {
    var name: String
    var key: [UInt8]
    /// The frames as sealed, when the stream is well formed.
    var frames: [[UInt8]]?
    /// The bytes on the wire: the frames concatenated, or altered bytes.
    var wire: [UInt8]
    /// The payloads the receiver gets, in order, before FINAL or the error.
    var payloads: [[UInt8]]
    var final: Bool
    /// The FrameError case the receiver ends with, if any.
    var error: String?

    var json: WireVectorJSON {
        var fields: [(String, WireVectorJSON)] = [("name", .string(name)), ("key", .hex(key))]
        if let frames {
            fields.append(("header", .hex(Array(frames[0][4..<28]))))
            fields.append(("frames", .array(frames.map(WireVectorJSON.hex))))
        } else {
            fields.append(("wire", .hex(wire)))
        }
        fields.append(("payloads", .array(payloads.map(WireVectorJSON.hex))))
        fields.append(("final", .string(final ? "yes" : "no")))
        if let error { fields.append(("error", .string(error))) }
        return .object(fields)
    }

    init(name: String, key: [UInt8], frames: [[UInt8]]?, wire: [UInt8]? = nil, payloads: [[UInt8]], final: Bool, error: String?) {
        self.name = name
        self.key = key
        self.frames = frames
        self.wire = wire ?? frames!.flatMap { $0 }
        self.payloads = payloads
        self.final = final
        self.error = error
    }

    init(json: [String: Any]) throws {
        name = try json.string("name")
        key = try json.hex("key")
        if json["frames"] != nil {
            let frames = try json.hexList("frames")
            self.frames = frames
            wire = frames.flatMap { $0 }
            #expect(try json.hex("header") == Array(frames[0][4..<28]), "\(name) header")
        } else {
            frames = nil
            wire = try json.hex("wire")
        }
        payloads = try json.hexList("payloads")
        final = try json.string("final") == "yes"
        error = json["error"] as? String
    }

    /// Feeds the wire to a FrameOpener in `chunks` and ends the input.
    func open(chunked: Bool) -> (payloads: [[UInt8]], final: Bool, error: String?) {
        let chunks = chunked ? wire.map { [$0] } : [wire]
        let (outputs, error) = openFrameStream(key: SecretBytes(copying: key), chunks: chunks)
        var payloads: [[UInt8]] = []
        var final = false
        for output in outputs {
            switch output {
            case let .payload(payload): payloads.append(payload)
            case .end: final = true
            }
        }
        return (payloads, final, error?.vectorName)
    }

    static func generate() throws -> [FrameVectorStream] {
        func seal(_ key: [UInt8], _ payloads: [[UInt8]], finish: Bool) throws -> [[UInt8]] {
            var sealer = try FrameSealer(key: SecretBytes(copying: key))
            var frames = try payloads.map { try sealer.seal($0) }
            if finish { frames.append(try sealer.finish()) }
            return frames
        }
        let key1 = [UInt8](repeating: 0x10, count: 32)
        let payloads1: [[UInt8]] = [Array("hello".utf8), [], (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7) }]
        let frames1 = try seal(key1, payloads1, finish: true)

        let key2 = [UInt8](repeating: 0x11, count: 32)
        let payloads2: [[UInt8]] = [Array("one".utf8), Array("two".utf8)]

        let key3 = [UInt8](repeating: 0x12, count: 32)
        let payloads3 = (0..<(WireLimits.rekeyInterval + 2)).map { [UInt8(truncatingIfNeeded: $0)] }

        var prefixBumped = frames1.flatMap { $0 }
        prefixBumped[frames1[0].count + 3] &+= 1
        var flipped = frames1.flatMap { $0 }
        flipped[frames1[0].count + frames1[1].count + 10] ^= 0x01

        let key4 = [UInt8](repeating: 0x13, count: 32)
        let finalWithPayload = try SpecFrames.write(key: key4, payloads: [[1], [2, 2]], final: true)

        return [
            .init(name: "three payloads, then FINAL", key: key1, frames: frames1, payloads: payloads1, final: true, error: nil),
            .init(
                name: "two payloads, no FINAL", key: key2, frames: try seal(key2, payloads2, finish: false),
                payloads: payloads2, final: false, error: "truncated"),
            .init(
                name: "1026 one-byte payloads and FINAL: both ends rekey after frames 1023 (and would after 2047)",
                key: key3, frames: try seal(key3, payloads3, finish: true), payloads: payloads3, final: true, error: nil),
            .init(
                name: "the first stream with frame 1's length prefix incremented", key: key1, frames: nil,
                wire: prefixBumped, payloads: [payloads1[0]], final: false, error: "decryptionFailed"),
            .init(
                name: "the first stream with a ciphertext bit of frame 2 flipped", key: key1, frames: nil, wire: flipped,
                payloads: Array(payloads1.prefix(2)), final: false, error: "decryptionFailed"),
            .init(
                name: "the first stream with frame 1 repeated after FINAL", key: key1, frames: nil,
                wire: frames1.flatMap { $0 } + frames1[1], payloads: payloads1, final: true, error: "dataAfterEnd"),
            .init(
                name: "the first stream with one stray byte after FINAL", key: key1, frames: nil,
                wire: frames1.flatMap { $0 } + [0x00], payloads: payloads1, final: true, error: "dataAfterEnd"),
            .init(
                name: "a FINAL frame carrying a payload", key: key4, frames: nil, wire: finalWithPayload.flatMap { $0 },
                payloads: [[1]], final: false, error: "malformedFinalFrame"),
            .init(
                name: "a length prefix of 16 MiB + 1", key: key1, frames: nil, wire: [0x01, 0x00, 0x00, 0x01],
                payloads: [], final: false, error: "frameTooLarge"),
        ]
    }
}

extension FrameError {
    /// The name the vector files use for this error.
    var vectorName: String {
        switch self {
        case .frameTooLarge: "frameTooLarge"
        case .frameTooShort: "frameTooShort"
        case .payloadTooLarge: "payloadTooLarge"
        case .decryptionFailed: "decryptionFailed"
        case .malformedFinalFrame: "malformedFinalFrame"
        case .dataAfterEnd: "dataAfterEnd"
        case .alreadyFinished: "alreadyFinished"
        case .truncated: "truncated"
        }
    }
}

@Suite("Frame vectors")
struct FrameVectorTests {
    static func load() throws -> (file: [String: Any], streams: [FrameVectorStream]) {
        let file = try WireVectors.load("frames.json")
        return (file, try file.objects("streams").map(FrameVectorStream.init(json:)))
    }

    @Test("write frames.json (only with ROOST_WRITE_VECTORS=1)", .enabled(if: WireVectors.writing))
    func generate() throws {
        let streams = try FrameVectorStream.generate()
        for stream in streams {
            let opened = stream.open(chunked: false)
            try #require(
                opened.payloads == stream.payloads && opened.final == stream.final && opened.error == stream.error,
                "\(stream.name): \(opened.payloads.count) payloads, final \(opened.final), error \(opened.error ?? "none")")
        }
        try WireVectors.write(
            "frames.json",
            .object([
                ("description", .string(
                    "Data frame streams (Protocol/SPEC-peers.md, part 2a). Each stream is one direction of a connection "
                        + "under 'key' (a session key). Well-formed streams give 'header' (the first 24 bytes of frame 0's "
                        + "body) and 'frames' (each: u32 length, body); altered streams give the 'wire' bytes instead. A "
                        + "receiver fed the bytes, in any split, then told the input ended, yields 'payloads', sees FINAL "
                        + "when 'final' is yes, and ends with the FrameError 'error' when present.")),
                ("max_frame_bytes", .int(WireLimits.maxFrameBytes)),
                ("rekey_interval", .int(WireLimits.rekeyInterval)),
                ("streams", .array(streams.map(\.json))),
            ]))
    }

    @Test("the opener yields each stream's payloads, FINAL and error, whole or byte by byte")
    func consume() throws {
        let (file, streams) = try Self.load()
        #expect(file["max_frame_bytes"] as? Int == WireLimits.maxFrameBytes)
        #expect(file["rekey_interval"] as? Int == WireLimits.rekeyInterval)
        #expect(streams.count >= 9)
        #expect(streams.contains { ($0.frames?.count ?? 0) > WireLimits.rekeyInterval })
        for stream in streams {
            for chunked in [false, true] {
                let opened = stream.open(chunked: chunked)
                let samePayloads = opened.payloads == stream.payloads
                #expect(samePayloads, "\(stream.name): \(opened.payloads.count) payloads, expected \(stream.payloads.count)")
                #expect(opened.final == stream.final, "\(stream.name)")
                #expect(opened.error == stream.error, "\(stream.name)")
            }
        }
    }

    @Test("an independent reader on raw secret streams agrees with the well-formed streams")
    func independentReader() throws {
        for stream in try Self.load().streams {
            guard let frames = stream.frames else { continue }
            let read = try SpecFrames.read(key: stream.key, frames: frames)
            let same = read.prefix { !$0.isFinal }.map(\.payload) == stream.payloads
            #expect(same, "\(stream.name)")
            #expect(read.last?.isFinal == stream.final, "\(stream.name)")
        }
    }

    @Test("the sealer, given a stream's key and payloads, produces frames of the same lengths")
    func produce() throws {
        for stream in try Self.load().streams {
            guard let frames = stream.frames else { continue }
            var sealer = try FrameSealer(key: SecretBytes(copying: stream.key))
            var produced = try stream.payloads.map { try sealer.seal($0) }
            if stream.final { produced.append(try sealer.finish()) }
            let samePrefixes = produced.map { Array($0.prefix(4)) } == frames.map { Array($0.prefix(4)) }
            let sameLengths = produced.map(\.count) == frames.map(\.count)
            #expect(samePrefixes && sameLengths, "\(stream.name)")
            let read = try SpecFrames.read(key: stream.key, frames: produced)
            let samePayloads = read.prefix { !$0.isFinal }.map(\.payload) == stream.payloads
            #expect(samePayloads, "\(stream.name)")
        }
    }
}
