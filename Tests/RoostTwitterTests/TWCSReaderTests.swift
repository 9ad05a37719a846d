import Foundation
import Testing
import RoostTwitter

/// The CSV reader on hand-made files: every case is read with several chunk sizes, so that quotes,
/// CRLF pairs and newlines split across chunk boundaries are exercised too.
@Suite struct TWCSReaderTests {
    static let header = "tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n"
    static let date = "Tue Oct 31 22:10:47 +0000 2017"
    /// 2017-10-31T22:10:47Z, from `date -u -d 2017-10-31T22:10:47Z +%s`.
    static let dateMillis: UInt64 = 1_509_487_847_000
    static let chunkSizes = [1, 2, 3, 7, 64 * 1024]

    /// Reads `csv` with every chunk size, expects the same results each time, and returns them.
    static func read(_ csv: String) throws -> [Result<TWCSRecord, TWCSError>] {
        var first: [Result<TWCSRecord, TWCSError>]?
        for size in chunkSizes {
            let results = Array(try TWCSReader(data: Data(csv.utf8), chunkSize: size))
            if let first { #expect(results == first, "chunk size \(size) differs") } else { first = results }
        }
        return first ?? []
    }

    static func records(_ csv: String) throws -> [TWCSRecord] {
        try read(csv).map { try $0.get() }
    }

    static func row(_ id: Int, text: String, inbound: String = "True", responses: String = "", parent: String = "") -> String {
        "\(id),115712,\(inbound),\(date),\(text),\(responses),\(parent)\n"
    }

    @Test func plainRecordIsDecoded() throws {
        let csv = Self.header + "6,sprintcare,False,\(Self.date),@115712 Hi &amp; welcome,\"5,7\",8.0\n"
        let record = try #require(try Self.records(csv).first)
        #expect(record == TWCSRecord(
            line: 2, tweetID: "6", authorID: "sprintcare", inbound: false, createdAtMillis: Self.dateMillis,
            text: "@115712 Hi & welcome", responseTweetIDs: ["5", "7"], inResponseToTweetID: "8"))
    }

    @Test func emptyOptionalColumns() throws {
        let record = try #require(try Self.records(Self.header + Self.row(8, text: "hello")).first)
        #expect(record.responseTweetIDs == [])
        #expect(record.inResponseToTweetID == nil)
        #expect(record.inbound)
    }

    @Test func quotedCommasAndDoubledQuotes() throws {
        let csv = Self.header
            + Self.row(1, text: "\"a, b, and c\"")
            + Self.row(2, text: "\"He said \"\"hi\"\", then left\"")
            + Self.row(3, text: "\"\"\"\"")
        let texts = try Self.records(csv).map(\.text)
        #expect(texts == ["a, b, and c", "He said \"hi\", then left", "\""])
    }

    @Test func embeddedNewlinesKeepPhysicalLines() throws {
        let csv = Self.header
            + Self.row(1, text: "\"first\nsecond\nthird\"")  // lines 2-4
            + Self.row(2, text: "one line")  // line 5
            + Self.row(3, text: "\"a\n\n\"\"quoted\"\"\nb\"")  // lines 6-9
            + Self.row(4, text: "last")  // line 10
        let records = try Self.records(csv)
        #expect(records.map(\.line) == [2, 5, 6, 10])
        #expect(records[0].text == "first\nsecond\nthird")
        #expect(records[2].text == "a\n\n\"quoted\"\nb")
    }

    @Test func crlfLineEndings() throws {
        let csv = (Self.header + Self.row(1, text: "\"two\r\nlines\"") + Self.row(2, text: "plain", parent: "1.0"))
            .replacingOccurrences(of: "\n", with: "\r\n")
            .replacingOccurrences(of: "\r\r\n", with: "\r\n")
        #expect(csv.contains("two\r\nlines"))
        let records = try Self.records(csv)
        #expect(records.map(\.line) == [2, 4])
        #expect(records[0].text == "two\r\nlines")
        #expect(records[1].text == "plain")
        #expect(records[1].inResponseToTweetID == "1")
    }

    @Test func lastRecordWithoutNewline() throws {
        var csv = Self.header + Self.row(1, text: "a") + Self.row(2, text: "b")
        csv.removeLast()
        #expect(try Self.records(csv).map(\.tweetID) == ["1", "2"])
    }

    @Test func blankLinesAreSkippedButCounted() throws {
        let csv = Self.header + "\n" + Self.row(1, text: "a") + "\r\n\n" + Self.row(2, text: "b") + "\n"
        #expect(try Self.records(csv).map(\.line) == [3, 6])
    }

    @Test func unterminatedQuoteAtEndOfFile() throws {
        let csv = Self.header + Self.row(1, text: "fine") + "2,115712,True,\(Self.date),\"never closed,,\nmore text\n"
        let results = try Self.read(csv)
        #expect(results.count == 2)
        #expect(try results[0].get().tweetID == "1")
        #expect(results[1] == .failure(.malformed(line: 3, reason: "quoted field never closed before the end of the file")))
    }

    @Test func wrongColumnCountIsReportedAndReadingContinues() throws {
        let csv = Self.header
            + Self.row(1, text: "a")
            + "2,115712,True,\(Self.date),\"only six,\ncolumns\",\n"  // lines 3-4
            + "3,115712,True,\(Self.date),a,b,c,d\n"  // line 5, eight columns
            + Self.row(4, text: "d")  // line 6
        let results = try Self.read(csv)
        #expect(results.count == 4)
        #expect(results[1] == .failure(.malformed(line: 3, reason: "6 columns, expected 7")))
        #expect(results[2] == .failure(.malformed(line: 5, reason: "8 columns, expected 7")))
        #expect(try results[3].get() .line == 6)
        #expect(try results[3].get().tweetID == "4")
    }

    @Test(arguments: [
        ("1,115712,yes,\(date),t,,", "inbound is neither True nor False"),
        ("1,115712,true,\(date),t,,", "inbound is neither True nor False"),
        ("1,115712,True,Tue Oct 32 22:10:47 +0000 2017,t,,", "created_at is not a date like 'Tue Oct 31 22:10:47 +0000 2017'"),
        ("1,115712,True,Mon Oct 31 22:10:47 +0000 2017,t,,", "created_at is not a date like 'Tue Oct 31 22:10:47 +0000 2017'"),
        ("1,115712,True,Tue Oct 31 22:10:47 2017,t,,", "created_at is not a date like 'Tue Oct 31 22:10:47 +0000 2017'"),
        ("1,115712,True,Wed Feb 29 22:10:47 +0000 2017,t,,", "created_at is not a date like 'Tue Oct 31 22:10:47 +0000 2017'"),
        ("12a,115712,True,\(date),t,,", "tweet_id is not a decimal id"),
        (",115712,True,\(date),t,,", "tweet_id is not a decimal id"),
        ("1,,True,\(date),t,,", "author_id is empty or holds characters other than A-Z a-z 0-9 _"),
        ("1,some one,True,\(date),t,,", "author_id is empty or holds characters other than A-Z a-z 0-9 _"),
        ("1,115712,True,\(date),t,\"2,,3\",", "response_tweet_id holds a part that is not a decimal id"),
        ("1,115712,True,\(date),t,,3.5", "in_response_to_tweet_id is not a decimal id (optionally followed by .0)"),
        ("1,115712,True,\(date),t,,3e2", "in_response_to_tweet_id is not a decimal id (optionally followed by .0)"),
        ("1,115712,True,\(date),\"quoted\"tail,,", "text after the closing quote of column 5"),
        ("1,115712,True,\(date),bare \"quote,,", "quote inside unquoted column 5"),
    ])
    func badFieldIsReportedAndReadingContinues(line: String, reason: String) throws {
        let results = try Self.read(Self.header + line + "\n" + Self.row(2, text: "next"))
        #expect(results.count == 2)
        #expect(results[0] == .failure(.malformed(line: 2, reason: reason)))
        #expect(try results[1].get().tweetID == "2")
    }

    @Test func dateWithOffsetAndLeapDay() throws {
        let csv = Self.header
            + "1,a,True,Thu Feb 29 23:30:00 -0130 2024,t,,\n"  // = Mar 1 01:00:00 UTC
            + "2,a,True,Thu Jan 01 00:00:00 +0000 1970,t,,\n"
        let records = try Self.records(csv)
        #expect(records[0].createdAtMillis == 1_709_254_800_000)
        #expect(records[1].createdAtMillis == 0)
    }

    @Test func inResponseToForms() throws {
        let csv = Self.header + Self.row(1, text: "a", parent: "3.0") + Self.row(2, text: "b", parent: "17")
            + Self.row(3, text: "c", parent: "4.00")
        #expect(try Self.records(csv).map(\.inResponseToTweetID) == ["3", "17", "4"])
    }

    @Test func invalidUTF8IsMalformed() throws {
        var data = Data(Self.header.utf8)
        data += Data("1,a,True,\(Self.date),bad ".utf8) + Data([0xC3, 0x28]) + Data(",,\n".utf8)
        data += Data(Self.row(2, text: "ok").utf8)
        let results = Array(try TWCSReader(data: data, chunkSize: 5))
        #expect(results.first == .failure(.malformed(line: 2, reason: "text is not valid UTF-8")))
        #expect(try results.last?.get().tweetID == "2")
    }

    @Test func overlongRecordIsMalformedNotBuffered() throws {
        let huge = String(repeating: "x", count: TwitterLimits.maxRecordBytes + 10)
        let csv = Self.header + Self.row(1, text: huge) + Self.row(2, text: "after")
        let results = Array(try TWCSReader(data: Data(csv.utf8)))
        #expect(results.first == .failure(.malformed(line: 2, reason: "record longer than \(TwitterLimits.maxRecordBytes) bytes")))
        #expect(try results.last?.get().tweetID == "2")
    }

    @Test func errorMessagesHoldNoCustomerText() throws {
        let secret = "my account number is 4242"
        let results = try Self.read(Self.header + "1,115712,maybe,\(Self.date),\(secret),,\n")
        guard case let .failure(error) = results.first else { Issue.record("expected an error"); return }
        #expect(!error.description.contains("4242"))
        #expect(error.description == "line 2: inbound is neither True nor False")
    }

    // MARK: header

    @Test func headerWithByteOrderMarkIsAccepted() throws {
        #expect(try Self.records("\u{FEFF}" + Self.header + Self.row(1, text: "a")).count == 1)
    }

    @Test(arguments: [
        ("tweet_id,author_id,is_inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n", "column 3 is not 'inbound'"),
        ("tweet_id,author_id,inbound,created_at,text,response_tweet_id\n", "6 columns, expected 7"),
        ("Tweet_ID,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id\n", "column 1 is not 'tweet_id'"),
        ("", "column 1 is not 'tweet_id'"),  // no header: the first record is taken for one
        ("\"tweet_id,author_id\n", "quoted field never closed before the end of the file"),
    ])
    func badHeaderIsRejected(header: String, reason: String) {
        #expect(throws: TWCSError.badHeader(line: 1, reason: reason)) {
            _ = try TWCSReader(data: Data((header + Self.row(1, text: "a")).utf8))
        }
    }

    @Test func emptyFileIsRejected() {
        #expect(throws: TWCSError.badHeader(line: 1, reason: "the file is empty")) {
            _ = try TWCSReader(data: Data())
        }
        #expect(throws: TWCSError.badHeader(line: 1, reason: "the file is empty")) {
            _ = try TWCSReader(data: Data("\n\r\n".utf8))
        }
    }

    // MARK: files

    @Test func readsAFileInChunks() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("twcs-\(UUID().uuidString).csv")
        defer { try? FileManager.default.removeItem(at: url) }
        let csv = Self.header + Self.row(1, text: "\"multi\nline\"") + Self.row(2, text: "b", parent: "1.0")
        try Data(csv.utf8).write(to: url)
        let records = try TWCSReader(contentsOf: url, chunkSize: 4).map { try $0.get() }
        #expect(records.map(\.line) == [2, 4])
        #expect(records.map(\.text) == ["multi\nline", "b"])
    }

    @Test func missingFileIsUnreadable() {
        let url = URL(fileURLWithPath: "/nonexistent/twcs-\(UUID().uuidString).csv")
        #expect(throws: TWCSError.unreadable(reason: "cannot open \(url.lastPathComponent)")) {
            _ = try TWCSReader(contentsOf: url)
        }
    }
}
