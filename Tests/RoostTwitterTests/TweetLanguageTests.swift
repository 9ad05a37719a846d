import Foundation
import Testing
@testable import RoostTwitter

/// Message languages (issue 13): X's `lang` normalized, else CLD2 on the text without handles, links, hashtags
/// and emoji; too little text gives no language. Accuracy is measured on two labelled sets and printed as the
/// table the README quotes.
@Suite struct TweetLanguageTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// Per language: how many labelled, detected right, detected as another language, given no language.
    struct Tally {
        var counts: [String: (labelled: Int, right: Int, wrong: Int, none: Int)] = [:]
        var mistakes: [String] = []

        mutating func add(label: String, detected: String?, text: String) {
            var row = counts[label] ?? (0, 0, 0, 0)
            row.labelled += 1
            switch detected {
            case nil: if label == "und" { row.right += 1 } else { row.none += 1 }
            case label?: row.right += 1
            case let other?:
                row.wrong += 1
                mistakes.append("\(label) read as \(other): \(text.prefix(60))")
            }
            counts[label] = row
        }

        var total: (labelled: Int, right: Int, wrong: Int, none: Int) {
            counts.values.reduce((0, 0, 0, 0)) { ($0.0 + $1.labelled, $0.1 + $1.right, $0.2 + $1.wrong, $0.3 + $1.none) }
        }

        func table(_ title: String) -> String {
            var lines = ["\(title)", "| language | labelled | right | wrong language | no language |", "| --- | ---: | ---: | ---: | ---: |"]
            for (language, row) in counts.sorted(by: { $0.value.labelled > $1.value.labelled || ($0.value.labelled == $1.value.labelled && $0.key < $1.key) }) {
                lines.append("| \(language) | \(row.labelled) | \(row.right) | \(row.wrong) | \(row.none) |")
            }
            let all = total
            lines.append("| all | \(all.labelled) | \(all.right) | \(all.wrong) | \(all.none) |")
            return (lines + mistakes.map { "  mistake: " + $0 }).joined(separator: "\n")
        }
    }

    @Test(arguments: [
        ("en", "en"), ("es-419", "es"), ("zh-Hant", "zh"), ("iw", "he"), ("in", "id"), ("PT", "pt"),
        ("und", nil), ("qme", nil), ("qht", nil), ("zxx", nil), ("un", nil), ("xx-Qaai", nil), ("e", nil), ("123", nil),
    ] as [(String, String?)])
    func codesAreNormalized(code: String, expected: String?) {
        #expect(TweetLanguage.normalize(code) == expected)
    }

    @Test func xLangWinsAndHandlesLinksTagsAndEmojiDoNotDecide() {
        let spanish = "@AcmeCare llevo tres días sin internet y nadie me da una solución"
        #expect(TweetLanguage.of(text: spanish, xLang: nil) == "es")
        #expect(TweetLanguage.of(text: spanish, xLang: "en") == "en")          // X's answer is kept
        #expect(TweetLanguage.of(text: spanish, xLang: "und") == "es")         // X did not know: detect
        #expect(TweetLanguage.cleaned("@AcmeCare hola 😡 #fail https://t.co/x www.x.org ^JS mundo") == "hola   mundo")
        // English handles and a link around two Spanish words: too little text, no guess.
        #expect(TweetLanguage.detect("@AppleSupport @AcmeCare https://t.co/abc hola amigo") == nil)
        #expect(TweetLanguage.detect("👍👍👍👍👍👍👍👍👍👍👍👍👍👍👍👍") == nil)
        #expect(TweetLanguage.detect("") == nil)
    }

    @Test func ownLabelledTweets() throws {
        var tally = Tally()
        for line in try String(contentsOf: Self.fixtures.appendingPathComponent("languages-own.tsv"), encoding: .utf8)
            .split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: "\t", maxSplits: 1)
            tally.add(label: String(parts[0]), detected: TweetLanguage.detect(String(parts[1])), text: String(parts[1]))
        }
        print(tally.table("Language detection, Roost's own labelled tweets (Tests/RoostTwitterTests/Fixtures/languages-own.tsv)"))
        let all = tally.total
        #expect(all.labelled == 54)
        #expect(all.wrong == 0, "\(tally.mistakes)")
        #expect(Double(all.right) / Double(all.labelled) >= 0.9)
    }

    @Test(.enabled(if: SampleFile.isPresent, SampleFile.absent))
    func twcsLabelledTweets() throws {
        var texts: [String: String] = [:]
        for case let .success(record) in try TWCSReader(contentsOf: SampleFile.url) { texts[record.tweetID] = record.text }
        var tally = Tally()
        for line in try String(contentsOf: Self.fixtures.appendingPathComponent("twcs-languages.csv"), encoding: .utf8)
            .split(separator: "\n") where !line.hasPrefix("#") && !line.hasPrefix("tweet_id") {
            let parts = line.split(separator: ",")
            let text = try #require(texts[String(parts[0])], "tweet \(parts[0]) is in the sample")
            tally.add(label: String(parts[1]), detected: TweetLanguage.detect(HTMLEntities.decode(text)), text: text)
        }
        print(tally.table("Language detection, hand-labelled TWCS tweets (Tests/RoostTwitterTests/Fixtures/twcs-languages.csv)"))
        let all = tally.total
        #expect(all.labelled == 269)
        // Wrong languages are rare; most tweets get theirs; no language is the fallback for short ones.
        #expect(Double(all.wrong) / Double(all.labelled) <= 0.03, "\(tally.mistakes)")
        #expect(Double(all.right) / Double(all.labelled) >= 0.80)
    }

    /// `isEmoji` skips the property lookups below `firstEmojiScalar`: true only if no scalar there is an emoji by the
    /// rule it replaced (Emoji_Presentation anywhere, Emoji above U+2000, the variation selector, the joiner).
    @Test func noScalarBelowTheFastPathsBoundIsAnEmoji() {
        for value in 0...TweetLanguage.firstEmojiScalar {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let old = scalar.properties.isEmojiPresentation || (scalar.properties.isEmoji && scalar.value > 0x2000)
                || scalar.value == 0xFE0F || scalar.value == 0x200D
            #expect(!old && !TweetLanguage.isEmoji(scalar), "U+\(String(value, radix: 16))")
        }
        #expect(TweetLanguage.isEmoji("😡") && TweetLanguage.isEmoji("\u{FE0F}") && TweetLanguage.isEmoji("\u{200D}")
                && TweetLanguage.isEmoji("⌚") && !TweetLanguage.isEmoji("é"))
    }

    /// A link is told by its first letters in any case, as lowercasing the whole word did.
    @Test func linksAreToldInAnyCase() {
        for word in ["http://x.co", "HTTPS://t.co/abc", "Www.acme.com", "hTtP://a"] {
            #expect(TweetLanguage.isLink(Substring(word)), "\(word)")
        }
        for word in ["https:/x", "help", "www", "wow.", "", "ħttp://x", "@http://x"] {
            #expect(!TweetLanguage.isLink(Substring(word)), "\(word)")
        }
        #expect(!TweetLanguage.isLink("www.acme.com", www: false) && TweetLanguage.isLink("https://a", www: false))
        #expect(TweetLanguage.cleaned("Thanks @acme see HTTPS://t.co/x and Www.acme.com 😡 #fail") == "Thanks see and  ")
    }

}
