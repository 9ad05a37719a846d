import Testing
import RoostCore

/// The search query language: what each part means, and one clear error naming the position for anything else.
@Suite struct SearchQueryTests {
    @Test func termsAndFiltersAreRead() throws {
        let query = try SearchQuery.parse(#"router double-charged refund* "not working" -spam -"thank you" from:@Cust_1 to:@AcmeCare tag:billing tag:vip status:open status:pending queue:es tier:service lang:ES assignee:me assignee:@al assignee:none after:2017-10-01 before:2017-11-01"#)
        #expect(query.include == [.word("router"), .word("double-charged"), .prefix("refund"), .phrase("not working")])
        #expect(query.exclude == [.word("spam"), .phrase("thank you")])
        #expect(query.from == ["cust_1"] && query.to == ["acmecare"])
        #expect(query.tags == ["billing", "vip"] && query.queues == ["es"])
        #expect(query.statuses == [.open, .pending] && query.tiers == [.service] && query.languages == ["es"])
        #expect(query.assignees == [.me, .initials("al"), .nobody])
        #expect(query.afterMillis == 1_506_816_000_000)   // 2017-10-01T00:00Z
        #expect(query.beforeMillis == 1_509_494_400_000)  // 2017-11-01T00:00Z
    }

    @Test func punctuationAloneIsDroppedAndTimesAreWords() throws {
        #expect(try SearchQuery.parse("!!! outage ??? \"...\"").include == [.word("outage")])
        #expect(try SearchQuery.parse("10:30 flight").include == [.word("10:30"), .word("flight")])
        #expect(try SearchQuery.parse("status:open").include.isEmpty)
        #expect(try SearchQuery.parse("café").include == [.word("café")])
    }

    @Test func leapDaysAndEpochAreDates() throws {
        #expect(try SearchQuery.parse("after:1970-01-01").afterMillis == 0)
        #expect(try SearchQuery.parse("after:2024-02-29").afterMillis == 1_709_164_800_000)
    }

    @Test(arguments: [
        ("", 1, "nothing to search for"),
        ("   ", 1, "nothing to search for"),
        ("\"unclosed phrase", 1, "never closed"),
        ("router \"a b\"c", 13, "space after a closing quote"),
        ("bad*word", 4, "only at the end"),
        ("*", 1, "needs at least one letter"),
        ("ok -", 4, "a lone -"),
        ("stauts:open", 1, "unknown filter stauts:"),
        ("http://example.com", 1, "unknown filter http:"),
        ("status:gone", 8, "status: must be one of"),
        ("tier:vip", 6, "tier: must be one of"),
        ("from:", 6, "from: needs a value"),
        ("from:@a-b", 6, "needs a handle"),
        ("before:2017-13-01", 8, "YYYY-MM-DD"),
        ("after:2023-02-29", 7, "YYYY-MM-DD"),
        ("after:2017-01-01 after:2017-02-01", 24, "after: is given twice"),
        ("-status:open", 1, "filters cannot be negated"),
        ("assignee:@", 10, "assignee: must be"),
        ("lang:english", 6, "language code"),
        ("wo\"rd", 3, "a quote inside a word"),
        ("sentiment:angry", 11, "sentiment: must be neg, neu or pos"),
    ])
    func badQueriesAreOneErrorWithThePosition(query: String, position: Int, reason: String) {
        do {
            _ = try SearchQuery.parse(query)
            Issue.record("\(query) was accepted")
        } catch {
            #expect(error.position == position, "\(query): \(error)")
            #expect(error.reason.contains(reason), "\(query): \(error)")
            #expect(error.description.hasPrefix("search query, at character \(position): "))
        }
    }

    @Test func limitsAreEnforced() {
        #expect(throws: SearchQueryError.self) { try SearchQuery.parse(String(repeating: "a", count: SearchLimits.maxQueryCharacters + 1)) }
        #expect(throws: SearchQueryError.self) { try SearchQuery.parse(Array(repeating: "w", count: SearchLimits.maxParts + 1).joined(separator: " ")) }
        #expect((try? SearchQuery.parse(Array(repeating: "w", count: SearchLimits.maxParts).joined(separator: " "))) != nil)
    }
}
