import RoostCrypto
import Testing

@Suite("SecureRandom")
struct SecureRandomTests {
    @Test("bytes has the requested length and differs between calls")
    func bytes() {
        #expect(SecureRandom.bytes(0).isEmpty)
        #expect(SecureRandom.bytes(1).count == 1)
        let a = SecureRandom.bytes(32)
        let b = SecureRandom.bytes(32)
        #expect(a.count == 32)
        #expect(a != b)
        #expect(a != [UInt8](repeating: 0, count: 32))
    }

    @Test("uint64 differs between calls and uses every bit")
    func uint64() {
        let values = (0..<64).map { _ in SecureRandom.uint64() }
        #expect(Set(values).count == values.count)
        #expect(values.reduce(0, |) == .max)
        #expect(values.reduce(.max, &) == 0)
    }

    @Test("fill writes only the given buffer")
    func fill() {
        var buffer = [UInt8](repeating: 0, count: 64)
        buffer.withUnsafeMutableBytes { SecureRandom.fill(UnsafeMutableRawBufferPointer(rebasing: $0[16..<48])) }
        #expect(buffer[0..<16].allSatisfy { $0 == 0 })
        #expect(buffer[48...].allSatisfy { $0 == 0 })
        #expect(buffer[16..<48].contains { $0 != 0 })
    }
}
