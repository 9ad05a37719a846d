public import RoostCore

extension Hex {
    /// Parses hex written into a test (a vector, a fixture); traps on malformed text, which is a bug in the test.
    public static func bytes(_ text: String) -> [UInt8] {
        guard let bytes = decode(text) else { preconditionFailure("malformed hex in test data: \(text.prefix(40))") }
        return bytes
    }
}
