import Foundation
import RoostCore
import RoostCrypto

/// The node's local API token: 32 random bytes in `api.token` (mode 0600, written with O_EXCL, refused when
/// others can read it). `/api/v1` and the web app accept it as `Authorization: Bearer <hex>` (for scripts);
/// browsers sign in with a one-time ``LoginCode`` instead and get a server-side session. `roost token rotate`
/// replaces it (``rotate(in:)``), which also ends every web session of a running node. It is a secret: never
/// logged.
public struct APIToken: Sendable, Equatable {
    /// The token as sent by clients: 64 lower-case hex digits.
    public let text: String

    static let header = "roost-api-token-v1"
    /// The file name in the node home.
    public static let fileName = "api.token"

    /// The token of a home: read, or created on first use (homes made before the web app get one on `roost run`).
    public static func ensure(in home: NodeHome) throws(NodeError) -> APIToken {
        let path = home.apiTokenPath
        if !FileManager.default.fileExists(atPath: path) {
            do {
                try SecretFile.create(SecureRandom.bytes(32), header: header, at: path)
            } catch .alreadyInitialized {
                // Another process created it meanwhile: read theirs.
            }
        }
        return APIToken(text: Hex.encode(try SecretFile.load(header: header, from: path)))
    }

    /// Replaces the token with a fresh random one (written beside it, then renamed over it, so a reader sees the
    /// old file or the new one, never half of one) and removes pending login codes. A running node notices the
    /// new file on its next request and ends every web session.
    public static func rotate(in home: NodeHome) throws(NodeError) -> APIToken {
        let path = home.apiTokenPath, fresh = path + ".new"
        unlink(fresh)
        try SecretFile.create(SecureRandom.bytes(32), header: header, at: fresh)
        guard rename(fresh, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(fresh)
            throw .io(path: path, reason: reason)
        }
        LoginCode.removeAll(in: home)
        return try ensure(in: home)
    }

    /// Reads the token file as it is now (used by the web app to notice a rotation).
    public static func load(in home: NodeHome) throws(NodeError) -> APIToken {
        APIToken(text: Hex.encode(try SecretFile.load(header: header, from: home.apiTokenPath)))
    }

    /// Constant-time comparison with what a client sent.
    public func matches(_ candidate: some StringProtocol) -> Bool { constantTimeEquals(text, candidate) }
}

extension NodeHome {
    /// The API token file.
    public var apiTokenPath: String { url.appendingPathComponent(APIToken.fileName).path }
}
