/// Why a line of an X API JSONL file was rejected. The reason names the field (`data[2].created_at`),
/// never its content.
public enum XPayloadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Line `line` (1-based) is not a response of the expected shape.
    case malformed(line: Int, reason: String)

    public var description: String {
        switch self {
        case let .malformed(line, reason): "line \(line): \(reason)"
        }
    }
}
