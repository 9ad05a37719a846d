import Testing
import RoostTwitter

/// Threading cases worked by hand: each expected root follows from the rule in `Threading`'s doc.
@Suite struct ThreadingTests {
    static func roots(_ pairs: [(String, String?)]) -> [String: String] {
        let links = pairs.map { ThreadLink(id: $0.0, inResponseTo: $0.1) }
        let forward = Threading.roots(links: links)
        #expect(Threading.roots(links: links.reversed()) == forward, "order must not matter")
        return forward
    }

    @Test func chain() {
        let roots = Self.roots([("4", "3"), ("1", nil), ("3", "2"), ("2", "1")])
        #expect(roots == ["1": "1", "2": "1", "3": "1", "4": "1"])
    }

    @Test func branchingReplies() {
        let roots = Self.roots([("1", nil), ("2", "1"), ("3", "1"), ("4", "3"), ("5", "3"), ("10", nil), ("11", "10")])
        #expect(roots == ["1": "1", "2": "1", "3": "1", "4": "1", "5": "1", "10": "10", "11": "10"])
        #expect(Set(roots.values).count == 2)
    }

    @Test func parentOutsideTheInputMakesARoot() {
        let roots = Self.roots([("5", "99"), ("6", "5"), ("7", "98")])
        #expect(roots == ["5": "5", "6": "5", "7": "7"])
        #expect(roots["99"] == nil)
    }

    @Test func cycleRootsAtItsSmallestID() {
        // 7 -> 8 -> 9 -> 7 is a cycle; 20 leads into it; 30 replies to 20.
        let roots = Self.roots([("8", "9"), ("9", "7"), ("7", "8"), ("20", "8"), ("30", "20")])
        #expect(roots == ["7": "7", "8": "7", "9": "7", "20": "7", "30": "7"])
    }

    @Test func cycleUsesNumericOrder() {
        // "10" < "9" as text, but 9 < 10 as numbers.
        #expect(Self.roots([("10", "9"), ("9", "10")]) == ["9": "9", "10": "9"])
    }

    @Test func selfReplyIsItsOwnRoot() {
        #expect(Self.roots([("11", "11"), ("12", "11")]) == ["11": "11", "12": "11"])
    }

    @Test func firstLinkOfADuplicatedIDWins() {
        let links = [ThreadLink(id: "1", inResponseTo: nil), ThreadLink(id: "2", inResponseTo: nil),
                     ThreadLink(id: "3", inResponseTo: "1"), ThreadLink(id: "3", inResponseTo: "2")]
        #expect(Threading.roots(links: links) == ["1": "1", "2": "2", "3": "1"])
    }

    @Test func longChainNeedsNoRecursion() {
        let count = 200_000
        let links = (0..<count).map { (n: Int) -> ThreadLink in
            ThreadLink(id: String(n), inResponseTo: n == 0 ? nil : String(n - 1))
        }
        let roots = Threading.roots(links: links.reversed())
        #expect(roots.count == count)
        #expect(Set(roots.values) == ["0"])
    }

    @Test func recordsOverload() {
        let record = { (id: String, parent: String?) in
            TWCSRecord(line: 1, tweetID: id, authorID: "a", inbound: true, createdAtMillis: 0, text: "",
                       responseTweetIDs: [], inResponseToTweetID: parent)
        }
        #expect(Threading.roots(of: [record("2", "1"), record("1", nil)]) == ["1": "1", "2": "1"])
    }
}
