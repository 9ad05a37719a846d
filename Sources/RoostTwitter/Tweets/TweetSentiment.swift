/// The sentiment of a customer message, from a lexicon with VADER-style rules (Hutto & Gilbert, 2014): word
/// valences from -4 to +4, boosted by intensifiers ("very") and capitals, flipped and damped by a negation in the
/// three words before ("not working"), weighted after "but", nudged by "!", then squashed to a compound score in
/// -1...1. The lexicon (``TweetSentimentLexicon``) is Roost's own, written for customer care on X: outages,
/// billing, delays, thanks; it is small, so it reads plain complaints and praise, not irony.
public enum TweetSentiment {
    /// A message's sentiment.
    public enum Label: String, Sendable, CaseIterable, Codable {
        case negative = "neg", neutral = "neu", positive = "pos"
    }

    /// Compound score at or below which a message is negative (and at or above its opposite, positive).
    public static let threshold = 0.05

    /// The compound score, -1 (most negative) to 1 (most positive); 0 when no word carries sentiment.
    public static func score(_ text: String) -> Double {
        let words = tokens(text)
        let lowered = words.map { $0.lowercased() }
        let mixedCase = words.contains { $0.contains(where: \.isLowercase) }
        var valences: [Double] = []
        var butIndex: Int?
        var index = 0
        while index < words.count {
            let raw = words[index]
            let word = lowered[index]
            if word == "but" { butIndex = valences.count }
            // Two-word entries first ("no service"), then one word.
            var valence: Double?
            var span = 1
            if index + 1 < words.count, let phrase = TweetSentimentLexicon.phrases[word + " " + lowered[index + 1]] {
                valence = phrase
                span = 2
            } else {
                valence = TweetSentimentLexicon.words[word]
            }
            if var v = valence {
                if mixedCase, raw.count > 1, raw.allSatisfy({ !$0.isLetter || $0.isUppercase }), raw.contains(where: \.isLetter) {
                    v += v > 0 ? 0.733 : -0.733
                }
                for back in 1...3 where index - back >= 0 {
                    let before = lowered[index - back]
                    if let boost = TweetSentimentLexicon.boosters[before] {
                        let scaled = boost * (back == 1 ? 1 : back == 2 ? 0.95 : 0.9)
                        v += v > 0 ? scaled : -scaled
                    }
                }
                if (1...3).contains(where: { index - $0 >= 0 && isNegation(lowered[index - $0]) }) {
                    v *= -0.74
                }
                valences.append(v)
            }
            index += span
        }
        if let butIndex {
            for i in valences.indices { valences[i] *= i < butIndex ? 0.5 : 1.5 }
        }
        var sum = valences.reduce(0, +)
        for scalar in text.unicodeScalars {
            if let v = TweetSentimentLexicon.emoji[scalar.value] { sum += v }
        }
        // A piece can be or end with an emoticon only if it ends as one does (most words do not: checked first).
        for piece in text.split(whereSeparator: { $0.isWhitespace })
        where piece.last.map(Self.emoticonEnds.contains) == true && !piece.hasPrefix("@") && !piece.contains("//") {
            // ":)" alone or ending a word ("stuff:)"); ":/" only alone.
            if let (_, v) = TweetSentimentLexicon.emoticons.first(where: { piece == $0.0 || ($0.0 != ":/" && piece.hasSuffix($0.0)) }) {
                sum += v
            }
        }
        guard sum != 0 else { return 0 }
        let exclamations = Double(min(4, text.filter { $0 == "!" }.count)) * 0.292
        sum += sum > 0 ? exclamations : -exclamations
        return sum / (sum * sum + 15).squareRoot()
    }

    /// The label of `text`'s score.
    public static func label(_ text: String) -> Label { label(score: score(text)) }

    /// The label of a compound score.
    public static func label(score: Double) -> Label {
        score <= -threshold ? .negative : score >= threshold ? .positive : .neutral
    }

    /// Words of the text, without @handles, links and hashtag marks; apostrophes kept ("don't").
    static func tokens(_ text: String) -> [String] {
        var result: [String] = []
        for piece in text.split(whereSeparator: { $0.isWhitespace }) {
            if piece.hasPrefix("@") || TweetLanguage.isLink(piece, www: false) || piece.hasPrefix("^") { continue }
            var word = ""
            for character in piece {
                if character.isLetter || character.isNumber || character == "'" || character == "’" {
                    word.append(character == "’" ? "'" : character)
                } else if !word.isEmpty {
                    result.append(word)
                    word = ""
                }
            }
            if !word.isEmpty { result.append(word) }
        }
        return result
    }

    /// The last characters of the emoticons.
    static let emoticonEnds = Set(TweetSentimentLexicon.emoticons.compactMap(\.0.last))

    static func isNegation(_ word: String) -> Bool {
        TweetSentimentLexicon.negations.contains(word) || word.hasSuffix("n't")
    }
}
