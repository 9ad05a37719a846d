import FakeXServer
import Foundation
import RoostCore
import RoostNode
import RoostStore
import RoostTwitter
import Testing

/// A gateway node and two agents, with the handle assigned to the gateway.
struct Team {
    let gw: GatewayTestNode
    let ana: GatewayTestNode
    let kenji: GatewayTestNode

    init() throws {
        gw = try GatewayTestNode(name: "Gateway Lisbon", initials: "GW")
        ana = try GatewayTestNode(name: "Ana Lopez", initials: "AL")
        kenji = try GatewayTestNode(name: "Kenji Sato", initials: "KS")
        _ = try gw.desk(at: realNow()).assignGateway(username: "acmecare", xUserID: brand.id, member: gw.node.id.text)
        try sync()
    }

    /// Everyone gets everything.
    func sync() throws {
        try gw.pull(from: ana, kenji)
        try ana.pull(from: gw, kenji)
        try kenji.pull(from: gw, ana)
    }

    func cleanup() { gw.cleanup(); ana.cleanup(); kenji.cleanup() }
}

func messageIDs(_ node: GatewayTestNode, ticket: String) throws -> [String] {
    try node.node.store.desk.thread(ticket).map(\.id)
}

func outbox(_ node: GatewayTestNode, _ id: String) throws -> OutboxRow? {
    try node.node.store.outbox.rows().first { $0.id == id }
}

@Suite(.serialized) struct GatewayTests {
    @Test func everyTweetIsIngestedOnceWithItsThread() async throws {
        let fake = try await FakeX.start(pageSize: 2)
        defer { Task { await fake.server.stop() } }
        let team = try Team()
        defer { team.cleanup() }
        let state = fake.state
        let a = await state.tweet(from: customer(1), text: "@acmecare my router blinks red since 7am")
        let b = await state.tweet(from: customer(2), text: "@customer1 @acmecare same here in Porto", inReplyTo: a.id)
        // A thread whose root does not mention the brand: the gateway must fetch the root by search.
        let root = await state.tweet(from: customer(3), text: "my bill doubled this month?!")
        let c = await state.tweet(from: customer(3), text: "@acmecare see above, please explain", inReplyTo: root.id)
        let dm = await state.directMessage(from: customer(4), text: "hi, my account number is 1234")

        let first = try await fake.gateway(team.gw).poll()
        #expect(first.mentions == 3 && first.dms == 1 && first.threadLookups == 1)
        #expect(first.ingested.messages == 5 && first.ingested.tickets == 3 && first.ingested.duplicates == 0)
        #expect(try messageIDs(team.gw, ticket: "p" + a.id) == [a.id, b.id])
        #expect(try messageIDs(team.gw, ticket: "p" + root.id) == [root.id, c.id])
        #expect(try messageIDs(team.gw, ticket: "d" + dm.conversationID) == ["dm" + dm.id])
        // The DM's sender profile comes from `includes.users` of the DM events.
        let profile = try team.gw.desk(at: realNow()).customer(customer(4).id)
        #expect(profile.handle == "customer4" && profile.name == "Customer 4" && profile.followers == 40)

        // New traffic, served through a 429, a cut connection and a 503: nothing lost, nothing twice.
        var later: [String] = []
        for n in 5...9 { later.append(await state.tweet(from: customer(n), text: "@acmecare outage in Lisbon? #\(n)").id) }
        let reply = await state.tweet(from: customer(1), text: "@acmecare still red", inReplyTo: b.id)
        await state.inject(.rateLimit(resetInSeconds: 2), on: "/2/users/mentions")
        await state.inject(.cut, on: "/2/users/mentions")
        await state.inject(.unavailable, on: "/2/dm_events")
        let second = try await fake.gateway(team.gw).poll()
        #expect(await state.pendingFaults == 0)
        #expect(second.mentions == 6 && second.threadLookups == 0)
        #expect(second.ingested.messages == 6 && second.ingested.duplicates == 0)
        #expect(try messageIDs(team.gw, ticket: "p" + a.id) == [a.id, b.id, reply.id])
        for id in later { #expect(try messageIDs(team.gw, ticket: "p" + id) == [id]) }

        let third = try await fake.gateway(team.gw).poll()
        #expect(third.mentions == 0 && third.dms == 0 && third.ingested.messages == 0)
        // Every tweet and DM the fake holds is exactly one message.
        let tweets = await state.tweets
        var counted = 0
        for ticket in Set(tweets.map { "p" + $0.conversationID }) { counted += try messageIDs(team.gw, ticket: ticket).count }
        counted += try messageIDs(team.gw, ticket: "d" + dm.conversationID).count
        #expect(counted == tweets.count + 1)
        let handle = try team.gw.desk(at: realNow()).gatewayHandle("acmecare")
        #expect(handle.mentionsCursor == reply.id && handle.dmsCursor == dm.id)
    }

    @Test func aReplyIsPostedOnceEvenWhenTheGatewayCrashesBetweenPostingAndPosted() async throws {
        let fake = try await FakeX.start()
        defer { Task { await fake.server.stop() } }
        let team = try Team()
        defer { team.cleanup() }
        let mention = await fake.state.tweet(from: customer(1), text: "@acmecare no signal in Lisbon")
        _ = try await fake.gateway(team.gw).poll()
        try team.sync()
        let draft = try team.ana.desk(at: realNow()).reply("p" + mention.id, text: "Sorry! Checking the Lisbon cells now")
        try team.gw.pull(from: team.ana)

        let crashing = try fake.gateway(team.gw, hooks: GatewayHooks(afterPostingCommitted: { _ in }, afterPost: { _ in throw SimulatedCrash() }))
        await #expect(throws: GatewayError.crashed("after X accepted the post")) { _ = try await crashing.drain() }
        #expect(await fake.state.created.count == 1)
        #expect(try outbox(team.gw, draft.messageID)?.state == .posting)

        // Restarted at once, the gateway waits for X's search to catch up rather than guess.
        let early = try await fake.gateway(team.gw).drain()
        #expect(early.deferred == 1 && early.posted == 0 && early.recovered == 0)
        // Later, the restarted gateway finds the reply on X and does not post it again.
        let later = realNow() + 60_000
        let restarted = try await fake.gateway(team.gw, at: later).drain()
        #expect(restarted.recovered == 1 && restarted.posted == 0)
        let posted = await fake.state.brandTweets
        #expect(posted.count == 1 && posted[0].repliedToID == mention.id && posted[0].text == draft.text)
        let row = try outbox(team.gw, draft.messageID)
        #expect(row?.state == .posted && row?.xID == posted[0].id)
        #expect(try await fake.gateway(team.gw, at: later).drain() == XGateway.DrainReport())
        #expect(await fake.state.created.count == 1)
        // One POST reached X at all (X's duplicate-content check would hide a second attempt from `created`).
        #expect(await fake.state.requests.filter { $0 == "POST /2/tweets" }.count == 1)

        // Agents see it posted; the posted tweet is not ingested back as a new message.
        try team.ana.pull(from: team.gw)
        #expect(try outbox(team.ana, draft.messageID)?.state == .posted)
        await fake.state.tweet(from: customer(1), text: "@acmecare thanks, back now", inReplyTo: posted[0].id)
        _ = try await fake.gateway(team.gw).poll()
        #expect(try messageIDs(team.gw, ticket: "p" + mention.id).count == 3)
    }

    @Test func aCrashBeforeThePostOrAnUnknownOutcomePostsExactlyOnce() async throws {
        let fake = try await FakeX.start()
        defer { Task { await fake.server.stop() } }
        let team = try Team()
        defer { team.cleanup() }
        let m1 = await fake.state.tweet(from: customer(1), text: "@acmecare charged twice")
        let m2 = await fake.state.tweet(from: customer(2), text: "@acmecare app crashes on login")
        let dm = await fake.state.directMessage(from: customer(3), text: "can you check my order?")
        _ = try await fake.gateway(team.gw).poll()
        try team.sync()
        let r1 = try team.ana.desk(at: realNow()).reply("p" + m1.id, text: "Refund is on its way")
        try team.gw.pull(from: team.ana)

        // Crash after `posting` is committed, before the POST: the restart checks X, finds nothing, posts once.
        let crashing = try fake.gateway(team.gw, hooks: GatewayHooks(afterPostingCommitted: { _ in throw SimulatedCrash() }, afterPost: { _ in }))
        await #expect(throws: GatewayError.crashed("after posting was committed")) { _ = try await crashing.drain() }
        #expect(await fake.state.created.isEmpty)
        let first = try await fake.gateway(team.gw, at: realNow() + 60_000).drain()
        #expect(first.posted == 1 && first.recovered == 0)
        #expect(await fake.state.created == [r1.text])

        // X takes the post but answers 503: the outcome is unknown, the next drain finds it instead of posting.
        let r2 = try team.kenji.desk(at: realNow()).reply("p" + m2.id, text: "Please update to 4.2")
        let r3 = try team.kenji.desk(at: realNow()).reply("d" + dm.conversationID, text: "Sure, DM me the order number")
        try team.gw.pull(from: team.kenji)
        await fake.state.inject(.acceptThenUnavailable, on: "/2/tweets")
        let uncertain = try await fake.gateway(team.gw).drain()
        #expect(uncertain.deferred == 1 && uncertain.posted == 0)
        #expect(try outbox(team.gw, r2.messageID)?.state == .posting)
        #expect(try outbox(team.gw, r2.messageID)?.reason?.contains("outcome unknown") == true)
        let next = try await fake.gateway(team.gw, at: realNow() + 60_000).drain()
        #expect(next.recovered == 1 && next.posted == 1)  // r2 found on X; the DM r3 posted
        #expect(await fake.state.created == [r1.text, r2.text, r3.text])
        #expect(await fake.state.requests.filter { $0 == "POST /2/tweets" }.count == 2)  // r1 once, r2 once
        #expect(await fake.state.brandDMs.map(\.text) == [r3.text])
        #expect(try outbox(team.gw, r3.messageID)?.xID?.hasPrefix("dm") == true)
        // The brand's DM comes back in dm_events: it is not ingested as a second message.
        _ = try await fake.gateway(team.gw).poll()
        #expect(try messageIDs(team.gw, ticket: "d" + dm.conversationID) == ["dm" + dm.id, r3.messageID])
    }

    @Test func theSendTimeGuardHoldsADraftOvertakenByAnotherReply() async throws {
        let fake = try await FakeX.start()
        defer { Task { await fake.server.stop() } }
        let team = try Team()
        defer { team.cleanup() }
        let mention = await fake.state.tweet(from: customer(1), text: "@acmecare where is my technician?")
        let t = realNow()
        _ = try await fake.gateway(team.gw, at: t).poll()
        try team.sync()
        let key = "p" + mention.id
        _ = try team.kenji.desk(at: t).claim(key, leaseMinutes: 1)
        let k = try team.kenji.desk(at: t).reply(key, text: "He is 10 minutes away")
        try team.ana.pull(from: team.kenji)
        // Kenji's lease runs out; Ana takes the ticket over and answers.
        let a = try team.ana.desk(at: t + 2 * 60_000).reply(key, text: "Your technician arrives at 3pm")
        try team.gw.pull(from: team.ana, team.kenji)

        let first = try await fake.gateway(team.gw, at: t + 3 * 60_000).drain()
        #expect(first.posted == 1 && first.waiting == 1)  // Ana's posted; Kenji's waits for his claim
        #expect(try outbox(team.gw, k.messageID)?.reason == "waiting: Kenji Sato does not hold the claim on \(key) (Ana Lopez does)")
        #expect(try outbox(team.gw, a.messageID)?.state == .posted)

        // Ana hands the ticket back: Kenji holds it again, but Ana's reply went out after his draft.
        try team.ana.pull(from: team.gw)
        _ = try team.ana.desk(at: t + 4 * 60_000).handoff(key, to: team.kenji.node.id.text)
        try team.gw.pull(from: team.ana)
        let second = try await fake.gateway(team.gw, at: t + 5 * 60_000).drain()
        #expect(second.held == 1 && second.posted == 0)
        #expect(try outbox(team.gw, k.messageID)?.state == .held)
        #expect(try outbox(team.gw, k.messageID)?.reason == "Ana Lopez replied 2 min ago; your draft is held")
        #expect(await fake.state.created == [a.text])

        // Kenji sees why in `roost show`, and sends it anyway.
        try team.kenji.pull(from: team.gw, team.ana)
        let view = try team.kenji.desk(at: t + 6 * 60_000).ticketView(key)
        #expect(view.thread.first { $0.id == k.messageID }?.outboxReason == "Ana Lopez replied 2 min ago; your draft is held")
        #expect(throws: DeskError.self) { _ = try team.ana.desk(at: t + 6 * 60_000).sendAnyway(k.messageID) }  // not Ana's draft
        _ = try team.kenji.desk(at: t + 6 * 60_000).sendAnyway(k.messageID)
        try team.gw.pull(from: team.kenji)
        let third = try await fake.gateway(team.gw, at: t + 7 * 60_000).drain()
        #expect(third.posted == 1)
        #expect(await fake.state.created == [a.text, k.text])
    }

    @Test func failuresAreRecordedWithXsReason() async throws {
        let fake = try await FakeX.start()
        defer { Task { await fake.server.stop() } }
        let team = try Team()
        defer { team.cleanup() }
        let m1 = await fake.state.tweet(from: customer(1), text: "@acmecare one")
        let m2 = await fake.state.tweet(from: customer(1), text: "@acmecare two")
        let m3 = await fake.state.tweet(from: customer(2), text: "@acmecare deleted soon")
        let m4 = await fake.state.tweet(from: customer(3), text: "@acmecare I blocked you")
        _ = try await fake.gateway(team.gw).poll()
        try team.sync()
        let t = realNow()
        let r1 = try team.ana.desk(at: t + 1).reply("p" + m1.id, text: "Thanks for reaching out")
        // The same composed text again: X refuses duplicate content.
        let r2 = try team.ana.desk(at: t + 2).reply("p" + m2.id, text: "Thanks for reaching out")
        let r3 = try team.ana.desk(at: t + 3).reply("p" + m3.id, text: "Looking into it")
        let r4 = try team.ana.desk(at: t + 4).reply("p" + m4.id, text: "Looking into it too")
        let r5 = try team.ana.desk(at: t + 5).reply("p" + m4.id, text: "oops, wrong ticket")
        _ = try team.ana.desk(at: t + 6).discardOutbox(r5.messageID)
        await fake.state.setDeleted(m3.id)
        await fake.state.setBlocked(by: customer(3).id)
        try team.gw.pull(from: team.ana)

        let report = try await fake.gateway(team.gw).drain()
        #expect(report.posted == 1 && report.failed == 3)
        #expect(try outbox(team.gw, r1.messageID)?.state == .posted)
        let reasons = try [r2, r3, r4].map { try outbox(team.gw, $0.messageID) }
        #expect(reasons.allSatisfy { $0?.state == .failed })
        #expect(reasons[0]?.reason == "X refused (403): You are not allowed to create a Tweet with duplicate content.")
        #expect(reasons[1]?.reason?.contains("deleted") == true)
        #expect(reasons[2]?.reason?.contains("not allowed to reply") == true)
        #expect(try outbox(team.gw, r5.messageID)?.state == .discarded)
        #expect(await fake.state.created == [r1.text])
    }

    @Test func aMovedGatewayResumesFromTheCursorAndFinishesAnInterruptedPost() async throws {
        let fake = try await FakeX.start()
        defer { Task { await fake.server.stop() } }
        let team = try Team()
        defer { team.cleanup() }
        let gw2 = try GatewayTestNode(name: "Gateway Tokyo", initials: "GT")
        defer { gw2.cleanup() }
        var first: [String] = []
        for n in 1...4 { first.append(await fake.state.tweet(from: customer(n), text: "@acmecare morning issue \(n)").id) }
        let polled = try await fake.gateway(team.gw).poll()
        #expect(polled.ingested.messages == 4)
        try team.sync()
        let draft = try team.ana.desk(at: realNow()).reply("p" + first[0], text: "On it from Lisbon")
        try team.gw.pull(from: team.ana)
        let crashing = try fake.gateway(team.gw, hooks: GatewayHooks(afterPostingCommitted: { _ in }, afterPost: { _ in throw SimulatedCrash() }))
        await #expect(throws: GatewayError.self) { _ = try await crashing.drain() }

        // Follow the sun: the admin moves the handle to Tokyo.
        try gw2.pull(from: team.gw, team.ana)
        _ = try team.gw.desk(at: realNow()).assignGateway(username: "acmecare", xUserID: nil, member: gw2.node.id.text)
        try gw2.pull(from: team.gw)
        await #expect(throws: GatewayError.notAssigned(handle: "acmecare")) { _ = try await fake.gateway(team.gw).poll() }
        await #expect(throws: GatewayError.notAssigned(handle: "acmecare")) { _ = try await fake.gateway(team.gw).drain() }

        var second: [String] = []
        for n in 5...7 { second.append(await fake.state.tweet(from: customer(n), text: "@acmecare evening issue \(n)").id) }
        let resumed = try await fake.gateway(gw2).poll()
        #expect(resumed.mentions == 3 && resumed.ingested.messages == 3 && resumed.ingested.duplicates == 0)
        for id in first + second { #expect(try messageIDs(gw2, ticket: "p" + id).first == id) }
        let drained = try await fake.gateway(gw2, at: realNow() + 60_000).drain()
        #expect(drained.recovered == 1 && drained.posted == 0)
        #expect(await fake.state.created == [draft.text])
        #expect(await fake.state.requests.filter { $0 == "POST /2/tweets" }.count == 1)
        #expect(try gw2.desk(at: realNow()).gatewayHandle("acmecare").mentionsCursor == second.last)
    }
}

extension GatewayTests {
    @Test func aReplyWithALinkIsRecognisedOnXAfterACrashThoughXShortenedTheLink() async throws {
        let fake = try await FakeX.start()
        defer { Task { await fake.server.stop() } }
        let team = try Team()
        defer { team.cleanup() }
        let mention = await fake.state.tweet(from: customer(1), text: "@acmecare is there an outage in Porto?")
        _ = try await fake.gateway(team.gw).poll()
        try team.sync()
        let text = "Yes, see https://status.acmecare.example/porto?region=north  for updates"
        let draft = try team.ana.desk(at: realNow()).reply("p" + mention.id, text: text)
        try team.gw.pull(from: team.ana)

        let crashing = try fake.gateway(team.gw, hooks: GatewayHooks(afterPostingCommitted: { _ in }, afterPost: { _ in throw SimulatedCrash() }))
        await #expect(throws: GatewayError.crashed("after X accepted the post")) { _ = try await crashing.drain() }
        // Like real X, the fake stored the reply with its link shortened to t.co.
        let onX = await fake.state.brandTweets
        #expect(onX.count == 1 && onX[0].text != text && onX[0].text.contains("https://t.co/"))

        let restarted = try await fake.gateway(team.gw, at: realNow() + 60_000).drain()
        #expect(restarted.recovered == 1 && restarted.posted == 0 && restarted.failed == 0)
        let row = try outbox(team.gw, draft.messageID)
        #expect(row?.state == .posted && row?.xID == onX[0].id)
        #expect(await fake.state.requests.filter { $0 == "POST /2/tweets" }.count == 1)
    }

    @Test func linkNormalisationComparesLinksAsLinksAndNothingElse() {
        #expect(TweetMatch.sameText("see https://a.example/x?y=1 now", "see https://t.co/AbC123xyz0 now"))
        #expect(TweetMatch.sameText("  see  example.com/path\n", "see https://t.co/q"))
        #expect(!TweetMatch.sameText("see https://a.example/x now", "see https://t.co/abc later"))
        #expect(!TweetMatch.sameText("two https://a.example https://b.example", "two https://t.co/a"))
        #expect(TweetMatch.sameText("no links at all", "no links at all"))
    }
}
