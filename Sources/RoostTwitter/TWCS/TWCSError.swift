/// Why a TWCS file or one of its records could not be read. Messages name a line and a short
/// reason, never the customer's text.
public enum TWCSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The record starting on `line` is broken; reading goes on with the next record.
    case malformed(line: Int, reason: String)
    /// The first row is not the TWCS header; nothing is read.
    case badHeader(line: Int, reason: String)
    /// The file could not be opened or read.
    case unreadable(reason: String)

    public var description: String {
        switch self {
        case let .malformed(line, reason): "line \(line): \(reason)"
        case let .badHeader(line, reason): "line \(line): not a TWCS header: \(reason)"
        case let .unreadable(reason): "cannot read: \(reason)"
        }
    }
}
