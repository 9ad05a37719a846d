public import Foundation
public import RoostCore
import RoostCrypto
public import RoostStore

/// A node's home folder: `config.json`, `identity.key` (0600) and `node.sqlite`.
///
/// Resolved from `--home`, else `ROOST_HOME`, else `~/.roost`.
public struct NodeHome: Sendable {
    /// The folder.
    public let url: URL

    /// A home at an explicit path.
    public init(path: String) {
        url = URL(fileURLWithPath: (path as NSString).expandingTildeInPath, isDirectory: true).standardizedFileURL
    }

    /// The home chosen by `--home`, else `ROOST_HOME`, else `~/.roost`.
    public static func resolve(option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> NodeHome {
        if let option, !option.isEmpty { return NodeHome(path: option) }
        if let env = environment["ROOST_HOME"], !env.isEmpty { return NodeHome(path: env) }
        return NodeHome(path: (environment["HOME"] ?? NSHomeDirectory()) + "/.roost")
    }

    /// The config file.
    public var configURL: URL { url.appendingPathComponent("config.json") }
    /// The secret key file.
    public var keyPath: String { url.appendingPathComponent("identity.key").path }
    /// The SQLite database.
    public var databasePath: String { url.appendingPathComponent("node.sqlite").path }

    /// True when any of the node's files exists.
    public var exists: Bool {
        let fm = FileManager.default
        return [configURL.path, keyPath, databasePath].contains { fm.fileExists(atPath: $0) }
    }

    /// Creates a new node: folder (0700), key, config, and a database bound to the key and a fresh
    /// random log epoch. Refuses when any node file exists; never overwrites a key.
    /// `logFormat` is the op format of the node's log (1, or 2: Protocol/SPEC-format-2.md, carried to peers by sync
    /// protocol version 4 only), fixed for its epoch.
    /// With `queues`, the node is a partial node holding those queues (Protocol/SPEC-partial.md; `logFormat` must be 2).
    public func initialize(config: NodeConfig, logFormat: Int = 1, queues: [String]? = nil) throws(NodeError) -> Node {
        guard logFormat == 1 || logFormat == 2 else { throw .invalidArgument("the log format is 1 or 2 (given \(logFormat))") }
        if let queues {
            guard logFormat == 2 else { throw .invalidArgument("a partial node writes op format 2") }
            guard !queues.isEmpty, queues.allSatisfy({ !$0.isEmpty && !$0.contains(where: \.isWhitespace) }) else {
                throw .invalidArgument("a partial node names at least one queue, without spaces")
            }
        }
        if let problem = config.validate() { throw .invalidArgument(problem) }
        if exists { throw .alreadyInitialized(path: url.path) }
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw .io(path: url.path, reason: "cannot create the node folder")
        }
        let key = SigningKey.generate()
        try IdentityFile.create(key, at: keyPath)
        do {
            try config.encoded().write(to: configURL, options: .withoutOverwriting)
        } catch {
            throw .io(path: configURL.path, reason: "cannot write the config")
        }
        let epoch = SecureRandom.uint64() & Limits.maxOrdinal
        do {
            let store = try OpStore(path: databasePath, maxClockDriftMillis: UInt64(config.maxClockDriftSeconds) * 1000)
            try store.bindLocalLog(LogID(author: key.authorID, epoch: epoch), format: logFormat)
            if let queues { try store.setPartialSubscription(queues) }
            return Node(home: self, config: config, author: LocalAuthor(key: key, epoch: epoch, format: logFormat), store: store)
        } catch {
            throw .store(error)
        }
    }

    /// Opens an existing node.
    public func open() throws(NodeError) -> Node {
        guard FileManager.default.fileExists(atPath: configURL.path) else { throw .notInitialized(path: url.path) }
        let config = try NodeConfig.load(from: configURL)
        let key = try IdentityFile.load(from: keyPath)
        guard FileManager.default.fileExists(atPath: databasePath) else {
            throw .io(path: databasePath, reason: "the database is missing")
        }
        do {
            let store = try OpStore(path: databasePath, maxClockDriftMillis: UInt64(config.maxClockDriftSeconds) * 1000) {
                NodeNotices.post(NodeNotices.upgrading(ops: $0.ops))
            }
            guard let log = try store.localLog(), log.author == key.authorID else {
                throw NodeError.identityMismatch(path: databasePath)
            }
            return Node(home: self, config: config, author: LocalAuthor(key: key, epoch: log.epoch, format: try store.localLogFormat()),
                        store: store)
        } catch let error as NodeError {
            throw error
        } catch let error as StoreError {
            throw .store(error)
        } catch {
            throw .io(path: databasePath, reason: "cannot open the database")
        }
    }
}

/// An open node: its home, config, signing identity and store.
public struct Node: Sendable {
    /// Where it lives.
    public let home: NodeHome
    /// Its config.
    public let config: NodeConfig
    /// Its signing identity and epoch.
    public let author: LocalAuthor
    /// Its database.
    public let store: OpStore

    /// The node's id (its public key).
    public var id: AuthorID { author.id }

    /// Appends ops made on this node, stamped by the system clock.
    @discardableResult
    public func append(_ bodies: [OpBody], clock: some WallClock = SystemClock()) throws(NodeError) -> LocalAppend {
        do { return try store.appendLocal(bodies, by: author, clock: clock) } catch { throw .store(error) }
    }
}
