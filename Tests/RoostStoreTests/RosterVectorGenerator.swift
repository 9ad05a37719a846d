import Foundation
import RoostCore
import RoostCrypto
import RoostStore
import Testing

/// Writes Protocol/vectors/roster.json (SPEC-roster.md §2c.3–2c.4): sets of roster ops and the roster they
/// fold to (roles, revocation cuts, changes that do not count, admission of probe positions). Runs only
/// when asked:
///
///     ROOST_WRITE_VECTORS=1 swift test --filter VectorGenerator
///
/// The expectations are written by hand from the specification (the reasoning is in each case's
/// `note`); the generator checks each against `RosterState` before writing, and `RosterVectorTests`
/// checks the file on every run, in several delivery orders.
@Suite struct RosterVectorGenerator {
    @Test("write the roster vectors", .enabled(if: VectorGenerator.enabled))
    func writeRosterVectors() throws {
        let json = try Self.document()
        let url = VectorKit.directory.appendingPathComponent("roster.json")
        try Data(json.rendered().utf8).write(to: url)
        #expect(try VectorKit.load("roster.json").compact() == VectorGenerator.sortedMembers(json).compact(),
                "roster.json round-trips")
    }

    typealias J = VectorKit.JSON

    /// Authors: F (founder, index 0), then B, C, D, E; seeds 01×32 … 05×32.
    static let (F, B, C, D, E) = (0, 1, 2, 3, 4)
    static func ids() throws -> [AuthorID] {
        try (1...5).map { seed in
            let key = try SigningKey(seed: [UInt8](repeating: UInt8(seed), count: 32))
            return AuthorID(key: Bytes32(key.publicKey)!)
        }
    }

    /// One change: author index, epoch, seq, HLC physical offset from t0 (ms), member index, field, value.
    struct Change {
        var author: Int
        var epoch: UInt64 = 1
        var seq: UInt64
        var at: Int64
        var member: Int
        var field: String
        var value: String
    }

    struct Expected {
        /// Member index → roles that counted, in stamp order, as (author, seq, role).
        var roles: [Int: [String]]
        /// Member index → the revocation's cut text, when one counted.
        var revoked: [Int: String] = [:]
        /// Indices (in `changes`) of the changes that do not count.
        var ignored: [Int]
        /// (author, epoch, seq) → "member", "not-member" or "revoked".
        var admission: [(Int, UInt64, UInt64, String)]
    }

    struct Case {
        var name: String
        var note: String
        var changes: [Change]
        var expect: Expected
    }

    static func role(_ author: Int, _ seq: UInt64, _ at: Int64, _ member: Int, _ role: String, epoch: UInt64 = 1) -> Change {
        Change(author: author, epoch: epoch, seq: seq, at: at, member: member, field: "role", value: role)
    }

    static func revoke(_ author: Int, _ seq: UInt64, _ at: Int64, _ member: Int, _ cut: String) -> Change {
        Change(author: author, seq: seq, at: at, member: member, field: "revoked", value: cut)
    }

    static let cases: [Case] = [
        Case(name: "admissions and a promotion by a second admin",
             note: "F admits B (agent) and C (admin); C, an admin from its admission on, promotes B to lead.",
             changes: [role(F, 1, 0, B, "agent"), role(F, 2, 10, C, "admin"), role(C, 1, 20, B, "lead")],
             expect: Expected(roles: [B: ["agent", "lead"], C: ["admin"]], ignored: [],
                              admission: [(B, 1, 9, "member"), (C, 1, 1, "member"), (D, 1, 1, "not-member"), (F, 7, 3, "member")])),
        Case(name: "only admins change the roster",
             note: "B is an agent, so its admission of D does not count; neither does C's change made before C was admitted (stamp order).",
             changes: [role(F, 1, 0, B, "agent"), role(B, 1, 5, D, "agent"), role(C, 1, 6, E, "agent"), role(F, 2, 10, C, "admin")],
             expect: Expected(roles: [B: ["agent"], C: ["admin"]], ignored: [1, 2],
                              admission: [(D, 1, 1, "not-member"), (E, 1, 1, "not-member"), (C, 1, 1, "member")])),
        Case(name: "a revocation cuts by position",
             note: "F revokes B keeping epoch 1 up to seq 2: (1,2) is admitted, (1,3) and every op of epoch 2 are revoked.",
             changes: [role(F, 1, 0, B, "agent"), revoke(F, 2, 50, B, "1:2")],
             expect: Expected(roles: [B: ["agent"]], revoked: [B: "1:2"], ignored: [],
                              admission: [(B, 1, 2, "member"), (B, 1, 3, "revoked"), (B, 2, 1, "revoked")])),
        Case(name: "a revoked admin's changes past its cut are void, earlier ones stand",
             note: """
                 F admits C (admin). C admits D at its seq 1 and E at its seq 2. F revokes C keeping seq 1 (stamp later \
                 than both). D stays; E's admission is past the cut, so it is void (second fold round) and E is no member.
                 """,
             changes: [role(F, 1, 0, C, "admin"), role(C, 1, 10, D, "agent"), role(C, 2, 20, E, "agent"), revoke(F, 2, 30, C, "1:1")],
             expect: Expected(roles: [C: ["admin"], D: ["agent"]], revoked: [C: "1:1"], ignored: [2],
                              admission: [(D, 1, 4, "member"), (E, 1, 1, "not-member"), (C, 1, 1, "member"), (C, 1, 2, "revoked")])),
        Case(name: "the founder cannot be changed; a revoked member never comes back",
             note: """
                 C (admin) sets the founder's role and revokes it: neither counts. F revokes B; F's later re-admission \
                 of B does not count (a revoked identity stays revoked).
                 """,
             changes: [role(F, 1, 0, C, "admin"), role(C, 1, 5, F, "agent"), revoke(C, 2, 6, F, ""),
                       role(F, 2, 7, B, "agent"), revoke(F, 3, 8, B, ""), role(F, 4, 9, B, "lead")],
             expect: Expected(roles: [B: ["agent"], C: ["admin"]], revoked: [B: ""], ignored: [1, 2, 5],
                              admission: [(F, 1, 99, "member"), (B, 1, 1, "revoked")])),
        Case(name: "revoking a member never admitted does nothing",
             note: "F revokes D, who was never admitted: no change; D's ops are not-member (not revoked).",
             changes: [revoke(F, 1, 0, D, "")],
             expect: Expected(roles: [:], ignored: [0], admission: [(D, 1, 1, "not-member")])),
        Case(name: "two admins revoke each other",
             note: """
                 F admits B and C as admins. B revokes C (stamp 20) keeping nothing, C revokes B (stamp 21) keeping \
                 nothing. B's revocation comes first in stamp order, so C's, by a revoked author past its cut, is void.
                 """,
             changes: [role(F, 1, 0, B, "admin"), role(F, 2, 1, C, "admin"), revoke(B, 1, 20, C, ""), revoke(C, 1, 21, B, "")],
             expect: Expected(roles: [B: ["admin"], C: ["admin"]], revoked: [C: ""], ignored: [3],
                              admission: [(B, 1, 1, "member"), (C, 1, 1, "revoked")])),
    ]

    static func stamp(_ change: Change, _ ids: [AuthorID]) -> Stamp {
        Stamp(hlc: HLC(physicalMillis: UInt64(Int64(VectorGenerator.t0) + change.at), logical: 0),
              ref: OpRef(author: ids[change.author], epoch: change.epoch, seq: change.seq))
    }

    static func body(_ change: Change, _ ids: [AuthorID]) -> OpBody {
        .set(entity: EntityRef(RosterSchema.member, ids[change.member].text), field: change.field, value: .string(change.value))
    }

    static func document() throws -> J {
        let ids = try ids()
        var cases: [J] = []
        for entry in Self.cases {
            let changes = entry.changes.map { change in
                RosterChange(stamp: stamp(change, ids), body: body(change, ids))!
            }
            let roster = RosterState(founder: ids[F], changes: changes)
            // The hand-written expectation must hold here before it is written.
            let counted = Set(roster.members.values.flatMap { $0.roles.map(\.stamp) + [$0.revocation?.stamp].compactMap { $0 } })
            let ignored = changes.indices.filter { !counted.contains(changes[$0].stamp) }
            #expect(ignored == entry.expect.ignored, "\(entry.name): ignored")
            for (member, roles) in entry.expect.roles {
                #expect(roster.members[ids[member]]?.roles.map(\.role.rawValue) == roles, "\(entry.name): roles of \(member)")
            }
            #expect(Set(roster.members.filter { !$0.value.roles.isEmpty }.keys) == Set(entry.expect.roles.keys.map { ids[$0] }),
                    "\(entry.name): members")
            for (index, member) in roster.members where member.revocation != nil {
                #expect(entry.expect.revoked[ids.firstIndex(of: index)!] == member.revocation?.cut.description, "\(entry.name): cut")
            }
            #expect(roster.members.values.filter { $0.revocation != nil }.count == entry.expect.revoked.count)
            for (author, epoch, seq, verdict) in entry.expect.admission {
                #expect(Self.label(roster.admission(of: OpRef(author: ids[author], epoch: epoch, seq: seq))) == verdict,
                        "\(entry.name): admission of \(author) \(epoch) \(seq)")
            }
            cases.append(.object([
                ("name", .string(entry.name)),
                ("note", .string(entry.note)),
                ("changes", .array(entry.changes.map { change in
                    .object([
                        ("author", .int(Int64(change.author))), ("epoch", VectorKit.dec(change.epoch)),
                        ("seq", VectorKit.dec(change.seq)),
                        ("hlc", VectorKit.dec(stamp(change, ids).hlc.rawValue)),
                        ("member", .int(Int64(change.member))), ("field", .string(change.field)),
                        ("value", .string(change.value)),
                        ("body_hex", VectorKit.hex(body(change, ids).encoded())),
                    ])
                })),
                ("expect", .object([
                    ("members", .array(entry.expect.roles.keys.sorted().map { member in
                        .object([
                            ("member", .int(Int64(member))),
                            ("roles", .array(entry.expect.roles[member]!.map { .string($0) })),
                            ("revoked", entry.expect.revoked[member].map { .string($0) } ?? .null),
                            ("current_role", entry.expect.revoked[member] == nil
                                ? .string(entry.expect.roles[member]!.last!) : .null),
                        ])
                    })),
                    ("ignored", .array(entry.expect.ignored.map { .int(Int64($0)) })),
                    ("admission", .array(entry.expect.admission.map { author, epoch, seq, verdict in
                        .object([("author", .int(Int64(author))), ("epoch", VectorKit.dec(epoch)), ("seq", VectorKit.dec(seq)),
                                 ("expect", .string(verdict))])
                    })),
                ])),
            ]))
        }
        return .object([
            ("description", .string("""
                Roster fold (SPEC-roster.md §2c.3-2c.4): each case is a set of roster ops (set member/<id> role|revoked) \
                and the roster it folds to, in any delivery order. Authors by index: 0 is the founder; ids are the \
                Ed25519 keys of seeds 01x32..05x32 (text form in `authors`). `ignored` lists the changes that do not count.
                """)),
            ("authors", .array(ids.enumerated().map { index, id in
                .object([("index", .int(Int64(index))), ("seed_byte", .int(Int64(index + 1))), ("text", .string(id.text))])
            })),
            ("founder", .int(Int64(F))),
            ("cases", .array(cases)),
        ])
    }

    static func label(_ admission: Admission) -> String {
        switch admission {
        case .member: "member"
        case .notMember: "not-member"
        case .revoked: "revoked"
        }
    }
}
