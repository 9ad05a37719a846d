import FakeXServer
import Foundation
import RoostCore
import RoostNode
import RoostStore
import RoostTwitter
import Testing

/// Tweets their authors deleted on X are erased on every node (issue 14).
@Suite(.serialized) struct GatewayDeletionTests {
    @Test func aTweetDeletedOnXIsErasedEverywhere() async throws {
        let fake = try await FakeX.start(pageSize: 5)
        defer { Task { await fake.server.stop() } }
        let team = try Team()
        defer { team.cleanup() }
        let state = fake.state
        let kept = await state.tweet(from: customer(1), text: "@acmecare router blinks red, Quokkaberry street")
        let deleted = await state.tweet(from: customer(2), text: "@acmecare my number is 07700900123 call me")
        _ = try await fake.gateway(team.gw).poll()
        try team.sync()
        #expect(try await fake.gateway(team.gw).sweepDeletions() == 0, "nothing deleted yet")

        await state.setDeleted(deleted.id)
        #expect(try await fake.client().deletedTweets(among: [kept.id, deleted.id]) == [deleted.id])
        #expect(try await fake.gateway(team.gw).sweepDeletions() == 1)
        try team.sync()
        for node in [team.gw, team.ana, team.kenji] {
            #expect(try node.node.store.desk.thread("p" + deleted.id).map(\.text) == [Redaction.erasedText])
            #expect(try node.node.store.desk.thread("p" + kept.id).map(\.text).first?.contains("Quokkaberry") == true)
            #expect(try node.node.store.erasures.records().map(\.reason) == [ErasureSchema.deletedOnXReason])
            #expect(try node.node.store.verify().isOK)
        }
        // The next sweep does not ask about the erased tweet again, and finds nothing new.
        #expect(try team.gw.node.store.erasures.recentInboundTweetIDs(sinceMillis: 0, limit: 100) == [kept.id])
        #expect(try await fake.gateway(team.gw).sweepDeletions() == 0)
        #expect(await state.requests.contains("GET /2/tweets"))
    }
}
