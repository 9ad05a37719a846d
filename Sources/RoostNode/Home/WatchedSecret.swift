import Foundation

/// A secret file that is read again whenever it changes on disk (another inode, size or modification time), so a
/// running node picks up `roost token rotate` on its next request without a restart. While the file cannot be
/// read (removed, or made readable by others) ``current()`` is nil and callers refuse: it fails closed.
public final class WatchedSecret<Value: Sendable & Equatable>: @unchecked Sendable {
    private let path: String
    private let load: @Sendable () throws(NodeError) -> Value
    private let lock = NSLock()
    private var signature: [Int] = []
    private var value: Value?

    /// Watches `path`, reading it with `load`.
    public init(path: String, load: @escaping @Sendable () throws(NodeError) -> Value) {
        self.path = path
        self.load = load
    }

    /// The value now, and whether it differs from the one the previous call returned.
    public func current() -> (value: Value?, changed: Bool) {
        var info = stat()
        let now: [Int] = stat(path, &info) == 0
            ? [Int(info.st_ino), Int(info.st_size), Int(info.st_mtim.tv_sec), Int(info.st_mtim.tv_nsec), Int(info.st_mode)]
            : []
        return lock.withLock {
            if now == signature, !now.isEmpty { return (value, false) }
            let previous = value
            signature = now
            value = now.isEmpty ? nil : (try? load())
            return (value, previous != nil && value != previous)
        }
    }
}
