import FakeXServer
import Foundation
import RoostCore
import RoostTwitter
import Testing

@Suite(.serialized) struct XAPIClientTests {
    @Test func listsEveryMentionAcrossPagesThrough429And503AndACutConnection() async throws {
        let fake = try await FakeX.start(pageSize: 3)
        defer { Task { await fake.server.stop() } }
        var posted: [String] = []
        for n in 1...11 {
            posted.append(await fake.state.tweet(from: customer(n), text: "@acmecare order \(n) never arrived").id)
        }
        await fake.state.tweet(from: customer(99), text: "not a mention at all")
        await fake.state.inject(.rateLimit(resetInSeconds: 7), on: "/2/users/mentions")
        await fake.state.inject(.unavailable, on: "/2/users/mentions")
        await fake.state.inject(.cut, on: "/2/users/mentions")
        let client = try fake.client()

        let tweets = try await client.mentions(sinceID: nil)

        #expect(tweets.map(\.id) == posted)  // all 11, oldest first, none twice, the non-mention left out
        #expect(await fake.state.pendingFaults == 0)
        let waits = await fake.sleeper.log.waits
        // One wait for the reset (7 s ahead + 1 s margin, less the time the test took), two jittered backoffs.
        // (The reset is in wall-clock seconds: under load the test may take seconds to get there, so the
        // reset wait is only known to lie between the 1 s margin and 8 s.)
        #expect(waits.count == 3)
        #expect(waits.filter { $0 == 250 || $0 == 500 }.sorted() == [250, 500])
        let resetWaits = waits.filter { $0 != 250 && $0 != 500 }
        #expect(resetWaits.count == 1 && resetWaits.allSatisfy { (1_000...8_000).contains($0) }, "\(waits)")
        let mentions = await fake.state.requests.filter { $0.contains("/mentions") }.count
        #expect(mentions == 4 + 3)  // four pages, three of them asked again after a fault
        let rate = await client.rateLimitStates()["GET /2/users/:id/mentions"]
        #expect(rate?.throttled == 1)
        #expect(rate?.remaining != nil && rate?.limit == 450)
        #expect(tweets.first?.author?.username == "customer1")
    }

    @Test func sinceIDReadsOnlyNewerMentions() async throws {
        let fake = try await FakeX.start(pageSize: 2)
        defer { Task { await fake.server.stop() } }
        let old = await fake.state.tweet(from: customer(1), text: "@acmecare first")
        let new = await fake.state.tweet(from: customer(2), text: "@acmecare second")
        let tweets = try await fake.client().mentions(sinceID: old.id)
        #expect(tweets.map(\.id) == [new.id])
    }

    @Test func givesUpAfterMaxAttemptsWithUnavailable() async throws {
        let fake = try await FakeX.start()
        defer { Task { await fake.server.stop() } }
        for _ in 0..<5 { await fake.state.inject(.unavailable, on: "/2/users/mentions") }
        do {
            _ = try await fake.client().mentions(sinceID: nil)
            Issue.record("expected unavailable")
        } catch let error as XAPIError {
            guard case let .unavailable(_, attempts, _) = error else { Issue.record("got \(error)"); return }
            #expect(attempts == XAPILimits.standard.maxAttempts)
        }
        #expect(await fake.sleeper.log.waits == [250, 500, 1_000, 2_000])
    }

    @Test func postIsNotRetriedAfterAnUnknownOutcome() async throws {
        let fake = try await FakeX.start()
        defer { Task { await fake.server.stop() } }
        let root = await fake.state.tweet(from: customer(1), text: "@acmecare help")
        await fake.state.inject(.acceptThenUnavailable, on: "/2/tweets")
        do {
            _ = try await fake.client().postTweet("@customer1 on it ^AL", inReplyTo: root.id)
            Issue.record("expected uncertain")
        } catch let error as XAPIError {
            guard case .uncertain = error else { Issue.record("got \(error)"); return }
        }
        #expect(await fake.state.created.count == 1)  // X took it once; the client did not try again
    }

    @Test func credentialsFileMustBeOwnerOnly() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("x-token-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("# brand token\nbearer_token=abc123\n".utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        #expect(throws: XAPIError.self) { try XCredentials.bearerToken(file: path, environment: [:]) }
        do {
            _ = try XCredentials.bearerToken(file: path, environment: [:])
        } catch {
            #expect(error.description.contains("644") && !error.description.contains("abc123"))
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        #expect(try XCredentials.bearerToken(file: path, environment: [:]) == "abc123")
        #expect(try XCredentials.bearerToken(file: nil, environment: [XCredentials.environmentVariable: "envtoken"]) == "envtoken")
        #expect(throws: XAPIError.self) { try XCredentials.bearerToken(file: nil, environment: [:]) }
    }
}
