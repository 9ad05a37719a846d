internal import Foundation

/// Bytes of a file or of memory, handed out a chunk at a time so a large file is never held whole.
struct ChunkedBytes {
    private enum Source {
        case memory(Data, offset: Int)
        case file(FileHandle)
        case finished
    }

    private var source: Source
    private let chunkSize: Int

    init(data: Data, chunkSize: Int) {
        source = .memory(data, offset: data.startIndex)
        self.chunkSize = max(1, chunkSize)
    }

    init(file: FileHandle, chunkSize: Int) {
        source = .file(file)
        self.chunkSize = max(1, chunkSize)
    }

    /// The next chunk (never empty), or nil at the end.
    mutating func next() throws(TWCSError) -> [UInt8]? {
        switch source {
        case .finished:
            return nil
        case let .memory(data, offset):
            guard offset < data.endIndex else {
                source = .finished
                return nil
            }
            let end = min(data.endIndex, offset + chunkSize)
            source = .memory(data, offset: end)
            return [UInt8](data[offset..<end])
        case let .file(handle):
            let data: Data?
            do {
                data = try handle.read(upToCount: chunkSize)
            } catch {
                source = .finished
                try? handle.close()
                throw .unreadable(reason: "read failed")
            }
            guard let data, !data.isEmpty else {
                source = .finished
                try? handle.close()
                return nil
            }
            return [UInt8](data)
        }
    }
}
