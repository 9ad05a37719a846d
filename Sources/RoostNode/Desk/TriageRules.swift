import Foundation
public import RoostCore
public import RoostTwitter

/// A rules-file problem, with the file and line it is on.
public struct RulesError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The rules file.
    public var file: String
    /// 1-based line.
    public var line: Int
    /// What is wrong.
    public var reason: String

    public init(file: String, line: Int, reason: String) {
        self.file = file
        self.line = line
        self.reason = reason
    }

    public var description: String { "\(file):\(line): \(reason)" }
}

/// One triage rule: conditions that must all hold, and the actions to take.
///
/// ```toml
/// [[rule]]
/// name = "Outage reports from verified customers"
/// destination = ["comcastcares"]     # the handle the message is addressed to (brand, care, executive)
/// keywords = ["outage", "down"]      # any of these words (case-insensitive)
/// regex = "no (internet|service)"    # and/or a regular expression
/// verified = true                    # origin: verified, vip, min_followers
/// min_tickets_this_week = 3          # history: the customer's tickets in the last 7 days
/// lang = ["es", "pt"]                # the message's language (X's lang, else detected): any of these
/// sentiment = "neg"                  # the message's sentiment: neg, neu or pos
/// priority = "urgent"                # actions: priority, tier, queue, tags, crisis
/// tier = "service"
/// queue = "network"
/// tags = ["outage"]
/// crisis = true
/// ```
public struct TriageRule: Sendable, Hashable {
    public var name: String
    public var line: Int
    public var destinations: [String] = []
    public var keywords: [String] = []
    public var regex: String?
    public var vip: Bool?
    public var verified: Bool?
    public var minFollowers: Int?
    public var minTicketsThisWeek: Int?
    /// Languages (ISO 639-1, lowercase): the message's language is one of them.
    public var languages: [String] = []
    /// The message's sentiment label.
    public var sentiment: TweetSentiment.Label?
    public var priority: Priority?
    public var tier: Tier?
    public var queue: String?
    public var tags: [String] = []
    public var crisis = false
}

/// What the rules know about an incoming customer message.
public struct TriageInput: Sendable {
    public var text: String
    /// Handles the message is addressed to, lower-case, without `@`.
    public var destinations: Set<String>
    public var vip: Bool
    public var verified: Bool
    public var followers: Int
    public var ticketsThisWeek: Int
    /// Tickets tagged with the spike tag in the spike window, including this one if it matches.
    public var recentTagCounts: [String: Int]
    /// The message's language, nil when it has none.
    public var language: String?
    /// The message's sentiment, nil when it was not scored.
    public var sentiment: TweetSentiment.Label?

    public init(text: String, destinations: Set<String>, vip: Bool = false, verified: Bool = false, followers: Int = 0,
                ticketsThisWeek: Int = 0, recentTagCounts: [String: Int] = [:], language: String? = nil,
                sentiment: TweetSentiment.Label? = nil) {
        self.text = text; self.destinations = destinations; self.vip = vip; self.verified = verified
        self.followers = followers; self.ticketsThisWeek = ticketsThisWeek; self.recentTagCounts = recentTagCounts
        self.language = language; self.sentiment = sentiment
    }
}

/// What the rules decided; later rules override earlier ones' single values, tags accumulate.
public struct TriageOutcome: Sendable, Hashable {
    public var priority: Priority?
    public var tier: Tier?
    public var queue: String?
    public var tags: Set<String> = []
    public var crisis = false
    public var matched: [String] = []
}

/// The team's triage rules (`rules.toml` in the node home, or a file given to `ingest --rules`).
public struct TriageRules: Sendable {
    /// Rules in file order.
    public var rules: [TriageRule]
    /// Words that flag a crisis wherever they appear (`[crisis] keywords`).
    public var crisisKeywords: [String]
    /// A spike of one tag that flags a crisis: `[crisis] spike_tag`, `spike_count`, `spike_minutes`.
    public var spike: (tag: String, count: Int, minutes: Int)?
    /// Listening alerts (`[[alert]]`), in file order.
    public var alerts: [AlertRule] = []

    /// No rules.
    public static let empty = TriageRules(rules: [], crisisKeywords: [], spike: nil)

    /// Loads and checks a rules file; the first problem is reported with its line.
    public static func load(path: String) throws(RulesError) -> TriageRules {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RulesError(file: path, line: 0, reason: "cannot read the rules file")
        }
        return try parse(String(decoding: data, as: UTF8.self), file: path)
    }

    /// Parses rules text.
    public static func parse(_ text: String, file: String) throws(RulesError) -> TriageRules {
        let table: RulesTOML.Table
        do {
            table = try RulesTOML.parse(text)
        } catch {
            throw RulesError(file: file, line: error.line, reason: error.reason)
        }
        for key in table.keys where key != "rule" && key != "crisis" && key != "alert" {
            throw RulesError(file: file, line: table.line(of: key) ?? 1, reason: "unknown section or key \"\(key)\"")
        }
        var rules: [TriageRule] = []
        if let value = table["rule"] {
            guard case let .tables(ruleTables) = value.kind else {
                throw RulesError(file: file, line: value.line, reason: "use [[rule]] for each rule")
            }
            for (index, ruleTable) in ruleTables.enumerated() {
                rules.append(try parseRule(ruleTable, index: index, file: file))
            }
        }
        var crisisKeywords: [String] = []
        var spike: (String, Int, Int)?
        if let value = table["crisis"] {
            guard let crisis = value.table else {
                throw RulesError(file: file, line: value.line, reason: "use a [crisis] section")
            }
            let reader = FieldReader(table: crisis, file: file)
            try reader.onlyKeys(["keywords", "spike_tag", "spike_count", "spike_minutes"])
            crisisKeywords = try reader.strings("keywords").map { $0.lowercased() }
            if let tag = try reader.string("spike_tag") {
                guard let count = try reader.int("spike_count"), count > 0 else {
                    throw RulesError(file: file, line: reader.line("spike_tag"), reason: "spike_tag needs a positive spike_count")
                }
                spike = (tag, count, try reader.int("spike_minutes") ?? 60)
            }
        }
        var alerts: [AlertRule] = []
        if let value = table["alert"] {
            guard case let .tables(alertTables) = value.kind else {
                throw RulesError(file: file, line: value.line, reason: "use [[alert]] for each alert")
            }
            for (index, alertTable) in alertTables.enumerated() {
                let alert = try parseAlert(alertTable, index: index, file: file)
                guard !alerts.contains(where: { $0.name == alert.name }) else {
                    throw RulesError(file: file, line: alert.line, reason: "two alerts are named \"\(alert.name)\"")
                }
                alerts.append(alert)
            }
        }
        return TriageRules(rules: rules, crisisKeywords: crisisKeywords, spike: spike, alerts: alerts)
    }

    static let ruleKeys = ["name", "destination", "keywords", "regex", "vip", "verified", "min_followers",
                           "min_tickets_this_week", "lang", "sentiment", "priority", "tier", "queue", "tags", "crisis"]

    static func parseRule(_ table: RulesTOML.Table, index: Int, file: String) throws(RulesError) -> TriageRule {
        let reader = FieldReader(table: table, file: file)
        try reader.onlyKeys(ruleKeys)
        guard let name = try reader.string("name"), !name.isEmpty else {
            throw RulesError(file: file, line: table.line, reason: "rule \(index + 1) needs a name")
        }
        var rule = TriageRule(name: name, line: table.line)
        rule.destinations = try reader.strings("destination").map { $0.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "@")) }
        rule.keywords = try reader.strings("keywords").map { $0.lowercased() }
        rule.regex = try reader.string("regex")
        if let pattern = rule.regex, (try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive])) == nil {
            throw RulesError(file: file, line: reader.line("regex"), reason: "regex \"\(pattern)\" does not compile")
        }
        rule.vip = try reader.bool("vip")
        rule.verified = try reader.bool("verified")
        rule.minFollowers = try reader.int("min_followers")
        rule.minTicketsThisWeek = try reader.int("min_tickets_this_week")
        rule.languages = try reader.strings("lang").map { $0.lowercased() }
        if let bad = rule.languages.first(where: { !(2...3).contains($0.count) || !$0.allSatisfy({ $0 >= "a" && $0 <= "z" }) }) {
            throw RulesError(file: file, line: reader.line("lang"), reason: "lang \"\(bad)\" is not a language code such as \"es\" or \"pt\"")
        }
        rule.sentiment = try reader.choice("sentiment", TweetSentiment.Label.self)
        rule.priority = try reader.choice("priority", Priority.self)
        rule.tier = try reader.choice("tier", Tier.self)
        rule.queue = try reader.string("queue")
        rule.tags = try reader.strings("tags")
        rule.crisis = try reader.bool("crisis") ?? false
        let hasCondition = !rule.destinations.isEmpty || !rule.keywords.isEmpty || rule.regex != nil || rule.vip != nil
            || rule.verified != nil || rule.minFollowers != nil || rule.minTicketsThisWeek != nil || !rule.languages.isEmpty || rule.sentiment != nil
        guard hasCondition else {
            throw RulesError(file: file, line: rule.line, reason: "rule \"\(name)\" has no condition (it would match everything)")
        }
        guard rule.priority != nil || rule.tier != nil || rule.queue != nil || !rule.tags.isEmpty || rule.crisis else {
            throw RulesError(file: file, line: rule.line, reason: "rule \"\(name)\" has no action")
        }
        return rule
    }

    static let alertKeys = ["name", "keywords", "tag", "queue", "negative", "window_minutes", "baseline_windows", "factor",
                            "min_count", "min_share"]

    static func parseAlert(_ table: RulesTOML.Table, index: Int, file: String) throws(RulesError) -> AlertRule {
        let reader = FieldReader(table: table, file: file)
        try reader.onlyKeys(alertKeys)
        guard let name = try reader.string("name"), !name.isEmpty else {
            throw RulesError(file: file, line: table.line, reason: "alert \(index + 1) needs a name")
        }
        let keywords = try reader.strings("keywords").map { $0.lowercased() }
        let tag = try reader.string("tag"), queue = try reader.string("queue")
        let negative = try reader.bool("negative") ?? false
        let selectors = (keywords.isEmpty ? 0 : 1) + (tag == nil ? 0 : 1) + (queue == nil ? 0 : 1) + (negative ? 1 : 0)
        guard selectors <= 1 else {
            throw RulesError(file: file, line: table.line, reason: "alert \"\(name)\" counts one thing: keywords, tag, queue or negative")
        }
        var alert = AlertRule(name: name, line: table.line, selector: .messages, negative: negative)
        if !keywords.isEmpty { alert.selector = .keywords(keywords) }
        if let tag { alert.selector = .tag(tag) }
        if let queue { alert.selector = .queue(queue) }
        func bounded(_ key: String, _ range: ClosedRange<Int>, default value: Int) throws(RulesError) -> Int {
            guard let given = try reader.int(key) else { return value }
            guard range.contains(given) else { throw reader.fail(key, "\(key) must be \(range.lowerBound)...\(range.upperBound)") }
            return given
        }
        alert.windowMinutes = try bounded("window_minutes", 1...DeskAlertLimits.maxWindowMinutes, default: 60)
        alert.baselineWindows = try bounded("baseline_windows", 1...DeskAlertLimits.maxBaselineWindows, default: 24)
        alert.factor = try bounded("factor", 1...1_000, default: 3)
        alert.minCount = try bounded("min_count", 1...1_000_000, default: 10)
        alert.minShare = try bounded("min_share", 1...100, default: 30)
        if !negative, try reader.int("min_share") != nil {
            throw reader.fail("min_share", "min_share is for negative = true alerts")
        }
        return alert
    }

    /// Applies every matching rule, in file order.
    public func evaluate(_ input: TriageInput) -> TriageOutcome {
        var outcome = TriageOutcome()
        let lower = input.text.lowercased()
        let words = Set(lower.split { !$0.isLetter && !$0.isNumber && $0 != "'" }.map(String.init))
        func hasKeyword(_ keyword: String) -> Bool {
            keyword.contains(" ") ? lower.contains(keyword) : words.contains(keyword)
        }
        for rule in rules {
            if !rule.destinations.isEmpty && input.destinations.isDisjoint(with: rule.destinations) { continue }
            if !rule.keywords.isEmpty && !rule.keywords.contains(where: hasKeyword) { continue }
            if let pattern = rule.regex {
                guard let regex = try? NSRegularExpression(pattern: pattern, options: [.caseInsensitive]),
                      regex.firstMatch(in: input.text, range: NSRange(input.text.startIndex..., in: input.text)) != nil
                else { continue }
            }
            if let vip = rule.vip, vip != input.vip { continue }
            if let verified = rule.verified, verified != input.verified { continue }
            if let minimum = rule.minFollowers, input.followers < minimum { continue }
            if let minimum = rule.minTicketsThisWeek, input.ticketsThisWeek < minimum { continue }
            if !rule.languages.isEmpty, !rule.languages.contains(input.language ?? "") { continue }
            if let sentiment = rule.sentiment, sentiment != input.sentiment { continue }
            outcome.matched.append(rule.name)
            outcome.priority = rule.priority ?? outcome.priority
            outcome.tier = rule.tier ?? outcome.tier
            outcome.queue = rule.queue ?? outcome.queue
            outcome.tags.formUnion(rule.tags)
            outcome.crisis = outcome.crisis || rule.crisis
        }
        if crisisKeywords.contains(where: hasKeyword) {
            outcome.crisis = true
            outcome.matched.append("crisis keyword")
        }
        if let spike, outcome.tags.contains(spike.tag), (input.recentTagCounts[spike.tag] ?? 0) + 1 >= spike.count {
            outcome.crisis = true
            outcome.matched.append("crisis spike of \(spike.tag)")
        }
        if outcome.crisis {
            outcome.tags.insert("crisis")
            outcome.priority = .urgent
        }
        return outcome
    }
}

/// Typed reads from a TOML table with line-numbered errors.
struct FieldReader {
    let table: RulesTOML.Table
    let file: String

    /// The line `key` is set on (the table's header when it is absent).
    func line(_ key: String) -> Int { table.line(of: key) ?? table.line }

    func fail(_ key: String, _ reason: String) -> RulesError { RulesError(file: file, line: line(key), reason: reason) }

    func onlyKeys(_ allowed: [String]) throws(RulesError) {
        for key in table.keys where !allowed.contains(key) {
            throw fail(key, "unknown key \"\(key)\" (allowed: \(allowed.joined(separator: ", ")))")
        }
    }

    func string(_ key: String) throws(RulesError) -> String? {
        guard let value = table[key] else { return nil }
        guard let text = value.string else { throw fail(key, "\(key) must be a string") }
        return text
    }

    func strings(_ key: String) throws(RulesError) -> [String] {
        guard let value = table[key] else { return [] }
        if let text = value.string { return [text] }
        guard let array = value.array else { throw fail(key, "\(key) must be a string or a list of strings") }
        var result: [String] = []
        for element in array {
            guard let text = element.string, !text.isEmpty else { throw fail(key, "\(key) must hold non-empty strings") }
            result.append(text)
        }
        return result
    }

    func bool(_ key: String) throws(RulesError) -> Bool? {
        guard let value = table[key] else { return nil }
        guard let flag = value.bool else { throw fail(key, "\(key) must be true or false") }
        return flag
    }

    func int(_ key: String) throws(RulesError) -> Int? {
        guard let value = table[key] else { return nil }
        guard let number = value.int, number >= 0 else { throw fail(key, "\(key) must be a whole number ≥ 0") }
        return number
    }

    func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type) throws(RulesError) -> T?
    where T.RawValue == String {
        guard let text = try string(key) else { return nil }
        guard let value = T(rawValue: text) else {
            throw fail(key, "\(key) \"\(text)\" is not one of: \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }
}
