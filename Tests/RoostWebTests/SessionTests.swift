import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Logging
import Testing
import RoostCore
import RoostNode
@testable import RoostWeb

/// A wall clock the test moves.
final class SteppedClock: WallClock, @unchecked Sendable {
    private let lock = NSLock()
    private var millis: UInt64
    init(millis: UInt64) { self.millis = millis }
    func nowMillis() -> UInt64 { lock.withLock { millis } }
    func advance(seconds: UInt64) { lock.withLock { millis += seconds * 1000 } }
}

/// Browser sign-in: one-time codes, server-side sessions, logout, token rotation, and the Host check.
@Suite(.serialized) struct SessionTests {
    @Test func aLoginCodeWorksOnceAndGivesAStrictHttpOnlySession() async throws {
        let f = try WebFixture(sample: false)
        defer { f.cleanup() }
        try await f.application().test(.live) { client in
            let code = try f.loginCode()
            let cookie = try await client.execute(uri: "/login?code=\(code)", method: .get) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/")
                let setCookie = try #require(response.headers[.setCookie])
                #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/"))
                let value = String(setCookie.split(separator: ";")[0].split(separator: "=")[1])
                #expect(value.count == 64 && value != code && value != f.token.text)
                return String(setCookie.split(separator: ";")[0])
            }
            try await client.execute(uri: "/api/v1/inbox", method: .get, headers: [.cookie: cookie]) { response in
                #expect(response.status == .ok)
            }
            // The same code again: refused, no cookie.
            try await client.execute(uri: "/login?code=\(code)", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.setCookie] == nil)
                #expect(String(buffer: response.body).contains("already used or has expired"))
            }
            // The API token in a URL no longer signs in.
            try await client.execute(uri: "/login?token=\(f.token.text)", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.setCookie] == nil)
            }
            #expect(f.web.sessions.count == 1)
        }
    }

    @Test func anExpiredCodeIsRefused() async throws {
        let f = try WebFixture(sample: false)
        defer { f.cleanup() }
        let now = SystemClock().nowMillis()
        let stale = try LoginCode.issue(in: f.node.home, nowMillis: now - SignInLimits.loginCodeSeconds * 1000 - 1)
        try await f.application().test(.live) { client in
            try await client.execute(uri: "/login?code=\(stale)", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.setCookie] == nil)
            }
        }
        // At the edge: valid just before the expiry, not at it; a malformed code is simply refused.
        let issued: UInt64 = 1_000_000
        let early = try LoginCode.issue(in: f.node.home, nowMillis: issued)
        #expect(LoginCode.redeem(early, in: f.node.home, nowMillis: issued + SignInLimits.loginCodeSeconds * 1000 - 1))
        let late = try LoginCode.issue(in: f.node.home, nowMillis: issued)
        #expect(!LoginCode.redeem(late, in: f.node.home, nowMillis: issued + SignInLimits.loginCodeSeconds * 1000))
        #expect(!LoginCode.redeem("../api.token", in: f.node.home, nowMillis: issued))
    }

    @Test func logoutEndsTheSession() async throws {
        let f = try WebFixture(sample: false)
        defer { f.cleanup() }
        try await f.application().test(.live) { client in
            let cookie = try await f.signIn(client)
            try await client.execute(uri: "/inbox", method: .get, headers: [.cookie: cookie]) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("action=\"/logout\""))
            }
            try await client.execute(uri: "/logout", method: .post, headers: [.cookie: cookie]) { response in
                #expect(response.status == .ok)
                let cleared = try #require(response.headers[.setCookie])
                #expect(cleared.contains("Max-Age=0"))
            }
            try await client.execute(uri: "/api/v1/inbox", method: .get, headers: [.cookie: cookie]) { response in
                #expect(response.status == .unauthorized)
            }
            // Logout is a write: refused cross-site like the others.
            let other = try await f.signIn(client)
            try await client.execute(uri: "/logout", method: .post, headers: [.cookie: other, .origin: "http://evil.example"]) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/api/v1/inbox", method: .get, headers: [.cookie: other]) { response in
                #expect(response.status == .ok)
            }
            // A form on a no-referrer page posts with `Origin: null`: accepted only when the browser says same-origin.
            try await client.execute(uri: "/logout", method: .post, headers: [.cookie: other, .origin: "null"]) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/logout", method: .post,
                                     headers: [.cookie: other, .origin: "null", HTTPField.Name("Sec-Fetch-Site")!: "cross-site"]) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/logout", method: .post,
                                     headers: [.cookie: other, .origin: "null", HTTPField.Name("Sec-Fetch-Site")!: "same-origin"]) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func rotatingTheTokenEndsEverySessionAndTheNewBearerWorks() async throws {
        let f = try WebFixture(sample: false)
        defer { f.cleanup() }
        try await f.application().test(.live) { client in
            let cookie = try await f.signIn(client)
            let pending = try f.loginCode()
            try await client.execute(uri: "/api/v1/inbox", method: .get, headers: f.bearer) { response in
                #expect(response.status == .ok)
            }
            let fresh = try APIToken.rotate(in: f.node.home)
            #expect(fresh != f.token)
            try await client.execute(uri: "/api/v1/inbox", method: .get, headers: [.cookie: cookie]) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/api/v1/inbox", method: .get, headers: f.bearer) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/api/v1/inbox", method: .get, headers: [.authorization: "Bearer \(fresh.text)"]) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/login?code=\(pending)", method: .get) { response in
                #expect(response.status == .unauthorized)
            }
            #expect(f.web.sessions.count == 0)
            // A new sign-in after the rotation works.
            let again = try await f.signIn(client)
            try await client.execute(uri: "/api/v1/inbox", method: .get, headers: [.cookie: again]) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func sessionsEndWhenIdleOrTooOld() {
        let clock = SteppedClock(millis: 1_000_000)
        let sessions = WebSessions(clock: clock)
        let idle = sessions.create()
        #expect(sessions.validate(idle))
        clock.advance(seconds: SignInLimits.sessionIdleSeconds)
        #expect(!sessions.validate(idle))

        let busy = sessions.create()
        var elapsed: UInt64 = 0
        // Used every hour it never goes idle, but it ends at the absolute limit.
        while elapsed + 3600 < SignInLimits.sessionAbsoluteSeconds {
            clock.advance(seconds: 3600)
            elapsed += 3600
            #expect(sessions.validate(busy), "after \(elapsed) s")
        }
        clock.advance(seconds: SignInLimits.sessionAbsoluteSeconds - elapsed)
        #expect(!sessions.validate(busy))
        #expect(!sessions.validate("not-a-session"))
        #expect(!sessions.validate(String(repeating: "0", count: 64)))
    }

    @Test func aRequestNamingAnotherHostIsRefused() async throws {
        let f = try WebFixture(sample: false)
        defer { f.cleanup() }
        // The default policy: the config's api address (127.0.0.1:7171); the test client sends `Host: localhost`.
        let web = WebApp(node: f.node, token: f.token, events: WebEventHub(node: f.node, logger: Logger(label: "test")),
                         logger: Logger(label: "test"))
        let app = Application(router: web.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            for uri in ["/login?code=\(try f.loginCode())", "/api/v1/inbox", "/assets/app.js"] {
                try await client.execute(uri: uri, method: .get, headers: f.bearer) { response in
                    #expect(response.status == .misdirectedRequest, "\(uri)")
                    #expect(apiError(response.body)["code"] as? String == "wrong_host")
                    #expect(response.headers[.setCookie] == nil)
                }
            }
        }
        #expect(web.sessions.count == 0)
    }

    @Test func theHostPolicyAcceptsOnlyTheConfiguredAddress() {
        let loopback = WebHostPolicy(api: "127.0.0.1:7171")
        for good in ["127.0.0.1:7171", "localhost:7171", "LOCALHOST:7171", "[::1]:7171"] {
            #expect(loopback.accepts(good), "\(good)")
        }
        for bad in [nil, "", "127.0.0.1", "localhost", "127.0.0.1:7172", "evil.example:7171", "127.0.0.1.evil.example:7171",
                    "[::1]", "127.0.0.1:7171:7171", "127.0.0.2:7171"] {
            #expect(!loopback.accepts(bad), "\(bad ?? "nil")")
        }
        let picked = WebHostPolicy(api: "127.0.0.1:0")
        picked.bind(port: 9123)
        #expect(picked.accepts("127.0.0.1:9123") && !picked.accepts("127.0.0.1:7171"))
        let lan = WebHostPolicy(api: "10.0.0.5:7171")
        #expect(lan.accepts("10.0.0.5:7171"))
        #expect(!lan.accepts("localhost:7171") && !lan.accepts("evil.example:7171"))
    }
}
