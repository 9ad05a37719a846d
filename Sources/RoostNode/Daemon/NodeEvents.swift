public import Foundation

public import RoostCore
public import RoostSync

/// Sizes of the node's admin files, named in one place.
public enum AdminFileLimits {
    /// `events.jsonl` is rotated to `events.jsonl.1` (replacing it) once it would exceed this many bytes.
    public static let eventsFileBytes = 1 << 20
}

/// The daemon's event stream: one JSON object per line in `events.jsonl` in the node home (connect,
/// disconnect, handshake refused and why, batch applied or refused, fork), rotated at
/// ``AdminFileLimits/eventsFileBytes`` to `events.jsonl.1`. `roost-inspect events --follow` tails it.
/// Lines carry ids, addresses, counts and reasons only.
public final class EventsFile: Sendable {
    /// The file.
    public let url: URL
    /// The rotated previous file.
    public var rotatedURL: URL { url.appendingPathExtension("1") }
    private let lock = NSLock()
    private let limit: Int

    /// The events file of `home`.
    public init(home: NodeHome, limit: Int = AdminFileLimits.eventsFileBytes) {
        url = Self.url(of: home)
        self.limit = limit
    }

    /// Where a home's events file lives.
    public static func url(of home: NodeHome) -> URL { home.url.appendingPathComponent("events.jsonl") }

    /// Appends one event as a line; rotates first when the line would pass the size limit. Best effort:
    /// a failure to write never stops the daemon.
    public func append(_ event: SyncEvent) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard var line = try? encoder.encode(event) else { return }
        line.append(0x0A)
        lock.withLock {
            let fm = FileManager.default
            let size = (try? fm.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
            if size > 0 && size + line.count > limit {
                try? fm.removeItem(at: rotatedURL)
                try? fm.moveItem(at: url, to: rotatedURL)
            }
            if !fm.fileExists(atPath: url.path) {
                _ = fm.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600])
            }
            guard let handle = try? FileHandle(forWritingTo: url) else { return }
            defer { try? handle.close() }
            _ = try? handle.seekToEnd()
            try? handle.write(contentsOf: line)
        }
    }
}

/// One log's entry of a version vector, as `peers.json` stores it.
public struct VectorEntry: Codable, Hashable, Sendable {
    /// The log's author (node id text).
    public var author: String
    /// The log's epoch, hex.
    public var epoch: String
    /// Highest sealed seq held.
    public var seq: UInt64

    /// The entries of a vector, sorted by log.
    public static func entries(of vector: VersionVector) -> [VectorEntry] {
        vector.entries.sorted { $0.key < $1.key }.map {
            VectorEntry(author: $0.key.author.text, epoch: String($0.key.epoch, radix: 16), seq: $0.value)
        }
    }

    /// A vector from entries (entries that do not parse are skipped).
    public static func vector(of entries: [VectorEntry]) -> VersionVector {
        var vector = VersionVector()
        for entry in entries {
            guard let author = try? AuthorID(text: entry.author), let epoch = UInt64(entry.epoch, radix: 16) else { continue }
            vector[LogID(author: author, epoch: epoch)] = entry.seq
        }
        return vector
    }
}

/// The version vector a peer last announced to this node.
public struct HeardVector: Codable, Hashable, Sendable {
    /// The peer's node id.
    public var node: String
    /// Its vector.
    public var vector: [VectorEntry]
    /// When this node last heard it (Unix ms).
    public var heardMillis: UInt64?

    /// Creates a record.
    public init(node: String, vector: [VectorEntry], heardMillis: UInt64? = nil) {
        self.node = node; self.vector = vector; self.heardMillis = heardMillis
    }

    /// Records of every heard vector, sorted by node.
    public static func records(_ heard: [AuthorID: VersionVector]) -> [HeardVector] {
        heard.sorted { $0.key < $1.key }.map { HeardVector(node: $0.key.text, vector: VectorEntry.entries(of: $0.value)) }
    }
}

/// `heard-vectors.json` in the node home: the version vector each peer last announced, written by `roost run`
/// every second and kept after it stops (unlike `peers.json`), merged across restarts so a peer not heard since
/// keeps its last known vector. `roost-inspect peers` and `vectors` read it.
public struct HeardVectorsFile: Codable, Hashable, Sendable {
    /// When it was last written (Unix ms).
    public var writtenMillis: UInt64
    /// One record per peer ever heard, sorted by node id.
    public var vectors: [HeardVector]

    /// Creates a file's content.
    public init(writtenMillis: UInt64, vectors: [HeardVector]) {
        self.writtenMillis = writtenMillis
        self.vectors = vectors
    }

    /// Where a home's file lives.
    public static func url(of home: NodeHome) -> URL { home.url.appendingPathComponent("heard-vectors.json") }

    /// Reads a home's file, if any.
    public static func load(_ home: NodeHome) -> HeardVectorsFile? {
        guard let data = FileManager.default.contents(atPath: url(of: home).path) else { return nil }
        return try? JSONDecoder().decode(HeardVectorsFile.self, from: data)
    }

    /// Merges `heard` (entry-wise maximum; vectors only grow) into the home's file and writes it atomically.
    /// Best effort: a failed write never stops the daemon.
    public static func update(_ home: NodeHome, heard: [AuthorID: VersionVector], nowMillis: UInt64) {
        var records: [String: HeardVector] = [:]
        for record in load(home)?.vectors ?? [] { records[record.node] = record }
        for (peer, vector) in heard {
            var merged = VectorEntry.vector(of: records[peer.text]?.vector ?? [])
            let before = merged
            for (log, seq) in vector.entries where seq > merged[log] { merged[log] = seq }
            let changed = merged != before || records[peer.text] == nil
            records[peer.text] = HeardVector(node: peer.text, vector: VectorEntry.entries(of: merged),
                                             heardMillis: changed ? nowMillis : records[peer.text]?.heardMillis)
        }
        let file = HeardVectorsFile(writtenMillis: nowMillis, vectors: records.values.sorted { $0.node < $1.node })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try? encoder.encode(file).write(to: url(of: home), options: .atomic)
    }
}
