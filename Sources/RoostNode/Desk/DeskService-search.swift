import Foundation
public import RoostCore
public import RoostStore

extension DeskService {
    /// Searches the desk with the query language of ``SearchQuery`` (the CLI's `roost search`, the web app's
    /// search box and `GET /api/v1/search`): names in filters are resolved here (`from:@handle` to customers and
    /// members with those initials, `assignee:` to members), then the store ranks the tickets.
    public func search(_ text: String, limit: Int = SearchLimits.defaultResults) throws(DeskError) -> [SearchHit] {
        let query: SearchQuery
        do { query = try SearchQuery.parse(text) } catch { throw .badQuery(error) }
        guard (1...SearchLimits.maxResults).contains(limit) else {
            throw .invalidValue(field: "limit", value: String(limit), allowed: ["1...\(SearchLimits.maxResults)"])
        }
        var plan = SearchPlan(query: query, nowMillis: now)
        plan.limit = limit
        for handle in query.from {
            plan.authors += try run { () throws(StoreError) in try store.search.customerIDs(handle: handle) }
            plan.authors += try members(withInitials: handle).map(\.text)
        }
        for assignee in query.assignees {
            switch assignee {
            case .me: plan.holders.append(node.id)
            case .nobody: plan.nobody = true
            case let .initials(initials): plan.holders += try members(withInitials: initials)
            }
        }
        return try run { () throws(StoreError) in try store.search.hits(plan) }
    }

    /// Members whose profile gives these initials (any case).
    func members(withInitials initials: String) throws(DeskError) -> [AuthorID] {
        var found: [AuthorID] = []
        for id in Set(try run { () throws(StoreError) in try store.logs() }.map(\.log.author)) {
            let fields = try run { () throws(StoreError) in try store.state.entity(EntityRef("member", id.text)) }
            if fields?.first(where: { $0.name == "initials" })?.value.stringValue?.lowercased() == initials.lowercased() {
                found.append(id)
            }
        }
        return found.sorted { $0.text < $1.text }
    }

    /// Derives the search index again from the merged state (`roost reindex`), reporting `(done, total)` tickets.
    public func reindex(progress: ((Int, Int) -> Void)? = nil) throws(DeskError) -> SearchIndexStats {
        try run { () throws(StoreError) in try store.search.rebuild(progress: progress) }
    }
}
