public import Foundation
public import RoostCore
import RoostStore
public import RoostTwitter

extension DeskService {
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
                id: record.tweetID, ticketKey: Desk.publicTicketKey(rootTweetID: root), channel: .public, conversation: root,
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
