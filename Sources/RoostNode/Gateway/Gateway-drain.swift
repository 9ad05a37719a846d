import Foundation
public import RoostCore
import RoostStore
public import RoostTwitter

extension XGateway {
    /// What one drain did.
    public struct DrainReport: Sendable, Equatable, Codable {
        /// Replies posted now.
        public var posted = 0
        /// Replies found already on X after an interrupted post, and marked posted without posting again.
        public var recovered = 0
        /// Replies held by the send-time guard.
        public var held = 0
        /// Replies kept queued because their author does not hold the ticket's claim now.
        public var waiting = 0
        /// Replies X refused.
        public var failed = 0
        /// Replies left for a later drain (X unavailable, outcome unknown, or an interrupted post too recent to
        /// look for on X yet).
        public var deferred = 0

        /// An empty report.
        public init() {}
    }

    /// Posts the handle's queued replies, exactly once each.
    ///
    /// For each reply (oldest first): a `posting` reply is first looked for on X (a crash or an unknown
    /// outcome interrupted it) and marked `posted` when found. Then it is posted only if this node is still
    /// the handle's gateway, the reply's author still holds the ticket's claim, and no other outbound reply
    /// reached the conversation after the draft was written (unless the agent chose send-anyway). `posting`
    /// is committed before the POST and `posted` + the X id after it.
    public func drain() async throws(GatewayError) -> DrainReport {
        var report = DrainReport()
        let handle = try currentHandle()
        let tenure = try d { () throws(DeskError) in try desk.failoverEnabled(handle) ? try desk.gatewayLease(handle) : nil }
        let rows = try d { () throws(DeskError) in
            try desk.run { () throws(StoreError) in try store.outbox.rows(states: [.queued, .posting]) }
        }.filter { $0.brand.lowercased() == handle.username.lowercased() }
        for row in rows {
            _ = try currentHandle()  // the role may have moved while we were posting
            do {
                try await drainOne(row, handle: handle, tenure: tenure, report: &report)
            } catch let error {
                guard case .api = error else { throw error }
                // X is unavailable or the outcome is unknown: keep the reply for the next drain, in order.
                report.deferred += 1
                logger.warning("outbox drain stopped", metadata: ["handle": "\(handle.username)", "message": "\(row.id)",
                                                                  "error": "\(error)"])
                return report
            }
        }
        return report
    }

    private func drainOne(_ row: OutboxRow, handle: GatewayHandle, tenure: GatewayLeaseView?,
                          report: inout DrainReport) async throws(GatewayError) {
        let message = EntityRef(Desk.message, row.id)
        if let tenure, row.state == .queued, row.createdMillis < tenure.sinceMillis, try reconcileNeeded(row, epoch: tenure.epoch) {
            // A new tenure (failover): a former gateway may have posted this reply and died before its `posting`
            // reached this node. Look on X first; only a reply not found there is posted (SPEC.md §1b.14).
            if let found = try await findOnX(row, handle: handle) {
                try markPosted(row, xID: found)
                report.recovered += 1
                logger.notice("reply found on X after a gateway takeover; not posting again", metadata: ["message": "\(row.id)"])
                return
            }
            try d { () throws(DeskError) in
                try desk.append([.set(entity: message, field: Gateway.checkedEpoch, value: .int(tenure.epoch))])
            }
        }
        if row.state == .posting {
            // X's search can take a few seconds to show a new tweet: look only once the attempt is old enough.
            if let attempt = row.attemptMillis, desk.now < attempt + limits.recoveryDelayMillis {
                report.deferred += 1
                return
            }
            if let found = try await findOnX(row, handle: handle) {
                try markPosted(row, xID: found)
                report.recovered += 1
                logger.notice("reply found on X after an interrupted post; not posting again", metadata: ["message": "\(row.id)"])
                return
            }
            // Not on X: the attempt never reached it. Queued again, so a reply waiting for its claim does not
            // search X on every drain.
            try d { () throws(DeskError) in
                try desk.append([.set(entity: message, field: Gateway.outbox, value: .string(OutboxState.queued.rawValue))])
            }
        }
        if let waiting = try claimWait(row) {
            // Not posted while the author does not hold the claim; kept queued so it goes (through the guard
            // below) once they hold it again. The reason is written once, not on every drain.
            if row.reason != waiting {
                try d { () throws(DeskError) in try desk.append([.set(entity: message, field: Gateway.reason, value: .string(waiting))]) }
            }
            report.waiting += 1
            return
        }
        if let reason = try heldBy(row) {
            try d { () throws(DeskError) in
                try desk.append([.set(entity: message, field: Gateway.outbox, value: .string(OutboxState.held.rawValue)),
                                 .set(entity: message, field: Gateway.reason, value: .string(reason))])
            }
            report.held += 1
            return
        }
        try d { () throws(DeskError) in
            var bodies: [OpBody] = [.set(entity: message, field: Gateway.outbox, value: .string(OutboxState.posting.rawValue)),
                                    .set(entity: message, field: Gateway.attemptMillis, value: .int(Int64(desk.now)))]
            if let tenure { bodies.append(.set(entity: message, field: Gateway.attemptEpoch, value: .int(tenure.epoch))) }
            try desk.append(bodies)
        }
        // Fencing: the lease is checked again right before the call, so a gateway that lost it (or slept past its
        // end) does not post.
        if tenure != nil { _ = try currentHandle() }
        do { try hooks.afterPostingCommitted(row.id) } catch { throw .crashed("after posting was committed") }
        let posted: XPosted
        do {
            posted = row.dm
                ? try await client.sendDirectMessage(row.text, to: row.dmRecipient)
                : try await client.postTweet(row.text, inReplyTo: row.replyTo ?? (row.conversation.isEmpty ? nil : row.conversation))
        } catch let error where error.isRejection {
            let detail: String
            if case let .rejected(_, status, text) = error { detail = "X refused (\(status)): " + (text ?? "no reason given") } else {
                detail = error.description
            }
            try d { () throws(DeskError) in
                try desk.append([.set(entity: message, field: Gateway.outbox, value: .string(OutboxState.failed.rawValue)),
                                 .set(entity: message, field: Gateway.reason, value: .string(detail))])
            }
            report.failed += 1
            return
        } catch {
            if case .uncertain = error {
                try d { () throws(DeskError) in
                    try desk.append([.set(entity: message, field: Gateway.reason,
                                          value: .string("outcome unknown; X will be checked before any retry"))])
                }
            }
            throw .api(error)
        }
        do { try hooks.afterPost(row.id) } catch { throw .crashed("after X accepted the post") }
        try markPosted(row, xID: row.dm ? "dm" + posted.id : posted.id)
        report.posted += 1
    }

    /// Whether a queued reply still needs a look on X in this tenure: not yet checked in epoch `epoch`.
    func reconcileNeeded(_ row: OutboxRow, epoch: Int64) throws(GatewayError) -> Bool {
        let checked = try d { () throws(DeskError) in
            try desk.run { () throws(StoreError) in try store.state.register(EntityRef(Desk.message, row.id), Gateway.checkedEpoch) }
        }
        return checked?.intValue != epoch
    }

    /// Records a reply as posted as `xID` (a tweet id, or `dm` + a DM event id), in one transaction.
    func markPosted(_ row: OutboxRow, xID: String) throws(GatewayError) {
        let message = EntityRef(Desk.message, row.id)
        try d { () throws(DeskError) in
            try desk.append([
                .set(entity: message, field: Gateway.outbox, value: .string(OutboxState.posted.rawValue)),
                .set(entity: message, field: Gateway.xID, value: .string(xID)),
                .set(entity: message, field: Gateway.postedMillis, value: .int(Int64(desk.now))),
                .makeInsert(EntityRef(Gateway.xpost, xID), [Field("message", .string(row.id))]),
            ])
        }
    }

    /// Looks on X for a reply a previous attempt may have posted: a tweet of the brand in the conversation,
    /// or a DM of the brand in the customer's DM conversation, made no earlier than the recovery window
    /// before the draft, whose text is the reply's with links compared as links (X rewrites them to t.co,
    /// ``TweetMatch``), and that no other message was recorded as.
    func findOnX(_ row: OutboxRow, handle: GatewayHandle) async throws(GatewayError) -> String? {
        let notBefore = row.createdMillis > limits.dmRecoveryWindowMillis ? row.createdMillis - limits.dmRecoveryWindowMillis : 0
        if row.dm {
            let messages = try await x { () async throws(XAPIError) in
                try await client.directMessages(after: nil, notBeforeMillis: notBefore)
            }
            for message in messages where message.senderID == handle.userID && message.createdAtMillis >= notBefore
                && TweetMatch.sameText(row.text, message.text)
                && message.conversationID.split(separator: "-").contains(Substring(row.dmRecipient)) {
                if try !isOwnPost("dm" + message.id) { return "dm" + message.id }
            }
            return nil
        }
        guard !row.conversation.isEmpty else { return nil }
        let tweets = try await x { () async throws(XAPIError) in try await client.conversation(row.conversation) }
        for tweet in tweets where tweet.authorID == handle.userID && tweet.createdAtMillis >= notBefore
            && TweetMatch.sameText(row.text, tweet.text) {
            if try !isOwnPost(tweet.id) { return tweet.id }
        }
        return nil
    }

    /// Why a reply must wait for its author to hold the ticket's claim again, or nil when they hold it.
    func claimWait(_ row: OutboxRow) throws(GatewayError) -> String? {
        let claim = try d { () throws(DeskError) in
            try desk.run { () throws(StoreError) in try store.state.claim(on: EntityRef(Desk.ticket, row.ticket)) }
        }
        let author = try? AuthorID(text: row.author)
        if let claim, let author, claim.holder == author, desk.now < claim.leaseEndsMillis { return nil }
        let authorName = try author.map { id throws(GatewayError) in try d { () throws(DeskError) in try desk.memberName(id) } } ?? row.author
        let holder = try claim?.holder.map { id throws(GatewayError) in try d { () throws(DeskError) in try desk.memberName(id) } }
        return "waiting: \(authorName) does not hold the claim on \(row.ticket)"
            + (holder.map { $0 == authorName ? " (lease expired)" : " (\($0) does)" } ?? "")
    }

    /// The send-time guard ("Traffic Cop"): unless the agent chose send-anyway, why the reply is held because
    /// another outbound reply reached the conversation after the draft was written, or nil.
    func heldBy(_ row: OutboxRow) throws(GatewayError) -> String? {
        guard !row.override else { return nil }
        let now = desk.now
        let thread = try d { () throws(DeskError) in try desk.run { () throws(StoreError) in try store.desk.thread(row.ticket) } }
        var latest: (millis: UInt64, who: String)?
        for other in thread where other.direction == .outbound && other.id != row.id {
            let reached: UInt64
            if other.outbox == nil {
                reached = other.createdMillis  // a brand reply ingested from X
            } else if other.outbox == .posted {
                let posted = try d { () throws(DeskError) in
                    try desk.run { () throws(StoreError) in try store.state.register(EntityRef(Desk.message, other.id), Gateway.postedMillis) }
                }
                reached = posted?.intValue.map { UInt64(max(0, $0)) } ?? other.createdMillis
            } else {
                continue
            }
            guard reached > row.createdMillis, reached > (latest?.millis ?? 0) else { continue }
            let who: String
            if let id = try? AuthorID(text: other.author) {
                who = try d { () throws(DeskError) in try desk.memberName(id) }
            } else {
                who = other.signature.map { "^" + $0 } ?? "@" + other.author
            }
            latest = (reached, who)
        }
        guard let latest else { return nil }
        let minutes = now > latest.millis ? (now - latest.millis) / 60_000 : 0
        return "\(latest.who) replied \(minutes) min ago; your draft is held"
    }
}

extension OutboxRow {
    /// Who a DM reply goes to: the addressee the draft names (`to`), else the ticket's customer.
    var dmRecipient: String { to.flatMap { $0.isEmpty ? nil : $0 } ?? customer }
}
