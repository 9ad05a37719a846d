import Foundation
import Testing
import RoostNode
@testable import RoostWeb

@Suite struct WebServerTests {
    @Test func addressesParseAndLoopbackIsRecognized() throws {
        #expect(try WebServer.parseAddress("127.0.0.1:7171") == ("127.0.0.1", 7171))
        #expect(try WebServer.parseAddress("[::1]:8080") == ("::1", 8080))
        for bad in ["7171", "localhost:", ":7171", "host:99999", "host:port"] {
            #expect(throws: NodeError.self, "\(bad)") { try WebServer.parseAddress(bad) }
        }
        #expect(WebServer.isLoopback("127.0.0.1") && WebServer.isLoopback("localhost") && WebServer.isLoopback("::1"))
        #expect(!WebServer.isLoopback("0.0.0.0") && !WebServer.isLoopback("192.168.1.4"))
    }

    @Test func initCreatesAPrivateTokenAndOpenPrintsTheSignInURL() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("roost-open-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        #expect(try roost(["init", "--name", "Ana Lopez", "--initials", "AL"], home: home).status == 0)
        let path = home.appendingPathComponent("api.token").path
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let token = try APIToken.ensure(in: NodeHome(path: home.path))
        #expect(token.text.count == 64 && token.text.allSatisfy(\.isHexDigit))
        let opened = try roost(["open"], home: home)
        #expect(opened.status == 0)
        // The link carries a one-time code, not the token.
        #expect(!opened.stdout.contains(token.text))
        let url = try #require(opened.stdout.split(separator: "\n").last?.trimmingCharacters(in: .whitespaces))
        #expect(url.hasPrefix("http://127.0.0.1:7171/login?code="))
        let code = String(url.dropFirst("http://127.0.0.1:7171/login?code=".count))
        #expect(code.count == 64 && code.allSatisfy(\.isHexDigit))
        // The home holds the code's hash only, in a private file.
        let codes = try FileManager.default.contentsOfDirectory(atPath: home.appendingPathComponent("login-codes").path)
        #expect(codes.count == 1 && !codes.contains(code))
        let codeMode = try FileManager.default.attributesOfItem(atPath: home.appendingPathComponent("login-codes/\(codes[0])").path)[.posixPermissions] as? Int
        #expect(codeMode == 0o600)
        #expect(LoginCode.redeem(code, in: NodeHome(path: home.path), nowMillis: SystemClock().nowMillis()))

        // A home made before the web app (no api.token) gets one from `open` (and from `run`).
        try FileManager.default.removeItem(atPath: path)
        let again = try roost(["open", "--json"], home: home)
        #expect(again.status == 0 && again.stdout.contains("login?code="))
        let fresh = try APIToken.ensure(in: NodeHome(path: home.path))
        #expect(fresh != token)

        // `roost token rotate` replaces it (still 0600) and drops pending codes.
        let pending = try roost(["open"], home: home)
        #expect(pending.status == 0)
        let rotated = try roost(["token", "rotate"], home: home)
        #expect(rotated.status == 0, "\(rotated.stderr)")
        let third = try APIToken.ensure(in: NodeHome(path: home.path))
        #expect(third != fresh)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: home.appendingPathComponent("login-codes").path).isEmpty)

        // A token file others can read is refused, like the identity key.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        let refused = try roost(["open"], home: home)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("readable by other users"))
    }

    @Test func aNonLoopbackAddressIsShownAsLoopbackInTheURL() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("roost-token-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let token = try APIToken.ensure(in: NodeHome(path: folder.path))
        #expect(try APIToken.ensure(in: NodeHome(path: folder.path)) == token)  // read back, not replaced
        let code = String(repeating: "ab", count: 32)
        #expect(try WebServer.loginURL(api: "0.0.0.0:9000", code: code) == "http://127.0.0.1:9000/login?code=\(code)")
        #expect(try WebServer.loginURL(api: "[::1]:9000", code: code) == "http://[::1]:9000/login?code=\(code)")
    }
}
