public import Foundation

/// What `roost run` writes while its local API listens (`<home>/api.json`): its process id and the bound
/// address, so the CLI sends desk commands through the running node (one writer, no lock waits) instead of
/// opening the store itself. Removed when the server stops; a file whose process is gone is ignored.
public struct NodeAPIFile: Sendable, Codable, Equatable {
    /// The `roost run` process.
    public var pid: Int32
    /// `host:port` the API listens on.
    public var address: String
    /// When it was written (Unix ms).
    public var writtenMillis: UInt64

    /// Creates the record.
    public init(pid: Int32, address: String, writtenMillis: UInt64) {
        self.pid = pid
        self.address = address
        self.writtenMillis = writtenMillis
    }

    /// The file of a home.
    public static func url(_ home: NodeHome) -> URL { home.url.appendingPathComponent("api.json") }

    /// Writes the record (atomically).
    public func write(_ home: NodeHome) throws(NodeError) {
        do { try JSONEncoder().encode(self).write(to: Self.url(home), options: .atomic) } catch {
            throw .io(path: Self.url(home).path, reason: "cannot write")
        }
    }

    /// Removes the record if it is this process's.
    public static func remove(_ home: NodeHome, pid: Int32 = getpid()) {
        guard let file = read(home), file.pid == pid else { return }
        try? FileManager.default.removeItem(at: url(home))
    }

    /// The record as written, alive or not.
    public static func read(_ home: NodeHome) -> NodeAPIFile? {
        guard let data = FileManager.default.contents(atPath: url(home).path) else { return nil }
        return try? JSONDecoder().decode(NodeAPIFile.self, from: data)
    }

    /// The record of a node running now: its process exists and is not this one.
    public static func live(_ home: NodeHome) -> NodeAPIFile? {
        guard let file = read(home), file.pid > 0, file.pid != getpid() else { return nil }
        guard kill(file.pid, 0) == 0 || errno == EPERM else { return nil }
        return file
    }
}
