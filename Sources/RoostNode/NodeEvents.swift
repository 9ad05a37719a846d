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

/// The version vector a peer last announced to this node, with when it was written to `peers.json`.
public struct HeardVector: Codable, Hashable, Sendable {
    /// The peer's node id.
    public var node: String
    /// Its vector.
    public var vector: [VectorEntry]

    /// Records of every heard vector, sorted by node.
    public static func records(_ heard: [AuthorID: VersionVector]) -> [HeardVector] {
        heard.sorted { $0.key < $1.key }.map { HeardVector(node: $0.key.text, vector: VectorEntry.entries(of: $0.value)) }
    }
}
