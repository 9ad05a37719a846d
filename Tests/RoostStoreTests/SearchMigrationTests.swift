import Foundation
import GRDB
import RoostCore
@_spi(StoreInternals) @testable import RoostStore
import Testing

/// `v9-search-authors`: a home indexed before the full-text index had its `author` column is migrated on open,
/// and keeps what it had indexed (the documents are derived state, rebuilt from `search_doc`).
@Suite struct SearchMigrationTests {
    @Test func aHomeIndexedBeforeTheAuthorColumnIsRebuiltOnOpen() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("roost-fts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("node.sqlite").path
        do {
            let store = try OpStore(path: path)
            // Back to the shape of v4-v8: one indexed column, triggers without the author, v9 not applied.
            try store.writer.writeWithoutTransaction { db in
                try db.execute(sql: """
                    DROP TRIGGER search_doc_insert; DROP TRIGGER search_doc_delete; DROP TRIGGER search_doc_update;
                    DROP TABLE search_fts;
                    CREATE VIRTUAL TABLE search_fts USING fts5(
                        body, content = 'search_doc', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2');
                    CREATE TRIGGER search_doc_insert AFTER INSERT ON search_doc BEGIN
                        INSERT INTO search_fts (rowid, body) VALUES (new.id, new.body);
                    END;
                    INSERT INTO search_doc (id, doc, ticket, kind, author, created_ms, body)
                        VALUES (1025, 'm1', 'p1', 'outbound', 'AmazonHelp', 1000, 'Your order ships today');
                    INSERT INTO search_doc (id, doc, ticket, kind, author, created_ms, body)
                        VALUES (1026, 'm2', 'p1', 'inbound', '115712', 1000, 'Where is my order, AmazonHelp?');
                    DROP TABLE search_queue;
                    DELETE FROM grdb_migrations WHERE identifier IN ('v9-search-authors', 'v12-search-queue');
                    """)
            }
            let old = try store.writer.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM search_fts WHERE search_fts MATCH 'order'") }
            #expect(old == 2)
        }
        let store = try OpStore(path: path)
        try store.writer.write { db in
            let byAuthor = try Int64.fetchAll(db, sql: """
                SELECT rowid FROM search_fts WHERE search_fts MATCH 'body : ("order") AND author : ("amazonhelp")' ORDER BY rowid
                """)
            #expect(byAuthor == [1025])  // the customer's tweet names AmazonHelp in its text, not as its author
            let inText = try Int64.fetchAll(db, sql: "SELECT rowid FROM search_fts WHERE search_fts MATCH 'body : (\"amazonhelp\")'")
            #expect(inText == [1026])
            // Triggers are back (queueing since v12), with the author: a new document is found by its author once
            // the transaction's queue is drained, as every store write does before it commits.
            try db.execute(sql: """
                INSERT INTO search_doc (id, doc, ticket, kind, author, created_ms, body)
                    VALUES (2049, 'm3', 'p2', 'inbound', '115712', 2000, 'order again')
                """)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM search_queue") == 1)
            try SearchIndex.drain(db)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM search_queue") == 0)
            #expect(try Int64.fetchAll(db, sql: "SELECT rowid FROM search_fts WHERE search_fts MATCH 'author : (\"115712\")' ORDER BY rowid") == [1026, 2049])
        }
    }
}
