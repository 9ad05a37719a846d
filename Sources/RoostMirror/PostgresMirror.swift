import Foundation
public import Logging
import PostgresNIO
import RoostCore
public import RoostNode

/// What one pass did.
public struct MirrorPassReport: Sendable, Equatable, Codable {
    /// Whether everything was replaced, and why.
    public var full: Bool
    public var reason: String?
    /// Ops read from the node's store.
    public var opsRead: Int
    /// Tickets whose rows were replaced, and rows written.
    public var tickets: Int
    public var messages: Int
    public var events: Int
    /// Passes the warehouse has recorded, this one included.
    public var passes: Int
}

/// Keeps a PostgreSQL warehouse current with one node's desk (`roost mirror --postgres URL`): tickets, message
/// metadata, tags, events, agents and claim conflicts (``MirrorSchema``).
///
/// Each pass is one transaction that locks the cursor row, reads the ops since the stored cursor, replaces the
/// rows of the tickets they touched, adds their events and stores the new cursor: a pass stopped at any point
/// (the process killed, the server gone) leaves the warehouse at the previous pass, and the next one resumes from
/// there. Replaying a pass writes the same rows (events are keyed by op), so passes are idempotent; two mirrors
/// on one warehouse take turns on the lock.
public struct PostgresMirror: Sendable {
    /// Rows per insert statement (one JSON array each).
    public static let rowsPerStatement = 5_000
    /// How long connecting may take before a pass gives up.
    public static let connectTimeout: Duration = .seconds(15)

    let client: PostgresClient
    let logger: Logger

    /// Runs `body` with a mirror connected to `url`; the connection pool closes when it returns.
    public static func with<T: Sendable>(
        _ url: MirrorURL, logger: Logger, _ body: @Sendable (PostgresMirror) async throws(MirrorError) -> T
    ) async throws(MirrorError) -> T {
        var configuration = url.configuration
        configuration.options.connectTimeout = connectTimeout
        configuration.options.maximumConnections = 2
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let result: Result<T, MirrorError> = await withTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            do throws(MirrorError) {
                return .success(try await body(PostgresMirror(client: client, logger: logger)))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Creates the tables that are missing and checks the schema version of a warehouse mirrored before.
    public func prepare() async throws(MirrorError) {
        try await mapped {
            for statement in MirrorSchema.createStatements { try await client.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
            let rows = try await client.query("SELECT schema_version FROM roost_mirror_state WHERE id = 1", logger: logger)
            for try await version in rows.decode(Int.self) where version != MirrorSchema.version {
                throw MirrorError.schemaVersion(found: version, expected: MirrorSchema.version)
            }
        }
    }

    /// One pass: brings the warehouse up to `desk`'s store; `now` (ms) judges open tickets' SLA breaches. A full pass
    /// writes `pageTickets` tickets at a time and tells `progress` how many tickets it has written after each page.
    public func pass(_ desk: DeskService, now: UInt64, pageTickets: Int = DeskService.mirrorFullPageTickets,
                     progress: (@Sendable (Int) -> Void)? = nil) async throws(MirrorError) -> MirrorPassReport
    {
        try await mapped {
            try await client.withTransaction(logger: logger) { connection in
                let rows = try await connection.query(
                    "SELECT node, cursor::text, passes FROM roost_mirror_state WHERE id = 1 FOR UPDATE", logger: logger)
                var cursor: MirrorCursor?, passes = 0
                for try await (_, text, count) in rows.decode((String, String, Int).self) {
                    cursor = try? JSONDecoder().decode(MirrorCursor.self, from: Data(text.utf8))
                    passes = count
                }
                var change = try Self.desk { () throws(DeskError) in try desk.mirrorChange(after: cursor) }
                if !change.full && !change.messages.isEmpty {
                    // A message that moved leaves a ticket the new ops do not name: refresh that one too.
                    let moved = try await strings(connection, """
                        SELECT DISTINCT ticket FROM roost_messages
                        WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb))
                          AND ticket NOT IN (SELECT jsonb_array_elements_text($2::jsonb))
                        """, json(change.messages.map(\.id)), json(change.refreshed))
                    if !moved.isEmpty {
                        let extra = try Self.desk { [change] () throws(DeskError) in
                            try desk.mirrorTickets(Set(moved), cursor: change.cursor)
                        }
                        change.refreshed += extra.refreshed
                        change.tickets += extra.tickets
                        change.messages += extra.messages
                        change.tags += extra.tags
                        change.events += extra.events
                    }
                }
                let written = try await write(change, desk, connection, now: now, pageTickets: pageTickets, progress: progress)
                return MirrorPassReport(full: change.full, reason: change.fullReason, opsRead: written.ops,
                                        tickets: written.tickets, messages: written.messages,
                                        events: written.events, passes: passes + 1)
            }
        }
    }

    /// Writes one pass in `connection`'s transaction; returns what it wrote. A full pass empties the tables, then
    /// writes the desk a page of `pageTickets` tickets and a batch of events at a time, so the
    /// mirror never holds the whole desk.
    private func write(_ change: MirrorChange, _ desk: DeskService, _ connection: PostgresConnection, now: UInt64,
                       pageTickets: Int, progress: (@Sendable (Int) -> Void)?) async throws
        -> (tickets: Int, messages: Int, events: Int, ops: Int)
    {
        var written = (tickets: change.refreshed.count, messages: change.messages.count, events: change.events.count,
                       ops: change.opsRead)
        if change.full {
            let names = MirrorSchema.tables.dropFirst().map(\.name).joined(separator: ", ")
            try await connection.query(PostgresQuery(unsafeSQL: "TRUNCATE \(names)"), logger: logger)
            var last: String?
            while let page = try Self.desk({ [last] () throws(DeskError) in try desk.mirrorFullRows(after: last, limit: pageTickets, cursor: change.cursor) }) {
                // A message that moved to a later page's ticket while pages were read is written once; the next pass,
                // whose ops include the move, puts it right.
                try await insert(page.tickets, into: MirrorSchema.tickets, connection)
                try await insert(page.messages, into: MirrorSchema.messages, connection, onConflict: "ON CONFLICT (id) DO NOTHING")
                try await insert(page.tags, into: MirrorSchema.tags, connection)
                try await insert(page.events, into: MirrorSchema.events, connection, onConflict: "ON CONFLICT (op) DO NOTHING")
                written.tickets += page.tickets.count
                written.messages += page.messages.count
                written.events += page.events.count
                last = page.tickets.last?.key
                progress?(written.tickets)
            }
            var position = VersionVector()
            while let step = try Self.desk({ [position] () throws(DeskError) in try desk.mirrorFullEvents(after: position) }) {
                try await insert(step.events, into: MirrorSchema.events, connection, onConflict: "ON CONFLICT (op) DO NOTHING")
                written.events += step.events.count
                written.ops += step.ops
                position = step.position
            }
        } else if !change.refreshed.isEmpty {
            let keys = try json(change.refreshed)
            for (table, column) in [("roost_tickets", "key"), ("roost_messages", "ticket"), ("roost_ticket_tags", "ticket")] {
                try await connection.query(PostgresQuery(unsafeSQL: """
                    DELETE FROM \(table) WHERE \(column) IN (SELECT jsonb_array_elements_text($1::jsonb))
                    """, binds: binds(keys)), logger: logger)
            }
            // Messages' events are rebuilt from their rows (a message may have moved or been erased).
            try await connection.query(PostgresQuery(unsafeSQL: """
                DELETE FROM roost_events WHERE op LIKE 'msg:%' AND ticket IN (SELECT jsonb_array_elements_text($1::jsonb))
                """, binds: binds(keys)), logger: logger)
            try await connection.query("""
                DELETE FROM roost_messages WHERE id IN (SELECT jsonb_array_elements_text(\(try json(change.messages.map(\.id)))::jsonb))
                """, logger: logger)
        }
        try await insert(change.tickets, into: MirrorSchema.tickets, connection)
        try await insert(change.messages, into: MirrorSchema.messages, connection)
        try await insert(change.tags, into: MirrorSchema.tags, connection)
        try await insert(change.events, into: MirrorSchema.events, connection, onConflict: "ON CONFLICT (op) DO NOTHING")
        if let agents = change.agents {
            try await connection.query("DELETE FROM roost_agents", logger: logger)
            try await insert(agents, into: MirrorSchema.agents, connection)
        }
        if let conflicts = change.conflicts {
            try await connection.query("DELETE FROM roost_claim_conflicts", logger: logger)
            try await insert(conflicts, into: MirrorSchema.conflicts, connection)
        }
        try await connection.query(PostgresQuery(unsafeSQL: MirrorSchema.breachSQL, binds: binds(Int64(now))), logger: logger)
        let cursor = String(decoding: try JSONEncoder().encode(change.cursor), as: UTF8.self)
        try await connection.query("""
            INSERT INTO roost_mirror_state (id, schema_version, node, cursor, passes, full_passes, updated_ms)
            VALUES (1, \(MirrorSchema.version), \(change.cursor.node), \(cursor)::jsonb, 1, \(change.full ? 1 : 0), \(Int64(now)))
            ON CONFLICT (id) DO UPDATE SET node = EXCLUDED.node, cursor = EXCLUDED.cursor,
                passes = roost_mirror_state.passes + 1, full_passes = roost_mirror_state.full_passes + EXCLUDED.full_passes,
                updated_ms = EXCLUDED.updated_ms
            """, logger: logger)
        return written
    }

    private func insert<Row: Encodable>(_ rows: [Row], into table: MirrorSchema.Table, _ connection: PostgresConnection,
                                        onConflict: String = "") async throws {
        let sql = table.insertSQL(onConflict: onConflict)
        for start in stride(from: 0, to: rows.count, by: Self.rowsPerStatement) {
            let chunk = try json(Array(rows[start..<min(rows.count, start + Self.rowsPerStatement)]))
            try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds(chunk)), logger: logger)
        }
    }

    private func strings(_ connection: PostgresConnection, _ sql: String, _ first: String, _ second: String) async throws -> [String] {
        var result: [String] = []
        for try await value in try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds(first, second)), logger: logger)
            .decode(String.self) { result.append(value) }
        return result
    }

    private func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    private func binds(_ values: String...) -> PostgresBindings {
        var bindings = PostgresBindings()
        for value in values { bindings.append(value) }
        return bindings
    }

    private func binds(_ value: Int64) -> PostgresBindings {
        var bindings = PostgresBindings()
        bindings.append(value)
        return bindings
    }

    private static func desk<T>(_ work: () throws(DeskError) -> T) throws(MirrorError) -> T {
        do { return try work() } catch { throw .desk(error) }
    }

    /// Runs `work`, turning what postgres-nio throws into one ``MirrorError`` (never with the statement's binds).
    private func mapped<T>(_ work: () async throws -> T) async throws(MirrorError) -> T {
        do {
            return try await work()
        } catch let error as MirrorError {
            throw error
        } catch let error as PSQLError {
            if let state = error.serverInfo?[.sqlState] {
                throw .server(code: state, message: error.serverInfo?[.message] ?? "")
            }
            throw .connection("\(error.code)")
        } catch {
            throw .connection(String(describing: type(of: error)))
        }
    }
}
