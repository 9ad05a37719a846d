import RoostCrypto
import Testing

@Suite("CryptoError")
struct CryptoErrorTests {
    @Test("descriptions name sizes and limits")
    func descriptions() {
        let length = CryptoError.invalidLength(what: "Ed25519 seed", expected: 32, actual: 31)
        #expect(length.description == "Ed25519 seed must be 32 bytes, got 31")
        #expect(CryptoError.messageTooLarge(limit: 1024).description.contains("1024"))
        let all: [CryptoError] = [
            length, .decryptionFailed, .streamTruncated, .streamAlreadyFinished, .keyConversionFailed,
            .invalidPublicKey, .messageTooLarge(limit: 1),
        ]
        #expect(Set(all.map(\.description)).count == all.count)
    }
}
