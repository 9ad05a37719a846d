/// Compares a reply as Roost recorded it with a tweet or DM as X returns it. X rewrites every link to a
/// `t.co` short link (and may expand or trim whitespace), so exact text comparison misses a reply that
/// is on X; links are compared as "a link here", whatever their target.
public enum TweetMatch {
    /// `text` with every link (after X's linking rules, ``TweetURLs``) replaced by one placeholder, runs
    /// of whitespace collapsed to one space, and leading and trailing whitespace removed.
    public static func normalized(_ text: String) -> String {
        let scalars = Array(text.unicodeScalars)
        var out = String.UnicodeScalarView()
        var index = 0
        for range in TweetURLs.ranges(in: scalars) {
            out.append(contentsOf: scalars[index..<range.lowerBound])
            out.append(contentsOf: "\u{FFFC}".unicodeScalars)
            index = range.upperBound
        }
        out.append(contentsOf: scalars[index...])
        return String(out).split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// Whether `recorded` (Roost's text) and `onX` (X's text) are the same post, links aside.
    public static func sameText(_ recorded: String, _ onX: String) -> Bool {
        normalized(recorded) == normalized(onX)
    }
}
