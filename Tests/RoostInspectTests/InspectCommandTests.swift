import Foundation
import GRDB
import Testing
import RoostCore
import RoostCrypto
import RoostNode
import RoostStore
import RoostSync

/// Exact-output tests of every `roost-inspect` command on the fixture team (see ``FixtureTeam``): the
/// built binary runs as an admin would type it. Ids are derived from the fixture's fixed keys and
/// substituted into the expected text; times come from the fixture's fixed clocks.
@Suite(.serialized) struct InspectCommandTests {
    let team: FixtureTeam
    let a: String, b: String, c: String

    init() throws {
        team = try FixtureTeam()
        try team.writeAnaPeersFile()
        a = team.ana.id.short
        b = team.ben.id.short
        c = team.cy.id.short
        // The tables list authors in key order; the expected text below relies on it.
        #expect(team.ben.id < team.ana.id && team.ana.id < team.cy.id)
    }

    func home(_ node: FixtureNode) -> String { node.home.path }

    @Test func statusOfAHomeAndOfACopiedDatabaseFile() throws {
        defer { team.cleanup() }
        let result = try Inspector.run(["status", "--home", home(team.ana)])
        #expect(result.status == 0, "\(result.stderr)")
        let size = StatusSize.of(team.ana.databasePath)
        #expect(result.stdout == """
            Node:            Ana Lopez (AL)
            Node id:         \(team.ana.id.text)
            Team:            Acme Care
            Role:            none (roster: no team: every signed op is accepted)
            Own log:         epoch a1, seq 11, sealed 11
            Ops stored:      18 in 3 log(s) by 3 author(s)
            Unsealed ops:    0
            Fork evidence:   none
            Last HLC:        2026-01-01T00:00:22.000Z+1
            Last compaction: never (compaction is not implemented yet)
            Clock offset:    not recorded (peers do not report their clocks yet)
            Database:        \(size) bytes

            AUTHOR          NAME        LOGS  OPS  UNSEALED
            \(b)         Ben Okafor  1     4    0
            \(a) (self)  Ana Lopez   1     11   0
            \(c)         Cy Park     1     3    0

            """)

        // A copied file: no config, so the name comes from the member profile; Cy is behind.
        let copy = team.root.appendingPathComponent("cy-copy.sqlite").path
        try team.cy.copyDatabase(to: copy)
        let file = try Inspector.run(["status", "--home", copy, "--json"])
        #expect(file.status == 0, "\(file.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(file.stdout.utf8)) as? [String: Any]
        #expect(json?["nodeId"] as? String == team.cy.id.text)
        #expect(json?["name"] as? String == "Cy Park")
        #expect(json?["ops"] as? Int == 15)
        #expect(json?["seq"] as? Int == 4)
        #expect(json?["rosterAuthority"] as? String == "no team: every signed op is accepted")

        let missing = try Inspector.run(["status", "--home", team.root.appendingPathComponent("nobody").path])
        #expect(missing.status == 4)
        #expect(missing.stdout.isEmpty)
        #expect(missing.stderr == "roost-inspect: \(team.root.path)/nobody: no such node home or database file\n")
    }

    @Test func peersShowWhoIsBehindAndByHowMuch() throws {
        defer { team.cleanup() }
        let result = try Inspector.run(["peers", "--home", home(team.ana)])
        #expect(result.status == 0, "\(result.stderr)")
        // Cy was last heard holding 14 of Ana's 18 ops: it lacks Ben's 2 and Ana's 2 latest (14/18 = 77.8%).
        #expect(result.stdout == """
            As written by `roost run` at 2026-01-01T00:00:30.000Z (peers.json; the file is removed when the daemon stops).

            PEER     NAME        ADDRESS         STATE         LAST SEEN                 RTT  THEY LACK  WE LACK  COMPLETION
            \(c)  Cy Park     (inbound)       disconnected  2026-01-01T00:00:16.000Z  -    4          0        77.8%
            \(b)  Ben Okafor  127.0.0.1:7171  connected     2026-01-01T00:00:29.000Z  -    0          0        100.0%
            Round-trip times are not measured yet.

            """)
        // Once the daemon stops, peers.json is gone but the vectors last heard remain (heard-vectors.json).
        try FileManager.default.removeItem(at: team.ana.home.appendingPathComponent("peers.json"))
        let stopped = try Inspector.run(["peers", "--home", home(team.ana)])
        #expect(stopped.stdout == """
            No peers.json: `roost run` is not running; peers as last heard (heard-vectors.json).

            PEER     NAME        ADDRESS  STATE           LAST SEEN                 RTT  THEY LACK  WE LACK  COMPLETION
            \(c)  Cy Park     -        daemon stopped  2026-01-01T00:00:16.000Z  -    4          0        77.8%
            \(b)  Ben Okafor  -        daemon stopped  2026-01-01T00:00:23.000Z  -    0          0        100.0%
            Round-trip times are not measured yet.

            """)
        let noDaemon = try Inspector.run(["peers", "--home", home(team.ben)])
        #expect(noDaemon.stdout == """
            No peers.json: `roost run` is not running in this home (or this is a database file).
            Round-trip times are not measured yet.

            """)
    }

    @Test func vectorsShowTheMatrixAndTheFrontier() throws {
        defer { team.cleanup() }
        let result = try Inspector.run(["vectors", "--home", home(team.ana)])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == """
            Vectors as this node last heard them (heard-vectors.json written 2026-01-01T00:00:30.000Z).

            NODE            \(b)/b2  \(a)/a1  \(c)/c3  HEARD
            \(a) (self)  4           11          3           now
            \(b)         4           11          3           2026-01-01T00:00:23.000Z
            \(c)         2           9           3           2026-01-01T00:00:16.000Z
            frontier        2           9           3

            ? = never heard from (counts as 0 for the frontier).
            Causal-stability frontier: 14 of 18 ops this node holds are known to be held by every member.

            """)
        // Ben never heard anyone through a daemon: Ana and Cy are known members, never heard from.
        let ben = try Inspector.run(["vectors", "--home", home(team.ben), "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(ben.stdout.utf8)) as? [String: Any]
        #expect((json?["frontier"] as? [Any])?.isEmpty == true)
        #expect(json?["stableOps"] as? Int == 0)
        #expect(json?["totalOps"] as? Int == 18)
    }

    @Test func diffFindsExactlyTheMissingOps() throws {
        defer { team.cleanup() }
        let result = try Inspector.run(["diff", home(team.ana), home(team.cy)])
        #expect(result.status == 3, "\(result.stderr)")
        #expect(result.stdout == """
            A: \(home(team.ana)) (node \(a), 18 ops)
            B: \(home(team.cy)) (node \(c), 15 ops)

            LOG         A   B
            \(b)/b2  4   2  B lacks 2
            \(a)/a1  11  9  B lacks 2
            \(c)/c3  3   4  A lacks 1

            Only in A (4 op(s)):
            OP             HLC                         KIND     ENTITY
            \(b)/b2/3   2026-01-01T00:00:21.000Z+0  set      ticket/p100
            \(b)/b2/4   2026-01-01T00:00:21.000Z+1  tag-add  ticket/p100
            \(a)/a1/10  2026-01-01T00:00:22.000Z+0  set      ticket/p100
            \(a)/a1/11  2026-01-01T00:00:22.000Z+1  tag-add  ticket/p200

            Only in B (1 op(s)):
            OP            HLC                         KIND     ENTITY
            \(c)/c3/4  2026-01-01T00:00:24.000Z+0  tag-add  ticket/p200

            Same position, different op: none
            Tickets touched by missing ops: p100, p200
            Tickets whose state differs with no missing op to explain it: none

            BEHIND: they differ only by ops not synced yet

            """)

        // The missing sets, computed independently from the two vectors: every seq in (theirs, ours].
        let json = try Inspector.run(["diff", home(team.ana), home(team.cy), "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        func ops(_ key: String) -> Set<String> {
            Set(((object?[key] as? [[String: Any]]) ?? []).compactMap { $0["op"] as? String })
        }
        func expectedMissing(from mine: VersionVector, notIn theirs: VersionVector) -> Set<String> {
            var result = Set<String>()
            for (log, seq) in mine.entries where seq > theirs[log] {
                for s in (theirs[log] + 1)...seq { result.insert("\(OpRef(author: log.author, epoch: log.epoch, seq: s))") }
            }
            return result
        }
        let va = try team.ana.store.versionVector(), vc = try team.cy.store.versionVector()
        #expect(ops("onlyInA") == expectedMissing(from: va, notIn: vc))
        #expect(ops("onlyInB") == expectedMissing(from: vc, notIn: va))
        #expect(ops("onlyInA").count == 4 && ops("onlyInB").count == 1)

        // Ana and Ben are in sync.
        let same = try Inspector.run(["diff", home(team.ana), home(team.ben)])
        #expect(same.status == 0)
        #expect(same.stdout.hasSuffix("IDENTICAL: same ops, same state\n"))
    }

    @Test func diffFlagsStateThatNoMissingOpExplainsAndDivergentOps() throws {
        defer { team.cleanup() }
        // p300 is touched by no missing op: a changed projection row on Cy's copy cannot be a sync lag.
        let copy = team.root.appendingPathComponent("cy-tampered.sqlite").path
        try team.cy.copyDatabase(to: copy)
        try FixtureNode.tamper(copy, "UPDATE desk_ticket SET status = 'closed' WHERE key = 'p300'")
        let result = try Inspector.run(["diff", home(team.ana), copy])
        #expect(result.status == 1)
        #expect(result.stdout.contains("""
            Tickets whose state differs with no missing op to explain it:
              p300
            """))
        #expect(result.stdout.contains("status=new"))
        #expect(result.stdout.contains("status=closed"))
        #expect(result.stdout.hasSuffix(
            "DIVERGED: ticket state differs where no missing op explains it (run `roost-inspect verify` on both)\n"))

        // A different op at a position both hold.
        let forked = team.root.appendingPathComponent("cy-forked.sqlite").path
        try team.cy.copyDatabase(to: forked)
        try FixtureNode.tamper(forked, "UPDATE op_row SET hlc = hlc + 1 WHERE log IN (SELECT id FROM log WHERE author = ?) AND seq = 2",
                               [Data(team.ben.id.key.bytes)])
        let divergent = try Inspector.run(["diff", home(team.ana), forked])
        #expect(divergent.status == 1)
        #expect(divergent.stdout.contains("Same position, different op: \(b)/b2/2\n"))
    }

    @Test func explainNamesTheRuleTheWinnerAndEveryLoser() throws {
        defer { team.cleanup() }
        let result = try Inspector.run(["explain", "p100", "--home", home(team.ana)])
        #expect(result.status == 0, "\(result.stderr)")
        let ana = "\(a) Ana Lopez", ben = "\(b) Ben Okafor", cy = "\(c) Cy Park"
        #expect(result.stdout == """
            ticket/p100

            insert = inserted by \(a)/a1/4
              rule:    grow-only-set (the earliest insert (HLC, then author) keeps its payload)
              winner:  \(a)/a1/4  \(ana)  2026-01-01T00:00:02.000Z+0  sealed@6  insert (3 fields)
              losers:  none
              stored:  matches the recomputation

            priority = "urgent" by \(a)/a1/10
              rule:    last-writer-wins (the write with the greatest (HLC, author, epoch, seq) wins)
              winner:  \(a)/a1/10  \(ana)  2026-01-01T00:00:22.000Z+0  sealed@11  set "urgent"
              losers:  none
              stored:  matches the recomputation

            queue = "billing" by \(a)/a1/5
              rule:    last-writer-wins (the write with the greatest (HLC, author, epoch, seq) wins)
              winner:  \(a)/a1/5  \(ana)  2026-01-01T00:00:02.000Z+1  sealed@6  set "billing"
              losers:  none
              stored:  matches the recomputation

            status = "pending" by \(b)/b2/3
              rule:    last-writer-wins (the write with the greatest (HLC, author, epoch, seq) wins)
              winner:  \(b)/b2/3  \(ben)  2026-01-01T00:00:21.000Z+0  sealed@4  set "pending"
              loser:   \(c)/c3/3  \(cy)  2026-01-01T00:00:15.000Z+0  sealed@3  set "resolved"
                       lost: overwritten by \(b)/b2/3 with a later HLC
              loser:   \(a)/a1/6  \(ana)  2026-01-01T00:00:02.000Z+2  sealed@6  set "open"
                       lost: overwritten by \(b)/b2/3 with a later HLC
              stored:  matches the recomputation

            tag:refund = present
              rule:    add-wins-set (present while some add was not observed by any removal)
              winner:  \(b)/b2/4  \(ben)  2026-01-01T00:00:21.000Z+1  sealed@4  add
              losers:  none
              stored:  matches the recomputation

            claim = held by \(b) until 2026-01-01T00:30:10.000Z (\(b)/b2/2)
              rule:    claim-resolver (among claims observing the current one, the earliest permitted (HLC, then author) wins)
              winner:  \(b)/b2/2  \(ben)  2026-01-01T00:00:10.000Z+0  sealed@2  claim for \(b) lease 1800s observing none
              chain 1: \(b)/b2/2  \(ben)  2026-01-01T00:00:10.000Z+0  sealed@2  claim for \(b) lease 1800s observing none
              loser:   \(c)/c3/2  \(cy)  2026-01-01T00:00:10.500Z+0  sealed@3  claim for \(c) lease 1800s observing none
                       lost: concurrent: did not observe \(b)/b2/2, which is earlier (HLC, then author) and won
              stored:  matches the recomputation

            """)

        // On Cy (behind), status is still Cy's "resolved": the same rule, fewer ops.
        let cyStatus = try Inspector.run(["explain", "p100", "status", "--home", home(team.cy), "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(cyStatus.stdout.utf8)) as? [String: Any]
        let field = (json?["fields"] as? [[String: Any]])?.first
        #expect(field?["rule"] as? String == "last-writer-wins")
        #expect(field?["value"] as? String == "\"resolved\" by \(c)/c3/3")
        #expect(((field?["losers"] as? [[String: Any]])?.map { $0["op"] as? String }) == ["\(a)/a1/6"])
        #expect(field?["agrees"] as? Bool == true)

        // A damaged materialized row is called out.
        try team.cy.tamper("UPDATE mv_register SET value = X'03000000046f70656e' WHERE key = 'p100' AND field = 'status'")
        let damaged = try Inspector.run(["explain", "p100", "status", "--home", home(team.cy)])
        #expect(damaged.stdout.contains("  stored:  DIFFERS: the materialized state says \"open\" by \(c)/c3/3\n"))

        let unknown = try Inspector.run(["explain", "p999", "--home", home(team.ana)])
        #expect(unknown.status == 4)
        #expect(unknown.stderr == "roost-inspect: no ticket p999 in this node\n")
    }

    @Test func logFiltersAndRedactsBodiesByDefault() throws {
        defer { team.cleanup() }
        let result = try Inspector.run(["log", "--home", home(team.ana), "--author", b])
        #expect(result.status == 0, "\(result.stderr)")
        let member = "member/\(team.ben.id.text)"
        #expect(result.stdout == """
            OP            HLC                         KIND     SEAL      ENTITY\(String(repeating: " ", count: member.count - 4))FIELD       BODY
            \(b)/b2/1  2026-01-01T00:00:04.000Z+0  insert   sealed@2  \(member)  -           redacted (2 fields)
            \(b)/b2/2  2026-01-01T00:00:10.000Z+0  claim    sealed@2  ticket/p100\(String(repeating: " ", count: member.count - 9))claim       claim for \(b) lease 1800s observing none
            \(b)/b2/3  2026-01-01T00:00:21.000Z+0  set      sealed@4  ticket/p100\(String(repeating: " ", count: member.count - 9))status      redacted
            \(b)/b2/4  2026-01-01T00:00:21.000Z+1  tag-add  sealed@4  ticket/p100\(String(repeating: " ", count: member.count - 9))tag:refund  add

            """)

        let lines = try Inspector.run(["log", "--home", home(team.ana), "--json", "--kind", "set", "--since", "2026-01-01T00:00:15Z"])
        let objects = try lines.stdout.split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(objects.map { $0?["op"] as? String } == ["\(c)/c3/3", "\(b)/b2/3", "\(a)/a1/10"])
        #expect(objects.allSatisfy { $0?["body"] as? String == "redacted" })
        #expect(!lines.stdout.contains("resolved") && !lines.stdout.contains("urgent"))
        let hashes = try team.ana.store.storedOps(StoredOpFilter(kind: .set)).map(\.hash.hex)
        #expect(objects.allSatisfy { hashes.contains($0?["hash"] as? String ?? "") })

        let bodies = try Inspector.run(["log", "--home", home(team.ana), "--json", "--kind", "set", "--since",
                                        "2026-01-01T00:00:15Z", "--with-bodies"])
        #expect(bodies.stdout.contains("\"body\":\"\\\"resolved\\\"\""))
        #expect(bodies.stdout.contains("\"body\":\"\\\"urgent\\\"\""))

        let bad = try Inspector.run(["log", "--home", home(team.ana), "--kind", "delete"])
        #expect(bad.status == 64)
    }

    @Test func conflictsListClaimConflictsAndOverwritesByQueue() throws {
        defer { team.cleanup() }
        let result = try Inspector.run(["conflicts", "--home", home(team.ana), "--queue", "billing"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout == """
            Claim conflicts (1):
            TICKET  QUEUE    LOSER         BY               AT                          WINNER        BY                  AT                          REASON
            p100    billing  \(c)/c3/2  \(c) Cy Park  2026-01-01T00:00:10.500Z+0  \(b)/b2/2  \(b) Ben Okafor  2026-01-01T00:00:10.000Z+0  concurrent

            Overwrites between members (2):
            TICKET  QUEUE    FIELD   LOST        BY                 AT                          WON        BY                  AT
            p100    billing  status  "open"      \(a) Ana Lopez  2026-01-01T00:00:02.000Z+2  "pending"  \(b) Ben Okafor  2026-01-01T00:00:21.000Z+0
            p100    billing  status  "resolved"  \(c) Cy Park    2026-01-01T00:00:15.000Z+0  "pending"  \(b) Ben Okafor  2026-01-01T00:00:21.000Z+0

            An overwrite is a register write that lost to a later write by another member; ops carry no causal context, so whether the winner had seen it is not known.

            """)
        let shipping = try Inspector.run(["conflicts", "--home", home(team.ana), "--queue", "shipping", "--json"])
        let json = try JSONSerialization.jsonObject(with: Data(shipping.stdout.utf8)) as? [String: Any]
        #expect((json?["claimConflicts"] as? [Any])?.isEmpty == true)
        #expect((json?["overwrites"] as? [Any])?.isEmpty == true)
    }
}

/// The database size `status` reports: the file plus its WAL.
enum StatusSize {
    static func of(_ path: String) -> Int64 {
        let fm = FileManager.default
        let main = (try? fm.attributesOfItem(atPath: path)[.size] as? Int64) ?? 0
        let wal = (try? fm.attributesOfItem(atPath: path + "-wal")[.size] as? Int64) ?? 0
        return main + wal
    }
}
