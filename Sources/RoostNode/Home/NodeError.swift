public import RoostStore

/// Errors of node assembly: the home folder, its files and the config. Each names the file and
/// what to do, and never contains key material.
public enum NodeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `init` found an existing node home.
    case alreadyInitialized(path: String)
    /// No node home at the path.
    case notInitialized(path: String)
    /// The secret key file can be read by group or others.
    case keyFileTooOpen(path: String, mode: UInt32)
    /// The secret key file is malformed.
    case badKeyFile(path: String, reason: String)
    /// The config file is malformed.
    case badConfig(path: String, reason: String)
    /// Invalid user input (name, initials...).
    case invalidArgument(String)
    /// The database belongs to another identity than the key file.
    case identityMismatch(path: String)
    /// A file could not be read or written.
    case io(path: String, reason: String)
    /// The store failed.
    case store(StoreError)

    public var description: String {
        switch self {
        case let .alreadyInitialized(path):
            "a node already exists in \(path); refusing to overwrite it (use --home for another node)"
        case let .notInitialized(path):
            "no node in \(path); run `roost init --name NAME --initials XX` first"
        case let .keyFileTooOpen(path, mode):
            "\(path) is readable by other users (mode \(String(mode, radix: 8))); run `chmod 600 \(path)`"
        case let .badKeyFile(path, reason): "\(path): \(reason)"
        case let .badConfig(path, reason): "\(path): \(reason)"
        case let .invalidArgument(message): message
        case let .identityMismatch(path): "\(path) belongs to another identity than this home's key"
        case let .io(path, reason): "\(path): \(reason)"
        case let .store(error): "\(error)"
        }
    }
}
