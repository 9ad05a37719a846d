internal import Foundation

/// The length X gives a tweet (twitter-text v3 weighting), to check a reply against ``limit``.
public enum TweetLength {
    /// Most weighted characters in one tweet.
    public static let limit = 280
    /// What any link counts, whatever its length (X shortens every link to a t.co link).
    public static let urlWeight = 23
    /// What one emoji counts, however many code points its sequence has.
    public static let emojiWeight = 2
    /// What a code point outside ``lightRanges`` counts.
    public static let heavyWeight = 2
    /// Code points that count 1 (Latin, Greek, Cyrillic, Hebrew, Arabic… and common punctuation).
    public static let lightRanges: [ClosedRange<UInt32>] = [0x0000...0x10FF, 0x2000...0x200D, 0x2010...0x201F, 0x2032...0x2037]

    /// Weighted length of `text`: NFC-normalized first; each link counts ``urlWeight``; each emoji
    /// (a single emoji, or a sequence joined by ZWJ or carrying skin tone, variation selector, keycap
    /// or flag parts) counts ``emojiWeight``; every other code point counts 1 in ``lightRanges``,
    /// else ``heavyWeight``. So 280 ASCII letters count 280, `日本` 4, `👍🏽` 2, `👨‍👩‍👧` 2.
    public static func count(_ text: String) -> Int {
        let scalars = Array(text.precomposedStringWithCanonicalMapping.unicodeScalars)
        var total = 0
        var position = 0
        for link in TweetURLs.ranges(in: scalars) {
            total += weight(of: scalars[position..<link.lowerBound]) + urlWeight
            position = link.upperBound
        }
        return total + weight(of: scalars[position...])
    }

    /// Whether `text` fits in one tweet.
    public static func fits(_ text: String) -> Bool { count(text) <= limit }

    /// Most characters in one direct message (X's DM limit; links and emoji are not weighted in DMs).
    public static let dmLimit = 10_000

    /// Length of a direct message as checked against ``dmLimit``: Unicode code points after NFC
    /// normalization (so 10 000 of them stay well under the op log's 64 KiB string limit).
    public static func dmCount(_ text: String) -> Int {
        text.precomposedStringWithCanonicalMapping.unicodeScalars.count
    }

    /// The length of a reply and the limit it is held to: ``dmCount(_:)`` against ``dmLimit`` for a
    /// direct message, else the weighted ``count(_:)`` against ``limit``.
    public static func measure(_ text: String, dm: Bool) -> (count: Int, limit: Int) {
        dm ? (dmCount(text), dmLimit) : (count(text), limit)
    }

    private static func weight(of scalars: ArraySlice<Unicode.Scalar>) -> Int {
        guard !scalars.isEmpty else { return 0 }
        var text = String.UnicodeScalarView()
        text.append(contentsOf: scalars)
        var total = 0
        for character in String(text) {
            if isEmoji(character) {
                total += emojiWeight
            } else {
                for scalar in character.unicodeScalars {
                    total += lightRanges.contains { $0.contains(scalar.value) } ? 1 : heavyWeight
                }
            }
        }
        return total
    }

    /// Whether a grapheme cluster is one emoji, as X's emoji parser sees it.
    static func isEmoji(_ character: Character) -> Bool {
        let scalars = character.unicodeScalars
        guard let first = scalars.first else { return false }
        if first.properties.isEmojiPresentation { return true }
        guard scalars.count > 1 else { return false }
        if (0x1F1E6...0x1F1FF).contains(first.value) { return true }  // regional indicator pair: a flag
        guard first.properties.isEmoji else { return false }
        return scalars.contains { scalar in
            scalar.value == 0xFE0F || scalar.value == 0x200D || scalar.value == 0x20E3 || scalar.properties.isEmojiModifier
        }
    }
}
