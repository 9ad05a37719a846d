import Foundation
import Testing
@testable import RoostCore

/// Protocol/vectors/routing.json: names written by tools/routing-vectors.py, an implementation of SPEC.md §1b.12
/// from its text alone; RoutingRules must give the same names for every case.
@Suite struct RoutingVectorTests {
    struct File: Decodable { var cases: [Case] }
    struct Case: Decodable {
        var name: String
        var now_ms: UInt64
        var policies: [Policy]
        var agents: [Agent]
        var tickets: [Ticket]
        var names: [String: String]
    }
    struct Policy: Decodable { var queue: String; var mode: String; var paused: Bool; var timeout_ms: UInt64 }
    struct Agent: Decodable {
        var id: String, availability: String, capacity: Int, load: Int
        var languages: [String], skills: [String], queues: [String], last_claim_ms: UInt64
    }
    struct Ticket: Decodable { var key: String; var queue: String; var language: String?; var skills: [String]; var waiting_since_ms: UInt64 }

    static let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Protocol/vectors/routing.json")

    @Test func routingGivesTheVectorsNames() throws {
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: Self.url))
        #expect(file.cases.count >= 10)
        for c in file.cases {
            let agents = try c.agents.map { agent in
                RoutingAgent(id: AuthorID(bytes: try #require(Hex.decode(agent.id)))!,
                             availability: try #require(Availability(rawValue: agent.availability)), capacity: agent.capacity,
                             languages: agent.languages, skills: Set(agent.skills), queues: Set(agent.queues),
                             load: agent.load, lastClaimMillis: agent.last_claim_ms)
            }
            var policies: [String: RoutingPolicy] = [:]
            for p in c.policies {
                policies[p.queue] = RoutingPolicy(queue: p.queue, mode: try #require(RoutingMode(rawValue: p.mode)), paused: p.paused,
                                                  timeoutMillis: p.timeout_ms)
            }
            let tickets = c.tickets.map {
                RoutingTicket(key: $0.key, queue: $0.queue, language: $0.language, skills: Set($0.skills), waitingSinceMillis: $0.waiting_since_ms)
            }
            let names = RoutingRules.assign(tickets, among: agents, policies: policies, now: c.now_ms).mapValues { $0.key.hex }
            #expect(names == c.names, "\(c.name)")
        }
    }
}
