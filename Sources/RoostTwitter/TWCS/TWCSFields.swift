/// Turns a raw CSV row into a ``TWCSRecord``, naming the first column that is wrong.
enum TWCSFields {
    static func record(from row: CSVRow) throws(TWCSError) -> TWCSRecord {
        func fail(_ reason: String) -> TWCSError { .malformed(line: row.line, reason: reason) }
        if let problem = row.problem { throw fail(problem.reason) }
        guard row.fields.count == TWCSRecord.columns.count else {
            throw fail("\(row.fields.count) columns, expected \(TWCSRecord.columns.count)")
        }
        var values: [String] = []
        values.reserveCapacity(row.fields.count)
        for (index, bytes) in row.fields.enumerated() {
            guard let value = utf8String(bytes) else { throw fail("\(TWCSRecord.columns[index]) is not valid UTF-8") }
            values.append(value)
        }
        let tweetID = values[0], authorID = values[1], inbound = values[2], createdAt = values[3]
        let responses = values[5], inResponseTo = values[6]

        guard isDecimalID(tweetID) else { throw fail("tweet_id is not a decimal id") }
        guard isHandleOrID(authorID) else { throw fail("author_id is empty or holds characters other than A-Z a-z 0-9 _") }
        let isInbound: Bool
        switch inbound {
        case "True": isInbound = true
        case "False": isInbound = false
        default: throw fail("inbound is neither True nor False")
        }
        guard let millis = CivilTime.parseTWCS(createdAt) else {
            throw fail("created_at is not a date like 'Tue Oct 31 22:10:47 +0000 2017'")
        }
        var responseIDs: [String] = []
        if !responses.isEmpty {
            for part in responses.split(separator: ",", omittingEmptySubsequences: false) {
                guard isDecimalID(part) else { throw fail("response_tweet_id holds a part that is not a decimal id") }
                responseIDs.append(String(part))
            }
        }
        var parent: String?
        if !inResponseTo.isEmpty {
            guard let id = integerPart(ofFloatID: inResponseTo) else {
                throw fail("in_response_to_tweet_id is not a decimal id (optionally followed by .0)")
            }
            parent = id
        }
        return TWCSRecord(
            line: row.line, tweetID: tweetID, authorID: authorID, inbound: isInbound, createdAtMillis: millis,
            text: HTMLEntities.decode(values[4]), responseTweetIDs: responseIDs, inResponseToTweetID: parent)
    }

    /// Non-empty and only ASCII digits.
    static func isDecimalID(_ text: some StringProtocol) -> Bool {
        !text.utf8.isEmpty && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// A brand handle or an anonymized number: non-empty, only `A-Z a-z 0-9 _`.
    static func isHandleOrID(_ text: String) -> Bool {
        !text.utf8.isEmpty && text.utf8.allSatisfy { byte in
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) || byte == UInt8(ascii: "_")
        }
    }

    /// `3.0` → `3`, `3` → `3`; nil for anything else (`3.5`, `3e2`, `-3.0`, `.0`).
    static func integerPart(ofFloatID text: String) -> String? {
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard isDecimalID(parts[0]) else { return nil }
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].allSatisfy({ $0 == "0" }) else { return nil }
        }
        return String(parts[0])
    }

    /// The bytes as a String, or nil when they are not valid UTF-8.
    static func utf8String(_ bytes: [UInt8]) -> String? {
        var iterator = bytes.makeIterator()
        var codec = UTF8()
        while true {
            switch codec.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return String(decoding: bytes, as: UTF8.self)
            case .error: return nil
            }
        }
    }
}
