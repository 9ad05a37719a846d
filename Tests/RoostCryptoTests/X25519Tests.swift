import RoostCore
import RoostTestSupport
import RoostCrypto
import Testing

@Suite("X25519")
struct X25519Tests {
    // RFC 7748 §6.1 (also re-derived with the RFC's §5 ladder in Python).
    static let alicePrivate = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"
    static let alicePublic = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"
    static let bobPrivate = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"
    static let bobPublic = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"
    static let shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"

    @Test("sizes")
    func sizes() {
        #expect(X25519.publicKeyLength == 32)
        #expect(X25519.secretKeyLength == 32)
        #expect(X25519.sharedSecretLength == 32)
    }

    @Test("RFC 7748 §6.1 Diffie-Hellman")
    func rfc7748() throws {
        let alice = try X25519KeyPair(secretKey: Hex.bytes(Self.alicePrivate))
        let bob = try X25519KeyPair(secretKey: Hex.bytes(Self.bobPrivate))
        #expect(Hex.encode(alice.publicKey) == Self.alicePublic)
        #expect(Hex.encode(bob.publicKey) == Self.bobPublic)
        #expect(Hex.encode(try X25519.sharedSecret(secret: alice, peerPublic: bob.publicKey)) == Self.shared)
        #expect(Hex.encode(try X25519.sharedSecret(secret: bob, peerPublic: alice.publicKey)) == Self.shared)
    }

    @Test("generated pairs agree")
    func generated() throws {
        let a = X25519KeyPair.generate()
        let b = X25519KeyPair.generate()
        #expect(a.publicKey != b.publicKey)
        let ab = try X25519.sharedSecret(secret: a, peerPublic: b.publicKey)
        let ba = try X25519.sharedSecret(secret: b, peerPublic: a.publicKey)
        #expect(ab == ba)
        #expect(ab != [UInt8](repeating: 0, count: 32))
    }

    @Test("low-order peer keys are rejected")
    func lowOrder() throws {
        let pair = X25519KeyPair.generate()
        let lowOrderPoints = [
            [UInt8](repeating: 0, count: 32),  // u = 0
            [1] + [UInt8](repeating: 0, count: 31),  // u = 1
            // A point of order 8 (libsodium's small-order blocklist).
            Hex.bytes("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"),
        ]
        for point in lowOrderPoints {
            #expect(throws: CryptoError.invalidPublicKey) {
                try X25519.sharedSecret(secret: pair, peerPublic: point)
            }
        }
    }

    @Test("wrong lengths are rejected")
    func wrongLengths() {
        #expect(throws: CryptoError.invalidLength(what: "X25519 secret key", expected: 32, actual: 31)) {
            try X25519KeyPair(secretKey: [UInt8](repeating: 1, count: 31))
        }
        #expect(throws: CryptoError.invalidLength(what: "X25519 public key", expected: 32, actual: 33)) {
            try X25519.sharedSecret(secret: .generate(), peerPublic: [UInt8](repeating: 9, count: 33))
        }
        #expect(throws: CryptoError.invalidLength(what: "Ed25519 public key", expected: 32, actual: 0)) {
            try X25519.publicKey(fromEd25519: [])
        }
    }

    /// libsodium's test/default/ed25519_convert.c seed and expected output,
    /// re-derived in Python (u = (1 + y) / (1 - y) mod p; secret =
    /// clamp(SHA-512(seed)[0..<32])).
    @Test("Ed25519 to Curve25519 conversion known answer")
    func conversionKnownAnswer() throws {
        let signingKey = try SigningKey(
            seed: Hex.bytes("421151a459faeade3d247115f94aedae42318124095afabe4d1451a559faedee")
        )
        let expectedPublic = "f1814f0e8ff1043d8a44d25babff3cedcae6c22c3edaa48f857ae70de2baae50"
        #expect(Hex.encode(try X25519.publicKey(fromEd25519: signingKey.publicKey)) == expectedPublic)
        #expect(Hex.encode(X25519KeyPair(signingKey: signingKey).publicKey) == expectedPublic)

        let fromScalar = try X25519KeyPair(
            secretKey: Hex.bytes("8052030376d47112be7f73ed7a019293dd12ad910b654455798b4667d73de166")
        )
        #expect(Hex.encode(fromScalar.publicKey) == expectedPublic)
    }

    @Test("converted identity keys agree with ephemeral keys")
    func conversionAgreement() throws {
        let identity = SigningKey.generate()
        let converted = X25519KeyPair(signingKey: identity)
        #expect(converted.publicKey == (try X25519.publicKey(fromEd25519: identity.publicKey)))
        let ephemeral = X25519KeyPair.generate()
        let fromEphemeral = try X25519.sharedSecret(
            secret: ephemeral, peerPublic: X25519.publicKey(fromEd25519: identity.publicKey)
        )
        let fromIdentity = try X25519.sharedSecret(secret: converted, peerPublic: ephemeral.publicKey)
        #expect(fromEphemeral == fromIdentity)
    }

    @Test("invalid Ed25519 public keys fail to convert")
    func conversionFailure() {
        let invalid = [
            [UInt8](repeating: 0, count: 32),  // small order
            [1] + [UInt8](repeating: 0, count: 31),  // the identity point
        ]
        for key in invalid {
            #expect(throws: CryptoError.keyConversionFailed) { try X25519.publicKey(fromEd25519: key) }
        }
    }

    @Test("descriptions never reveal the secret")
    func descriptionsHideSecret() throws {
        let pair = try X25519KeyPair(secretKey: Hex.bytes(Self.alicePrivate))
        var dumped = ""
        dump(pair, to: &dumped)
        #expect(pair.description == "X25519KeyPair(public: \(Self.alicePublic))")
        for text in [pair.description, pair.debugDescription, String(reflecting: pair), dumped] {
            #expect(!text.contains(String(Self.alicePrivate.prefix(16))), "\(text)")
            #expect(!text.contains("119, 7, 109"), "\(text)")
        }
    }
}
