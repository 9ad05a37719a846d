import Foundation
import Testing
@testable import RoostTwitter

/// Sentiment per customer message (issue 13): the VADER-style rules on Roost's lexicon, and the accuracy on
/// two hand-labelled sets, printed as the table the README quotes.
@Suite struct TweetSentimentTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    @Test func rulesNegateBoostAndShift() {
        #expect(TweetSentiment.score("the router is working") > 0)
        #expect(TweetSentiment.score("the router is not working") < 0)                   // phrase
        #expect(TweetSentiment.score("it is not good") < 0)                                // negation flips
        #expect(TweetSentiment.score("it isn't bad") > 0)
        #expect(TweetSentiment.score("very bad") < TweetSentiment.score("bad"))            // booster
        #expect(TweetSentiment.score("the service is BAD") < TweetSentiment.score("the service is bad"))  // capitals
        #expect(TweetSentiment.score("bad!!!") < TweetSentiment.score("bad"))              // exclamations
        #expect(TweetSentiment.score("great staff but the wifi is terrible") < 0)          // after "but" weighs more
        #expect(TweetSentiment.score("@AcmeCare 😡") < 0 && TweetSentiment.score("@AcmeCare 🙏") > 0)
        #expect(TweetSentiment.score("see you there:)") > 0 && TweetSentiment.score("still broken :(") < TweetSentiment.score("still broken"))
        #expect(TweetSentiment.score("@worst_handle https://t.co/terrible") == 0)         // handles and links do not count
        // ":/" counts only alone; a word ending in ":D" counts; a link's "//" never counts; ":-)" is ":)".
        #expect(TweetSentiment.score("meh :/") < 0 && TweetSentiment.score("see a/b:/") == 0)
        #expect(TweetSentiment.score("thanks:D") > TweetSentiment.score("thanks") && TweetSentiment.score("http://x.co/:)") == 0)
        #expect(TweetSentiment.score("ok :-)") == TweetSentiment.score("ok :)"))
        #expect(TweetSentiment.label("what time do you open tomorrow?") == .neutral)
        let extreme = TweetSentiment.score(String(repeating: "worst terrible awful ", count: 50))
        #expect(extreme > -1 && extreme < -0.99)
    }

    struct Tally {
        var confusion: [String: [String: Int]] = [:]
        var mistakes: [String] = []
        mutating func add(_ label: String, _ got: String, text: String = "") {
            confusion[label, default: [:]][got, default: 0] += 1
            if label != got { mistakes.append("\(label) read as \(got): \(text.prefix(90))") }
        }
        var total: Int { confusion.values.flatMap(\.values).reduce(0, +) }
        var right: Int { confusion.map { $0.value[$0.key] ?? 0 }.reduce(0, +) }
        func table(_ title: String) -> String {
            var lines = [title, "| labelled \\ read as | neg | neu | pos | right |", "| --- | ---: | ---: | ---: | ---: |"]
            for label in ["neg", "neu", "pos"] {
                let row = confusion[label] ?? [:]
                let n = row.values.reduce(0, +)
                lines.append("| \(label) (\(n)) | \(row["neg"] ?? 0) | \(row["neu"] ?? 0) | \(row["pos"] ?? 0) | \(n == 0 ? "-" : String(format: "%.0f%%", 100 * Double(row[label] ?? 0) / Double(n))) |")
            }
            lines.append("all: \(right)/\(total) right (\(String(format: "%.0f%%", 100 * Double(right) / Double(max(1, total)))))")
            return (lines + mistakes.map { "  " + $0 }).joined(separator: "\n")
        }
    }

    @Test func ownLabelledTweets() throws {
        var tally = Tally()
        for line in try String(contentsOf: Self.fixtures.appendingPathComponent("sentiment-own.tsv"), encoding: .utf8)
            .split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "\t", maxSplits: 1)
            tally.add(String(parts[0]), TweetSentiment.label(String(parts[1])).rawValue, text: String(parts[1]))
        }
        print(tally.table("Sentiment, Roost's own labelled tweets (Tests/RoostTwitterTests/Fixtures/sentiment-own.tsv)"))
        #expect(tally.total == 22)
        #expect(Double(tally.right) / Double(tally.total) >= 0.85)
        #expect(tally.confusion["neg"]?["pos"] == nil && tally.confusion["pos"]?["neg"] == nil, "no complaint reads as praise")
    }

    @Test(.enabled(if: SampleFile.isPresent, SampleFile.absent))
    func twcsLabelledTweets() throws {
        var texts: [String: String] = [:]
        for case let .success(record) in try TWCSReader(contentsOf: SampleFile.url) { texts[record.tweetID] = record.text }
        var tally = Tally()
        for line in try String(contentsOf: Self.fixtures.appendingPathComponent("twcs-sentiment.csv"), encoding: .utf8)
            .split(separator: "\n") where !line.hasPrefix("#") && !line.hasPrefix("tweet_id") {
            let parts = line.split(separator: ",")
            let text = try #require(texts[String(parts[0])], "tweet \(parts[0]) is in the sample")
            let decoded = HTMLEntities.decode(text)
            tally.add(String(parts[1]), TweetSentiment.label(decoded).rawValue, text: decoded)
        }
        print(tally.table("Sentiment, hand-labelled TWCS customer tweets (Tests/RoostTwitterTests/Fixtures/twcs-sentiment.csv)"))
        #expect(tally.total == 90)
        // The alert counts negative messages: most complaints must read negative, little else.
        let negatives = tally.confusion["neg"] ?? [:]
        #expect(Double(negatives["neg"] ?? 0) / Double(negatives.values.reduce(0, +)) >= 0.7)
        #expect(Double(tally.right) / Double(tally.total) >= 0.65)
        #expect((tally.confusion["pos"]?["neg"] ?? 0) == 0, "no thanks reads as a complaint")
    }
}
