import Foundation
import RoostCore
import RoostCrypto

/// One-time login codes: what the URL printed by `roost open` carries instead of the API token.
///
/// `roost open` works whether or not `roost run` is up: it writes the code into the home, in
/// `login-codes/<hash>` (directory 0700, file 0600, created with O_EXCL). The file is named by the BLAKE2b hash of
/// the code, so the code itself is never stored, and holds its expiry (Unix milliseconds). The web app redeems a
/// code by deleting that file: only the first request whose unlink succeeds wins, so a code works once, and not
/// after ``SignInLimits/loginCodeSeconds``. `roost token rotate` removes every pending code.
public enum LoginCode {
    /// The folder in the node home.
    public static let folderName = "login-codes"

    /// Issues a new code valid for ``SignInLimits/loginCodeSeconds`` from `nowMillis`; returns it (64 hex digits).
    public static func issue(in home: NodeHome, nowMillis: UInt64) throws(NodeError) -> String {
        let folder = home.loginCodesPath
        if mkdir(folder, 0o700) != 0 && errno != EEXIST {
            throw .io(path: folder, reason: String(cString: strerror(errno)))
        }
        sweep(in: home, nowMillis: nowMillis)
        let code = Hex.encode(SecureRandom.bytes(32))
        let path = folder + "/" + fileName(for: code)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw .io(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        let text = Array("\(nowMillis + SignInLimits.loginCodeSeconds * 1000)\n".utf8)
        let written = text.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == text.count else { throw .io(path: path, reason: "could not write the login code") }
        return code
    }

    /// Redeems a code: true once, for a code issued in this home that has not expired; false otherwise (unknown,
    /// already used, expired, or not 64 hex digits). The code is used up either way.
    public static func redeem(_ code: String, in home: NodeHome, nowMillis: UInt64) -> Bool {
        guard code.utf8.count == 64, Hex.decode(code) != nil else { return false }
        let path = home.loginCodesPath + "/" + fileName(for: code.lowercased())
        guard let data = FileManager.default.contents(atPath: path) else { return false }
        guard unlink(path) == 0 else { return false }  // someone else redeemed it meanwhile
        guard let expiry = UInt64(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            return false
        }
        return nowMillis < expiry
    }

    /// Removes every pending code (`roost token rotate`).
    public static func removeAll(in home: NodeHome) {
        let folder = home.loginCodesPath
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            unlink(folder + "/" + name)
        }
    }

    /// Removes expired codes, and the oldest ones past ``SignInLimits/maxPendingCodes``.
    static func sweep(in home: NodeHome, nowMillis: UInt64) {
        let folder = home.loginCodesPath
        var pending: [(path: String, expiry: UInt64)] = []
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
            let path = folder + "/" + name
            let expiry = FileManager.default.contents(atPath: path)
                .flatMap { UInt64(String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
            if expiry <= nowMillis { unlink(path) } else { pending.append((path, expiry)) }
        }
        pending.sort { $0.expiry < $1.expiry }
        for stale in pending.dropLast(SignInLimits.maxPendingCodes - 1) { unlink(stale.path) }
    }

    static func fileName(for code: String) -> String {
        Hex.encode(Blake2b.hash256(Array("roost-login-code-v1\u{0}\(code)".utf8)))
    }
}

extension NodeHome {
    /// The folder of pending login codes.
    public var loginCodesPath: String { url.appendingPathComponent(LoginCode.folderName).path }
}
