import Foundation
import GRDB
import RoostCore
import RoostCrypto
@_spi(StoreInternals) import RoostStore
import Testing

// Checks the help-desk projection (SPEC.md, Part 1b) against Protocol/vectors/desk.json: the complete
// desk_ticket and desk_message tables, the inbox values (store.desk.ticketRow), threads (store.desk.thread) and
// the report snapshot (OpStore.deskSnapshot), in several delivery orders. The report numbers of the same
// file are checked by RoostNodeTests/DeskReportVectorTests. To regenerate the file:
//   ROOST_WRITE_VECTORS=1 swift test --filter VectorGenerator

@Suite struct DeskVectorTests {
    @Test("desk.json: desk rows, inbox values, threads and snapshots in several delivery orders")
    func deskCases() throws {
        let file = try VectorKit.load("desk.json")
        let authors = try VectorKit.authors(file["authors"])
        for (index, entry) in try file["authors"].array().enumerated() {
            #expect(authors[index].id.text == (try entry["text"].string()), "author \(index) text form")
        }
        let wall = try file["wall_ms"].u64()
        let cases = try file["cases"].array()
        #expect(cases.count >= 10)
        for entry in cases {
            let name = try entry["name"].string()
            let ops = try VectorKit.buildCase(entry["ops"], authors: authors)
            let now = try entry["now_ms"].u64()
            let expect = try entry["expect"]
            var stores: [(String, OpStore)] = []
            for (number, order) in VectorKit.deliveryOrders(ops, count: 4).enumerated() {
                let store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
                for index in order {
                    try store.apply(VectorKit.batch(ops, [index], authors: authors), clock: FixedClock(millis: wall))
                }
                stores.append(("\(name), order \(number)", store))
            }
            let batched = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
            try batched.apply(VectorKit.batch(ops, Array(ops.indices), authors: authors), clock: FixedClock(millis: wall))
            stores.append(("\(name), one batch", batched))
            for (label, store) in stores {
                if let issue = try entry.optional("known_issue")?.string() {
                    withKnownIssue(Comment(rawValue: issue), isIntermittent: true) {
                        try DeskVectorKit.check(expect, store: store, authors: authors, now: now, label: label)
                    }
                } else {
                    try DeskVectorKit.check(expect, store: store, authors: authors, now: now, label: label)
                }
            }
        }
    }
}

/// Reading desk.json expectations and comparing them with a store.
enum DeskVectorKit {
    typealias J = VectorKit.JSON

    /// SLA targets by the rule of SPEC.md §1b.6: an int register `team/settings` `sla.<priority>`, else the default.
    static func slaTargets(_ store: OpStore) throws -> SLATargets {
        let defaults: [Priority: Int] = [.urgent: 30, .high: 30, .normal: 60, .low: 60]
        var minutes: [Priority: Int] = [:]
        for priority in Priority.allCases {
            if case let .int(value)? = try store.state.register(EntityRef("team", "settings"), "sla.\(priority.rawValue)") {
                minutes[priority] = Int(value)
            } else {
                minutes[priority] = defaults[priority]
            }
        }
        return SLATargets(minutes: minutes)
    }

    static func ms(_ j: J) throws -> UInt64? {
        if case .null = j { return nil }
        return try j.u64()
    }

    static func text(_ j: J) throws -> String? {
        if case .null = j { return nil }
        return try j.string()
    }

    static func author(_ j: J, _ authors: [VectorKit.Author]) throws -> AuthorID? {
        if case .null = j { return nil }
        return authors[Int(try j.int())].id
    }

    static func dbInt(_ v: UInt64?) -> DatabaseValue { v.map { Int64($0).databaseValue } ?? .null }
    static func dbText(_ v: String?) -> DatabaseValue { v.map { $0.databaseValue } ?? .null }
    static func dbAuthor(_ v: AuthorID?) -> DatabaseValue { v.map { Data($0.key.bytes).databaseValue } ?? .null }

    static func check(_ expect: J, store: OpStore, authors: [VectorKit.Author], now: UInt64, label: String) throws {
        // SLA targets from the settings registers.
        let sla = try slaTargets(store)
        for priority in Priority.allCases {
            #expect(sla.target(priority) == Int(try expect["sla_minutes"][priority.rawValue].int()), "\(label): sla.\(priority.rawValue)")
        }

        // desk_ticket, complete, in key order.
        let expectedTickets = try expect["desk_ticket"].array()
        let ticketRows = try store.writer.read { db in try Row.fetchAll(db, sql: "SELECT * FROM desk_ticket ORDER BY key") }
        #expect(ticketRows.map { $0["key"] as String } == (try expectedTickets.map { try $0["key"].string() }), "\(label): desk_ticket keys")
        for t in expectedTickets {
            let key = try t["key"].string()
            let holder = try author(t["holder"], authors)
            let statusBy = try author(t["status_by"], authors)
            let columns: [(String, DatabaseValue)] = [
                ("key", key.databaseValue), ("channel", try t["channel"].string().databaseValue),
                ("brand", try t["brand"].string().databaseValue), ("customer", try t["customer"].string().databaseValue),
                ("status", try t["status"].string().databaseValue), ("reopened", Int64(try t["reopened"].bool() ? 1 : 0).databaseValue),
                ("priority", try t["priority"].string().databaseValue), ("priority_rank", try t["priority_rank"].int().databaseValue),
                ("tier", try t["tier"].string().databaseValue), ("queue", dbText(try text(t["queue"]))),
                ("resolution", dbText(try text(t["resolution"]))), ("holder", dbAuthor(holder)),
                ("lease_ends_ms", dbInt(try ms(t["lease_ends_ms"]))), ("first_inbound_ms", dbInt(try ms(t["first_inbound_ms"]))),
                ("last_inbound_ms", dbInt(try ms(t["last_inbound_ms"]))), ("first_response_ms", dbInt(try ms(t["first_response_ms"]))),
                ("last_message_ms", dbInt(try ms(t["last_message_ms"]))), ("status_set_ms", dbInt(try ms(t["status_set_ms"]))),
                ("status_by", dbAuthor(statusBy)), ("messages", try t["messages"].int().databaseValue),
                ("lang", dbText(try text(t["lang"]))), ("sentiment", try t.optional("sentiment")?.int().databaseValue ?? .null),
            ]
            if let row = ticketRows.first(where: { $0["key"] as String == key }) {
                #expect(Set(row.columnNames) == Set(columns.map(\.0)), "\(label): desk_ticket columns")
                for (column, value) in columns {
                    #expect(row[column] as DatabaseValue == value, "\(label): desk_ticket \(key).\(column)")
                }
            }

            // The inbox row (public API), with the query-time due time and breaching flag.
            let inbox = try #require(try store.desk.ticketRow(key, sla: sla, now: now), "\(label): ticketRow(\(key))")
            #expect(inbox.status.rawValue == (try t["status"].string()), "\(label): \(key) status")
            #expect(inbox.reopened == (try t["reopened"].bool()), "\(label): \(key) reopened")
            #expect(inbox.priority.rawValue == (try t["priority"].string()), "\(label): \(key) priority")
            #expect(inbox.tier.rawValue == (try t["tier"].string()), "\(label): \(key) tier")
            #expect(inbox.queue == (try text(t["queue"])), "\(label): \(key) queue")
            #expect(inbox.resolution == (try text(t["resolution"])), "\(label): \(key) resolution")
            #expect(inbox.channel == (try t["channel"].string()), "\(label): \(key) channel")
            #expect(inbox.customer == (try t["customer"].string()), "\(label): \(key) customer")
            #expect(inbox.holder == holder?.text, "\(label): \(key) holder")
            #expect(inbox.firstInboundMillis == (try ms(t["first_inbound_ms"])), "\(label): \(key) first inbound")
            #expect(inbox.firstResponseMillis == (try ms(t["first_response_ms"])), "\(label): \(key) first response")
            #expect(inbox.messages == Int(try t["messages"].int()), "\(label): \(key) messages")
            #expect(inbox.dueMillis == (try ms(t["due_ms"])), "\(label): \(key) due")
            #expect(inbox.breaching == (try t["breaching"].bool()), "\(label): \(key) breaching")
            #expect(inbox.nextReplyDueMillis == (try ms(t["next_reply_due_ms"])), "\(label): \(key) next reply due")
            let handle = try store.state.entity(EntityRef("customer", inbox.customer))?.first { $0.name == "handle" }?.value.stringValue
            #expect(inbox.customerHandle == handle, "\(label): \(key) customer handle")
        }
        for key in try expect.optional("no_ticket_row")?.array() ?? [] {
            #expect(try store.desk.ticketRow(try key.string(), sla: sla, now: now) == nil, "\(label): no row for \(key)")
        }

        // desk_message, complete, in id order.
        let expectedMessages = try expect["desk_message"].array()
        let messageRows = try store.writer.read { db in try Row.fetchAll(db, sql: "SELECT * FROM desk_message ORDER BY id") }
        #expect(messageRows.map { $0["id"] as String } == (try expectedMessages.map { try $0["id"].string() }), "\(label): desk_message ids")
        for m in expectedMessages {
            let id = try m["id"].string()
            let columns: [(String, DatabaseValue)] = [
                ("id", id.databaseValue), ("ticket", try m["ticket"].string().databaseValue),
                ("direction", try m["direction"].string().databaseValue), ("author", try m["author"].string().databaseValue),
                ("created_ms", dbInt(try ms(m["created_ms"]))), ("dm", Int64(try m["dm"].bool() ? 1 : 0).databaseValue),
                ("signature", dbText(try text(m["signature"]))), ("lang", dbText(try text(m["lang"]))),
                ("sentiment", try m.optional("sentiment")?.int().databaseValue ?? .null),
            ]
            if let row = messageRows.first(where: { $0["id"] as String == id }) {
                #expect(Set(row.columnNames) == Set(columns.map(\.0)), "\(label): desk_message columns")
                for (column, value) in columns {
                    #expect(row[column] as DatabaseValue == value, "\(label): desk_message \(id).\(column)")
                }
            }
        }
        for id in try expect.optional("not_desk_messages")?.array() ?? [] {
            let key = try id.string()
            #expect(try store.state.entity(EntityRef("message", key)) != nil, "\(label): message/\(key) exists")
        }

        // Threads (public API): desk_message rows of the ticket by (created_ms, id), with text and outbox.
        let byID = Dictionary(uniqueKeysWithValues: try expectedMessages.map { (try $0["id"].string(), $0) })
        for thread in try expect["threads"].array() {
            let ticket = try thread["ticket"].string()
            let got = try store.desk.thread(ticket)
            let want = try thread["messages"].array()
            #expect(got.map(\.id) == (try want.map { try $0["id"].string() }), "\(label): thread \(ticket) order")
            for (message, w) in zip(got, want) {
                let row = try #require(byID[message.id], "\(label): \(message.id) in desk_message")
                #expect(message.direction.rawValue == (try row["direction"].string()), "\(label): \(message.id) direction")
                #expect(message.author == (try row["author"].string()), "\(label): \(message.id) author")
                #expect(message.createdMillis == (try row["created_ms"].u64()), "\(label): \(message.id) created")
                #expect(message.dm == (try row["dm"].bool()), "\(label): \(message.id) dm")
                #expect(message.signature == (try text(row["signature"])), "\(label): \(message.id) signature")
                #expect(message.text == (try w["text"].string()), "\(label): \(message.id) text")
                #expect(message.outbox?.rawValue == (try text(w["outbox"])), "\(label): \(message.id) outbox")
            }
        }

        // The report snapshot (public API): tickets by key, messages by (ticket, created_ms, id).
        let snapshot = try store.desk.deskSnapshot()
        #expect(snapshot.tickets.map(\.key) == (try expectedTickets.map { try $0["key"].string() }), "\(label): snapshot tickets")
        for (facts, t) in zip(snapshot.tickets, expectedTickets) {
            #expect(facts.status.rawValue == (try t["status"].string()), "\(label): snapshot \(facts.key) status")
            #expect(facts.priority.rawValue == (try t["priority"].string()), "\(label): snapshot \(facts.key) priority")
            #expect(facts.queue == (try text(t["queue"])), "\(label): snapshot \(facts.key) queue")
            #expect(facts.channel == (try t["channel"].string()), "\(label): snapshot \(facts.key) channel")
            #expect(facts.resolution == (try text(t["resolution"])), "\(label): snapshot \(facts.key) resolution")
            #expect(facts.holder == (try author(t["holder"], authors)), "\(label): snapshot \(facts.key) holder")
            #expect(facts.firstInboundMillis == (try ms(t["first_inbound_ms"])), "\(label): snapshot \(facts.key) first inbound")
            #expect(facts.firstResponseMillis == (try ms(t["first_response_ms"])), "\(label): snapshot \(facts.key) first response")
            #expect(facts.statusSetMillis == (try ms(t["status_set_ms"])), "\(label): snapshot \(facts.key) status set")
            #expect(facts.statusBy == (try author(t["status_by"], authors)), "\(label): snapshot \(facts.key) status by")
        }
        let snapshotOrder = try expectedMessages.sorted { x, y in
            let kx = (try x["ticket"].string(), try x["created_ms"].u64(), try x["id"].string())
            let ky = (try y["ticket"].string(), try y["created_ms"].u64(), try y["id"].string())
            if kx.0 != ky.0 { return Array(kx.0.utf8).lexicographicallyPrecedes(Array(ky.0.utf8)) }
            if kx.1 != ky.1 { return kx.1 < ky.1 }
            return Array(kx.2.utf8).lexicographicallyPrecedes(Array(ky.2.utf8))
        }.map { try $0["id"].string() }
        #expect(snapshot.messages.map(\.id) == snapshotOrder, "\(label): snapshot messages")

        // The store's own verify re-derives the desk tables and must agree with them.
        let report = try store.verify()
        #expect(report.isOK, "\(label): verify: \(report.problems)")
    }
}
