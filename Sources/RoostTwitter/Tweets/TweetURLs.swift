/// Finds the links X would shorten in tweet text, after twitter-text's rules, simplified:
/// - `http://` or `https://` followed by a host, up to whitespace;
/// - a bare ASCII domain whose last label is a known generic TLD (`example.com`), or a two-letter
///   country TLD when a path follows (`t.co/abc`; `co` and `tv` need none, as in twitter-text);
/// - not after a letter, digit, `@`, `$` or `#` (`me@example.com` is an address, not a link);
/// - trailing `.,:;!?'"` and an unbalanced `)` are not part of the link.
/// Unicode (IDN) domains without a protocol are not recognized.
enum TweetURLs {
    /// Generic TLDs linked without a protocol (the common ones; twitter-text carries the full IANA list).
    static let genericTLDs: Set<String> = [
        "com", "net", "org", "edu", "gov", "mil", "int", "info", "biz", "name", "pro", "aero", "coop", "museum",
        "mobi", "asia", "tel", "travel", "jobs", "cat", "app", "dev", "blog", "shop", "store", "online", "site",
        "tech", "xyz", "club", "live", "news", "help", "support", "link", "page", "cloud", "email", "media",
    ]
    /// Two-letter country TLDs linked without a path.
    static let specialCountryTLDs: Set<String> = ["co", "tv"]

    /// Ranges of links, as offsets into `scalars`, in order and not overlapping.
    static func ranges(in scalars: [Unicode.Scalar]) -> [Range<Int>] {
        var found: [Range<Int>] = []
        var i = 0
        while i < scalars.count {
            if i == 0 || mayPrecede(scalars[i - 1]), let end = linkEnd(scalars, from: i) {
                found.append(i..<end)
                i = end
            } else {
                i += 1
            }
        }
        return found
    }

    private static func linkEnd(_ s: [Unicode.Scalar], from start: Int) -> Int? {
        if let afterScheme = schemeEnd(s, from: start) {
            var hostEnd = afterScheme
            while hostEnd < s.count, isDomainScalar(s[hostEnd]) || s[hostEnd] == "." { hostEnd += 1 }
            guard hostEnd > afterScheme else { return nil }
            return trimmed(s, start: start, end: tailEnd(s, from: hostEnd))
        }
        guard isASCIIAlnum(s[start]) else { return nil }
        var labels: [Range<Int>] = []
        var i = start
        while true {
            let labelStart = i
            while i < s.count, isDomainScalar(s[i]) { i += 1 }
            guard i > labelStart else { break }
            labels.append(labelStart..<i)
            guard i + 1 < s.count, s[i] == ".", isDomainScalar(s[i + 1]) else { break }
            i += 1
        }
        guard labels.count >= 2, let last = labels.last else { return nil }
        let tld = String(String.UnicodeScalarView(s[last])).lowercased()
        guard tld.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) }) else { return nil }
        let domainEnd = last.upperBound
        if domainEnd < s.count, s[domainEnd] == "@" { return nil }
        let hasPath = domainEnd < s.count && (s[domainEnd] == "/" || s[domainEnd] == ":")
        if genericTLDs.contains(tld) || specialCountryTLDs.contains(tld) {
            return trimmed(s, start: start, end: tailEnd(s, from: domainEnd))
        }
        if tld.unicodeScalars.count == 2, hasPath {
            return trimmed(s, start: start, end: tailEnd(s, from: domainEnd))
        }
        return nil
    }

    /// End of `http://` / `https://` (any case) at `start`, or nil.
    private static func schemeEnd(_ s: [Unicode.Scalar], from start: Int) -> Int? {
        for scheme in ["https://", "http://"] {
            let pattern = Array(scheme.unicodeScalars)
            guard start + pattern.count <= s.count else { continue }
            let candidate = String(String.UnicodeScalarView(s[start..<start + pattern.count])).lowercased()
            if candidate == scheme { return start + pattern.count }
        }
        return nil
    }

    /// Port, path, query and fragment: everything up to whitespace or a character never in a link.
    private static func tailEnd(_ s: [Unicode.Scalar], from start: Int) -> Int {
        var end = start
        while end < s.count, !s[end].properties.isWhitespace, !["\"", "<", ">"].contains(s[end]),
              s[end].properties.generalCategory != .control {
            end += 1
        }
        return end
    }

    private static func trimmed(_ s: [Unicode.Scalar], start: Int, end: Int) -> Int {
        var end = end
        while end > start {
            let last = s[end - 1]
            if [".", ",", ":", ";", "!", "?", "'", "\""].contains(last) {
                end -= 1
            } else if last == ")", s[start..<end].count(where: { $0 == "(" }) < s[start..<end].count(where: { $0 == ")" }) {
                end -= 1
            } else {
                break
            }
        }
        return end
    }

    private static func mayPrecede(_ s: Unicode.Scalar) -> Bool {
        !(isASCIIAlnum(s) || ["@", "$", "#", "\u{FF20}", "\u{FF03}"].contains(s)
            || (0x202A...0x202E).contains(s.value))
    }

    private static func isASCIIAlnum(_ s: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(s) || ("A"..."Z").contains(s) || ("0"..."9").contains(s)
    }

    private static func isDomainScalar(_ s: Unicode.Scalar) -> Bool { isASCIIAlnum(s) || s == "-" || s == "_" }
}
