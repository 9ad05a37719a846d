import Foundation
public import RoostCrypto
import RoostCore

/// The node's secret key file: a first line naming the format, then the 32-byte Ed25519 seed in hex.
/// Created with mode 0600 and O_EXCL (never overwritten); refused when group or others can read it.
public enum IdentityFile {
    /// The format line.
    static let header = "roost-ed25519-seed-v1"

    /// Writes a new key file; fails if the file exists.
    public static func create(_ key: SigningKey, at path: String) throws(NodeError) {
        try SecretFile.create(key.seed, header: header, at: path)
    }

    /// Reads the key, refusing a file others can read.
    public static func load(from path: String) throws(NodeError) -> SigningKey {
        guard FileManager.default.fileExists(atPath: path) else { throw .notInitialized(path: path) }
        let seed = try SecretFile.load(header: header, from: path)
        do { return try SigningKey(seed: seed) } catch {
            throw .badKeyFile(path: path, reason: "invalid seed")
        }
    }
}
