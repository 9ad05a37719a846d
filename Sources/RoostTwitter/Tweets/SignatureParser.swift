/// Finds the agent's signature at the end of a brand reply: `… ^JK`, `… -Becky`, `… /AB`.
public enum SignatureParser {
    /// The signature token (`JK`, `Becky`, `AB`) ending `text`, or nil.
    ///
    /// Trailing whitespace and trailing `http(s)://` links are ignored first. The last word must then be
    /// a marker followed by 1…``TwitterLimits/maxSignatureLetters`` ASCII letters:
    /// - `^` anywhere (`help.^KL`, `^cr`): the caret is used for nothing else, so any case is accepted;
    /// - `-` (or `--`), token capitalized, after anything but a digit or a capital letter (`-Becky`,
    ///   `help.--JV`, `Thanks-Sha`, `:~)-Tabby`); so `5-Ten` and `BOM-LHR` are not signatures;
    /// - `/` after whitespace only (`/CB`), token capitalized; so `A/C` and `JOD/month` are not signatures.
    public static func initials(in text: String) -> String? {
        var scalars = Substring(text).unicodeScalars[...]
        while true {
            scalars = trimmingTrailingWhitespace(scalars)
            guard let link = trailingLinkStart(scalars) else { break }
            scalars = scalars[..<link]
        }
        var start = scalars.endIndex
        while start > scalars.startIndex {
            let previous = scalars.index(before: start)
            guard isASCIILetter(scalars[previous]) else { break }
            start = previous
        }
        let letters = scalars[start...]
        guard (1...TwitterLimits.maxSignatureLetters).contains(letters.count), start > scalars.startIndex,
              let first = letters.first
        else { return nil }
        let markerIndex = scalars.index(before: start)
        let marker = scalars[markerIndex]
        let before = markerIndex > scalars.startIndex ? scalars[scalars.index(before: markerIndex)] : nil
        let token = String(String.UnicodeScalarView(letters))
        switch marker {
        case "^":
            return token
        case "-":
            guard isUpper(first) else { return nil }
            guard let before else { return token }
            return before.properties.isUppercase || before.properties.numericType != nil ? nil : token
        case "/":
            guard isUpper(first) else { return nil }
            return before == nil || before!.properties.isWhitespace ? token : nil
        default:
            return nil
        }
    }

    private static func trimmingTrailingWhitespace(_ s: Substring.UnicodeScalarView.SubSequence) -> Substring.UnicodeScalarView.SubSequence {
        var end = s.endIndex
        while end > s.startIndex, s[s.index(before: end)].properties.isWhitespace { end = s.index(before: end) }
        return s[..<end]
    }

    /// Start of a whitespace-delimited last word that begins with `http://` or `https://`.
    private static func trailingLinkStart(_ s: Substring.UnicodeScalarView.SubSequence) -> Substring.UnicodeScalarView.Index? {
        var start = s.endIndex
        while start > s.startIndex, !s[s.index(before: start)].properties.isWhitespace { start = s.index(before: start) }
        let word = String(String.UnicodeScalarView(s[start...])).lowercased()
        return word.hasPrefix("http://") || word.hasPrefix("https://") ? start : nil
    }

    private static func isASCIILetter(_ s: Unicode.Scalar) -> Bool { isUpper(s) || isLower(s) }
    private static func isUpper(_ s: Unicode.Scalar) -> Bool { ("A"..."Z").contains(s) }
    private static func isLower(_ s: Unicode.Scalar) -> Bool { ("a"..."z").contains(s) }
}
