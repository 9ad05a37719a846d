/// Sizes used by the readers of this module, named in one place.
public enum TwitterLimits {
    /// Letters (after handles, links, hashtags and emoji are removed) a text needs before a language is detected.
    public static let languageMinimumLetters = 15
    /// The same for scripts whose characters carry more (Han, kana, hangul, Thai): ``TweetLanguage``.
    public static let languageMinimumDenseLetters = 4
    /// Share (percent) of the text CLD2 must give one language when it does not call its answer reliable.
    public static let languageMinimumPercent: Int32 = 80
    /// Bytes read from a file at a time by ``TWCSReader``.
    public static let readChunkBytes = 64 * 1024
    /// Longest TWCS record kept in memory, in bytes. A tweet is at most a few kilobytes even with
    /// every entity escaped; anything longer is a broken record (usually a quote never closed), and the
    /// reader stops buffering it so a 500 MB file cannot end up in one field.
    public static let maxRecordBytes = 64 * 1024
    /// Longest line of an X API JSONL file, in bytes (a full page with includes is a few hundred KB).
    public static let maxJSONLineBytes = 16 * 1024 * 1024
    /// Most letters in an agent's signature (`^Clarissa`).
    public static let maxSignatureLetters = 12
}
