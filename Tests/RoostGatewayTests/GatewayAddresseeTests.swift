import FakeXServer
import Foundation
import RoostCore
import RoostNode
import RoostStore
import Testing

/// The gateway posts a reply where the agent addressed it: in reply to the message answered.
@Suite(.serialized) struct GatewayAddresseeTests {
    @Test func aReplyIsPostedInReplyToTheMessageItAnswers() async throws {
        let fake = try await FakeX.start()
        defer { Task { await fake.server.stop() } }
        let team = try Team()
        defer { team.cleanup() }
        // One customer starts the thread, a second one writes the later tweet (like TWCS p348).
        let root = await fake.state.tweet(from: customer(1), text: "@acmecare is the app down?")
        let later = await fake.state.tweet(from: customer(2), text: "@acmecare down for me too", inReplyTo: root.id)
        _ = try await fake.gateway(team.gw).poll()
        try team.sync()

        let draft = try team.ana.desk(at: realNow()).reply("p" + root.id, text: "Fixing it now")
        #expect(draft.text == "@customer2 Fixing it now ^AL" && draft.inReplyTo == later.id && draft.claimed)
        try team.gw.pull(from: team.ana)
        let report = try await fake.gateway(team.gw).drain()
        #expect(report.posted == 1)
        let posted = await fake.state.brandTweets
        #expect(posted.count == 1 && posted[0].repliedToID == later.id && posted[0].text == draft.text)

        // The agent picks the first customer: the reply goes in reply to that customer's tweet.
        try team.ana.pull(from: team.gw)
        let toRoot = try team.ana.desk(at: realNow() + 60_000).reply("p" + root.id, text: "You too", to: "@customer1")
        #expect(toRoot.text == "@customer1 You too ^AL" && toRoot.inReplyTo == root.id && !toRoot.claimed)
        try team.gw.pull(from: team.ana)
        let second = try await fake.gateway(team.gw, at: realNow() + 61_000).drain()
        #expect(second.posted == 1)
        let both = await fake.state.brandTweets
        #expect(both.count == 2 && both[1].repliedToID == root.id && both[1].text == toRoot.text)
    }
}
