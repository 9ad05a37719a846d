/// A desk search, parsed from the one query language the CLI, the web app and the API share:
///
/// - `word` — messages containing the word (any case, accents ignored); several words must all occur;
/// - `prefix*` — a word starting with `prefix`;
/// - `"exact phrase"` — the words in this order;
/// - `-word`, `-prefix*`, `-"phrase"` — leave out what contains it;
/// - filters `from:@handle`, `to:@brand`, `tag:NAME`, `status:S`, `queue:NAME`, `tier:T`, `lang:CODE`, `sentiment:neg|neu|pos`,
///   `assignee:me|none|@initials`, `before:YYYY-MM-DD`, `after:YYYY-MM-DD`. A filter given twice accepts any
///   of its values, except `tag:`, where every tag named must be on the ticket.
///
/// A query that cannot be read is refused with one ``SearchQueryError`` naming the 1-based character position.
public struct SearchQuery: Sendable, Equatable {
    /// A text term.
    public enum Term: Sendable, Equatable {
        /// A word (the index may split it further, e.g. `double-charged` is the phrase `double charged`).
        case word(String)
        /// A word prefix, without its `*`.
        case prefix(String)
        /// Words in order.
        case phrase(String)
    }

    /// Who a ticket is assigned to.
    public enum Assignee: Sendable, Equatable {
        /// The member asking.
        case me
        /// Nobody holds it.
        case nobody
        /// The member with these initials.
        case initials(String)
    }

    /// Terms every hit contains.
    public var include: [Term] = []
    /// Terms no hit contains.
    public var exclude: [Term] = []
    /// `from:` handles, without `@`, lowercased.
    public var from: [String] = []
    /// `to:` brand handles, without `@`, lowercased.
    public var to: [String] = []
    /// `tag:` names: all must be on the ticket.
    public var tags: [String] = []
    /// `status:` values.
    public var statuses: [TicketStatus] = []
    /// `queue:` names.
    public var queues: [String] = []
    /// `tier:` values.
    public var tiers: [Tier] = []
    /// `lang:` codes, lowercased.
    public var languages: [String] = []
    /// `assignee:` values.
    public var assignees: [Assignee] = []
    /// `sentiment:` values: `neg`, `neu`, `pos` (the ticket's latest scored customer message).
    public var sentiments: [String] = []
    /// `after:` as UTC milliseconds at the start of that day (inclusive).
    public var afterMillis: UInt64?
    /// `before:` as UTC milliseconds at the start of that day (exclusive).
    public var beforeMillis: UInt64?

    /// The filter names the language knows, in the order the help lists them.
    public static let filterNames = ["from", "to", "tag", "status", "queue", "tier", "lang", "sentiment", "assignee", "before", "after"]

    /// Whether the query has any filter (a query of filters alone lists tickets, newest first).
    public var hasFilters: Bool {
        !from.isEmpty || !to.isEmpty || !tags.isEmpty || !statuses.isEmpty || !queues.isEmpty || !tiers.isEmpty
            || !languages.isEmpty || !sentiments.isEmpty || !assignees.isEmpty || afterMillis != nil || beforeMillis != nil
    }

    /// An empty query (parse a string with ``parse(_:)``).
    public init() {}

    /// Reads `text`, or throws one error naming where it went wrong.
    public static func parse(_ text: String) throws(SearchQueryError) -> SearchQuery {
        var parser = Parser(Array(text.unicodeScalars))
        return try parser.parse()
    }
}

/// Why a search query was refused: one line naming the 1-based character position.
public struct SearchQueryError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 1-based position of the character where the problem is (for an empty query, 1).
    public var position: Int
    /// What is wrong there.
    public var reason: String

    /// Makes an error.
    public init(position: Int, reason: String) {
        self.position = position
        self.reason = reason
    }

    public var description: String { "search query, at character \(position): \(reason)" }
}

/// Limits of the query language, named in one place.
public enum SearchLimits {
    /// Longest query, in characters.
    public static let maxQueryCharacters = 512
    /// Most terms and filters in one query.
    public static let maxParts = 32
    /// Most results one search answers.
    public static let maxResults = 200
    /// Results when no limit is given.
    public static let defaultResults = 20
    /// Matching documents a ranked search scores, newest first (bm25 runs on these, not on every match of a
    /// common word): ``recencyHalfLifeDays`` makes an older document beyond them rarely outrank them.
    public static let candidateDocuments = 1_000
    /// Age (days) at which recency halves a hit's score: between two equally good matches the newer ranks first.
    public static let recencyHalfLifeDays = 90.0
}

extension SearchQuery {
    struct Parser {
        let scalars: [Unicode.Scalar]
        var index = 0
        var query = SearchQuery()
        var parts = 0

        init(_ scalars: [Unicode.Scalar]) { self.scalars = scalars }

        func fail(_ at: Int, _ reason: String) -> SearchQueryError { SearchQueryError(position: at + 1, reason: reason) }

        mutating func parse() throws(SearchQueryError) -> SearchQuery {
            guard scalars.count <= SearchLimits.maxQueryCharacters else {
                throw fail(SearchLimits.maxQueryCharacters, "longer than \(SearchLimits.maxQueryCharacters) characters")
            }
            while true {
                while index < scalars.count, scalars[index].properties.isWhitespace { index += 1 }
                guard index < scalars.count else { break }
                let start = index
                parts += 1
                guard parts <= SearchLimits.maxParts else { throw fail(start, "more than \(SearchLimits.maxParts) terms and filters") }
                var negated = false
                if scalars[index] == "-" {
                    negated = true
                    index += 1
                    guard index < scalars.count, !scalars[index].properties.isWhitespace else {
                        throw fail(start, "a lone - (write -word to leave out what contains the word)")
                    }
                }
                let term: Term?
                if scalars[index] == "\"" {
                    term = try phrase()
                } else {
                    let word = token()
                    if let colon = word.firstIndex(of: ":"), colon > 0, word[..<colon].allSatisfy({ $0.properties.isAlphabetic }) {
                        let name = String(String.UnicodeScalarView(word[..<colon])).lowercased()
                        guard SearchQuery.filterNames.contains(name) else {
                            throw fail(negated ? start + 1 : start, "unknown filter \(name): (filters: \(SearchQuery.filterNames.map { $0 + ":" }.joined(separator: " "))); put text with a colon in quotes")
                        }
                        guard !negated else { throw fail(start, "filters cannot be negated (-\(name):)") }
                        try filter(name, String(String.UnicodeScalarView(word[(colon + 1)...])), at: start + colon + 1)
                        continue
                    }
                    term = try wordTerm(word, at: negated ? start + 1 : start)
                }
                guard let term else { continue }
                if negated { query.exclude.append(term) } else { query.include.append(term) }
            }
            guard !query.include.isEmpty || !query.exclude.isEmpty || query.hasFilters else {
                throw fail(0, "nothing to search for: give a word, a \"phrase\" or a filter such as status:open")
            }
            return query
        }

        /// The next run of non-space characters.
        mutating func token() -> [Unicode.Scalar] {
            let start = index
            while index < scalars.count, !scalars[index].properties.isWhitespace { index += 1 }
            return Array(scalars[start..<index])
        }

        /// A `"…"` phrase; the quote is at `index`. A phrase with nothing to search in it is dropped.
        mutating func phrase() throws(SearchQueryError) -> Term? {
            let open = index
            index += 1
            let start = index
            while index < scalars.count, scalars[index] != "\"" { index += 1 }
            guard index < scalars.count else { throw fail(open, "this quote is never closed") }
            let text = String(String.UnicodeScalarView(scalars[start..<index]))
            index += 1
            if index < scalars.count, !scalars[index].properties.isWhitespace {
                throw fail(index, "put a space after a closing quote")
            }
            return text.unicodeScalars.contains(where: Self.isWordScalar) ? .phrase(text) : nil
        }

        /// A word or `prefix*`; punctuation alone is dropped (the index does not keep it).
        func wordTerm(_ raw: [Unicode.Scalar], at position: Int) throws(SearchQueryError) -> Term? {
            var word = raw
            var isPrefix = false
            if word.last == "*" {
                isPrefix = true
                word.removeLast()
            }
            if let star = word.firstIndex(of: "*") {
                throw fail(position + star, "* is allowed only at the end of a word (prefix*)")
            }
            if let quote = word.firstIndex(of: "\"") {
                throw fail(position + quote, "a quote inside a word (start a \"phrase\" after a space)")
            }
            let text = String(String.UnicodeScalarView(word))
            guard word.contains(where: Self.isWordScalar) else {
                if isPrefix { throw fail(position, "a prefix* needs at least one letter or digit before the *") }
                return nil
            }
            return isPrefix ? .prefix(text) : .word(text)
        }

        static func isWordScalar(_ scalar: Unicode.Scalar) -> Bool {
            scalar.properties.isAlphabetic || scalar.properties.numericType != nil || scalar.properties.generalCategory == .decimalNumber
        }

        mutating func filter(_ name: String, _ value: String, at position: Int) throws(SearchQueryError) {
            guard !value.isEmpty else { throw fail(position, "\(name): needs a value") }
            func handle() throws(SearchQueryError) -> String {
                let bare = value.hasPrefix("@") ? String(value.dropFirst()) : value
                guard !bare.isEmpty, bare.unicodeScalars.allSatisfy({ Self.isWordScalar($0) || $0 == "_" }) else {
                    throw fail(position, "\(name): needs a handle such as @AcmeCare (letters, digits, _)")
                }
                return bare.lowercased()
            }
            switch name {
            case "from": query.from.append(try handle())
            case "to": query.to.append(try handle())
            case "tag": query.tags.append(value)
            case "queue": query.queues.append(value)
            case "status":
                guard let status = TicketStatus(rawValue: value.lowercased()) else {
                    throw fail(position, "status: must be one of \(TicketStatus.allCases.map(\.rawValue).joined(separator: ", ")), not \(value)")
                }
                query.statuses.append(status)
            case "tier":
                guard let tier = Tier(rawValue: value.lowercased()) else {
                    throw fail(position, "tier: must be one of \(Tier.allCases.map(\.rawValue).joined(separator: ", ")), not \(value)")
                }
                query.tiers.append(tier)
            case "lang":
                let code = value.lowercased()
                guard (2...3).contains(code.count), code.allSatisfy({ $0.isASCII && $0.isLetter }) else {
                    throw fail(position, "lang: needs a language code such as en or es, not \(value)")
                }
                query.languages.append(code)
            case "sentiment":
                let label = value.lowercased()
                guard ["neg", "neu", "pos"].contains(label) else {
                    throw fail(position, "sentiment: must be neg, neu or pos, not \(value)")
                }
                query.sentiments.append(label)
            case "assignee":
                switch value.lowercased() {
                case "me": query.assignees.append(.me)
                case "none": query.assignees.append(.nobody)
                default:
                    let bare = value.hasPrefix("@") ? String(value.dropFirst()) : value
                    guard !bare.isEmpty, bare.allSatisfy({ $0.isLetter || $0.isNumber }) else {
                        throw fail(position, "assignee: must be me, none or a member's @initials, not \(value)")
                    }
                    query.assignees.append(.initials(bare.lowercased()))
                }
            case "before", "after":
                guard let millis = Self.day(value) else { throw fail(position, "\(name): needs a date as YYYY-MM-DD, not \(value)") }
                if name == "before" {
                    guard query.beforeMillis == nil else { throw fail(position, "before: is given twice") }
                    query.beforeMillis = millis
                } else {
                    guard query.afterMillis == nil else { throw fail(position, "after: is given twice") }
                    query.afterMillis = millis
                }
            default: throw fail(position, "unknown filter \(name):")
            }
        }

        /// `YYYY-MM-DD` as UTC milliseconds at 00:00 of that day, or nil.
        static func day(_ text: String) -> UInt64? { CivilDate.dayStartMillis(text) }
    }
}
