/// Sizes used by the readers of this module, named in one place.
public enum TwitterLimits {
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
