import GRDBSQLite

/// Memory held by SQLite in this process (every connection's page cache, statements and schema), as SQLite itself
/// counts it (`sqlite3_memory_used`). A process running many stores (the soak, the simulation) holds one page cache
/// per connection, up to ``StoreLimits/pageCacheKiB`` each, so this tells that bounded part of the resident set
/// from the rest.
public enum StoreMemory {
    /// Bytes SQLite currently holds.
    public static var sqliteBytesInUse: Int { Int(sqlite3_memory_used()) }
    /// The most bytes SQLite has held at once since the process started.
    public static var sqlitePeakBytes: Int { Int(sqlite3_memory_highwater(0)) }
}
