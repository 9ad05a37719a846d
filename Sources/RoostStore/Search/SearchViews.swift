import Foundation
import GRDB
public import RoostCore

/// A search the store runs: a ``SearchQuery`` with its names resolved to what the store holds (handles to
/// customer ids, initials to member keys) by the desk.
public struct SearchPlan: Sendable {
    /// The query (its terms become an FTS5 expression; its filters conditions on documents and tickets).
    public var query: SearchQuery
    /// `from:` resolved to message authors (customer ids, member keys); a brand's replies match by handle.
    public var authors: [String] = []
    /// `assignee:` resolved to member keys; `nobody` for `assignee:none`.
    public var holders: [AuthorID] = []
    /// Whether `assignee:none` was asked.
    public var nobody = false
    /// Most tickets answered.
    public var limit = SearchLimits.defaultResults
    /// The time recency is measured from.
    public var nowMillis: UInt64

    /// A plan for `query` at `nowMillis`.
    public init(query: SearchQuery, nowMillis: UInt64) {
        self.query = query
        self.nowMillis = nowMillis
    }
}

/// One ticket a search found, with the document that matched best.
public struct SearchHit: Sendable, Equatable {
    /// The ticket.
    public var ticket: String
    /// Its status, priority, brand, customer id and queue.
    public var status: String, priority: String, brand: String, customer: String, queue: String?
    /// The customer's handle, when known.
    public var customerHandle: String?
    /// The best document: `inbound`, `outbound`, `note` or `ticket` (the customer's handle and name, tags).
    public var kind: String
    /// The message id of the best document, nil for the ticket's own document or a filter-only search.
    public var message: String?
    /// When the best document was written (for a ticket document, the ticket's latest message).
    public var createdMillis: UInt64
    /// The matched text around the hits: runs of text, `true` where a query term matched.
    public var snippet: [SnippetRun]
    /// bm25 weighted by recency (lower is better; 0 for a filter-only search).
    public var score: Double
}

/// A run of snippet text; `match` when it is a matched term.
public struct SnippetRun: Sendable, Equatable, Codable {
    /// The text.
    public var text: String
    /// Whether a query term matched it.
    public var match: Bool

    /// Makes a run.
    public init(text: String, match: Bool) {
        self.text = text
        self.match = match
    }
}

/// What the index holds, for `roost reindex` and the benchmark.
public struct SearchIndexStats: Sendable, Equatable {
    /// Documents (messages with text, and one per ticket).
    public var documents: Int
    /// Message documents.
    public var messages: Int
    /// Bytes of the FTS5 index (its b-tree blocks), without the documents' text.
    public var indexBytes: Int
    /// Bytes of the documents' text.
    public var textBytes: Int
}

extension SearchViews {
    /// Runs `plan`: tickets ranked by their best document's bm25 weighted by recency, newest first when the query
    /// has filters only. Snippets mark the matched terms.
    public func hits(_ plan: SearchPlan) throws(StoreError) -> [SearchHit] {
        try read { db in
            let include = SearchSQL.expression(plan.query.include, joinedBy: " AND ").map(SearchSQL.inBody)
            let exclude = SearchSQL.expression(plan.query.exclude, joinedBy: " OR ").map(SearchSQL.inBody)
            var (ticketConditions, ticketArguments) = SearchSQL.ticketConditions(plan)
            let limit = max(1, min(plan.limit, SearchLimits.maxResults))
            if let include {
                return try Self.rankedSearch(plan, match: exclude.map { "(\(include)) NOT (\($0))" } ?? include,
                                             ticketConditions: ticketConditions, ticketArguments: ticketArguments, limit: limit, db: db)
            }
            if let exclude {
                ticketConditions.append("""
                    t.key NOT IN (SELECT d.ticket FROM search_fts JOIN search_doc d ON d.id = search_fts.rowid
                                  WHERE search_fts MATCH ?)
                    """)
                ticketArguments += [exclude]
            }
            if !plan.query.from.isEmpty {
                ticketConditions.append("EXISTS (SELECT 1 FROM desk_message m WHERE m.ticket = t.key AND \(SearchSQL.fromCondition("m.author", plan)))")
                ticketArguments += SearchSQL.fromArguments(plan)
            }
            if let after = plan.query.afterMillis { ticketConditions.append("t.last_message_ms >= ?"); ticketArguments += [Int64(after)] }
            if let before = plan.query.beforeMillis {
                ticketConditions.append("coalesce(t.first_inbound_ms, t.last_message_ms) < ?")
                ticketArguments += [Int64(before)]
            }
            let rows = try Row.fetchAll(db, sql: """
                SELECT NULL AS doc_id, NULL AS doc, 'ticket' AS kind, coalesce(t.last_message_ms, 0) AS created_ms, 0.0 AS score,
                    t.key, t.status, t.priority, t.brand, t.customer, t.queue,
                    (SELECT body FROM search_doc WHERE ticket = t.key AND kind = 'inbound'
                     ORDER BY created_ms DESC LIMIT 1) AS latest
                FROM desk_ticket t
                \(ticketConditions.isEmpty ? "" : "WHERE " + ticketConditions.joined(separator: " AND "))
                ORDER BY t.last_message_ms DESC, t.key LIMIT \(limit)
                """, arguments: ticketArguments)
            return try rows.map { row in
                let latest: String? = row["latest"]
                var hit = try SearchSQL.hit(row, snippet: latest.map { [SnippetRun(text: SearchSQL.cut($0), match: false)] } ?? [], db: db)
                hit.kind = latest == nil ? "ticket" : "inbound"
                return hit
            }
        }
    }

    /// The search with text terms: the newest ``SearchLimits/candidateDocuments`` documents that match (and pass
    /// the filters), walked newest first by id, scored by bm25 divided by (1 + age / half-life), best per ticket.
    /// Taking candidates newest first bounds the work for a common word (bm25 runs on the window, not on every
    /// match); an older document beyond the window would need several times the bm25 of the newest to outrank
    /// them, which the recency weighting already makes rare.
    static func rankedSearch(_ plan: SearchPlan, match: String, ticketConditions: [String], ticketArguments: StatementArguments,
                             limit: Int, db: Database) throws -> [SearchHit] {
        var conditions = ["search_fts MATCH ?"]
        // `from:` narrows the match to documents whose author column holds one of the names (a doclist
        // intersection); the exact comparison below then drops a multi-word author that merely contains one.
        let authors = (plan.authors + plan.query.from).filter { $0.contains { $0.isLetter || $0.isNumber } }
        let fullMatch = plan.query.from.isEmpty || authors.isEmpty ? match
            : "(\(match)) AND author : (\(authors.map { SearchSQL.fts(.phrase($0)) }.joined(separator: " OR ")))"
        var arguments: StatementArguments = [fullMatch]
        if let after = plan.query.afterMillis {
            conditions.append("search_fts.rowid >= ?"); arguments += [SearchIndex.idBase(Int64(after))]
        }
        if let before = plan.query.beforeMillis {
            conditions.append("search_fts.rowid < ?"); arguments += [SearchIndex.idBase(Int64(before))]
        }
        if !plan.query.from.isEmpty {
            conditions.append(SearchSQL.fromCondition("d.author", plan))
            arguments += SearchSQL.fromArguments(plan)
        }
        let joinTicket = !ticketConditions.isEmpty
        // Read by column index from a cursor (no Row copies, no by-name lookups: 1,000 rows per query).
        let candidates = try Row.fetchCursor(db, sql: """
            SELECT search_fts.rowid AS doc_id, bm25(search_fts, 1.0, 0.0) AS bm25, d.ticket, d.created_ms, d.doc, d.kind
            FROM search_fts JOIN search_doc d ON d.id = search_fts.rowid
            \(joinTicket ? "JOIN desk_ticket t ON t.key = d.ticket" : "")
            WHERE \((conditions + ticketConditions).joined(separator: " AND "))
            ORDER BY search_fts.rowid DESC LIMIT \(SearchLimits.candidateDocuments)
            """, arguments: arguments + ticketArguments)
        // Best document per ticket.
        let halfLife = SearchLimits.recencyHalfLifeDays * 86_400_000
        struct Candidate { var docID: Int64; var score: Double; var created: Int64; var doc: String; var kind: String }
        var best: [String: Candidate] = [:]
        while let row = try candidates.next() {
            let created: Int64 = row[3]
            let age = max(0, Double(Int64(plan.nowMillis) - created))
            let score = (row[1] as Double) / (1 + age / halfLife)
            let ticket: String = row[2]
            if let current = best[ticket], current.score <= score { continue }
            best[ticket] = Candidate(docID: row[0], score: score, created: created, doc: row[4], kind: row[5])
        }
        let ranked = best.sorted { ($0.value.score, $0.key) < ($1.value.score, $1.key) }.prefix(limit)
        // The snippets of the chosen documents, in one pass of the match.
        let chosen = ranked.map { $0.value.docID }
        var snippets: [Int64: String] = [:]
        if let oldest = chosen.min(), let newest = chosen.max() {
            // FTS5 runs the whole MATCH again for every value of a `rowid IN (…)` (20 values cost 4–9 ms on 1M messages
            // for "not working", ~10 ms for a prefix term). One walk down the same match from the newest chosen document
            // to the oldest visits each match once, and only the chosen get a snippet. The walk never goes further than
            // the candidate query above already went (the chosen are among its rows), so it costs at most as much.
            for row in try Row.fetchAll(db, sql: """
                SELECT rowid, CASE WHEN rowid IN (\(SearchSQL.marks(chosen.count))) THEN
                    snippet(search_fts, 0, char(2), char(3), '…', \(SearchSQL.snippetTokens)) END AS snippet
                FROM search_fts WHERE search_fts MATCH ? AND rowid BETWEEN ? AND ? ORDER BY rowid DESC
                """, arguments: StatementArguments(chosen) + [fullMatch, oldest, newest]) {
                if let snippet: String = row["snippet"] { snippets[row["rowid"]] = snippet }
            }
        }
        var hits: [SearchHit] = []
        for (key, candidate) in ranked {
            guard let ticket = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT key, status, priority, brand, customer, queue FROM desk_ticket WHERE key = ?
                """), arguments: [key]) else { continue }
            let snippet = snippets[candidate.docID] ?? ""
            var hit = try SearchSQL.hit(ticket, snippet: SearchSQL.runs(snippet), db: db, kind: candidate.kind,
                                        doc: candidate.doc, createdMillis: candidate.created)
            hit.score = candidate.score
            hits.append(hit)
        }
        return hits
    }

    /// Customer ids whose handle is `handle` (any case, without `@`), found through the index's handle table
    /// (filled with the tickets' documents) instead of reading every customer: customers with a ticket, which is
    /// all a search can return. An id typed as a handle counts too.
    public func customerIDs(handle: String) throws(StoreError) -> [String] {
        let wanted = (handle.hasPrefix("@") ? String(handle.dropFirst()) : handle).lowercased()
        guard !wanted.isEmpty else { return [] }
        return try read { db in
            let authors = try String.fetchAll(db, sql: "SELECT customer FROM search_handle WHERE handle = ? UNION SELECT ?",
                                              arguments: [wanted, wanted])
            return try authors.filter { id in
                let fields = try DeskProjection.entityFields(EntityRef(Desk.customer, id), db: db)
                return id.lowercased() == wanted || fields?["handle"]?.stringValue?.lowercased() == wanted
            }
        }
    }

    /// Derives every search document again from the merged state, reporting `(done, total)` tickets.
    public func rebuild(progress: ((Int, Int) -> Void)? = nil) throws(StoreError) -> SearchIndexStats {
        try write { db in try Self.rebuildSearchDocuments(db, progress: progress) }
        return try stats()
    }

    /// What the index holds.
    public func stats() throws(StoreError) -> SearchIndexStats {
        try read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT count(*) AS documents, count(*) FILTER (WHERE kind != 'ticket') AS messages,
                    coalesce(sum(length(CAST(body AS BLOB))), 0) AS text FROM search_doc
                """)!
            let index = try Int.fetchOne(db, sql: "SELECT coalesce(sum(length(block)), 0) FROM search_fts_data") ?? 0
            return SearchIndexStats(documents: row["documents"], messages: row["messages"], indexBytes: index, textBytes: row["text"])
        }
    }

    /// Empties the index and derives it from `desk_message`, the messages' winning payloads (text of erased ops
    /// left out) and `desk_ticket`, then builds the FTS5 index in one pass.
    /// `queued` false is for `v4-search` only, which ran before `search_queue` existed (v12) and restores the
    /// direct triggers of its time.
    static func rebuildSearchDocuments(_ db: Database, progress: ((Int, Int) -> Void)?, queued: Bool = true) throws {
        // Triggers off while the documents are written; the index is built once at the end ('rebuild'), so changes
        // queued earlier in this transaction are moot.
        if queued { try db.execute(sql: "DELETE FROM search_queue") }
        try db.execute(sql: """
            DROP TRIGGER search_doc_insert; DROP TRIGGER search_doc_delete; DROP TRIGGER search_doc_update;
            DELETE FROM search_doc;
            DELETE FROM search_handle;
            """)
        let total = try Int.fetchOne(db, sql: "SELECT count(*) FROM desk_ticket") ?? 0
        let insert = try db.makeStatement(sql: """
            INSERT INTO search_doc (id, doc, ticket, kind, author, created_ms, body) VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        var used: [Int64: Int64] = [:]  // documents per second so far, by the second's first id (the table is empty)
        let messages = try Row.fetchCursor(db, sql: """
            SELECT m.id, m.ticket, m.direction, m.author, m.created_ms, e.fields
            FROM desk_message m JOIN mv_entity e ON e.collection = ? AND e.key = m.id JOIN log l ON l.id = e.log
            WHERE NOT EXISTS (SELECT 1 FROM op_erasure x WHERE x.author = l.author AND x.epoch = l.epoch AND x.seq = e.seq)
            """, arguments: [Desk.message])
        while let row = try messages.next() {
            let fields = try FieldList.decode([UInt8](row["fields"] as Data))
            guard let text = fields.first(where: { $0.name == "text" })?.value.stringValue, !text.isEmpty else { continue }
            let created: Int64 = row["created_ms"]
            // Documents so far in this second; past 1,024 the next seconds' slots, as SearchIndex.freeID does.
            var base = SearchIndex.idBase(created)
            while used[base, default: 0] >= 1 << SearchIndex.idTimeShift { base += 1 << SearchIndex.idTimeShift }
            let n = used[base, default: 0]
            used[base] = n + 1
            try insert.execute(arguments: [base + n, row["id"], row["ticket"], row["direction"], row["author"], created, text])
        }
        let tickets = try Row.fetchAll(db, sql: "SELECT key, customer, last_message_ms FROM desk_ticket ORDER BY key")
        for (index, row) in tickets.enumerated() {
            try SearchIndex.indexTicket(row["key"], customer: row["customer"], lastMillis: row["last_message_ms"], db: db)
            if index % 1_000 == 999 { progress?(index + 1, total) }
        }
        try db.execute(sql: "INSERT INTO search_fts (search_fts) VALUES ('rebuild')")
        try db.execute(sql: queued ? SearchIndex.triggersSQL : SearchIndex.directTriggersSQL)
        progress?(total, total)
    }
}

/// The SQL a search is made of.
enum SearchSQL {
    /// Tokens of context in a snippet.
    static let snippetTokens = 16
    /// Characters of a message shown when a search has no term to centre a snippet on.
    static let plainSnippetCharacters = 160

    /// `from:`: the author is one of the resolved ids, or writes under one of the handles (a brand's replies).
    static func fromCondition(_ column: String, _ plan: SearchPlan) -> String {
        "(\(column) IN (\(marks(plan.authors.count))) OR lower(\(column)) IN (\(marks(plan.query.from.count))))"
    }

    static func fromArguments(_ plan: SearchPlan) -> StatementArguments {
        StatementArguments(plan.authors) + StatementArguments(plan.query.from)
    }

    static func marks(_ count: Int) -> String {
        count == 0 ? "NULL" : Array(repeating: "?", count: count).joined(separator: ", ")
    }

    /// A term as an FTS5 string: quoted, so nothing the user typed is FTS5 syntax.
    static func fts(_ term: SearchQuery.Term) -> String {
        func quoted(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        return switch term {
        case let .word(text), let .phrase(text): quoted(text)
        case let .prefix(text): quoted(text) + " *"
        }
    }

    /// An FTS5 expression scoped to the text column (not the author's).
    static func inBody(_ expression: String) -> String { "body : (" + expression + ")" }

    static func expression(_ terms: [SearchQuery.Term], joinedBy separator: String) -> String? {
        terms.isEmpty ? nil : terms.map(fts).joined(separator: separator)
    }

    /// Conditions on the `desk_ticket t` row of a hit.
    static func ticketConditions(_ plan: SearchPlan) -> ([String], StatementArguments) {
        let query = plan.query
        var conditions: [String] = []
        var arguments: StatementArguments = []
        func anyOf(_ column: String, _ values: [String]) {
            guard !values.isEmpty else { return }
            conditions.append("\(column) IN (\(marks(values.count)))")
            arguments += StatementArguments(values)
        }
        anyOf("t.status", query.statuses.map(\.rawValue))
        anyOf("t.tier", query.tiers.map(\.rawValue))
        anyOf("t.queue", query.queues)
        anyOf("t.lang", query.languages)
        if !query.sentiments.isEmpty {
            // Scores are TweetSentiment's compound × 100; neg <= -5 < neu < 5 <= pos.
            let ranges = ["neg": "t.sentiment <= -5", "neu": "(t.sentiment > -5 AND t.sentiment < 5)", "pos": "t.sentiment >= 5"]
            conditions.append("(" + query.sentiments.compactMap { ranges[$0] }.joined(separator: " OR ") + ")")
        }
        anyOf("lower(t.brand)", query.to)
        for tag in query.tags {
            conditions.append("EXISTS (SELECT 1 FROM mv_tag g WHERE g.collection = 'ticket' AND g.key = t.key AND g.tag = ?)")
            arguments += [tag]
        }
        if !query.assignees.isEmpty {
            var any: [String] = []
            if plan.nobody { any.append("t.holder IS NULL") }
            if !plan.holders.isEmpty {
                any.append("t.holder IN (\(marks(plan.holders.count)))")
                arguments += StatementArguments(plan.holders.map(\.key.data))
            }
            conditions.append(any.isEmpty ? "0" : "(" + any.joined(separator: " OR ") + ")")
        }
        return (conditions, arguments)
    }

    /// A hit from a `desk_ticket` row (`key`, `status`, `priority`, `brand`, `customer`, `queue`) and its best
    /// document (`kind`, `doc`, `created_ms`: from the row unless given).
    static func hit(_ row: Row, snippet: [SnippetRun], db: Database, kind: String? = nil, doc: String? = nil,
                    createdMillis: Int64? = nil) throws -> SearchHit {
        let kind: String = kind ?? row["kind"]
        let doc: String? = doc ?? row["doc"]
        let customer: String = row["customer"]
        let handle = try DeskProjection.entityFields(EntityRef(Desk.customer, customer), db: db)?["handle"]?.stringValue
        return SearchHit(ticket: row["key"], status: row["status"], priority: row["priority"], brand: row["brand"],
                         customer: customer, queue: row["queue"], customerHandle: handle, kind: kind,
                         message: kind == "ticket" ? nil : doc, createdMillis: UInt64(max(0, createdMillis ?? row["created_ms"])),
                         snippet: snippet, score: row["score"] ?? 0)
    }

    /// FTS5 snippet text with \u{2} … \u{3} around matches, as runs.
    static func runs(_ marked: String) -> [SnippetRun] {
        var runs: [SnippetRun] = []
        var current = ""
        var inMatch = false
        for scalar in marked.unicodeScalars {
            if scalar == "\u{2}" || scalar == "\u{3}" {
                if !current.isEmpty { runs.append(SnippetRun(text: current, match: inMatch)) }
                current = ""
                inMatch = scalar == "\u{2}"
            } else {
                current.unicodeScalars.append(scalar == "\n" || scalar == "\r" ? " " : scalar)
            }
        }
        if !current.isEmpty { runs.append(SnippetRun(text: current, match: inMatch)) }
        return runs
    }

    /// The start of a text, on one line.
    static func cut(_ text: String) -> String {
        let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count <= plainSnippetCharacters ? flat : String(flat.prefix(plainSnippetCharacters - 1)) + "…"
    }
}
