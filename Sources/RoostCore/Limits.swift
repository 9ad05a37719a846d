/// Every size and time limit of the op log and its encoding, named in one place.
///
/// Decoders check these before allocating, so a hostile length prefix cannot make
/// a node reserve memory it was never going to need.
public enum Limits {
    /// Largest encoded body of one operation, in bytes.
    public static let maxBodyBytes = 256 * 1024
    /// Largest UTF-8 string inside a body (collection, key, field, tag, text value), in bytes.
    public static let maxStringBytes = 64 * 1024
    /// Largest identifier (collection, key, field, tag), in bytes.
    public static let maxIdentifierBytes = 512
    /// Most fields in one `insert` payload.
    public static let maxInsertFields = 64
    /// Most observed add-ids one tag removal may name.
    public static let maxObservedAdds = 1024
    /// Longest claim lease, in seconds (7 days).
    public static let maxLeaseSeconds: UInt32 = 7 * 24 * 3600
    /// How far in the future (ms) a remote HLC timestamp may be before it is rejected (default 5 minutes).
    public static let defaultMaxClockDriftMillis: UInt64 = 5 * 60 * 1000
    /// Largest epoch, seq and HLC value: they stay below 2^63 so they fit SQLite's signed integers
    /// and compare the same in SQL as in Swift.
    public static let maxOrdinal: UInt64 = (1 << 63) - 1
    /// Most operations in one remote batch.
    public static let maxBatchOps = 100_000
    /// Largest sealed run one append may create, counted as a sync `batch` encodes it (each op's header,
    /// body flag, body and its length prefix, plus the seal): 8 MiB. A run is never split (its seal covers
    /// it whole), and every run must fit one sync message, which fits one peer frame (16 MiB less the
    /// frame overhead), so an append over this is refused (`roost op insert` with many large fields).
    public static let maxRunBytes = 8 * 1024 * 1024

    /// How many bytes an op with a body of `bodyLength` bytes (nil: body pruned) takes in a sync `batch`
    /// or a sealed run (``maxRunBytes``).
    public static func runBytes(ofOpWithBody bodyLength: Int?) -> Int {
        OpHeader.encodedLength + 1 + (bodyLength.map { 4 + $0 } ?? 0)
    }
}
