import RoostCrypto
import Testing

@Suite("SecretStream")
struct SecretStreamTests {
    static let messages: [[UInt8]] = [
        Array("hello".utf8),
        [],
        (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31) },
        Array("goodbye".utf8),
    ]

    /// Pushes `messages`, the last one tagged FINAL; returns key, header and
    /// ciphertexts.
    static func encrypt(
        _ messages: [[UInt8]],
        additionalData: [UInt8] = []
    ) throws -> (key: [UInt8], header: [UInt8], ciphertexts: [[UInt8]]) {
        let key = SecretStream.generateKey()
        var push = try SecretStreamPush(key: key)
        var ciphertexts: [[UInt8]] = []
        for (index, message) in messages.enumerated() {
            ciphertexts.append(
                try push.push(message, additionalData: additionalData, final: index == messages.count - 1)
            )
        }
        #expect(push.isFinished == true)
        return (key, push.header, ciphertexts)
    }

    @Test("sizes")
    func sizes() {
        #expect(SecretStream.keyLength == 32)
        #expect(SecretStream.headerLength == 24)
        #expect(SecretStream.overheadLength == 17)
        #expect(SecretStream.maximumMessageLength > 1 << 32)
        #expect(SecretStream.generateKey().count == 32)
    }

    @Test("round trip ending with FINAL")
    func roundTrip() throws {
        let (key, header, ciphertexts) = try Self.encrypt(Self.messages, additionalData: [1, 2, 3])
        #expect(header.count == SecretStream.headerLength)
        for (message, ciphertext) in zip(Self.messages, ciphertexts) {
            #expect(ciphertext.count == message.count + SecretStream.overheadLength)
        }
        var pull = try SecretStreamPull(key: key, header: header)
        for (index, ciphertext) in ciphertexts.enumerated() {
            #expect(pull.isFinished == false)
            let (message, isFinal) = try pull.pull(ciphertext, additionalData: [1, 2, 3])
            #expect(message == Self.messages[index])
            #expect(isFinal == (index == ciphertexts.count - 1))
        }
        #expect(pull.isFinished == true)
        try pull.requireFinished()
    }

    @Test("same message encrypts differently each time")
    func noRepeats() throws {
        var push = try SecretStreamPush(key: SecretStream.generateKey())
        let first = try push.push([7, 7, 7])
        let second = try push.push([7, 7, 7])
        #expect(first != second)
    }

    @Test("any flipped bit is detected, and a failed pull changes nothing")
    func tamper() throws {
        let (key, header, ciphertexts) = try Self.encrypt([Array("first".utf8), Array("second".utf8)])
        var pull = try SecretStreamPull(key: key, header: header)
        let target = ciphertexts[0]
        for bit in 0..<(target.count * 8) {
            var tampered = target
            tampered[bit / 8] ^= 1 << (bit % 8)
            #expect(throws: CryptoError.decryptionFailed, "bit \(bit)") { try pull.pull(tampered) }
        }
        #expect(throws: CryptoError.decryptionFailed) { try pull.pull(Array(target.dropLast())) }
        #expect(throws: CryptoError.decryptionFailed) { try pull.pull(target + [0]) }
        #expect(throws: CryptoError.decryptionFailed) { try pull.pull([UInt8](repeating: 0, count: 16)) }
        #expect(throws: CryptoError.decryptionFailed) { try pull.pull([]) }
        #expect(try pull.pull(target).message == Array("first".utf8))
        #expect(try pull.pull(ciphertexts[1]) == (Array("second".utf8), true))
    }

    @Test("wrong key, header, additional data or order is detected")
    func wrongContext() throws {
        let (key, header, ciphertexts) = try Self.encrypt(Self.messages, additionalData: [42])

        var wrongKey = try SecretStreamPull(key: SecretStream.generateKey(), header: header)
        #expect(throws: CryptoError.decryptionFailed) { try wrongKey.pull(ciphertexts[0], additionalData: [42]) }

        var wrongHeader = try SecretStreamPull(key: key, header: [UInt8](repeating: 0, count: 24))
        #expect(throws: CryptoError.decryptionFailed) { try wrongHeader.pull(ciphertexts[0], additionalData: [42]) }

        var pull = try SecretStreamPull(key: key, header: header)
        #expect(throws: CryptoError.decryptionFailed) { try pull.pull(ciphertexts[0]) }
        #expect(throws: CryptoError.decryptionFailed) { try pull.pull(ciphertexts[0], additionalData: [43]) }
        // Skipping or reordering messages fails too.
        #expect(throws: CryptoError.decryptionFailed) { try pull.pull(ciphertexts[1], additionalData: [42]) }
        _ = try pull.pull(ciphertexts[0], additionalData: [42])
        // Replaying a message fails.
        #expect(throws: CryptoError.decryptionFailed) { try pull.pull(ciphertexts[0], additionalData: [42]) }
    }

    @Test("a stream cut before FINAL is detectable")
    func truncation() throws {
        let (key, header, ciphertexts) = try Self.encrypt(Self.messages)
        var pull = try SecretStreamPull(key: key, header: header)
        for ciphertext in ciphertexts.dropLast() {
            #expect(try pull.pull(ciphertext).isFinal == false)
        }
        #expect(pull.isFinished == false)
        #expect(throws: CryptoError.streamTruncated) { try pull.requireFinished() }
    }

    @Test("nothing is accepted after FINAL")
    func afterFinal() throws {
        let key = SecretStream.generateKey()
        var push = try SecretStreamPush(key: key)
        let last = try push.push([1], final: true)
        #expect(throws: CryptoError.streamAlreadyFinished) { try push.push([2]) }

        var pull = try SecretStreamPull(key: key, header: push.header)
        #expect(try pull.pull(last) == ([1], true))
        #expect(throws: CryptoError.streamAlreadyFinished) { try pull.pull(last) }
        #expect(throws: CryptoError.streamAlreadyFinished) { try pull.pull([]) }
    }

    @Test("rekeying on both sides keeps the stream working")
    func rekey() throws {
        let key = SecretStream.generateKey()
        var push = try SecretStreamPush(key: key)
        let c1 = try push.push([1])
        push.rekey()
        let c2 = try push.push([2])
        push.rekey()
        push.rekey()
        let c3 = try push.push([3], final: true)

        var pull = try SecretStreamPull(key: key, header: push.header)
        #expect(try pull.pull(c1) == ([1], false))
        pull.rekey()
        #expect(try pull.pull(c2) == ([2], false))
        pull.rekey()
        pull.rekey()
        #expect(try pull.pull(c3) == ([3], true))

        // A receiver that misses a rekey cannot decrypt what follows.
        var lagging = try SecretStreamPull(key: key, header: push.header)
        _ = try lagging.pull(c1)
        #expect(throws: CryptoError.decryptionFailed) { try lagging.pull(c2) }
    }

    @Test("wrong key and header lengths are rejected")
    func wrongLengths() {
        #expect(throws: CryptoError.invalidLength(what: "secret stream key", expected: 32, actual: 16)) {
            _ = try SecretStreamPush(key: [UInt8](repeating: 0, count: 16))
        }
        #expect(throws: CryptoError.invalidLength(what: "secret stream key", expected: 32, actual: 33)) {
            _ = try SecretStreamPull(key: [UInt8](repeating: 0, count: 33), header: [UInt8](repeating: 0, count: 24))
        }
        #expect(throws: CryptoError.invalidLength(what: "secret stream header", expected: 24, actual: 23)) {
            _ = try SecretStreamPull(key: [UInt8](repeating: 0, count: 32), header: [UInt8](repeating: 0, count: 23))
        }
    }
}
