import Testing
import RoostTwitter

/// Weighted lengths worked by hand from the twitter-text v3 rules.
@Suite struct TweetLengthTests {
    @Test(arguments: [
        (String(repeating: "a", count: 280), 280),
        ("日本", 4),
        ("👍", 2),
        ("👍🏽", 2),
        ("👨‍👩‍👧", 2),
        ("🇯🇵", 2),
        ("❤️", 2),
        ("1️⃣", 2),
        ("see https://example.com/a/very/long/path", 4 + 23),
        ("http://x.co", 23),
        ("go to t.co/abc now", 6 + 23 + 4),
        ("example.com", 23),
        ("example.com.", 23 + 1),
        ("(see https://example.com/a)", 5 + 23 + 1),
        ("file.txt", 8),
        ("example.jp", 10),  // a country TLD without a path is not linked
        ("example.jp/x", 23),
        ("me@example.com", 14),  // an address, not a link
        ("café", 4),
        ("cafe\u{301}", 4),  // NFC first: e + combining acute is one code point
        ("“quotes” — and…", 16),  // U+201C/D and U+2014 are light; U+2026 (…) is not, so it counts 2
        ("한국어", 6),
        ("", 0),
        ("1", 1),
        ("#", 1),
        ("©", 1),
    ] as [(String, Int)])
    func knownCases(text: String, expected: Int) {
        #expect(TweetLength.count(text) == expected)
    }

    @Test func limitIsX() {
        #expect(TweetLength.limit == 280)
        #expect(TweetLength.fits(String(repeating: "a", count: 280)))
        #expect(!TweetLength.fits(String(repeating: "a", count: 281)))
        #expect(!TweetLength.fits(String(repeating: "日", count: 141)))
        #expect(TweetLength.fits(String(repeating: "日", count: 140)))
    }

    @Test func linksCountTheSameWhateverTheirLength() {
        let short = "Track it here: https://t.co/wKJHDXWGRQ ^MC"
        let long = "Track it here: https://www.ups.com/track?loc=en_US&tracknum=1Z999AA10123456784&requester=WT ^MC"
        #expect(TweetLength.count(short) == TweetLength.count(long))
        #expect(TweetLength.count(short) == 15 + 23 + 4)
    }
}
