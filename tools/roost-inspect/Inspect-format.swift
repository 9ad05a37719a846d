import Foundation
import RoostCore

/// Output helpers: stable JSON, aligned tables, UTC times.
enum Format {
    /// Prints a value as pretty, key-sorted JSON.
    static func printJSON(_ value: some Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        print(String(decoding: data, as: UTF8.self))
    }

    /// One compact JSON line.
    static func jsonLine(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Prints `label: value` rows aligned.
    static func printRows(_ rows: [(String, String)]) {
        let width = (rows.map(\.0.count).max() ?? 0) + 2
        for (label, value) in rows {
            print((label + ":").padding(toLength: width, withPad: " ", startingAt: 0) + value)
        }
    }

    /// Prints a table: a header row and rows, columns separated by two spaces, trailing spaces trimmed.
    static func printTable(_ header: [String], _ rows: [[String]]) {
        let columns = header.count
        var widths = header.map(\.count)
        for row in rows { for (index, cell) in row.enumerated() where index < columns { widths[index] = max(widths[index], cell.count) } }
        for row in [header] + rows {
            var line = ""
            for (index, cell) in row.enumerated() {
                line += index == row.count - 1 ? cell : cell.padding(toLength: widths[index] + 2, withPad: " ", startingAt: 0)
            }
            print(line.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression))
        }
    }

    /// Unix milliseconds as `2026-01-01T00:00:00.000Z`.
    static func time(_ millis: UInt64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }

    /// An HLC as its UTC wall time plus the logical counter: `2026-01-01T00:00:00.000Z+0`.
    static func hlc(_ hlc: HLC) -> String {
        hlc == .zero ? "none" : time(hlc.physicalMillis) + "+\(hlc.logical)"
    }

    /// A log as `AAAAAAA/epoch-hex`.
    static func log(_ log: LogID) -> String { "\(log)" }

    /// Parses `2026-01-01`, `2026-01-01T10:00:00Z` or Unix milliseconds.
    static func parseTime(_ text: String) -> UInt64? {
        if let millis = UInt64(text) { return millis }
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime],
                                                      [.withFullDate]] {
            formatter.formatOptions = options
            if let date = formatter.date(from: text) { return UInt64(max(0, date.timeIntervalSince1970 * 1000)) }
        }
        return nil
    }
}
