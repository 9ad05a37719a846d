import Foundation
import RoostCore
import RoostCrypto

/// The node's local API token: 32 random bytes in `api.token` (mode 0600, written once with O_EXCL, refused when
/// others can read it). The web app and `/api/v1` accept it as `Authorization: Bearer <hex>` or, after opening
/// the URL `roost open` prints, as a session cookie. It is a secret: never logged.
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

    /// Constant-time comparison with what a client sent.
    public func matches(_ candidate: some StringProtocol) -> Bool {
        let a = Array(text.utf8), b = Array(candidate.utf8)
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}

extension NodeHome {
    /// The API token file.
    public var apiTokenPath: String { url.appendingPathComponent(APIToken.fileName).path }
}
