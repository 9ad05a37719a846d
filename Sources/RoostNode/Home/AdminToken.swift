import Foundation
import RoostCore
import RoostCrypto

/// The admin port's token (`admin.token` in the node home, mode 0600): `/metrics` requires
/// `Authorization: Bearer <it>`. It is separate from the API token, so a metrics scraper cannot drive the desk,
/// and the file holds only the 64 hex digits and a newline, so Prometheus reads it as is
/// (`authorization: { credentials_file: ~/.roost/admin.token }`). Created by `roost run` when `admin` is
/// configured; `roost token rotate --admin` replaces it. It is a secret: never logged.
public struct AdminToken: Sendable, Equatable {
    /// The token: 64 lower-case hex digits.
    public let text: String
    /// The file name in the node home.
    public static let fileName = "admin.token"

    /// The token of a home: read, or created on first use.
    public static func ensure(in home: NodeHome) throws(NodeError) -> AdminToken {
        let path = home.adminTokenPath
        if !FileManager.default.fileExists(atPath: path) {
            do {
                try create(at: path)
            } catch .alreadyInitialized {
                // Another process created it meanwhile: read theirs.
            }
        }
        return try load(from: path)
    }

    /// Replaces the token (written beside the file, then renamed over it). A running node reads the file again
    /// when it changes, so the old token stops working at once.
    public static func rotate(in home: NodeHome) throws(NodeError) -> AdminToken {
        let path = home.adminTokenPath, fresh = path + ".new"
        unlink(fresh)
        try create(at: fresh)
        guard rename(fresh, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(fresh)
            throw .io(path: path, reason: reason)
        }
        return try load(from: path)
    }

    /// Reads the file, refusing one others can read or one that is not 64 hex digits.
    public static func load(from path: String) throws(NodeError) -> AdminToken {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .io(path: path, reason: "missing") }
        let mode = UInt32(info.st_mode) & 0o777
        guard mode & 0o077 == 0 else { throw .keyFileTooOpen(path: path, mode: mode) }
        guard let data = FileManager.default.contents(atPath: path), data.count < 4096 else {
            throw .badKeyFile(path: path, reason: "cannot read the file")
        }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.utf8.count == 64, Hex.decode(text) != nil else {
            throw .badKeyFile(path: path, reason: "the admin token is not 64 hex digits")
        }
        return AdminToken(text: text.lowercased())
    }

    static func create(at path: String) throws(NodeError) {
        try SecretFile.create(SecureRandom.bytes(32), header: nil, at: path)
    }

    /// Whether an `Authorization` header value is `Bearer <this token>` (constant-time in the token).
    public func authorizes(_ header: String?) -> Bool {
        guard let header else { return false }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return false }
        return constantTimeEquals(text, parts[1].trimmingCharacters(in: .whitespaces))
    }
}

extension NodeHome {
    /// The admin token file.
    public var adminTokenPath: String { url.appendingPathComponent(AdminToken.fileName).path }
}
