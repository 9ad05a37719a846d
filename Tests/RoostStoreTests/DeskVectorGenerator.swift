import Foundation
import RoostCore
import RoostCrypto
import RoostStore
import Testing

/// Writes Protocol/vectors/desk.json (SPEC.md, Part 1b). Runs only when asked:
///
///     ROOST_WRITE_VECTORS=1 swift test --filter VectorGenerator
///
/// Every expectation below (desk rows, inbox values, threads, report numbers) is written by hand from
/// SPEC.md Part 1b, with the arithmetic in the comments; nothing is read back from the implementation.
/// `DeskVectorTests` (RoostStoreTests) and `DeskReportVectorTests` (RoostNodeTests) check the file on
/// every run.
@Suite struct DeskVectorGenerator {
    static let enabled = ProcessInfo.processInfo.environment["ROOST_WRITE_VECTORS"] == "1"

    @Test("write the desk vectors", .enabled(if: enabled))
    func writeDeskVectors() throws {
        let json = try Self.document()
        let url = VectorKit.directory.appendingPathComponent("desk.json")
        try Data(json.rendered().utf8).write(to: url)
        #expect(try VectorKit.load("desk.json").compact() == VectorGenerator.sortedMembers(json).compact(), "desk.json round-trips")
    }

    typealias J = VectorKit.JSON

    static let t0 = VectorGenerator.t0
    static let minute: Int64 = 60_000
    static let (A, B, C) = (0, 1, 2)
    /// The receiver's wall clock: one day after t0, so every op below is within the drift bound.
    static let wall = t0 + 86_400_000

    static func authors() throws -> [VectorKit.Author] { try VectorGenerator.mergeAuthors() }
    static func text(_ author: Int) -> String {
        // SPEC.md §1.3 text forms of the seeds 01×32, 02×32, 03×32 (vectors/ids.json).
        ["RKEOHXL-UBHYZLF-7KS3MWT-ZOS5OL4-FGOCN7D-WKBEG73-TOSEADN-APN5OAR",
         "QE4XODV-IPULV67-VVDKRTM-GTD6ZTV-FY3CURW-TXDPISO-56YHVXD-6JWOKA3",
         "5VESRRR-I2HBMNT-2XJAM4J-AWMVMEE-UVSJZ2L-RR7SNRJ-WYFDBJL-EHG7IQN"][author]
    }

    // MARK: ops in readable form

    /// One op: author index, HLC physical time as an offset from t0 in ms (may be negative), logical, body.
    struct Op {
        var author: Int
        var at: Int64
        var logical: UInt16 = 0
        var body: J
    }

    static func abs(_ offset: Int64) -> UInt64 { UInt64(Int64(t0) + offset) }
    static func absJ(_ offset: Int64?) -> J { offset.map { VectorKit.dec(abs($0)) } ?? .null }

    static func e(_ collection: String, _ key: String) -> J { VectorGenerator.entityJ(collection, key) }

    static func ticket(_ key: String, customer: String, channel: String = "public", brand: String = "acmecare") -> J {
        VectorGenerator.insertJ(e("ticket", key), [
            Field("brand", .string(brand)), Field("channel", .string(channel)),
            Field("conversation", .string(String(key.dropFirst()))), Field("customer", .string(customer)),
        ])
    }

    /// A desk message payload as ingest and the agent commands write it.
    static func message(_ id: String, ticket: String, _ direction: String, author: String, created: Int64, text: String,
                        dm: Bool? = nil, signature: String? = nil, replyTo: String? = nil, lang: String? = nil,
                        sentiment: Int64? = nil) -> J {
        var fields = [Field("ticket", .string(ticket)), Field("direction", .string(direction)), Field("author", .string(author)),
                      Field("text", .string(text)), Field("created_ms", .int(Int64(abs(created))))]
        if let dm { fields.append(Field("dm", .bool(dm))) }
        if let signature { fields.append(Field("signature", .string(signature))) }
        if let replyTo { fields.append(Field("reply_to", .string(replyTo))) }
        if let lang { fields.append(Field("lang", .string(lang))) }
        if let sentiment { fields.append(Field("sentiment", .int(sentiment))) }
        return VectorGenerator.insertJ(e("message", id), fields)
    }

    static func raw(_ collection: String, _ key: String, _ fields: [Field]) -> J { VectorGenerator.insertJ(e(collection, key), fields) }

    static func set(_ collection: String, _ key: String, _ field: String, _ value: Value) -> J {
        VectorGenerator.setJ(e(collection, key), field, value)
    }

    static func status(_ key: String, _ value: String) -> J { set("ticket", key, "status", .string(value)) }

    static func claim(_ key: String, _ action: ClaimAction, holder: Int?, lease: UInt32, observed: Int?) -> J {
        VectorGenerator.claimJ(e("ticket", key), action, holder: holder, lease: lease, observed: observed.map(VectorGenerator.op))
    }

    static func opsJ(_ ops: [Op]) -> J {
        .array(ops.map { op in
            .object([("author", .int(Int64(op.author))),
                     ("hlc", .object([("physical_ms", .int(Int64(abs(op.at)))), ("logical", .int(Int64(op.logical)))])),
                     ("body", op.body)])
        })
    }

    // MARK: expectations

    struct TicketRow {
        var key: String
        var channel = "public"
        var brand = "acmecare"
        var customer: String
        var status = "new"
        var reopened = false
        var priority = "normal"
        var tier = "triage"
        var queue: String? = nil
        var resolution: String? = nil
        var holder: Int? = nil
        var leaseEnds: Int64? = nil
        var firstIn: Int64? = nil
        var lastIn: Int64? = nil
        var firstResponse: Int64? = nil
        var lastMessage: Int64? = nil
        var statusSet: Int64? = nil
        var statusBy: Int? = nil
        var messages: Int
        var lang: String? = nil
        var sentiment: Int64? = nil
        /// Query-time values at the case's now_ms with its SLA targets.
        var due: Int64? = nil
        var breaching = false
        /// When the next reply is due (SPEC §1b.13): answered, and a customer message after the latest reply.
        var nextReplyDue: Int64? = nil

        var json: J {
            let rank = ["urgent": 0, "high": 1, "normal": 2, "low": 3][priority]!
            return .object([
                ("key", .string(key)), ("channel", .string(channel)), ("brand", .string(brand)), ("customer", .string(customer)),
                ("status", .string(status)), ("reopened", .bool(reopened)), ("priority", .string(priority)),
                ("priority_rank", .int(Int64(rank))), ("tier", .string(tier)), ("queue", queue.map { .string($0) } ?? .null),
                ("resolution", resolution.map { .string($0) } ?? .null), ("holder", holder.map { .int(Int64($0)) } ?? .null),
                ("lease_ends_ms", absJ(leaseEnds)), ("first_inbound_ms", absJ(firstIn)), ("last_inbound_ms", absJ(lastIn)),
                ("first_response_ms", absJ(firstResponse)), ("last_message_ms", absJ(lastMessage)),
                ("status_set_ms", absJ(statusSet)), ("status_by", statusBy.map { .int(Int64($0)) } ?? .null),
                ("messages", .int(Int64(messages))), ("lang", lang.map { .string($0) } ?? .null),
                ("sentiment", sentiment.map { .int($0) } ?? .null),
                ("due_ms", absJ(due)), ("breaching", .bool(breaching)), ("next_reply_due_ms", absJ(nextReplyDue)),
            ])
        }
    }

    struct MessageRow {
        var id: String
        var ticket: String
        var direction: String
        var author: String
        var created: Int64
        var dm = false
        var signature: String? = nil
        var lang: String? = nil
        var sentiment: Int64? = nil
        /// Thread-only values: the payload's text and the outbox register.
        var text: String
        var outbox: String? = nil

        var json: J {
            .object([("id", .string(id)), ("ticket", .string(ticket)), ("direction", .string(direction)), ("author", .string(author)),
                     ("created_ms", absJ(created)), ("dm", .bool(dm)), ("signature", signature.map { .string($0) } ?? .null),
                     ("lang", lang.map { .string($0) } ?? .null), ("sentiment", sentiment.map { .int($0) } ?? .null)])
        }
        var threadJSON: J {
            .object([("id", .string(id)), ("text", .string(text)), ("outbox", outbox.map { .string($0) } ?? .null)])
        }
    }

    struct DeskCase {
        var name: String
        var description: String
        var ops: [Op]
        var now: Int64
        var sla: [String: Int] = defaultSLA
        var tickets: [TicketRow]
        var messages: [MessageRow]
        /// Thread order per ticket (message ids, oldest first).
        var threads: [(String, [String])] = []
        var noTicketRow: [String] = []
        var notDeskMessages: [String] = []
        var knownIssue: String? = nil
    }

    static let defaultSLA = ["urgent": 30, "high": 30, "normal": 60, "low": 60]

    static func caseJ(_ c: DeskCase) -> J {
        let byID = Dictionary(uniqueKeysWithValues: c.messages.map { ($0.id, $0) })
        var expect: [(String, J)] = [
            ("sla_minutes", .object(["urgent", "high", "normal", "low"].map { ($0, .int(Int64(c.sla[$0]!))) })),
            ("desk_ticket", .array(c.tickets.sorted { Array($0.key.utf8).lexicographicallyPrecedes(Array($1.key.utf8)) }.map(\.json))),
            ("desk_message", .array(c.messages.sorted { Array($0.id.utf8).lexicographicallyPrecedes(Array($1.id.utf8)) }.map(\.json))),
            ("threads", .array(c.threads.map { ticket, ids in
                .object([("ticket", .string(ticket)), ("messages", .array(ids.map { byID[$0]!.threadJSON }))])
            })),
        ]
        if !c.noTicketRow.isEmpty { expect.append(("no_ticket_row", .array(c.noTicketRow.map { .string($0) }))) }
        if !c.notDeskMessages.isEmpty { expect.append(("not_desk_messages", .array(c.notDeskMessages.map { .string($0) }))) }
        var members: [(String, J)] = [("name", .string(c.name)), ("description", .string(c.description))]
        if let issue = c.knownIssue { members.append(("known_issue", .string(issue))) }
        members += [("ops", opsJ(c.ops)), ("now_ms", VectorKit.dec(abs(c.now))), ("expect", .object(expect))]
        return .object(members)
    }

    // MARK: desk cases

    static func deskCases() -> [DeskCase] {
        let m = minute
        let b = text(B)
        var cases: [DeskCase] = []

        // 1. A public thread: an outbound before the first inbound and a note do not answer; the reply
        // (claim, insert, outbox=queued, status=pending in one append: consecutive logical counters).
        cases.append(DeskCase(
            name: "thread-first-response-and-reply-ops",
            description: "First response = the earliest outbound at or after the first inbound: the brand's earlier broadcast (99) "
                + "and the note (n1) do not count; B's reply r1 does. The reply is the four ops DeskService.reply writes. "
                + "messages counts notes; last_message_ms does not.",
            ops: [
                Op(author: A, at: 0, body: ticket("p100", customer: "u1")),
                Op(author: A, at: 1, body: raw("customer", "u1", [Field("handle", .string("cust_one"))])),
                Op(author: A, at: 2, body: message("100", ticket: "p100", "inbound", author: "u1", created: 0, text: "my internet is down")),
                Op(author: A, at: 3, body: message("99", ticket: "p100", "outbound", author: "acmecare", created: -m,
                                                   text: "We know about an outage in your area ^AC", signature: "AC")),
                Op(author: B, at: 5 * m, body: message("n1", ticket: "p100", "note", author: b, created: 5 * m, text: "outage map confirms")),
                Op(author: B, at: 12 * m, body: claim("p100", .claim, holder: B, lease: 1800, observed: nil)),
                Op(author: B, at: 12 * m, logical: 1, body: message("r1", ticket: "p100", "outbound", author: b, created: 12 * m,
                                                                    text: "@cust_one Sorry! A crew is on it ^BB", dm: false,
                                                                    signature: "BB", replyTo: "100")),
                Op(author: B, at: 12 * m, logical: 2, body: set("message", "r1", "outbox", .string("queued"))),
                Op(author: B, at: 12 * m, logical: 3, body: status("p100", "pending")),
                Op(author: A, at: 20 * m, body: message("101", ticket: "p100", "inbound", author: "u1", created: 20 * m, text: "still down")),
            ],
            now: 90 * m,
            // lease end = claim HLC ms + 1800 s = 12 min + 30 min; due = 0 + 60 min (normal).
            // The customer's "still down" (20 min) came after the pending was set (12 min): open again, reopened.
            tickets: [TicketRow(key: "p100", customer: "u1", status: "open", reopened: true, holder: B, leaseEnds: 42 * m, firstIn: 0, lastIn: 20 * m,
                                firstResponse: 12 * m, lastMessage: 20 * m, statusSet: 12 * m, statusBy: B, messages: 5,
                                // Next reply: "still down" (20 min) + 60 min = 80 min, overdue at 90 min.
                                due: 60 * m, breaching: true, nextReplyDue: 80 * m)],
            messages: [
                MessageRow(id: "100", ticket: "p100", direction: "inbound", author: "u1", created: 0, text: "my internet is down"),
                MessageRow(id: "101", ticket: "p100", direction: "inbound", author: "u1", created: 20 * m, text: "still down"),
                MessageRow(id: "99", ticket: "p100", direction: "outbound", author: "acmecare", created: -m, signature: "AC",
                           text: "We know about an outage in your area ^AC"),
                MessageRow(id: "n1", ticket: "p100", direction: "note", author: b, created: 5 * m, text: "outage map confirms"),
                MessageRow(id: "r1", ticket: "p100", direction: "outbound", author: b, created: 12 * m, signature: "BB",
                           text: "@cust_one Sorry! A crew is on it ^BB", outbox: "queued"),
            ],
            threads: [("p100", ["99", "100", "n1", "r1", "101"])]))

        // 2. Reopen.
        cases.append(DeskCase(
            name: "reopen-by-later-customer-message",
            description: "Resolved by an op at t0+30 min; the customer writes at t0+40 min (created_ms > the status op's wall time): "
                + "status open, reopened. The resolution register stays; first response is kept.",
            ops: [
                Op(author: A, at: 0, body: ticket("p200", customer: "u2")),
                Op(author: A, at: 1, body: message("200", ticket: "p200", "inbound", author: "u2", created: 0, text: "no signal")),
                Op(author: B, at: 10 * m, body: message("r2", ticket: "p200", "outbound", author: b, created: 10 * m,
                                                        text: "@u2 please restart the router ^BB", dm: false, signature: "BB")),
                Op(author: B, at: 30 * m, body: status("p200", "resolved")),
                Op(author: B, at: 30 * m, logical: 1, body: set("ticket", "p200", "resolution", .string("answered"))),
                Op(author: A, at: 45 * m, body: message("201", ticket: "p200", "inbound", author: "u2", created: 40 * m,
                                                        text: "restarted, still nothing")),
            ],
            now: 90 * m,
            tickets: [TicketRow(key: "p200", customer: "u2", status: "open", reopened: true, resolution: "answered", firstIn: 0,
                                lastIn: 40 * m, firstResponse: 10 * m, lastMessage: 40 * m, statusSet: 30 * m, statusBy: B,
                                // Next reply: "restarted, still nothing" (40 min) + 60 min, not yet due at 90 min.
                                messages: 3, due: 60 * m, breaching: false, nextReplyDue: 100 * m)],
            messages: [
                MessageRow(id: "200", ticket: "p200", direction: "inbound", author: "u2", created: 0, text: "no signal"),
                MessageRow(id: "201", ticket: "p200", direction: "inbound", author: "u2", created: 40 * m, text: "restarted, still nothing"),
                MessageRow(id: "r2", ticket: "p200", direction: "outbound", author: b, created: 10 * m, signature: "BB",
                           text: "@u2 please restart the router ^BB"),
            ],
            threads: [("p200", ["200", "r2", "201"])]))

        // 3. No reopen by messages created before (or exactly at) the resolve, delivered later.
        cases.append(DeskCase(
            name: "no-reopen-by-message-created-before-resolve",
            description: "Resolved at t0+30 min. C ingests, 20 minutes later, two customer messages created at t0+25 min and "
                + "exactly t0+30 min: neither is later than the resolve, so the ticket stays resolved.",
            ops: [
                Op(author: A, at: 0, body: ticket("p300", customer: "u3")),
                Op(author: A, at: 1, body: message("300", ticket: "p300", "inbound", author: "u3", created: 0, text: "my bill is wrong")),
                Op(author: B, at: 10 * m, body: message("r3", ticket: "p300", "outbound", author: b, created: 10 * m,
                                                        text: "@u3 fixed, sorry ^BB", dm: false, signature: "BB")),
                Op(author: B, at: 30 * m, body: status("p300", "resolved")),
                Op(author: B, at: 30 * m, logical: 1, body: set("ticket", "p300", "resolution", .string("answered"))),
                Op(author: C, at: 50 * m, body: message("301", ticket: "p300", "inbound", author: "u3", created: 25 * m,
                                                        text: "and the late fee?")),
                Op(author: C, at: 50 * m + 1, body: message("302", ticket: "p300", "inbound", author: "u3", created: 30 * m,
                                                            text: "thanks")),
            ],
            now: 90 * m,
            tickets: [TicketRow(key: "p300", customer: "u3", status: "resolved", resolution: "answered", firstIn: 0, lastIn: 30 * m,
                                firstResponse: 10 * m, lastMessage: 30 * m, statusSet: 30 * m, statusBy: B, messages: 4,
                                due: 60 * m, breaching: false)],
            messages: [
                MessageRow(id: "300", ticket: "p300", direction: "inbound", author: "u3", created: 0, text: "my bill is wrong"),
                MessageRow(id: "301", ticket: "p300", direction: "inbound", author: "u3", created: 25 * m, text: "and the late fee?"),
                MessageRow(id: "302", ticket: "p300", direction: "inbound", author: "u3", created: 30 * m, text: "thanks"),
                MessageRow(id: "r3", ticket: "p300", direction: "outbound", author: b, created: 10 * m, signature: "BB",
                           text: "@u3 fixed, sorry ^BB"),
            ],
            threads: [("p300", ["300", "r3", "301", "302"])]))

        // 3a. Pending waits on the customer (issue 15): a customer message created at or before the pending's wall time
        // leaves it pending; case 1 shows a later one reopening it.
        cases.append(DeskCase(
            name: "pending-waits-for-a-later-customer-message",
            description: "B replies and sets pending at t0+10 min. A customer message created exactly at t0+10 min, delivered "
                + "later, is not later than the pending, so the ticket stays pending (open work, not reopened).",
            ops: [
                Op(author: A, at: 0, body: ticket("p350", customer: "u5")),
                Op(author: A, at: 1, body: message("350", ticket: "p350", "inbound", author: "u5", created: 0, text: "order late")),
                Op(author: B, at: 10 * m, body: message("r35", ticket: "p350", "outbound", author: b, created: 10 * m,
                                                        text: "@u5 which order number? ^BB", dm: false, signature: "BB")),
                Op(author: B, at: 10 * m, logical: 1, body: status("p350", "pending")),
                Op(author: C, at: 30 * m, body: message("351", ticket: "p350", "inbound", author: "u5", created: 10 * m, text: "hello?")),
            ],
            now: 90 * m,
            tickets: [TicketRow(key: "p350", customer: "u5", status: "pending", firstIn: 0, lastIn: 10 * m, firstResponse: 10 * m,
                                lastMessage: 10 * m, statusSet: 10 * m, statusBy: B, messages: 3, due: 60 * m, breaching: false)],
            messages: [
                MessageRow(id: "350", ticket: "p350", direction: "inbound", author: "u5", created: 0, text: "order late"),
                MessageRow(id: "351", ticket: "p350", direction: "inbound", author: "u5", created: 10 * m, text: "hello?"),
                MessageRow(id: "r35", ticket: "p350", direction: "outbound", author: b, created: 10 * m, signature: "BB",
                           text: "@u5 which order number? ^BB"),
            ],
            threads: [("p350", ["350", "351", "r35"])]))

        // 3a'. On hold (issue 15): open work that a later customer message opens; its reply clock pauses meanwhile.
        cases.append(DeskCase(
            name: "on-hold-opens-on-a-later-customer-message",
            description: "p360: B answers at t0+10 min, the customer writes at t0+20 min, B puts it on hold at t0+25 min: on-hold, "
                + "no next-reply clock while on hold. p370: the same, and the customer writes again at t0+40 min: open, reopened, "
                + "its next reply due 60 min after the oldest unanswered message (t0+20 min).",
            ops: [
                Op(author: A, at: 0, body: ticket("p360", customer: "u6")),
                Op(author: A, at: 1, body: message("360", ticket: "p360", "inbound", author: "u6", created: 0, text: "refund?")),
                Op(author: B, at: 10 * m, body: message("r36", ticket: "p360", "outbound", author: b, created: 10 * m,
                                                        text: "@u6 checking with billing ^BB", dm: false, signature: "BB")),
                Op(author: A, at: 20 * m, body: message("361", ticket: "p360", "inbound", author: "u6", created: 20 * m, text: "ok")),
                Op(author: B, at: 25 * m, body: status("p360", "on-hold")),
                Op(author: A, at: 2, body: ticket("p370", customer: "u7")),
                Op(author: A, at: 3, body: message("370", ticket: "p370", "inbound", author: "u7", created: 0, text: "refund?")),
                Op(author: B, at: 10 * m + 1, body: message("r37", ticket: "p370", "outbound", author: b, created: 10 * m,
                                                            text: "@u7 checking with billing ^BB", dm: false, signature: "BB")),
                Op(author: A, at: 20 * m + 1, body: message("371", ticket: "p370", "inbound", author: "u7", created: 20 * m, text: "ok")),
                Op(author: B, at: 25 * m + 1, body: status("p370", "on-hold")),
                Op(author: A, at: 40 * m, body: message("372", ticket: "p370", "inbound", author: "u7", created: 40 * m, text: "and?")),
            ],
            now: 90 * m,
            tickets: [
                TicketRow(key: "p360", customer: "u6", status: "on-hold", firstIn: 0, lastIn: 20 * m, firstResponse: 10 * m,
                          lastMessage: 20 * m, statusSet: 25 * m, statusBy: B, messages: 3, due: 60 * m, breaching: false),
                TicketRow(key: "p370", customer: "u7", status: "open", reopened: true, firstIn: 0, lastIn: 40 * m, firstResponse: 10 * m,
                          lastMessage: 40 * m, statusSet: 25 * m + 1, statusBy: B, messages: 4, due: 60 * m, breaching: true,
                          nextReplyDue: 80 * m),
            ],
            messages: [
                MessageRow(id: "360", ticket: "p360", direction: "inbound", author: "u6", created: 0, text: "refund?"),
                MessageRow(id: "361", ticket: "p360", direction: "inbound", author: "u6", created: 20 * m, text: "ok"),
                MessageRow(id: "370", ticket: "p370", direction: "inbound", author: "u7", created: 0, text: "refund?"),
                MessageRow(id: "371", ticket: "p370", direction: "inbound", author: "u7", created: 20 * m, text: "ok"),
                MessageRow(id: "372", ticket: "p370", direction: "inbound", author: "u7", created: 40 * m, text: "and?"),
                MessageRow(id: "r36", ticket: "p360", direction: "outbound", author: b, created: 10 * m, signature: "BB",
                           text: "@u6 checking with billing ^BB"),
                MessageRow(id: "r37", ticket: "p370", direction: "outbound", author: b, created: 10 * m, signature: "BB",
                           text: "@u7 checking with billing ^BB"),
            ],
            threads: [("p360", ["360", "r36", "361"]), ("p370", ["370", "r37", "371", "372"])]))

        // 3b. Answered on the platform: ingested threads with no status register (SPEC §1b.4 step 4).
        cases.append(DeskCase(
            name: "answered-on-the-platform",
            description: "No status register. p310: the brand's reply (t0+10 min) is the last message: resolved (answered), "
                + "status_set_ms NULL. p311: the customer wrote again at t0+20 min, after the answer: open, reopened. "
                + "p312: the brand's only tweet predates the first customer message (a broadcast, not an answer): new, "
                + "and breaching at now (due t0+60 min).",
            ops: [
                Op(author: C, at: 0, body: ticket("p310", customer: "u31")),
                Op(author: C, at: 1, body: message("310", ticket: "p310", "inbound", author: "u31", created: 0, text: "card declined")),
                Op(author: C, at: 2, body: message("311", ticket: "p310", "outbound", author: "acmecare", created: 10 * m,
                                                   text: "@u31 try again now ^JS", signature: "JS")),
                Op(author: C, at: 3, body: ticket("p311", customer: "u32")),
                Op(author: C, at: 4, body: message("312", ticket: "p311", "inbound", author: "u32", created: 0, text: "no signal")),
                Op(author: C, at: 5, body: message("313", ticket: "p311", "outbound", author: "acmecare", created: 10 * m,
                                                   text: "@u32 restart please ^JS", signature: "JS")),
                Op(author: C, at: 6, body: message("314", ticket: "p311", "inbound", author: "u32", created: 20 * m, text: "still none")),
                Op(author: C, at: 7, body: ticket("p312", customer: "u33")),
                Op(author: C, at: 8, body: message("315", ticket: "p312", "outbound", author: "acmecare", created: -m,
                                                   text: "Outage in the north ^JS", signature: "JS")),
                Op(author: C, at: 9, body: message("316", ticket: "p312", "inbound", author: "u33", created: 0, text: "is it down?")),
            ],
            now: 90 * m,
            tickets: [
                TicketRow(key: "p310", customer: "u31", status: "resolved", firstIn: 0, lastIn: 0, firstResponse: 10 * m,
                          lastMessage: 10 * m, messages: 2, due: 60 * m, breaching: false),
                TicketRow(key: "p311", customer: "u32", status: "open", reopened: true, firstIn: 0, lastIn: 20 * m,
                          // Next reply: "still none" (20 min) + 60 min = 80 min, overdue at 90 min.
                          firstResponse: 10 * m, lastMessage: 20 * m, messages: 3, due: 60 * m, breaching: true, nextReplyDue: 80 * m),
                TicketRow(key: "p312", customer: "u33", status: "new", firstIn: 0, lastIn: 0, lastMessage: 0, messages: 2,
                          due: 60 * m, breaching: true),
            ],
            messages: [
                MessageRow(id: "310", ticket: "p310", direction: "inbound", author: "u31", created: 0, text: "card declined"),
                MessageRow(id: "311", ticket: "p310", direction: "outbound", author: "acmecare", created: 10 * m, signature: "JS",
                           text: "@u31 try again now ^JS"),
                MessageRow(id: "312", ticket: "p311", direction: "inbound", author: "u32", created: 0, text: "no signal"),
                MessageRow(id: "313", ticket: "p311", direction: "outbound", author: "acmecare", created: 10 * m, signature: "JS",
                           text: "@u32 restart please ^JS"),
                MessageRow(id: "314", ticket: "p311", direction: "inbound", author: "u32", created: 20 * m, text: "still none"),
                MessageRow(id: "315", ticket: "p312", direction: "outbound", author: "acmecare", created: -m, signature: "JS",
                           text: "Outage in the north ^JS"),
                MessageRow(id: "316", ticket: "p312", direction: "inbound", author: "u33", created: 0, text: "is it down?"),
            ],
            threads: [("p310", ["310", "311"]), ("p311", ["312", "313", "314"]), ("p312", ["315", "316"])]))

        // 4. Closed never reopens.
        cases.append(DeskCase(
            name: "closed-never-reopens",
            description: "Closed at t0+10 min; a later customer message does not reopen it. Never answered, but closed is not "
                + "open work, so it is not breaching.",
            ops: [
                Op(author: A, at: 0, body: ticket("p400", customer: "u4")),
                Op(author: A, at: 1, body: message("400", ticket: "p400", "inbound", author: "u4", created: 0, text: "cancel my plan")),
                Op(author: C, at: 10 * m, body: status("p400", "closed")),
                Op(author: A, at: 20 * m, body: message("401", ticket: "p400", "inbound", author: "u4", created: 20 * m, text: "hello?")),
            ],
            now: 90 * m,
            tickets: [TicketRow(key: "p400", customer: "u4", status: "closed", firstIn: 0, lastIn: 20 * m, lastMessage: 20 * m,
                                statusSet: 10 * m, statusBy: C, messages: 2, due: 60 * m, breaching: false)],
            messages: [
                MessageRow(id: "400", ticket: "p400", direction: "inbound", author: "u4", created: 0, text: "cancel my plan"),
                MessageRow(id: "401", ticket: "p400", direction: "inbound", author: "u4", created: 20 * m, text: "hello?"),
            ],
            threads: [("p400", ["400", "401"])]))

        // 5. One message id inserted twice with different tickets.
        cases.append(DeskCase(
            name: "message-inserted-twice-earliest-stamp-wins",
            description: "A and B both insert message/500, naming tickets p500 and p501. B's insert has the smaller stamp "
                + "(HLC t0+1 s < t0+2 s), so the message is in p501 with B's payload; p500 keeps only message 502. "
                + "Delivered A first, the message moves from p500 to p501 and both counts follow.",
            ops: [
                Op(author: A, at: 0, body: ticket("p500", customer: "u5")),
                Op(author: A, at: 2000, body: message("500", ticket: "p500", "inbound", author: "u5", created: 0, text: "via A")),
                Op(author: A, at: 5000, body: message("502", ticket: "p500", "inbound", author: "u5", created: 5000, text: "second")),
                Op(author: B, at: 500, body: ticket("p501", customer: "u5")),
                Op(author: B, at: 1000, body: message("500", ticket: "p501", "inbound", author: "u5", created: 1000, text: "via B")),
            ],
            now: 90 * m,
            // Both unanswered and new: due = first inbound + 60 min < t0+90 min, breaching.
            tickets: [
                TicketRow(key: "p500", customer: "u5", firstIn: 5000, lastIn: 5000, lastMessage: 5000, messages: 1,
                          due: 5000 + 60 * m, breaching: true),
                TicketRow(key: "p501", customer: "u5", firstIn: 1000, lastIn: 1000, lastMessage: 1000, messages: 1,
                          due: 1000 + 60 * m, breaching: true),
            ],
            messages: [
                MessageRow(id: "500", ticket: "p501", direction: "inbound", author: "u5", created: 1000, text: "via B"),
                MessageRow(id: "502", ticket: "p500", direction: "inbound", author: "u5", created: 5000, text: "second"),
            ],
            threads: [("p500", ["502"]), ("p501", ["500"])]))

        // 6. Messages before (or without) their ticket.
        cases.append(DeskCase(
            name: "message-before-its-ticket",
            description: "A DM message arrives before its ticket's insert (listed order): it is projected, and the ticket row "
                + "counts it once the ticket exists. dm601 names a ticket never inserted: it has a desk_message row and a thread, "
                + "but there is no desk_ticket row.",
            ops: [
                Op(author: A, at: 0, body: message("dm600", ticket: "d600-9", "inbound", author: "u6", created: 0,
                                                   text: "my account number is 42", dm: true)),
                Op(author: A, at: 1000, body: message("dm601", ticket: "d700-9", "inbound", author: "u7", created: 1000,
                                                      text: "anyone there?", dm: true)),
                Op(author: B, at: 5 * m, body: ticket("d600-9", customer: "u6", channel: "dm")),
            ],
            now: 90 * m,
            tickets: [TicketRow(key: "d600-9", channel: "dm", customer: "u6", firstIn: 0, lastIn: 0, lastMessage: 0, messages: 1,
                                due: 60 * m, breaching: true)],
            messages: [
                MessageRow(id: "dm600", ticket: "d600-9", direction: "inbound", author: "u6", created: 0, dm: true,
                           text: "my account number is 42"),
                MessageRow(id: "dm601", ticket: "d700-9", direction: "inbound", author: "u7", created: 1000, dm: true,
                           text: "anyone there?"),
            ],
            threads: [("d600-9", ["dm600"]), ("d700-9", ["dm601"])],
            noTicketRow: ["d700-9"]))

        // 7. Which payloads are desk messages.
        cases.append(DeskCase(
            name: "non-desk-messages-not-projected",
            description: "message/700 lacks direction, 701 has an unknown direction, 702 a string created_ms, 703 a negative "
                + "created_ms, 706 a non-string ticket: none is a desk message (the entities exist all the same). 704 has no "
                + "author (projected with author \"\"); 705 has a non-bool dm and a non-string signature (dm 0, signature NULL).",
            ops: [
                Op(author: A, at: 0, body: ticket("p700", customer: "u8")),
                Op(author: A, at: 1, body: raw("message", "700", [Field("author", .string("u8")), Field("created_ms", .int(Int64(abs(0)))),
                                                                  Field("text", .string("no direction")), Field("ticket", .string("p700"))])),
                Op(author: A, at: 2, body: raw("message", "701", [Field("author", .string("u8")), Field("created_ms", .int(Int64(abs(0)))),
                                                                  Field("direction", .string("email")), Field("text", .string("x")),
                                                                  Field("ticket", .string("p700"))])),
                Op(author: A, at: 3, body: raw("message", "702", [Field("author", .string("u8")), Field("created_ms", .string(String(abs(0)))),
                                                                  Field("direction", .string("inbound")), Field("text", .string("x")),
                                                                  Field("ticket", .string("p700"))])),
                Op(author: A, at: 4, body: raw("message", "703", [Field("author", .string("u8")), Field("created_ms", .int(-1)),
                                                                  Field("direction", .string("inbound")), Field("text", .string("x")),
                                                                  Field("ticket", .string("p700"))])),
                Op(author: A, at: 5, body: raw("message", "704", [Field("created_ms", .int(Int64(abs(1000)))),
                                                                  Field("direction", .string("inbound")), Field("text", .string("no author")),
                                                                  Field("ticket", .string("p700"))])),
                Op(author: A, at: 6, body: raw("message", "705", [Field("author", .string("u8")), Field("created_ms", .int(Int64(abs(2000)))),
                                                                  Field("direction", .string("inbound")), Field("dm", .string("yes")),
                                                                  Field("signature", .int(5)), Field("text", .string("odd fields")),
                                                                  Field("ticket", .string("p700"))])),
                Op(author: A, at: 7, body: raw("message", "706", [Field("author", .string("u8")), Field("created_ms", .int(Int64(abs(3000)))),
                                                                  Field("direction", .string("inbound")), Field("text", .string("x")),
                                                                  Field("ticket", .int(700))])),
                Op(author: B, at: 10 * m, body: message("707", ticket: "p700", "note", author: b, created: 10 * m, text: "checked")),
            ],
            now: 90 * m,
            // Inbound: 704 (t0+1 s), 705 (t0+2 s); the note counts in messages only. due = 1 s + 60 min.
            tickets: [TicketRow(key: "p700", customer: "u8", firstIn: 1000, lastIn: 2000, lastMessage: 2000, messages: 3,
                                due: 1000 + 60 * m, breaching: true)],
            messages: [
                MessageRow(id: "704", ticket: "p700", direction: "inbound", author: "", created: 1000, text: "no author"),
                MessageRow(id: "705", ticket: "p700", direction: "inbound", author: "u8", created: 2000, text: "odd fields"),
                MessageRow(id: "707", ticket: "p700", direction: "note", author: b, created: 10 * m, text: "checked"),
            ],
            threads: [("p700", ["704", "705", "707"])],
            notDeskMessages: ["700", "701", "702", "703", "706"]))

        // 8. Priority, tier, queue registers and SLA settings.
        cases.append(DeskCase(
            name: "priority-tier-queue-and-sla-settings",
            description: "p800 has no priority register (normal); p801 high then urgent (later write wins), tier service, queue "
                + "network; p802 an unknown priority (normal) and tier escalation; p803 low. team/settings: sla.urgent = 5, "
                + "sla.normal = 15, sla.high = \"20\" (a string: ignored, default 30), sla.low unset (60). At now = t0+15 min "
                + "p801 (due t0+6 min) is breaching; p800 is due exactly now, which is not breaching.",
            ops: [
                Op(author: A, at: 0, body: ticket("p800", customer: "u9")),
                Op(author: A, at: 1, body: message("800", ticket: "p800", "inbound", author: "u9", created: 0, text: "a")),
                Op(author: A, at: 2, body: ticket("p801", customer: "u9")),
                Op(author: A, at: 3, body: message("801", ticket: "p801", "inbound", author: "u9", created: m, text: "b")),
                Op(author: A, at: 4, body: ticket("p802", customer: "u9")),
                Op(author: A, at: 5, body: message("802", ticket: "p802", "inbound", author: "u9", created: 2 * m, text: "c")),
                Op(author: A, at: 6, body: ticket("p803", customer: "u9")),
                Op(author: A, at: 7, body: message("803", ticket: "p803", "inbound", author: "u9", created: 3 * m, text: "d")),
                Op(author: B, at: 60_000, body: set("ticket", "p801", "priority", .string("high"))),
                Op(author: C, at: 120_000, body: set("ticket", "p801", "priority", .string("urgent"))),
                Op(author: B, at: 150_000, body: set("ticket", "p801", "tier", .string("service"))),
                Op(author: B, at: 150_001, body: set("ticket", "p801", "escalation_reason", .string("outage"))),
                Op(author: B, at: 150_002, body: set("ticket", "p801", "queue", .string("network"))),
                Op(author: B, at: 160_000, body: set("ticket", "p802", "priority", .string("critical"))),
                Op(author: B, at: 170_000, body: set("ticket", "p803", "priority", .string("low"))),
                Op(author: C, at: 180_000, body: set("ticket", "p802", "tier", .string("escalation"))),
                Op(author: C, at: 240_000, body: set("team", "settings", "sla.urgent", .int(5))),
                Op(author: C, at: 240_000, logical: 1, body: set("team", "settings", "sla.normal", .int(15))),
                Op(author: C, at: 240_000, logical: 2, body: set("team", "settings", "sla.high", .string("20"))),
            ],
            now: 15 * m,
            sla: ["urgent": 5, "high": 30, "normal": 15, "low": 60],
            tickets: [
                TicketRow(key: "p800", customer: "u9", firstIn: 0, lastIn: 0, lastMessage: 0, messages: 1, due: 15 * m, breaching: false),
                TicketRow(key: "p801", customer: "u9", priority: "urgent", tier: "service", queue: "network", firstIn: m, lastIn: m,
                          lastMessage: m, messages: 1, due: 6 * m, breaching: true),
                TicketRow(key: "p802", customer: "u9", tier: "escalation", firstIn: 2 * m, lastIn: 2 * m, lastMessage: 2 * m,
                          messages: 1, due: 17 * m, breaching: false),
                TicketRow(key: "p803", customer: "u9", priority: "low", firstIn: 3 * m, lastIn: 3 * m, lastMessage: 3 * m,
                          messages: 1, due: 63 * m, breaching: false),
            ],
            messages: [
                MessageRow(id: "800", ticket: "p800", direction: "inbound", author: "u9", created: 0, text: "a"),
                MessageRow(id: "801", ticket: "p801", direction: "inbound", author: "u9", created: m, text: "b"),
                MessageRow(id: "802", ticket: "p802", direction: "inbound", author: "u9", created: 2 * m, text: "c"),
                MessageRow(id: "803", ticket: "p803", direction: "inbound", author: "u9", created: 3 * m, text: "d"),
            ]))

        // 9. Claims shown on tickets.
        cases.append(DeskCase(
            name: "claim-holder-on-ticket",
            description: "p900: A holds it (lease 1800 s from t0+5 min). p901: A claimed then released: no holder, no lease end. "
                + "p902: B's first claim (t0+7.5 min) is earlier than A's (t0+8 min), so B holds it (lease 600 s).",
            ops: [
                Op(author: A, at: 0, body: ticket("p900", customer: "u10")),
                Op(author: A, at: 1, body: message("900", ticket: "p900", "inbound", author: "u10", created: 0, text: "a")),
                Op(author: A, at: 2, body: ticket("p901", customer: "u10")),
                Op(author: A, at: 3, body: message("901", ticket: "p901", "inbound", author: "u10", created: 0, text: "b")),
                Op(author: A, at: 4, body: ticket("p902", customer: "u10")),
                Op(author: A, at: 5, body: message("902", ticket: "p902", "inbound", author: "u10", created: 0, text: "c")),
                Op(author: A, at: 5 * m, body: claim("p900", .claim, holder: A, lease: 1800, observed: nil)),
                Op(author: A, at: 6 * m, body: claim("p901", .claim, holder: A, lease: 600, observed: nil)),
                Op(author: A, at: 7 * m, body: claim("p901", .release, holder: nil, lease: 0, observed: 7)),
                Op(author: A, at: 8 * m, body: claim("p902", .claim, holder: A, lease: 600, observed: nil)),
                Op(author: B, at: 450_000, body: claim("p902", .claim, holder: B, lease: 600, observed: nil)),
            ],
            now: 30 * m,
            tickets: [
                TicketRow(key: "p900", customer: "u10", holder: A, leaseEnds: 5 * m + 1_800_000, firstIn: 0, lastIn: 0, lastMessage: 0,
                          messages: 1, due: 60 * m),
                TicketRow(key: "p901", customer: "u10", firstIn: 0, lastIn: 0, lastMessage: 0, messages: 1, due: 60 * m),
                TicketRow(key: "p902", customer: "u10", holder: B, leaseEnds: 450_000 + 600_000, firstIn: 0, lastIn: 0, lastMessage: 0,
                          messages: 1, due: 60 * m),
            ],
            messages: [
                MessageRow(id: "900", ticket: "p900", direction: "inbound", author: "u10", created: 0, text: "a"),
                MessageRow(id: "901", ticket: "p901", direction: "inbound", author: "u10", created: 0, text: "b"),
                MessageRow(id: "902", ticket: "p902", direction: "inbound", author: "u10", created: 0, text: "c"),
            ]))

        // 10. Ticket payload winner, unknown status value.
        cases.append(DeskCase(
            name: "ticket-payload-winner-and-unknown-status",
            description: "Two inserts of ticket/p1100: B's has the smaller stamp, so channel dm, brand acme, customer u13. "
                + "A sets status \"archived\" (not in the vocabulary): the status is new, but status_set_ms and status_by "
                + "still come from that register.",
            ops: [
                Op(author: A, at: 2000, body: ticket("p1100", customer: "u12")),
                Op(author: A, at: 3000, body: status("p1100", "archived")),
                Op(author: B, at: 1000, body: ticket("p1100", customer: "u13", channel: "dm", brand: "acme")),
                Op(author: B, at: 1001, body: raw("customer", "u13", [Field("handle", .string("thirteen"))])),
                Op(author: B, at: 1002, body: message("1100", ticket: "p1100", "inbound", author: "u13", created: 0, text: "hi", dm: true)),
            ],
            now: 30 * m,
            tickets: [TicketRow(key: "p1100", channel: "dm", brand: "acme", customer: "u13", firstIn: 0, lastIn: 0, lastMessage: 0,
                                statusSet: 3000, statusBy: A, messages: 1, due: 60 * m)],
            messages: [MessageRow(id: "1100", ticket: "p1100", direction: "inbound", author: "u13", created: 0, dm: true, text: "hi")]))

        // 11. A winning payload that is not a desk message (known issue).
        cases.append(DeskCase(
            name: "non-desk-payload-wins-over-desk-payload",
            description: "message/1000 inserted by A as a desk message (HLC t0+2 s) and by B without desk fields (HLC t0+1 s). "
                + "B's payload wins, so message 1000 is not a desk message: no desk_message row, and p1000 has no messages.",
            ops: [
                Op(author: A, at: 0, body: ticket("p1000", customer: "u11")),
                Op(author: A, at: 2000, body: message("1000", ticket: "p1000", "inbound", author: "u11", created: 0, text: "desk payload")),
                Op(author: B, at: 1000, body: raw("message", "1000", [Field("source", .string("csv")), Field("text", .string("generic"))])),
            ],
            now: 30 * m,
            tickets: [TicketRow(key: "p1000", customer: "u11", messages: 0)],
            messages: [],
            notDeskMessages: ["1000"]))

        // 12. Message and ticket languages and sentiment.
        cases.append(DeskCase(
            name: "message-and-ticket-languages",
            description: "p1200: inbound 1200 (lang es, sentiment -60), 1201 (lang pt, not scored), 1202 (no lang: too short "
                + "to tell; sentiment 0), a reply 1203 (lang en; sentiment 40, which a reply never counts for the ticket) "
                + "and 1204 with lang \"EN\" and sentiment 250 (neither valid: NULL). The ticket's language is the latest "
                + "inbound message's with a language: 1201's pt (1202 has none; replies do not count); its sentiment the "
                + "latest inbound message's with a sentiment: 1202's 0. p1201: no message has a language or a sentiment.",
            ops: [
                Op(author: A, at: 0, body: ticket("p1200", customer: "u14")),
                Op(author: A, at: 1, body: message("1200", ticket: "p1200", "inbound", author: "u14", created: 0, text: "hola, no tengo internet", lang: "es", sentiment: -60)),
                Op(author: A, at: 2, body: message("1201", ticket: "p1200", "inbound", author: "u14", created: m, text: "ainda sem internet", lang: "pt")),
                Op(author: A, at: 3, body: message("1202", ticket: "p1200", "inbound", author: "u14", created: 2 * m, text: "??", sentiment: 0)),
                Op(author: B, at: 4 * m, body: message("1203", ticket: "p1200", "outbound", author: b, created: 4 * m,
                                                       text: "@u14 sorry, checking now ^BB", signature: "BB", lang: "en", sentiment: 40)),
                Op(author: A, at: 5, body: message("1204", ticket: "p1200", "inbound", author: "u14", created: 30_000, text: "x", lang: "EN", sentiment: 250)),
                Op(author: A, at: 6, body: ticket("p1201", customer: "u15")),
                Op(author: A, at: 7, body: message("1205", ticket: "p1201", "inbound", author: "u15", created: 0, text: "ok")),
            ],
            now: 30 * m,
            // p1200: inbound at 0, 30 s, 1 min, 2 min; B's reply at 4 min is the first response and the latest answer,
            // after the last inbound, with no status register: resolved (answered, §1b.4 step 4). Due: first inbound + 60 min.
            tickets: [TicketRow(key: "p1200", customer: "u14", status: "resolved", firstIn: 0, lastIn: 2 * m, firstResponse: 4 * m,
                                lastMessage: 4 * m, messages: 5, lang: "pt", sentiment: 0, due: 60 * m),
                      TicketRow(key: "p1201", customer: "u15", firstIn: 0, lastIn: 0, lastMessage: 0, messages: 1, due: 60 * m)],
            messages: [
                MessageRow(id: "1200", ticket: "p1200", direction: "inbound", author: "u14", created: 0, lang: "es", sentiment: -60,
                           text: "hola, no tengo internet"),
                MessageRow(id: "1201", ticket: "p1200", direction: "inbound", author: "u14", created: m, lang: "pt", text: "ainda sem internet"),
                MessageRow(id: "1202", ticket: "p1200", direction: "inbound", author: "u14", created: 2 * m, sentiment: 0, text: "??"),
                MessageRow(id: "1203", ticket: "p1200", direction: "outbound", author: b, created: 4 * m, signature: "BB", lang: "en", sentiment: 40,
                           text: "@u14 sorry, checking now ^BB"),
                MessageRow(id: "1204", ticket: "p1200", direction: "inbound", author: "u14", created: 30_000, text: "x"),
                MessageRow(id: "1205", ticket: "p1201", direction: "inbound", author: "u15", created: 0, text: "ok"),
            ],
            threads: [("p1200", ["1200", "1204", "1201", "1202", "1203"])]))
        return cases
    }

    // MARK: report cases

    struct Report {
        var tickets: Int
        var responded: Int
        var responseRate: (Int, Int)?
        var frMedian: Int64?, frP90: Int64?
        var resolved: Int
        var resolutionRate: (Int, Int)?
        var resMedian: Int64?, resP90: Int64?
        var inChannel: (Int, Int)?
        var takenToDM: (Int, Int)?
        var breaches: Int
        var conflicts: Int
        var agents: [(String, Int, Int)]

        var json: J {
            func rate(_ r: (Int, Int)?) -> J { r.map { .array([.int(Int64($0.0)), .int(Int64($0.1))]) } ?? .null }
            func ms(_ v: Int64?) -> J { v.map { .string(String($0)) } ?? .null }
            return .object([
                ("tickets", .int(Int64(tickets))), ("responded", .int(Int64(responded))), ("response_rate", rate(responseRate)),
                ("first_response_median_ms", ms(frMedian)), ("first_response_p90_ms", ms(frP90)),
                ("resolved", .int(Int64(resolved))), ("resolution_rate", rate(resolutionRate)),
                ("resolution_median_ms", ms(resMedian)), ("resolution_p90_ms", ms(resP90)),
                ("in_channel_resolution_rate", rate(inChannel)), ("taken_to_dm_share", rate(takenToDM)),
                ("sla_breaches", .int(Int64(breaches))), ("claim_conflicts", .int(Int64(conflicts))),
                ("agents", .array(agents.map { .object([("agent", .string($0.0)), ("replies", .int(Int64($0.1))),
                                                         ("resolutions", .int(Int64($0.2)))]) })),
            ])
        }
    }

    static func reportJ() -> J {
        let m = minute
        let (a, b) = (text(A), text(B))
        func inbound(_ id: String, _ ticketKey: String, _ customer: String, _ created: Int64) -> J {
            message(id, ticket: ticketKey, "inbound", author: customer, created: created, text: "help")
        }
        // Listed in HLC order. C is the ingesting node; A (Ana) and B (Ben) are agents.
        var ops: [Op] = [
            Op(author: A, at: -20 * m, body: raw("member", a, [Field("initials", .string("AL")), Field("name", .string("Ana"))])),
            Op(author: B, at: -20 * m, body: raw("member", b, [Field("initials", .string("BB")), Field("name", .string("Ben"))])),
            Op(author: C, at: -20 * m, body: raw("member", text(C), [Field("initials", .string("CY")), Field("name", .string("Cy"))])),
            Op(author: C, at: -10 * m, body: ticket("pR0", customer: "k0")),
            Op(author: C, at: -10 * m + 1, body: inbound("R0a", "pR0", "k0", -10 * m)),
            Op(author: C, at: 0, body: ticket("pR1", customer: "k1")),
            Op(author: C, at: 1, body: inbound("R1a", "pR1", "k1", 0)),
            Op(author: C, at: 5 * m, body: ticket("pR2", customer: "k2")),
            Op(author: C, at: 5 * m + 1, body: inbound("R2a", "pR2", "k2", 5 * m)),
            Op(author: B, at: 10 * m, body: message("R1b", ticket: "pR1", "outbound", author: b, created: 10 * m, text: "@k1 done ^BB",
                                                    dm: false, signature: "BB")),
            Op(author: A, at: 11 * m, body: set("ticket", "pR2", "priority", .string("high"))),
            Op(author: A, at: 12 * m, body: set("ticket", "pR2", "queue", .string("billing"))),
            Op(author: C, at: 20 * m, body: ticket("pR3", customer: "k3")),
            Op(author: C, at: 20 * m + 1, body: inbound("R3a", "pR3", "k3", 20 * m)),
            Op(author: A, at: 25 * m, body: claim("pR3", .claim, holder: A, lease: 1800, observed: nil)),
            Op(author: B, at: 26 * m, body: claim("pR3", .claim, holder: B, lease: 1800, observed: nil)),
        ]
        let claimA = ops.count - 2
        ops += [
            Op(author: C, at: 27 * m, body: claim("pR3", .claim, holder: C, lease: 1800, observed: claimA)),
            Op(author: B, at: 30 * m, body: status("pR1", "resolved")),
            Op(author: B, at: 30 * m, logical: 1, body: set("ticket", "pR1", "resolution", .string("answered"))),
            Op(author: C, at: 30 * m, body: ticket("pR4", customer: "k4")),
            Op(author: C, at: 30 * m + 1, body: inbound("R4a", "pR4", "k4", 30 * m)),
            Op(author: A, at: 30 * m + 2, body: set("ticket", "pR4", "queue", .string("billing"))),
            Op(author: A, at: 40 * m, body: message("R4b", ticket: "pR4", "outbound", author: a, created: 40 * m, text: "DM us please ^AL",
                                                    dm: true, signature: "AL")),
            Op(author: C, at: 40 * m, body: ticket("pR5", customer: "k5")),
            Op(author: C, at: 40 * m + 1, body: inbound("R5a", "pR5", "k5", 40 * m)),
            Op(author: B, at: 45 * m, body: message("R5c", ticket: "pR5", "outbound", author: b, created: 45 * m, text: "@k5 fixed ^BB",
                                                    dm: false, signature: "BB")),
            Op(author: B, at: 50 * m, body: status("pR5", "resolved")),
            Op(author: B, at: 50 * m, logical: 1, body: set("ticket", "pR5", "resolution", .string("answered"))),
            Op(author: C, at: 50 * m, body: ticket("pR6", customer: "k6")),
            Op(author: C, at: 50 * m + 1, body: inbound("R6a", "pR6", "k6", 50 * m)),
            Op(author: C, at: 50 * m + 2, body: message("R2b", ticket: "pR2", "outbound", author: "acmecare", created: 50 * m,
                                                        text: "@k2 sorry for the wait ^JS", signature: "JS")),
            Op(author: A, at: 55 * m, body: status("pR6", "closed")),
            Op(author: C, at: 60 * m, body: inbound("R5b", "pR5", "k5", 60 * m)),
            Op(author: A, at: 65 * m, body: status("pR2", "resolved")),
            Op(author: A, at: 65 * m, logical: 1, body: set("ticket", "pR2", "resolution", .string("taken-to-dm"))),
            Op(author: A, at: 100 * m, body: status("pR4", "resolved")),
            Op(author: A, at: 100 * m, logical: 1, body: set("ticket", "pR4", "resolution", .string("escalated-elsewhere"))),
            Op(author: C, at: 180 * m, body: ticket("pR9", customer: "k9")),
            Op(author: C, at: 180 * m + 1, body: inbound("R9a", "pR9", "k9", 180 * m)),
            Op(author: C, at: 200 * m, body: ticket("pR8", customer: "k8")),
            Op(author: B, at: 200 * m, body: message("R8b", ticket: "pR8", "outbound", author: b, created: 200 * m, text: "hello ^BB",
                                                     dm: false, signature: "BB")),
            Op(author: C, at: 300 * m, body: ticket("pR7", customer: "k7")),
            Op(author: C, at: 300 * m + 1, body: inbound("R7a", "pR7", "k7", 300 * m)),
            Op(author: A, at: 301 * m, body: claim("pR7", .claim, holder: A, lease: 1800, observed: nil)),
            Op(author: B, at: 302 * m, body: claim("pR7", .claim, holder: B, lease: 1800, observed: nil)),
        ]
        // Facts, by hand (minutes after t0):
        //   pR0 in -10, new, due 50.            pR1 in 0, reply 10 (Ben), resolved 30 by Ben, answered.
        //   pR2 in 5, high (due 35), reply 50 (acmecare ^JS, late), resolved 65 by Ana, taken-to-dm; queue billing.
        //   pR3 in 20, new, due 80; claims: Ana wins, Ben concurrent, Cy not-permitted.
        //   pR4 in 30, DM reply 40 (Ana), resolved 100 by Ana, escalated-elsewhere; queue billing.
        //   pR5 in 40, reply 45 (Ben), resolved 50 by Ben, customer again at 60: reopened, open.
        //   pR6 in 50, closed 55 by Ana, no reply.   pR7 in 300, concurrent claim conflict.
        //   pR8 no inbound (never counted).          pR9 in 180, new, due 240.
        let ms = { (minutes: Int64) in minutes * m }
        let scopes: [(String, String, Int64?, Int64?, String?, String?, Int64, Report)] = [
            ("window", "since t0, until t0+240 min: pR1-pR6 and pR9. Responses 5,10,10,45; resolutions 5,30,60,70 (pR5 reopened, "
                + "pR6 closed counts); breaches: pR2 late, pR3 unanswered past due (pR9 due exactly at until is not); "
                + "conflicts: Ben's concurrent claim on pR3 (Cy's not-permitted one does not count).",
             0, 240 * m, nil, nil, 500 * m,
             Report(tickets: 7, responded: 4, responseRate: (4, 7), frMedian: ms(10), frP90: ms(45), resolved: 4,
                    resolutionRate: (4, 7), resMedian: ms(30), resP90: ms(70), inChannel: (3, 4), takenToDM: (2, 4),
                    breaches: 2, conflicts: 1,
                    agents: [("Ana", 1, 2), ("Ben", 2, 1), ("acmecare ^JS", 1, 0)])),
            ("agent-ben", "Ben's tickets in the window: pR1 (reply, resolved by Ben) and pR5 (reply; status by Ben but reopened).",
             0, 240 * m, nil, "Ben", 500 * m,
             Report(tickets: 2, responded: 2, responseRate: (2, 2), frMedian: ms(5), frP90: ms(10), resolved: 1,
                    resolutionRate: (1, 2), resMedian: ms(30), resP90: ms(30), inChannel: (1, 1), takenToDM: (0, 2),
                    breaches: 0, conflicts: 0, agents: [("Ben", 2, 1)])),
            ("agent-ana", "Ana's tickets in the window: pR2 and pR6 (status set by Ana), pR4 (reply and status). pR3 (claims only) "
                + "is not hers.",
             0, 240 * m, nil, "Ana", 500 * m,
             Report(tickets: 3, responded: 2, responseRate: (2, 3), frMedian: ms(10), frP90: ms(45), resolved: 3,
                    resolutionRate: (3, 3), resMedian: ms(60), resP90: ms(70), inChannel: (2, 3), takenToDM: (2, 2),
                    breaches: 1, conflicts: 0, agents: [("Ana", 1, 2)])),
            ("queue-billing", "Queue billing in the window: pR2 and pR4.",
             0, 240 * m, "billing", nil, 500 * m,
             Report(tickets: 2, responded: 2, responseRate: (2, 2), frMedian: ms(10), frP90: ms(45), resolved: 2,
                    resolutionRate: (2, 2), resMedian: ms(60), resP90: ms(70), inChannel: (1, 2), takenToDM: (2, 2),
                    breaches: 1, conflicts: 0, agents: [("Ana", 1, 2), ("acmecare ^JS", 1, 0)])),
            ("no-bounds", "No since or until: every ticket with an inbound message (pR0-pR7, pR9), SLA judged at now = t0+100 min: "
                + "pR0 (due 50), pR2 (late) and pR3 (due 80) breach; conflicts on pR3 and pR7.",
             nil, nil, nil, nil, 100 * m,
             Report(tickets: 9, responded: 4, responseRate: (4, 9), frMedian: ms(10), frP90: ms(45), resolved: 4,
                    resolutionRate: (4, 9), resMedian: ms(30), resP90: ms(70), inChannel: (3, 4), takenToDM: (2, 4),
                    breaches: 3, conflicts: 2,
                    agents: [("Ana", 1, 2), ("Ben", 2, 1), ("acmecare ^JS", 1, 0)])),
            ("since-inclusive", "since t0+40 min (inclusive: pR5), until t0+240 min: pR5, pR6, pR9.",
             40 * m, 240 * m, nil, nil, 500 * m,
             Report(tickets: 3, responded: 1, responseRate: (1, 3), frMedian: ms(5), frP90: ms(5), resolved: 1,
                    resolutionRate: (1, 3), resMedian: ms(5), resP90: ms(5), inChannel: (1, 1), takenToDM: (0, 1),
                    breaches: 0, conflicts: 0, agents: [("Ben", 1, 0)])),
            ("empty", "A queue nobody uses: no tickets, every rate and percentile absent.",
             0, 240 * m, "network", nil, 500 * m,
             Report(tickets: 0, responded: 0, responseRate: nil, frMedian: nil, frP90: nil, resolved: 0, resolutionRate: nil,
                    resMedian: nil, resP90: nil, inChannel: nil, takenToDM: nil, breaches: 0, conflicts: 0, agents: [])),
        ]
        let percentiles: [([Int64], Int64?, Int64?)] = [
            ([], nil, nil), ([7], 7, 7), ([3, 1, 2], 2, 3), (Array(1...10), 5, 9), ([40, 10, 30, 20], 20, 40), (Array(1...20), 10, 18),
        ]
        return .object([
            ("description", .string(
                "Report cases (SPEC.md §1b.8): apply 'ops' (same conventions as 'cases'), then compute the report for each scope "
                    + "from the desk rows, the ticket claim conflicts and the SLA targets. since_ms/until_ms/queue/agent are the "
                    + "scope (null: unset); now_ms is the node's clock (used only without until). Agent names: the 'name' field "
                    + "of member/<author text>, else the author string itself. Rates are [numerator, denominator] (null: no "
                    + "denominator); durations are in ms (the report shows ms / 60000 as minutes). 'percentiles' checks the "
                    + "nearest-rank rule on plain value lists.")),
            ("ops", opsJ(ops)),
            ("scopes", .array(scopes.map { name, description, since, until, queue, agent, now, report in
                .object([("name", .string(name)), ("description", .string(description)), ("since_ms", absJ(since)),
                         ("until_ms", absJ(until)), ("queue", queue.map { .string($0) } ?? .null),
                         ("agent", agent.map { .string($0) } ?? .null), ("now_ms", absJ(now)), ("expect", report.json)])
            })),
            ("percentiles", .array(percentiles.map { values, p50, p90 in
                .object([("values", .array(values.map { .int($0) })), ("p50", p50.map { .int($0) } ?? .null),
                         ("p90", p90.map { .int($0) } ?? .null)])
            })),
        ])
    }

    // MARK: document

    static func document() throws -> J {
        let authors = try authors()
        return .object([
            ("description", .string(
                "Help-desk projection cases (SPEC.md, Part 1b). Ops use the conventions of merge.json: author index (that "
                    + "author's single log, epoch given), hlc, readable body; seqs count from 1 per author in listed order. "
                    + "Deliver each author's ops in order (any interleaving, any batching); after all ops 'expect' must hold: "
                    + "desk_ticket and desk_message are the complete tables (holder and status_by are author indices; ms values "
                    + "are decimal strings), due_ms, breaching (first response or next reply overdue, §1b.13) and next_reply_due_ms are "
                    + "the query-time values at now_ms with sla_minutes (which "
                    + "come from the team/settings registers), threads list each thread's messages oldest first with their text "
                    + "and outbox state, no_ticket_row names tickets without a row, not_desk_messages names message entities "
                    + "that exist but are not desk messages. A case with 'known_issue' documents a divergence of the reference "
                    + "implementation from the specification.")),
            ("authors", .array(authors.enumerated().map { i, author in
                .object([("name", .string(["A", "B", "C"][i])),
                         ("seed", VectorKit.hex([VectorGenerator.seedA, VectorGenerator.seedB, VectorGenerator.seedC][i])),
                         ("public_key", VectorKit.hex(author.id.key)), ("epoch", VectorKit.dec(author.epoch)),
                         ("text", .string(text(i)))])
            })),
            ("wall_ms", VectorKit.dec(wall)),
            ("cases", .array(deskCases().map(caseJ))),
            ("report", reportJ()),
        ])
    }
}
