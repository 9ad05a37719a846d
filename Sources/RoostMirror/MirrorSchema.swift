/// The warehouse tables `roost mirror` keeps (README "Warehouse mirror" documents them for Metabase, Grafana or
/// plain SQL). Times are Unix milliseconds (`bigint`), as the node keeps them; `to_timestamp(x / 1000.0)` turns
/// one into a timestamp.
public enum MirrorSchema {
    /// Bumped when a table changes; a warehouse with another version is refused, never half-migrated.
    public static let version = 1

    /// A mirrored table: its name, columns with their PostgreSQL types, and the rest of its definition.
    public struct Table: Sendable {
        public var name: String
        public var columns: [(name: String, type: String)]
        public var constraints: String

        /// `CREATE TABLE IF NOT EXISTS`.
        var createSQL: String {
            "CREATE TABLE IF NOT EXISTS \(name) (" + columns.map { "\($0.name) \($0.type)" }.joined(separator: ", ")
                + (constraints.isEmpty ? "" : ", \(constraints)") + ")"
        }

        /// An insert of the rows in a JSON array bound as `$1` (one statement per chunk, any number of rows).
        func insertSQL(onConflict: String = "") -> String {
            let names = columns.map(\.name).joined(separator: ", ")
            let record = columns.map { "\($0.name) \($0.type.split(separator: " ").first!)" }.joined(separator: ", ")
            return "INSERT INTO \(name) (\(names)) SELECT \(names) FROM jsonb_to_recordset($1::jsonb) AS r(\(record)) \(onConflict)"
        }
    }

    public static let state = Table(name: "roost_mirror_state", columns: [
        ("id", "smallint NOT NULL CHECK (id = 1)"), ("schema_version", "integer NOT NULL"), ("node", "text NOT NULL"),
        ("cursor", "jsonb NOT NULL"), ("passes", "bigint NOT NULL"), ("full_passes", "bigint NOT NULL"),
        ("updated_ms", "bigint NOT NULL"),
    ], constraints: "PRIMARY KEY (id)")

    public static let tickets = Table(name: "roost_tickets", columns: [
        ("key", "text NOT NULL"), ("channel", "text NOT NULL"), ("brand", "text NOT NULL"), ("customer", "text NOT NULL"),
        ("status", "text NOT NULL"), ("reopened", "boolean NOT NULL"), ("priority", "text NOT NULL"), ("tier", "text NOT NULL"),
        ("queue", "text"), ("resolution", "text"), ("holder", "text"), ("holder_name", "text"), ("lease_ends_ms", "bigint"),
        ("first_inbound_ms", "bigint"), ("last_inbound_ms", "bigint"), ("first_response_ms", "bigint"),
        ("first_response_due_ms", "bigint"), ("last_message_ms", "bigint"), ("status_set_ms", "bigint"),
        ("status_by", "text"), ("status_by_name", "text"), ("messages", "integer NOT NULL"), ("took_dm", "boolean NOT NULL"),
    ], constraints: "PRIMARY KEY (key)")

    public static let messages = Table(name: "roost_messages", columns: [
        ("id", "text NOT NULL"), ("ticket", "text NOT NULL"), ("direction", "text NOT NULL"), ("author", "text NOT NULL"),
        ("sender", "text NOT NULL"), ("created_ms", "bigint NOT NULL"), ("dm", "boolean NOT NULL"), ("signature", "text"),
    ], constraints: "PRIMARY KEY (id)")

    public static let tags = Table(name: "roost_ticket_tags", columns: [
        ("ticket", "text NOT NULL"), ("tag", "text NOT NULL"),
    ], constraints: "PRIMARY KEY (ticket, tag)")

    public static let events = Table(name: "roost_events", columns: [
        ("op", "text NOT NULL"), ("ticket", "text NOT NULL"), ("kind", "text NOT NULL"), ("actor", "text NOT NULL"),
        ("actor_name", "text NOT NULL"), ("at_ms", "bigint NOT NULL"), ("detail", "text"),
    ], constraints: "PRIMARY KEY (op)")

    public static let agents = Table(name: "roost_agents", columns: [
        ("id", "text NOT NULL"), ("name", "text NOT NULL"), ("role", "text NOT NULL"), ("revoked", "boolean NOT NULL"),
    ], constraints: "PRIMARY KEY (id)")

    public static let conflicts = Table(name: "roost_claim_conflicts", columns: [
        ("op", "text NOT NULL"), ("ticket", "text NOT NULL"), ("reason", "text NOT NULL"),
    ], constraints: "PRIMARY KEY (op)")

    /// Every table, the state first.
    public static let tables = [state, tickets, messages, tags, events, agents, conflicts]

    /// The statements that create what is missing (run in order, each on its own).
    public static var createStatements: [String] {
        tables.map(\.createSQL) + [
            "CREATE INDEX IF NOT EXISTS roost_messages_ticket ON roost_messages (ticket, created_ms)",
            "CREATE INDEX IF NOT EXISTS roost_events_ticket ON roost_events (ticket, at_ms)",
            "CREATE INDEX IF NOT EXISTS roost_events_kind ON roost_events (kind, at_ms)",
        ]
    }

    /// Open work, as `roost report` counts it for SLA breaches.
    static let openWorkSQL = "('new', 'open', 'pending', 'on-hold')"

    /// Adds an `sla_breach` event (at the due time, keyed `sla:<ticket>`) for every ticket whose first response
    /// came late, or that is open, unanswered and past due at `$1` (the pass's time, ms). A breach once recorded
    /// stays; a full pass rebuilds them all under the current targets.
    static let breachSQL = """
        INSERT INTO roost_events (op, ticket, kind, actor, actor_name, at_ms, detail)
        SELECT 'sla:' || key, key, 'sla_breach', '', '', first_response_due_ms,
               CASE WHEN first_response_ms IS NULL THEN 'unanswered' ELSE 'late' END
        FROM roost_tickets
        WHERE first_inbound_ms IS NOT NULL AND first_response_due_ms IS NOT NULL
          AND ((first_response_ms IS NOT NULL AND first_response_ms > first_response_due_ms)
               OR (first_response_ms IS NULL AND status IN \(openWorkSQL) AND first_response_due_ms < $1))
        ON CONFLICT (op) DO NOTHING
        """
}
