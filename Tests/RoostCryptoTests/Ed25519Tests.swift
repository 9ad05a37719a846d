import RoostCore
import RoostTestSupport
import RoostCrypto
import Testing

/// RFC 8032 §7.1 TEST 1 and TEST 2 (also re-derived with the RFC's §6 Python
/// reference code).
@Suite("Ed25519")
struct Ed25519Tests {
    struct Vector: Sendable {
        let seed: String
        let publicKey: String
        let message: String
        let signature: String
    }

    static let vectors = [
        Vector(
            seed: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            message: "",
            signature: "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                + "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        ),
        Vector(
            seed: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            publicKey: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            message: "72",
            signature: "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
                + "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
        ),
    ]

    @Test("sizes")
    func sizes() {
        #expect(Ed25519.publicKeyLength == 32)
        #expect(Ed25519.signatureLength == 64)
        #expect(Ed25519.seedLength == 32)
    }

    @Test("RFC 8032 test vectors", arguments: vectors)
    func rfc8032(vector: Vector) throws {
        let key = try SigningKey(seed: Hex.bytes(vector.seed))
        let message = Hex.bytes(vector.message)
        let signature = key.sign(message)
        #expect(Hex.encode(key.publicKey) == vector.publicKey)
        #expect(Hex.encode(key.seed) == vector.seed)
        #expect(Hex.encode(signature) == vector.signature)
        #expect(message.withUnsafeBytes { key.sign($0) } == signature)
        #expect(Ed25519.verify(signature: signature, message: message, publicKey: key.publicKey))
        #expect(message.withUnsafeBytes {
            Ed25519.verify(signature: signature, message: $0, publicKey: key.publicKey)
        })
    }

    @Test("verify rejects any flipped bit in message, signature or key")
    func flippedBits() throws {
        let key = try SigningKey(seed: Hex.bytes(Self.vectors[1].seed))
        let message = Array("hand-off ticket 4711 to alice".utf8)
        let signature = key.sign(message)
        #expect(Ed25519.verify(signature: signature, message: message, publicKey: key.publicKey))

        for bit in 0..<(message.count * 8) {
            var tampered = message
            tampered[bit / 8] ^= 1 << (bit % 8)
            #expect(!Ed25519.verify(signature: signature, message: tampered, publicKey: key.publicKey), "message bit \(bit)")
        }
        for bit in 0..<(Ed25519.signatureLength * 8) {
            var tampered = signature
            tampered[bit / 8] ^= 1 << (bit % 8)
            #expect(!Ed25519.verify(signature: tampered, message: message, publicKey: key.publicKey), "signature bit \(bit)")
        }
        for bit in 0..<(Ed25519.publicKeyLength * 8) {
            var tampered = key.publicKey
            tampered[bit / 8] ^= 1 << (bit % 8)
            #expect(!Ed25519.verify(signature: signature, message: message, publicKey: tampered), "public key bit \(bit)")
        }
        #expect(!Ed25519.verify(signature: signature, message: message + [0], publicKey: key.publicKey))
        #expect(!Ed25519.verify(signature: signature, message: [], publicKey: key.publicKey))
    }

    @Test("verify returns false for wrong lengths", arguments: [0, 31, 33, 63, 64, 65])
    func wrongLengths(count: Int) throws {
        let key = try SigningKey(seed: Hex.bytes(Self.vectors[0].seed))
        let signature = key.sign([1, 2, 3])
        let bytes = [UInt8](repeating: 7, count: count)
        #expect(!Ed25519.verify(signature: bytes, message: [1, 2, 3], publicKey: key.publicKey))
        #expect(!Ed25519.verify(signature: signature, message: [1, 2, 3], publicKey: bytes))
    }

    @Test("seed has to be 32 bytes", arguments: [0, 31, 33, 64])
    func seedLength(count: Int) {
        #expect(throws: CryptoError.invalidLength(what: "Ed25519 seed", expected: 32, actual: count)) {
            try SigningKey(seed: [UInt8](repeating: 1, count: count))
        }
    }

    @Test("generated keys are distinct and reload from their seed")
    func generate() throws {
        let first = SigningKey.generate()
        let second = SigningKey.generate()
        #expect(first.publicKey != second.publicKey)
        #expect(first.seed.count == 32)
        let reloaded = try SigningKey(seed: first.seed)
        #expect(reloaded.publicKey == first.publicKey)
        #expect(reloaded.sign([9]) == first.sign([9]))
        #expect(!Ed25519.verify(signature: first.sign([9]), message: [9], publicKey: second.publicKey))
    }

    @Test("descriptions never reveal the seed")
    func descriptionsHideSeed() throws {
        let vector = Self.vectors[0]
        let key = try SigningKey(seed: Hex.bytes(vector.seed))
        var dumped = ""
        dump(key, to: &dumped)
        let renderings = [
            key.description, key.debugDescription, "\(key)", String(describing: key), String(reflecting: key),
            dumped, "\([key])", "\(Optional(key) as Any)",
        ]
        #expect(key.description == "SigningKey(public: \(vector.publicKey))")
        for text in renderings {
            #expect(!text.lowercased().contains(vector.seed), "\(text)")
            #expect(!text.lowercased().contains(String(vector.seed.prefix(16))), "\(text)")
            #expect(!text.contains("9D61B19D"), "\(text)")
            #expect(!text.contains("157, 97, 177"), "\(text)")  // the seed's first bytes in decimal
        }
    }
}
