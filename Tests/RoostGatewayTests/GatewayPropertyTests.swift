import FakeXServer
import Foundation
import RoostCore
import RoostNode
import RoostStore
import RoostTwitter
import Testing

@Suite(.serialized) struct GatewayPropertyTests {
    /// Random traffic (new threads and replies, some arriving between polls), random page sizes and random
    /// 429s, 503s and cut connections: after the polls, every mention and every thread root is exactly one
    /// message on the right ticket, and the cursor is the newest mention.
    @Test func everyMentionIsIngestedOnceWhateverTheFaults() async throws {
        let environment = ProcessInfo.processInfo.environment
        let firstSeed = environment["ROOST_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64.max / 2)
        let runs = environment["ROOST_SEEDS"].flatMap(Int.init) ?? 12
        print("GatewayPropertyTests seed \(firstSeed) (replay: ROOST_SEED=\(firstSeed) ROOST_SEEDS=1)")
        for run in 0..<runs {
            let seed = firstSeed &+ UInt64(run)
            var random = SplitMix64(seed: seed)
            let fake = try await FakeX.start(pageSize: Int.random(in: 1...6, using: &random))
            let node = try GatewayTestNode(name: "Gateway", initials: "GW")
            _ = try node.desk(at: realNow()).assignGateway(username: "acmecare", xUserID: brand.id, member: node.node.id.text)
            let state = fake.state
            let faults: [FakeFault] = [.rateLimit(resetInSeconds: 3), .unavailable, .cut]
            for _ in 0..<Int.random(in: 2...4, using: &random) {
                for _ in 0..<Int.random(in: 0...12, using: &random) {
                    let user = customer(Int.random(in: 1...8, using: &random))
                    let earlier = await state.tweets
                    if !earlier.isEmpty, Bool.random(using: &random) {
                        let parent = earlier.randomElement(using: &random)!
                        let mention = Int.random(in: 0..<4, using: &random) > 0
                        await state.tweet(from: user, text: (mention ? "@acmecare " : "") + "reply", inReplyTo: parent.id)
                    } else {
                        await state.tweet(from: user, text: Bool.random(using: &random) ? "@acmecare help" : "no mention")
                    }
                }
                for _ in 0..<Int.random(in: 0...2, using: &random) {
                    // At most maxAttempts - 1 failures in a row, so the poll succeeds; a failed poll is retried below.
                    await state.inject(faults.randomElement(using: &random)!, on: "/2/users/mentions")
                }
                var attempts = 0
                while true {
                    attempts += 1
                    do {
                        _ = try await fake.gateway(node).poll()
                        break
                    } catch {
                        #expect(attempts < 3, "seed \(seed): poll keeps failing: \(error)")
                        if attempts >= 3 { break }
                    }
                }
            }
            let tweets = await state.tweets
            let mentions = tweets.filter { $0.text.hasPrefix("@acmecare") }
            let store = node.node.store
            // Every mention is stored, on its conversation's ticket, once.
            for tweet in mentions {
                let thread = try store.desk.thread("p" + tweet.conversationID).map(\.id)
                #expect(thread.filter { $0 == tweet.id }.count == 1, "seed \(seed): mention \(tweet.id) in \(thread)")
            }
            // No message is stored twice and nothing but the fake's tweets is stored.
            var stored: [String] = []
            for conversation in Set(tweets.map(\.conversationID)) { stored += try store.desk.thread("p" + conversation).map(\.id) }
            #expect(stored.count == Set(stored).count, "seed \(seed): a message twice")
            #expect(Set(stored).isSubset(of: Set(tweets.map(\.id))), "seed \(seed)")
            let cursor = try node.desk(at: realNow()).gatewayHandle("acmecare").mentionsCursor
            #expect(cursor == mentions.map(\.id).max { XIDs.precedes($0, $1) }, "seed \(seed)")
            #expect(await state.pendingFaults == 0, "seed \(seed)")
            await fake.server.stop()
            node.cleanup()
        }
    }
}
