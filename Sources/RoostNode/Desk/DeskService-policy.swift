import Foundation
public import RoostCore
public import RoostStore

extension DeskService {
    /// The `team/settings` register holding the desk policy's text (SPEC.md §1b.13).
    static let policyField = "policy"

    /// The team's desk policy: the text of `team/settings` `policy` when a lead or an admin wrote it and it reads as a
    /// policy, else none. A text that does not read (written by another version) counts as no policy.
    public func deskPolicy() throws(DeskError) -> DeskPolicy {
        guard let text = try policyText() else { return .empty }
        return Self.policyCache.policy(for: text)
    }

    /// The policy text as written, when a lead or an admin wrote it.
    public func policyText() throws(DeskError) -> String? {
        guard let (value, stamp) = try run({ () throws(StoreError) in try store.state.registerWithStamp(settings, Self.policyField) }),
              let text = value.stringValue, !text.isEmpty else { return nil }
        if let roster = try run({ () throws(StoreError) in try store.team.roster() }), roster.role(of: stamp.ref.author, before: stamp)?.mayReassign != true {
            return nil
        }
        return text
    }

    /// Queue names a policy may describe: declared `queue` entities, queues of tickets, queues the triage rules send
    /// tickets to, and `default`.
    public func knownQueues(rules: TriageRules) throws(DeskError) -> Set<String> {
        var names = Set(try run { () throws(StoreError) in try store.desk.queueNames() })
        for rule in rules.rules { if let queue = rule.queue { names.insert(queue) } }
        names.insert(RoutingRules.defaultQueue)
        return names
    }

    /// Checks a policy file (syntax, hours, targets, and that its queues exist) and, unless `dryRun`, writes it for
    /// the team in one append: the policy text, and the routing registers of queues that set `routing`. Leads and
    /// admins only. Returns the policy read.
    @discardableResult
    public func applyPolicy(text: String, file: String, rules: TriageRules, extraQueues: [String] = [],
                            dryRun: Bool = false) throws(DeskError) -> DeskPolicy {
        let known = try knownQueues(rules: rules).union(extraQueues)
        let policy: DeskPolicy
        do throws(RulesError) {
            policy = try DeskPolicy.parse(text, file: file)
            try policy.checkQueues(known: known, file: file)
        } catch {
            throw .rules(error)
        }
        guard !dryRun else { return policy }
        try requireLead("set the desk policy")
        var bodies: [OpBody] = [.set(entity: settings, field: Self.policyField, value: .string(text))]
        for queue in policy.queues where queue.routingSet || queue.routingTimeoutSeconds != nil {
            if queue.routingSet {
                bodies.append(.set(entity: settings, field: Self.routingField + "." + queue.name, value: .string(queue.routing?.rawValue ?? "off")))
            }
            if let seconds = queue.routingTimeoutSeconds {
                bodies.append(.set(entity: settings, field: Self.routingTimeoutField + "." + queue.name, value: .int(Int64(seconds))))
            }
        }
        try append(bodies)
        return policy
    }

    /// Parsed policies by text: the inbox asks for the SLA targets on every page.
    static let policyCache = PolicyCache()
}

/// The last policy texts read and what they parsed to.
final class PolicyCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: DeskPolicy] = [:]

    func policy(for text: String) -> DeskPolicy {
        lock.lock(); defer { lock.unlock() }
        if let policy = entries[text] { return policy }
        let policy = (try? DeskPolicy.parse(text, file: "team policy")) ?? .empty
        if entries.count >= 8 { entries.removeAll() }
        entries[text] = policy
        return policy
    }
}
