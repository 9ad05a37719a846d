import Foundation
import GRDB
import RoostCore

/// The desk's full-text index (SQLite FTS5): one document per message (customer messages, replies and notes)
/// and one per ticket (its customer's handle and name, and its tags). `search_doc` holds the documents,
/// `search_fts` indexes their text. Triggers on `search_doc` queue each change in `search_queue`, and
/// ``drain(_:)`` hands the queue to FTS5 in one statement at the end of every write transaction (see there why).
/// Documents are derived from the merged state
/// as ops apply (``DeskProjection``), so local and remote ops are found alike; ``SearchViews/rebuild(progress:)``
/// derives them all again (`roost reindex`). Text of an erased op is never indexed.
enum SearchIndex {
    /// The schema as `v4-search` created it (its triggers wrote to `search_fts` directly; `v12-search-queue`
    /// replaced them).
    static var v4SQL: String { tablesSQL + ftsSQL + directTriggersSQL }

    static let tablesSQL = """
        CREATE TABLE search_doc (
            id INTEGER PRIMARY KEY,
            -- A message id, or '#' and a ticket key for the ticket's own document.
            doc TEXT NOT NULL UNIQUE,
            ticket TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('inbound', 'outbound', 'note', 'ticket')),
            author TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            body TEXT NOT NULL
        );
        CREATE INDEX search_doc_ticket ON search_doc (ticket);

        """

    /// The full-text index: the text (`body`, what queries search) and the author (`author`: a customer id, a
    /// brand handle or a member id), indexed so `from:` intersects doclists instead of reading each candidate's
    /// row (SPEC-free: derived state). Queries scope their words to `body` (``SearchSQL/inBody(_:)``).
    static let ftsSQL = """
        CREATE VIRTUAL TABLE search_fts USING fts5(
            body, author, content = 'search_doc', content_rowid = 'id', tokenize = 'unicode61 remove_diacritics 2');

        """

    /// Customers by lowercased handle, for `from:@handle` (filled with the tickets' documents).
    static let handlesSQL = """
        CREATE TABLE IF NOT EXISTS search_handle (
            handle TEXT NOT NULL,
            customer TEXT NOT NULL,
            PRIMARY KEY (handle, customer)
        ) WITHOUT ROWID;
        """

    /// Fills `search_handle` from the tickets' customers.
    static func fillHandles(_ db: Database) throws {
        let customers = try String.fetchAll(db, sql: "SELECT DISTINCT customer FROM desk_ticket")
        for customer in customers {
            if let handle = try DeskProjection.entityFields(EntityRef(Desk.customer, customer), db: db)?["handle"]?.stringValue {
                try db.execute(sql: "INSERT OR IGNORE INTO search_handle (handle, customer) VALUES (?, ?)",
                               arguments: [handle.lowercased(), customer])
            }
        }
    }

    /// The triggers of `v4-search` and `v9-search-authors`: every change to `search_doc` written to `search_fts` at
    /// once. Kept for those migrations only (a home migrating from before v9 runs v9 and v10 with them).
    static let directTriggersSQL = """
        CREATE TRIGGER search_doc_insert AFTER INSERT ON search_doc BEGIN
            INSERT INTO search_fts (rowid, body, author) VALUES (new.id, new.body, new.author);
        END;
        CREATE TRIGGER search_doc_delete AFTER DELETE ON search_doc BEGIN
            INSERT INTO search_fts (search_fts, rowid, body, author) VALUES ('delete', old.id, old.body, old.author);
        END;
        CREATE TRIGGER search_doc_update AFTER UPDATE OF body, author ON search_doc BEGIN
            INSERT INTO search_fts (search_fts, rowid, body, author) VALUES ('delete', old.id, old.body, old.author);
            INSERT INTO search_fts (rowid, body, author) VALUES (new.id, new.body, new.author);
        END;
        """

    /// Changes to `search_doc` not yet in `search_fts`, in order: a delete of what was indexed (`del = 1`, with the
    /// indexed text, which an external-content FTS5 table needs to remove it) or an insert. Empty outside a write
    /// transaction: ``drain(_:)`` empties it before every commit.
    static let queueSQL = """
        CREATE TABLE IF NOT EXISTS search_queue (
            seq INTEGER PRIMARY KEY,
            del INTEGER NOT NULL CHECK (del IN (0, 1)),
            id INTEGER NOT NULL,
            body TEXT NOT NULL,
            author TEXT NOT NULL
        );

        """

    /// Queue every change to `search_doc` for ``drain(_:)``; dropped while the index is rebuilt in one pass.
    static let triggersSQL = """
        CREATE TRIGGER search_doc_insert AFTER INSERT ON search_doc BEGIN
            INSERT INTO search_queue (del, id, body, author) VALUES (0, new.id, new.body, new.author);
        END;
        CREATE TRIGGER search_doc_delete AFTER DELETE ON search_doc BEGIN
            INSERT INTO search_queue (del, id, body, author) VALUES (1, old.id, old.body, old.author);
        END;
        CREATE TRIGGER search_doc_update AFTER UPDATE OF body, author ON search_doc BEGIN
            INSERT INTO search_queue (del, id, body, author) VALUES (1, old.id, old.body, old.author);
            INSERT INTO search_queue (del, id, body, author) VALUES (0, new.id, new.body, new.author);
        END;
        """

    /// Applies the queued changes to `search_fts` in one statement, in the order they were made, and empties the
    /// queue. Called at the end of every write transaction (``OpStore``'s `write`), before the 'optimize' that
    /// follows an erasure, and before anything in a write transaction reads `search_fts`.
    ///
    /// Why a queue: SQLite opens a statement journal for every write statement that may abort halfway inside a
    /// transaction, and FTS5 answers the savepoint by flushing its pending terms to a new on-disk segment. Written
    /// by triggers, each document became a segment of its own, merged again by FTS5's automerge: an FTS5 insert
    /// cost ~3× what it costs in one statement, and search was ~15% of an append (Benchmarks/README.md, "Where the
    /// time goes"). One `INSERT … SELECT` per transaction puts all of its documents in one segment.
    static func drain(_ db: Database) throws {
        guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM search_queue)")) == true else { return }
        try db.cachedStatement(sql: """
            INSERT INTO search_fts (search_fts, rowid, body, author)
            SELECT CASE WHEN del = 1 THEN 'delete' END, id, body, author FROM search_queue ORDER BY seq
            """).execute()
        try db.cachedStatement(sql: "DELETE FROM search_queue").execute()
    }

    /// The document key of a ticket's own document.
    static func ticketDoc(_ key: String) -> String { "#" + key }

    /// Bits of a document id below its time: ids are `created_s << 10 | n` (seconds), so the full-text index walks
    /// documents newest first by id (``SearchViews/hits(_:)``'s candidate window) and a date filter is an id range.
    /// Seconds and 10 bits keep the index's rowid deltas short (it stores one per term and document).
    static let idTimeShift: Int64 = 10
    /// Latest time an id can hold (2^52 s); later times are clamped.
    static let maxIdSeconds: Int64 = (1 << 52) - 1

    /// The first id of the second holding `millis`.
    static func idBase(_ millis: Int64) -> Int64 { min(max(0, millis / 1000), maxIdSeconds) << idTimeShift }

    /// Writes document `doc` (replacing what was there): kept in place when its time is unchanged, else given a
    /// new id in its millisecond.
    static func put(_ doc: String, ticket: String, kind: String, author: String, createdMillis: Int64, body: String,
                    db: Database) throws {
        var select = try FastStatement(db, "SELECT id, created_ms, body, ticket, kind, author FROM search_doc WHERE doc = ?")
        select.bind(doc)
        if let current = try select.firstRow({ row in
            (id: row.int64(0), created: row.int64(1), body: row.text(2), ticket: row.text(3), kind: row.text(4), author: row.text(5))
        }) {
            if current.created == createdMillis {
                if current.body == body, current.ticket == ticket, current.kind == kind, current.author == author { return }
                var update = try FastStatement(db, "UPDATE search_doc SET ticket = ?, kind = ?, author = ?, body = ? WHERE id = ?")
                update.bind(ticket)
                update.bind(kind)
                update.bind(author)
                update.bind(body)
                update.bind(current.id)
                try update.run()
                return
            }
            try db.cachedStatement(sql: "DELETE FROM search_doc WHERE id = ?").execute(arguments: [current.id])
        }
        var insert = try FastStatement(db, "INSERT INTO search_doc (id, doc, ticket, kind, author, created_ms, body) VALUES (?, ?, ?, ?, ?, ?, ?)")
        insert.bind(try freeID(createdMillis, db: db))
        insert.bind(doc)
        insert.bind(ticket)
        insert.bind(kind)
        insert.bind(author)
        insert.bind(createdMillis)
        insert.bind(body)
        try insert.run()
    }

    /// The next unused id of `millis`'s second; when a second holds 1,024 documents already, a later second's (the
    /// order is off, never lost). Seconds fill up where documents pile on one time (every ticket without a message
    /// has time 0; a burst of more than 1,024 a second): the first second with room is found by galloping over the
    /// seconds (1, 2, 4, … after `millis`'s) and then halving the gap, O(log n) lookups instead of one per full
    /// second, which made writing the n-th such document cost O(n).
    static func freeID(_ millis: Int64, db: Database) throws -> Int64 {
        let base = idBase(millis)
        if let id = try freeID(inSecond: base, db: db) { return id }
        // `full`: a second known to be full; `open`: a later second with room (found by galloping).
        var full: Int64 = 0
        var step: Int64 = 1
        var open: (second: Int64, id: Int64)
        while true {
            if let id = try freeID(inSecond: base + (step << idTimeShift), db: db) { open = (step, id); break }
            full = step
            step *= 2
        }
        while open.second - full > 1 {
            let middle = full + (open.second - full) / 2
            if let id = try freeID(inSecond: base + (middle << idTimeShift), db: db) { open = (middle, id) } else { full = middle }
        }
        return open.id
    }

    /// An unused id in the second whose first id is `base`, after every id used in it; nil when it is full.
    private static func freeID(inSecond base: Int64, db: Database) throws -> Int64? {
        let end = base + (1 << idTimeShift)
        var select = try FastStatement(db, "SELECT max(id) FROM search_doc WHERE id BETWEEN ? AND ?")
        select.bind(base)
        select.bind(end - 1)
        guard let last = try select.firstRow({ $0.optionalInt64(0) }) ?? nil else { return base }
        return last + 1 < end ? last + 1 : nil
    }

    /// Indexes one message's text (replacing what was indexed for it), or removes it when `text` is nil.
    static func indexMessage(_ id: String, ticket: String, direction: String, author: String, createdMillis: Int64,
                             text: String?, db: Database) throws {
        guard let text, !text.isEmpty else {
            try db.cachedStatement(sql: "DELETE FROM search_doc WHERE doc = ?").execute(arguments: [id])
            return
        }
        try put(id, ticket: ticket, kind: direction, author: author, createdMillis: createdMillis, body: text, db: db)
    }

    /// Re-derives a ticket's own document (customer handle and name, tags); removes it when the ticket is gone.
    static func indexTicket(_ key: String, customer: String?, lastMillis: Int64?, db: Database) throws {
        let doc = ticketDoc(key)
        guard let customer else {
            try db.cachedStatement(sql: "DELETE FROM search_doc WHERE doc = ?").execute(arguments: [doc])
            return
        }
        var words: [String] = []
        if let fields = try DeskProjection.entityFields(EntityRef(Desk.customer, customer), db: db),
           let handle = fields["handle"]?.stringValue {
            words.append("@" + handle)
            var insert = try FastStatement(db, "INSERT OR IGNORE INTO search_handle (handle, customer) VALUES (?, ?)")
            insert.bind(handle.lowercased())
            insert.bind(customer)
            try insert.run()
        }
        var name = try FastStatement(db, "SELECT value FROM mv_register WHERE collection = ? AND key = ? AND field = 'name'")
        name.bind(Desk.customer)
        name.bind(customer)
        if let bytes = try name.firstRow({ $0.blob(0) }) ?? nil, let text = (try? Value.decode(bytes))?.stringValue {
            words.append(text)
        }
        var tags = try FastStatement(db, "SELECT tag FROM mv_tag WHERE collection = ? AND key = ? ORDER BY tag")
        tags.bind(Desk.ticket)
        tags.bind(key)
        try tags.forEachRow { row in
            if let tag = row.text(0) { words.append(tag) }
            return true
        }
        try put(doc, ticket: key, kind: "ticket", author: customer, createdMillis: lastMillis ?? 0, body: words.joined(separator: " "), db: db)
    }

    /// Removes the text of the message whose winning insert is the op at `ref`'s position (it was erased).
    static func forgetErased(author: Data, epoch: Int64, seq: Int64, db: Database) throws {
        try db.execute(sql: """
            DELETE FROM search_doc WHERE doc IN (
                SELECT key FROM mv_entity WHERE collection = ? AND seq = ?
                AND log = (SELECT id FROM log WHERE author = ? AND epoch = ?))
            """, arguments: [Desk.message, seq, author, epoch])
    }
}
