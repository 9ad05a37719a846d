import Foundation
import RoostBenchSupport
import RoostNode
import RoostStore

// Desk benchmark D1: `DeskService.importTWCS` of the public TWCS sample (and of a synthetic ~100k-row
// file made from it) into a fresh FILE node home, as `roost import-twcs` does it.

/// Where the repository and the benchmark package are, found from this source file's path.
public enum BenchPaths {
    /// `Benchmarks/` (this file is `Benchmarks/Sources/RoostDeskBenchSupport/TWCSBench.swift`).
    public static let benchmarks = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    /// The repository root.
    public static let repository = benchmarks.deletingLastPathComponent()

    /// The TWCS sample: `$ROOST_TWCS_SAMPLE`, else `../shared/data/twcs-sample.csv` beside the checkout.
    public static var twcsSample: URL {
        if let path = ProcessInfo.processInfo.environment["ROOST_TWCS_SAMPLE"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        return repository.deletingLastPathComponent().appendingPathComponent("shared/data/twcs-sample.csv")
    }
}

/// The result of one import.
public struct TWCSImportRun: Sendable {
    public var nanos: UInt64
    public var read: Int
    public var messages: Int
    public var tickets: Int
    public var errors: Int
    public var ops: Int
    /// Records read per second.
    public var tweetsPerSecond: Double { rate(read, nanos) }
}

/// Imports `csv` into a fresh node home in a scratch directory (no rules, all brands), timing only
/// `importTWCS` (creating the home is not timed). The home is removed afterwards.
public func timeTWCSImport(_ csv: URL, label: String = "twcs") throws -> TWCSImportRun {
    let directory = try ScratchDirectory(label)
    defer { directory.remove() }
    let node = try NodeHome(path: directory.path("home")).initialize(config: NodeConfig(name: "Bench Agent", initials: "BA"))
    try DeskWhatIf.apply(to: node)
    let desk = DeskService(node: node)
    let start = nowNanos()
    let report = try desk.importTWCS(url: csv, brandHandles: [], rules: .empty, strict: false, progress: nil)
    let nanos = nowNanos() - start
    return TWCSImportRun(nanos: nanos, read: report.read, messages: report.messages, tickets: report.tickets,
                         errors: report.errors.count, ops: try node.store.opCount())
}

/// Writes `copies` copies of the TWCS file at `source` to `destination`, keeping its header and format:
/// copy `r` (1-based) prefixes every tweet id, every `response_tweet_id` part, every
/// `in_response_to_tweet_id` and every numeric (customer) `author_id` with `r`, zero-padding the
/// original so ids stay unique decimal ids (`115712` in copy 3 becomes `3000115712`; tweet `42`
/// becomes `300000042`), and moves its `created_at` `(r - 1) * shiftDays` days later (the sample's
/// traffic spans about 34 days), so the copies follow each other in time as a longer stream would and
/// ids grow with time, as they do in the real data. Brand handles and texts are kept as they are.
/// Returns the data rows written.
@discardableResult
public func replicateTWCS(_ source: URL, copies: Int, shiftDays: Int = 40, to destination: URL) throws -> Int {
    let dates = DateFormatter()
    dates.locale = Locale(identifier: "en_US_POSIX")
    dates.timeZone = TimeZone(secondsFromGMT: 0)
    dates.dateFormat = "EEE MMM dd HH:mm:ss Z yyyy"
    let bytes = [UInt8](try Data(contentsOf: source))
    let rows = CSVRows.split(bytes)
    guard let header = rows.first, rows.count > 1 else { throw BenchError("\(source.path): no rows") }
    var out = Data()
    out.reserveCapacity(bytes.count * copies + copies * rows.count * 24)
    out.append(contentsOf: header.raw)
    out.append(UInt8(ascii: "\n"))
    let body = rows.dropFirst()
    func prefixed(_ run: Int, _ id: Substring, width: Int) -> String {
        String(run) + String(repeating: "0", count: max(0, width - id.count)) + id
    }
    for run in 1...copies {
        for row in body {
            var fields = row.fields.map { String(decoding: $0, as: UTF8.self) }
            guard fields.count == 7 else { throw BenchError("\(source.path): a row with \(fields.count) fields") }
            fields[0] = prefixed(run, Substring(fields[0]), width: 8)
            if run > 1 {
                guard let date = dates.date(from: fields[3]) else { throw BenchError("\(source.path): created_at \(fields[3])") }
                fields[3] = dates.string(from: date.addingTimeInterval(Double((run - 1) * shiftDays) * 86_400))
            }
            if !fields[1].isEmpty, fields[1].utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) {
                fields[1] = prefixed(run, Substring(fields[1]), width: 9)
            }
            if !fields[5].isEmpty {
                fields[5] = fields[5].split(separator: ",", omittingEmptySubsequences: false)
                    .map { prefixed(run, $0, width: 8) }.joined(separator: ",")
            }
            if !fields[6].isEmpty {
                let parts = fields[6].split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
                fields[6] = prefixed(run, parts[0], width: 8) + (parts.count == 2 ? "." + parts[1] : "")
            }
            out.append(contentsOf: Array(fields.map(CSVRows.quoteIfNeeded).joined(separator: ",").utf8))
            out.append(UInt8(ascii: "\n"))
        }
    }
    try out.write(to: destination)
    return body.count * copies
}

/// A minimal RFC 4180 splitter (quoted fields may hold commas, quotes and newlines).
enum CSVRows {
    struct Row { var raw: [UInt8]; var fields: [[UInt8]] }

    static func split(_ bytes: [UInt8]) -> [Row] {
        let quote = UInt8(ascii: "\""), comma = UInt8(ascii: ","), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        var rows: [Row] = []
        var fields: [[UInt8]] = []
        var field: [UInt8] = []
        var inQuotes = false
        var rowStart = 0
        var i = 0
        func endRow(_ end: Int) {
            fields.append(field); field = []
            rows.append(Row(raw: Array(bytes[rowStart..<end]), fields: fields)); fields = []
        }
        while i < bytes.count {
            let b = bytes[i]
            if inQuotes {
                if b == quote {
                    if i + 1 < bytes.count && bytes[i + 1] == quote { field.append(quote); i += 1 } else { inQuotes = false }
                } else {
                    field.append(b)
                }
            } else if b == quote {
                inQuotes = true
            } else if b == comma {
                fields.append(field); field = []
            } else if b == lf {
                let end = i > rowStart && bytes[i - 1] == cr ? i - 1 : i
                if end > rowStart || !fields.isEmpty { endRow(end) } else { field = [] }
                rowStart = i + 1
            } else if b != cr || (i + 1 < bytes.count && bytes[i + 1] != lf) {
                field.append(b)
            }
            i += 1
        }
        if rowStart < bytes.count { endRow(bytes.count) }
        return rows
    }

    static func quoteIfNeeded(_ field: String) -> String {
        guard field.utf8.contains(where: { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") })
        else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// A benchmark setup problem.
public struct BenchError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
