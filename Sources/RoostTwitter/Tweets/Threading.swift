/// One tweet and the tweet it replies to, if any.
public struct ThreadLink: Sendable, Hashable {
    /// The tweet.
    public var id: String
    /// The tweet it replies to (nil for none).
    public var inResponseTo: String?

    /// Creates a link.
    public init(id: String, inResponseTo: String?) {
        self.id = id
        self.inResponseTo = inResponseTo
    }
}

/// Groups tweets into threads: tweet id → id of the thread's root tweet.
///
/// The root of a tweet is found by following its in-reply-to link while the parent is in the input;
/// a tweet with no parent, or whose parent is not in the input, is a root. Every input id lands in
/// exactly one thread, and the result does not depend on input order.
///
/// Walks are iterative (no recursion, whatever the chain length) and each tweet is walked once.
/// A cycle of links (bad data: A replies to B, B replies to A) has no natural root; its root is the
/// smallest id in the cycle, ids compared as decimal numbers (shorter first, then character by
/// character), and tweets leading into the cycle join that thread.
public enum Threading {
    /// Roots for `(id, inResponseTo)` links. When an id appears more than once, its first link is used.
    public static func roots(links: some Sequence<ThreadLink>) -> [String: String] {
        var order: [String] = []
        var parent: [String: String?] = [:]
        for link in links where parent[link.id] == nil {
            parent[link.id] = .some(link.inResponseTo)
            order.append(link.id)
        }

        var root: [String: String] = [:]
        root.reserveCapacity(order.count)
        for start in order where root[start] == nil {
            var path: [String] = []
            var onPath: [String: Int] = [:]
            var current = start
            let found: String
            while true {
                if let known = root[current] {
                    found = known
                    break
                }
                if let cycleStart = onPath[current] {
                    found = path[cycleStart...].min(by: precedes)!
                    break
                }
                onPath[current] = path.count
                path.append(current)
                guard let next = parent[current] ?? nil, parent[next] != nil else {
                    found = current
                    break
                }
                current = next
            }
            for id in path { root[id] = found }
        }
        return root
    }

    /// Roots for TWCS records, linked by ``TWCSRecord/inResponseToTweetID``.
    public static func roots(of records: some Sequence<TWCSRecord>) -> [String: String] {
        roots(links: records.lazy.map { ThreadLink(id: $0.tweetID, inResponseTo: $0.inResponseToTweetID) })
    }

    /// Decimal order for decimal ids: shorter first, then by characters.
    static func precedes(_ a: String, _ b: String) -> Bool {
        let (la, lb) = (a.utf8.count, b.utf8.count)
        return la != lb ? la < lb : a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}
