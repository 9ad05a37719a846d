import RoostCore
import Testing

/// Expected strings were computed once, independently of this code, with a
/// short Python 3 script: `base64.b32encode(key).rstrip("=")`, split into 4
/// groups of 13, each followed by its standard Luhn mod 32 check character
/// (factor 2 on the rightmost character, alternating leftwards, each addend
/// reduced as `a // 32 + a % 32`, check = `(32 - sum % 32) % 32`), then
/// regrouped as 8 blocks of 7 joined by "-".
///
/// With Syncthing's variant (factor 1 on the leftmost character) the first
/// key would instead give `AAAQEAY-EAUDAOB-CAJBIFQ-YDIOB4B-...`, so these
/// vectors pin which Luhn variant is implemented.
@Suite("NodeIDText")
struct NodeIDTextTests {
    static let vectors: [(key: [UInt8], text: String)] = [
        (Array(0..<32), "AAAQEAY-EAUDAO5-CAJBIFQ-YDIOB4X-IBCEQTC-QKRMFYM-YDENBWH-A5DYPQS"),
        // The RFC 8032 test 1 public key d75a9801...f707511a.
        (
            [
                0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
                0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a,
            ],
            "25NJQAM-CWEFLPM-VKL73J4-SZAHHIT-HOC4XT3-KTCGJNJ-PAINGR5-YHKENAI"
        ),
        ([UInt8](repeating: 0x00, count: 32), "AAAAAAA-AAAAAAA-AAAAAAA-AAAAAAA-AAAAAAA-AAAAAAA-AAAAAAA-AAAAAAA"),
        ([UInt8](repeating: 0xFF, count: 32), "7777777-777777N-7777777-777777N-7777777-777777N-7777777-77777QL"),
    ]

    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")

    @Test("known keys encode to independently computed text", arguments: 0..<vectors.count)
    func knownAnswers(index: Int) throws {
        let (key, text) = Self.vectors[index]
        #expect(NodeIDText.encode(key) == text)
        #expect(try NodeIDText.decode(text) == key)
    }

    @Test("encoded text has 8 uppercase blocks of 7")
    func shape() {
        let text = NodeIDText.encode(Array(0..<32))
        let blocks = text.split(separator: "-", omittingEmptySubsequences: false)
        #expect(text.count == 63)
        #expect(blocks.count == 8)
        #expect(blocks.allSatisfy { $0.count == 7 && $0.allSatisfy { Self.alphabet.contains($0) } })
    }

    @Test("random keys round-trip")
    func randomRoundTrip() throws {
        let seed = UInt64.random(in: .min ... .max)
        print("NodeIDTextTests.randomRoundTrip: SplitMix64 seed \(seed)")
        var generator = SplitMix64(seed: seed)
        for _ in 0..<2_000 {
            let key = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            let text = NodeIDText.encode(key)
            #expect(try NodeIDText.decode(text) == key, "seed \(seed), key \(key)")
            #expect(try NodeIDText.decode(text.lowercased()) == key, "seed \(seed), key \(key)")
        }
    }

    @Test("every single-character substitution is detected in the right group")
    func substitutions() throws {
        let original = Array(NodeIDText.encode(Self.vectors[1].key).filter { $0 != "-" })
        #expect(original.count == 56)
        var checked = 0
        for position in original.indices {
            for replacement in Self.alphabet where replacement != original[position] {
                var mutated = original
                mutated[position] = replacement
                #expect(throws: NodeIDTextError.checkFailed(group: position / 14 + 1)) {
                    try NodeIDText.decode(String(mutated))
                }
                checked += 1
            }
        }
        #expect(checked == 56 * 31)
    }

    @Test("dashes, spaces and lowercase are accepted")
    func lenientInput() throws {
        let (key, text) = Self.vectors[0]
        let bare = text.filter { $0 != "-" }
        let inputs = [
            text.lowercased(),
            bare,
            bare.lowercased(),
            text.replacingDashes(with: " "),
            "  " + bare.chunked(4).joined(separator: "-") + " ",
            "aaaqEAY-eauDAO5-CAJBIFQ-YDIOB4X-IBCEQTC-QKRMFYM-YDENBWH-A5DYPQS",
        ]
        for input in inputs {
            #expect(try NodeIDText.decode(input) == key, "input \(input)")
        }
    }

    @Test("wrong lengths are rejected", arguments: [0, 1, 52, 55, 57, 63, 112])
    func wrongLength(count: Int) {
        let text = String(repeating: "A", count: count)
        #expect(throws: NodeIDTextError.wrongLength(count)) { try NodeIDText.decode(text) }
    }

    @Test("dashes do not count towards the length")
    func dashesDoNotCount() {
        let text = Self.vectors[0].text.dropLast() + "-"
        #expect(throws: NodeIDTextError.wrongLength(55)) { try NodeIDText.decode(String(text)) }
    }

    @Test("characters outside the alphabet are rejected", arguments: ["0", "1", "8", "9", "=", "_", "\t", "é", "\n"])
    func invalidCharacter(character: String) {
        let text = Self.vectors[0].text
        let mutated = character + text.dropFirst()
        #expect(throws: NodeIDTextError.invalidCharacter(Character(character))) {
            try NodeIDText.decode(mutated)
        }
    }

    @Test("a non-canonical final character with a valid check is rejected")
    func nonCanonical() {
        // Key 0..31 with its 52nd base32 character changed from Q to R (a set
        // unused low bit) and group 4's check character recomputed by the
        // Python reference described above.
        let text = "AAAQEAY-EAUDAO5-CAJBIFQ-YDIOB4X-IBCEQTC-QKRMFYM-YDENBWH-A5DYPRQ"
        #expect(throws: NodeIDTextError.checkFailed(group: 4)) { try NodeIDText.decode(text) }
    }

    @Test("error descriptions explain the problem")
    func descriptions() {
        #expect(NodeIDTextError.wrongLength(12).description.contains("12"))
        #expect(NodeIDTextError.wrongLength(12).description.contains("56"))
        #expect(NodeIDTextError.invalidCharacter("0").description.contains("\"0\""))
        #expect(NodeIDTextError.checkFailed(group: 3).description.contains("group 3"))
        #expect(NodeIDTextError.checkFailed(group: 3).description.contains("blocks 5 and 6"))
    }
}


extension String {
    fileprivate func replacingDashes(with separator: Character) -> String {
        String(map { $0 == "-" ? separator : $0 })
    }

    fileprivate func chunked(_ size: Int) -> [String] {
        var chunks: [String] = []
        var current = ""
        for character in self {
            current.append(character)
            if current.count == size {
                chunks.append(current)
                current = ""
            }
        }
        if !current.isEmpty { chunks.append(current) }
        return chunks
    }
}
