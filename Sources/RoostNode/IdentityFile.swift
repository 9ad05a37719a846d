import Foundation
public import RoostCrypto
import RoostCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The node's secret key file: a first line naming the format, then the 32-byte Ed25519 seed in hex.
/// Created with mode 0600 and O_EXCL (never overwritten); refused when group or others can read it.
public enum IdentityFile {
    /// The format line.
    static let header = "roost-ed25519-seed-v1"

    /// Writes a new key file; fails if the file exists.
    public static func create(_ key: SigningKey, at path: String) throws(NodeError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            if errno == EEXIST { throw .alreadyInitialized(path: path) }
            throw .io(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var text = Array("\(header)\n".utf8)
        var seed = key.seed
        text += Array(Hex.encode(seed).utf8) + [0x0a]
        for i in seed.indices { seed[i] = 0 }
        let written = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        for i in text.indices { text[i] = 0 }
        guard written == text.count, fsync(fd) == 0 else { throw .io(path: path, reason: "could not write the key") }
    }

    /// Reads the key, refusing a file others can read.
    public static func load(from path: String) throws(NodeError) -> SigningKey {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .notInitialized(path: path) }
        let mode = UInt32(info.st_mode) & 0o777
        guard mode & 0o077 == 0 else { throw .keyFileTooOpen(path: path, mode: mode) }
        guard let data = FileManager.default.contents(atPath: path), data.count < 4096 else {
            throw .badKeyFile(path: path, reason: "cannot read the key file")
        }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        guard lines.count == 2, lines[0] == header else {
            throw .badKeyFile(path: path, reason: "not a Roost key file (expected first line \"\(header)\")")
        }
        guard let seed = Hex.decode(lines[1]), seed.count == Ed25519.seedLength else {
            throw .badKeyFile(path: path, reason: "the seed is not 64 hex digits")
        }
        do { return try SigningKey(seed: seed) } catch {
            throw .badKeyFile(path: path, reason: "invalid seed")
        }
    }
}
