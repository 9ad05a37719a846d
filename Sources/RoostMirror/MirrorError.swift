public import RoostNode

/// Why a mirror pass failed. Nothing of a failed pass is kept in the warehouse (one transaction per pass) and the
/// cursor stays where it was, so the next pass starts again from there. No text carries a statement's arguments
/// (customer handles) or a password.
public enum MirrorError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The `--postgres` URL does not read; the text says which part.
    case badURL(String)
    /// The server could not be reached or refused the login.
    case connection(String)
    /// The server refused a statement: its SQLSTATE code and message.
    case server(code: String, message: String)
    /// The warehouse holds tables of another mirror schema version.
    case schemaVersion(found: Int, expected: Int)
    /// The node's store could not be read.
    case desk(DeskError)

    public var description: String {
        switch self {
        case let .badURL(detail): "bad PostgreSQL URL: \(detail) (expected postgres://user[:password]@host[:port]/database)"
        case let .connection(detail): "cannot reach PostgreSQL: \(detail)"
        case let .server(code, message): "PostgreSQL refused the mirror's statement (SQLSTATE \(code)): \(message)"
        case let .schemaVersion(found, expected):
            "the warehouse has mirror tables of schema version \(found); this roost writes version \(expected) (drop the roost_* tables to rebuild them)"
        case let .desk(error): "\(error)"
        }
    }
}
