public import Foundation
public import RoostCore
import RoostStore
public import RoostTwitter

/// What an import or ingest did.
public struct IngestReport: Sendable, Codable, Equatable {
    /// Records read.
    public var read = 0
    /// Messages newly stored.
    public var messages = 0
    /// Tickets newly created.
    public var tickets = 0
    /// Records skipped because their message was already stored (re-import).
    public var duplicates = 0
    /// Records skipped by the brand filter.
    public var filtered = 0
    /// Records skipped as not help-desk traffic (e.g. DM events other than messages).
    public var skipped = 0
    /// Malformed records, as `file:line: reason`.
    public var errors: [String] = []
    /// Tickets flagged as a crisis by the rules.
    public var crises = 0

    /// An empty report.
    public init() {}
}

/// An incoming message in channel-neutral form, ready to become ops.
public struct IncomingMessage: Sendable, Hashable {
    public var id: String
    public var ticketKey: String
    public var channel: String  // "public" or "dm"
    public var conversation: String
    public var direction: MessageDirection
    public var author: String
    public var customer: String
    public var customerHandle: String?
    public var customerName: String?
    public var followers: Int?
    public var verified: Bool?
    public var brand: String
    public var text: String
    public var createdMillis: UInt64
    public var replyTo: String?
    public var signature: String?
    public var mentions: Set<String>
    /// X's `lang` for the tweet, when X sent one (the message's language is this, normalized, else detected).
    public var xLang: String?

    /// Creates a message.
    public init(
        id: String, ticketKey: String, channel: String, conversation: String, direction: MessageDirection, author: String,
        customer: String, customerHandle: String?, customerName: String?, followers: Int?, verified: Bool?, brand: String,
        text: String, createdMillis: UInt64, replyTo: String?, signature: String?, mentions: Set<String>, xLang: String? = nil
    ) {
        self.id = id; self.ticketKey = ticketKey; self.channel = channel; self.conversation = conversation
        self.direction = direction; self.author = author; self.customer = customer; self.customerHandle = customerHandle
        self.customerName = customerName; self.followers = followers; self.verified = verified; self.brand = brand
        self.text = text; self.createdMillis = createdMillis; self.replyTo = replyTo; self.signature = signature
        self.mentions = mentions; self.xLang = xLang
    }
}

extension DeskService {
    /// Ops per transaction during imports.
    static let importBatch = 500

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
        for message in incoming {
            done += 1
            if try run({ () throws(StoreError) in try store.exists(EntityRef(Desk.message, message.id)) }) {
                report.duplicates += 1
                continue
            }
            let ticket = EntityRef(Desk.ticket, message.ticketKey)
            if !seenTickets.contains(message.ticketKey) {
                seenTickets.insert(message.ticketKey)
                if !(try run { () throws(StoreError) in try store.exists(ticket) }) {
                    bodies.append(.makeInsert(ticket, [
                        Field("channel", .string(message.channel)), Field("conversation", .string(message.conversation)),
                        Field("customer", .string(message.customer)), Field("brand", .string(message.brand)),
                    ]))
                    report.tickets += 1
                    unflushedTickets[message.customer, default: []].append(message.createdMillis)
                }
            }
            if message.direction == .inbound, !seenCustomers.contains(message.customer) {
                seenCustomers.insert(message.customer)
                let customer = EntityRef(Desk.customer, message.customer)
                if !(try run { () throws(StoreError) in try store.exists(customer) }) {
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
            if message.channel == "dm" { fields.append(Field("dm", .bool(true))) }
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
                    let current = try run { () throws(StoreError) in try store.register(ticket, field) }?.stringValue
                    if current != value || pending[field] != nil {
                        bodies.append(.set(entity: ticket, field: field, value: .string(value)))
                        pending[field] = value
                    }
                }
                pendingTicketValues[message.ticketKey] = pending
                let present = Set(try run { () throws(StoreError) in try store.tags(of: ticket) })
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
        let vip = try run { () throws(StoreError) in try store.register(customer, "vip") } == .bool(true)
        let since = message.createdMillis > week ? message.createdMillis - week : 0
        let history = try run { () throws(StoreError) in
            try store.customerTicketCount(message.customer, since: since, until: message.createdMillis + 1)
        } + unflushed.filter { $0 >= since && $0 <= message.createdMillis }.count
        var counts: [String: Int] = [:]
        if let spike = rules.spike {
            let window = UInt64(spike.minutes) * 60_000
            counts[spike.tag] = try run { () throws(StoreError) in
                try store.taggedTicketCount(spike.tag, since: message.createdMillis > window ? message.createdMillis - window : 0,
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

    /// Imports the public TWCS CSV: threads from `in_response_to_tweet_id`, company tweets as outbound
    /// replies signed with the initials found in the text. Two passes: the first reads and threads every
    /// record (with `strict`, the first malformed record stops the import before anything is written).
    public func importTWCS(
        url: URL, brandHandles: Set<String>, rules: TriageRules, strict: Bool,
        progress: ((_ done: Int, _ total: Int) -> Void)? = nil
    ) throws(DeskError) -> IngestReport {
        var report = IngestReport()
        var records: [TWCSRecord] = []
        do {
            var reader = try TWCSReader(contentsOf: url)
            while let next = reader.next() {
                switch next {
                case let .success(record): records.append(record)
                case let .failure(error):
                    report.errors.append("\(url.path):\(error)")
                    if strict { throw DeskError.badImport("\(url.path):\(error) (--strict: nothing imported)") }
                }
            }
        } catch let error as DeskError {
            throw error
        } catch {
            throw .badImport("\(url.path): \(error)")
        }
        report.read = records.count + report.errors.count
        let roots = Threading.roots(of: records)
        // Per thread: its customer (earliest customer tweet) and brand (earliest company tweet, else the
        // first handle the customer mentioned).
        var customerOf: [String: (UInt64, String)] = [:], brandOf: [String: (UInt64, String)] = [:]
        var mentionOf: [String: (UInt64, String)] = [:]
        for record in records {
            let root = roots[record.tweetID] ?? record.tweetID
            if record.inbound {
                if customerOf[root].map({ record.createdAtMillis < $0.0 }) ?? true {
                    customerOf[root] = (record.createdAtMillis, record.authorID)
                    if let first = Self.firstMention(record.text) { mentionOf[root] = (record.createdAtMillis, first) }
                }
            } else if brandOf[root].map({ record.createdAtMillis < $0.0 }) ?? true {
                brandOf[root] = (record.createdAtMillis, record.authorID)
            }
        }
        let wanted = Set(brandHandles.map { $0.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "@")) })
        var incoming: [IncomingMessage] = []
        for record in records.sorted(by: { ($0.createdAtMillis, $0.line) < ($1.createdAtMillis, $1.line) }) {
            let root = roots[record.tweetID] ?? record.tweetID
            let brand = brandOf[root]?.1 ?? mentionOf[root]?.1 ?? ""
            if !wanted.isEmpty && !wanted.contains(brand.lowercased()) {
                report.filtered += 1
                continue
            }
            let customer = customerOf[root]?.1 ?? (record.inbound ? record.authorID : "unknown")
            incoming.append(IncomingMessage(
                id: record.tweetID, ticketKey: Desk.publicTicketKey(rootTweetID: root), channel: "public", conversation: root,
                direction: record.inbound ? .inbound : .outbound, author: record.authorID, customer: customer,
                customerHandle: nil, customerName: nil, followers: nil, verified: nil, brand: brand, text: record.text,
                createdMillis: record.createdAtMillis, replyTo: record.inResponseToTweetID,
                signature: record.inbound ? nil : SignatureParser.initials(in: record.text),
                mentions: Self.mentions(in: record.text)))
        }
        try ingest(incoming, rules: rules, report: &report, progress: progress)
        return report
    }

    static func firstMention(_ text: String) -> String? {
        guard let at = text.firstIndex(of: "@") else { return nil }
        let handle = text[text.index(after: at)...].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
        return handle.isEmpty ? nil : String(handle)
    }
}

extension DeskService {
    /// Ingests X API v2 items (tweets from mentions or searches, DM `MessageCreate` events).
    ///
    /// A tweet by one of `brandHandles` (or `brandIDs`) is an outbound reply, anything else inbound;
    /// public threads are keyed by `conversation_id`, DMs by `dm_conversation_id`. The customer's public
    /// thread and DM conversation are linked through the customer id on both tickets.
    /// `profiles` adds users the items do not carry (DM senders from `includes.users`).
    public func ingestX(
        _ items: [XItem], brandHandles: Set<String>, brandIDs: Set<String>, rules: TriageRules,
        report: inout IngestReport, profiles: [String: XUser] = [:],
        progress: ((_ done: Int, _ total: Int) -> Void)? = nil
    ) throws(DeskError) {
        let brands = Set(brandHandles.map { $0.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "@")) })
        var users: [String: XUser] = profiles
        for case let .tweet(tweet) in items { if let author = tweet.author { users[author.id] = author } }
        let brandIDSet = brandIDs.union(users.values.filter { brands.contains($0.username.lowercased()) }.map(\.id))
        let defaultBrand = brands.sorted().first ?? ""
        var incoming: [IncomingMessage] = []
        for item in items {
            switch item {
            case let .tweet(tweet):
                let outbound = brandIDSet.contains(tweet.authorID)
                let mentions = Self.mentions(in: tweet.text)
                let customer = outbound ? (tweet.inReplyToUserID ?? "unknown") : tweet.authorID
                let profile = users[customer]
                let brand = outbound
                    ? (tweet.author?.username ?? defaultBrand)
                    : (mentions.sorted().first { brands.contains($0) } ?? defaultBrand)
                incoming.append(IncomingMessage(
                    id: tweet.id, ticketKey: Desk.publicTicketKey(rootTweetID: tweet.conversationID), channel: "public",
                    conversation: tweet.conversationID, direction: outbound ? .outbound : .inbound,
                    author: outbound ? (tweet.author?.username ?? tweet.authorID) : tweet.authorID, customer: customer,
                    customerHandle: profile?.username, customerName: profile?.name, followers: profile?.followers,
                    verified: profile?.verified, brand: brand, text: tweet.text, createdMillis: tweet.createdAtMillis,
                    replyTo: tweet.repliedToTweetID, signature: outbound ? SignatureParser.initials(in: tweet.text) : nil,
                    mentions: mentions, xLang: tweet.lang))
            case let .dm(message):
                let outbound = brandIDSet.contains(message.senderID)
                // A one-to-one conversation id is "<user>-<user>": the customer is the participant who is not the brand.
                let participants = message.conversationID.split(separator: "-").map(String.init)
                let customer = outbound ? (participants.first { !brandIDSet.contains($0) } ?? "unknown") : message.senderID
                let profile = users[customer]
                incoming.append(IncomingMessage(
                    id: "dm" + message.id, ticketKey: Desk.dmTicketKey(conversationID: message.conversationID), channel: "dm",
                    conversation: message.conversationID, direction: outbound ? .outbound : .inbound,
                    author: outbound ? (users[message.senderID]?.username ?? message.senderID) : message.senderID,
                    customer: customer, customerHandle: profile?.username, customerName: profile?.name,
                    followers: profile?.followers, verified: profile?.verified, brand: defaultBrand, text: message.text,
                    createdMillis: message.createdAtMillis, replyTo: nil,
                    signature: outbound ? SignatureParser.initials(in: message.text) : nil, mentions: []))
            }
        }
        incoming.sort { ($0.createdMillis, $0.id) < ($1.createdMillis, $1.id) }
        report.read += items.count
        try ingest(incoming, rules: rules, report: &report, progress: progress)
    }
}
