import RoostCore
import RoostTestSupport
import RoostCrypto
import Testing

/// Expected digests: `hashlib.blake2b(data, digest_size=n).hexdigest()` in
/// Python 3 (the empty-input value is also the published BLAKE2b-256 of "").
@Suite("Blake2b")
struct Blake2bTests {
    static let fox = Array("The quick brown fox jumps over the lazy dog".utf8)
    static let pattern1000 = (0..<1000).map { UInt8($0 % 251) }

    static let vectors: [(input: [UInt8], digest: String)] = [
        ([], "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8"),
        (Array("abc".utf8), "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"),
        (fox, "01718cec35cd3d796dd00020e0bfecb473ad23457d063b75eff29c0ffa2e58a9"),
        ((0...255).map { UInt8($0) }, "39a7eb9fedc19aabc83425c6755dd90e6f9d0c804964a1f4aaeea3b9fb599835"),
        (pattern1000, "b372d0608f720c8c3dd41e9c8eecb10143b41abe520b616607e754bf79c08331"),
    ]

    @Test("sizes")
    func sizes() {
        #expect(Blake2b.digestLength == 32)
        #expect(Blake2b.minimumOutputLength == 16)
        #expect(Blake2b.maximumOutputLength == 64)
    }

    @Test("BLAKE2b-256 known answers, all entry points", arguments: 0..<vectors.count)
    func knownAnswers(index: Int) {
        let (input, digest) = Self.vectors[index]
        let expected = Hex.bytes(digest)
        #expect(Blake2b.hash256(input) == expected)
        #expect(input.withUnsafeBytes { Blake2b.hash256($0) } == expected)

        var out = [UInt8](repeating: 0, count: 32)
        out.withUnsafeMutableBytes { out in input.withUnsafeBytes { Blake2b.hash256(into: out, $0) } }
        #expect(out == expected)

        var hasher = Blake2bHasher()
        hasher.update(input)
        #expect(hasher.finalize() == expected)
    }

    @Test("hash256(into:) writes exactly 32 bytes into a slice")
    func intoSlice() {
        var buffer = [UInt8](repeating: 0xAA, count: 48)
        buffer.withUnsafeMutableBytes { buffer in
            let slice = UnsafeMutableRawBufferPointer(rebasing: buffer[8..<40])
            Array("abc".utf8).withUnsafeBytes { Blake2b.hash256(into: slice, $0) }
        }
        #expect(Array(buffer[0..<8]) == [UInt8](repeating: 0xAA, count: 8))
        #expect(Array(buffer[8..<40]) == Hex.bytes(Self.vectors[1].digest))
        #expect(Array(buffer[40...]) == [UInt8](repeating: 0xAA, count: 8))
    }

    @Test("other output lengths")
    func otherLengths() {
        var short = Blake2bHasher(outputLength: 16)
        short.update(Array("abc".utf8))
        #expect(Hex.encode(short.finalize()) == "cf4ab791c62b8d2b2109c90275287816")

        var long = Blake2bHasher(outputLength: 64)
        long.update(Array("abc".utf8))
        #expect(
            Hex.encode(long.finalize())
                == "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1"
                + "7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"
        )
    }

    @Test("streaming in any split equals one-shot")
    func streamingEqualsOneShot() {
        let input = Self.pattern1000
        let expected = Blake2b.hash256(input)
        for chunkSize in [1, 7, 64, 127, 128, 129, 999, 1000] {
            var hasher = Blake2bHasher()
            hasher.update([])
            var start = 0
            while start < input.count {
                let end = min(start + chunkSize, input.count)
                Array(input[start..<end]).withUnsafeBytes { hasher.update($0) }
                start = end
            }
            hasher.update([])
            #expect(hasher.finalize() == expected, "chunk size \(chunkSize)")
        }
    }

    @Test("finalize resets the hasher")
    func finalizeResets() {
        var hasher = Blake2bHasher()
        hasher.update(Self.fox)
        _ = hasher.finalize()
        #expect(hasher.finalize() == Hex.bytes(Self.vectors[0].digest))
        hasher.update(Array("abc".utf8))
        #expect(hasher.finalize() == Hex.bytes(Self.vectors[1].digest))
    }

    @Test("copies fork independently")
    func copiesFork() {
        let prefix = Array("The quick brown ".utf8)
        var first = Blake2bHasher()
        first.update(prefix)
        var second = first
        first.update(Array("fox jumps over the lazy dog".utf8))
        second.update(Array("cat".utf8))
        let third = second
        #expect(first.finalize() == Blake2b.hash256(Self.fox))
        #expect(second.finalize() == Blake2b.hash256(prefix + Array("cat".utf8)))
        var fourth = third
        #expect(fourth.finalize() == Blake2b.hash256(prefix + Array("cat".utf8)))
    }
}
