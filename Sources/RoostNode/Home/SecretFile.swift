import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RoostCore

/// A small secret on disk: a first line naming the format, then 32 bytes in hex. Created with mode 0600
/// and O_EXCL (never overwritten); refused when group or others can read it. Never logged.
enum SecretFile {
    /// Writes a new file; fails if it exists. With no `header` the file holds the hex digits alone (for readers
    /// such as Prometheus' `credentials_file`, which take the whole file as the secret).
    static func create(_ secret: [UInt8], header: String?, at path: String) throws(NodeError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            if errno == EEXIST { throw .alreadyInitialized(path: path) }
            throw .io(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(fd) }
        var text = Array("\(header.map { $0 + "\n" } ?? "")\(Hex.encode(secret))\n".utf8)
        let written = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        for i in text.indices { text[i] = 0 }
        guard written == text.count, fsync(fd) == 0 else { throw .io(path: path, reason: "could not write the secret") }
    }

    /// Reads the 32 bytes, refusing a file others can read.
    static func load(header: String, from path: String) throws(NodeError) -> [UInt8] {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .io(path: path, reason: "missing") }
        let mode = UInt32(info.st_mode) & 0o777
        guard mode & 0o077 == 0 else { throw .keyFileTooOpen(path: path, mode: mode) }
        guard let data = FileManager.default.contents(atPath: path), data.count < 4096 else {
            throw .badKeyFile(path: path, reason: "cannot read the file")
        }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n")
        guard lines.count == 2, lines[0] == header else {
            throw .badKeyFile(path: path, reason: "not a Roost secret file (expected first line \"\(header)\")")
        }
        guard let secret = Hex.decode(lines[1]), secret.count == 32 else {
            throw .badKeyFile(path: path, reason: "the secret is not 64 hex digits")
        }
        return secret
    }
}

/// Compares a secret with what a client sent in time that does not depend on where they differ.
func constantTimeEquals(_ secret: some StringProtocol, _ candidate: some StringProtocol) -> Bool {
    let a = Array(secret.utf8), b = Array(candidate.utf8)
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for i in a.indices { difference |= a[i] ^ b[i] }
    return difference == 0
}
