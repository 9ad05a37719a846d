import RoostCrypto
import Testing

@Suite("SealedBox")
struct SealedBoxTests {
    @Test("sizes")
    func sizes() {
        #expect(SealedBox.overheadLength == 48)
        #expect(SealedBox.maximumMessageLength > 1 << 40)
    }

    @Test("round trip to an X25519 key", arguments: [0, 1, 100, 65_536])
    func roundTrip(count: Int) throws {
        let recipient = X25519KeyPair.generate()
        let message = (0..<count).map { UInt8(truncatingIfNeeded: $0) }
        let box = try SealedBox.seal(message, to: recipient.publicKey)
        #expect(box.count == count + SealedBox.overheadLength)
        #expect(try SealedBox.open(box, with: recipient) == message)
        #expect(try SealedBox.seal(message, to: recipient.publicKey) != box)
    }

    @Test("round trip to an Ed25519 identity")
    func ed25519RoundTrip() throws {
        let identity = SigningKey.generate()
        let message = Array("invite: join desk #support".utf8)
        let box = try SealedBox.seal(message, toEd25519: identity.publicKey)
        #expect(try SealedBox.open(box, with: identity) == message)
        #expect(try SealedBox.open(box, with: X25519KeyPair(signingKey: identity)) == message)
        #expect(throws: CryptoError.decryptionFailed) { try SealedBox.open(box, with: SigningKey.generate()) }
    }

    @Test("tampering, truncation and the wrong recipient are detected")
    func tamper() throws {
        let recipient = X25519KeyPair.generate()
        let box = try SealedBox.seal(Array("secret".utf8), to: recipient.publicKey)
        for index in box.indices {
            var tampered = box
            tampered[index] ^= 0x01
            #expect(throws: CryptoError.decryptionFailed, "byte \(index)") { try SealedBox.open(tampered, with: recipient) }
        }
        #expect(throws: CryptoError.decryptionFailed) { try SealedBox.open(Array(box.dropLast()), with: recipient) }
        #expect(throws: CryptoError.decryptionFailed) { try SealedBox.open(Array(box.prefix(47)), with: recipient) }
        #expect(throws: CryptoError.decryptionFailed) { try SealedBox.open([], with: recipient) }
        #expect(throws: CryptoError.decryptionFailed) { try SealedBox.open(box, with: X25519KeyPair.generate()) }
    }

    @Test("bad recipient keys are rejected")
    func badRecipients() {
        #expect(throws: CryptoError.invalidLength(what: "X25519 public key", expected: 32, actual: 31)) {
            try SealedBox.seal([1], to: [UInt8](repeating: 5, count: 31))
        }
        #expect(throws: CryptoError.invalidPublicKey) {
            try SealedBox.seal([1], to: [UInt8](repeating: 0, count: 32))
        }
        #expect(throws: CryptoError.keyConversionFailed) {
            try SealedBox.seal([1], toEd25519: [UInt8](repeating: 0, count: 32))
        }
    }
}
