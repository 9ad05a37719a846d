import Foundation
public import Logging
public import RoostCore
import RoostStore
public import RoostTwitter

/// The gateway of one brand handle: polls X for mentions and DMs and ingests them, and drains the outbox
/// by posting replies exactly once. Only acts while this node is the handle's assigned gateway.
public struct XGateway: Sendable {
    /// The desk of this node.
    public let desk: DeskService
    /// The handle's X user id.
    public let userID: String
    /// The API client of the handle.
    public let client: XAPIClient
    /// Triage rules applied to new messages.
    public let rules: TriageRules
    /// Limits.
    public let limits: GatewayLimits
    /// Crash points for tests.
    public let hooks: GatewayHooks
    let logger: Logger

    /// Creates the gateway of the handle `userID`.
    public init(desk: DeskService, userID: String, client: XAPIClient, rules: TriageRules = .empty,
                limits: GatewayLimits = .standard, hooks: GatewayHooks = .none, logger: Logger = Logger(label: "roost.gateway")) {
        self.desk = desk
        self.userID = userID
        self.client = client
        self.rules = rules
        self.limits = limits
        self.hooks = hooks
        self.logger = logger
    }

    var store: OpStore { desk.node.store }

    func d<T>(_ work: () throws(DeskError) -> T) throws(GatewayError) -> T {
        do { return try work() } catch { throw .desk(error) }
    }

    func x<T: Sendable>(_ work: () async throws(XAPIError) -> T) async throws(GatewayError) -> T {
        do { return try await work() } catch { throw .api(error) }
    }

    /// The handle as the ops say now, refused when this node is not its gateway.
    public func currentHandle() throws(GatewayError) -> GatewayHandle {
        let handle = try d { () throws(DeskError) in try desk.gatewayHandle(userID) }
        guard try d({ () throws(DeskError) in try desk.servesAsGateway(handle) }) else {
            throw .notAssigned(handle: handle.username)
        }
        return handle
    }

    /// What one poll did.
    public struct PollReport: Sendable, Equatable, Codable {
        public var mentions = 0
        public var threadLookups = 0
        public var dms = 0
        public var ingested = IngestReport()
        public var mentionsCursor: String?
        public var dmsCursor: String?

        /// An empty report.
        public init() {}
    }

    /// Reads every mention and DM newer than the cursors, fetches the thread of a reply whose conversation
    /// is new to the desk, ingests it all (idempotently: message ids are X ids), then moves the cursors.
    /// A failure anywhere leaves the cursors where they were, so the next poll reads the same items again
    /// and nothing is skipped.
    public func poll() async throws(GatewayError) -> PollReport {
        let handle = try currentHandle()
        var report = PollReport()
        let mentions = try await x { () async throws(XAPIError) in try await client.mentions(sinceID: handle.mentionsCursor) }
        report.mentions = mentions.count
        var items: [XItem] = []
        var seen = Set<String>()
        for tweet in mentions {
            if try !isOwnPost(tweet.id), seen.insert(tweet.id).inserted { items.append(.tweet(tweet)) }
        }

        // Replies whose conversation the desk has never seen and whose root is not in this batch: read the thread.
        var lookups: [String] = []
        for tweet in mentions where tweet.conversationID != tweet.id && !seen.contains(tweet.conversationID) {
            guard !lookups.contains(tweet.conversationID), lookups.count < limits.maxRootLookupsPerPoll else { continue }
            let ticket = EntityRef(Desk.ticket, Desk.publicTicketKey(rootTweetID: tweet.conversationID))
            if try d({ () throws(DeskError) in try desk.run { () throws(StoreError) in try store.state.exists(ticket) } }) { continue }
            lookups.append(tweet.conversationID)
        }
        for conversation in lookups {
            let thread = try await x { () async throws(XAPIError) in try await client.conversation(conversation) }
            for tweet in thread {
                if try !isOwnPost(tweet.id), seen.insert(tweet.id).inserted { items.append(.tweet(tweet)) }
            }
        }
        report.threadLookups = lookups.count

        let listing = try await x { () async throws(XAPIError) in try await client.directMessageListing(after: handle.dmsCursor) }
        let dms = listing.messages
        report.dms = dms.count
        for message in dms {
            if try !isOwnPost("dm" + message.id) { items.append(.dm(message)) }
        }

        var ingest = IngestReport()
        try d { () throws(DeskError) in
            try desk.ingestX(items, brandHandles: [handle.username], brandIDs: [handle.userID], rules: rules, report: &ingest,
                             profiles: listing.users)
        }
        report.ingested = ingest

        // Cursors move only after the items are committed.
        var bodies: [OpBody] = []
        let newMentions = mentions.reduce(handle.mentionsCursor) { XIDs.max($0, $1.id) }
        if newMentions != handle.mentionsCursor, let newMentions {
            bodies.append(.set(entity: handle.entity, field: Gateway.mentionsCursor, value: .string(newMentions)))
        }
        let newDMs = dms.reduce(handle.dmsCursor) { XIDs.max($0, $1.id) }
        if newDMs != handle.dmsCursor, let newDMs {
            bodies.append(.set(entity: handle.entity, field: Gateway.dmsCursor, value: .string(newDMs)))
        }
        if !bodies.isEmpty { try d { () throws(DeskError) in try desk.append(bodies) } }
        report.mentionsCursor = newMentions
        report.dmsCursor = newDMs
        logger.debug("polled", metadata: ["handle": "\(handle.username)", "mentions": "\(mentions.count)", "dms": "\(dms.count)",
                                          "messages": "\(ingest.messages)", "tickets": "\(ingest.tickets)"])
        return report
    }

    /// Whether an X id (a tweet id, or `dm` + a DM event id) is one of our own posted replies.
    func isOwnPost(_ id: String) throws(GatewayError) -> Bool {
        try d { () throws(DeskError) in try desk.run { () throws(StoreError) in try store.state.exists(EntityRef(Gateway.xpost, id)) } }
    }
}
