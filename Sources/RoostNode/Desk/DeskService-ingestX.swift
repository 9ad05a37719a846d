public import Foundation
public import RoostCore
import RoostStore
public import RoostTwitter

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
                    id: tweet.id, ticketKey: Desk.publicTicketKey(rootTweetID: tweet.conversationID), channel: .public,
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
                    id: "dm" + message.id, ticketKey: Desk.dmTicketKey(conversationID: message.conversationID), channel: .dm,
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
