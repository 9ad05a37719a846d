import Foundation

/// A user the fake knows.
public struct FakeUser: Sendable, Hashable {
    public var id: String
    public var username: String
    public var name: String
    public var verified: Bool
    public var followers: Int

    public init(id: String, username: String, name: String, verified: Bool = false, followers: Int = 100) {
        self.id = id; self.username = username; self.name = name; self.verified = verified; self.followers = followers
    }
}

/// A tweet the fake holds (customers' tweets and the brand's posted replies alike).
public struct FakeTweet: Sendable, Hashable {
    public var id: String
    public var text: String
    public var authorID: String
    public var conversationID: String
    public var createdMillis: UInt64
    public var inReplyToUserID: String?
    public var repliedToID: String?
    public var lang: String
}

/// A DM event the fake holds.
public struct FakeDM: Sendable, Hashable {
    public var id: String
    public var text: String
    public var senderID: String
    public var conversationID: String
    public var createdMillis: UInt64
}

/// A failure the fake serves instead of the next matching request.
public enum FakeFault: Sendable, Hashable {
    /// 429 with `x-rate-limit-remaining: 0` and a reset this many seconds ahead.
    case rateLimit(resetInSeconds: Int64)
    /// 503 with a problem body.
    case unavailable
    /// A 200 whose body stops half way: the connection is cut mid-response.
    case cut
    /// The POST is carried out, then answered 503: the client cannot know it worked.
    case acceptThenUnavailable
}

/// Everything the fake X API holds; tests read and change it directly.
public actor FakeXState {
    /// The brand account.
    public let brand: FakeUser
    /// The token requests must carry as `Authorization: Bearer ...`.
    public let token: String
    /// Items per page the fake serves at most, whatever `max_results` asks (small, to force pagination).
    public var pageSize: Int
    public private(set) var users: [String: FakeUser] = [:]
    public private(set) var tweets: [FakeTweet] = []
    public private(set) var dms: [FakeDM] = []
    /// Tweets that can no longer be replied to.
    public var deletedTweets: Set<String> = []
    /// Users who blocked the brand.
    public var blockedBy: Set<String> = []
    /// Every request served, as `METHOD path`.
    public private(set) var requests: [String] = []
    /// Every POST that created something, as its text: tests count these.
    public private(set) var created: [String] = []
    private var faults: [(prefix: String, fault: FakeFault)] = []
    private var nextID: UInt64 = 1_860_000_000_000_000_000
    private var remaining = 450

    /// Creates the state of a brand account.
    public init(brand: FakeUser, token: String, pageSize: Int = 5) {
        self.brand = brand
        self.token = token
        self.pageSize = pageSize
        users[brand.id] = brand
    }

    // MARK: test and generator API

    /// Adds a user.
    public func add(_ user: FakeUser) { users[user.id] = user }

    /// The user with a username (any case), as `GET /2/users/by/username/:username` finds it.
    public func user(username: String) -> FakeUser? {
        users.values.first { $0.username.lowercased() == username.lowercased() }
    }

    private func newID() -> String {
        nextID += UInt64.random(in: 1_000...9_000)
        return String(nextID)
    }

    /// A customer tweets (a mention of the brand when the text has `@brand`); replying to `inReplyTo` joins
    /// its conversation. Returns the new tweet.
    @discardableResult
    public func tweet(from user: FakeUser, text: String, inReplyTo parentID: String? = nil,
                      at millis: UInt64? = nil) -> FakeTweet {
        users[user.id] = user
        let id = newID()
        let parent = parentID.flatMap { id in tweets.first { $0.id == id } }
        let tweet = FakeTweet(id: id, text: text, authorID: user.id, conversationID: parent?.conversationID ?? id,
                              createdMillis: millis ?? UInt64(Date().timeIntervalSince1970 * 1000), inReplyToUserID: parent?.authorID,
                              repliedToID: parent?.id, lang: "en")
        tweets.append(tweet)
        return tweet
    }

    /// A customer sends the brand a DM.
    @discardableResult
    public func directMessage(from user: FakeUser, text: String) -> FakeDM {
        users[user.id] = user
        let dm = FakeDM(id: newID(), text: text, senderID: user.id, conversationID: Self.dmConversation(user.id, brand.id),
                        createdMillis: UInt64(Date().timeIntervalSince1970 * 1000))
        dms.append(dm)
        return dm
    }

    /// Serves `fault` instead of the next request whose path starts with `prefix`.
    public func inject(_ fault: FakeFault, on prefix: String) { faults.append((prefix, fault)) }

    /// Faults not yet served.
    public var pendingFaults: Int { faults.count }

    /// The brand's own tweets (posted replies).
    public var brandTweets: [FakeTweet] { tweets.filter { $0.authorID == brand.id } }

    /// The brand's own DMs.
    public var brandDMs: [FakeDM] { dms.filter { $0.senderID == brand.id } }

    static func dmConversation(_ a: String, _ b: String) -> String {
        [a, b].sorted { $0.count != $1.count ? $0.count < $1.count : $0 < $1 }.joined(separator: "-")
    }

    // MARK: serving

    func log(_ line: String) { requests.append(line) }

    func takeFault(_ path: String) -> FakeFault? {
        guard let index = faults.firstIndex(where: { path.hasPrefix($0.prefix) }) else { return nil }
        return faults.remove(at: index).fault
    }

    func rateHeaders() -> (limit: Int, remaining: Int, reset: Int64) {
        remaining = max(0, remaining - 1)
        if remaining == 0 { remaining = 450 }
        return (450, remaining, Int64(Date().timeIntervalSince1970) + 900)
    }

    func mentions(sinceID: String?, token: String?) -> (tweets: [FakeTweet], next: String?) {
        let handle = "@" + brand.username.lowercased()
        let all = tweets.filter { $0.authorID != brand.id && $0.text.lowercased().contains(handle) }
            .filter { sinceID == nil || Self.less(sinceID!, $0.id) }
        return page(all, token: token)
    }

    func conversation(_ id: String, token: String?) -> (tweets: [FakeTweet], next: String?) {
        page(tweets.filter { $0.conversationID == id }, token: token)
    }

    func dmEvents(token: String?) -> (events: [FakeDM], next: String?) {
        let sorted = dms.sorted { Self.less($1.id, $0.id) }
        let (start, bound) = Self.cursor(token)
        let visible = sorted.filter { bound == nil || !Self.less(bound!, $0.id) }
        let slice = Array(visible.dropFirst(start).prefix(pageSize))
        let next = start + slice.count < visible.count ? "\(visible.first?.id ?? "0")_\(start + slice.count)" : nil
        return (slice, next)
    }

    /// Newest first, `pageSize` at a time; the token pins the newest id of the first page so new tweets do
    /// not shift later pages.
    private func page(_ list: [FakeTweet], token: String?) -> (tweets: [FakeTweet], next: String?) {
        let sorted = list.sorted { Self.less($1.id, $0.id) }
        let (start, bound) = Self.cursor(token)
        let visible = sorted.filter { bound == nil || !Self.less(bound!, $0.id) }
        let slice = Array(visible.dropFirst(start).prefix(pageSize))
        let next = start + slice.count < visible.count ? "\(visible.first?.id ?? "0")_\(start + slice.count)" : nil
        return (slice, next)
    }

    private static func cursor(_ token: String?) -> (Int, String?) {
        guard let token, let underscore = token.firstIndex(of: "_") else { return (0, nil) }
        return (Int(token[token.index(after: underscore)...]) ?? 0, String(token[..<underscore]))
    }

    static func less(_ a: String, _ b: String) -> Bool { a.count != b.count ? a.count < b.count : a < b }

    enum PostOutcome { case created(FakeTweet), refused(String) }

    /// Rewrites every `http(s)://` link to a `t.co` short link, as X does to posted tweets and DMs (the
    /// same URL always gets the same short link here, so duplicate content is still recognised).
    public static func shortenLinks(_ text: String) -> String {
        text.split(separator: " ", omittingEmptySubsequences: false).map { word -> String in
            guard word.hasPrefix("http://") || word.hasPrefix("https://") else { return String(word) }
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in word.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
            let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
            var code = ""
            for _ in 0..<10 { code.append(alphabet[Int(hash % 62)]); hash /= 62 }
            return "https://t.co/" + code
        }.joined(separator: " ")
    }

    func post(text original: String, inReplyTo: String?) -> PostOutcome {
        let text = Self.shortenLinks(original)
        if brandTweets.contains(where: { $0.text == text }) {
            return .refused("You are not allowed to create a Tweet with duplicate content.")
        }
        var parent: FakeTweet?
        if let inReplyTo {
            guard !deletedTweets.contains(inReplyTo), let found = tweets.first(where: { $0.id == inReplyTo }) else {
                return .refused("You attempted to reply to a Tweet that is deleted or not visible to you.")
            }
            if blockedBy.contains(found.authorID) { return .refused("You are not allowed to reply to this user.") }
            parent = found
        }
        let id = newID()
        let tweet = FakeTweet(id: id, text: text, authorID: brand.id, conversationID: parent?.conversationID ?? id,
                              createdMillis: UInt64(Date().timeIntervalSince1970 * 1000), inReplyToUserID: parent?.authorID,
                              repliedToID: parent?.id, lang: "en")
        tweets.append(tweet)
        created.append(text)
        return .created(tweet)
    }

    enum DMOutcome { case created(FakeDM), refused(String) }

    func sendDM(text original: String, to participant: String) -> DMOutcome {
        let text = Self.shortenLinks(original)
        guard users[participant] != nil else { return .refused("Could not find the participant.") }
        if blockedBy.contains(participant) { return .refused("You cannot send messages to this user.") }
        let dm = FakeDM(id: newID(), text: text, senderID: brand.id, conversationID: Self.dmConversation(participant, brand.id),
                        createdMillis: UInt64(Date().timeIntervalSince1970 * 1000))
        dms.append(dm)
        created.append(text)
        return .created(dm)
    }
}

extension FakeXState {
    /// Marks a tweet deleted: replies to it are refused.
    public func setDeleted(_ id: String) { deletedTweets.insert(id) }

    /// `GET /2/tweets?ids=`: the tweets that exist and the ids that do not (never posted or deleted).
    func lookup(_ ids: [String]) -> (found: [FakeTweet], missing: [String]) {
        var found: [FakeTweet] = [], missing: [String] = []
        for id in ids {
            if !deletedTweets.contains(id), let tweet = tweets.first(where: { $0.id == id }) { found.append(tweet) } else { missing.append(id) }
        }
        return (found, missing)
    }
    /// Marks the brand blocked by a user.
    public func setBlocked(by userID: String) { blockedBy.insert(userID) }
}
