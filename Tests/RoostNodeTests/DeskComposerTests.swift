import Foundation
import Testing
import RoostCore
import RoostNode
import RoostStore
import RoostTwitter

/// A customer message of ticket `ticket` written by `author` (who need not be the ticket's customer).
func inbound(_ id: String, ticket: String, author: String, customer: String, at millis: UInt64, text: String,
             replyTo: String? = nil, channel: TicketChannel = .public) -> IncomingMessage {
    IncomingMessage(id: id, ticketKey: ticket, channel: channel, conversation: String(ticket.dropFirst()), direction: .inbound,
                    author: author, customer: customer, customerHandle: nil, customerName: nil, followers: nil,
                    verified: nil, brand: "acmecare", text: text, createdMillis: millis, replyTo: replyTo, signature: nil,
                    mentions: ["acmecare"])
}

/// The composer's desk rules: addressee, DM limit, resolve releasing the claim, auto-claim on reply.
@Suite(.serialized) struct DeskComposerTests {
    /// Like TWCS ticket p348: a thread rooted by one customer (115798) where a second customer (115797) wrote
    /// the ten later tweets. Built here, not read from the sample file.
    func p348(_ node: TestNode) throws -> (root: String, later: [String]) {
        var messages = [inbound("9000", ticket: "p9000", author: "115798", customer: "115798", at: t0, text: "@acmecare is it down?")]
        var later: [String] = []
        for i in 1...10 {
            let id = String(9000 + i)
            later.append(id)
            messages.append(inbound(id, ticket: "p9000", author: "115797", customer: "115798", at: t0 + UInt64(i) * minute,
                                    text: "@acmecare still down for me too (\(i))", replyTo: String(9000 + i - 1)))
        }
        var report = IngestReport()
        try node.desk(at: t0).ingest(messages, rules: .empty, report: &report)
        #expect(report.messages == 11)
        return ("9000", later)
    }

    /// The send-time guard lives in the desk, for every front-end: a reply sent `after` a message another member
    /// has since answered is refused, naming who replied; the agent's own replies never trip it.
    @Test func aReplyAfterAnotherMembersReplyIsRefusedNamingThem() throws {
        let ana = try TestNode()
        let kenji = try TestNode(name: "Kenji Sato", initials: "KS")
        defer { ana.cleanup(); kenji.cleanup() }
        let seen = try #require(try p348(ana).later.last)
        let own = try ana.desk(at: t0 + 20 * minute).reply("p9000", text: "Checking")
        let again = try ana.desk(at: t0 + 21 * minute).reply("p9000", text: "Still checking", after: seen)
        _ = try ana.desk(at: t0 + 22 * minute).release("p9000")
        try kenji.pull(from: ana)
        // Kenji read up to Ana's first reply only: her second one stops him.
        #expect(throws: DeskError.repliedFirst(author: "Ana Lopez")) {
            try kenji.desk(at: t0 + 23 * minute).reply("p9000", text: "Fixed now", after: own.messageID)
        }
        let kenjis = try kenji.desk(at: t0 + 23 * minute).reply("p9000", text: "Fixed now", after: again.messageID)
        try ana.pull(from: kenji)
        let refusal = #expect(throws: DeskError.repliedFirst(author: "Kenji Sato")) {
            try ana.desk(at: t0 + 24 * minute).reply("p9000", text: "Anything else?", after: seen)
        }
        #expect(refusal?.description == "Kenji Sato replied after the last message you saw; send anyway?")
        // Having read Kenji's reply, Ana passes the guard and meets his claim; an unknown id guards nothing.
        #expect(throws: DeskError.claimedByOther(ticket: "p9000", holder: "Kenji Sato", sinceMillis: t0 + 23 * minute)) {
            try ana.desk(at: t0 + 24 * minute).reply("p9000", text: "Anything else?", after: kenjis.messageID)
        }
        #expect(throws: Never.self) { try ana.desk(at: t0 + 24 * minute).requireNobodyRepliedSince("p9000", seen: "no-such-id") }
    }

    @Test func aReplyAnswersTheLatestCustomerMessageAndIsAddressedToItsAuthor() throws {
        let ana = try TestNode()
        defer { ana.cleanup() }
        let thread = try p348(ana)
        let at = t0 + 20 * minute
        let target = try ana.desk(at: at).replyTarget("p9000")
        #expect(target.addressee?.id == "115797" && target.addressee?.handle == "115797")
        #expect(target.inReplyTo == thread.later.last)
        #expect(target.participants.map(\.id) == ["115798", "115797"])

        let reply = try ana.desk(at: at).reply("p9000", text: "Sorry, checking")
        #expect(reply.text == "@115797 Sorry, checking ^AL")
        #expect(reply.to == "115797" && reply.inReplyTo == thread.later.last)
        let queued = try #require(try ana.node.store.outbox.rows().first { $0.id == reply.messageID })
        #expect(queued.replyTo == thread.later.last && queued.to == "115797")

        // The agent picks the root's author instead: the reply answers that author's latest message.
        let toRoot = try ana.desk(at: at + 1).reply("p9000", text: "And you?", to: "@115798")
        #expect(toRoot.text == "@115798 And you? ^AL" && toRoot.inReplyTo == thread.root && toRoot.to == "115798")
        // Or a message: addressed to its author.
        let middle = thread.later[3]
        let toMiddle = try ana.desk(at: at + 2).reply("p9000", text: "About this one", inReplyTo: middle)
        #expect(toMiddle.text == "@115797 About this one ^AL" && toMiddle.inReplyTo == middle)
        // A draft computes the same target without writing anything.
        let before = try ana.node.store.opCount()
        let draft = try ana.desk(at: at).draftReply("p9000", text: "x", to: "115798")
        #expect(draft.composed == "@115798 x ^AL" && draft.target.inReplyTo == thread.root && draft.limit == 280)
        #expect(try ana.node.store.opCount() == before)

        // Someone who did not write in the thread, a message of another ticket, or our own reply: refused, nothing written.
        #expect(throws: DeskError.self) { try ana.desk(at: at).reply("p9000", text: "hi", to: "@nobody") }
        #expect(throws: DeskError.self) { try ana.desk(at: at).reply("p9000", text: "hi", inReplyTo: "424242") }
        #expect(throws: DeskError.self) { try ana.desk(at: at).reply("p9000", text: "hi", inReplyTo: reply.messageID) }
        #expect(try ana.node.store.opCount() == before)

        // The thread names customers by @handle, not by raw id.
        let view = try ana.desk(at: at).ticketView("p9000")
        #expect(view.thread.first?.authorName == "@115798")
        #expect(view.thread[1].authorName == "@115797" && view.thread[1].authorHandle == "115797")
        #expect(view.thread.last?.authorName == "Ana Lopez")
    }

    @Test func customerNamesShowDisplayNameAndHandle() throws {
        let ana = try TestNode()
        defer { ana.cleanup() }
        var report = IngestReport()
        var message = inbound("77", ticket: "p77", author: "555", customer: "555", at: t0, text: "hello")
        message.customerHandle = "lucy_l"
        message.customerName = "Lucy <b>L</b>"
        try ana.desk(at: t0).ingest([message], rules: .empty, report: &report)
        let view = try ana.desk(at: t0).ticketView("p77")
        #expect(view.thread.first?.authorName == "Lucy <b>L</b> (@lucy_l)")
        #expect(try ana.desk(at: t0).replyTarget("p77").addressee?.name == "Lucy <b>L</b>")
    }

    @Test func directMessagesMayBeTenThousandCharactersPublicRepliesStay280() throws {
        let ana = try TestNode()
        defer { ana.cleanup() }
        var report = IngestReport()
        try ana.desk(at: t0).ingest([
            inbound("dm1", ticket: "d5-6", author: "5", customer: "5", at: t0, text: "my order", channel: .dm),
            inbound("50", ticket: "p50", author: "6", customer: "6", at: t0, text: "@acmecare hi"),
        ], rules: .empty, report: &report)
        // " ^AL" is 4: a DM of 9 996 typed characters is exactly 10 000.
        let fits = String(repeating: "é", count: 9_996)
        let dm = try ana.desk(at: t0 + minute).reply("d5-6", text: fits)
        #expect(dm.dm && dm.length == 10_000 && dm.limit == TweetLength.dmLimit)
        #expect(throws: DeskError.tooLong(count: 10_001, limit: 10_000)) {
            try ana.desk(at: t0 + minute).reply("d5-6", text: fits + "e")
        }
        // Asked for as a DM on a public ticket: the DM limit too.
        let asDM = try ana.desk(at: t0 + minute).reply("p50", text: String(repeating: "a", count: 1_000), dm: true)
        #expect(asDM.dm && asDM.limit == 10_000 && asDM.length == 1_004)
        // A public reply: 280 as X counts ("@6 " is 3, " ^AL" 4).
        #expect(throws: DeskError.tooLong(count: 281, limit: 280)) {
            try ana.desk(at: t0 + minute).reply("p50", text: String(repeating: "a", count: 274))
        }
        let tweet = TweetLength.measure("日本", dm: false), direct = TweetLength.measure("日本", dm: true)
        #expect(tweet.count == 4 && tweet.limit == 280 && direct.count == 2 && direct.limit == 10_000)
    }

    @Test func resolvingReleasesTheResolversClaim() throws {
        let ana = try TestNode(), kenji = try TestNode(name: "Kenji Sato", initials: "KS")
        defer { ana.cleanup(); kenji.cleanup() }
        var report = IngestReport()
        try ana.desk(at: t0).ingest([inbound("a1", ticket: "pA", at: t0), inbound("b1", ticket: "pB", customer: "c2", at: t0)],
                                    rules: .empty, report: &report)
        _ = try ana.desk(at: t0 + minute).claim("pA")
        #expect(try ana.desk(at: t0 + minute).ticketView("pA").holder == "Ana Lopez")
        _ = try ana.desk(at: t0 + 2 * minute).resolve("pA", as: "answered")
        let view = try ana.desk(at: t0 + 2 * minute).ticketView("pA")
        #expect(view.ticket.status == .resolved && view.holder == nil)
        #expect(try ana.node.store.state.claim(on: EntityRef(Desk.ticket, "pA"))?.holder == nil)
        // Resolving an unclaimed ticket leaves it unclaimed.
        _ = try ana.desk(at: t0 + 3 * minute).resolve("pB", as: "answered")
        #expect(try ana.desk(at: t0).ticketView("pB").holder == nil)
        // Another member's claim is neither resolved over nor released.
        _ = try kenji.desk(at: t0).ingest([inbound("c1", ticket: "pC", customer: "c3", at: t0)], rules: .empty, report: &report)
        _ = try kenji.desk(at: t0 + minute).claim("pC")
        try ana.pull(from: kenji)
        #expect(throws: DeskError.self) { try ana.desk(at: t0 + 2 * minute).resolve("pC", as: "answered") }
        #expect(try ana.desk(at: t0 + 2 * minute).ticketView("pC").holder == "Kenji Sato")
    }

    @Test func aReplyOnAnUnclaimedTicketClaimsItForTheReplier() throws {
        let ana = try TestNode(), kenji = try TestNode(name: "Kenji Sato", initials: "KS")
        defer { ana.cleanup(); kenji.cleanup() }
        var report = IngestReport()
        try ana.desk(at: t0).ingest([inbound("a1", ticket: "pA", at: t0)], rules: .empty, report: &report)
        let first = try ana.desk(at: t0 + minute).reply("pA", text: "On it")
        #expect(first.claimed)
        let claim = try #require(try ana.node.store.state.claim(on: EntityRef(Desk.ticket, "pA")))
        #expect(claim.holder == ana.node.id && claim.leaseEndsMillis == t0 + 31 * minute)
        let second = try ana.desk(at: t0 + 2 * minute).reply("pA", text: "Still on it")
        #expect(!second.claimed)
        // Another member is refused while the lease runs, and nothing is written.
        try kenji.pull(from: ana)
        let before = try kenji.node.store.opCount()
        #expect(throws: DeskError.claimedByOther(ticket: "pA", holder: "Ana Lopez", sinceMillis: t0 + minute)) {
            try kenji.desk(at: t0 + 3 * minute).reply("pA", text: "Me too")
        }
        #expect(try kenji.node.store.opCount() == before)
        // After the lease ends the reply takes the ticket over for its writer.
        let late = try kenji.desk(at: t0 + 40 * minute).reply("pA", text: "Taking this")
        #expect(late.claimed)
        #expect(try kenji.node.store.state.claim(on: EntityRef(Desk.ticket, "pA"))?.holder == kenji.node.id)
        // The replier's own ended lease is renewed, so the gateway does not leave the reply waiting.
        let renewed = try kenji.desk(at: t0 + 200 * minute).reply("pA", text: "Back again")
        #expect(!renewed.claimed)
        let again = try #require(try kenji.node.store.state.claim(on: EntityRef(Desk.ticket, "pA")))
        #expect(again.holder == kenji.node.id && again.leaseEndsMillis == t0 + 230 * minute)
    }

    @Test func theCLIRepliesToTheChosenParticipantAndSaysWhenItClaims() throws {
        let cli = try CLI()
        defer { cli.cleanup() }
        #expect(try cli.run(["init", "--name", "Ana Lopez", "--initials", "AL"]).status == 0)
        let node = try NodeHome(path: cli.home.path).open()
        let now = SystemClock().nowMillis() - 60 * minute
        var report = IngestReport()
        try DeskService(node: node).ingest([
            inbound("9000", ticket: "p9000", author: "115798", customer: "115798", at: now, text: "@acmecare down?"),
            inbound("9001", ticket: "p9000", author: "115797", customer: "115798", at: now + minute, text: "@acmecare me too"),
            inbound("9002", ticket: "p9000", author: "115797", customer: "115798", at: now + 2 * minute, text: "@acmecare still"),
        ], rules: .empty, report: &report)

        let first = try cli.run(["reply", "p9000", "On it"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.hasPrefix("Claimed p9000 for you"))
        #expect(first.stdout.contains("(17/280) to @115797 in reply to 9002:\n    @115797 On it ^AL\n"))
        let second = try cli.run(["reply", "p9000", "And you", "--to", "@115798"])
        #expect(second.status == 0 && !second.stdout.contains("Claimed"))
        #expect(second.stdout.contains("to @115798 in reply to 9000:"))
        let third = try cli.run(["reply", "p9000", "This one", "--in-reply-to", "9001"])
        #expect(third.stdout.contains("to @115797 in reply to 9001:"))
        let refused = try cli.run(["reply", "p9000", "hi", "--to", "@nobody"])
        #expect(refused.status != 0 && refused.stderr.contains("@nobody did not write in ticket p9000"))

        let show = try cli.run(["show", "p9000"])
        #expect(show.stdout.contains("inbound public · @115797 · 9002"))
        #expect(try cli.run(["resolve", "p9000", "--as", "answered"]).status == 0)
        #expect(try node.store.state.claim(on: EntityRef(Desk.ticket, "p9000"))?.holder == nil)
    }
}
