import Foundation

/// Where the X API bearer token (an OAuth 2.0 user-context access token of the brand account) comes from.
///
/// The token is never logged and never stored in ops: it stays on the gateway node.
public enum XCredentials {
    /// The environment variable read when no file is given.
    public static let environmentVariable = "ROOST_X_BEARER_TOKEN"

    /// Reads the token from `file` (which must be a regular file readable by its owner only: mode 0600 or
    /// 0400), else from ``environmentVariable``.
    public static func bearerToken(file: String?, environment: [String: String]) throws(XAPIError) -> String {
        if let file {
            var info = stat()
            guard stat(file, &info) == 0 else { throw .credentials("cannot read \(file)") }
            guard UInt32(info.st_mode) & 0o170000 == 0o100000 else { throw .credentials("\(file) is not a regular file") }
            let mode = UInt32(info.st_mode) & 0o777
            guard mode & 0o077 == 0 else {
                throw .credentials("\(file) has mode \(String(mode, radix: 8)); run `chmod 600 \(file)` (the token must be readable by its owner only)")
            }
            guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
                throw .credentials("cannot read \(file)")
            }
            return try token(text, source: file)
        }
        guard let value = environment[environmentVariable] else {
            throw .credentials("no token file configured and \(environmentVariable) is not set")
        }
        return try token(value, source: environmentVariable)
    }

    /// The token of a file's text: the first non-blank line, or the value of a `bearer_token=` line.
    static func token(_ text: String, source: String) throws(XAPIError) -> String {
        for raw in text.split(whereSeparator: \.isNewline) {
            var line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("bearer_token=") { line = String(line.dropFirst("bearer_token=".count)) }
            guard line.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "\"" }) else {
                throw .credentials("\(source) does not hold a token (spaces or quotes in it)")
            }
            return line
        }
        throw .credentials("\(source) is empty")
    }
}
