public import Foundation
public import RoostCore
import RoostStore
public import RoostTwitter

extension DeskService {
    /// Ops per transaction during imports.
    static let importBatch = 500
    /// Messages whose stored message, ticket and customer are looked up in one read.
    public static let lookupChunk = 1_000

    /// Stores incoming messages idempotently (a message already stored is skipped), creating tickets and
    /// customers, and applying triage rules to each new customer message. Batched transactions.
    public func ingest(
        _ incoming: [IncomingMessage], rules: TriageRules, report: inout IngestReport,
        progress: ((_ done: Int, _ total: Int) -> Void)? = nil
    ) throws(DeskError) {
        var seenTickets = Set<String>(), seenCustomers = Set<String>()
        var pendingTicketValues: [String: [String: String]] = [:]
        // New tickets not yet committed, by customer: the history rule counts them too.
        var unflushedTickets: [String: [UInt64]] = [:]
        var bodies: [OpBody] = []
        var done = 0
        // Which messages, tickets and customers the store holds, looked up for a chunk of messages at once; with
        // the messages this import adds (a message id read twice is a duplicate, whichever batch it fell in).
        var stored = Set<EntityRef>()
        var added = Set<String>()
        for (index, message) in incoming.enumerated() {
            if index % Self.lookupChunk == 0 {
                let chunk = incoming[index..<min(index + Self.lookupChunk, incoming.count)]
                let refs = chunk.flatMap { message in
                    [EntityRef(Desk.message, message.id), EntityRef(Desk.ticket, message.ticketKey),
                     EntityRef(Desk.customer, message.customer)]
                }
                stored = try run { () throws(StoreError) in try store.state.existing(refs) }
            }
            done += 1
            if stored.contains(EntityRef(Desk.message, message.id)) || added.contains(message.id) {
                report.duplicates += 1
                continue
            }
            added.insert(message.id)
            let ticket = EntityRef(Desk.ticket, message.ticketKey)
            if !seenTickets.contains(message.ticketKey) {
                seenTickets.insert(message.ticketKey)
                if !stored.contains(ticket) {
                    bodies.append(.makeInsert(ticket, [
                        Field("channel", .string(message.channel.rawValue)), Field("conversation", .string(message.conversation)),
                        Field("customer", .string(message.customer)), Field("brand", .string(message.brand)),
                    ]))
                    report.tickets += 1
                    unflushedTickets[message.customer, default: []].append(message.createdMillis)
                }
            }
            if message.direction == .inbound, !seenCustomers.contains(message.customer) {
                seenCustomers.insert(message.customer)
                let customer = EntityRef(Desk.customer, message.customer)
                if !stored.contains(customer) {
                    bodies.append(.makeInsert(customer, [Field("handle", .string(message.customerHandle ?? message.customer))]))
                }
                if let name = message.customerName { bodies.append(.set(entity: customer, field: "name", value: .string(name))) }
                if let followers = message.followers {
                    bodies.append(.set(entity: customer, field: "followers", value: .int(Int64(followers))))
                }
                if let verified = message.verified { bodies.append(.set(entity: customer, field: "verified", value: .bool(verified))) }
            }
            var fields = [
                Field("ticket", .string(message.ticketKey)), Field("direction", .string(message.direction.rawValue)),
                Field("author", .string(message.author)), Field("text", .string(message.text)),
                Field("created_ms", .int(Int64(message.createdMillis))),
            ]
            if message.channel == .dm { fields.append(Field("dm", .bool(true))) }
            if let replyTo = message.replyTo { fields.append(Field("reply_to", .string(replyTo))) }
            if let signature = message.signature { fields.append(Field("signature", .string(signature))) }
            let language = TweetLanguage.of(text: message.text, xLang: message.xLang)
            if let language { fields.append(Field("lang", .string(language))) }
            // Sentiment of customer messages (the lexicon reads English: other languages are not scored).
            var sentiment: Int?
            if message.direction == .inbound, language == nil || language == "en" {
                sentiment = Int((TweetSentiment.score(message.text) * 100).rounded())
                fields.append(Field("sentiment", .int(Int64(sentiment!))))
            }
            bodies.append(.makeInsert(EntityRef(Desk.message, message.id), fields))
            report.messages += 1
            if message.direction == .inbound, !rules.rules.isEmpty || !rules.crisisKeywords.isEmpty {
                let outcome = try triage(message, language: language, sentiment: sentiment, rules: rules,
                                         unflushed: unflushedTickets[message.customer] ?? [])
                var pending = pendingTicketValues[message.ticketKey] ?? [:]
                for (field, value) in [("priority", outcome.priority?.rawValue), ("tier", outcome.tier?.rawValue),
                                       ("queue", outcome.queue)] {
                    guard let value, pending[field] != value else { continue }
                    let current = try run { () throws(StoreError) in try store.state.register(ticket, field) }?.stringValue
                    if current != value || pending[field] != nil {
                        bodies.append(.set(entity: ticket, field: field, value: .string(value)))
                        pending[field] = value
                    }
                }
                pendingTicketValues[message.ticketKey] = pending
                let present = Set(try run { () throws(StoreError) in try store.state.tags(of: ticket) })
                for tag in outcome.tags.sorted() where !present.contains(tag) && pending["tag:" + tag] == nil {
                    bodies.append(.tagAdd(entity: ticket, tag: tag))
                    pending["tag:" + tag] = "1"
                }
                pendingTicketValues[message.ticketKey] = pending
                if outcome.crisis && pending["crisis"] == nil {
                    report.crises += 1
                    pendingTicketValues[message.ticketKey, default: [:]]["crisis"] = "1"
                }
            }
            if bodies.count >= Self.importBatch {
                try append(bodies)
                bodies.removeAll(keepingCapacity: true)
                pendingTicketValues.removeAll()
                unflushedTickets.removeAll()
                progress?(done, incoming.count)
            }
        }
        if !bodies.isEmpty { try append(bodies) }
        progress?(done, incoming.count)
    }

    func triage(_ message: IncomingMessage, language: String?, sentiment: Int?, rules: TriageRules,
                unflushed: [UInt64]) throws(DeskError) -> TriageOutcome {
        let week: UInt64 = 7 * 24 * 3_600_000
        let customer = EntityRef(Desk.customer, message.customer)
        let vip = try run { () throws(StoreError) in try store.state.register(customer, "vip") } == .bool(true)
        let since = message.createdMillis > week ? message.createdMillis - week : 0
        let history = try run { () throws(StoreError) in
            try store.desk.customerTicketCount(message.customer, since: since, until: message.createdMillis + 1)
        } + unflushed.filter { $0 >= since && $0 <= message.createdMillis }.count
        var counts: [String: Int] = [:]
        if let spike = rules.spike {
            let window = UInt64(spike.minutes) * 60_000
            counts[spike.tag] = try run { () throws(StoreError) in
                try store.desk.taggedTicketCount(spike.tag, since: message.createdMillis > window ? message.createdMillis - window : 0,
                                            until: message.createdMillis + 1)
            }
        }
        return rules.evaluate(TriageInput(
            text: message.text, destinations: message.mentions.union([message.brand.lowercased()]), vip: vip,
            verified: message.verified ?? false, followers: message.followers ?? 0, ticketsThisWeek: history,
            recentTagCounts: counts, language: language,
            sentiment: sentiment.map { TweetSentiment.label(score: Double($0) / 100) }))
    }

    /// Handles mentioned in a text, lower-case, without `@`.
    static func mentions(in text: String) -> Set<String> {
        var result = Set<String>()
        var current: String? = nil
        for character in text + " " {
            if character == "@" {
                current = ""
            } else if var handle = current {
                if character.isLetter || character.isNumber || character == "_" {
                    handle.append(character)
                    current = handle
                } else {
                    if !handle.isEmpty { result.insert(handle.lowercased()) }
                    current = nil
                }
            }
        }
        return result
    }
}
