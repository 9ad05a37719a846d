import Foundation
import GRDB
import RoostCore
@testable import RoostStore
import Testing

/// The full-text index is written from a queue once per transaction (`SearchIndex.drain`). Random runs of
/// document writes — new documents, text changed in place, documents moved to another second (a new id),
/// deletions, the same document changed several times in one transaction — must leave `search_fts` exactly what
/// indexing `search_doc` from scratch gives: FTS5's own integrity check passes, every word finds exactly the
/// documents whose text holds it, and no change is left queued after a commit.
@Suite struct SearchQueueTests {
    static let words = ["router", "refund", "order", "late", "broken", "thanks", "billing", "outage"]

    @Test(arguments: [UInt64(20_261_204), 7, 99])
    func randomWritesLeaveTheIndexEqualToItsDocuments(seed: UInt64) throws {
        print("SearchQueueTests seed \(seed)")
        var rng = SplitMix64(seed: seed)
        let store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        for _ in 0..<40 {
            try store.write { db in
                for _ in 0..<Int.random(in: 1...12, using: &rng) {
                    let doc = "m\(Int.random(in: 0..<15, using: &rng))"
                    if Int.random(in: 0..<5, using: &rng) == 0 {
                        try SearchIndex.indexMessage(doc, ticket: "t", direction: "inbound", author: "c", createdMillis: 0,
                                                     text: nil, db: db)
                        continue
                    }
                    let text = (0..<Int.random(in: 1...4, using: &rng))
                        .map { _ in Self.words[Int.random(in: 0..<Self.words.count, using: &rng)] }.joined(separator: " ")
                    // Three seconds, so a document keeps its id (same time) or moves (another second).
                    let millis = Int64(Int.random(in: 1...3, using: &rng)) * 1_000
                    try SearchIndex.indexMessage(doc, ticket: "t", direction: "inbound", author: "c", createdMillis: millis,
                                                 text: text, db: db)
                }
            }
            let queued = try store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM search_queue") }
            #expect(queued == 0)
        }
        try store.write { db in
            try db.execute(sql: "INSERT INTO search_fts (search_fts, rank) VALUES ('integrity-check', 1)")
        }
        try store.read { db in
            let documents = try Row.fetchAll(db, sql: "SELECT id, body FROM search_doc")
            #expect(!documents.isEmpty)
            for word in Self.words {
                let expected = Set(documents.filter { ($0["body"] as String).split(separator: " ").contains(Substring(word)) }
                    .map { $0["id"] as Int64 })
                let found = try Set(Int64.fetchAll(db, sql: "SELECT rowid FROM search_fts WHERE search_fts MATCH ?",
                                                   arguments: ["body : \(word)"]))
                #expect(found == expected, "word \(word), seed \(seed)")
            }
        }
    }

    @Test func aChangeQueuedInATransactionIsIndexedBeforeItCommits() throws {
        let store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        try store.write { db in
            try SearchIndex.indexMessage("m1", ticket: "t", direction: "inbound", author: "c", createdMillis: 5_000,
                                         text: "router broken", db: db)
            let queued = try Int.fetchOne(db, sql: "SELECT count(*) FROM search_queue")
            #expect(queued == 1)
        }
        let found = try store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM search_fts WHERE search_fts MATCH 'router'") }
        #expect(found == 1)
    }

    /// Documents that pile on one time (every ticket without a message has time 0) fill their second's 1,024 ids and
    /// spill into later seconds: each gets the first second with room after the full ones, found in O(log n) lookups.
    /// A second emptied again in the middle of the pile may be skipped (the order is off, never lost): ids stay unique.
    @Test func documentsPiledOnOneTimeSpillIntoTheNextSecondsWithRoom() throws {
        let store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
        let perSecond = 1 << SearchIndex.idTimeShift
        try store.write { db in
            for n in 0..<(3 * perSecond + 5) {
                try SearchIndex.indexMessage("m\(n)", ticket: "t", direction: "inbound", author: "c", createdMillis: 0,
                                             text: "router", db: db)
            }
        }
        try store.read { db in
            let ids = try Int64.fetchAll(db, sql: "SELECT id FROM search_doc ORDER BY id")
            // Exactly seconds 0, 1 and 2 full, then the first five ids of second 3: no id skipped, none repeated.
            #expect(ids == (0..<Int64(3 * perSecond + 5)).map { $0 })
            let m1024: Int64? = try Int64.fetchOne(db, sql: "SELECT id FROM search_doc WHERE doc = 'm1024'")
            #expect(m1024 == Int64(perSecond))
        }
        // A document of second 1 is removed: the next one at time 0 takes the hole there or a later second's id,
        // never one in use.
        try store.write { db in
            try SearchIndex.indexMessage("m1500", ticket: "t", direction: "inbound", author: "c", createdMillis: 0, text: nil, db: db)
            try SearchIndex.indexMessage("late", ticket: "t", direction: "inbound", author: "c", createdMillis: 0,
                                         text: "router", db: db)
        }
        try store.read { db in
            let count = try Int.fetchOne(db, sql: "SELECT count(*) FROM search_doc")
            let distinct = try Int.fetchOne(db, sql: "SELECT count(DISTINCT id) FROM search_doc")
            #expect(count == 3 * perSecond + 5 && distinct == count)
            let late = try Int64.fetchOne(db, sql: "SELECT id FROM search_doc WHERE doc = 'late'") ?? -1
            #expect(late >= Int64(perSecond) && late < Int64(4 * perSecond))
        }
    }

}
