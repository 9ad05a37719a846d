import Foundation
import GRDB
import RoostCore

/// The database schema, as GRDB migrations. Invariants live in the schema (CHECK, NOT NULL, keys)
/// so that even a buggy caller cannot store a malformed op.
enum Schema {
    /// Materialized tables, in state-hash order, each with the columns that order its rows.
    /// Every replica holding the same ops has the same rows in these tables, byte for byte.
    /// The first four store a log's number where the state has its author and epoch (``logKeyedViewsSQL(suffix:)``):
    /// their `source` joins them back, so the state's rows are the same whatever order a node numbered its logs in.
    static let materializedTables: [StateTable] = [
        StateTable("mv_entity", "collection, key", source: """
            (SELECT e.collection, e.key, e.fields, e.hlc, l.author, l.epoch, e.seq FROM mv_entity e JOIN log l ON l.id = e.log)
            """),
        StateTable("mv_register", "collection, key, field", source: """
            (SELECT r.collection, r.key, r.field, r.value, r.hlc, l.author, l.epoch, r.seq
             FROM mv_register r JOIN log l ON l.id = r.log)
            """),
        StateTable("mv_tag_add", "collection, key, tag, author, epoch, seq", source: """
            (SELECT a.collection, a.key, a.tag, l.author, l.epoch, a.seq FROM mv_tag_add a JOIN log l ON l.id = a.log)
            """),
        StateTable("mv_tag_removal", "collection, key, tag, add_author, add_epoch, add_seq", source: """
            (SELECT r.collection, r.key, r.tag, l.author AS add_author, l.epoch AS add_epoch, r.add_seq
             FROM mv_tag_removal r JOIN log l ON l.id = r.add_log)
            """),
        StateTable("mv_tag", "collection, key, tag", stored: false),
        StateTable("mv_claim", "collection, key, author, epoch, seq"),
        StateTable("mv_claim_state", "collection, key"),
        StateTable("mv_claim_conflict", "collection, key, loser_author, loser_epoch, loser_seq"),
    ]

    /// Tables derived from the materialized ones by the help desk's projection. Not part of the state
    /// hash (which is the protocol's), but re-derived and compared by `verify` like the others.
    static let derivedTables: [StateTable] = [
        StateTable("desk_message", "id"),
        StateTable("desk_ticket", "key"),
        StateTable("roster_change", "author, epoch, seq"),
    ]

    /// Indexes that only the desk's readers use (inbox orders, the next-reply alert, messages by author): the
    /// projection never reads through them, so verify's re-fold target goes without (``OpStore/prepareForRefold()``).
    static let readerOnlyIndexes = ["desk_ticket_open", "desk_ticket_order", "desk_ticket_queue", "desk_ticket_tier",
                                    "desk_ticket_holder", "desk_ticket_awaiting", "desk_message_author"]

    /// Every table `verify` compares with its re-fold.
    static var comparedTables: [StateTable] { materializedTables + derivedTables }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-oplog") { db in
            try db.execute(sql: oplogSQL)
        }
        migrator.registerMigration("v1-materialized") { db in
            try db.execute(sql: materializedSQL)
        }
        migrator.registerMigration("v1-desk") { db in
            try db.execute(sql: deskSQL)
        }
        // Homes created before the inbox indexes followed the inbox's sort order get them here
        // (v1-desk was changed in place, and GRDB never re-runs an applied migration).
        migrator.registerMigration("v2-desk-inbox-indexes") { db in
            try db.execute(sql: """
                DROP INDEX IF EXISTS desk_ticket_inbox;
                DROP INDEX IF EXISTS desk_ticket_queue;
                DROP INDEX IF EXISTS desk_ticket_holder;
                \(inboxIndexSQL.replacingOccurrences(of: "CREATE INDEX", with: "CREATE INDEX IF NOT EXISTS"))
                """)
        }
        migrator.registerMigration("v3-roster") { db in
            try db.execute(sql: rosterSQL)
            // Roster ops merged before this table existed (read by today's code, after every migration).
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM op)") == true { try markRederive(.roster, db) }
        }
        migrator.registerMigration("v4-search") { db in
            try db.execute(sql: SearchIndex.v4SQL)
            try db.execute(sql: SearchIndex.handlesSQL)
            // Messages and tickets merged before the index existed (read by today's code, after every migration).
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM mv_entity)") == true { try markRederive(.search, db) }
        }
        // Message and ticket languages (issue 13). Ops merged before carry no `lang`, so nothing to fill in.
        migrator.registerMigration("v5-languages") { db in
            try db.execute(sql: """
                ALTER TABLE desk_message ADD COLUMN lang TEXT CHECK (lang IS NULL OR length(lang) BETWEEN 2 AND 3);
                ALTER TABLE desk_ticket ADD COLUMN lang TEXT CHECK (lang IS NULL OR length(lang) BETWEEN 2 AND 3);
                """)
        }
        // Homes indexed before the handle table (v4 creates it from now on).
        migrator.registerMigration("v6-search-handles") { db in
            try db.execute(sql: SearchIndex.handlesSQL)
            try SearchIndex.fillHandles(db)
        }
        // Sentiment of customer messages (issue 13). Ops merged before carry none.
        migrator.registerMigration("v7-sentiment") { db in
            try db.execute(sql: """
                ALTER TABLE desk_message ADD COLUMN sentiment INTEGER CHECK (sentiment IS NULL OR sentiment BETWEEN -100 AND 100);
                ALTER TABLE desk_ticket ADD COLUMN sentiment INTEGER CHECK (sentiment IS NULL OR sentiment BETWEEN -100 AND 100);
                """)
        }
        migrator.registerMigration("v8-erasure") { db in try db.execute(sql: erasureSQL) }
        // The full-text index gains an `author` column (`from:` as a doclist intersection): rebuilt from search_doc.
        migrator.registerMigration("v9-search-authors") { db in
            try db.execute(sql: """
                DROP TRIGGER IF EXISTS search_doc_insert; DROP TRIGGER IF EXISTS search_doc_delete; DROP TRIGGER IF EXISTS search_doc_update;
                DROP TABLE search_fts;
                \(SearchIndex.ftsSQL)
                INSERT INTO search_fts (search_fts) VALUES ('rebuild');
                \(SearchIndex.directTriggersSQL)
                """)
        }
        // Snoozed tickets (issue 15): derived from each ticket's `snooze_until` register.
        migrator.registerMigration("v10-snooze") { db in
            try db.execute(sql: deskSnoozeSQL)
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (\(snoozedTicketsSQL))") == true { try markRederive(.snoozed, db) }
        }
        // On hold (issue 15): a fifth open-work status. SQLite cannot change a CHECK in place, so desk_ticket is
        // rebuilt with the new vocabulary and its open-work indexes; rows are copied as they are.
        migrator.registerMigration("v11-on-hold") { db in
            try db.execute(sql: """
                CREATE TABLE desk_ticket_v11 (\(deskTicketColumnsSQL)) WITHOUT ROWID;
                INSERT INTO desk_ticket_v11 (\(deskTicketColumns)) SELECT \(deskTicketColumns) FROM desk_ticket;
                DROP TABLE desk_ticket;
                ALTER TABLE desk_ticket_v11 RENAME TO desk_ticket;
                \(inboxIndexSQL)
                CREATE INDEX desk_ticket_customer ON desk_ticket (customer);
                \(awaitingIndexSQL)
                """)
        }
        // The full-text index is written once per transaction from a queue (SearchIndex.drain explains why).
        // Migrations after this one that write `search_doc` must end with `SearchIndex.drain(db)`.
        migrator.registerMigration("v12-search-queue") { db in
            try db.execute(sql: """
                DROP TRIGGER IF EXISTS search_doc_insert; DROP TRIGGER IF EXISTS search_doc_delete; DROP TRIGGER IF EXISTS search_doc_update;
                \(SearchIndex.queueSQL)
                \(SearchIndex.triggersSQL)
                """)
        }
        // Ops held without a body: the candidates for fetching it again from a peer (OpStore-bodies.swift). Homes that
        // v1-oplog creates with `op_row` have the index already.
        migrator.registerMigration("v13-bodyless-ops") { db in
            guard try !db.tableExists("op_row") else { return }
            try db.execute(sql: "CREATE INDEX op_bodyless ON op (author, epoch, seq) WHERE body IS NULL")
        }
        // Homes created before `log`, `op_row` and the `op` view (v1-oplog creates them since): the op table is
        // rebuilt without `prev`, a held body's `body_hash` and hash (but every `StoreLimits.opCheckInterval`-th, in
        // `op_check`) and the author key (OpRow.swift), and seals and erasure marks lose their foreign keys to it for
        // triggers. `prev`, `body_hash` and the hash are recomputed on reading, so an op whose stored hash was taken
        // over a wrong one still fails verify (its chain misses the next kept hash); a wrong copy alone is dropped.
        migrator.registerMigration("v14-compact-op") { db in
            guard try !db.tableExists("op_row") else { return }
            try db.execute(sql: """
                DROP INDEX IF EXISTS op_bodyless;
                \(opStorageV15SQL)
                INSERT INTO log (author, epoch) SELECT DISTINCT author, epoch FROM op ORDER BY author, epoch;
                INSERT INTO op_row (log, seq, hlc, kind, body_len, body_hash, hash, body)
                    SELECT log.id, op.seq, op.hlc, op.kind, op.body_len, CASE WHEN op.body IS NULL THEN op.body_hash END,
                           CASE WHEN op.body IS NULL THEN op.hash END, op.body
                    FROM op JOIN log ON log.author = op.author AND log.epoch = op.epoch;
                INSERT INTO op_check (log, seq, hash)
                    SELECT log.id, op.seq, op.hash FROM op JOIN log ON log.author = op.author AND log.epoch = op.epoch
                    WHERE op.seq % \(StoreLimits.opCheckInterval) = 0;
                \(sealTableSQL("seal_v14"))
                INSERT INTO seal_v14 SELECT author, epoch, seq, head, signature FROM seal;
                DROP TABLE seal;
                ALTER TABLE seal_v14 RENAME TO seal;
                \(opErasureTableSQL("op_erasure_v14"))
                INSERT INTO op_erasure_v14 SELECT author, epoch, seq, erased_hlc FROM op_erasure;
                DROP TABLE op_erasure;
                ALTER TABLE op_erasure_v14 RENAME TO op_erasure;
                DROP TABLE op;
                \(opViewV15SQL)
                """)
        }
        // Homes whose `op_row` stores every op's hash and format 1 bodies (v14 as first released, and homes v14 has
        // just rebuilt): the hash is kept only for ops held without a body and every `StoreLimits.opCheckInterval`-th
        // op (`op_check`), the others are recomputed forward from the nearest kept hash (OpStore-hashes.swift), and
        // bodies are stored in the version 2 encoding (StoredBody.swift). DESIGN-format-2.md F2.3.
        migrator.registerMigration("v15-compact-op-2") { db in
            if try !db.tableExists("op_check") {
                try db.execute(sql: """
                    \(opCheckTableSQL)
                    INSERT INTO op_check (log, seq, hash) SELECT log, seq, hash FROM op_row WHERE seq % \(StoreLimits.opCheckInterval) = 0;
                    \(opRowV15TableSQL("op_row_v15"))
                    INSERT INTO op_row_v15 (log, seq, hlc, kind, body_len, body_hash, hash, body)
                        SELECT log, seq, hlc, kind, body_len, body_hash, CASE WHEN body IS NULL THEN hash END, body FROM op_row;
                    DROP TRIGGER seal_needs_its_op;
                    DROP TRIGGER op_erasure_needs_its_op;
                    DROP VIEW op;
                    DROP TABLE op_row;
                    ALTER TABLE op_row_v15 RENAME TO op_row;
                    \(opBodylessIndexSQL)
                    \(opViewV15SQL)
                    """)
            }
            try StoredBody.reencodeFormat1Bodies(db)
        }
        // Homes whose views store each stamp's author key (33 bytes a row) instead of its log's number: the four
        // tables are rebuilt, `log` gaining a row for every log they name (a removed add's log may hold no op here).
        // DESIGN-format-2.md F2.3, "The views and the bodyless fields".
        migrator.registerMigration("v16-views-log-numbers") { db in
            guard try db.columns(in: "mv_register").contains(where: { $0.name == "author" }) else { return }
            try db.execute(sql: """
                INSERT OR IGNORE INTO log (author, epoch)
                    SELECT author, epoch FROM mv_entity UNION SELECT author, epoch FROM mv_register
                    UNION SELECT author, epoch FROM mv_tag_add UNION SELECT add_author, add_epoch FROM mv_tag_removal
                    ORDER BY 1, 2;
                \(logKeyedViewsSQL(suffix: "_v16"))
                INSERT INTO mv_entity_v16 SELECT e.collection, e.key, e.fields, e.hlc, l.id, e.seq
                    FROM mv_entity e JOIN log l ON l.author = e.author AND l.epoch = e.epoch;
                INSERT INTO mv_register_v16 SELECT r.collection, r.key, r.field, r.value, r.hlc, l.id, r.seq
                    FROM mv_register r JOIN log l ON l.author = r.author AND l.epoch = r.epoch;
                INSERT INTO mv_tag_add_v16 SELECT a.collection, a.key, a.tag, l.id, a.seq
                    FROM mv_tag_add a JOIN log l ON l.author = a.author AND l.epoch = a.epoch;
                INSERT INTO mv_tag_removal_v16 SELECT r.collection, r.key, r.tag, l.id, r.add_seq
                    FROM mv_tag_removal r JOIN log l ON l.author = r.add_author AND l.epoch = r.add_epoch;
                DROP TABLE mv_entity; ALTER TABLE mv_entity_v16 RENAME TO mv_entity;
                DROP TABLE mv_register; ALTER TABLE mv_register_v16 RENAME TO mv_register;
                DROP TABLE mv_tag_add; ALTER TABLE mv_tag_add_v16 RENAME TO mv_tag_add;
                DROP TABLE mv_tag_removal; ALTER TABLE mv_tag_removal_v16 RENAME TO mv_tag_removal;
                """)
        }
        // Homes that store the present tags (`mv_tag`, ~27 bytes a row): derived from adds and removals instead.
        migrator.registerMigration("v17-derived-tags") { db in
            guard try String.fetchOne(db, sql: "SELECT type FROM sqlite_master WHERE name = 'mv_tag'") == "table" else { return }
            try db.execute(sql: "DROP TABLE mv_tag; \(presentTagsViewSQL)")
        }
        // Homes whose `op_row` has a body length, body hash and hash column in every row (NULL in all three but the
        // few held without a body): those ops' kept fields move to `op_bodyless`, and a held body's length is recomputed
        // like its hash (``OpRow``). DESIGN-format-2.md F2.3.
        migrator.registerMigration("v18-op-bodyless") { db in
            guard try db.columns(in: "op_row").contains(where: { $0.name == "body_len" }) else { return }
            try db.execute(sql: """
                \(opRowTableSQL("op_row_v18"))
                INSERT INTO op_row_v18 (log, seq, hlc, kind, body) SELECT log, seq, hlc, kind, body FROM op_row;
                \(opBodylessTableSQL("op_bodyless_v18", parent: "op_row_v18"))
                INSERT INTO op_bodyless_v18 (log, seq, body_len, body_hash, hash)
                    SELECT log, seq, body_len, body_hash, hash FROM op_row WHERE body IS NULL;
                DROP TRIGGER seal_needs_its_op;
                DROP TRIGGER op_erasure_needs_its_op;
                DROP VIEW op;
                DROP INDEX IF EXISTS op_bodyless;
                DROP TABLE op_row;
                ALTER TABLE op_row_v18 RENAME TO op_row;
                ALTER TABLE op_bodyless_v18 RENAME TO op_bodyless;
                \(opViewSQL)
                """)
        }
        // Format 2 logs (Protocol/DESIGN-format-2.md F2.9, step (a)): a log's version, fixed by its first op; the scope of
        // each format 2 op (NULL in format 1 rows: one record-header byte); the scopes by number; the format 2 seals. Until v20
        // every format 2 op kept its hash in `op_check` (the draft header's scope prev was a hash: F2.9 point 3).
        migrator.registerMigration("v19-format-2-logs") { db in try db.execute(sql: format2LogsSQL) }
        // Format 2's header names the previous op of a scope by seq (SPEC-format-2.md §2.4, changed before any node wrote
        // format 2): a format 2 op's hash is recomputed as a format 1 op's, so format 2 ops keep one hash per
        // `opCheckInterval` ops; each row keeps its scope prev as a distance, and `scope_head` the newest op of each scope.
        migrator.registerMigration("v20-scope-prev-by-seq") { db in
            if try Int.fetchOne(db, sql: "SELECT count(*) FROM log WHERE version = 2") ?? 0 > 0 {
                throw DatabaseError(message: "this store holds format 2 logs of the draft header (scope prev by hash), "
                                    + "which no released node wrote; they cannot be migrated")
            }
            try db.execute(sql: scopePrevBySeqSQL)
        }
        // Fork evidence of format 2 logs: their headers v2 and seal v2 (DESIGN-format-2.md F2.9 point 5).
        migrator.registerMigration("v21-fork-evidence-format") { db in
            try db.execute(sql: "ALTER TABLE fork_evidence ADD COLUMN format INTEGER NOT NULL DEFAULT 1 CHECK (format IN (1, 2))")
        }
        // Every ticket of a queue, whatever its status: the tickets a partial peer holds in a full node's view
        // (SPEC-partial.md §P.2), read at each of its requests (`desk_ticket_queue` indexes open work only).
        migrator.registerMigration("v22-tickets-by-queue") { db in
            try db.execute(sql: "CREATE INDEX desk_ticket_in_queue ON desk_ticket (queue)")
        }
        // A partial node's store (SPEC-partial.md §P.5, DESIGN-format-2.md F2.9 step (c) point 3): the seqs it holds of
        // other authors' format 2 logs skip, so each held op keeps its hash (in `op_check`) and the hash before it; kept
        // seals keep the inclusion path of each held scope; and the §P.4 vector. Empty on a full node.
        migrator.registerMigration("v23-partial-store") { db in try db.execute(sql: partialStoreSQL) }
        return migrator
    }

    /// What v23 adds for a partial node's store.
    static let partialStoreSQL = """
        CREATE TABLE op_prev (
            log INTEGER NOT NULL REFERENCES log (id),
            seq INTEGER NOT NULL,
            prev BLOB NOT NULL CHECK (length(prev) = 32),
            PRIMARY KEY (log, seq)
        ) WITHOUT ROWID;
        CREATE TABLE scope_path (
            log INTEGER NOT NULL REFERENCES log (id),
            seal_seq INTEGER NOT NULL,
            scope INTEGER NOT NULL REFERENCES scope (id),
            leaf_index INTEGER NOT NULL CHECK (leaf_index >= 0),
            leaf_count INTEGER NOT NULL CHECK (leaf_index < leaf_count),
            hashes BLOB NOT NULL CHECK (length(hashes) % 32 = 0),
            PRIMARY KEY (log, seal_seq, scope)
        ) WITHOUT ROWID;
        CREATE TABLE partial_vector (
            log INTEGER PRIMARY KEY REFERENCES log (id),
            seq INTEGER NOT NULL CHECK (seq >= 0)
        );
        """

    /// What v19 adds for format 2 logs (Protocol/DESIGN-format-2.md F2.9). A format 1 log's rows and readers are as
    /// before; a format 2 log's rows carry their scope, and, until v20, `op_check` held the hash of every one of its ops
    /// (the draft header named the previous op of its scope by hash: F2.9 point 3; v20 names it by seq).
    static let format2LogsSQL = """
        ALTER TABLE log ADD COLUMN version INTEGER NOT NULL DEFAULT 1 CHECK (version IN (1, 2));

        CREATE TABLE scope (
            id INTEGER PRIMARY KEY,
            sid BLOB NOT NULL UNIQUE CHECK (length(sid) = 16)
        );

        ALTER TABLE op_row ADD COLUMN scope INTEGER REFERENCES scope (id);

        -- The newest op of a scope before a position (a format 2 op's scope prev, a seal's scopes tree); format 1 rows,
        -- whose scope is NULL, are not in it.
        CREATE INDEX op_scope ON op_row (log, scope, seq) WHERE scope IS NOT NULL;

        -- Format 2 rows belong to format 2 logs (a log never mixes versions: SPEC-format-2.md §2.4).
        CREATE TRIGGER op_row_scope_needs_format_2 BEFORE INSERT ON op_row
        WHEN NEW.scope IS NOT NULL AND (SELECT version FROM log WHERE id = NEW.log) IS NOT 2
        BEGIN SELECT RAISE(ABORT, 'a scoped op belongs to a format 2 log'); END;

        -- Every format 2 seal (SPEC-format-2.md §2.5): a partial peer needs the one covering a scope's newest op.
        CREATE TABLE seal_v2 (
            log INTEGER NOT NULL REFERENCES log (id),
            seq INTEGER NOT NULL CHECK (seq >= 1),
            from_seq INTEGER NOT NULL CHECK (from_seq BETWEEN 1 AND seq),
            head BLOB NOT NULL CHECK (length(head) = 32),
            scopes_root BLOB NOT NULL CHECK (length(scopes_root) = 32),
            signature BLOB NOT NULL CHECK (length(signature) = 64),
            PRIMARY KEY (log, seq)
        ) WITHOUT ROWID;
        """

    /// What v20 changes for format 2 logs (SPEC-format-2.md §2.4: the scope prev is a seq).
    static let scopePrevBySeqSQL = """
        DROP INDEX op_scope;

        -- seq minus the seq of the previous op of the same scope (a format 2 op's scope prev), NULL for the first op of its
        -- scope in its log and in format 1 rows. Following it walks a scope's ops back from `scope_head`.
        ALTER TABLE op_row ADD COLUMN scope_gap INTEGER CHECK (scope_gap IS NULL OR (scope_gap >= 1 AND scope_gap < seq));

        -- The newest op of each scope of each format 2 log (the scope prev of the scope's next op).
        CREATE TABLE scope_head (
            log INTEGER NOT NULL REFERENCES log (id),
            scope INTEGER NOT NULL REFERENCES scope (id),
            seq INTEGER NOT NULL CHECK (seq >= 1),
            PRIMARY KEY (log, scope)
        ) WITHOUT ROWID;
        """

    /// The add-wins set's present tags (`AddWinsSet.isPresent`: an add no removal names), one row per tag: the add
    /// with the smallest (log, seq) of those not removed stands for it. Derived rather than stored (DESIGN-format-2.md
    /// F2.3): written as a plain `WHERE`, without `DISTINCT`, so SQLite flattens it into its readers and seeks
    /// `mv_tag_add`'s primary key by (collection, key, tag); its rows come out in that key's order.
    static let presentTagsViewSQL = """
        CREATE VIEW mv_tag (collection, key, tag) AS
            SELECT a.collection, a.key, a.tag FROM mv_tag_add a
            WHERE NOT EXISTS (SELECT 1 FROM mv_tag_removal r WHERE r.collection = a.collection AND r.key = a.key
                              AND r.tag = a.tag AND r.add_log = a.log AND r.add_seq = a.seq)
              AND NOT EXISTS (SELECT 1 FROM mv_tag_add b WHERE b.collection = a.collection AND b.key = a.key AND b.tag = a.tag
                              AND (b.log, b.seq) < (a.log, a.seq)
                              AND NOT EXISTS (SELECT 1 FROM mv_tag_removal r WHERE r.collection = b.collection
                                              AND r.key = b.key AND r.tag = b.tag AND r.add_log = b.log AND r.add_seq = b.seq));
        """

    /// What a migration derives from the merged state with today's readers, which expect the final schema (the views
    /// by log number since v16, `op_bodyless` since v18): the migration leaves a `rederive:<case>` row in `meta`, in its
    /// own transaction, and ``rederive(_:)`` does the work and deletes the row in one transaction once every migration
    /// has run, so a crash in between leaves the row for the next open.
    enum Rederivation: String, CaseIterable {
        /// `roster_change` from the roster ops (v3).
        case roster
        /// The search documents of every message and ticket (v4).
        case search
        /// `desk_snooze` from the tickets' `snooze_until` registers (v10).
        case snoozed
    }

    static func markRederive(_ what: Rederivation, _ db: Database) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, x'01')", arguments: ["rederive:" + what.rawValue])
    }

    static let snoozedTicketsSQL = "SELECT DISTINCT key FROM mv_register WHERE collection = 'ticket' AND field = 'snooze_until'"

    /// Whether a migration asked for a rederivation not done yet (one read at every open).
    static func hasRederivations(_ db: Database) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM meta WHERE key LIKE 'rederive:%')") == true
    }

    /// Runs the rederivations the migrations asked for (``Rederivation``); nothing when none did.
    static func rederive(_ db: Database) throws {
        for what in Rederivation.allCases {
            let key = "rederive:" + what.rawValue
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM meta WHERE key = ?)", arguments: [key]) == true
            else { continue }
            switch what {
            case .roster:
                try OpStore.rebuildRosterChanges(db)
            case .search:
                try SearchViews.rebuildSearchDocuments(db, progress: nil)
            case .snoozed:
                for ticket in try String.fetchAll(db, sql: snoozedTicketsSQL) { try DeskProjection.refreshTicket(ticket, db: db) }
            }
            try SearchIndex.drain(db)
            try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [key])
        }
    }

    /// Answered open tickets whose latest message is the customer's, by that message's time: the candidates of an
    /// overdue next reply (SPEC.md §1b.13), so the Breaching count seeks a range instead of reading every open ticket.
    /// Its condition is repeated word for word in `DeskViews.nextReplyBreachCondition`.
    static let awaitingIndexSQL = """
        CREATE INDEX desk_ticket_awaiting ON desk_ticket (last_inbound_ms)
            WHERE first_response_ms IS NOT NULL AND status IN ('new', 'open') AND last_inbound_ms = last_message_ms;
        """

    /// Every column of `desk_ticket` as v11 defines it (v1's, plus v5's `lang` and v7's `sentiment`).
    static let deskTicketColumns = "key, channel, brand, customer, status, reopened, priority, priority_rank, tier, queue, resolution, "
        + "holder, lease_ends_ms, first_inbound_ms, last_inbound_ms, first_response_ms, last_message_ms, status_set_ms, status_by, "
        + "messages, lang, sentiment"

    static let deskTicketColumnsSQL = """
            key TEXT PRIMARY KEY NOT NULL,
            channel TEXT NOT NULL CHECK (channel IN ('public', 'dm')),
            brand TEXT NOT NULL,
            customer TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('new', 'open', 'pending', 'on-hold', 'resolved', 'closed')),
            reopened INTEGER NOT NULL CHECK (reopened IN (0, 1)),
            priority TEXT NOT NULL CHECK (priority IN ('urgent', 'high', 'normal', 'low')),
            priority_rank INTEGER NOT NULL,
            tier TEXT NOT NULL CHECK (tier IN ('triage', 'service', 'escalation')),
            queue TEXT,
            resolution TEXT,
            holder BLOB,
            lease_ends_ms INTEGER,
            first_inbound_ms INTEGER,
            last_inbound_ms INTEGER,
            first_response_ms INTEGER,
            last_message_ms INTEGER,
            status_set_ms INTEGER,
            status_by BLOB,
            messages INTEGER NOT NULL,
            lang TEXT CHECK (lang IS NULL OR length(lang) BETWEEN 2 AND 3),
            sentiment INTEGER CHECK (sentiment IS NULL OR sentiment BETWEEN -100 AND 100)
        """

    /// Snoozed tickets: `until_ms` from the ticket's `snooze_until` register (an int, Unix ms), `set_ms` the wall
    /// time of that register's winning op. Hidden from open work while `until_ms > now` and no customer message
    /// came after `set_ms` (SPEC.md §1b.6).
    static let deskSnoozeSQL = """
        CREATE TABLE desk_snooze (
            key TEXT PRIMARY KEY NOT NULL,
            until_ms INTEGER NOT NULL CHECK (until_ms > 0),
            set_ms INTEGER NOT NULL
        ) WITHOUT ROWID;
        """

    /// Replicated erasures (SPEC.md §1.9): one row per `erasure/<id>` insert, and one per op it names.
    /// `state`: 0 pending (its author's role is not known to allow it yet), 1 effective, 2 refused.
    static let erasureSQL = """
        CREATE TABLE erasure (
            author BLOB NOT NULL CHECK (length(author) = 32),
            epoch INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            hlc INTEGER NOT NULL,
            id TEXT NOT NULL,
            reason TEXT NOT NULL,
            customer TEXT,
            targets INTEGER NOT NULL CHECK (targets > 0),
            state INTEGER NOT NULL DEFAULT 0 CHECK (state IN (0, 1, 2)),
            PRIMARY KEY (author, epoch, seq)
        ) WITHOUT ROWID;
        CREATE TABLE erasure_target (
            author BLOB NOT NULL CHECK (length(author) = 32),
            epoch INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            hash BLOB NOT NULL CHECK (length(hash) = 32),
            kind INTEGER NOT NULL,
            residue BLOB NOT NULL,
            erasure_author BLOB NOT NULL,
            erasure_epoch INTEGER NOT NULL,
            erasure_seq INTEGER NOT NULL,
            PRIMARY KEY (author, epoch, seq, erasure_author, erasure_epoch, erasure_seq),
            FOREIGN KEY (erasure_author, erasure_epoch, erasure_seq) REFERENCES erasure (author, epoch, seq)
        ) WITHOUT ROWID;
        CREATE INDEX erasure_target_by_erasure ON erasure_target (erasure_author, erasure_epoch, erasure_seq);
        CREATE INDEX erasure_customer ON erasure (customer) WHERE customer IS NOT NULL;
        """

    /// The roster ops, one row per effective-or-not `set` of `member/<id>`.`role` or `.revoked`: the
    /// input of ``RosterState``, kept apart so the roster folds without scanning the op log.
    static let rosterSQL = """
        CREATE TABLE roster_change (
            author BLOB NOT NULL CHECK (length(author) = 32),
            epoch INTEGER NOT NULL CHECK (epoch >= 0),
            seq INTEGER NOT NULL CHECK (seq >= 1),
            hlc INTEGER NOT NULL CHECK (hlc >= 0),
            member BLOB NOT NULL CHECK (length(member) = 32),
            field TEXT NOT NULL CHECK (field IN ('role', 'revoked')),
            value TEXT NOT NULL,
            PRIMARY KEY (author, epoch, seq)
        ) WITHOUT ROWID;
        """

    /// The op log's storage (``OpRow`` says which header fields a row leaves out). `log` numbers each (author, epoch)
    /// once, so an op row carries a small integer instead of the 32-byte author key (Protocol/DESIGN-format-2.md F2.3);
    /// `op` is a view with every stored header column, which readers use; writers write `op_row`.
    static let opStorageSQL = """
        \(logTableSQL)

        \(opRowTableSQL("op_row"))
        \(opBodylessTableSQL("op_bodyless", parent: "op_row"))
        \(opCheckTableSQL)
        """

    /// One row per op (as `name`, for the migration that rebuilds it): body is NULL once erased or when withheld, and
    /// then the op's body length, body hash and hash are in `op_bodyless` (``OpRow``: otherwise all three are recomputed).
    static func opRowTableSQL(_ name: String) -> String {
        """
        CREATE TABLE \(name) (
            log INTEGER NOT NULL REFERENCES log (id),
            seq INTEGER NOT NULL CHECK (seq >= 1),
            hlc INTEGER NOT NULL CHECK (hlc >= 0),
            kind INTEGER NOT NULL CHECK (kind BETWEEN 1 AND 65535),
            body BLOB,
            PRIMARY KEY (log, seq)
        ) WITHOUT ROWID;
        """
    }

    /// What an op held without its body keeps of its header (v18): one row exactly for each `op_row` whose body is
    /// NULL — the candidates for fetching it again from a peer (OpStore-bodies.swift). Deleted with its op; the
    /// triggers of ``opViewSQL`` refuse a row for an op that has its body, and a body for an op that has a row.
    static func opBodylessTableSQL(_ name: String, parent: String) -> String {
        """
        CREATE TABLE \(name) (
            log INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            body_len INTEGER NOT NULL CHECK (body_len >= 0),
            body_hash BLOB NOT NULL CHECK (length(body_hash) = 32),
            hash BLOB NOT NULL CHECK (length(hash) = 32),
            PRIMARY KEY (log, seq),
            FOREIGN KEY (log, seq) REFERENCES \(parent) (log, seq) ON DELETE CASCADE
        ) WITHOUT ROWID;
        """
    }

    /// `log`: one number per (author, epoch), as v14 created it (every later layout keeps it).
    static let logTableSQL = """
        CREATE TABLE log (
            id INTEGER PRIMARY KEY,
            author BLOB NOT NULL CHECK (length(author) = 32),
            epoch INTEGER NOT NULL CHECK (epoch >= 0),
            UNIQUE (author, epoch)
        );
        """

    /// The op storage as v14 created it and v15 left it (frozen: those migrations still run on old homes).
    static let opStorageV15SQL = """
        \(logTableSQL)

        \(opRowV15TableSQL("op_row"))
        \(opBodylessIndexSQL)
        \(opCheckTableSQL)
        """

    /// `op_row` as v15 left it (frozen), with the three columns v18 moves to `op_bodyless`.
    static func opRowV15TableSQL(_ name: String) -> String {
        """
        CREATE TABLE \(name) (
            log INTEGER NOT NULL REFERENCES log (id),
            seq INTEGER NOT NULL CHECK (seq >= 1),
            hlc INTEGER NOT NULL CHECK (hlc >= 0),
            kind INTEGER NOT NULL CHECK (kind BETWEEN 1 AND 65535),
            body_len INTEGER NOT NULL CHECK (body_len >= 0),
            body_hash BLOB CHECK (body_hash IS NULL OR length(body_hash) = 32),
            hash BLOB CHECK (hash IS NULL OR length(hash) = 32),
            body BLOB,
            CHECK ((body IS NULL) = (body_hash IS NOT NULL)),
            CHECK ((body IS NULL) = (hash IS NOT NULL)),
            PRIMARY KEY (log, seq)
        ) WITHOUT ROWID;
        """
    }

    /// Ops held without a body, before v18 (frozen).
    static let opBodylessIndexSQL = "CREATE INDEX op_bodyless ON op_row (log, seq) WHERE body IS NULL;"

    /// The hash of every ``StoreLimits/opCheckInterval``-th op of a log: with the seals' heads and the logs' heads, the
    /// points an op's hash is recomputed forward from (``OpStore/opHash(_:seq:after:_:)``), and that verify checks its
    /// recomputed chain against.
    static let opCheckTableSQL = """
        CREATE TABLE op_check (
            log INTEGER NOT NULL REFERENCES log (id),
            seq INTEGER NOT NULL CHECK (seq >= 1),
            hash BLOB NOT NULL CHECK (length(hash) = 32),
            PRIMARY KEY (log, seq)
        ) WITHOUT ROWID;
        """

    /// The view readers use (`body_len` is NULL where the body is held: ``OpRow`` takes the body's length), the
    /// triggers that keep `op_bodyless` to the ops held without their body, and ``opTriggersSQL``.
    static let opViewSQL = """
        CREATE VIEW op (author, epoch, seq, hlc, kind, body_len, body_hash, hash, body) AS
            SELECT log.author, log.epoch, op_row.seq, op_row.hlc, op_row.kind, b.body_len, b.body_hash, b.hash, op_row.body
            FROM op_row JOIN log ON log.id = op_row.log LEFT JOIN op_bodyless b ON b.log = op_row.log AND b.seq = op_row.seq;

        CREATE TRIGGER op_bodyless_needs_no_body BEFORE INSERT ON op_bodyless
        WHEN NOT EXISTS (SELECT 1 FROM op_row WHERE log = NEW.log AND seq = NEW.seq AND body IS NULL)
        BEGIN SELECT RAISE(ABORT, 'only an op held without its body keeps its hash'); END;

        CREATE TRIGGER op_row_body_needs_no_hash BEFORE UPDATE OF body ON op_row
        WHEN NEW.body IS NOT NULL AND EXISTS (SELECT 1 FROM op_bodyless WHERE log = NEW.log AND seq = NEW.seq)
        BEGIN SELECT RAISE(ABORT, 'an op held with its body keeps no hash'); END;

        \(opTriggersSQL)
        """

    /// The view as v14 created it and v15 left it (frozen), and ``opTriggersSQL``.
    static let opViewV15SQL = """
        CREATE VIEW op (author, epoch, seq, hlc, kind, body_len, body_hash, hash, body) AS
            SELECT log.author, log.epoch, op_row.seq, op_row.hlc, op_row.kind, op_row.body_len, op_row.body_hash,
                   op_row.hash, op_row.body
            FROM op_row JOIN log ON log.id = op_row.log;

        \(opTriggersSQL)
        """

    /// The triggers that keep what foreign keys to the op table kept before it became a view (a view cannot be a
    /// foreign key's parent): no seal or erasure mark without its op, no op deleted under one.
    static let opTriggersSQL = """

        CREATE TRIGGER seal_needs_its_op BEFORE INSERT ON seal
        WHEN NOT EXISTS (SELECT 1 FROM op WHERE author = NEW.author AND epoch = NEW.epoch AND seq = NEW.seq)
        BEGIN SELECT RAISE(ABORT, 'a seal needs its op'); END;

        CREATE TRIGGER op_erasure_needs_its_op BEFORE INSERT ON op_erasure
        WHEN NOT EXISTS (SELECT 1 FROM op WHERE author = NEW.author AND epoch = NEW.epoch AND seq = NEW.seq)
        BEGIN SELECT RAISE(ABORT, 'an erasure mark needs its op'); END;

        CREATE TRIGGER op_row_keeps_its_seal BEFORE DELETE ON op_row
        WHEN EXISTS (SELECT 1 FROM log JOIN seal ON seal.author = log.author AND seal.epoch = log.epoch
                     WHERE log.id = OLD.log AND seal.seq = OLD.seq)
          OR EXISTS (SELECT 1 FROM log JOIN op_erasure x ON x.author = log.author AND x.epoch = log.epoch
                     WHERE log.id = OLD.log AND x.seq = OLD.seq)
        BEGIN SELECT RAISE(ABORT, 'an op with a seal or an erasure mark cannot be deleted'); END;
        """

    /// The seal table (as `name`, for the migration that rebuilds it).
    static func sealTableSQL(_ name: String) -> String {
        """
        CREATE TABLE \(name) (
            author BLOB NOT NULL,
            epoch INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            head BLOB NOT NULL CHECK (length(head) = 32),
            signature BLOB NOT NULL CHECK (length(signature) = 64),
            PRIMARY KEY (author, epoch, seq)
        ) WITHOUT ROWID;
        """
    }

    /// Bodies erased on purpose (redaction); a missing body without a row here is corruption. (As `name`, for the
    /// migration that rebuilds it.)
    static func opErasureTableSQL(_ name: String) -> String {
        """
        CREATE TABLE \(name) (
            author BLOB NOT NULL,
            epoch INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            erased_hlc INTEGER NOT NULL,
            PRIMARY KEY (author, epoch, seq)
        ) WITHOUT ROWID;
        """
    }

    static let oplogSQL = """
        CREATE TABLE meta (
            key TEXT PRIMARY KEY NOT NULL,
            value BLOB NOT NULL
        ) WITHOUT ROWID;

        \(opStorageSQL)
        \(sealTableSQL("seal"))
        \(opErasureTableSQL("op_erasure"))
        \(opViewSQL)

        -- The head of every log this node holds; sealed_seq is the highest sealed position.
        CREATE TABLE log_head (
            author BLOB NOT NULL CHECK (length(author) = 32),
            epoch INTEGER NOT NULL,
            seq INTEGER NOT NULL CHECK (seq >= 1),
            hash BLOB NOT NULL CHECK (length(hash) = 32),
            sealed_seq INTEGER NOT NULL CHECK (sealed_seq BETWEEN 1 AND seq),
            PRIMARY KEY (author, epoch)
        ) WITHOUT ROWID;

        -- A second, validly sealed op at a position we already hold: kept, reported, never merged.
        CREATE TABLE fork_evidence (
            author BLOB NOT NULL,
            epoch INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            our_hash BLOB NOT NULL,
            -- Their headers from the forked seq up to the seal, concatenated (127 bytes each),
            -- and that seal: anyone can re-check that the author signed both histories.
            their_headers BLOB NOT NULL,
            their_seal BLOB NOT NULL,
            detected_hlc INTEGER NOT NULL,
            PRIMARY KEY (author, epoch, seq, their_headers)
        ) WITHOUT ROWID;
        """

    /// The help desk's projection of the merged state: one row per message and per ticket, derived only
    /// from the materialized tables above, so every replica has the same rows.
    static let deskSQL = """
        CREATE TABLE desk_message (
            id TEXT PRIMARY KEY NOT NULL,
            ticket TEXT NOT NULL,
            direction TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound', 'note')),
            author TEXT NOT NULL,
            created_ms INTEGER NOT NULL,
            dm INTEGER NOT NULL CHECK (dm IN (0, 1)),
            signature TEXT
        ) WITHOUT ROWID;
        CREATE INDEX desk_message_ticket ON desk_message (ticket, created_ms);
        CREATE INDEX desk_message_author ON desk_message (direction, author);

        CREATE TABLE desk_ticket (
            key TEXT PRIMARY KEY NOT NULL,
            channel TEXT NOT NULL CHECK (channel IN ('public', 'dm')),
            brand TEXT NOT NULL,
            customer TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('new', 'open', 'pending', 'resolved', 'closed')),
            reopened INTEGER NOT NULL CHECK (reopened IN (0, 1)),
            priority TEXT NOT NULL CHECK (priority IN ('urgent', 'high', 'normal', 'low')),
            priority_rank INTEGER NOT NULL,
            tier TEXT NOT NULL CHECK (tier IN ('triage', 'service', 'escalation')),
            queue TEXT,
            resolution TEXT,
            holder BLOB,
            lease_ends_ms INTEGER,
            first_inbound_ms INTEGER,
            last_inbound_ms INTEGER,
            first_response_ms INTEGER,
            last_message_ms INTEGER,
            status_set_ms INTEGER,
            status_by BLOB,
            messages INTEGER NOT NULL
        ) WITHOUT ROWID;
        \(inboxIndexSQL)
        CREATE INDEX desk_ticket_customer ON desk_ticket (customer);
        """

    /// The inbox's indexes: the `ORDER BY` columns, partial on open work (``openWorkStatuses``), so SQLite walks
    /// one in order and stops at the LIMIT instead of sorting every open ticket (Benchmarks/README.md, "Inbox").
    static let inboxIndexSQL = """
        CREATE INDEX desk_ticket_open ON desk_ticket (priority_rank, first_inbound_ms IS NULL, first_inbound_ms)
            WHERE status IN \(TicketStatus.openWorkSQL);
        CREATE INDEX desk_ticket_order ON desk_ticket (priority_rank, first_inbound_ms IS NULL, first_inbound_ms);
        CREATE INDEX desk_ticket_queue ON desk_ticket (queue, priority_rank, first_inbound_ms IS NULL, first_inbound_ms)
            WHERE status IN \(TicketStatus.openWorkSQL);
        CREATE INDEX desk_ticket_tier ON desk_ticket (tier, priority_rank, first_inbound_ms IS NULL, first_inbound_ms)
            WHERE status IN \(TicketStatus.openWorkSQL);
        CREATE INDEX desk_ticket_holder ON desk_ticket (holder, priority_rank, first_inbound_ms IS NULL, first_inbound_ms)
            WHERE holder IS NOT NULL;
        """

    /// The views whose rows name an op's log by its number in `log` (v16): the grow-only set, the last-writer-wins
    /// registers and the add-wins set's adds and removals. A stamp compares by (hlc, author, epoch, seq), and log numbers
    /// follow arrival, not key order, so the upserts compare `hlc` first and read the keys through `log` on a tie
    /// (Materializer.swift). `suffix` names the tables a migration rebuilds them as.
    static func logKeyedViewsSQL(suffix: String) -> String {
        """
        -- Grow-only set: one row per entity; the payload of the earliest insert.
        CREATE TABLE mv_entity\(suffix) (
            collection TEXT NOT NULL,
            key TEXT NOT NULL,
            fields BLOB NOT NULL,
            hlc INTEGER NOT NULL,
            log INTEGER NOT NULL REFERENCES log (id),
            seq INTEGER NOT NULL,
            PRIMARY KEY (collection, key)
        ) WITHOUT ROWID;

        -- Last-writer-wins registers: the value with the greatest (hlc, author, epoch, seq).
        CREATE TABLE mv_register\(suffix) (
            collection TEXT NOT NULL,
            key TEXT NOT NULL,
            field TEXT NOT NULL,
            value BLOB NOT NULL,
            hlc INTEGER NOT NULL,
            log INTEGER NOT NULL REFERENCES log (id),
            seq INTEGER NOT NULL,
            PRIMARY KEY (collection, key, field)
        ) WITHOUT ROWID;

        -- Add-wins OR-set: every add, every removed add, and (mv_tag) the resulting present tags.
        CREATE TABLE mv_tag_add\(suffix) (
            collection TEXT NOT NULL,
            key TEXT NOT NULL,
            tag TEXT NOT NULL,
            log INTEGER NOT NULL REFERENCES log (id),
            seq INTEGER NOT NULL,
            PRIMARY KEY (collection, key, tag, log, seq)
        ) WITHOUT ROWID;
        CREATE TABLE mv_tag_removal\(suffix) (
            collection TEXT NOT NULL,
            key TEXT NOT NULL,
            tag TEXT NOT NULL,
            add_log INTEGER NOT NULL REFERENCES log (id),
            add_seq INTEGER NOT NULL,
            PRIMARY KEY (collection, key, tag, add_log, add_seq)
        ) WITHOUT ROWID;
        """
    }

    static let materializedSQL = """
        \(logKeyedViewsSQL(suffix: ""))
        \(presentTagsViewSQL)

        -- Claims: every claim-chain op, the resolved state, and the conflicts.
        CREATE TABLE mv_claim (
            collection TEXT NOT NULL,
            key TEXT NOT NULL,
            author BLOB NOT NULL,
            epoch INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            hlc INTEGER NOT NULL,
            action INTEGER NOT NULL CHECK (action BETWEEN 1 AND 5),
            holder BLOB CHECK (holder IS NULL OR length(holder) = 32),
            lease_seconds INTEGER NOT NULL CHECK (lease_seconds >= 0),
            observed_author BLOB,
            observed_epoch INTEGER,
            observed_seq INTEGER,
            PRIMARY KEY (collection, key, author, epoch, seq),
            CHECK ((observed_author IS NULL) = (observed_seq IS NULL))
        ) WITHOUT ROWID;
        CREATE TABLE mv_claim_state (
            collection TEXT NOT NULL,
            key TEXT NOT NULL,
            author BLOB NOT NULL,
            epoch INTEGER NOT NULL,
            seq INTEGER NOT NULL,
            action INTEGER NOT NULL,
            holder BLOB,
            since_hlc INTEGER NOT NULL,
            lease_ends_ms INTEGER NOT NULL,
            PRIMARY KEY (collection, key)
        ) WITHOUT ROWID;
        CREATE INDEX mv_claim_state_holder ON mv_claim_state (holder);
        CREATE TABLE mv_claim_conflict (
            collection TEXT NOT NULL,
            key TEXT NOT NULL,
            loser_author BLOB NOT NULL,
            loser_epoch INTEGER NOT NULL,
            loser_seq INTEGER NOT NULL,
            loser_hlc INTEGER NOT NULL,
            loser_holder BLOB,
            winner_author BLOB,
            winner_epoch INTEGER,
            winner_seq INTEGER,
            reason TEXT NOT NULL CHECK (reason IN ('concurrent', 'losing-branch', 'not-permitted')),
            PRIMARY KEY (collection, key, loser_author, loser_epoch, loser_seq)
        ) WITHOUT ROWID;
        """
}
