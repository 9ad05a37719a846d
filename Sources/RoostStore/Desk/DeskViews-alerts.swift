import Foundation
import GRDB
public import RoostCore

/// What an alert counts, per window (``DeskViews/alertWindows(_:windowMillis:windows:endMillis:)``).
public enum AlertSelector: Sendable, Hashable {
    /// Customer messages with any of these words (the search index's tokens).
    case keywords([String])
    /// New tickets (by first customer message) with this tag.
    case tag(String)
    /// New tickets in this queue.
    case queue(String)
    /// Customer messages; `negative` counts those whose sentiment is negative.
    case messages
}

/// One window's counts.
public struct AlertWindowCount: Sendable, Hashable {
    /// The window's start (UTC ms, inclusive).
    public var startMillis: UInt64
    /// What the selector counted.
    public var count: Int
    /// For ``AlertSelector/messages``: how many of them read negative (sentiment ≤ -5).
    public var negative: Int

    /// Makes a count.
    public init(startMillis: UInt64, count: Int, negative: Int) {
        self.startMillis = startMillis
        self.count = count
        self.negative = negative
    }
}

extension DeskViews {
    /// When the oldest customer message this node holds was written (search documents are numbered by time).
    public func earliestCustomerMessageMillis() throws(StoreError) -> UInt64? {
        try read { db in
            try Int64.fetchOne(db, sql: "SELECT created_ms FROM search_doc WHERE kind = 'inbound' ORDER BY id LIMIT 1").map { UInt64(max(0, $0)) }
        }
    }

    /// Counts for `windows` consecutive windows of `windowMillis` ending at `endMillis` (oldest first), from the
    /// replicated state alone, so every node holding the same ops counts the same.
    public func alertWindows(_ selector: AlertSelector, windowMillis: UInt64, windows: Int, endMillis: UInt64) throws(StoreError) -> [AlertWindowCount] {
        let span = windowMillis * UInt64(windows)
        let start = endMillis > span ? endMillis - span : 0
        return try read { db in
            var counts = (0..<windows).map { AlertWindowCount(startMillis: start + UInt64($0) * windowMillis, count: 0, negative: 0) }
            func bucket(_ millis: Int64) -> Int? {
                guard millis >= Int64(start), millis < Int64(endMillis) else { return nil }
                let index = Int((UInt64(millis) - start) / windowMillis)
                return index < windows ? index : nil
            }
            let ids: StatementArguments = [SearchIndex.idBase(Int64(start)), SearchIndex.idBase(Int64(endMillis) + 1000)]
            switch selector {
            case let .keywords(words):
                let match = SearchSQL.inBody(words.map { SearchSQL.fts(.word($0)) }.joined(separator: " OR "))
                for created in try Int64.fetchAll(db, sql: """
                    SELECT d.created_ms FROM search_fts JOIN search_doc d ON d.id = search_fts.rowid
                    WHERE search_fts MATCH ? AND search_fts.rowid >= ? AND search_fts.rowid < ? AND d.kind = 'inbound'
                    """, arguments: [match] + ids) {
                    if let i = bucket(created) { counts[i].count += 1 }
                }
            case let .tag(tag):
                for created in try Int64.fetchAll(db, sql: """
                    SELECT t.first_inbound_ms FROM desk_ticket t JOIN mv_tag g ON g.collection = 'ticket' AND g.key = t.key AND g.tag = ?
                    WHERE t.first_inbound_ms >= ? AND t.first_inbound_ms < ?
                    """, arguments: [tag, Int64(start), Int64(endMillis)]) {
                    if let i = bucket(created) { counts[i].count += 1 }
                }
            case let .queue(queue):
                for created in try Int64.fetchAll(db, sql: """
                    SELECT first_inbound_ms FROM desk_ticket WHERE queue = ? AND first_inbound_ms >= ? AND first_inbound_ms < ?
                    """, arguments: [queue, Int64(start), Int64(endMillis)]) {
                    if let i = bucket(created) { counts[i].count += 1 }
                }
            case .messages:
                // Documents are numbered by time (SearchIndex), so the window is a range of ids.
                for row in try Row.fetchAll(db, sql: """
                    SELECT d.created_ms, m.sentiment FROM search_doc d JOIN desk_message m ON m.id = d.doc
                    WHERE d.id >= ? AND d.id < ? AND d.kind = 'inbound'
                    """, arguments: ids) {
                    guard let i = bucket(row["created_ms"]) else { continue }
                    counts[i].count += 1
                    if let sentiment: Int64 = row["sentiment"], sentiment <= -5 { counts[i].negative += 1 }
                }
            }
            return counts
        }
    }
}
