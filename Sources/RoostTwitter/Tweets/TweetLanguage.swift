import CCLD2

/// The language of a tweet: X's `lang` when it sends one, else detected locally with CLD2 on the text with
/// @handles, links, hashtags, signatures (`^JS`) and emoji removed, so they cannot decide it. Too little text
/// left (``TwitterLimits/languageMinimumLetters`` letters of an alphabet, fewer for scripts such as kana, hangul
/// or Han that CLD2 reads from few characters) gives no language rather than a guess.
public enum TweetLanguage {
    /// The language code to store for a message: X's `lang` normalized when X gave a language, else the detected
    /// one, else nil ("und": undetermined).
    public static func of(text: String, xLang: String?) -> String? {
        if let xLang { return normalize(xLang) ?? detect(text) }
        return detect(text)
    }

    /// X's (BCP 47) or CLD2's code as Roost stores it: the lowercase primary subtag, with the old ISO 639 codes
    /// both use replaced (iw → he, in → id, ji → yi, jw → jv); `und`, X's `q…` codes (media, hashtags, links only)
    /// and CLD2's unknowns give nil.
    public static func normalize(_ code: String) -> String? {
        let primary = code.split(separator: "-").first.map { $0.lowercased() } ?? ""
        guard (2...3).contains(primary.count), primary.allSatisfy({ $0 >= "a" && $0 <= "z" }),
              primary != "und", primary != "un", primary != "xx", primary != "zxx", !(primary.count == 3 && primary.hasPrefix("q"))
        else { return nil }
        return ["iw": "he", "in": "id", "ji": "yi", "jw": "jv"][primary] ?? primary
    }

    /// CLD2's language for `text`, or nil when too little text is left or CLD2 is not sure.
    public static func detect(_ text: String) -> String? {
        let cleaned = self.cleaned(text)
        var letters = 0, dense = 0
        for scalar in cleaned.unicodeScalars where scalar.properties.isAlphabetic {
            letters += 1
            if isDenseScript(scalar) { dense += 1 }
        }
        guard letters >= TwitterLimits.languageMinimumLetters || dense >= TwitterLimits.languageMinimumDenseLetters else { return nil }
        var bytes = Array(cleaned.utf8)
        var code = [CChar](repeating: 0, count: 16)
        var percent: Int32 = 0, reliable: Int32 = 0
        let scored = bytes.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                roost_cld2_detect($0.baseAddress, Int32($0.count), &code, Int32(code.count), &percent, &reliable)
            }
        }
        guard scored >= 0, reliable != 0 || percent >= TwitterLimits.languageMinimumPercent else { return nil }
        let name = code.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return normalize(name)
    }

    /// The words that carry language: no @handles, links, hashtags, `^XY` signatures, or emoji.
    static func cleaned(_ text: String) -> String {
        var words: [Substring] = []
        for word in text.split(whereSeparator: { $0.isWhitespace }) {
            if word.hasPrefix("@") || word.hasPrefix("#") || word.hasPrefix("^") || word.hasPrefix("&")
                || isLink(word) { continue }
            words.append(word)
        }
        var out = String.UnicodeScalarView()
        for scalar in words.joined(separator: " ").unicodeScalars {
            out.append(isEmoji(scalar) ? " " : scalar)
        }
        return String(out)
    }

    /// Whether a word starts a link: `http://` or `https://`, and with `www` also `www.`, in any case. Only a word
    /// starting with h or w can, so only those are lowercased (lowercasing every word was a tenth of an import).
    static func isLink(_ word: Substring, www: Bool = true) -> Bool {
        guard let first = word.utf8.first else { return false }
        switch first | 0x20 {
        case UInt8(ascii: "h"):
            let lower = word.prefix(8).lowercased()
            return lower.hasPrefix("http://") || lower.hasPrefix("https://")
        case UInt8(ascii: "w") where www:
            return word.prefix(4).lowercased() == "www."
        default:
            return false
        }
    }

    /// Below this scalar nothing is an emoji by ``isEmoji(_:)`` (the first Emoji_Presentation scalar is U+231A, and
    /// other emoji count only above it); checked for every scalar by the tests, so the property lookups run only above.
    static let firstEmojiScalar: UInt32 = 0x2000

    /// Emoji, their variation selector and the zero-width joiner: replaced by a space before detection.
    static func isEmoji(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar.value > firstEmojiScalar else { return false }
        return scalar.properties.isEmojiPresentation || scalar.properties.isEmoji || scalar.value == 0xFE0F || scalar.value == 0x200D
    }

    /// Scripts whose few characters already say the language: Han, kana, hangul, Thai, and the like.
    static func isDenseScript(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x0E00...0x0E7F, 0x1100...0x11FF, 0x3040...0x30FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xAC00...0xD7AF: true
        default: false
        }
    }
}
