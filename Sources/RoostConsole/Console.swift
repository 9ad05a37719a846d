import Foundation

/// What both executables (`roost` and `roost-inspect`) print with: stable JSON, aligned rows and tables. One
/// implementation, so the two tools' outputs cannot drift apart.
public enum Console {
    /// Prints a value as pretty JSON with sorted keys (stable for scripts and tests).
    public static func printJSON(_ value: some Encodable) {
        print(json(value, pretty: true))
    }

    /// One compact JSON line with sorted keys (for streams such as `events --follow --json`).
    public static func jsonLine(_ value: some Encodable) -> String { json(value, pretty: false) }

    private static func json(_ value: some Encodable, pretty: Bool) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// Prints `label: value` rows, the values aligned one space after the longest label's colon.
    public static func printRows(_ rows: [(String, String)]) {
        let width = (rows.map(\.0.count).max() ?? 0) + 2
        for (label, value) in rows {
            print((label + ":").padding(toLength: width, withPad: " ", startingAt: 0) + value)
        }
    }

    /// Prints a header row and rows as a table (``printTable(_:)``).
    public static func printTable(_ header: [String], _ rows: [[String]]) { printTable([header] + rows) }

    /// Prints rows as left-aligned columns two spaces apart (the first row is usually the header); the last
    /// column is not padded and no line ends in spaces.
    public static func printTable(_ rows: [[String]]) {
        let columns = rows.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in rows { for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) } }
        for row in rows {
            var line = ""
            for (index, cell) in row.enumerated() {
                line += index == row.count - 1 ? cell : cell.padding(toLength: widths[index] + 2, withPad: " ", startingAt: 0)
            }
            while line.last == " " { line.removeLast() }
            print(line)
        }
    }
}
