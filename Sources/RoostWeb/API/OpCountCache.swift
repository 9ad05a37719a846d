import RoostNode
import RoostStore
import Synchronization

/// The node's op count for the sync panel, recounted only when a log head moved.
///
/// `SELECT count(*) FROM op` reads the whole op table (about 30 ms at 220,000 ops), and the dashboard and
/// `/api/v1/sync` show the count on every render. Every stored or removed op moves its log's head (seq, sealed
/// seq) or removes the head, so while the heads are unchanged the count is too.
final class OpCountCache: Sendable {
    private let state = Mutex<(heads: [LogSummary], count: Int)?>(nil)

    /// The count of ops `node` holds, whose log heads are `heads` (read just before).
    func count(_ node: Node, heads: [LogSummary]) throws(NodeError) -> Int {
        if let cached = state.withLock({ $0 }), cached.heads == heads { return cached.count }
        let count = try node.opCount()
        // Heads read before the count: an op landing in between makes the next call recount (heads differ).
        state.withLock { $0 = (heads, count) }
        return count
    }
}
