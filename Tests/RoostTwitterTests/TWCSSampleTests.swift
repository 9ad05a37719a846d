import Foundation
import Testing
import RoostTwitter

/// The reader and threading on the real TWCS sample, each checked against a computation written
/// differently here. Disabled, with a message, on a machine without `../shared/data/twcs-sample.csv`.
@Suite(.enabled(if: SampleFile.isPresent, SampleFile.absent))
struct TWCSSampleTests {
    static func readAll() throws -> (records: [TWCSRecord], errors: [TWCSError]) {
        var records: [TWCSRecord] = []
        var errors: [TWCSError] = []
        for result in try TWCSReader(contentsOf: SampleFile.url) {
            switch result {
            case let .success(record): records.append(record)
            case let .failure(error): errors.append(error)
            }
        }
        return (records, errors)
    }

    /// Independent of the reader: every `"` toggles "inside quotes" (a doubled quote toggles twice, so
    /// it cancels out), and a LF outside quotes ends a record. Returns the line each record starts on,
    /// header included.
    static func recordStartLines(_ bytes: [UInt8]) -> [Int] {
        var starts: [Int] = []
        var inside = false
        var line = 1
        var atRecordStart = true
        for byte in bytes {
            if atRecordStart {
                starts.append(line)
                atRecordStart = false
            }
            if byte == UInt8(ascii: "\"") { inside.toggle() }
            if byte == UInt8(ascii: "\n") {
                line += 1
                if !inside { atRecordStart = true }
            }
        }
        return starts
    }

    @Test func everyRecordIsReadOnItsLine() throws {
        let bytes = [UInt8](try Data(contentsOf: SampleFile.url))
        let expectedStarts = Self.recordStartLines(bytes).dropFirst()  // the header
        let (records, errors) = try Self.readAll()
        print("TWCS sample: \(records.count) records, \(errors.count) errors, independent count \(expectedStarts.count)")
        #expect(errors.isEmpty, "\(errors.prefix(5))")
        #expect(records.count == expectedStarts.count)
        let firstMismatch = zip(records, expectedStarts).first { $0.line != $1 }
        #expect(firstMismatch == nil, "tweet \(firstMismatch?.0.tweetID ?? "") read on line \(firstMismatch?.0.line ?? 0), starts on \(firstMismatch?.1 ?? 0)")
        #expect(records.count > 1_000)
        let multiLine = zip(records, records.dropFirst()).filter { $1.line - $0.line > 1 }.count
        #expect(multiLine > 0, "the sample has tweets spanning lines")
    }

    @Test func tweetIDsAreUnique() throws {
        let records = try Self.readAll().records
        #expect(Set(records.map(\.tweetID)).count == records.count)
    }

    @Test func datesMatchFoundationsParser() throws {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE MMM dd HH:mm:ss Z yyyy"
        let bytes = try Data(contentsOf: SampleFile.url)
        // Independent of the reader's columns: the date is the only field shaped like this.
        let text = String(decoding: bytes, as: UTF8.self)
        let regex = try NSRegularExpression(pattern: "[A-Z][a-z]{2} [A-Z][a-z]{2} \\d{2} \\d{2}:\\d{2}:\\d{2} \\+0000 \\d{4}")
        let dates = regex.matches(in: text, range: NSRange(text.startIndex..., in: text)).compactMap {
            Range($0.range, in: text).map { formatter.date(from: String(text[$0])) }
        }
        let records = try Self.readAll().records
        #expect(dates.count == records.count)
        let expected = dates.map { $0.map { UInt64($0.timeIntervalSince1970 * 1000) } }
        let firstMismatch = zip(records, expected).first { $0.createdAtMillis != $1 }
        #expect(firstMismatch == nil, "tweet \(firstMismatch?.0.tweetID ?? ""): created_at differs from DateFormatter's")
    }

    /// Independent thread count: union-find over links between ids present in the file.
    static func unionFindThreadCount(_ records: [TWCSRecord]) -> Int {
        var parent: [String: String] = [:]
        for record in records { parent[record.tweetID] = record.tweetID }
        func find(_ id: String) -> String {
            var id = id
            while parent[id]! != id {
                parent[id] = parent[parent[id]!]!
                id = parent[id]!
            }
            return id
        }
        for record in records {
            guard let other = record.inResponseToTweetID, parent[other] != nil else { continue }
            let (a, b) = (find(record.tweetID), find(other))
            if a != b { parent[a] = b }
        }
        return Set(records.map { find($0.tweetID) }).count
    }

    @Test func everyTweetLandsInExactlyOneThread() throws {
        let records = try Self.readAll().records
        let roots = Threading.roots(of: records)
        #expect(roots.count == records.count)
        #expect(Set(roots.keys) == Set(records.map(\.tweetID)))
        let threads = Set(roots.values)
        for root in threads { #expect(roots[root] == root, "a root is its own root") }
        // A tweet and its parent (when present) are in the same thread.
        for record in records {
            if let parent = record.inResponseToTweetID, let parentRoot = roots[parent] {
                #expect(roots[record.tweetID] == parentRoot)
            }
        }
        let independent = Self.unionFindThreadCount(records)
        let inbound = records.filter(\.inbound).count
        let brands = Set(records.filter { !$0.inbound }.map(\.authorID)).count
        print("TWCS sample: \(records.count) records, \(threads.count) threads (union-find \(independent)), "
            + "\(inbound) inbound, \(records.count - inbound) outbound, \(brands) brands")
        #expect(threads.count == independent)
        #expect(threads.count < records.count)
    }

    @Test func htmlEntitiesAreDecoded() throws {
        let records = try Self.readAll().records
        #expect(!records.contains { $0.text.contains("&amp;") || $0.text.contains("&gt;") || $0.text.contains("&lt;") })
        let raw = String(decoding: try Data(contentsOf: SampleFile.url), as: UTF8.self)
        #expect(raw.contains("&amp;"), "the sample does escape entities")
    }

    @Test func signatureExamplesAreRealRows() throws {
        let byID = Dictionary(uniqueKeysWithValues: try Self.readAll().records.map { ($0.tweetID, $0.text) })
        for example in SignatureParserTests.realExamples {
            #expect(byID[example.id] == HTMLEntities.decode(example.text), "tweet \(example.id)")
        }
        let outbound = try Self.readAll().records.filter { !$0.inbound }
        let signed = outbound.filter { SignatureParser.initials(in: $0.text) != nil }.count
        print("TWCS sample: \(signed) of \(outbound.count) outbound tweets carry a signature")
        #expect(signed > outbound.count / 2)
    }
}
